"""The setup values a log states (learning rate, loss at the start and now, validation loss, epochs) fill the setup
where the user gave none, and never override what the user gave."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from advisor.logs import analyze, merge_symptoms
from advisor.setup import fields

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
READERS = FIXTURES / "readers"


def test_the_highest_logged_learning_rate_is_the_configured_one(tmp_path):
    path = tmp_path / "run.csv"  # linear warmup to 3e-4, then cosine decay to ~0
    rows = []
    for step in range(1, 201):
        lr = 3e-4 * step / 20 if step <= 20 else 3e-4 * 0.5 * (1 + math.cos(math.pi * (step - 20) / 180))
        rows.append(f"{step},{2 / (1 + step / 50):.4f},{lr:.6g}\n")
    path.write_text("step,loss,learning_rate\n" + "".join(rows))
    values = analyze(path).values
    assert values["lr"][0] == pytest.approx(3e-4) and "step 20" in values["lr"][1]
    assert values["loss_start"][0] == pytest.approx(2 / 1.02, rel=1e-3)
    assert values["loss_now"][0] == pytest.approx(2 / (1 + 198 / 50), rel=1e-3)  # the median of the last 5


@pytest.mark.parametrize("path, epochs", [
    (READERS / "keras_history.json", 6),  # epochs 0..5
    (READERS / "lightning" / "version_0" / "metrics.csv", 4),  # max_epochs=4, epoch 0..3
])
def test_epochs_counted_from_zero(path, epochs):
    assert analyze(path).values["epochs"][0] == epochs


def test_fractional_trainer_epochs_round_up():
    path = FIXTURES / "hf_healthy_trainer_state.json"
    last = max(e["epoch"] for e in json.loads(path.read_text())["log_history"] if "epoch" in e)
    assert analyze(path).values["epochs"][0] == math.ceil(last)


def test_log_values_fill_the_setup_but_the_user_wins():
    analysis = analyze(READERS / "lightning")
    merged, taken = merge_symptoms(fields.normalize_setup({"gpu": "a100"}), analysis)
    assert {"lr", "epochs", "loss_start"} <= set(taken) and "gpu" not in taken
    assert merged["lr"] == pytest.approx(3e-3) and merged["epochs"] == 4
    assert merged["loss_start"] == pytest.approx(analysis.values["loss_start"][0], rel=1e-5)
    given, taken = merge_symptoms(fields.normalize_setup({"lr": "1e-4", "epochs": 10}), analysis)
    assert not {"lr", "epochs"} & set(taken)
    assert given["lr"] == pytest.approx(1e-4) and given["epochs"] == 10


def test_a_value_outside_its_field_is_left_out(tmp_path):
    path = tmp_path / "gan.csv"  # a GAN's or an ELBO's loss can be negative: no loss_start for the rules
    path.write_text("step,loss\n" + "".join(f"{i},{-1 - i / 10}\n" for i in range(1, 40)))
    merged, taken = merge_symptoms({}, analyze(path))
    assert "loss_start" not in merged and "loss_start" not in taken and "loss_now" not in merged


def test_the_report_does_not_ask_for_a_learning_rate_the_log_holds(run_cli):
    code, out, err = run_cli("diagnose", "--log", READERS / "lightning", "--format", "json")
    assert code in (0, 1), err
    report = json.loads(out)
    assert report["setup"]["lr"] == pytest.approx(3e-3)
    assert "lr" not in {m["field"] for m in report["missing"]}
    taken = {v["field"]: v for v in report["log"]["values"]}
    assert taken["lr"]["value"] == pytest.approx(3e-3) and "highest learning rate" in taken["lr"]["source"]
    assert report["log"]["format"] == "lightning" and report["log"]["rows"] > 0


def test_the_terminal_and_markdown_say_which_values_came_from_the_log(run_cli):
    for fmt in ("terminal", "markdown"):
        code, out, err = run_cli("diagnose", "--log", READERS / "lightning", "--format", fmt)
        assert code in (0, 1), err
        text = " ".join(out.split())
        assert "From the log:" in text and "lr 0.003 (the highest learning rate the log holds" in text, text
        setup = text.split("Setup:")[1].split("From the log:")[0]
        assert "lr" not in setup  # shown once, as the log's, not as if the user had given it
