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
from ._arrays import DTypeError, as_float64, check_elements
from ._lib import InvalidArgumentError
from .envs import VectorEnv
from .policies import Policy, _Categorical

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
    if not policy.discrete:
        raise InvalidArgumentError("exact.solve needs a discrete policy (a tabular MDP has finite actions)")
    assert isinstance(policy, _Categorical)            # every discrete policy family
    S, A = env.tabular_sizes()
    if policy.num_actions != A:
        raise InvalidArgumentError(f"the policy has {policy.num_actions} actions, the MDP {A}")
    d = policy.observation_size
    if observations is None and d != S:
        raise InvalidArgumentError(f"the policy observes {d} values; the one-hot states of this MDP have {S} "
                                   "(pass observations=[S, observation_size] for other observations)")
    check_elements(S * (3 * A + 2 + d), f"solving a {S}-state MDP")
    obs = None
    if observations is not None:
        obs = as_float64(observations, "observations")
        features = getattr(policy, "feature_size", None)
        if features is not None and obs.shape == (S, policy.num_actions, features):
            obs = obs.reshape(S, d)          # φ(s, a) rows of a LinearSoftmaxPolicy
        if obs.shape != (S, d):
            expected = f"({S}, {d})" + (f" or ({S}, {policy.num_actions}, {features})" if features else "")
            raise InvalidArgumentError(f"observations must have shape {expected} (one row per state), "
                                       f"got {obs.shape}")
    objective = ctypes.c_double()
    values, q, adv = np.empty(S), np.empty((S, A)), np.empty((S, A))
    visitation, gradient = np.empty(S), np.empty(policy.num_params)
    with env._busy, policy._busy:
        _lib.call("exact_solve", env.handle, policy.handle, None if obs is None else obs.ctypes.data,
                  ctypes.byref(objective), values.ctypes.data, q.ctypes.data, adv.ctypes.data,
                  visitation.ctypes.data, gradient.ctypes.data)
    seen = obs if obs is not None else np.eye(S)
    return {"objective": objective.value, "values": values, "q": q, "advantages": adv, "visitation": visitation,
            "gradient": gradient, "probabilities": policy.probabilities(seen)}
