"""TRPO (Schulman et al. 2015): Sources/SwiftPG/Algorithms/TRPO.swift
(the shared natural step: NaturalGradient.swift)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from . import _fields as F
from ._learner import PolicyGradientLearner, _PGConfig, doc

__all__ = ["TRPOConfig", "TRPO"]


@dataclass
class TRPOConfig(_PGConfig):
    """Configuration of :class:`TRPO`; defaults: REFERENCE.md §4."""

    _algorithm: ClassVar[str] = "trpo"
    _label: ClassVar[str] = "TRPO config"

    steps_per_env: int = doc(256, F.STEPS_PER_ENV)
    max_kl: float = doc(0.01, F.MAX_KL)
    cg_iterations: int = doc(15, F.CG_ITERATIONS)
    cg_damping: float = doc(0.1, F.CG_DAMPING)
    backtrack_ratio: float = doc(0.8, "line-search step fraction per backtrack, in (0, 1)")
    line_search_steps: int = doc(10, "line-search trials (1–100)")
    advantage: str = doc("gae", F.ADVANTAGE)
    gae_lambda: float = doc(0.95, F.GAE_LAMBDA)
    n_steps: int = doc(5, F.N_STEPS)
    value_target: str = doc("bootstrap", F.VALUE_TARGET)
    value_epochs: int = doc(10, F.VALUE_EPOCHS + " (minibatches of minibatch_size)")
    normalize_advantages: bool = doc(True, F.NORMALIZE_ADVANTAGES)
    minibatch_size: int = doc(128, "the critic's minibatch rows, must divide num_envs × steps_per_env (0: whole batch)")
    gamma: float = doc(0.99, F.GAMMA)
    optimizer: str = doc("adam", "the critic's optimiser, adam or sgd (the policy takes the natural step)")
    learning_rate: float = doc(1e-3, "the critic's step size unless value_learning_rate is set")
    value_learning_rate: float = doc(0.0, F.VALUE_LEARNING_RATE)
    adam_epsilon: float = doc(1e-5, F.ADAM_EPSILON)
    max_grad_norm: float = doc(0.0, "rescale the critic's gradient to this L2 norm (0: off)")
    max_grad_value: float = doc(0.0, F.MAX_GRAD_VALUE + " (the critic's)")
    anneal_learning_rate: bool = doc(False, F.ANNEAL_LEARNING_RATE)
    total_env_steps: int = doc(0, F.TOTAL_ENV_STEPS)
    entropy_coef: float = doc(0.0, F.ENTROPY_COEF)
    normalize_observations: bool = doc(False, F.NORMALIZE_OBSERVATIONS)
    normalize_rewards: bool = doc(False, F.NORMALIZE_REWARDS)
    clip_observations: float = doc(10.0, F.CLIP_OBSERVATIONS)
    clip_rewards: float = doc(10.0, F.CLIP_REWARDS)
    seed: int = doc(0, F.SEED)


class TRPO(PolicyGradientLearner):
    """TRPO (Schulman et al. 2015): the natural step with a backtracking line
    search that accepts the first fraction with mean KL ≤ δ and an improved
    surrogate (``line_search_step``: the accepted backtrack, −1 when none
    was); then the critic is fitted."""

    _config_class = TRPOConfig
