"""Validation of user arrays before they reach the C library.

Only lossless conversions happen: real-valued inputs become C-contiguous,
aligned float64 (float16/32 and integers convert exactly), integer actions become
int32 after a range check. Everything else — complex, object, string or
boolean arrays where numbers are expected, floats where integers are
expected, wrong shapes — raises before any native call.
"""

from __future__ import annotations

import ctypes
import math
import os

import numpy as np

from ._lib import InvalidArgumentError, NotFiniteError, SwiftPGError

#: Most array elements a Python-side buffer sized by a user count may hold
#: (2**28 float64 values = 2 GiB); larger requests raise InvalidArgumentError
#: before anything is allocated.
MAX_ELEMENTS = 1 << 28


class DTypeError(SwiftPGError, TypeError):
    """An array has a dtype that cannot be converted without loss."""


def _shape_text(shape) -> str:
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + (",)" if len(shape) == 1 else ")")


def check_shape(a: np.ndarray, shape, name: str) -> None:
    if len(a.shape) != len(shape) or any(s is not None and s != t for s, t in zip(shape, a.shape)):
        raise InvalidArgumentError(f"{name} must have shape {_shape_text(shape)}, got {a.shape}")


def asarray(x, name: str, empty_dtype=None, shape=None) -> np.ndarray:
    """``np.asarray(x)``, with numpy's errors for ragged nested lists, huge
    ints and unconvertible objects turned into :class:`DTypeError`.

    An empty sequence (``[]``, ``()``, ``[[]]``; numpy would infer float64)
    is an empty array of the expected kind: of ``empty_dtype`` when given
    (so integer arguments accept it), and a flat ``[]`` or ``()`` has
    ``shape`` (None entries 0) when that shape has more dimensions and no
    element (``[]`` for tokens ``[0, L]``). An ndarray keeps its own dtype
    and shape."""
    if isinstance(x, np.ndarray):
        return x
    try:
        a = np.asarray(x)
    except (ValueError, TypeError, OverflowError) as exc:
        raise DTypeError(f"{name} must be an array of numbers, got {type(x).__name__} ({exc})") from None
    if a.size == 0 and a.dtype == np.float64:
        if empty_dtype is not None:
            a = a.astype(empty_dtype)
        if shape is not None and a.ndim == 1 and len(shape) > 1:
            empty = tuple(0 if s is None else s for s in shape)
            if math.prod(empty) == 0:
                a = a.reshape(empty)
    return a


def c_array(a: np.ndarray, dtype) -> np.ndarray:
    """``a`` as a C-contiguous, aligned array of ``dtype`` with ndim >= 1
    (a copy only when needed). ``np.ascontiguousarray`` alone keeps a
    misaligned view (an odd byte offset of a buffer, a field of a packed
    structured array), which the library refuses."""
    a = np.ascontiguousarray(a, dtype=dtype)
    if not a.flags.aligned:
        a = np.require(a, requirements=["C", "A"])
    return a


def first_bad(name: str, a: np.ndarray, bad: np.ndarray) -> str:
    """``name[i, j] is v`` for the first True entry of the mask ``bad``,
    with plain integers and float (never numpy reprs such as np.int64(0))."""
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"{name}[{', '.join(map(str, index))}] is {float(a[index])}"


def as_float64(x, name: str, shape=None, finite: bool = True) -> np.ndarray:
    """``x`` as a C-contiguous, aligned float64 array (a copy only when
    needed; an empty sequence is an empty array of ``shape``)."""
    a = asarray(x, name, shape=shape)
    if a.dtype.kind not in "fiu" or (a.dtype.kind == "f" and a.dtype.itemsize > 8):
        raise DTypeError(f"{name} must be a real-valued (float or integer) array, got dtype {a.dtype}")
    if shape is not None:
        check_shape(a, shape, name)
    a = c_array(a, np.float64)
    if finite and a.size and not np.isfinite(a).all():
        raise NotFiniteError(f"{first_bad(name, a, ~np.isfinite(a))}; values must be finite")
    return a


def as_actions(x, name: str, num_actions: int, shape) -> np.ndarray:
    """Discrete actions as C-contiguous, aligned int32, each in ``0 .. num_actions-1``."""
    a = asarray(x, name, np.int32, shape)
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
    return c_array(a, np.int32)


def as_flags(x, name: str, shape) -> np.ndarray:
    """Booleans or 0/1 numbers (integers, or floats exactly 0.0/1.0) of
    exactly ``shape`` as C-contiguous uint8."""
    a = asarray(x, name, shape=shape)
    if a.dtype.kind not in "biuf" or (a.dtype.kind == "f" and a.dtype.itemsize > 8):
        raise DTypeError(f"{name} must be booleans (or 0/1 numbers), got dtype {a.dtype}")
    if a.shape != tuple(shape):
        raise InvalidArgumentError(f"{name} must have shape {tuple(shape)}, got {a.shape}")
    if a.size and a.dtype != np.bool_:
        bad = (a != 0) & (a != 1)
        if bad.any():
            raise InvalidArgumentError(f"{name} must contain only 0 and 1 (booleans or 0/1 numbers), got "
                                       f"{a[bad].flat[0]!r}")
    if a.dtype == np.bool_ and a.flags.c_contiguous:
        return a.view(np.uint8)                             # no copy
    return c_array(a, np.uint8)


def as_bool(value, name: str) -> bool:
    """A flag: bool, numpy bool or the ints 0 and 1 (a string such as
    "False" would otherwise be silently true)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    raise DTypeError(f"{name} must be a bool, got {value!r}")


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


def ctype_range(ctype) -> tuple[int, int]:
    """The values a ctypes integer type can hold, e.g. (-2**31, 2**31 - 1)
    for ``c_int32``."""
    bits = 8 * ctypes.sizeof(ctype)
    if ctype(-1).value < 0:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def field_range(struct, field: str) -> tuple[int, int]:
    """The range of integer field ``field`` of a ctypes Structure class."""
    return ctype_range(dict(struct._fields_)[field])


def as_float(value, name: str, allow_bool: bool = False) -> float:
    """A Python float from an int or float (Python or numpy); ints too large
    for a float raise InvalidArgumentError. NaN and inf pass (the library
    checks the domain)."""
    if isinstance(value, (bool, np.bool_)):
        if allow_bool:
            return float(value)
        raise DTypeError(f"{name} must be a number, got {value!r}")
    if not isinstance(value, (int, float, np.integer, np.floating)):
        raise DTypeError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise InvalidArgumentError(f"{name} {value} is too large for a float64") from None


def set_fields(c, values: dict, convert_int) -> None:
    """Sets each of ``values`` (field name → value) on the ctypes config
    struct ``c``, converted by the field's type: ``seed`` by
    :func:`as_seed`, a double by :func:`as_float`, any other (integer)
    field by ``convert_int(value, name)``."""
    types = dict(c._fields_)
    for key, value in values.items():
        if key == "seed":
            value = as_seed(value)
        elif types[key] is ctypes.c_double:
            value = as_float(value, key)
        else:
            value = convert_int(value, key)
        setattr(c, key, value)


def as_choice(value, table, name: str):
    """``table[value]`` for a string key of ``table`` (a dict), else
    InvalidArgumentError listing the choices (DTypeError for a non-string)."""
    if not isinstance(value, str):
        raise DTypeError(f"{name} must be one of {sorted(table)}, got {value!r}")
    if value not in table:
        raise InvalidArgumentError(f"{name} must be one of {sorted(table)}, got {value!r}")
    return table[value]


def as_c_string(value, name: str) -> bytes:
    """A str for a C string argument (ids, parameter names, layouts) as
    UTF-8 bytes; an embedded NUL (which C would silently truncate at) raises."""
    if not isinstance(value, str):
        raise DTypeError(f"{name} must be a str, got {value!r}")
    if "\0" in value:
        raise InvalidArgumentError(f"{name} {value!r} contains a NUL character")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidArgumentError(f"{name} {value!r} cannot be encoded as UTF-8 ({exc.reason})") from None


def as_path(path, name: str = "path") -> bytes:
    """A file path (str, bytes or os.PathLike) as bytes for C; an empty path
    or one with an embedded NUL byte (which C would truncate at) raises."""
    try:
        raw = os.fspath(path)
    except TypeError:
        raise DTypeError(f"{name} must be a str, bytes or os.PathLike, got {type(path).__name__}") from None
    if not isinstance(raw, (str, bytes)):
        raise DTypeError(f"{name} must be a str, bytes or os.PathLike, got {type(path).__name__}")
    try:
        data = os.fsencode(raw)
    except UnicodeEncodeError as exc:
        raise InvalidArgumentError(f"{name} {raw!r} cannot be encoded ({exc.reason})") from None
    if b"\0" in data:
        raise InvalidArgumentError(f"{name} {raw!r} contains a NUL byte")
    if not data:
        raise InvalidArgumentError(f"{name} must not be empty")
    return data


def check_elements(count: int, what: str, limit: int | None = None) -> None:
    """Refuses a Python-side buffer of ``count`` elements above ``limit``
    (default: this module's ``MAX_ELEMENTS``, read at each call)."""
    if limit is None:
        limit = MAX_ELEMENTS
    if count > limit:
        raise InvalidArgumentError(
            f"{what} would need {count} values ({count * 8 / 2**30:.3g} GiB as float64), more than the limit "
            f"of {limit}; use smaller counts")


def as_callback(fn, name: str = "callback"):
    """None or a callable."""
    if fn is not None and not callable(fn):
        raise DTypeError(f"{name} must be callable or None, got {type(fn).__name__}")
    return fn


def as_optional_number(value, name: str):
    """None or a float (for thresholds such as ``stop_at_return``)."""
    if value is None:
        return None
    v = as_float(value, name)
    if math.isnan(v):
        raise NotFiniteError(f"{name} must not be NaN")
    return v
