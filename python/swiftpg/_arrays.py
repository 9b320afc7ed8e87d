"""Validation of user arrays before they reach the C library.

Only lossless conversions happen: real-valued inputs become C-contiguous
float64 (float16/32 and integers convert exactly), integer actions become
int32 after a range check. Everything else — complex, object, string or
boolean arrays where numbers are expected, floats where integers are
expected, wrong shapes — raises before any native call.
"""

from __future__ import annotations

import numpy as np

from ._lib import InvalidArgumentError, NotFiniteError, SwiftPGError


class DTypeError(SwiftPGError, TypeError):
    """An array has a dtype that cannot be converted without loss."""


def _shape_text(shape) -> str:
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + (",)" if len(shape) == 1 else ")")


def check_shape(a: np.ndarray, shape, name: str) -> None:
    if len(a.shape) != len(shape) or any(s is not None and s != t for s, t in zip(shape, a.shape)):
        raise InvalidArgumentError(f"{name} must have shape {_shape_text(shape)}, got {a.shape}")


def as_float64(x, name: str, shape=None, finite: bool = True) -> np.ndarray:
    """``x`` as a C-contiguous float64 array (a copy only when needed)."""
    a = np.asarray(x)
    if a.dtype.kind not in "fiu" or (a.dtype.kind == "f" and a.dtype.itemsize > 8):
        raise DTypeError(f"{name} must be a real-valued (float or integer) array, got dtype {a.dtype}")
    if shape is not None:
        check_shape(a, shape, name)
    a = np.ascontiguousarray(a, dtype=np.float64)
    if finite and a.size and not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        raise NotFiniteError(f"{name}{list(bad)} is {a[tuple(bad)]}; values must be finite")
    return a


def as_actions(x, name: str, num_actions: int, shape) -> np.ndarray:
    """Discrete actions as C-contiguous int32, each in ``0 .. num_actions-1``."""
    a = np.asarray(x)
    if a.dtype.kind not in "iu":
        raise DTypeError(f"{name} must be an integer array, got dtype {a.dtype}")
    check_shape(a, shape, name)
    if a.size:
        lo, hi = a.min(), a.max()
        if lo < 0 or hi >= num_actions:
            bad = int(lo) if lo < 0 else int(hi)
            raise InvalidArgumentError(
                f"{name} contains {bad}, outside the action space {{0, ..., {num_actions - 1}}}"
            )
    return np.ascontiguousarray(a, dtype=np.int32)


def as_seed(seed, name: str = "seed") -> int:
    """A seed as an int in [0, 2**64)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise DTypeError(f"{name} must be an int in [0, 2**64) or None, got {seed!r}")
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise InvalidArgumentError(f"{name} must be in [0, 2**64), got {seed}")
    return seed


def as_count(value, name: str, minimum: int = 1, maximum: int = 2**31 - 1) -> int:
    """A positive integer count (rejects bools, floats and out-of-range ints)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise DTypeError(f"{name} must be an int, got {value!r}")
    value = int(value)
    if not minimum <= value <= maximum:
        raise InvalidArgumentError(f"{name} must be in [{minimum}, {maximum}], got {value}")
    return value
