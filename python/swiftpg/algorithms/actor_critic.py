"""Online actor-critic (Levine CS 285; Sutton & Barto §13.5):
Sources/SwiftPG/Algorithms/ActorCritic.swift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._fields import LEARNING_RATE, OPTIMIZER, STEPS_PER_ENV, VALUE_LEARNING_RATE, CommonConfig
from ._learner import PolicyGradientLearner, doc

__all__ = ["ActorCriticConfig", "ActorCritic"]


@dataclass
class ActorCriticConfig(CommonConfig):
    """Configuration of :class:`ActorCritic` (the lecture's loop: one step of
    every env, then one SGD step of the critic and of the policy)."""

    _algorithm: ClassVar[str] = "actor-critic"
    _label: ClassVar[str] = "ActorCritic config"

    optimizer: str = doc("sgd", OPTIMIZER)
    learning_rate: float = doc(0.01, LEARNING_RATE)
    steps_per_env: int = doc(1, STEPS_PER_ENV)
    value_epochs: int = doc(1, "critic steps toward the TD targets per batch (at least one)")
    normalize_advantages: bool = doc(False, "standardise the TD-error advantages")
    value_learning_rate: float = doc(0.05, VALUE_LEARNING_RATE)


class ActorCritic(PolicyGradientLearner):
    """Online actor-critic: act in every env, one critic step toward
    r + γV̂(s'), Â = r + γV̂(s') − V̂(s) with the updated critic, one SGD
    policy step along mean ∇log π · Â (the lecture's five-step loop)."""

    _config_class = ActorCriticConfig
