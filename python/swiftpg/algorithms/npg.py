"""Natural policy gradient (Kakade 2001): Sources/SwiftPG/Algorithms/NPG.swift
(the shared natural step: NaturalGradient.swift)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._fields import NaturalConfig
from ._learner import PolicyGradientLearner

__all__ = ["NPGConfig", "NPG"]


@dataclass
class NPGConfig(NaturalConfig):
    """Configuration of :class:`NPG`; defaults: REFERENCE.md §4."""

    _algorithm: ClassVar[str] = "npg"
    _label: ClassVar[str] = "NPG config"


class NPG(PolicyGradientLearner):
    """Natural policy gradient (Kakade 2001): conjugate gradient on
    Fisher-vector products and the full step √(2δ / xᵀFx)·x (no line
    search); then the critic is fitted. ``line_search_step`` is −1 when the
    gradient was zero (no step)."""

    _config_class = NPGConfig
