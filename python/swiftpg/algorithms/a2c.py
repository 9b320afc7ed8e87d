"""Synchronous advantage actor-critic (Mnih et al. 2016):
Sources/SwiftPG/Algorithms/A2C.swift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._fields import GAE_LAMBDA, LEARNING_RATE, MAX_GRAD_NORM, NORMALIZE_ADVANTAGES, STEPS_PER_ENV, SegmentConfig
from ._learner import PolicyGradientLearner, doc

__all__ = ["A2CConfig", "A2C"]


@dataclass
class A2CConfig(SegmentConfig):
    """Configuration of :class:`A2C`; defaults are SB3's A2C. After the
    joint step, ``value_epochs`` − 1 more critic passes of minibatches of
    ``minibatch_size`` rows."""

    _algorithm: ClassVar[str] = "a2c"
    _label: ClassVar[str] = "A2C config"

    learning_rate: float = doc(7e-4, LEARNING_RATE)
    max_grad_norm: float = doc(0.5, MAX_GRAD_NORM)
    steps_per_env: int = doc(5, STEPS_PER_ENV + " (SB3 n_steps)")
    gae_lambda: float = doc(1.0, GAE_LAMBDA + " (1: the segment's n-step returns)")
    normalize_advantages: bool = doc(False, NORMALIZE_ADVANTAGES)
    value_coef: float = doc(0.5, "weight c_V of the critic loss in the joint step")


class A2C(PolicyGradientLearner):
    """Batch actor-critic / A2C: N envs × T steps, GAE or n-step advantages,
    critic fitted to bootstrapped or Monte Carlo targets (``value_epochs``
    passes)."""

    _config_class = A2CConfig
