"""PPO (Schulman et al. 2017) with the implementation details of Huang et
al. (2022): Sources/SwiftPG/Algorithms/PPO.swift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from . import _fields as F
from ._learner import PolicyGradientLearner, _PGConfig, doc

__all__ = ["PPOConfig", "PPO"]


@dataclass
class PPOConfig(_PGConfig):
    """Configuration of :class:`PPO`; defaults are CleanRL's ``ppo.py``
    (``describe()`` prints every field with its meaning)."""

    _algorithm: ClassVar[str] = "ppo"
    _label: ClassVar[str] = "PPO config"

    steps_per_env: int = doc(128, F.STEPS_PER_ENV + " (CleanRL num_steps)")
    epochs: int = doc(10, "passes over each batch (CleanRL update_epochs)")
    minibatch_size: int = doc(64, F.MINIBATCH_SIZE)
    clip_range: float = doc(0.2, "ε of the clipped surrogate min(ρÂ, clip(ρ, 1 ± ε)Â)")
    anneal_clip_range: bool = doc(False, "decay ε linearly to 0 over total_env_steps")
    value_clip_range: float = doc(0.0, "clip V − V_old to ±this (0: off; Huang et al. detail 9)")
    value_coef: float = doc(0.5, F.VALUE_COEF)
    target_kl: float = doc(0.0, "stop the epochs once approx KL > 1.5 × this (0: off)")
    kl_penalty: bool = doc(False, "adaptive KL penalty ρÂ − β KL(π_old ‖ π) instead of clipping (§4 of the paper)")
    kl_beta: float = doc(1.0, "initial β of the KL penalty")
    kl_target: float = doc(0.01, "d_targ of the KL penalty (β halves below d/1.5, doubles above 1.5d)")
    shared_network: bool = doc(False, "policy and critic share their hidden layers (the value loss trains them)")
    update_threads: int = doc(1, "1, or 2 to run each minibatch's policy and critic passes concurrently "
                                 "(identical results)")
    advantage: str = doc("gae", F.ADVANTAGE)
    gae_lambda: float = doc(0.95, F.GAE_LAMBDA)
    n_steps: int = doc(5, F.N_STEPS)
    value_target: str = doc("bootstrap", F.VALUE_TARGET)
    value_epochs: int = doc(1, "not read by PPO (the critic trains in the epochs)")
    normalize_advantages: bool = doc(True, F.NORMALIZE_ADVANTAGES + " per minibatch")
    gamma: float = doc(0.99, F.GAMMA)
    optimizer: str = doc("adam", F.OPTIMIZER)
    learning_rate: float = doc(3e-4, F.LEARNING_RATE)
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


class PPO(PolicyGradientLearner):
    """PPO with the clipped surrogate (or the adaptive KL penalty), GAE,
    per-minibatch advantage normalisation, optional value clipping, entropy
    bonus, global grad-norm clipping, Adam ε 1e-5, linear annealing, epochs
    × shuffled minibatches, target-KL early stop, separate 64×64 tanh policy
    and value networks (orthogonal init), Gaussian policies for continuous
    actions and optional observation/reward normalisation. Stats: ``epochs``
    (epochs run), ``clip_fraction``, ``kl_coef`` (β with ``kl_penalty``)."""

    _config_class = PPOConfig
