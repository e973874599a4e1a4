"""TensorBoard event files, read without TensorBoard: the TFRecord framing and the protobuf fields scalars use.

An event file is a sequence of TFRecords (uint64 length, uint32 CRC of it, the data, uint32 CRC
of the data; https://www.tensorflow.org/tutorials/load_data/tfrecord#tfrecords_format_details),
each an `Event` protobuf (tensorboard/compat/proto/event.proto): field 2 `step`, field 5
`summary`, whose `Value`s (summary.proto) carry field 1 `tag` and either field 2 `simple_value`
(torch.utils.tensorboard, TF1) or field 8 a scalar `TensorProto` (TF2 `tf.summary.scalar`:
tensor.proto field 1 dtype, 4 tensor_content, 5 float_val, 6 double_val, 7 int_val, 10 int64_val).
Everything else (graphs, images, histograms, text) is skipped by its length, so a record costs
a few byte reads; TensorBoard's own loader checks each CRC in pure Python, which made a 33 MB log
take minutes. The CRCs are not checked: a damaged record fails to decode, or is caught when its
field framing does not add up; a last record cut short (a running job) is noted and left out.
Events of one step in a row (one per `add_scalar`) are merged into one record. Tags are mapped
like column names (`train/loss`, `Loss/train` -> loss; `grad_norm/<param>` -> per-layer norms).
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path
from typing import IO, Iterator

from advisor import files
from advisor.logs import columns, plain, source

_HEADER = struct.Struct("<QI")
_FLOAT, _DOUBLE = struct.Struct("<f"), struct.Struct("<d")
CHUNK = 1 << 20
MAX_RECORD = 256 * files.MIB  # a graph or an image can be large; a length past this is a damaged file
# TensorProto dtypes (types.proto) -> how tensor_content packs one element
_DTYPES = {1: ("<f", 4), 2: ("<d", 8), 3: ("<i", 4), 9: ("<q", 8), 19: ("<e", 2)}
_PACKED = {5: "<f", 6: "<d"}


def is_event_file(path: Path) -> bool:
    return "tfevents" in path.name


def event_files(path: Path) -> list[Path]:
    """The event files of one run folder, oldest first (their names begin with the creation time)."""
    if os.path.isdir(path):  # never raises, even for a name too long
        return sorted(p for p in path.iterdir() if is_event_file(p) and files.is_regular(p))
    return [path]


def read(path: Path, notes: plain.Notes | None = None) -> Iterator[plain.Record]:
    metric_of: dict[str, str | tuple[str] | None] = {}  # tag -> its metric, or (the layer's name,) for its norm
    for file in event_files(path):
        pending: plain.Record = {}
        current = None
        for step, values in _events(file, notes):
            if step != current:
                if len(pending) > 1 + ("epoch" in pending):
                    yield pending
                pending, current = {"step": float(step)}, step
            for tag, number in values:
                key = metric_of.get(tag, 0)
                if key == 0:
                    key = metric_of[tag] = _key(tag)
                if key.__class__ is str:
                    pending[key] = number
                elif key is not None:
                    pending.setdefault(columns.LAYER_GRAD_NORM, {})[key[0]] = number
        if len(pending) > 1 + ("epoch" in pending):
            yield pending


def _key(tag: str) -> str | tuple[str] | None:
    """Where a tag's values go: its metric, or (the parameter a per-layer gradient norm is about,); None for a
    tag that is no metric, and for `step` (Lightning logs `epoch` as a scalar too, and it is kept)."""
    layer = columns.layer(tag)
    if layer:
        return (layer,)
    found = columns.classify(tag)
    return found[0] if found is not None and found[0] != "step" else None


class _Scalars:
    """One regular expression for the records `add_scalar` writes, for the tags seen so far: a TFRecord (length,
    its CRC) whose Event holds wall_time, step and a Summary of one Value of that tag and a simple_value, then
    the data's CRC, each field's length byte written in the expression. A record it matches is decoded by
    the match (in C) and its length checked; any other goes through _event, which teaches it a new tag."""

    MAX_TAGS = 64  # past this many tags, the new ones go through _event

    def __init__(self) -> None:
        self.tags: dict[bytes, str] = {}  # the Summary's bytes up to simple_value's key -> the tag
        self.match = None

    def learn(self, event: tuple[int, list[tuple[str, float]]]) -> None:
        values = event[1]
        if len(values) != 1 or len(self.tags) >= self.MAX_TAGS:
            return
        tag = values[0][0].encode("utf-8")
        size = len(tag)
        if size + 9 > 0x7F:  # the Summary's length would take two varint bytes
            return
        head = bytes((0x2A, size + 9, 0x0A, size + 7, 0x0A, size)) + tag
        if head not in self.tags:
            self.tags[head] = values[0][0]
            alternatives = b"|".join(re.escape(h) for h in self.tags)
            self.match = re.compile(rb"(.{8}).{4}\x09.{8}\x10([\x80-\xff]{0,9}[\x00-\x7f])(" + alternatives +
                                    rb")\x15(.{4}).{4}", re.DOTALL).match


def _events(file: Path, notes: plain.Notes | None) -> Iterator[tuple[int, list[tuple[str, float]]]]:
    """(step, [(tag, scalar)]) for each event with scalars."""
    scalars = _Scalars()
    raw, step = b"", 0  # the last step matched: its varint bytes and value
    with source.open_binary(file) as handle:
        index = 0
        buf, pos = b"", 0
        while True:
            if scalars.match is not None:  # the records add_scalar writes, one match each
                match, tags, size, unpack = scalars.match, scalars.tags, int.from_bytes, _FLOAT.unpack
                while (found := match(buf, pos)) is not None:
                    end = found.end()
                    if size(found[1], "little") != end - pos - 16:  # the length the record gives itself
                        break
                    index += 1
                    if found[2] != raw:  # a new step (the scalars of one step are written one after another)
                        raw = found[2]
                        step = _signed(_varint(raw, 0)[0]) if len(raw) > 1 else raw[0]
                    yield step, [(tags[found[3]], unpack(found[4])[0])]
                    pos = end
            if len(buf) - pos < 12:
                buf, pos = buf[pos:] + _read(handle, file, CHUNK), 0
                if not buf:
                    return
                if len(buf) < 12:
                    break
            length, _ = _HEADER.unpack_from(buf, pos)
            if length > MAX_RECORD:
                raise plain.fail(file, index + 1, f"unreadable event record: a length of {length} bytes")
            end = pos + 12 + length + 4
            while len(buf) < end:
                more = _read(handle, file, max(CHUNK, end - len(buf)))
                if not more:
                    break
                buf += more
            if len(buf) < end:
                break
            index += 1
            try:
                event = _event(buf, pos + 12, pos + 12 + length)
            except (IndexError, ValueError, struct.error, UnicodeDecodeError) as exc:
                raise plain.fail(file, index, f"unreadable event record ({exc or type(exc).__name__}); "
                                              f"not a TensorBoard event file, or a damaged one") from None
            if event is not None:
                scalars.learn(event)
                yield event
            pos = end
            if pos > CHUNK:
                buf, pos = buf[pos:], 0
    if notes is not None:
        notes.append(f"{files.shown(file)}: record {index + 1} is cut short (still being written, or the file was "
                     f"cut); the {index} complete records before it were read")


def rows_in_head(file: Path, size: int) -> tuple[int, int]:
    """(records `read` makes of them, bytes) of the whole TFRecords within the first `size` bytes of `file`:
    how densely it holds rows, for merging a long log. (0, 0) when they do not decode: reading says why."""
    with source.open_binary(file) as handle:
        head = _read(handle, file, size)
    rows, pos, step = 0, 0, None
    try:
        while pos + 12 <= len(head):
            length, _ = _HEADER.unpack_from(head, pos)
            end = pos + 12 + length + 4
            if end > len(head):
                break
            event = _event(head, pos + 12, pos + 12 + length)
            if event is not None and event[0] != step:  # read merges the events of one step into one record
                rows, step = rows + 1, event[0]
            pos = end
    except (IndexError, ValueError, struct.error, UnicodeDecodeError):
        return 0, 0
    return rows, pos


def _read(handle: IO[bytes], file: Path, size: int) -> bytes:
    try:
        return handle.read(size)
    except source.STREAM_ERRORS as exc:
        raise source.corrupt(file, exc) from None


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("a varint longer than 10 bytes")


def _signed(value: int) -> int:
    """An int64 written as a varint: a negative one takes 10 bytes, two's complement."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _length(buf: bytes, pos: int) -> tuple[int, int]:
    """A length-delimited field's size and where its bytes start: one byte for sizes up to 127 (the common case,
    read without the varint loop), else a varint."""
    size = buf[pos]
    if size > 0x7F:
        return _varint(buf, pos)
    return size, pos + 1


def _skip(buf: bytes, pos: int, wire: int) -> int:
    if wire == 0:
        return _varint(buf, pos)[1]
    if wire == 1:
        return pos + 8
    if wire == 5:
        return pos + 4
    if wire == 2:
        size, pos = _varint(buf, pos)
        return pos + size
    raise ValueError(f"wire type {wire}")


def _event(buf: bytes, pos: int, end: int) -> tuple[int, list[tuple[str, float]]] | None:
    step, values = 0, None
    while pos < end:
        key = buf[pos]  # a one-byte varint, inline; longer ones through _varint
        pos += 1
        if key > 0x7F:
            key, pos = _varint(buf, pos - 1)
        if key == 0x10:  # field 2 (step), varint
            step, pos = _varint(buf, pos)
            step = _signed(step)
        elif key == 0x2A:  # field 5 (summary), length-delimited
            size, pos = _length(buf, pos)
            values = _summary(buf, pos, pos + size)
            pos += size
        else:
            pos = _skip(buf, pos, key & 7)
    if pos != end:
        raise ValueError("fields overrun the record")
    return (step, values) if values else None


def _summary(buf: bytes, pos: int, end: int) -> list[tuple[str, float]]:
    out = []
    while pos < end:
        key = buf[pos]  # a one-byte varint, inline; longer ones through _varint
        pos += 1
        if key > 0x7F:
            key, pos = _varint(buf, pos - 1)
        if key != 0x0A:  # field 1 (value)
            pos = _skip(buf, pos, key & 7)
            continue
        size, pos = _length(buf, pos)
        found = _value(buf, pos, pos + size)
        if found is not None:
            out.append(found)
        pos += size
    if pos != end:
        raise ValueError("summary fields overrun the record")
    return out


def _value(buf: bytes, pos: int, end: int) -> tuple[str, float] | None:
    tag, number = "", None
    while pos < end:
        key = buf[pos]  # a one-byte varint, inline; longer ones through _varint
        pos += 1
        if key > 0x7F:
            key, pos = _varint(buf, pos - 1)
        if key == 0x0A:  # field 1 (tag)
            size, pos = _length(buf, pos)
            tag = buf[pos:pos + size].decode("utf-8")
            pos += size
        elif key == 0x15:  # field 2 (simple_value), 32-bit
            number = _FLOAT.unpack_from(buf, pos)[0]
            pos += 4
        elif key == 0x42:  # field 8 (tensor)
            size, pos = _length(buf, pos)
            number = _tensor(buf, pos, pos + size)
            pos += size
        else:
            pos = _skip(buf, pos, key & 7)
    return (tag, number) if number is not None else None


def _tensor(buf: bytes, pos: int, end: int) -> float | None:
    """The value of a one-element numeric TensorProto; None for anything else (strings, histograms)."""
    dtype, elements = 0, []
    while pos < end:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if field == 1 and wire == 0:
            dtype, pos = _varint(buf, pos)
        elif field == 4 and wire == 2:  # tensor_content: the elements packed by dtype
            size, pos = _varint(buf, pos)
            elements.append(("content", bytes(buf[pos:pos + size])))
            pos += size
        elif field in _PACKED and wire == 2:
            size, pos = _varint(buf, pos)
            fmt = _PACKED[field]
            elements += [struct.unpack_from(fmt, buf, p)[0] for p in range(pos, pos + size, struct.calcsize(fmt))]
            pos += size
        elif field in _PACKED and wire in (1, 5):
            elements.append(struct.unpack_from(_PACKED[field], buf, pos)[0])
            pos += 8 if wire == 1 else 4
        elif field in (7, 10) and wire in (0, 2):  # int_val, int64_val: varints, packed or not
            stop = pos
            if wire == 2:
                size, pos = _varint(buf, pos)
                stop = pos + size
            while pos < stop or wire == 0:
                value, pos = _varint(buf, pos)
                elements.append(float(_signed(value)))
                if wire == 0:
                    break
        else:
            pos = _skip(buf, pos, wire)
    if len(elements) != 1:
        return None
    element = elements[0]
    if isinstance(element, tuple):
        layout = _DTYPES.get(dtype)
        if layout is None or len(element[1]) != layout[1]:
            return None
        return float(struct.unpack(layout[0], element[1])[0])
    return float(element)

