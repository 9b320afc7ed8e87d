"""Training on any Gymnasium environment: Python steps the env with the
policy (:class:`GymnasiumCollector`), Swift updates on the collected batch
(:meth:`PolicyGradientLearner.update`).
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import _lib
from .._arrays import (DTypeError, as_actions, as_bool, as_callback, as_choice, as_count, as_flags, as_float, as_float64,
                       as_optional_number, as_path, as_seed, asarray, check_elements, check_shape, field_range)
from .._lib import InvalidArgumentError, NativeObject, ObjectLock
from ..envs import VectorEnv
from ..policies import (FactoredSoftmaxPolicy, GaussianPolicy, Policy, SoftmaxPolicy, ValueFunction, _Categorical,
                        action_factors, decode_actions, env_sizes, gymnasium_spaces)
from ._learner import PolicyGradientLearner, _call_policy_class, _check_policy_kwargs, _policy_arguments

__all__ = ["GymnasiumCollector", "for_gymnasium"]


class GymnasiumCollector:
    """Steps Gymnasium environments from Python with a swiftpg policy's
    batched sampling and returns time-major arrays for
    :meth:`PolicyGradientLearner.update`.

    ``envs``: one ``gymnasium.Env``, a list of them (one lane each), or a
    ``gymnasium.vector.VectorEnv`` made with
    ``vector_kwargs={"autoreset_mode": gymnasium.vector.AutoresetMode.SAME_STEP}``
    (with the default NEXT_STEP mode the reset step would look like a
    transition). Observations become float64 rows: Box as they are, Discrete
    and MultiDiscrete one-hot (as swiftpg's own tabular envs observe),
    MultiBinary as 0/1, Dict and Tuple flattened (``gymnasium.spaces.flatten``;
    other spaces raise InvalidArgumentError); continuous actions are clipped
    to the action space for the environment but stored unclipped.
    MultiDiscrete and MultiBinary actions: the policy samples the joint index
    a = Σ_k a_k · Π_{j<k} n_j over the flattened factors (``nvec``, or 2 per
    bit; see :class:`swiftpg.policies.FactoredSoftmaxPolicy`, the default of
    :func:`for_gymnasium` for them); the env receives the decoded actions
    (plus MultiDiscrete's ``start``, in the space's shape and dtype) and the
    joint index is stored for the update.
    Episodes continue across calls; ``episode_returns`` collects the returns
    of every finished episode. One collector used from two threads at once:
    the second call raises :class:`swiftpg.BusyError`."""

    def __init__(self, envs, policy: Policy, seed: int = 0):
        from gymnasium.vector import AutoresetMode, VectorEnv as GymVectorEnv

        if not isinstance(policy, Policy):
            raise DTypeError(f"policy must be a swiftpg Policy, got {type(policy).__name__}")
        self.policy = policy
        obs_space, space, self.num_lanes = gymnasium_spaces(envs)
        self.observation_size, self.discrete, k = env_sizes(envs)
        self.observation_space = obs_space
        from gymnasium import spaces as _spaces

        self._box = isinstance(obs_space, _spaces.Box)  # the other spaces go through spaces.flatten
        self.vector = isinstance(envs, GymVectorEnv)
        if self.vector:
            mode = envs.metadata.get("autoreset_mode")
            if mode != AutoresetMode.SAME_STEP:
                raise InvalidArgumentError(
                    "a Gymnasium VectorEnv must use autoreset_mode=AutoresetMode.SAME_STEP, e.g. "
                    "gymnasium.make_vec(id, n, vector_kwargs={'autoreset_mode': AutoresetMode.SAME_STEP}); "
                    f"this one uses {mode}")
            self.envs = envs
        else:
            self.envs = list(envs) if isinstance(envs, (list, tuple)) else [envs]
        if self.observation_size != policy.observation_size:
            raise InvalidArgumentError(f"the environment's observations have {self.observation_size} values but the "
                                       f"policy expects {policy.observation_size}")
        if self.discrete != policy.discrete or k != (policy.num_actions if policy.discrete else policy.action_size):
            what = "actions" if self.discrete else "action dimensions"
            raise InvalidArgumentError(
                f"the environment has {k} {'discrete' if self.discrete else 'continuous'} {what} but the policy has "
                + (f"{policy.num_actions} discrete actions" if policy.discrete
                   else f"{policy.action_size} continuous action dimensions"))
        self._factors = action_factors(space)
        if self._factors is not None:
            _check_factors_fit(policy, self._factors[0], space)
        self.low = None if self.discrete else np.asarray(space.low, np.float64).reshape(-1)
        self.high = None if self.discrete else np.asarray(space.high, np.float64).reshape(-1)
        self.seed = as_seed(seed)
        self._busy = ObjectLock("Gymnasium collector")
        self._obs: np.ndarray | None = None
        self._returns = np.zeros(self.num_lanes)
        self.episode_returns: list[float] = []
        self.total_steps = 0

    def _flat(self, obs) -> np.ndarray:
        """The lanes' observations as float64 ``[lanes, observation_size]``:
        Box observations as they are, the other spaces encoded with
        ``gymnasium.spaces.flatten`` (one-hot for Discrete)."""
        if not self._box:
            if self.vector:  # a batched observation of the vector env's batched space
                from gymnasium.vector.utils import iterate

                obs = list(iterate(self.envs.observation_space, obs))
            if not isinstance(obs, (list, tuple)) or len(obs) != self.num_lanes:
                raise InvalidArgumentError(f"expected {self.num_lanes} observations, got {type(obs).__name__}")
            return np.stack([self._flat_row(o) for o in obs])
        a = asarray(obs, "the environment's observations")
        if a.dtype.kind not in "fiub" or a.size != self.num_lanes * self.observation_size:
            raise InvalidArgumentError(
                f"the environment returned observations of dtype {a.dtype} and shape {a.shape}; expected "
                f"{self.num_lanes} × {self.observation_size} numbers")
        return np.asarray(a, np.float64).reshape(self.num_lanes, self.observation_size)

    def _flat_row(self, obs) -> np.ndarray:
        if not self._box:
            from gymnasium import spaces

            if not self.observation_space.contains(obs):
                raise InvalidArgumentError(f"the environment returned an observation outside its space "
                                           f"{self.observation_space}: {obs!r}")
            return np.asarray(spaces.flatten(self.observation_space, obs), np.float64).reshape(self.observation_size)
        a = asarray(obs, "the environment's final observation")
        if a.dtype.kind not in "fiub" or a.size != self.observation_size:
            raise InvalidArgumentError(f"the environment returned a final observation of dtype {a.dtype} and shape "
                                       f"{a.shape}; expected {self.observation_size} numbers")
        return np.asarray(a, np.float64).reshape(self.observation_size)

    def _env_actions(self, joint: np.ndarray) -> np.ndarray:
        """The environment's actions of the lanes' joint indices ``[lanes]``:
        themselves for a Discrete space, else ``[lanes, *shape]`` per-factor
        actions plus ``start`` in the space's dtype."""
        if self._factors is None:
            return joint
        sizes, start, shape, dtype = self._factors
        return (decode_actions(joint, sizes) + start).astype(dtype).reshape((joint.shape[0],) + shape)

    def _reset(self) -> None:
        if self.vector:
            obs, _ = self.envs.reset(seed=self.seed)
        else:
            if len({id(e) for e in self.envs}) != len(self.envs):
                raise InvalidArgumentError(
                    "envs lists the same environment object more than once; each lane steps its own environment "
                    "(one object would be stepped as several lanes)")
            obs = [e.reset(seed=(self.seed + i) % 2**64)[0] for i, e in enumerate(self.envs)]
        self._obs = self._flat(obs)

    def collect(self, steps: int) -> dict:
        """``steps`` steps of every lane; returns the keyword arguments of
        :meth:`PolicyGradientLearner.update`. The arrays are allocated up
        front: a request beyond ``swiftpg._arrays.MAX_ELEMENTS`` values (2 GiB)
        raises InvalidArgumentError before anything is allocated."""
        steps = as_count(steps, "steps")
        n, d = self.num_lanes, self.observation_size
        k = 1 if self.low is None else self.low.size  # low is None for discrete actions
        check_elements(steps * n * (2 * d + 4 + k), f"collecting {steps} steps of {n} lanes")
        with self._busy:
            return self._collect(steps)

    def _collect(self, steps: int) -> dict:
        if self._obs is None:
            self._reset()
        assert self._obs is not None                   # set by _reset
        n, d = self.num_lanes, self.observation_size
        obs = np.empty((steps, n, d))
        final = np.zeros((steps, n, d))
        rewards = np.empty((steps, n))
        terminated = np.zeros((steps, n), np.uint8)
        truncated = np.zeros((steps, n), np.uint8)
        actions = np.empty((steps, n), np.int32) if self.low is None else np.empty((steps, n, self.low.size))
        for t in range(steps):
            obs[t] = self._obs
            a = self.policy.sample(self._obs)
            actions[t] = a
            sent = self._env_actions(a) if self.discrete else np.clip(a, self.low, self.high)
            if self.vector:
                nxt, r, term, trunc, info = self.envs.step(sent)
                nxt = self._flat(nxt)
                done = np.logical_or(term, trunc)
                if done.any():
                    fin = info.get("final_obs")
                    for i in np.flatnonzero(done).tolist():
                        final[t, i] = self._flat_row(fin[i])
            else:
                rows, r, term, trunc = [], np.empty(n), np.zeros(n, bool), np.zeros(n, bool)
                for i, env in enumerate(self.envs):
                    step = sent[i].item() if self.discrete and self._factors is None else sent[i]
                    o, r[i], term[i], trunc[i], _ = env.step(step)
                    if term[i] or trunc[i]:
                        final[t, i] = self._flat_row(o)
                        o, _ = env.reset()
                    rows.append(o)
                nxt = self._flat(rows)
            rewards[t] = r
            terminated[t] = term
            truncated[t] = trunc
            self._returns += r
            for i in np.flatnonzero(np.logical_or(term, trunc)):
                self.episode_returns.append(float(self._returns[i]))
                self._returns[i] = 0.0
            self._obs = nxt
        self.total_steps += steps * n
        return dict(observations=obs, actions=actions, rewards=rewards, terminated=terminated,
                    truncated=truncated, next_observations=self._obs.copy(), final_observations=final)


def _check_factors_fit(policy: Policy, sizes, space) -> None:
    """A factored policy must have the factors of a MultiDiscrete /
    MultiBinary ``space`` (another discrete policy of the joint size acts on
    the joint index as a plain categorical)."""
    if isinstance(policy, FactoredSoftmaxPolicy) and tuple(policy.factor_sizes) != tuple(sizes):
        raise InvalidArgumentError(f"the policy's factor sizes {policy.factor_sizes} differ from those of the "
                                   f"action space {space}: {tuple(sizes)}")


def check_policy_fits(policy: Policy, env) -> None:
    """InvalidArgumentError unless ``policy`` takes the observations and
    gives the actions of the Gymnasium ``env``."""
    d, discrete, k = env_sizes(env)
    if policy.observation_size != d or policy.discrete != discrete or \
            k != (policy.num_actions if discrete else policy.action_size):
        raise InvalidArgumentError(f"the policy ({policy!r}) does not fit the environment (observations of {d} "
                                   f"values, {k} {'discrete actions' if discrete else 'action dimensions'})")
    space = gymnasium_spaces(env)[1] if not isinstance(env, VectorEnv) else None
    factors = action_factors(space) if space is not None else None
    if factors is not None:
        _check_factors_fit(policy, factors[0], space)


def for_gymnasium(algorithm: str, env, policy: Policy | None = None, config=None, *,
                  value: ValueFunction | None = None, hidden_sizes=(64, 64),
                  policy_kwargs: dict | None = None) -> "PolicyGradientLearner":
    """A learner of ``algorithm`` (a name of :data:`PG_ALGORITHMS`) with no
    swiftpg environment, sized from a Gymnasium ``env``: an ``Env``, a list
    of them (one lane each, as :class:`GymnasiumCollector` takes) or a
    ``VectorEnv``. Train it with :meth:`PolicyGradientLearner.learn_gymnasium`.
    The default policy: :class:`swiftpg.policies.SoftmaxPolicy` for Discrete
    actions, :class:`swiftpg.policies.FactoredSoftmaxPolicy` for
    MultiDiscrete and MultiBinary ones, :class:`GaussianPolicy` for Box."""
    from . import PG_ALGORITHMS
    cls = as_choice(algorithm, PG_ALGORITHMS, "algorithm")
    d, discrete, k = env_sizes(env)
    cfg = cls._checked_config(config)
    policy_kwargs = _check_policy_kwargs(policy_kwargs)
    seed = cfg.seed
    if policy is None:
        kwargs = _policy_arguments(policy_kwargs, hidden_sizes, seed)
        factors = action_factors(gymnasium_spaces(env)[1])
        if factors is not None:                 # MultiDiscrete / MultiBinary
            policy = _call_policy_class(FactoredSoftmaxPolicy, d, factors[0], **kwargs)
        else:
            policy = _call_policy_class(SoftmaxPolicy if discrete else GaussianPolicy, d, k, **kwargs)
    elif policy_kwargs:
        raise InvalidArgumentError("policy_kwargs configure the default policy; pass them or a policy, not both")
    elif not isinstance(policy, Policy):
        raise DTypeError(f"policy must be a swiftpg Policy, got {type(policy).__name__}")
    else:
        check_policy_fits(policy, env)
    self = cls.__new__(cls)
    self._init_native(None, policy, cfg, value, hidden_sizes)
    self.gymnasium_env = env
    return self
