"""The checkpoint container of Sources/SwiftPG/Core/Checkpoint.swift, written
once for the fuzzers and for the Python tests that build, read and tamper
with checkpoint files.

Layout, little-endian: ``b"SWPGCKPT"``; version, kind, family and the spec
count n (uint32 each; version 1); n float64 spec values; the parameter
count m (uint64); m float64 parameters; then the FNV-1a 64-bit hash of
everything before it.
"""

from __future__ import annotations

import struct

MAGIC = b"SWPGCKPT"


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def seal(body: bytes) -> bytes:
    """``body`` followed by its checksum: a file whose checksum is valid
    whatever the body says."""
    return bytes(body) + struct.pack("<Q", fnv1a64(bytes(body)))


def encode(kind: int, family: int, spec, params, checksum: bool = True) -> bytes:
    """A container with these fields (a zero checksum when ``checksum`` is false)."""
    body = MAGIC + struct.pack("<IIII", 1, kind, family, len(spec))
    body += b"".join(struct.pack("<d", float(v)) for v in spec)
    body += struct.pack("<Q", len(params)) + b"".join(struct.pack("<d", float(v)) for v in params)
    return seal(body) if checksum else body + struct.pack("<Q", 0)


def decode(data: bytes):
    """(kind, family, spec, params) of a container (``struct.error`` if it is cut short)."""
    _, kind, family, n = struct.unpack_from("<IIII", data, 8)
    spec = list(struct.unpack_from(f"<{n}d", data, 24))
    (m,) = struct.unpack_from("<Q", data, 24 + 8 * n)
    params = list(struct.unpack_from(f"<{m}d", data, 32 + 8 * n))
    return kind, family, spec, params


def try_decode(data: bytes):
    """``decode(data)``, or None for anything that is not a whole container."""
    if data[:8] != MAGIC:
        return None
    try:
        return decode(data)
    except (struct.error, MemoryError, OverflowError):
        return None
