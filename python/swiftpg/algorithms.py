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
from ._arrays import DTypeError, as_count, as_seed
from ._lib import InvalidArgumentError, NativeObject
from .envs import VectorEnv
from .policies import Policy, SoftmaxPolicy, _Categorical

__all__ = ["ReinforceConfig", "IterationStats", "REINFORCE", "SearchConfig", "SearchStats", "PolicySearch"]


def _set_numbers(config, c, names) -> None:
    """Copies the float fields ``names`` of a config dataclass into its C struct."""
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DTypeError(f"{name} must be a number, got {value!r}")
        setattr(c, name, float(value))


class _Replaceable:
    """``replace(**changes)`` for config dataclasses, refusing unknown fields."""

    _label = "config"

    def replace(self, **changes):
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise InvalidArgumentError(f"unknown {self._label} field(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)


@dataclass
class ReinforceConfig(_Replaceable):
    """Configuration of :class:`REINFORCE` (defaults solve CartPole-v1)."""

    _label = "REINFORCE config"

    #: Minimum transitions per update; whole episodes are collected.
    steps_per_iteration: int = 5000
    #: Baseline subtracted from the reward-to-go: "mean" (batch mean) or "none".
    baseline: str = "mean"
    #: Divide the weights ψ by their standard deviation.
    normalize_weights: bool = True
    #: Discount γ ∈ [0, 1] of the reward-to-go.
    gamma: float = 0.99
    #: Adam step size.
    learning_rate: float = 0.01
    #: Adam β₁, β₂ and ε.
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    #: Rescale the gradient to this L2 norm when longer; 0 disables.
    max_grad_norm: float = 0.0
    #: Seeds the learner's action sampling.
    seed: int = 0

    def to_c(self) -> _lib.ReinforceConfigC:
        if self.baseline not in _lib.BASELINE:
            raise InvalidArgumentError(f"baseline must be one of {sorted(_lib.BASELINE)}, got {self.baseline!r}")
        c = _lib.ReinforceConfigC()
        c.steps_per_iteration = as_count(self.steps_per_iteration, "steps_per_iteration")
        c.baseline = _lib.BASELINE[self.baseline]
        c.normalize_weights = int(bool(self.normalize_weights))
        _set_numbers(self, c, ("gamma", "learning_rate", "adam_beta1", "adam_beta2", "adam_epsilon",
                               "max_grad_norm"))
        c.seed = as_seed(self.seed)
        return c


@dataclass
class IterationStats:
    """What one training iteration did."""

    iteration: int
    env_steps: int
    total_env_steps: int
    episodes: int
    mean_return: float
    std_return: float
    min_return: float
    max_return: float
    mean_length: float
    entropy: float
    grad_norm: float
    surrogate: float
    seconds: float
    #: Environment steps per second of this iteration (collection + update).
    steps_per_second: float = field(default=0.0)

    @classmethod
    def from_c(cls, c: _lib.IterationStatsC) -> "IterationStats":
        values = {f.name: getattr(c, f.name) for f in dataclasses.fields(cls) if f.name != "steps_per_second"}
        stats = cls(**values)
        stats.steps_per_second = stats.env_steps / stats.seconds if stats.seconds > 0 else math.inf
        return stats

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class _Learner(NativeObject):
    """What every Swift-side learner shares: resolving ``env`` (an id or a
    :class:`VectorEnv`) and ``policy`` (default: a softmax policy seeded from
    the config), creating the native object, the iteration history, and
    evaluation."""

    _config_class: type = object
    _create = ""

    def _setup(self, env, policy, config, num_envs, hidden_sizes, policy_class, policy_kind) -> None:
        self.config = config or self._config_class()
        if not isinstance(self.config, self._config_class):
            raise DTypeError(f"config must be a {self._config_class.__name__}, got {type(self.config).__name__}")
        cfg = self.config.to_c()
        if isinstance(env, str):
            env = VectorEnv(env, as_count(num_envs, "num_envs", 1, 4096), seed=cfg.seed)
        elif not isinstance(env, VectorEnv):
            raise DTypeError(f"env must be an environment id or a swiftpg.VectorEnv, got {type(env).__name__}")
        if policy is None:
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


class REINFORCE(_Learner):
    """REINFORCE (Williams 1992) with reward-to-go and a mean baseline.

    Each :meth:`iterate` collects whole episodes from ``env`` until
    ``steps_per_iteration`` transitions, computes ψ_t = G_t − b with
    G_t = Σ_{k≥t} γ^{k−t} r_k and b the batch mean, divides ψ by its standard
    deviation (``normalize_weights``), and takes one Adam step along
    ĝ = (1/M) Σ_t ψ_t ∇ log π(a_t|s_t).

    Like most implementations it drops the γ^t factor of the exact discounted
    policy gradient (with γ = 1 the estimator is the unbiased one), and it
    treats time-limit truncation as the end of the episode.

    ``env``: an environment id or a :class:`swiftpg.VectorEnv` (discrete
    actions). ``policy``: a :class:`SoftmaxPolicy`; by default a 32×32 tanh
    MLP seeded from ``config.seed``.
    """

    _kind_name = "REINFORCE learner"
    _config_class = ReinforceConfig
    _create = "reinforce_create"

    def __init__(
        self,
        env,
        policy: SoftmaxPolicy | None = None,
        config: ReinforceConfig | None = None,
        *,
        num_envs: int = 8,
        hidden_sizes=(32, 32),
    ):
        self._setup(env, policy, config, num_envs, hidden_sizes, SoftmaxPolicy, "a SoftmaxPolicy")

    def iterate(self) -> IterationStats:
        """One iteration (collect, estimate, update) in Swift."""
        c = _lib.IterationStatsC()
        _lib.call("reinforce_iterate", self.handle, ctypes.byref(c))
        stats = IterationStats.from_c(c)
        self.history.append(stats)
        return stats

    def train(
        self,
        total_env_steps: int,
        callback: Callable[[IterationStats], bool | None] | None = None,
        stop_at_return: float | None = None,
    ) -> list[IterationStats]:
        """Iterates until ``total_env_steps`` transitions were used.
        ``callback(stats)`` runs after each iteration; returning True stops.
        ``stop_at_return``: stop once the training mean return of two
        consecutive iterations reaches it."""
        total_env_steps = as_count(total_env_steps, "total_env_steps", 1, 2**62)
        start = len(self.history)
        while self.total_env_steps < total_env_steps:
            stats = self.iterate()
            if callback is not None and callback(stats):
                break
            recent = self.history[start:][-2:]
            if (stop_at_return is not None and len(recent) == 2
                    and all(s.mean_return >= stop_at_return for s in recent)):
                break
        return self.history[start:]



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
        if self.method not in _SEARCH_METHODS:
            raise InvalidArgumentError(f"method must be one of {sorted(_SEARCH_METHODS)}, got {self.method!r}")
        c = _lib.SearchConfigC()
        c.method = _SEARCH_METHODS[self.method]
        c.episodes_per_evaluation = as_count(self.episodes_per_evaluation, "episodes_per_evaluation")
        c.population_size = as_count(self.population_size, "population_size")
        c.elite_count = as_count(self.elite_count, "elite_count")
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
        _lib.call("search_iterate", self.handle, ctypes.byref(c))
        stats = SearchStats.from_c(c)
        self.history.append(stats)
        return stats

    def train(self, iterations: int, callback: Callable[[SearchStats], bool | None] | None = None,
              stop_at_utility: float | None = None) -> list[SearchStats]:
        """Runs up to ``iterations`` iterations; stops early when pattern
        search is done, when ``callback(stats)`` returns True, or once the
        best utility of an iteration reaches ``stop_at_utility``."""
        start = len(self.history)
        for _ in range(as_count(iterations, "iterations")):
            stats = self.iterate()
            if callback is not None and callback(stats):
                break
            if stats.done or (stop_at_utility is not None and stats.best_utility >= stop_at_utility):
                break
        return self.history[start:]

