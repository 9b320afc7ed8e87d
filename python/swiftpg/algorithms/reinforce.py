"""REINFORCE (Williams 1992) with the lectures' weightings and baselines:
Sources/SwiftPG/Algorithms/Reinforce.swift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._fields import VALUE_LEARNING_RATE, EpisodeConfig
from ._learner import PolicyGradientLearner, doc

__all__ = ["ReinforceConfig", "REINFORCE"]


@dataclass
class ReinforceConfig(EpisodeConfig):
    """Configuration of :class:`REINFORCE`."""

    _algorithm: ClassVar[str] = "reinforce"
    _label: ClassVar[str] = "REINFORCE config"

    weighting: str = doc("reward_to_go", "what multiplies ∇log π: full_return R(τ), reward_to_go G_t, "
                                         "discounted_reward_to_go γᵗG_t (Kochenderfer §11.4–11.5)")
    baseline: str = doc("mean", "none, mean (batch mean), optimal (per-parameter constant), value (learned V(s))")
    normalize_advantages: bool = doc(True, "divide the weights by their std (not with the optimal baseline)")
    episode_average: bool = doc(False, "divide the summed gradient by the number of episodes (Sutton & Barto) "
                                       "instead of steps")
    value_epochs: int = doc(5, "value baseline: critic passes per batch")
    value_learning_rate: float = doc(1e-3, "value baseline: " + VALUE_LEARNING_RATE)


class REINFORCE(PolicyGradientLearner):
    """REINFORCE (Williams 1992) on whole episodes with the lectures'
    variants: ``weighting`` full_return / reward_to_go /
    discounted_reward_to_go and ``baseline`` none / mean / optimal / value (a
    learned V(s), fitted to the returns after each step). Defaults:
    reward-to-go, mean baseline, weights divided by their std, Adam 0.01, a
    32×32 tanh policy."""

    _config_class = ReinforceConfig
    _default_hidden = (32, 32)
