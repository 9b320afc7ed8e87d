"""A pure-Python reader and writer of swiftpg bundles (checkpoint format
version 2, Sources/SwiftPG/Core/Serialization.swift), for inspecting
checkpoints and for the tests and fuzzers that damage them field by field.

``decode(data)`` returns ``(kind, record)``: ``kind`` is the bundle's object
kind (1 policy, 2 value function, 3 learner, 4 environment, 5 sequence
policy, 6 reward model) and ``record`` a dict of field name → ``(tag,
value)`` in file order, where ``tag`` is the
type tag (``INT`` … ``RECORDS``) and records nest as dicts (record lists as
lists of dicts). ``encode(kind, record)`` writes it back, with a fresh
checksum; ``encode(decode(b)) == b``. The library does not use this module.
"""

from __future__ import annotations

import struct

MAGIC = b"SWPGCKPT"
VERSION = 2
INT, UINT, DOUBLE, BOOL, TEXT, DOUBLES, INTS, WORDS, RECORD, RECORDS = range(1, 11)
KINDS = {1: "policy", 2: "value function", 3: "learner", 4: "environment", 5: "sequence policy", 6: "reward model"}


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


class _Reader:
    def __init__(self, data: bytes, end: int):
        self.data, self.at, self.end = data, 0, end

    def take(self, n: int) -> bytes:
        if n < 0 or self.at + n > self.end:
            raise ValueError(f"truncated at byte {self.at}")
        out = self.data[self.at:self.at + n]
        self.at += n
        return out

    def unpack(self, fmt: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))[0]

    def array(self, code: str) -> list:
        n = self.unpack("Q")
        if n * 8 > self.end - self.at:
            raise ValueError(f"an array of {n} elements at byte {self.at}")
        return list(struct.unpack(f"<{n}{code}", self.take(8 * n)))

    def record(self) -> dict:
        out = {}
        for _ in range(self.unpack("I")):
            name = self.take(self.unpack("B")).decode()
            tag = self.unpack("B")
            out[name] = (tag, self.value(tag))
        return out

    def value(self, tag: int):
        if tag == INT:
            return self.unpack("q")
        if tag == UINT:
            return self.unpack("Q")
        if tag == DOUBLE:
            return self.unpack("d")
        if tag == BOOL:
            return bool(self.unpack("B"))
        if tag == TEXT:
            return self.take(self.unpack("I")).decode()
        if tag in (DOUBLES, INTS, WORDS):
            return self.array({DOUBLES: "d", INTS: "q", WORDS: "Q"}[tag])
        if tag == RECORD:
            return self.record()
        if tag == RECORDS:
            return [self.record() for _ in range(self.unpack("I"))]
        raise ValueError(f"unknown type tag {tag}")


def decode(data: bytes) -> tuple[int, dict]:
    """``(kind, record)`` of a bundle; ValueError for anything else."""
    if data[:8] != MAGIC or len(data) < 28:
        raise ValueError("not a swiftpg checkpoint")
    version, kind = struct.unpack_from("<II", data, 8)
    if version != VERSION:
        raise ValueError(f"format version {version}, not a bundle")
    r = _Reader(data, len(data) - 8)
    r.at = 16
    record = r.record()
    if r.at != r.end:
        raise ValueError("trailing bytes")
    return kind, record


def _pack_record(record: dict) -> bytes:
    out = [struct.pack("<I", len(record))]
    for name, (tag, value) in record.items():
        raw = name.encode()
        out.append(struct.pack("<B", len(raw)) + raw + struct.pack("<B", tag))
        out.append(_pack_value(tag, value))
    return b"".join(out)


def _pack_value(tag: int, value) -> bytes:
    if tag == INT:
        return struct.pack("<q", value)
    if tag == UINT:
        return struct.pack("<Q", value)
    if tag == DOUBLE:
        return struct.pack("<d", value)
    if tag == BOOL:
        return struct.pack("<B", int(value))
    if tag == TEXT:
        raw = value.encode()
        return struct.pack("<I", len(raw)) + raw
    if tag in (DOUBLES, INTS, WORDS):
        code = {DOUBLES: "d", INTS: "q", WORDS: "Q"}[tag]
        return struct.pack("<Q", len(value)) + struct.pack(f"<{len(value)}{code}", *value)
    if tag == RECORD:
        return _pack_record(value)
    if tag == RECORDS:
        return struct.pack("<I", len(value)) + b"".join(_pack_record(r) for r in value)
    raise ValueError(f"unknown type tag {tag}")


def encode(kind: int, record: dict, version: int = VERSION) -> bytes:
    """The bundle of ``record`` (with a valid checksum)."""
    body = MAGIC + struct.pack("<II", version, kind) + _pack_record(record)
    return body + struct.pack("<Q", fnv1a64(body))


def paths(record: dict, prefix: tuple = ()):
    """Every field's path (tuples of names and list indices), depth first."""
    for name, (tag, value) in record.items():
        here = prefix + (name,)
        yield here, tag
        if tag == RECORD:
            yield from paths(value, here)
        elif tag == RECORDS:
            for i, r in enumerate(value):
                yield from paths(r, here + (i,))


def get(record: dict, path: tuple):
    """``(tag, value)`` at ``path``."""
    node = record
    for step in path[:-1]:
        node = node[step][1] if isinstance(step, str) else node[step]
    return node[path[-1]]


def set_field(record: dict, path: tuple, tag: int | None, value) -> None:
    """Sets (or, with ``tag`` None, removes) the field at ``path``."""
    node = record
    for step in path[:-1]:
        node = node[step][1] if isinstance(step, str) else node[step]
    if tag is None:
        del node[path[-1]]
    else:
        node[path[-1]] = (tag, value)
