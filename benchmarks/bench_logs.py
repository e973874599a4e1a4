"""Reading cost of training logs, as ratios against a bare parse of the same file in the same run.

    python benchmarks/bench_logs.py [rows]        # rows of the CSV log, 1,000,000 by default

1. CSV (step, epoch, loss, val_loss every 1000 steps, grad_norm, learning_rate, gpu_util) of a
   healthy-looking run with mini-batch noise: `read_log` (reading) and `analyze` (reading and
   every detector) against one bare `csv.reader` pass. Target: reading <= 3x, peak <= 100 MB.
2. trainer_state.json of the same run (about 55 MB at 400,000 entries): `read_log` and `analyze`
   against `json.load`, in time and in peak Python memory (tracemalloc).
3. TensorBoard event file (when tensorboard is installed, to write it and to give the bare parse):
   `read_log` and `analyze` against the TFRecord framing plus tensorboard's compiled `Event.FromString`.

CPU time (process_time), best of 3 rounds in which the bare parse and ours take turns, so that other
processes on the machine, and its speed changing meanwhile, weigh less. Peak memory:
tracemalloc's peak during the call (Python allocations), and the process's peak RSS at the end.
"""

from __future__ import annotations

import csv
import json
import math
import random
import resource
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

REPEAT = 3


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(0)
    with open(path, "w") as fh:
        fh.write("step,epoch,loss,val_loss,grad_norm,learning_rate,gpu_util\n")
        for step in range(1, rows + 1):
            level = 0.2 + 2.0 / (1 + step / 20000)
            loss = level * (1 + 0.3 * rng.uniform(-1, 1))
            val = f"{level * 1.05:.5g}" if step % 1000 == 0 else ""
            lr = 3e-4 * 0.5 * (1 + math.cos(math.pi * step / rows))
            fh.write(f"{step},{step / 5000:.4f},{loss:.5g},{val},{rng.uniform(0.5, 1.5):.4g},{lr:.4g},"
                     f"{rng.uniform(85, 99):.1f}\n")


def write_state(path: Path, entries: int) -> None:
    rng = random.Random(1)
    history = []
    for step in range(1, entries + 1):
        history.append({"epoch": step / 5000, "grad_norm": rng.uniform(0.5, 1.5), "learning_rate": 3e-4,
                        "loss": 0.2 + 2.0 / (1 + step / 20000) * (1 + 0.3 * rng.uniform(-1, 1)), "step": step})
        if step % 1000 == 0:
            history.append({"epoch": step / 5000, "eval_loss": 0.2 + 2.1 / (1 + step / 20000), "step": step})
    with open(path, "w") as fh:
        json.dump({"best_metric": None, "epoch": entries / 5000, "global_step": entries, "log_history": history,
                   "max_steps": entries}, fh, indent=2)


def write_events(path: Path, steps: int) -> bool:
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.record_writer import RecordWriter
    except ImportError:
        return False
    rng = random.Random(2)
    with open(path, "wb") as fh:
        writer = RecordWriter(fh)
        for step in range(steps):
            for tag, value in (("train/loss", 0.2 + 2.0 / (1 + step / 2000) * (1 + 0.3 * rng.uniform(-1, 1))),
                               ("train/grad_norm", rng.uniform(0.5, 1.5)), ("train/lr", 3e-4)):
                event = event_pb2.Event(wall_time=1.7e9 + step, step=step, summary=summary_pb2.Summary(
                    value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]))
                writer.write(event.SerializeToString())
        writer.flush()
    return True


def cpu(*calls: Callable[[], Any], repeat: int = REPEAT) -> list[float]:
    """The best CPU time of each call over `repeat` rounds, the calls taking turns in every round, so that a
    machine that slows down or speeds up meanwhile (a shared one does) weighs the bare parse and ours alike."""
    best = [math.inf] * len(calls)
    for _ in range(repeat):
        for i, call in enumerate(calls):
            start = time.process_time()
            call()
            best[i] = min(best[i], time.process_time() - start)
    return best


def peak(call: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def drain(iterable: Any) -> None:
    for _ in iterable:
        pass


def bench_csv(folder: Path, rows: int) -> None:
    from advisor.logs import analyze, read_log

    path = folder / "big.csv"
    write_csv(path, rows)

    def bare() -> None:
        with open(path, newline="") as fh:
            drain(csv.reader(fh))

    analysis = analyze(path)
    base, reading, whole = cpu(bare, lambda: drain(read_log(path)), lambda: analyze(path))
    print(f"CSV, {rows:,} rows, {path.stat().st_size / 1e6:.0f} MB: bare csv.reader {base:.2f} s; "
          f"read_log {reading:.2f} s = {reading / base:.2f}x; analyze {whole:.2f} s = {whole / base:.2f}x; "
          f"findings: {analysis.symptoms() or 'none'}")
    print(f"    tracemalloc peak: read_log {peak(lambda: drain(read_log(path))):.1f} MiB, "
          f"analyze {peak(lambda: analyze(path)):.1f} MiB")
    # the command a user runs, start-up and report included, against the bare pass in a process of its own
    bare_process = [sys.executable, "-c", f"import csv\nwith open({str(path)!r}, newline='') as f:\n"
                                          f"    for _ in csv.reader(f): pass"]
    command = [sys.executable, "-m", "advisor", "diagnose", "--log", str(path), "--format", "json"]
    (base, _), (whole, rss) = process(bare_process, command)
    print(f"    `advisor diagnose --log` (a process each): {whole:.2f} s = {whole / base:.2f}x a bare csv.reader "
          f"process; peak RSS {rss:.0f} MiB")


def process(*commands: list[str]) -> list[tuple[float, float]]:
    """(best CPU time, peak RSS in MiB) of each command run as a child process, in turns as cpu() runs calls."""
    best = [(math.inf, 0.0)] * len(commands)
    for _ in range(REPEAT):
        for i, command in enumerate(commands):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            # ru_maxrss of children is the largest of any child so far: the command's, the bare one being smaller
            best[i] = (min(best[i][0], seconds), after.ru_maxrss / 1024)
    return best


def bench_state(folder: Path, entries: int) -> None:
    from advisor.logs import analyze, read_log

    path = folder / "trainer_state.json"
    write_state(path, entries)

    def bare() -> None:
        with open(path) as fh:
            json.load(fh)

    base, reading, whole = cpu(bare, lambda: drain(read_log(path)), lambda: analyze(path))
    size = path.stat().st_size / 2**20
    print(f"trainer_state.json, {entries:,} entries, {size:.0f} MiB: json.load {base:.2f} s; read_log {reading:.2f} s "
          f"= {reading / base:.2f}x; analyze {whole:.2f} s = {whole / base:.2f}x; peak json.load {peak(bare):.0f} MiB, "
          f"read_log {peak(lambda: drain(read_log(path))):.1f} MiB")


def bench_events(folder: Path, steps: int) -> None:
    from advisor.logs import analyze, read_log

    path = folder / "events.out.tfevents.1.host"
    if not write_events(path, steps):
        print("TensorBoard: not installed, skipped")
        return
    from tensorboard.compat.proto import event_pb2

    def bare() -> None:  # the framing, and the compiled protobuf parse of every record
        data = path.read_bytes()
        pos, parse = 0, event_pb2.Event.FromString
        while pos < len(data):
            (length,) = struct.unpack_from("<Q", data, pos)
            parse(data[pos + 12:pos + 12 + length])
            pos += 16 + length

    base, reading, whole = cpu(bare, lambda: drain(read_log(path)), lambda: analyze(path))
    print(f"TensorBoard, {steps * 3:,} events, {path.stat().st_size / 1e6:.0f} MB: framing + Event.FromString "
          f"{base:.2f} s; read_log {reading:.2f} s = {reading / base:.2f}x; analyze {whole:.2f} s = "
          f"{whole / base:.2f}x; peak {peak(lambda: drain(read_log(path))):.1f} MiB")


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench_csv(folder, rows)
        bench_state(folder, max(1, rows * 2 // 5))
        bench_events(folder, max(1, rows // 3))
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
