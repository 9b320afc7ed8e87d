"""Zeroth-order policy search (Kochenderfer ch. 10): the cross-entropy method,
a genetic algorithm and Hooke–Jeeves pattern search over a discrete policy's
parameters, run in Swift one generation per call.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .. import _lib
from .._arrays import (DTypeError, as_actions, as_bool, as_callback, as_choice, as_count, as_flags, as_float, as_float64,
                       as_optional_number, as_path, as_seed, asarray, check_elements, check_shape, field_range)
from .._lib import InvalidArgumentError, NativeObject, ObjectLock
from ..envs import VectorEnv
from ..policies import (GaussianPolicy, Policy, SoftmaxPolicy, ValueFunction, _Categorical, env_sizes,
                        gymnasium_spaces)
from ._learner import _Replaceable, _set_int, _set_numbers, doc

__all__ = ["SearchConfig", "SearchStats", "PolicySearch"]


class _Learner(NativeObject):
    """What every Swift-side learner shares: resolving ``env`` (an id or a
    :class:`VectorEnv`) and ``policy`` (default: a softmax policy seeded from
    the config), creating the native object, the iteration history, and
    evaluation."""

    _config_class: type[Any] = object       # set by each subclass; object marks this abstract base
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
        self.history: list = []

    def close(self) -> None:
        """Frees the native learner (not its env or policy); idempotent."""
        super().close()

    @property
    def total_env_steps(self) -> int:
        """Env steps used since creation (restored by :meth:`load`)."""
        iteration, steps = ctypes.c_int64(), ctypes.c_int64()
        with self._busy:
            _lib.call("search_counters", self.handle, ctypes.byref(iteration), ctypes.byref(steps))
        return steps.value

    def evaluate(self, episodes: int = 100, greedy: bool = True, seed: int = 12345, num_envs: int = 16):
        """``(returns, lengths)`` of ``episodes`` fresh episodes of the policy,
        on a fresh batch of the search's environment (``spawn``: the same
        definition, its common parameters and ``max_action_delay``), so the
        search's own episodes in progress are untouched."""
        env = self.env.spawn(min(as_count(num_envs, "num_envs", 1, 1 << 24), as_count(episodes, "episodes", 1, 1 << 24)),
                             seed=seed)
        try:
            return self.policy.evaluate(env, episodes=episodes, greedy=greedy, seed=seed)
        finally:
            env.close()



_SEARCH_METHODS = {"cem": 0, "ga": 1, "pattern-search": 2}


@dataclass
class SearchConfig(_Replaceable):
    """Configuration of :class:`PolicySearch` (zeroth-order search over the
    policy's parameters; Kochenderfer ch. 10)."""

    _label = "search config"

    method: str = doc("cem", '"cem" (cross-entropy method), "ga" (genetic) or "pattern-search" (Hooke–Jeeves)')
    episodes_per_evaluation: int = doc(5, "episodes averaged per utility evaluation U(θ)")
    population_size: int = doc(50, "candidates per generation (CEM, GA)")
    elite_count: int = doc(10, "elites refitted (CEM) or bred from (GA)")
    greedy: bool = doc(True, "evaluate candidates with argmax actions (else sampled)")
    initial_std: float = doc(1.0, "CEM: initial σ of the proposal; GA: spread of the initial population")
    extra_noise: float = doc(0.0, "CEM: variance added after each refit (noisy CEM; 0 = the book's)")
    mutation_std: float = doc(0.1, "GA: σ of the Gaussian mutation")
    step_size: float = doc(1.0, "pattern search: initial step α")
    shrink: float = doc(0.5, "pattern search: shrink factor c of the step")
    tolerance: float = doc(0.01, "pattern search: stop once the step is below this ε")
    seed: int = doc(0, "seeds the search and the evaluation episodes")

    def to_c(self) -> _lib.SearchConfigC:
        c = _lib.SearchConfigC()
        c.size = ctypes.sizeof(c)
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
    #: Every episode the iteration ran, in evaluation order (``episodes_per_evaluation`` per evaluated
    #: candidate): undiscounted returns (float64) and lengths (int32), ``[evaluations *
    #: episodes_per_evaluation]``.
    episode_returns: np.ndarray = field(default_factory=lambda: np.zeros(0))
    episode_lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    @classmethod
    def from_c(cls, c: _lib.SearchStatsC) -> "SearchStats":
        values = {f.name: getattr(c, f.name) for f in dataclasses.fields(cls)
                  if f.name not in ("episode_returns", "episode_lengths")}
        values["done"] = bool(values["done"])
        return cls(**values)

    def as_dict(self) -> dict:
        """The scalar fields (the episode arrays left out)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in ("episode_returns", "episode_lengths")}


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
            count = ctypes.c_int64()
            n = stats.evaluations * self.config.episodes_per_evaluation
            returns, lengths = np.empty(n), np.empty(n, np.int32)
            _lib.call("search_episodes", self.handle, returns.ctypes.data, lengths.ctypes.data, n, ctypes.byref(count))
            stats.episode_returns, stats.episode_lengths = returns[:count.value], lengths[:count.value]
            self.history.append(stats)
        return stats

    def candidates(self) -> tuple[np.ndarray, int]:
        """``(parameters, seed)``: the candidates the next :meth:`iterate`
        evaluates, float64 ``[count, num_params]`` in its order, and the
        episode seed of their evaluations. A candidate's utility is the mean
        return of ``policy.evaluate(env, episodes_per_evaluation, greedy,
        seed)`` with its parameters on an env like the search's (same id,
        parameters and instance count) — computed elsewhere (rollout workers:
        :mod:`swiftpg.distributed`) and passed to :meth:`tell`. Changes
        nothing."""
        count, seed = ctypes.c_int64(), ctypes.c_uint64()
        p = self.policy.num_params
        with self._busy:
            status = _lib.lib.swiftpg_search_candidates(self.handle, None, 0, ctypes.byref(count), ctypes.byref(seed))
            if status not in (_lib.OK, _lib.ERR_BUFFER_TOO_SMALL):
                raise _lib.error_for(status)
            rows = np.empty((count.value, p))
            _lib.call("search_candidates", self.handle, rows.ctypes.data, count.value, ctypes.byref(count),
                      ctypes.byref(seed))
        return rows, seed.value

    def tell(self, utilities, env_steps: int) -> SearchStats:
        """One iteration with the utilities of :meth:`candidates` given
        (float64 ``[count]`` in that order; -inf marks a failed evaluation)
        and the env steps they used; with greedy evaluations the search ends
        bit-identical to one that evaluates itself. Raises NotFiniteError
        for NaN/+inf, InvalidArgumentError for a count other than the
        candidates' (nothing changes), DTypeError for non-float input."""
        u = as_float64(utilities, "utilities", (None,), finite=False)
        if u.size < 1:
            raise InvalidArgumentError("utilities must not be empty")
        if np.isnan(u).any() or np.isposinf(u).any():
            raise _lib.NotFiniteError("utilities must not be NaN or +inf (-inf marks a failed evaluation)")
        steps = as_count(env_steps, "env_steps", 0, 2**62)
        c = _lib.SearchStatsC()
        with self._busy:
            _lib.call("search_tell", self.handle, u.ctypes.data, u.size, steps, ctypes.byref(c))
            stats = SearchStats.from_c(c)
            self.history.append(stats)
        return stats

    def train(self, iterations: int | None = None, callback=None, stop_at_utility: float | None = None,
              checkpoint: str | None = None, *, total_env_steps: int | None = None,
              progress_bar: bool = False) -> list[SearchStats]:
        """Runs until ``iterations`` more iterations were run or the search has
        used ``total_env_steps`` env steps in all (give one or both); stops
        early when pattern search is done, when a callback stops (see
        :meth:`PolicyGradientLearner.train`: a
        :class:`swiftpg.callbacks.BaseCallback`, a list, or a function whose
        truthy return stops), or once an iteration's best utility reaches
        ``stop_at_utility`` (a search's best candidate is an optimistic
        estimate: to stop on fresh episodes use an ``EvalCallback``).
        ``checkpoint``: a path the search is saved to after every iteration.
        ``progress_bar``: a tqdm bar (needs ``tqdm``)."""
        from ..callbacks import run_training, saving_then
        stop_at_utility = as_optional_number(stop_at_utility, "stop_at_utility")
        return run_training(self, total_env_steps, saving_then(self, checkpoint, callback), progress_bar, max_iterations=iterations,
                            stop=lambda s: s.done or (stop_at_utility is not None and s.best_utility >= stop_at_utility))

    def __reduce__(self):
        """Pickling (and ``copy.deepcopy``): the environment and policy by
        value, the configuration, the search state as :meth:`save` writes it
        and ``history``; the copy has its own environment and policy and
        continues exactly as this search would. Raises ClosedError when
        closed."""
        return _restore_search, (type(self), self.env, self.policy, self.config, _lib.file_bytes(self.save),
                                 list(self.history))

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



def _restore_search(cls, env, policy, config, data: bytes, history: list):
    """Unpickling a :class:`PolicySearch` (see ``PolicySearch.__reduce__``)."""
    search = cls(env, policy, config)
    _lib.from_file_bytes(data, search.load)
    search.history = list(history)
    return search


# --- training on any Gymnasium environment ------------------------------------
