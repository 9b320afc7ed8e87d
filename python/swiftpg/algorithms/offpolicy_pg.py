"""Off-policy policy gradient with importance sampling (Sutton & Barto
§5.5; Precup et al. 2000): Sources/SwiftPG/Algorithms/OffPolicyPG.swift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from . import _fields as F
from ._learner import PolicyGradientLearner, _PGConfig, doc

__all__ = ["OffPolicyPGConfig", "OffPolicyPG"]


@dataclass
class OffPolicyPGConfig(_PGConfig):
    """Configuration of :class:`OffPolicyPG`."""

    _algorithm: ClassVar[str] = "offpolicy-pg"
    _label: ClassVar[str] = "OffPolicyPG config"

    steps_per_iteration: int = doc(5000, F.STEPS_PER_ITERATION)
    reuse_batches: int = doc(4, "batches reused per update, the current one included")
    per_decision: bool = doc(True, "per-decision (else trajectory-level) importance weights")
    importance_clip: float = doc(float("inf"), "truncate importance weights at this value (inf: none)")
    baseline: str = doc("mean", "none or mean (the newest batch's mean return)")
    normalize_advantages: bool = doc(True, "divide the weights by their std")
    gamma: float = doc(0.99, F.GAMMA)
    optimizer: str = doc("adam", F.OPTIMIZER)
    learning_rate: float = doc(0.01, F.LEARNING_RATE)
    adam_epsilon: float = doc(1e-8, F.ADAM_EPSILON)
    max_grad_norm: float = doc(0.0, F.MAX_GRAD_NORM)
    max_grad_value: float = doc(0.0, F.MAX_GRAD_VALUE)
    entropy_coef: float = doc(0.0, F.ENTROPY_COEF)
    seed: int = doc(0, F.SEED)


class OffPolicyPG(PolicyGradientLearner):
    """Off-policy policy gradient reusing the last ``reuse_batches`` batches
    with trajectory-level or per-decision importance weights (optionally
    truncated); ``TrainStats.effective_sample_size`` is the
    effective-sample-size fraction of the trajectory weights."""

    _config_class = OffPolicyPGConfig
    _default_hidden = (32, 32)
