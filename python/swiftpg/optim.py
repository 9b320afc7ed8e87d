"""First-order optimisers as public primitives: the exact steps the learners
take (Sources/SwiftPG/Optimizers/Adam.swift and SGD.swift), holding their
state in numpy arrays, for writing an algorithm from swiftpg's primitives
(``examples/ppo_from_primitives.py``). Like ``torch.optim`` they update the
parameter array in place; unlike it they take the gradient explicitly.

    opt = swiftpg.optim.Adam(policy.num_params, learning_rate=3e-4, epsilon=1e-5)
    theta = policy.get_params()
    opt.step(theta, gradient, ascend=True)      # gradient ascent on an objective
    policy.set_params(theta)
"""

from __future__ import annotations

import ctypes

import numpy as np

from . import _lib
from ._arrays import DTypeError, as_bool, as_count, as_float, as_float64
from ._lib import InvalidArgumentError

__all__ = ["Adam", "SGD"]


def _parameters(params, n: int) -> np.ndarray:
    """``params`` as the float64 C-contiguous array of n entries it must be
    (updated in place, so no copy is made)."""
    if not isinstance(params, np.ndarray) or params.dtype != np.float64 or not params.flags.c_contiguous \
            or not params.flags.writeable:
        raise DTypeError("params must be a writeable C-contiguous float64 numpy array (it is updated in place)")
    if params.shape != (n,):
        raise InvalidArgumentError(f"params must have shape ({n},), got {params.shape}")
    return params


def _aligned(params: np.ndarray) -> np.ndarray:
    """``params`` itself, or an aligned copy of a misaligned view (an odd
    byte offset of a buffer), which the library refuses; the caller copies
    the result back after a successful step."""
    return params if params.flags.aligned else np.require(params, requirements=["C", "A"])


class Adam:
    """Adam (Kingma & Ba 2015, Algorithm 1) with bias correction:
    ``m ← β₁m + (1−β₁)g``, ``v ← β₂v + (1−β₂)g²``,
    ``θ ← θ ∓ α (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)``.

    ``num_params``: the parameter count; ``m``, ``v`` (float64
    ``[num_params]``) and ``t`` are the state. Raises
    :class:`swiftpg.InvalidArgumentError` for hyperparameters out of range
    (learning_rate > 0, betas in [0, 1), epsilon > 0) and
    :class:`swiftpg.NotFiniteError` for a non-finite gradient; a failed step
    changes nothing."""

    def __init__(self, num_params: int, learning_rate: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8):
        self.num_params = as_count(num_params, "num_params", 1, 1 << 28)
        self.learning_rate = as_float(learning_rate, "learning_rate")
        self.beta1 = as_float(beta1, "beta1")
        self.beta2 = as_float(beta2, "beta2")
        self.epsilon = as_float(epsilon, "epsilon")
        self.m = np.zeros(self.num_params)
        self.v = np.zeros(self.num_params)
        self.t = 0

    def step(self, params: np.ndarray, gradient, ascend: bool = False) -> None:
        """One step of ``params`` (float64 ``[num_params]``, in place) along
        ``gradient`` — descent, or ascent with ``ascend=True``."""
        params = _parameters(params, self.num_params)
        p = _aligned(params)
        g = as_float64(gradient, "gradient", (self.num_params,))
        t = ctypes.c_int64(self.t)
        _lib.call("adam_step", self.num_params, p.ctypes.data, g.ctypes.data, self.m.ctypes.data, self.v.ctypes.data,
                  ctypes.byref(t), as_float(self.learning_rate, "learning_rate"), self.beta1, self.beta2,
                  self.epsilon, int(as_bool(ascend, "ascend")))
        if p is not params:
            params[...] = p
        self.t = t.value

    def __repr__(self) -> str:
        return (f"Adam(num_params={self.num_params}, learning_rate={self.learning_rate}, beta1={self.beta1}, "
                f"beta2={self.beta2}, epsilon={self.epsilon}, t={self.t})")


class SGD:
    """Stochastic gradient steps with heavy-ball momentum:
    ``velocity ← μ velocity + g``, ``θ ← θ ∓ α velocity`` (μ = 0: plain
    gradient descent / ascent, Kochenderfer Alg. 12.1). Errors as
    :class:`Adam`."""

    def __init__(self, num_params: int, learning_rate: float = 1e-2, momentum: float = 0.0):
        self.num_params = as_count(num_params, "num_params", 1, 1 << 28)
        self.learning_rate = as_float(learning_rate, "learning_rate")
        self.momentum = as_float(momentum, "momentum")
        self.velocity = np.zeros(self.num_params)

    def step(self, params: np.ndarray, gradient, ascend: bool = False) -> None:
        """One step of ``params`` (in place) along ``gradient``."""
        params = _parameters(params, self.num_params)
        p = _aligned(params)
        g = as_float64(gradient, "gradient", (self.num_params,))
        _lib.call("sgd_step", self.num_params, p.ctypes.data, g.ctypes.data, self.velocity.ctypes.data,
                  as_float(self.learning_rate, "learning_rate"), self.momentum, int(as_bool(ascend, "ascend")))
        if p is not params:
            params[...] = p

    def __repr__(self) -> str:
        return f"SGD(num_params={self.num_params}, learning_rate={self.learning_rate}, momentum={self.momentum})"
