"""Off-policy policy gradient with importance sampling (Sutton & Barto
§5.5; Precup et al. 2000): Sources/SwiftPG/Algorithms/OffPolicyPG.swift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._fields import EpisodeConfig
from ._learner import PolicyGradientLearner, doc

__all__ = ["OffPolicyPGConfig", "OffPolicyPG"]


@dataclass
class OffPolicyPGConfig(EpisodeConfig):
    """Configuration of :class:`OffPolicyPG`."""

    _algorithm: ClassVar[str] = "offpolicy-pg"
    _label: ClassVar[str] = "OffPolicyPG config"

    reuse_batches: int = doc(4, "batches reused per update, the current one included")
    per_decision: bool = doc(True, "per-decision (else trajectory-level) importance weights")
    importance_clip: float = doc(float("inf"), "truncate importance weights at this value (inf: none)")
    baseline: str = doc("mean", "none or mean (the newest batch's mean return)")
    normalize_advantages: bool = doc(True, "divide the weights by their std")


class OffPolicyPG(PolicyGradientLearner):
    """Off-policy policy gradient reusing the last ``reuse_batches`` batches
    with trajectory-level or per-decision importance weights (optionally
    truncated); ``TrainStats.effective_sample_size`` is the
    effective-sample-size fraction of the trajectory weights."""

    _config_class = OffPolicyPGConfig
    _default_hidden = (32, 32)
