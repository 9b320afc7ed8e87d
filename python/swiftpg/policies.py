"""Policies: a batch of observations in, a distribution over actions out.

Parameters are one flat float64 vector (``policy.params``), copied in and out
of Swift. Every method validates its arrays and raises before calling Swift.
"""

from __future__ import annotations

import ctypes

import numpy as np

from . import _lib
from ._arrays import DTypeError, as_actions, as_count, as_float64, as_seed
from ._lib import InvalidArgumentError, NativeObject

__all__ = ["SoftmaxPolicy"]


class SoftmaxPolicy(NativeObject):
    """Categorical policy π(a|s) = softmax(f_θ(s))_a with f_θ a multilayer
    perceptron (``hidden_sizes``, ``activation``) and a linear output layer.
    ``hidden_sizes=()`` gives the linear softmax policy θᵀφ(s, a) with
    φ(s, a) = one-hot(a) ⊗ (s, 1).

    Initialisation: orthogonal weights, gain √2 for hidden layers and
    ``head_gain`` (default 0.01) for the logit layer; zero biases.
    Parameter layout: per layer the weight matrix ``[out, in]`` (row-major)
    then the bias ``[out]``.
    """

    _kind_name = "policy"

    def __init__(
        self,
        observation_size: int,
        num_actions: int,
        hidden_sizes=(64, 64),
        activation: str = "tanh",
        head_gain: float = 0.01,
        seed: int = 0,
    ):
        observation_size = as_count(observation_size, "observation_size")
        num_actions = as_count(num_actions, "num_actions", 2)
        hidden = [as_count(h, "hidden size") for h in hidden_sizes]
        if activation not in _lib.ACTIVATION:
            raise InvalidArgumentError(f"activation must be one of {sorted(_lib.ACTIVATION)}, got {activation!r}")
        sizes = np.array(hidden or [0], np.int32)
        handle = ctypes.c_uint64()
        _lib.call(
            "policy_create_softmax", observation_size, num_actions, sizes.ctypes.data, len(hidden),
            _lib.ACTIVATION[activation], float(head_gain), as_seed(seed), ctypes.byref(handle),
        )
        self._adopt(handle.value, "swiftpg_policy_destroy")
        self.observation_size = observation_size
        self.num_actions = num_actions
        self.hidden_sizes = tuple(hidden)
        self.activation = activation
        o, a, n = ctypes.c_int32(), ctypes.c_int32(), ctypes.c_int64()
        _lib.call("policy_get_sizes", self._handle, ctypes.byref(o), ctypes.byref(a), ctypes.byref(n))
        self.num_params = n.value

    @classmethod
    def for_env(cls, env, **kwargs) -> "SoftmaxPolicy":
        """A policy sized for ``env`` (a :class:`swiftpg.VectorEnv`)."""
        return cls(env.observation_size, env.num_actions, **kwargs)

    def __repr__(self) -> str:
        return (f"SoftmaxPolicy(observation_size={self.observation_size}, num_actions={self.num_actions}, "
                f"hidden_sizes={self.hidden_sizes}, activation={self.activation!r}, num_params={self.num_params})")

    # -- parameters -------------------------------------------------------------
    def get_params(self) -> np.ndarray:
        """A copy of the parameter vector (float64 ``[num_params]``)."""
        out = np.empty(self.num_params)
        _lib.call("policy_get_params", self.handle, out.ctypes.data, self.num_params)
        return out

    def set_params(self, params) -> None:
        """Replaces the parameters (finite, shape ``[num_params]``)."""
        p = as_float64(params, "params", (self.num_params,))
        _lib.call("policy_set_params", self.handle, p.ctypes.data, self.num_params)

    params = property(get_params, set_params, doc="The parameter vector (a copy; assign to set).")

    def seed(self, seed: int) -> None:
        """Reseeds the policy's own sampling generator."""
        _lib.call("policy_seed", self.handle, as_seed(seed))

    # -- distribution -------------------------------------------------------------
    def _obs(self, observations) -> np.ndarray:
        obs = as_float64(observations, "observations")
        if obs.ndim == 1:
            obs = obs[None, :]
        if obs.ndim != 2 or obs.shape[1] != self.observation_size:
            raise InvalidArgumentError(
                f"observations must have shape (batch, {self.observation_size}), got {np.shape(observations)}"
            )
        return obs

    def sample(self, observations, greedy: bool = False) -> np.ndarray:
        """One action per observation row (int32 ``[batch]``); ``greedy``
        takes the most probable action."""
        obs = self._obs(observations)
        out = np.empty(obs.shape[0], np.int32)
        _lib.call("policy_sample", self.handle, obs.ctypes.data, obs.shape[0], int(bool(greedy)), out.ctypes.data)
        return out

    def probabilities(self, observations) -> np.ndarray:
        """π(·|s) for each row, float64 ``[batch, num_actions]``."""
        obs = self._obs(observations)
        out = np.empty((obs.shape[0], self.num_actions))
        _lib.call("policy_probabilities", self.handle, obs.ctypes.data, obs.shape[0], out.ctypes.data)
        return out

    def log_prob(self, observations, actions) -> np.ndarray:
        """log π(a_i|s_i), float64 ``[batch]``."""
        obs = self._obs(observations)
        act = as_actions(actions, "actions", self.num_actions, (obs.shape[0],))
        out = np.empty(obs.shape[0])
        _lib.call("policy_log_prob", self.handle, obs.ctypes.data, act.ctypes.data, obs.shape[0], out.ctypes.data)
        return out

    def entropy(self, observations) -> np.ndarray:
        """Entropy of π(·|s) for each row, float64 ``[batch]``."""
        obs = self._obs(observations)
        out = np.empty(obs.shape[0])
        _lib.call("policy_entropy", self.handle, obs.ctypes.data, obs.shape[0], out.ctypes.data)
        return out

    def score_gradient(self, observations, actions, weights) -> np.ndarray:
        """Σ_i w_i ∇_θ log π(a_i|s_i), float64 ``[num_params]``."""
        obs = self._obs(observations)
        b = obs.shape[0]
        act = as_actions(actions, "actions", self.num_actions, (b,))
        w = as_float64(weights, "weights", (b,))
        out = np.empty(self.num_params)
        _lib.call("policy_score_gradient", self.handle, obs.ctypes.data, act.ctypes.data, w.ctypes.data, b,
                  out.ctypes.data)
        return out

    def evaluate(self, env, episodes: int = 100, greedy: bool = True, seed: int = 0, num_envs: int = 16):
        """Runs ``episodes`` whole episodes and returns ``(returns, lengths)``
        (float64 and int32 arrays, in the order the episodes started).
        ``env`` is an environment id (a batch of ``num_envs`` is made and
        closed) or a :class:`swiftpg.VectorEnv` (reset with ``seed``)."""
        from .envs import VectorEnv

        episodes = as_count(episodes, "episodes", 1, 1 << 24)
        own = isinstance(env, str)
        if own:
            env = VectorEnv(env, min(as_count(num_envs, "num_envs"), episodes), seed=as_seed(seed))
        elif not isinstance(env, VectorEnv):
            raise DTypeError(f"env must be an environment id or a swiftpg.VectorEnv, got {type(env).__name__}")
        try:
            returns = np.empty(episodes)
            lengths = np.empty(episodes, np.int32)
            _lib.call("policy_evaluate", self.handle, env.handle, episodes, int(bool(greedy)), as_seed(seed),
                      returns.ctypes.data, lengths.ctypes.data)
            return returns, lengths
        finally:
            if own:
                env.close()
