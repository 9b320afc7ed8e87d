"""Returns and advantages of time-major rollouts, as pure functions on numpy
arrays (so rollouts collected with any library can use them).

Shapes: ``rewards``, ``terminated``, ``truncated``: ``[T, N]`` (or ``[T]`` for
one environment); ``values``: ``[T + 1, N]``, V(s_t) for t = 0..T (row T is
the value of the observation after the last step); ``final_values``:
``[T, N]``, V of the final observation of an episode that ended at step t
(used where ``truncated`` and not ``terminated``; needed only if a step is
truncated).

The value that follows step t is 0 if it terminated, ``final_values[t]`` if
it was truncated (Pardo et al. 2018: bootstrap on time limits), and
``values[t + 1]`` otherwise; recursions stop at every episode end, so
rollouts from swiftpg's same-step autoreset (or Gymnasium's SAME_STEP mode)
are handled exactly. Unlike CleanRL's ``ppo.py`` and SB3's pre-2.0 buffers,
truncation is not treated as termination.
"""

from __future__ import annotations

import numpy as np

from . import _lib
from ._arrays import DTypeError, as_count, as_float64
from ._lib import InvalidArgumentError

__all__ = ["discounted_returns", "td_errors", "gae", "lambda_returns", "n_step_returns", "n_step_advantages"]


def _number(value, name, low=0.0, high=1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise DTypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not low <= value <= high:
        raise InvalidArgumentError(f"{name} must be in [{low}, {high}], got {value}")
    return value


def _flags(x, name, shape) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "biu":
        raise DTypeError(f"{name} must be booleans (or 0/1 integers), got dtype {a.dtype}")
    if a.shape != shape:
        raise InvalidArgumentError(f"{name} must have shape {shape}, got {a.shape}")
    if a.size and (a.min() < 0 or a.max() > 1):
        raise InvalidArgumentError(f"{name} must contain only 0 and 1")
    return np.ascontiguousarray(a, dtype=np.uint8)


def _prepare(rewards, terminated, truncated, values, final_values, needs_values):
    r = as_float64(rewards, "rewards")
    one_dimensional = r.ndim == 1
    if one_dimensional:
        r = r[:, None]
    if r.ndim != 2 or r.shape[0] < 1 or r.shape[1] < 1:
        raise InvalidArgumentError(f"rewards must have shape (T, N) or (T,), got {np.shape(rewards)}")
    T, N = r.shape

    def column(x):
        a = np.asarray(x)
        return a[:, None] if one_dimensional and a.ndim == 1 else a

    te = _flags(column(terminated), "terminated", (T, N))
    tr = _flags(column(truncated), "truncated", (T, N))
    v = None
    if values is not None:
        v = as_float64(column(values), "values", (T + 1, N))
    elif needs_values:
        raise InvalidArgumentError("values ([T + 1, N]) are required")
    f = None if final_values is None else as_float64(column(final_values), "final_values", (T, N))
    return r, te, tr, v, f, one_dimensional


def _call(name, rewards, terminated, truncated, values, final_values, needs_values, *extra):
    r, te, tr, v, f, one = _prepare(rewards, terminated, truncated, values, final_values, needs_values)
    out = np.empty(r.shape)
    _lib.call(name, r.shape[0], r.shape[1], r.ctypes.data, te.ctypes.data, tr.ctypes.data,
              None if v is None else v.ctypes.data, None if f is None else f.ctypes.data, *extra, out.ctypes.data)
    return out[:, 0] if one else out


def discounted_returns(rewards, terminated, truncated, gamma, values=None, final_values=None):
    """G_t = r_t + γ·next_t at episode ends, r_t + γ·G_{t+1} otherwise, with
    G_T = values[T]. Without ``values``: the reward-to-go Σ_{k≥t} γ^{k−t} r_k
    of each (complete) episode."""
    return _call("discounted_returns", rewards, terminated, truncated, values, final_values, False,
                 _number(gamma, "gamma"))


def td_errors(rewards, terminated, truncated, values, gamma, final_values=None):
    """δ_t = r_t + γ·next_t − V(s_t), the TD(0) advantage."""
    return _call("td_errors", rewards, terminated, truncated, values, final_values, True, _number(gamma, "gamma"))


def gae(rewards, terminated, truncated, values, gamma, lam, final_values=None):
    """GAE(γ, λ): Â_t = δ_t + γλ·Â_{t+1} within an episode (Schulman et al.
    2016, eq. 16). λ = 0 is TD(0); λ = 1 is the Monte Carlo advantage."""
    return _call("gae", rewards, terminated, truncated, values, final_values, True, _number(gamma, "gamma"),
                 _number(lam, "lam"))


def lambda_returns(rewards, terminated, truncated, values, gamma, lam, final_values=None):
    """TD(λ) returns Â_t + V(s_t): the value targets that go with GAE."""
    return _call("lambda_returns", rewards, terminated, truncated, values, final_values, True,
                 _number(gamma, "gamma"), _number(lam, "lam"))


def n_step_returns(rewards, terminated, truncated, gamma, n, values=None, final_values=None):
    """Σ_{l<m} γ^l r_{t+l} + γ^m·next with m ≤ n (fewer at episode or segment
    ends). n ≥ T gives the discounted return."""
    return _call("n_step_returns", rewards, terminated, truncated, values, final_values, False,
                 _number(gamma, "gamma"), as_count(n, "n", 1))


def n_step_advantages(rewards, terminated, truncated, values, gamma, n, final_values=None):
    """n-step returns − V(s_t) (Schulman et al. 2016, eqs. 11–14)."""
    return _call("n_step_advantages", rewards, terminated, truncated, values, final_values, True,
                 _number(gamma, "gamma"), as_count(n, "n", 1))
