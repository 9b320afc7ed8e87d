"""Training algorithms. Each iteration is one call into Swift (collect,
estimate, update); Python drives the loop, so progress output, callbacks,
early stopping and Ctrl-C work as usual.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Callable

from . import _lib
import numpy as np

from ._arrays import (DTypeError, as_actions, as_bool, as_callback, as_choice, as_count, as_flags, as_float, as_float64,
                      as_optional_number, as_path, as_seed, asarray, check_elements, check_shape, field_range)
from ._lib import InvalidArgumentError, NativeObject, ObjectLock
from .envs import VectorEnv
from .policies import (GaussianPolicy, Policy, SoftmaxPolicy, ValueFunction, _Categorical, env_sizes,
                       gymnasium_spaces)

__all__ = [
    "ReinforceConfig", "ActorCriticConfig", "A2CConfig", "OffPolicyPGConfig", "NPGConfig", "TRPOConfig",
    "PPOConfig", "TrainStats", "IterationStats", "PolicyGradientLearner", "REINFORCE", "ActorCritic", "A2C",
    "OffPolicyPG", "NPG", "TRPO", "PPO", "PG_ALGORITHMS", "SearchConfig", "SearchStats", "PolicySearch",
]


def _set_numbers(config, c, names) -> None:
    """Copies the float fields ``names`` of a config dataclass into its C struct."""
    for name in names:
        setattr(c, name, as_float(getattr(config, name), name))


def _set_int(c, name: str, value, minimum=None) -> None:
    """Stores an int config field after checking it fits the C field's width
    (an int32 field never silently wraps ``2**32 + 3`` to 3)."""
    lo, hi = field_range(type(c), name)
    if minimum is not None:
        lo = max(lo, minimum)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise DTypeError(f"{name} must be an int, got {value!r}")
    if not lo <= int(value) <= hi:
        raise InvalidArgumentError(f"{name} must be in [{lo}, {hi}], got {int(value)}")
    setattr(c, name, int(value))


class _Replaceable:
    """``replace(**changes)`` for config dataclasses, refusing unknown fields."""

    _label = "config"

    def __init__(self, *args, **kwargs):
        # Reached only by the abstract bases (the configs are dataclasses
        # with their own __init__).
        raise DTypeError(f"{type(self).__name__} is an abstract base class and cannot be created; use one of "
                         "ReinforceConfig, ActorCriticConfig, A2CConfig, OffPolicyPGConfig, NPGConfig, TRPOConfig, "
                         "PPOConfig or SearchConfig")

    def replace(self, **changes):
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise InvalidArgumentError(f"unknown {self._label} field(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)


# --- policy-gradient algorithms ------------------------------------------------

#: Every field of the policy-gradient configuration: (kind, documentation).
#: Kinds: "count", "int" (signed), "float", "bool", "seed" or a choice table.
_PG_FIELDS = {
    "steps_per_env": ("count", "steps T of every environment per iteration (fixed-length segments)"),
    "steps_per_iteration": ("count", "minimum transitions per iteration, whole episodes"),
    "gamma": ("float", "discount γ ∈ [0, 1]"),
    "weighting": (_lib.WEIGHTING, "what multiplies ∇log π: full_return R(τ), reward_to_go G_t, "
                                   "discounted_reward_to_go γᵗG_t"),
    "baseline": (_lib.BASELINE, "none, mean (batch mean), optimal (per-parameter constant), value (learned V(s))"),
    "advantage": (_lib.ADVANTAGE, "gae (GAE(γ, λ)) or n_step"),
    "gae_lambda": ("float", "GAE λ ∈ [0, 1]"),
    "n_steps": ("count", "n of n-step advantages"),
    "value_target": (_lib.VALUE_TARGET, "critic targets: bootstrap (λ-/n-step returns) or monte_carlo"),
    "value_epochs": ("int", "critic passes over each batch"),
    "normalize_advantages": ("bool", "standardise advantages / weights (PPO: per minibatch)"),
    "optimizer": (_lib.OPTIMIZER, "adam or sgd (policy and critic)"),
    "learning_rate": ("float", "policy step size"),
    "value_learning_rate": ("float", "critic step size (0: learning_rate)"),
    "adam_epsilon": ("float", "Adam ε"),
    "max_grad_norm": ("float", "rescale the (joint) gradient to this L2 norm; 0: off"),
    "max_grad_value": ("float", "clamp each gradient component to ±this before the step (clip_gradient); 0: off"),
    "anneal_learning_rate": ("bool", "decay the learning rate linearly to 0 over total_env_steps"),
    "anneal_clip_range": ("bool", "decay ε linearly to 0 over total_env_steps"),
    "total_env_steps": ("int", "horizon of the annealing schedules (needed when annealing)"),
    "epochs": ("count", "passes over each batch"),
    "minibatch_size": ("int", "minibatch size, must divide num_envs × steps_per_env (0: whole batch)"),
    "clip_range": ("float", "ε of the clipped surrogate"),
    "value_clip_range": ("float", "clip V − V_old to ±this (0: off)"),
    "entropy_coef": ("float", "entropy bonus coefficient"),
    "value_coef": ("float", "critic loss coefficient"),
    "target_kl": ("float", "stop the epochs once approx KL > 1.5 × this (0: off)"),
    "kl_penalty": ("bool", "PPO-KL: maximise ρÂ − β KL(π_old ‖ π) instead of clipping"),
    "kl_beta": ("float", "PPO-KL: initial β"),
    "kl_target": ("float", "PPO-KL: target KL d_targ (β halves below d/1.5, doubles above 1.5d)"),
    "max_kl": ("float", "KL budget δ of the natural step"),
    "cg_iterations": ("count", "conjugate-gradient iterations"),
    "cg_damping": ("float", "damping added to the Fisher matrix"),
    "backtrack_ratio": ("float", "line-search step fraction per backtrack, in (0, 1)"),
    "line_search_steps": ("int", "line-search backtracks (0: NPG's full step)"),
    "reuse_batches": ("count", "batches reused per update, the current one included"),
    "per_decision": ("bool", "per-decision (else trajectory-level) importance weights"),
    "importance_clip": ("float", "truncate importance weights at this value (inf: none)"),
    "normalize_observations": ("bool", "running mean/std observation normalisation (saved in checkpoints)"),
    "normalize_rewards": ("bool", "divide rewards by the running std of the discounted return"),
    "episode_average": ("bool", "divide the summed gradient by the number of episodes (Sutton & Barto) "
                                "instead of steps"),
    "shared_network": ("bool", "policy and critic share their hidden layers (the value loss trains them too)"),
    "update_threads": ("count", "1, or 2 to run each minibatch's policy and critic passes concurrently (same results)"),
    "clip_observations": ("float", "clip normalised observations to ±this"),
    "clip_rewards": ("float", "clip scaled rewards to ±this"),
    "seed": ("seed", "seeds action sampling and minibatch shuffling"),
}

_COMMON = ["gamma", "learning_rate", "optimizer", "adam_epsilon", "max_grad_norm", "max_grad_value", "entropy_coef",
           "seed"]
_EPISODIC = ["steps_per_iteration", "weighting", "baseline", "normalize_advantages", "value_learning_rate",
             "value_epochs", "episode_average"]
_CRITIC = ["steps_per_env", "advantage", "gae_lambda", "n_steps", "value_target", "value_epochs",
           "normalize_advantages", "value_learning_rate", "anneal_learning_rate", "total_env_steps",
           "normalize_observations", "normalize_rewards", "clip_observations", "clip_rewards"]
_PG_ALGORITHM_FIELDS = {
    "reinforce": _COMMON + _EPISODIC,
    "offpolicy-pg": _COMMON + _EPISODIC + ["reuse_batches", "per_decision", "importance_clip"],
    "actor-critic": _COMMON + ["steps_per_env", "value_learning_rate", "value_epochs", "normalize_advantages"],
    "a2c": _COMMON + _CRITIC + ["value_coef", "minibatch_size"],
    "npg": _COMMON + _CRITIC + ["max_kl", "cg_iterations", "cg_damping", "minibatch_size"],
    "trpo": _COMMON + _CRITIC + ["max_kl", "cg_iterations", "cg_damping", "backtrack_ratio", "line_search_steps",
                                 "minibatch_size"],
    "ppo": _COMMON + _CRITIC + ["epochs", "minibatch_size", "clip_range", "anneal_clip_range", "value_clip_range",
                                "value_coef", "target_kl", "kl_penalty", "kl_beta", "kl_target", "shared_network",
                                "update_threads"],
}


def _c_defaults(algorithm: str) -> _lib.PGConfigC:
    c = _lib.PGConfigC()
    _lib.call("pg_default_config", _lib.ALGORITHM[algorithm], ctypes.byref(c))
    return c


class _PGConfig(_Replaceable):
    """Shared behaviour of the policy-gradient configurations."""

    _algorithm = ""

    def to_c(self) -> _lib.PGConfigC:
        c = _c_defaults(self._algorithm)
        for f in dataclasses.fields(self):
            kind = _PG_FIELDS[f.name][0]
            value = getattr(self, f.name)
            if isinstance(kind, dict):
                setattr(c, f.name, as_choice(value, kind, f.name))
            elif kind == "bool":
                if not isinstance(value, (bool, int, np.bool_, np.integer)) or value not in (0, 1):
                    raise DTypeError(f"{f.name} must be a bool, got {value!r}")
                setattr(c, f.name, int(value))
            elif kind == "count":
                _set_int(c, f.name, value, minimum=1)
            elif kind == "int":
                _set_int(c, f.name, value)
            elif kind == "seed":
                setattr(c, f.name, as_seed(value))
            else:
                _set_numbers(self, c, (f.name,))
        return c

    @classmethod
    def describe(cls) -> str:
        """One line per field: name, default, meaning."""
        if not dataclasses.is_dataclass(cls):
            raise DTypeError(f"{cls.__name__} is an abstract base class; call describe() of an algorithm's config "
                             "(e.g. PPOConfig.describe())")
        return "\n".join(f"{f.name} = {f.default!r}: {_PG_FIELDS[f.name][1]}" for f in dataclasses.fields(cls))


def _make_config(name: str, algorithm: str, title: str) -> type:
    c = _c_defaults(algorithm)
    specs = []
    for fname in _PG_ALGORITHM_FIELDS[algorithm]:
        kind = _PG_FIELDS[fname][0]
        raw = getattr(c, fname)
        if isinstance(kind, dict):
            default = next(k for k, v in kind.items() if v == raw)
        elif kind == "bool":
            default = bool(raw)
        elif kind in ("count", "int", "seed"):
            default = int(raw)
        else:
            default = float(raw)
        specs.append((fname, type(default), field(default=default)))
    cls = dataclasses.make_dataclass(name, specs, bases=(_PGConfig,))
    cls._algorithm = algorithm
    cls._label = f"{title} config"
    cls.__module__ = __name__
    lines = "\n".join(f"    - ``{f.name}`` (default ``{f.default!r}``): {_PG_FIELDS[f.name][1]}"
                      for f in dataclasses.fields(cls))
    cls.__doc__ = f"Configuration of :class:`{title}` (defaults from the library).\n\n{lines}\n"
    return cls


ReinforceConfig = _make_config("ReinforceConfig", "reinforce", "REINFORCE")
ActorCriticConfig = _make_config("ActorCriticConfig", "actor-critic", "ActorCritic")
A2CConfig = _make_config("A2CConfig", "a2c", "A2C")
OffPolicyPGConfig = _make_config("OffPolicyPGConfig", "offpolicy-pg", "OffPolicyPG")
NPGConfig = _make_config("NPGConfig", "npg", "NPG")
TRPOConfig = _make_config("TRPOConfig", "trpo", "TRPO")
PPOConfig = _make_config("PPOConfig", "ppo", "PPO")


@dataclass
class TrainStats:
    """What one training iteration did (NaN returns when no episode ended)."""

    iteration: int
    env_steps: int
    total_env_steps: int
    episodes: int
    update_steps: int
    mean_return: float
    std_return: float
    min_return: float
    max_return: float
    mean_length: float
    policy_loss: float
    value_loss: float
    entropy: float
    approx_kl: float
    clip_fraction: float
    explained_variance: float
    grad_norm: float
    learning_rate: float
    extra: float
    seconds: float
    #: Environment steps per second of this iteration (collection + update).
    steps_per_second: float = field(default=0.0)

    @classmethod
    def from_c(cls, c: _lib.TrainStatsC) -> "TrainStats":
        values = {f.name: getattr(c, f.name) for f in dataclasses.fields(cls) if f.name != "steps_per_second"}
        stats = cls(**values)
        stats.steps_per_second = stats.env_steps / stats.seconds if stats.seconds > 0 else math.inf
        return stats

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


#: Kept for code written against the first REINFORCE release.
IterationStats = TrainStats


def _check_policy_kwargs(policy_kwargs) -> dict | None:
    """``policy_kwargs`` after checking it is None or a dict with str keys
    (checked before any truth test: an array's truth value would raise)."""
    if policy_kwargs is None:
        return None
    if not isinstance(policy_kwargs, dict):
        raise DTypeError(f"policy_kwargs must be a dict or None, got {type(policy_kwargs).__name__}")
    if not all(isinstance(k, str) for k in policy_kwargs):
        raise DTypeError("policy_kwargs keys must be str")
    return policy_kwargs


def _policy_arguments(policy_kwargs, hidden_sizes, seed) -> dict:
    """Keyword arguments of a default policy: ``policy_kwargs`` over the
    learner's hidden sizes and seed."""
    policy_kwargs = _check_policy_kwargs(policy_kwargs)
    return dict(dict(hidden_sizes=hidden_sizes, seed=seed), **(policy_kwargs or {}))


def _call_policy_class(family, *args, **kwargs):
    """``family(*args, **kwargs)`` with an unknown keyword reported as
    swiftpg's DTypeError (a TypeError, as Python reports unknown keywords)."""
    import inspect

    known = inspect.signature(family.__init__).parameters
    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        raise DTypeError(f"{family.__name__} has no argument(s) {', '.join(unknown)} (policy_kwargs)")
    return family(*args, **kwargs)


class PolicyGradientLearner(NativeObject):
    """A policy-gradient learner in Swift. Subclasses fix the algorithm.

    ``env``: an environment id or a :class:`swiftpg.VectorEnv` (stepped in
    Swift by :meth:`iterate`); any Gymnasium env can instead be stepped by
    Python with :meth:`learn_from` / :meth:`update`. ``policy``: by default a
    tanh MLP (``hidden_sizes``) — categorical for discrete actions, Gaussian
    (state-independent log σ) for continuous ones; ``policy_kwargs`` are
    passed to that default policy's class (e.g. ``dict(gsde=True,
    initial_log_std=-2.0)`` for a :class:`GaussianPolicy` with gSDE
    exploration, or ``dict(precision="float32")``). ``value``: the critic, by
    default an MLP of the same shape and precision when the algorithm needs one.

    Threads: a learner used by two threads at once raises
    :class:`swiftpg.BusyError` in the second.
    """

    _kind_name = "policy-gradient learner"
    _config_class: type = object            # set by each algorithm's class; object marks the abstract base
    _default_hidden = (64, 64)

    def __init__(self, env, policy: Policy | None = None, config=None, *, value: ValueFunction | None = None,
                 num_envs: int = 8, hidden_sizes=None, policy_kwargs: dict | None = None):
        config = self._checked_config(config)
        policy_kwargs = _check_policy_kwargs(policy_kwargs)
        cfg = config.to_c()
        hidden = self._default_hidden if hidden_sizes is None else hidden_sizes
        if isinstance(env, str):
            env = VectorEnv(env, as_count(num_envs, "num_envs", 1, 4096), seed=cfg.seed)
        elif not isinstance(env, VectorEnv):
            raise DTypeError(f"env must be an environment id or a swiftpg.VectorEnv, got {type(env).__name__}"
                             " (for a Gymnasium env use swiftpg.algorithms.for_gymnasium)")
        if policy is None:
            family = SoftmaxPolicy if env.discrete else GaussianPolicy
            d, _, k = env_sizes(env)
            policy = _call_policy_class(family, d, k, **_policy_arguments(policy_kwargs, hidden, cfg.seed))
        elif policy_kwargs:                  # a dict (checked above)
            raise InvalidArgumentError("policy_kwargs configure the default policy; pass them or a policy, not both")
        self._init_native(env, policy, config, value, hidden)

    @classmethod
    def _checked_config(cls, config):
        """``config`` (None: the defaults) after checking its class (and that
        ``cls`` is an algorithm, not this abstract base)."""
        if not (isinstance(cls._config_class, type) and issubclass(cls._config_class, _PGConfig)):
            raise DTypeError(f"{cls.__name__} is the abstract base of the policy-gradient learners and cannot be "
                             f"created; use one of {', '.join(c.__name__ for c in PG_ALGORITHMS.values())} "
                             "(or swiftpg.algorithms.for_gymnasium)")
        config = cls._config_class() if config is None else config
        if not isinstance(config, cls._config_class):
            raise DTypeError(f"config must be a {cls._config_class.__name__}, got {type(config).__name__}")
        return config

    def _init_native(self, env, policy, config, value, hidden) -> None:
        """Creates the native learner; ``config`` was checked by ``_checked_config``."""
        self.config = config
        cfg = config.to_c()
        if not isinstance(policy, Policy):
            raise DTypeError(f"policy must be a swiftpg Policy, got {type(policy).__name__}")
        needs_value = self.config._algorithm not in ("reinforce", "offpolicy-pg") or cfg.baseline == 3
        if value is None and needs_value:
            value = ValueFunction(policy.observation_size, hidden_sizes=hidden, seed=(cfg.seed + 1) % 2**64,
                                  precision=getattr(policy, "precision", "float64"))
        elif value is not None and not isinstance(value, ValueFunction):
            raise DTypeError(f"value must be a swiftpg ValueFunction, got {type(value).__name__}")
        self.env = env
        self.policy = policy
        self.value = value
        handle = ctypes.c_uint64()
        _lib.call("pg_create", env.handle if env is not None else 0, policy.handle,
                  value.handle if value is not None else 0, ctypes.byref(cfg), ctypes.byref(handle))
        self._adopt(handle.value, "swiftpg_algorithm_destroy")
        self.history: list[TrainStats] = []

    def learn_gymnasium(self, env, total_env_steps: int, steps_per_env: int | None = None,
                        callback: Callable[[TrainStats], bool | None] | None = None, seed: int = 0):
        """Trains on a Gymnasium ``env`` (see :class:`GymnasiumCollector`):
        Python steps it with the policy, Swift updates. ``steps_per_env``
        defaults to the config's (``steps_per_env``, or for episodic
        algorithms ``steps_per_iteration`` / lanes). Returns the collector
        (its ``episode_returns`` hold every finished episode's return)."""
        total_env_steps = as_count(total_env_steps, "total_env_steps", 1, 2**62)
        callback = as_callback(callback)
        if steps_per_env is not None:
            steps_per_env = as_count(steps_per_env, "steps_per_env")
        collector = GymnasiumCollector(env, self.policy, seed=seed)
        if steps_per_env is None:
            c = self.config
            steps_per_env = getattr(c, "steps_per_env", None) or max(
                1, getattr(c, "steps_per_iteration", 1000) // collector.num_lanes)
        while collector.total_steps < total_env_steps:
            stats = self.update(**collector.collect(steps_per_env))
            if callback is not None and callback(stats):
                break
        return collector

    @property
    def total_env_steps(self) -> int:
        return self.history[-1].total_env_steps if self.history else 0

    def iterate(self) -> TrainStats:
        """One iteration (collect from ``env``, estimate, update) in Swift."""
        c = _lib.TrainStatsC()
        with self._busy:
            _lib.call_interruptible("pg_iterate", self.handle, self.handle, ctypes.byref(c))
            stats = TrainStats.from_c(c)
            self.history.append(stats)
        return stats

    def update(self, observations, actions, rewards, terminated, truncated, next_observations,
               final_observations=None) -> TrainStats:
        """One update on transitions collected elsewhere, time-major
        ``[T, N]`` (see :func:`collect_gymnasium`): ``observations``
        ``[T, N, obs]``, ``actions`` ``[T, N]`` ints or ``[T, N, act]`` floats,
        ``rewards``/``terminated``/``truncated`` ``[T, N]``,
        ``next_observations`` ``[N, obs]`` (after the last step) and
        ``final_observations`` ``[T, N, obs]`` (read where truncated)."""
        policy = self.policy
        d = policy.observation_size
        obs = as_float64(observations, "observations", (None, None, d))
        t, n, _ = obs.shape
        if t < 1 or n < 1:
            raise InvalidArgumentError(f"observations must hold at least one step of one lane, got shape {obs.shape}")
        if policy.discrete:
            act = as_actions(actions, "actions", policy.num_actions, (t, n))
        else:
            k = policy.action_size
            act = as_float64(actions, "actions")
            if act.shape == (t, n) and k == 1:
                act = act.reshape(t, n, 1)
            check_shape(act, (t, n, k), "actions")
        rew = as_float64(rewards, "rewards", (t, n))
        term = as_flags(terminated, "terminated", (t, n))
        trunc = as_flags(truncated, "truncated", (t, n))
        nxt = as_float64(next_observations, "next_observations", (n, d))
        fin = None if final_observations is None else as_float64(final_observations, "final_observations",
                                                                  (t, n, d), finite=False)
        c = _lib.TrainStatsC()
        dp = ctypes.POINTER(ctypes.c_double)
        u8 = ctypes.POINTER(ctypes.c_uint8)
        with self._busy:
            _lib.call("pg_update", self.handle, t, n, obs.ctypes.data_as(dp), act.ctypes.data,
                      rew.ctypes.data_as(dp), term.ctypes.data_as(u8), trunc.ctypes.data_as(u8),
                      None if fin is None else fin.ctypes.data_as(dp), nxt.ctypes.data_as(dp), ctypes.byref(c))
            stats = TrainStats.from_c(c)
            self.history.append(stats)
        return stats

    def train(self, total_env_steps: int, callback: Callable[[TrainStats], bool | None] | None = None,
              stop_at_return: float | None = None, checkpoint: str | None = None,
              stop_window: int = 2) -> list[TrainStats]:
        """Iterates until ``total_env_steps`` transitions were used.
        ``callback(stats)`` runs after each iteration; returning True stops.
        ``stop_at_return``: stop once the training mean return of
        ``stop_window`` consecutive iterations that ended episodes reaches it.
        ``checkpoint``: a path saved after every iteration (an iteration that
        fails numerically raises before saving, so the file keeps the last
        good state)."""
        total_env_steps = as_count(total_env_steps, "total_env_steps", 1, 2**62)
        stop_window = as_count(stop_window, "stop_window")
        callback = as_callback(callback)
        stop_at_return = as_optional_number(stop_at_return, "stop_at_return")
        if checkpoint is not None:
            as_path(checkpoint, "checkpoint")
        start = len(self.history)
        while self.total_env_steps < total_env_steps:
            stats = self.iterate()
            if checkpoint is not None:
                self.save(checkpoint)
            if callback is not None and callback(stats):
                break
            recent = [s for s in self.history[start:] if s.episodes > 0][-stop_window:]
            if (stop_at_return is not None and len(recent) == stop_window
                    and all(s.mean_return >= stop_at_return for s in recent)):
                break
        return self.history[start:]

    def evaluate(self, episodes: int = 100, greedy: bool = True, seed: int = 12345, num_envs: int = 16,
                 max_episode_steps: int | None = None):
        """``(returns, lengths)`` (float64 / int32 ``[episodes]``) of
        ``episodes`` fresh episodes of the policy on a new batch of the
        training env (``VectorEnv.spawn``: same id or model, same fixed
        parameters and time limit, or ``max_episode_steps`` steps per
        episode), with the learner's (frozen) observation normalisation.
        Memory does not grow with ``episodes``; Ctrl-C stops it between
        steps (KeyboardInterrupt)."""
        if self.env is None:
            raise InvalidArgumentError("this learner trains on a Gymnasium env; evaluate its policy there")
        episodes = as_count(episodes, "episodes", 1, 1 << 24)
        seed = as_seed(seed)
        cap = None if max_episode_steps is None else as_count(max_episode_steps, "max_episode_steps", 1, 2**31 - 1)
        env = self.env.spawn(min(as_count(num_envs, "num_envs", 1, 1 << 24), episodes), seed=seed)
        if cap is not None:
            env.set_parameter("max_episode_steps", cap)
        try:
            returns = np.empty(episodes)
            lengths = np.empty(episodes, np.int32)
            with self._busy:
                _lib.call_interruptible("pg_evaluate", self.handle, self.handle, env.handle, episodes, int(as_bool(greedy, "greedy")), seed,
                          returns.ctypes.data, lengths.ctypes.data)
            return returns, lengths
        finally:
            env.close()

    def save(self, path) -> None:
        """Writes everything needed to resume (policy, critic, optimiser
        moments, normalisation statistics, counters, generator) atomically."""
        path = as_path(path)
        with self._busy:
            _lib.call("pg_save", self.handle, path)

    def load(self, path) -> None:
        """Restores a checkpoint written by :meth:`save` of a learner with the
        same algorithm and shapes; training continues from it."""
        path = as_path(path)
        with self._busy:
            _lib.call("pg_load", self.handle, path)
            self.history = []

    def close(self) -> None:
        """Frees the native learner (not its env, policy or critic); idempotent."""
        super().close()


def _learner(name: str, config_class: type, doc: str, hidden=(64, 64)) -> type:
    cls = type(name, (PolicyGradientLearner,), {"_config_class": config_class, "__doc__": doc,
                                               "_default_hidden": hidden, "__module__": __name__})
    return cls


REINFORCE = _learner("REINFORCE", ReinforceConfig, """REINFORCE (Williams 1992) on whole episodes with the
    lectures' variants: ``weighting`` full_return / reward_to_go / discounted_reward_to_go and ``baseline``
    none / mean / optimal / value (a learned V(s), fitted to the returns after each step). Defaults:
    reward-to-go, mean baseline, weights divided by their std, Adam 0.01, a 32×32 tanh policy.""", (32, 32))
ActorCritic = _learner("ActorCritic", ActorCriticConfig, """Online actor-critic: act in every env, one critic
    step toward r + γV̂(s'), Â = r + γV̂(s') − V̂(s) with the updated critic, one SGD policy step along
    mean ∇log π · Â (the lecture's five-step loop).""")
A2C = _learner("A2C", A2CConfig, """Batch actor-critic / A2C: N envs × T steps, GAE or n-step advantages,
    critic fitted to bootstrapped or Monte Carlo targets (``value_epochs`` passes).""")
OffPolicyPG = _learner("OffPolicyPG", OffPolicyPGConfig, """Off-policy policy gradient reusing the last
    ``reuse_batches`` batches with trajectory-level or per-decision importance weights (optionally
    truncated); ``TrainStats.extra`` is the effective-sample-size fraction of the trajectory weights.""",
                       (32, 32))
NPG = _learner("NPG", NPGConfig, """Natural policy gradient: conjugate gradient on Fisher-vector products and
    the full step √(2δ / xᵀFx)·x (no line search).""")
TRPO = _learner("TRPO", TRPOConfig, """TRPO: the natural step with a backtracking line search that accepts the
    first fraction with mean KL ≤ δ and an improved surrogate (``update_steps``: the accepted backtrack,
    −1 when none was).""")
PPO = _learner("PPO", PPOConfig, """PPO with the clipped surrogate (or the adaptive KL penalty), GAE,
    per-minibatch advantage normalisation, optional value clipping, entropy bonus, global grad-norm
    clipping, Adam ε 1e-5, linear annealing, epochs × shuffled minibatches, target-KL early stop, separate
    64×64 tanh policy and value networks (orthogonal init), Gaussian policies for continuous actions and
    optional observation/reward normalisation.""")

#: Algorithm names of the command line and their learner classes.
PG_ALGORITHMS = {"reinforce": REINFORCE, "actor-critic": ActorCritic, "a2c": A2C, "offpolicy-pg": OffPolicyPG,
                 "npg": NPG, "trpo": TRPO, "ppo": PPO}


class _Learner(NativeObject):
    """What every Swift-side learner shares: resolving ``env`` (an id or a
    :class:`VectorEnv`) and ``policy`` (default: a softmax policy seeded from
    the config), creating the native object, the iteration history, and
    evaluation."""

    _config_class: type = object            # set by each subclass; object marks this abstract base
    _create = ""
    _concrete_hint = "create a PolicySearch"

    def _setup(self, env, policy, config, num_envs, hidden_sizes, policy_class, policy_kind) -> None:
        if self._config_class is object or not self._create:
            raise DTypeError(f"{type(self).__name__} is an abstract base class and cannot be created; "
                             f"{self._concrete_hint}")
        self.config = self._config_class() if config is None else config
        if not isinstance(self.config, self._config_class):
            raise DTypeError(f"config must be a {self._config_class.__name__}, got {type(self.config).__name__}")
        cfg = self.config.to_c()
        if isinstance(env, str):
            env = VectorEnv(env, as_count(num_envs, "num_envs", 1, 4096), seed=cfg.seed)
        elif not isinstance(env, VectorEnv):
            raise DTypeError(f"env must be an environment id or a swiftpg.VectorEnv, got {type(env).__name__}")
        if policy is None:
            if not env.discrete:
                raise InvalidArgumentError(f"{type(self).__name__} needs an environment with discrete actions; "
                                           f"{env.env_id} has continuous ones")
            policy = SoftmaxPolicy.for_env(env, hidden_sizes=hidden_sizes, seed=cfg.seed)
        elif not isinstance(policy, policy_class):
            raise DTypeError(f"policy must be {policy_kind}, got {type(policy).__name__}")
        self.env = env
        self.policy = policy
        handle = ctypes.c_uint64()
        _lib.call(self._create, env.handle, policy.handle, ctypes.byref(cfg), ctypes.byref(handle))
        self._adopt(handle.value, "swiftpg_algorithm_destroy")
        self.history = []

    def close(self) -> None:
        """Frees the native learner (not its env or policy); idempotent."""
        super().close()

    @property
    def total_env_steps(self) -> int:
        return self.history[-1].total_env_steps if self.history else 0

    def evaluate(self, episodes: int = 100, greedy: bool = True, seed: int = 12345, num_envs: int = 16):
        """``(returns, lengths)`` of ``episodes`` fresh episodes of the policy."""
        return self.policy.evaluate(self.env.env_id, episodes=episodes, greedy=greedy, seed=seed, num_envs=num_envs)



_SEARCH_METHODS = {"cem": 0, "ga": 1, "pattern-search": 2}


@dataclass
class SearchConfig(_Replaceable):
    """Configuration of :class:`PolicySearch` (zeroth-order search over the
    policy's parameters; Kochenderfer ch. 10)."""

    _label = "search config"

    #: ``"cem"`` (cross-entropy method), ``"ga"`` (genetic) or ``"pattern-search"`` (Hooke–Jeeves).
    method: str = "cem"
    #: Episodes averaged per utility evaluation U(θ).
    episodes_per_evaluation: int = 5
    #: Candidates per generation (CEM, GA).
    population_size: int = 50
    #: Elites refitted (CEM) or bred from (GA).
    elite_count: int = 10
    #: Evaluate with argmax actions (else sampled).
    greedy: bool = True
    #: CEM: initial σ of the proposal; GA: spread of the initial population.
    initial_std: float = 1.0
    #: CEM: variance added after each refit (noisy CEM; 0 = the book's).
    extra_noise: float = 0.0
    #: GA: σ of the Gaussian mutation.
    mutation_std: float = 0.1
    #: Pattern search: initial step α, shrink factor c, tolerance ε.
    step_size: float = 1.0
    shrink: float = 0.5
    tolerance: float = 0.01
    #: Seeds the search and the evaluation episodes.
    seed: int = 0

    def to_c(self) -> _lib.SearchConfigC:
        c = _lib.SearchConfigC()
        c.method = as_choice(self.method, _SEARCH_METHODS, "method")
        for name in ("episodes_per_evaluation", "population_size", "elite_count"):
            _set_int(c, name, getattr(self, name), minimum=1)
        if not isinstance(self.greedy, (bool, int, np.bool_, np.integer)) or self.greedy not in (0, 1):
            raise DTypeError(f"greedy must be a bool, got {self.greedy!r}")
        c.greedy = int(bool(self.greedy))
        _set_numbers(self, c, ("initial_std", "extra_noise", "mutation_std", "step_size", "shrink", "tolerance"))
        c.seed = as_seed(self.seed)
        return c


@dataclass
class SearchStats:
    """What one search iteration (a generation, or a poll) did."""

    iteration: int
    env_steps: int
    total_env_steps: int
    evaluations: int
    done: bool
    best_utility: float
    mean_utility: float
    current_utility: float
    spread: float
    seconds: float

    @classmethod
    def from_c(cls, c: _lib.SearchStatsC) -> "SearchStats":
        values = {f.name: getattr(c, f.name) for f in dataclasses.fields(cls)}
        values["done"] = bool(values["done"])
        return cls(**values)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class PolicySearch(_Learner):
    """Zeroth-order policy search in Swift: CEM, a genetic algorithm or
    Hooke–Jeeves pattern search over the parameters of a discrete policy,
    U(θ) = mean return of ``episodes_per_evaluation`` episodes (all candidates
    of one iteration see the same episode seeds). After each :meth:`iterate`
    the policy holds the current solution.

    ``env``: an environment id or a :class:`swiftpg.VectorEnv` (discrete
    actions). ``policy``: any discrete swiftpg policy; by default a linear
    softmax policy (``hidden_sizes=()``) seeded from ``config.seed``."""

    _kind_name = "policy search"
    _config_class = SearchConfig
    _create = "search_create"

    def __init__(self, env, policy: Policy | None = None, config: SearchConfig | None = None, *,
                 num_envs: int = 5, hidden_sizes=()):
        self._setup(env, policy, config, num_envs, hidden_sizes, _Categorical, "a discrete swiftpg policy")

    def iterate(self) -> SearchStats:
        """One generation (CEM, GA) or poll (pattern search) in Swift."""
        c = _lib.SearchStatsC()
        with self._busy:
            _lib.call_interruptible("search_iterate", self.handle, self.handle, ctypes.byref(c))
            stats = SearchStats.from_c(c)
            self.history.append(stats)
        return stats

    def train(self, iterations: int, callback: Callable[[SearchStats], bool | None] | None = None,
              stop_at_utility: float | None = None, checkpoint: str | None = None) -> list[SearchStats]:
        """Runs up to ``iterations`` iterations; stops early when pattern
        search is done, when ``callback(stats)`` returns True, or once the
        best utility of an iteration reaches ``stop_at_utility``.
        ``checkpoint``: a path the search is saved to after every iteration."""
        iterations = as_count(iterations, "iterations")
        callback = as_callback(callback)
        stop_at_utility = as_optional_number(stop_at_utility, "stop_at_utility")
        if checkpoint is not None:
            as_path(checkpoint, "checkpoint")
        start = len(self.history)
        for _ in range(iterations):
            stats = self.iterate()
            if checkpoint is not None:
                self.save(checkpoint)
            if callback is not None and callback(stats):
                break
            if stats.done or (stop_at_utility is not None and stats.best_utility >= stop_at_utility):
                break
        return self.history[start:]

    def save(self, path) -> None:
        """Writes the whole search state (counters, the method's distribution,
        population or incumbent, and its generator) atomically."""
        path = as_path(path)
        with self._busy:
            _lib.call("search_save", self.handle, path)

    def load(self, path) -> None:
        """Restores a checkpoint of a search with the same method, policy shape,
        population, elite count and episodes per evaluation; the policy then
        holds the restored solution and training continues exactly."""
        path = as_path(path)
        with self._busy:
            _lib.call("search_load", self.handle, path)
            self.history = []



# --- training on any Gymnasium environment ------------------------------------

class GymnasiumCollector:
    """Steps Gymnasium environments from Python with a swiftpg policy's
    batched sampling and returns time-major arrays for
    :meth:`PolicyGradientLearner.update`.

    ``envs``: one ``gymnasium.Env``, a list of them (one lane each), or a
    ``gymnasium.vector.VectorEnv`` made with
    ``vector_kwargs={"autoreset_mode": gymnasium.vector.AutoresetMode.SAME_STEP}``
    (with the default NEXT_STEP mode the reset step would look like a
    transition). Observations are flattened to float64; continuous actions
    are clipped to the action space for the environment but stored unclipped.
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
        self.low = None if self.discrete else np.asarray(space.low, np.float64).reshape(-1)
        self.high = None if self.discrete else np.asarray(space.high, np.float64).reshape(-1)
        self.seed = as_seed(seed)
        self._busy = ObjectLock("Gymnasium collector")
        self._obs = None
        self._returns = np.zeros(self.num_lanes)
        self.episode_returns: list[float] = []
        self.total_steps = 0

    def _flat(self, obs) -> np.ndarray:
        a = asarray(obs, "the environment's observations")
        if a.dtype.kind not in "fiub" or a.size != self.num_lanes * self.observation_size:
            raise InvalidArgumentError(
                f"the environment returned observations of dtype {a.dtype} and shape {a.shape}; expected "
                f"{self.num_lanes} × {self.observation_size} numbers")
        return np.asarray(a, np.float64).reshape(self.num_lanes, self.observation_size)

    def _flat_row(self, obs) -> np.ndarray:
        a = asarray(obs, "the environment's final observation")
        if a.dtype.kind not in "fiub" or a.size != self.observation_size:
            raise InvalidArgumentError(f"the environment returned a final observation of dtype {a.dtype} and shape "
                                       f"{a.shape}; expected {self.observation_size} numbers")
        return np.asarray(a, np.float64).reshape(self.observation_size)

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
        k = 1 if self.discrete else self.low.size
        check_elements(steps * n * (2 * d + 4 + k), f"collecting {steps} steps of {n} lanes")
        with self._busy:
            return self._collect(steps)

    def _collect(self, steps: int) -> dict:
        if self._obs is None:
            self._reset()
        n, d = self.num_lanes, self.observation_size
        obs = np.empty((steps, n, d))
        final = np.zeros((steps, n, d))
        rewards = np.empty((steps, n))
        terminated = np.zeros((steps, n), np.uint8)
        truncated = np.zeros((steps, n), np.uint8)
        actions = np.empty((steps, n), np.int32) if self.discrete else np.empty((steps, n, self.low.size))
        for t in range(steps):
            obs[t] = self._obs
            a = self.policy.sample(self._obs)
            actions[t] = a
            sent = a if self.discrete else np.clip(a, self.low, self.high)
            if self.vector:
                nxt, r, term, trunc, info = self.envs.step(sent)
                nxt = self._flat(nxt)
                done = np.logical_or(term, trunc)
                if done.any():
                    fin = info.get("final_obs")
                    for i in np.flatnonzero(done):
                        final[t, i] = self._flat_row(fin[i])
            else:
                rows, r, term, trunc = [], np.empty(n), np.zeros(n, bool), np.zeros(n, bool)
                for i, env in enumerate(self.envs):
                    o, r[i], term[i], trunc[i], _ = env.step(sent[i].item() if self.discrete else sent[i])
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


def for_gymnasium(algorithm: str, env, policy: Policy | None = None, config=None, *,
                  value: ValueFunction | None = None, hidden_sizes=(64, 64),
                  policy_kwargs: dict | None = None) -> "PolicyGradientLearner":
    """A learner of ``algorithm`` (a name of :data:`PG_ALGORITHMS`) with no
    swiftpg environment, sized from a Gymnasium ``env``: an ``Env``, a list
    of them (one lane each, as :class:`GymnasiumCollector` takes) or a
    ``VectorEnv``. Train it with :meth:`PolicyGradientLearner.learn_gymnasium`."""
    cls = as_choice(algorithm, PG_ALGORITHMS, "algorithm")
    d, discrete, k = env_sizes(env)
    cfg = cls._checked_config(config)
    policy_kwargs = _check_policy_kwargs(policy_kwargs)
    seed = cfg.seed
    if policy is None:
        kwargs = _policy_arguments(policy_kwargs, hidden_sizes, seed)
        policy = _call_policy_class(SoftmaxPolicy if discrete else GaussianPolicy, d, k, **kwargs)
    elif policy_kwargs:
        raise InvalidArgumentError("policy_kwargs configure the default policy; pass them or a policy, not both")
    elif not isinstance(policy, Policy):
        raise DTypeError(f"policy must be a swiftpg Policy, got {type(policy).__name__}")
    elif policy.observation_size != d or policy.discrete != discrete or \
            k != (policy.num_actions if discrete else policy.action_size):
        raise InvalidArgumentError(f"the policy ({policy!r}) does not fit the environment (observations of {d} "
                                   f"values, {k} {'discrete actions' if discrete else 'action dimensions'})")
    self = cls.__new__(cls)
    self._init_native(None, policy, cfg, value, hidden_sizes)
    return self


__all__ += ["GymnasiumCollector", "for_gymnasium"]
