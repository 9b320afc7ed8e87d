"""Exact policy evaluation and exact policy gradients of finite MDPs.

``solve(env, policy)`` works for swiftpg's tabular environments
(:func:`swiftpg.envs.tabular`, gridworlds, ``ShortCorridor-v0``) and any
discrete policy with the same number of actions: it returns J, V, Q,
advantages, the discounted state visitation and ∇J computed by the policy
gradient theorem (with the policy's own score vectors), for the discounted or
the finite-horizon objective of the MDP. Use it to check estimators: their
mean should match ``gradient``.
"""

from __future__ import annotations

import ctypes

import numpy as np

from . import _lib
from ._arrays import DTypeError, as_float64
from .envs import VectorEnv
from .policies import Policy

__all__ = ["solve"]


def solve(env: VectorEnv, policy: Policy, observations=None) -> dict:
    """Exact ``objective`` J, ``values`` V [S], ``q`` [S, A], ``advantages``
    [S, A], ``visitation`` d [S] (Σ_t γ^t Pr(s_t = s)), ``gradient`` ∇J
    [num_params] and ``probabilities`` π(a|s) [S, A].

    ``observations`` ``[S, policy.observation_size]``: what the policy sees
    in each state; default: the one-hot states of a tabular environment. For
    the short corridor (aliased observations) pass e.g. ``[[1.0]] * 4`` or
    the features of a :class:`~swiftpg.policies.LinearSoftmaxPolicy`."""
    if not isinstance(env, VectorEnv):
        raise DTypeError(f"env must be a swiftpg.VectorEnv, got {type(env).__name__}")
    if not isinstance(policy, Policy):
        raise DTypeError(f"policy must be a swiftpg policy, got {type(policy).__name__}")
    model = env.tabular_model()
    S, A = model["P"].shape[0], model["P"].shape[1]
    obs = None
    if observations is not None:
        obs = as_float64(observations, "observations")
        obs = np.ascontiguousarray(obs.reshape(S, -1))
        if obs.shape[1] != policy.observation_size:
            raise _lib.InvalidArgumentError(
                f"observations must be [{S}, {policy.observation_size}], got {np.shape(observations)}")
    objective = ctypes.c_double()
    values, q, adv = np.empty(S), np.empty((S, A)), np.empty((S, A))
    visitation, gradient = np.empty(S), np.empty(policy.num_params)
    _lib.call("exact_solve", env.handle, policy.handle, None if obs is None else obs.ctypes.data,
              ctypes.byref(objective), values.ctypes.data, q.ctypes.data, adv.ctypes.data, visitation.ctypes.data,
              gradient.ctypes.data)
    seen = obs if obs is not None else np.eye(S)
    return {"objective": objective.value, "values": values, "q": q, "advantages": adv, "visitation": visitation,
            "gradient": gradient, "probabilities": policy.probabilities(seen)}
