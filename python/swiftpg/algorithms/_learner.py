"""What every policy-gradient learner shares: the iteration statistics, the
Python side of a learner (environment and default networks, iterate /
update / train / evaluate / save / load) and the config base class. Each
algorithm's module (``reinforce.py``, ``ppo.py``, ...) adds its explicit
config dataclass and a small subclass.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np

from .. import _lib
from .._arrays import (DTypeError, as_actions, as_bool, as_callback, as_choice, as_count, as_flags, as_float, as_float64,
                       as_optional_number, as_path, as_seed, asarray, c_array, check_elements, check_shape, field_range)
from .._lib import InvalidArgumentError, NativeObject, ObjectLock
from ..envs import VectorEnv
from ..policies import (GaussianPolicy, Policy, SoftmaxPolicy, ValueFunction, _Categorical, env_sizes,
                        gymnasium_spaces)


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

    _label: ClassVar[str] = "config"

    def __init__(self, *args, **kwargs):
        # Reached only by the abstract bases (the configs are dataclasses
        # with their own __init__).
        raise DTypeError(f"{type(self).__name__} is an abstract base class and cannot be created; use one of "
                         "ReinforceConfig, ActorCriticConfig, A2CConfig, OffPolicyPGConfig, NPGConfig, TRPOConfig, "
                         "PPOConfig or SearchConfig")

    def replace(self, **changes):
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]  # a dataclass
        if unknown:
            raise InvalidArgumentError(f"unknown {self._label} field(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]  # the configs are dataclasses

    @classmethod
    def describe(cls) -> str:
        """One line per field: name, default, meaning."""
        if not dataclasses.is_dataclass(cls):
            raise DTypeError(f"{cls.__name__} is an abstract base class; call describe() of an algorithm's config "
                             "(e.g. PPOConfig.describe())")
        return "\n".join(f"{f.name} = {f.default!r}: {f.metadata.get('doc', '')}" for f in dataclasses.fields(cls))


#: The choice-valued config fields and their names (Include/swiftpg.h).
_CHOICES = {"weighting": _lib.WEIGHTING, "baseline": _lib.BASELINE, "advantage": _lib.ADVANTAGE,
            "value_target": _lib.VALUE_TARGET, "optimizer": _lib.OPTIMIZER,
            "normalization_update": _lib.NORMALIZATION_UPDATE}


def doc(default, text: str):
    """A config field with its default and its one-line documentation
    (meaning, unit, source), which :meth:`describe` prints."""
    return field(default=default, metadata={"doc": text})


def _kind(f) -> str:
    """A config field's kind: a choice table's name, "bool", "seed", "int" or "float"."""
    if f.name in _CHOICES:
        return "choice"
    if f.name == "seed":
        return "seed"
    return {"bool": "bool", "int": "int", "float": "float"}.get(str(f.type).split(".")[-1].strip("'\""), "float")


class _PGConfig(_Replaceable):
    """Shared behaviour of the policy-gradient configurations: conversion to
    the algorithm's C struct (``swiftpg_<algo>_config``), ``describe()`` and
    ``library_defaults()``. Each algorithm's config is an explicit
    ``@dataclass`` in its module."""

    _algorithm: ClassVar[str] = ""

    @classmethod
    def _c_defaults(cls):
        prefix, struct = _lib.PG_CONFIG_STRUCTS[cls._algorithm]
        c = struct()
        _lib.call(f"{prefix}_default_config", ctypes.byref(c))
        return c

    def to_c(self):
        """The C config struct, starting from the library's defaults."""
        c = self._c_defaults()
        for f in dataclasses.fields(self):  # type: ignore[arg-type]  # the configs are dataclasses
            value = getattr(self, f.name)
            kind = _kind(f)
            if kind == "choice":
                setattr(c, f.name, as_choice(value, _CHOICES[f.name], f.name))
            elif kind == "bool":
                if not isinstance(value, (bool, int, np.bool_, np.integer)) or value not in (0, 1):
                    raise DTypeError(f"{f.name} must be a bool, got {value!r}")
                setattr(c, f.name, int(value))
            elif kind == "seed":
                setattr(c, f.name, as_seed(value))
            elif kind == "int":
                _set_int(c, f.name, value)
            else:
                setattr(c, f.name, as_float(value, f.name))
        return c

    @classmethod
    def library_defaults(cls) -> dict:
        """The defaults the library reports (``swiftpg_<algo>_default_config``),
        as Python values; a test checks they equal the dataclass defaults."""
        return cls._values_of(cls._c_defaults())

    @classmethod
    def _of_learner(cls, handle: int):
        """The configuration of the native learner ``handle`` (``swiftpg_pg_get_config``)."""
        _, struct = _lib.PG_CONFIG_STRUCTS[cls._algorithm]
        c = struct()
        c.size = ctypes.sizeof(struct)
        _lib.call("pg_get_config", handle, ctypes.byref(c))
        return cls(**cls._values_of(c))

    @classmethod
    def _values_of(cls, c) -> dict:
        """The dataclass fields of a C config struct, as Python values."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]  # cls is a concrete (dataclass) config
            raw = getattr(c, f.name)
            kind = _kind(f)
            if kind == "choice":
                out[f.name] = next(k for k, v in _CHOICES[f.name].items() if v == raw)
            elif kind == "bool":
                out[f.name] = bool(raw)
            elif kind in ("int", "seed"):
                out[f.name] = int(raw)
            else:
                out[f.name] = float(raw)
        return out

_NO_EPISODES = np.zeros(0)


@dataclass
class Rollout:
    """One segment from :meth:`PolicyGradientLearner.collect`, time-major
    (T = steps_per_env, N = environments, d = observation size):
    ``observations`` float64 [T, N, d] as the policy saw them (normalised
    when the learner normalises; raw, as are the rewards, in the
    rollout-worker mode of :mod:`swiftpg.distributed`); ``actions`` int32 [T, N] or float64
    [T, N, action_size]; ``log_probs`` [T, N], the behaviour
    log-probabilities log π(a|s) of the sampling policy (for importance
    ratios); ``values`` [T, N], the critic's V(s) (None without a critic);
    ``rewards`` [T, N] as the update sees them (scaled when the learner
    scales rewards); ``terminated`` / ``truncated`` bool [T, N];
    ``final_observations`` [T, N, d] (rows of truncated, not terminated
    steps; 0 elsewhere); ``next_observations`` [N, d] after the last step;
    ``episode_returns`` / ``episode_lengths`` of the episodes that ended
    (raw rewards). The arrays are the caller's (fresh copies)."""

    observations: np.ndarray
    actions: np.ndarray
    log_probs: np.ndarray
    values: np.ndarray | None
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    final_observations: np.ndarray
    next_observations: np.ndarray
    episode_returns: np.ndarray
    episode_lengths: np.ndarray


@dataclass
class TrainStats:
    """What one training iteration (or update) did. Each field has one
    meaning; a quantity the algorithm does not have is 0 (NaN for the
    episode statistics when no episode ended).

    ``policy_loss`` is the loss minimised, i.e. minus the surrogate objective
    (CleanRL's ``pg_loss`` sign; before 0.2 it was the objective itself).
    ``episode_returns``/``episode_lengths``/``episode_successes`` hold every
    episode that ended in the batch (float64 / int32 / int8 ``[episodes]``;
    success 1 reached the goal, 0 did not, −1 the environment defines no
    success)."""

    iteration: int
    env_steps: int
    total_env_steps: int
    #: Episodes that ended in this batch.
    episodes: int
    #: PPO: epochs run (fewer after a target-KL stop); others 1.
    epochs: int
    #: TRPO: the accepted backtracking step j (−1: none accepted); others 0.
    line_search_step: int
    mean_return: float
    std_return: float
    min_return: float
    max_return: float
    mean_length: float
    #: Fraction of the episodes that reached the goal (NaN where undefined).
    success_rate: float
    policy_loss: float
    value_loss: float
    entropy: float
    approx_kl: float
    clip_fraction: float
    explained_variance: float
    grad_norm: float
    learning_rate: float
    #: PPO with ``kl_penalty``: β after its adaptation; others 0.
    kl_coef: float
    #: Off-policy PG: ESS of the trajectory weights / number of trajectories.
    effective_sample_size: float
    seconds: float
    #: Environment steps per second of this iteration (collection + update).
    steps_per_second: float = field(default=0.0)
    #: The algorithm's name (a key of ``PG_ALGORITHMS``).
    algorithm: str = ""
    episode_returns: np.ndarray = field(default_factory=lambda: _NO_EPISODES)
    episode_lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    episode_successes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))

    @classmethod
    def from_c(cls, c: _lib.TrainStatsC, algorithm: str = "") -> "TrainStats":
        names = {f.name for f in dataclasses.fields(cls)} - {"steps_per_second", "algorithm", "episode_returns",
                                                             "episode_lengths", "episode_successes"}
        stats = cls(**{name: getattr(c, name) for name in names}, algorithm=algorithm)
        stats.steps_per_second = stats.env_steps / stats.seconds if stats.seconds > 0 else math.inf
        return stats

    def as_dict(self) -> dict:
        """The fields as a dict (episode arrays as lists), e.g. for JSON logs."""
        d = dataclasses.asdict(self)
        for k in ("episode_returns", "episode_lengths", "episode_successes"):
            d[k] = np.asarray(d[k]).tolist()
        return d

    @property
    def extra(self) -> float:
        """Deprecated (0.2): ``kl_coef`` (PPO) or ``effective_sample_size`` (off-policy PG)."""
        import warnings
        warnings.warn("TrainStats.extra is deprecated; use kl_coef or effective_sample_size", DeprecationWarning,
                      stacklevel=2)
        return self.effective_sample_size if self.algorithm == "offpolicy-pg" else self.kl_coef

    @property
    def update_steps(self) -> int:
        """Deprecated (0.2): ``epochs`` (PPO) or ``line_search_step`` (TRPO, NPG)."""
        import warnings
        warnings.warn("TrainStats.update_steps is deprecated; use epochs or line_search_step", DeprecationWarning,
                      stacklevel=2)
        return self.line_search_step if self.algorithm in ("trpo", "npg") else (
            self.epochs if self.algorithm == "ppo" else 0)


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


#: The network precision of a learner's default policy and critic. float32,
#: as every mainstream library trains: about twice as fast here, and it
#: solved the CartPole PPO preset as often as float64 (bench/ppo_anchors.py).
#: Parameters, gradients and optimiser state stay float64 either way (the
#: layers run in float32; see ``SoftmaxPolicy``'s ``precision``); pass
#: ``policy_kwargs=dict(precision="float64")`` for float64 layers.
DEFAULT_PRECISION = "float32"


def _policy_arguments(policy_kwargs, hidden_sizes, seed) -> dict:
    """Keyword arguments of a default policy: ``policy_kwargs`` over the
    learner's hidden sizes, seed and the default precision."""
    policy_kwargs = _check_policy_kwargs(policy_kwargs)
    return dict(dict(hidden_sizes=hidden_sizes, seed=seed, precision=DEFAULT_PRECISION), **(policy_kwargs or {}))


def _call_policy_class(family, *args, **kwargs):
    """``family(*args, **kwargs)`` with an unknown keyword reported as
    swiftpg's DTypeError (a TypeError, as Python reports unknown keywords)."""
    import inspect

    known = inspect.signature(family.__init__).parameters
    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        raise DTypeError(f"{family.__name__} has no argument(s) {', '.join(unknown)} (policy_kwargs)")
    return family(*args, **kwargs)


class _ClassOrInstanceMethod:
    """A method with a class form and an instance form (``PPO.load(path)``
    returns a new learner, ``learner.load(path)`` restores into one)."""

    #: The Python fuzzer treats it as a method (tools/fuzz/fuzz_python.py).
    _fuzz_kind = "method"

    def __init__(self, on_class, on_instance, doc: str):
        self.on_class = on_class
        self.on_instance = on_instance
        self.__doc__ = doc

    def __set_name__(self, owner, name):
        self.__name__ = name

    def __get__(self, obj, cls=None):
        import functools

        if obj is None:
            bound = functools.partial(self.on_class.__func__ if isinstance(self.on_class, classmethod)
                                      else self.on_class, cls)
            functools.update_wrapper(bound, self.on_class.__func__ if isinstance(self.on_class, classmethod)
                                     else self.on_class)
        else:
            bound = functools.partial(self.on_instance, obj)
            functools.update_wrapper(bound, self.on_instance)
        bound.__doc__ = self.__doc__
        return bound


def _algorithm_class(handle: int):
    """The learner class of the native learner ``handle``."""
    from . import PG_ALGORITHMS

    code = ctypes.c_int32()
    _lib.call("pg_algorithm", handle, ctypes.byref(code))
    name = next((k for k, v in _lib.ALGORITHM.items() if v == code.value), None)
    if name not in PG_ALGORITHMS:
        raise _lib.InternalError(f"the library returned a learner of unknown algorithm {code.value}")
    return PG_ALGORITHMS[name]


def _adopt_learner(expected, function: str, *args, source: str = "the bytes", history=None):
    """Calls ``swiftpg_<function>(*args, learner_out, env_out, policy_out,
    value_out)`` and wraps the four handles: a learner of its algorithm's
    class (an instance of ``expected``, else BadFormatError) with its
    environment, policy and critic."""
    outs = [ctypes.c_uint64() for _ in range(4)]
    _lib.call(function, *args, *(ctypes.byref(h) for h in outs))
    learner_h, env_h, policy_h, value_h = (h.value for h in outs)
    wrappers: list[Any] = []        # each frees its handle when closed; a handle is 0 once handed to one
    try:
        env = value = None
        if env_h:
            h, env_h = env_h, 0
            env = VectorEnv._adopt_restored(h)
            wrappers.append(env)
        h, policy_h = policy_h, 0
        policy = Policy._from_handle(h)
        wrappers.append(policy)
        if value_h:
            h, value_h = value_h, 0
            value = ValueFunction._from_handle(h)
            wrappers.append(value)
        cls = _algorithm_class(learner_h)
        self = cls.__new__(cls)
        h, learner_h = learner_h, 0
        self._adopt(h, "swiftpg_algorithm_destroy")
        wrappers.append(self)
        self.env, self.policy, self.value = env, policy, value
        self.gymnasium_env = None
        self.config = cls._config_class._of_learner(self.handle)
        self.history = list(history or [])
        if not issubclass(cls, expected):
            name = cls._config_class._algorithm
            article = "an" if name in ("a2c", "actor-critic", "offpolicy-pg", "npg") else "a"
            raise _lib.BadFormatError(f"{source} holds {article} {name} learner, not "
                                      f"{expected._config_class._algorithm}", _lib.ERR_BAD_FORMAT)
        return self
    except BaseException:
        for h, destroy in ((learner_h, "swiftpg_algorithm_destroy"), (env_h, "swiftpg_env_destroy"),
                           (policy_h, "swiftpg_policy_destroy"), (value_h, "swiftpg_value_destroy")):
            if h:
                getattr(_lib.lib, destroy)(h)
        for w in reversed(wrappers):
            w.close()
        raise


def _restore_learner(data: bytes, history=None, action_space=None) -> "PolicyGradientLearner":
    """Unpickles a learner (see ``PolicyGradientLearner.__reduce__``); bad
    bytes raise BadFormatError."""
    if not isinstance(data, bytes):
        raise DTypeError(f"a learner's bundle must be bytes, got {type(data).__name__}")
    if history is not None and not (isinstance(history, (list, tuple))
                                    and all(isinstance(s, TrainStats) for s in history)):
        raise DTypeError(f"a learner's history must be a list of TrainStats, got {type(history).__name__}")
    learner = _adopt_learner(PolicyGradientLearner, "pg_deserialize", data, len(data), history=history)
    learner.gymnasium_action_space = action_space
    return learner


def load(path) -> "PolicyGradientLearner":
    """The learner saved at ``path`` (``learner.save``), of its algorithm's
    class, with its environment, policy and critic: the same as
    ``PolicyGradientLearner.load(path)``. Raises BadFormatError for a
    damaged, foreign or older file and CheckpointIOError when it cannot be
    read."""
    return PolicyGradientLearner.load(path)


class PolicyGradientLearner(NativeObject):
    """A policy-gradient learner in Swift. Subclasses fix the algorithm.

    ``env``: an environment id or a :class:`swiftpg.VectorEnv` (stepped in
    Swift by :meth:`iterate`); any Gymnasium env can instead be stepped by
    Python with :meth:`learn_gymnasium` / :meth:`update`. ``policy``: by default a
    tanh MLP (``hidden_sizes``) — categorical for discrete actions, Gaussian
    (state-independent log σ) for continuous ones; ``policy_kwargs`` are
    passed to that default policy's class (e.g. ``dict(gsde=True,
    initial_log_std=-2.0)`` for a :class:`GaussianPolicy` with gSDE
    exploration, or ``dict(precision="float64")``: the default policy's
    layers run in float32, like every mainstream library's, with float64
    parameters and optimiser state). ``value``: the critic, by default an MLP
    of the same shape and precision when the algorithm needs one.

    Threads: a learner used by two threads at once raises
    :class:`swiftpg.BusyError` in the second.
    """

    _kind_name = "policy-gradient learner"
    _config_class: type[Any] = object       # set by each algorithm's class; object marks the abstract base
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
                             "created; use one of REINFORCE, ActorCritic, A2C, OffPolicyPG, NPG, TRPO, PPO "
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
        algorithm = config._algorithm
        needs_value = algorithm not in ("reinforce", "offpolicy-pg") or getattr(config, "baseline", None) == "value"
        if value is None and needs_value:
            value = ValueFunction(policy.observation_size, hidden_sizes=hidden, seed=(cfg.seed + 1) % 2**64,
                                  precision=getattr(policy, "precision", "float64"))
        elif value is not None and not isinstance(value, ValueFunction):
            raise DTypeError(f"value must be a swiftpg ValueFunction, got {type(value).__name__}")
        self.env = env
        self.policy = policy
        self.value = value
        handle = ctypes.c_uint64()
        prefix, _ = _lib.PG_CONFIG_STRUCTS[algorithm]
        _lib.call(f"{prefix}_create", env.handle if env is not None else 0, policy.handle,
                  value.handle if value is not None else 0, ctypes.byref(cfg), ctypes.byref(handle))
        self._adopt(handle.value, "swiftpg_algorithm_destroy")
        self.history: list[TrainStats] = []
        self.gymnasium_env = None

    def learn_gymnasium(self, env, total_env_steps: int, steps_per_env: int | None = None,
                        callback: Callable[[TrainStats], bool | None] | None = None, seed: int = 0):
        """Trains on a Gymnasium ``env`` (see :class:`GymnasiumCollector`):
        Python steps it with the policy, Swift updates. ``env`` None: the one
        given to ``for_gymnasium`` or ``load(path, env=...)``
        (``gymnasium_env``; InvalidArgumentError if there is none). ``steps_per_env``
        defaults to the config's (``steps_per_env``, or for episodic
        algorithms ``steps_per_iteration`` / lanes). Returns the collector
        (its ``episode_returns`` hold every finished episode's return)."""
        total_env_steps = as_count(total_env_steps, "total_env_steps", 1, 2**62)
        callback = as_callback(callback)
        if env is None:
            env = getattr(self, "gymnasium_env", None)
            if env is None:
                raise InvalidArgumentError("pass the Gymnasium env to train on (a loaded learner keeps it when "
                                           "given as load(path, env=...))")
        if steps_per_env is not None:
            steps_per_env = as_count(steps_per_env, "steps_per_env")
        from .gymnasium import GymnasiumCollector
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

    def _counters(self) -> tuple[int, int]:
        iteration, steps = ctypes.c_int64(), ctypes.c_int64()
        with self._busy:
            _lib.call("pg_counters", self.handle, ctypes.byref(iteration), ctypes.byref(steps))
        return iteration.value, steps.value

    @property
    def total_env_steps(self) -> int:
        """Transitions used since creation (restored by :meth:`load` and
        unpickling)."""
        return self._counters()[1]

    @property
    def iteration(self) -> int:
        """Iterations (and updates) done since creation (restored by
        :meth:`load` and unpickling)."""
        return self._counters()[0]

    def iterate(self) -> TrainStats:
        """One iteration (collect from ``env``, estimate, update) in Swift."""
        c = _lib.TrainStatsC()
        with self._busy:
            _lib.call_interruptible("pg_iterate", self.handle, self.handle, ctypes.byref(c))
            stats = self._stats(c)
        return stats

    def _stats(self, c) -> TrainStats:
        """The statistics of the call that filled ``c``, with its episodes
        (``swiftpg_pg_episodes``), appended to ``history``."""
        stats = TrainStats.from_c(c, self.config._algorithm)
        n = stats.episodes
        if n > 0:
            returns = np.empty(n)
            lengths = np.empty(n, np.int32)
            successes = np.empty(n, np.int8)
            count = ctypes.c_int64()
            _lib.call("pg_episodes", self.handle, returns.ctypes.data, lengths.ctypes.data, successes.ctypes.data, n,
                      ctypes.byref(count))
            stats.episode_returns, stats.episode_lengths, stats.episode_successes = returns, lengths, successes
        self.history.append(stats)
        return stats

    def collect(self) -> Rollout:
        """One segment collected with the current policy, as an iteration
        collects it, without updating — for workers that collect while
        another process learns, or a custom update in Python. The
        environments, sampling generators and observation/reward normalisers
        advance; the parameters and the counters do not. Learners that
        collect segments only (``steps_per_env``: actor-critic, A2C, NPG,
        TRPO, PPO); :class:`swiftpg.NotSupportedError` for REINFORCE and
        off-policy PG (they collect whole episodes),
        :class:`swiftpg.NumericalError` if the policy produced non-finite
        actions. See :class:`Rollout` for the arrays."""
        env = self.env
        if env is None:
            raise InvalidArgumentError("this learner has no environment to collect from")
        steps = getattr(self.config, "steps_per_env", None)
        if steps is None:
            raise _lib.NotSupportedError("collect() takes segments of steps_per_env steps; "
                                         f"{type(self).__name__} collects whole episodes (use iterate)")
        n, d = env.num_envs, self.policy.observation_size
        discrete = env.discrete
        observations = np.empty((steps, n, d))
        actions = np.empty((steps, n), np.int32) if discrete else np.empty((steps, n, env.action_size))
        log_probs = np.empty((steps, n))
        values = np.empty((steps, n)) if self.value is not None else None
        rewards = np.empty((steps, n))
        terminated = np.empty((steps, n), np.uint8)
        truncated = np.empty((steps, n), np.uint8)
        final = np.empty((steps, n, d))
        next_obs = np.empty((n, d))
        c = _lib.TrainStatsC()
        with self._busy:
            _lib.call("pg_collect", self.handle, steps, n, observations.ctypes.data, actions.ctypes.data,
                      log_probs.ctypes.data, values.ctypes.data if values is not None else None,
                      rewards.ctypes.data, terminated.ctypes.data, truncated.ctypes.data, final.ctypes.data,
                      next_obs.ctypes.data, ctypes.byref(c))
            stats = TrainStats.from_c(c, self.config._algorithm)
            returns, lengths = np.empty(stats.episodes), np.empty(stats.episodes, np.int32)
            successes, count = np.empty(stats.episodes, np.int8), ctypes.c_int64()
            if stats.episodes:
                _lib.call("pg_episodes", self.handle, returns.ctypes.data, lengths.ctypes.data,
                          successes.ctypes.data, stats.episodes, ctypes.byref(count))
        return Rollout(observations=observations, actions=actions, log_probs=log_probs, values=values,
                       rewards=rewards, terminated=terminated.astype(bool), truncated=truncated.astype(bool),
                       final_observations=final, next_observations=next_obs, episode_returns=returns,
                       episode_lengths=lengths)

    def update(self, observations, actions, rewards, terminated, truncated, next_observations,
               final_observations=None, log_probs=None, raw: bool = False,
               observation_statistics=None) -> TrainStats:
        """One update on transitions collected elsewhere, time-major
        ``[T, N]`` (see :meth:`GymnasiumCollector.collect`): ``observations``
        ``[T, N, obs]``, ``actions`` ``[T, N]`` ints or ``[T, N, act]`` floats,
        ``rewards``/``terminated``/``truncated`` ``[T, N]``,
        ``next_observations`` ``[N, obs]`` (after the last step) and
        ``final_observations`` ``[T, N, obs]`` (read where truncated).
        ``log_probs``: float64 ``[T, N]``, the behaviour log-probabilities
        log β(a|s) of the policy that acted (``Rollout.log_probs`` of
        :meth:`collect`, e.g. from a rollout worker of
        :mod:`swiftpg.distributed`); None takes the current policy as the one
        that acted. With them the update is the one :meth:`iterate` makes on
        the same batch, and with an older acting policy PPO's ratio π/β and
        off-policy PG's importance weights correct for it (Schulman et al.
        2017; Espeholt et al. 2018). ``raw`` (needs ``log_probs``):
        observations and rewards as the environments gave them, from rollout
        workers of a learner that normalises observations or rewards; the
        learner normalises them with its statistics as they were before this
        call (what the workers' policies saw), scales the rewards as its own
        collection does, and folds the batch into its statistics step by
        step (``swiftpg_pg_update_raw``). ``observation_statistics`` (with
        ``raw``, for a learner that normalises observations): ``(mean,
        var)``, float64 ``[N, obs]`` (or ``[obs]`` for every lane), the
        statistics each lane's observations were normalised with for the
        acting policy when they are not the learner's before this call —
        the stale segments of an asynchronous run, collected with the
        statistics sent with their parameters; the raw observations are
        still folded into the learner's statistics. None: the learner's.
        Raises InvalidArgumentError / NotFiniteError /
        DTypeError for bad arrays, before any native call."""
        policy = self.policy
        d = policy.observation_size
        obs = as_float64(observations, "observations", (None, None, d))
        t, n, _ = obs.shape
        if t < 1 or n < 1:
            raise InvalidArgumentError(f"observations must hold at least one step of one lane, got shape {obs.shape}")
        if policy.discrete:
            assert policy.num_actions is not None      # set for every discrete policy
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
        logp = None if log_probs is None else as_float64(log_probs, "log_probs", (t, n))
        raw = as_bool(raw, "raw")
        if raw and logp is None:
            raise InvalidArgumentError("raw batches come from rollout workers: pass their log_probs too")
        seen_mean = seen_var = None
        if observation_statistics is not None:
            if not raw:
                raise InvalidArgumentError("observation_statistics go with raw batches (raw=True)")
            if not getattr(self.config, "normalize_observations", False):
                raise InvalidArgumentError("observation_statistics given to a learner that does not normalise "
                                           "observations")
            if not isinstance(observation_statistics, (tuple, list)) or len(observation_statistics) != 2:
                raise DTypeError("observation_statistics must be a (mean, var) pair")
            stat_arrays = []
            for name, x in zip(("mean", "var"), observation_statistics):
                x = as_float64(x, f"observation_statistics {name}")
                if x.shape == (d,):
                    x = np.repeat(x[None, :], n, axis=0)
                check_shape(x, (n, d), f"observation_statistics {name}")
                stat_arrays.append(np.ascontiguousarray(x))
            seen_mean, seen_var = stat_arrays
            if (seen_var < 0).any():
                raise InvalidArgumentError("observation_statistics var must be >= 0")
        c = _lib.TrainStatsC()
        dp = ctypes.POINTER(ctypes.c_double)
        u8 = ctypes.POINTER(ctypes.c_uint8)
        head = (self.handle, t, n, obs.ctypes.data_as(dp), act.ctypes.data)
        tail = (rew.ctypes.data_as(dp), term.ctypes.data_as(u8), trunc.ctypes.data_as(u8),
                None if fin is None else fin.ctypes.data_as(dp), nxt.ctypes.data_as(dp), ctypes.byref(c))
        with self._busy:
            if logp is None:
                _lib.call("pg_update", *head, *tail)
            elif raw:
                stats_args = ((None, None, 0) if seen_mean is None or seen_var is None
                              else (seen_mean.ctypes.data, seen_var.ctypes.data, d))
                _lib.call("pg_update_raw", *head, logp.ctypes.data_as(dp), *tail[:-1], *stats_args, tail[-1])
            else:
                _lib.call("pg_update_behavior", *head, logp.ctypes.data_as(dp), *tail)
            stats = self._stats(c)
        return stats

    def _set_worker_normalization(self, mean, var, count: float) -> None:
        """Rollout-worker mode for a normalising learner
        (``swiftpg_pg_set_worker_normalization``): the observation statistics
        become (mean, var, count) — None/None for a learner that normalises
        only rewards — and stay fixed while collecting; collections return
        raw observations and rewards (swiftpg.distributed's workers)."""
        d = self.policy.observation_size
        m = None if mean is None else as_float64(mean, "mean", (d,))
        v = None if var is None else as_float64(var, "var", (d,))
        with self._busy:
            _lib.call("pg_set_worker_normalization", self.handle, None if m is None else m.ctypes.data,
                      None if v is None else v.ctypes.data, 0 if m is None else d, float(count))

    def set_lane_offset(self, first_lane: int) -> None:
        """Makes environment lane i draw its actions from the stream of global
        lane ``first_lane + i`` (restarting every lane's stream): a rollout
        worker holding lanes ``first_lane .. first_lane + num_envs - 1`` of a
        run split across processes, with its env made with ``seed +
        first_lane`` (instance i is seeded from seed + first_lane + i),
        samples what those lanes of one learner with all the environments
        sample (:mod:`swiftpg.distributed`). ``first_lane``: int in [0,
        2^40]. Raises InvalidArgumentError for a learner without a swiftpg
        env or an offset out of range."""
        first = as_count(first_lane, "first_lane", 0, 1 << 40)
        if self.env is None:
            raise InvalidArgumentError("this learner has no swiftpg environment lanes")
        with self._busy:
            _lib.call("pg_set_lane_offset", self.handle, first)

    def train(self, total_env_steps: int, callback=None, stop_at_return: float | None = None,
              checkpoint: str | None = None, stop_window: int = 100, progress_bar: bool = False) -> list[TrainStats]:
        """Iterates until the learner has used ``total_env_steps`` transitions
        in all (a resumed learner trains only the remainder) and returns the
        statistics of the iterations run.

        ``callback``: a :class:`swiftpg.callbacks.BaseCallback` (e.g.
        ``EvalCallback``, ``CheckpointCallback``, ``CSVLogger``), a list of
        them, or a plain function ``f(stats)`` whose truthy return stops.
        ``stop_at_return``: stop once the mean return of the last
        ``stop_window`` finished training episodes reaches it (a rolling mean
        over episodes; for stopping on evaluation episodes use
        ``EvalCallback(callback_on_new_best=StopTrainingOnRewardThreshold(...))``).
        ``checkpoint``: a path saved after every iteration (an iteration that
        fails numerically raises before saving, so the file keeps the last
        good state). ``progress_bar``: a tqdm bar (needs ``tqdm``).
        Arguments and callbacks are checked before the first iteration.
        Raises DTypeError / InvalidArgumentError for bad arguments."""
        from ..callbacks import StopTrainingOnEpisodeReturn, run_training, saving_then
        stop_window = as_count(stop_window, "stop_window")
        stop_at_return = as_optional_number(stop_at_return, "stop_at_return")
        callbacks = saving_then(self, checkpoint, callback)
        if stop_at_return is not None:
            callbacks.append(StopTrainingOnEpisodeReturn(stop_at_return, stop_window))
        return run_training(self, total_env_steps, callbacks, progress_bar)

    def evaluate(self, episodes: int = 100, greedy: bool = True, seed: int = 12345, num_envs: int = 16,
                 max_episode_steps: int | None = None, env=None):
        """``(returns, lengths)`` (float64 / int32 ``[episodes]``) of
        ``episodes`` fresh episodes of the policy on a new batch of the
        training env (``VectorEnv.spawn``: same id or model, same fixed
        parameters and time limit, or ``max_episode_steps`` steps per
        episode), with the learner's (frozen) observation normalisation.
        ``env``: a :class:`swiftpg.VectorEnv` of the same observation and
        action spaces to evaluate on instead (e.g. other physical parameters,
        for transfer; it is reset with ``seed`` and left open;
        ``num_envs`` is then its size). Memory does not grow with
        ``episodes``; Ctrl-C stops it between steps (KeyboardInterrupt)."""
        if self.env is None:
            raise InvalidArgumentError("this learner trains on a Gymnasium env; evaluate its policy there")
        episodes = as_count(episodes, "episodes", 1, 1 << 24)
        seed = as_seed(seed)
        cap = None if max_episode_steps is None else as_count(max_episode_steps, "max_episode_steps", 1, 2**31 - 1)
        own = env is None
        if own:
            env = self.env.spawn(min(as_count(num_envs, "num_envs", 1, 1 << 24), episodes), seed=seed)
        elif not isinstance(env, type(self.env)):
            raise DTypeError(f"env must be a swiftpg VectorEnv, got {type(env).__name__}")
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
            if own:
                env.close()

    @property
    def obs_rms(self):
        """The observation normaliser's statistics now (a frozen
        :class:`swiftpg.trained.ObservationNormalizer`: ``mean``, ``var``,
        ``count``, ``clip``; SB3's ``VecNormalize.obs_rms`` name), or None
        when the learner does not normalise observations. Saved with the
        learner and in :meth:`export_policy`."""
        from ..trained import ObservationNormalizer
        d = self.policy.observation_size
        enabled = ctypes.c_int32()
        mean, var = np.empty(d), np.empty(d)
        count, clip = ctypes.c_double(), ctypes.c_double()
        with self._busy:
            _lib.call("pg_observation_normalizer", self.handle, ctypes.byref(enabled), mean.ctypes.data,
                      var.ctypes.data, d, ctypes.byref(count), ctypes.byref(clip))
        if not enabled.value:
            return None
        return ObservationNormalizer(mean, var, count.value, clip.value)

    def _action_bounds(self):
        env = self.env
        if env is None or env.discrete:
            return None, None
        return env.action_low, env.action_high

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        """``(actions, None)`` as SB3's ``predict``: the policy's actions for
        ``observation`` (one ``[obs]`` or a batch ``[B, obs]``, raw as the
        environment returns it), normalised with the learner's current
        observation statistics first (as :meth:`evaluate` does). Discrete
        actions are int64 (a scalar for one observation; for a Gymnasium env
        with MultiDiscrete / MultiBinary actions the env's action, ``[*shape]``
        or ``[B, *shape]`` in the space's dtype, ``start`` added); continuous ones
        float64 ``[k]`` / ``[B, k]``, clipped to the env's action bounds.
        ``deterministic`` takes each distribution's mode; otherwise actions
        are sampled with the policy's generator. ``state`` and
        ``episode_start`` exist for SB3 compatibility (the state is None).
        Raises InvalidArgumentError / NotFiniteError for bad observations."""
        from ..trained import predict_with
        low, high = self._action_bounds()
        actions = predict_with(self.policy, self.obs_rms, low, high, observation, deterministic)
        return self._gymnasium_actions(actions), None

    def _gymnasium_actions(self, actions):
        """Joint indices as the actions of this learner's Gymnasium env when
        its action space is MultiDiscrete / MultiBinary (decoded, plus
        ``start``, shape ``[..., *space.shape]`` in the space's dtype, as
        SB3's ``predict`` returns them); other actions unchanged."""
        space = self._gymnasium_action_space()
        if space is None or not self.policy.discrete:
            return actions
        from ..policies import action_factors, decode_actions
        factors = action_factors(space)
        if factors is None:
            return actions
        sizes, start, shape, dtype = factors
        a = np.asarray(actions)
        return (decode_actions(a, sizes) + start).astype(dtype).reshape(a.shape + shape)

    def _gymnasium_action_space(self):
        """The action space of the Gymnasium env this learner trains on (kept
        through pickling, which drops the env itself), or None."""
        env = getattr(self, "gymnasium_env", None)
        if env is not None:
            from ..policies import gymnasium_spaces
            return gymnasium_spaces(env)[1]
        return getattr(self, "gymnasium_action_space", None)

    def export_policy(self):
        """A standalone :class:`swiftpg.trained.TrainedPolicy`: a copy of the
        policy (later training does not change it), the observation
        normaliser frozen as it is now, and the env's action bounds —
        ``predict`` gives what :meth:`predict` gives now, except that for a
        MultiDiscrete / MultiBinary Gymnasium env it returns the joint index
        (decode it with ``swiftpg.policies.decode_actions``; the exported
        policy does not know the env's space); ``save(path)`` /
        ``TrainedPolicy.load(path)`` keep it in one file."""
        import pickle

        from ..trained import TrainedPolicy
        policy = pickle.loads(pickle.dumps(self.policy))
        low, high = self._action_bounds()
        return TrainedPolicy(policy, self.obs_rms, None if low is None else np.array(low),
                             None if high is None else np.array(high))

    def set_minibatch_permutations(self, permutations) -> None:
        """Permutations for the next minibatch shuffles (PPO's epochs; the
        critic passes of A2C, NPG, TRPO and REINFORCE's value baseline), to
        reproduce an update outside swiftpg: int ``[count, rows]``, each a
        permutation of ``0..rows-1`` (the batch's rows, time-major ``t·N +
        i``), consumed one per shuffle; afterwards shuffling is random again.
        An empty array clears them. Raises InvalidArgumentError for a row
        that is not a permutation (here) or of another batch size (at the
        update, which is then rolled back)."""
        p = asarray(permutations, "permutations", np.int64, (None, None))
        if p.dtype.kind not in "iu" or p.ndim != 2:
            raise DTypeError(f"permutations must be a 2-D integer array [count, rows], got {p.dtype} {p.shape}")
        p = c_array(p, np.int64)
        with self._busy:
            _lib.call("pg_set_permutations", self.handle, p.ctypes.data, p.shape[0], max(p.shape[1], 1))

    def save(self, path) -> None:
        """Writes everything needed to resume to ``path``, atomically (a
        temporary file, flushed and renamed): the algorithm and its config,
        the policy (parameters, sampling generator, network precision), the
        critic, the environment (id or tabular model / bandit arms, instance
        count, parameter values and randomisation ranges, physics states,
        step counters, every generator) and the training state (counters,
        optimiser moments, normaliser statistics, generators, episodes in
        progress, off-policy replay). ``PPO.load(path)`` in another process
        then continues exactly as this learner would. Raises
        CheckpointIOError when the file cannot be written."""
        path = as_path(path)
        with self._busy:
            _lib.call("pg_save", self.handle, path)

    def _load_into(self, path) -> None:
        """``learner.load(path)``: see :meth:`load`."""
        path = as_path(path)
        with self._busy:
            _lib.call("pg_load", self.handle, path)
            self.history = []

    @classmethod
    def _open(cls, path, env=None) -> "PolicyGradientLearner":
        """``PPO.load(path, env=None)``: see :meth:`load`."""
        path = as_path(path)
        learner = _adopt_learner(cls, "pg_open", path, source=path.decode(errors="replace"))
        if env is not None:
            try:
                learner._attach_gymnasium(env, source=path.decode(errors="replace"))
            except BaseException:
                learner.close()
                raise
        return learner

    def _attach_gymnasium(self, env, source: str) -> None:
        """Keeps the Gymnasium ``env`` of a learner that trains on one (checked
        against the policy), for :meth:`learn_gymnasium`."""
        if self.env is not None:
            raise InvalidArgumentError(f"{source} holds its own environment ({self.env.env_id}), restored exactly; "
                                       "env= is for learners that train on a Gymnasium env")
        from .gymnasium import check_policy_fits
        check_policy_fits(self.policy, env)
        self.gymnasium_env = env

    load = _ClassOrInstanceMethod(_open, _load_into, """\
``Cls.load(path, env=None)`` (on a class) returns the learner saved at
``path`` with its environment, policy and critic, rebuilt from the file
alone (of that class: ``PPO.load`` refuses another algorithm's file with
BadFormatError; ``PolicyGradientLearner.load`` returns any); it continues
exactly as the saved learner would have, and ``total_env_steps`` is the
saved count. A learner that trained on a Gymnasium env (``for_gymnasium``)
has no swiftpg environment in its file: pass that env again as ``env=`` (it
is checked against the policy and kept as ``gymnasium_env`` for
:meth:`learn_gymnasium`); ``env=`` with a file that holds its own
environment raises InvalidArgumentError.

``learner.load(path)`` (on a learner) restores a checkpoint into this
learner, which keeps its config, env, policy and critic objects: the file
must hold the same algorithm, optimiser and normalisation settings, policy
and critic architectures and (when both have one) the same environment
(id, definition, instance count). Parameters, generators, optimiser and
normaliser state, counters, the environment's state and the episodes in
progress are restored; ``history`` is cleared.

Raises BadFormatError for a truncated, corrupted, foreign or older file
(naming the field, or the version found and the one read; nothing changes)
and CheckpointIOError when the file cannot be read.""")

    def __reduce__(self):
        """Pickling: the learner's bundle (as :meth:`save` writes it) and its
        ``history``; the unpickled learner has its own environment, policy and
        critic and continues exactly as this one would. Raises ClosedError
        when closed."""
        with self._busy:
            data = _lib.read_bytes("pg_serialize", self.handle)
        # A Gymnasium env does not travel, but the action space that decodes
        # MultiDiscrete / MultiBinary actions in predict does.
        return _restore_learner, (data, list(self.history), self._gymnasium_action_space())

    def close(self) -> None:
        """Frees the native learner (not its env, policy or critic); idempotent."""
        super().close()


