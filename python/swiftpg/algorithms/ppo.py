"""PPO (Schulman et al. 2017) with the implementation details of Huang et
al. (2022): Sources/SwiftPG/Algorithms/PPO.swift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._fields import MAX_GRAD_NORM, MINIBATCH_SIZE, STEPS_PER_ENV, SegmentConfig
from ._learner import PolicyGradientLearner, doc

__all__ = ["PPOConfig", "PPO"]


@dataclass
class PPOConfig(SegmentConfig):
    """Configuration of :class:`PPO`; defaults are CleanRL's ``ppo.py``
    (``describe()`` prints every field with its meaning). ``value_epochs``
    is not read (the critic trains in the epochs)."""

    _algorithm: ClassVar[str] = "ppo"
    _label: ClassVar[str] = "PPO config"

    max_grad_norm: float = doc(0.5, MAX_GRAD_NORM)
    steps_per_env: int = doc(128, STEPS_PER_ENV + " (CleanRL num_steps)")
    minibatch_size: int = doc(64, MINIBATCH_SIZE)
    epochs: int = doc(10, "passes over each batch (CleanRL update_epochs)")
    clip_range: float = doc(0.2, "ε of the clipped surrogate min(ρÂ, clip(ρ, 1 ± ε)Â)")
    anneal_clip_range: bool = doc(False, "decay ε linearly to 0 over total_env_steps")
    value_clip_range: float = doc(0.0, "clip V − V_old to ±this (0: off; Huang et al. detail 9)")
    value_coef: float = doc(0.5, "weight c_V of the critic loss")
    target_kl: float = doc(0.0, "stop the epochs once approx KL > 1.5 × this (0: off)")
    kl_penalty: bool = doc(False, "adaptive KL penalty ρÂ − β KL(π_old ‖ π) instead of clipping (§4 of the paper)")
    kl_beta: float = doc(1.0, "initial β of the KL penalty")
    kl_target: float = doc(0.01, "d_targ of the KL penalty (β halves below d/1.5, doubles above 1.5d)")
    shared_network: bool = doc(False, "policy and critic share their hidden layers (the value loss trains them)")
    update_threads: int = doc(1, "threads of the update, 1–64: 2 or more run each minibatch's policy and "
                                 "critic passes concurrently (the update's two independent computations; "
                                 "results are identical for every count)")


class PPO(PolicyGradientLearner):
    """PPO with the clipped surrogate (or the adaptive KL penalty), GAE,
    per-minibatch advantage normalisation, optional value clipping, entropy
    bonus, global grad-norm clipping, Adam ε 1e-5, linear annealing, epochs
    × shuffled minibatches, target-KL early stop, separate 64×64 tanh policy
    and value networks (orthogonal init), Gaussian policies for continuous
    actions and optional observation/reward normalisation. Stats: ``epochs``
    (epochs run), ``clip_fraction``, ``kl_coef`` (β with ``kl_penalty``)."""

    _config_class = PPOConfig
