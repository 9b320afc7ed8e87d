"""Online actor-critic (Levine CS 285; Sutton & Barto §13.5):
Sources/SwiftPG/Algorithms/ActorCritic.swift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from . import _fields as F
from ._learner import PolicyGradientLearner, _PGConfig, doc

__all__ = ["ActorCriticConfig", "ActorCritic"]


@dataclass
class ActorCriticConfig(_PGConfig):
    """Configuration of :class:`ActorCritic` (the lecture's loop: one step of
    every env, then one SGD step of the critic and of the policy)."""

    _algorithm: ClassVar[str] = "actor-critic"
    _label: ClassVar[str] = "ActorCritic config"

    steps_per_env: int = doc(1, F.STEPS_PER_ENV)
    value_epochs: int = doc(1, "critic steps toward the TD targets per batch (at least one)")
    normalize_advantages: bool = doc(False, "standardise the TD-error advantages")
    gamma: float = doc(0.99, F.GAMMA)
    optimizer: str = doc("sgd", F.OPTIMIZER)
    learning_rate: float = doc(0.01, F.LEARNING_RATE)
    value_learning_rate: float = doc(0.05, F.VALUE_LEARNING_RATE)
    adam_epsilon: float = doc(1e-5, F.ADAM_EPSILON)
    max_grad_norm: float = doc(0.0, "rescale each network's gradient to this L2 norm (0: off)")
    max_grad_value: float = doc(0.0, F.MAX_GRAD_VALUE)
    entropy_coef: float = doc(0.0, F.ENTROPY_COEF)
    seed: int = doc(0, F.SEED)


class ActorCritic(PolicyGradientLearner):
    """Online actor-critic: act in every env, one critic step toward
    r + γV̂(s'), Â = r + γV̂(s') − V̂(s) with the updated critic, one SGD
    policy step along mean ∇log π · Â (the lecture's five-step loop)."""

    _config_class = ActorCriticConfig
