"""Synchronous advantage actor-critic (Mnih et al. 2016):
Sources/SwiftPG/Algorithms/A2C.swift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from . import _fields as F
from ._learner import PolicyGradientLearner, _PGConfig, doc

__all__ = ["A2CConfig", "A2C"]


@dataclass
class A2CConfig(_PGConfig):
    """Configuration of :class:`A2C`; defaults are SB3's A2C."""

    _algorithm: ClassVar[str] = "a2c"
    _label: ClassVar[str] = "A2C config"

    steps_per_env: int = doc(5, F.STEPS_PER_ENV + " (SB3 n_steps)")
    advantage: str = doc("gae", F.ADVANTAGE)
    gae_lambda: float = doc(1.0, F.GAE_LAMBDA + " (1: the segment's n-step returns)")
    n_steps: int = doc(5, F.N_STEPS)
    value_target: str = doc("bootstrap", F.VALUE_TARGET)
    value_epochs: int = doc(1, "critic passes per batch: the joint step plus value_epochs − 1 more")
    normalize_advantages: bool = doc(False, F.NORMALIZE_ADVANTAGES)
    minibatch_size: int = doc(0, "minibatch rows of the extra critic passes (0: the whole batch)")
    value_coef: float = doc(0.5, F.VALUE_COEF + " in the joint step")
    gamma: float = doc(0.99, F.GAMMA)
    optimizer: str = doc("adam", F.OPTIMIZER)
    learning_rate: float = doc(7e-4, F.LEARNING_RATE)
    value_learning_rate: float = doc(0.0, F.VALUE_LEARNING_RATE)
    adam_epsilon: float = doc(1e-5, F.ADAM_EPSILON)
    max_grad_norm: float = doc(0.5, "rescale the joint policy + critic gradient to this L2 norm (0: off)")
    max_grad_value: float = doc(0.0, F.MAX_GRAD_VALUE)
    anneal_learning_rate: bool = doc(False, F.ANNEAL_LEARNING_RATE)
    total_env_steps: int = doc(0, F.TOTAL_ENV_STEPS)
    entropy_coef: float = doc(0.0, F.ENTROPY_COEF)
    normalize_observations: bool = doc(False, F.NORMALIZE_OBSERVATIONS)
    normalize_rewards: bool = doc(False, F.NORMALIZE_REWARDS)
    clip_observations: float = doc(10.0, F.CLIP_OBSERVATIONS)
    clip_rewards: float = doc(10.0, F.CLIP_REWARDS)
    seed: int = doc(0, F.SEED)


class A2C(PolicyGradientLearner):
    """Batch actor-critic / A2C: N envs × T steps, GAE or n-step advantages,
    critic fitted to bootstrapped or Monte Carlo targets (``value_epochs``
    passes)."""

    _config_class = A2CConfig
