"""TRPO (Schulman et al. 2015): Sources/SwiftPG/Algorithms/TRPO.swift (the
shared natural step: NaturalGradient.swift)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._fields import NaturalConfig
from ._learner import PolicyGradientLearner, doc

__all__ = ["TRPOConfig", "TRPO"]


@dataclass
class TRPOConfig(NaturalConfig):
    """Configuration of :class:`TRPO`; defaults: REFERENCE.md §4."""

    _algorithm: ClassVar[str] = "trpo"
    _label: ClassVar[str] = "TRPO config"

    backtrack_ratio: float = doc(0.8, "line-search step fraction per backtrack, in (0, 1)")
    line_search_steps: int = doc(10, "line-search trials (1–100)")


class TRPO(PolicyGradientLearner):
    """TRPO (Schulman et al. 2015): the natural step with a backtracking line
    search that accepts the first fraction with mean KL ≤ δ and an improved
    surrogate (``line_search_step``: the accepted backtrack, −1 when none
    was); then the critic is fitted."""

    _config_class = TRPOConfig
