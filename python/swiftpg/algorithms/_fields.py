"""The config fields several algorithms share, each declared and documented
once (as in Swift's CommonFields / SegmentFields / NaturalStepFields):
``CommonConfig`` (every policy-gradient learner), ``EpisodeConfig`` (the
whole-episode learners REINFORCE, OffPolicyPG), ``SegmentConfig`` (the
N × T learners A2C, NPG, TRPO, PPO) and ``NaturalConfig`` (NPG, TRPO). An
algorithm's config dataclass derives from the group it reads, restates the
defaults its reference implementation changes, and adds its own fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._learner import _PGConfig, doc

GAMMA = "discount γ ∈ [0, 1]"
OPTIMIZER = "adam or sgd (policy and critic)"
LEARNING_RATE = "the policy's step size (> 0)"
VALUE_LEARNING_RATE = "the critic's step size (0: learning_rate)"
ADAM_EPSILON = "Adam's ε (> 0)"
MAX_GRAD_NORM = "rescale the gradient to this L2 norm (0: off; A2C, PPO: jointly over policy and critic)"
STEPS_PER_ENV = "steps T of every environment per iteration (fixed-length segments)"
STEPS_PER_ITERATION = "minimum transitions of whole episodes per iteration"
GAE_LAMBDA = "GAE λ ∈ [0, 1] (Schulman et al. 2016)"
VALUE_EPOCHS = "critic passes over each batch"
NORMALIZE_ADVANTAGES = "standardise the advantages (PPO: per minibatch)"
MINIBATCH_SIZE = "minibatch rows, must divide num_envs × steps_per_env (0: the whole batch)"


@dataclass
class CommonConfig(_PGConfig):
    """The fields of every policy-gradient learner."""

    gamma: float = doc(0.99, GAMMA)
    optimizer: str = doc("adam", OPTIMIZER)
    learning_rate: float = doc(3e-4, LEARNING_RATE)
    adam_epsilon: float = doc(1e-5, ADAM_EPSILON)
    max_grad_norm: float = doc(0.0, MAX_GRAD_NORM)
    max_grad_value: float = doc(0.0, "clamp each gradient component to ±this before the step "
                                     "(Kochenderfer's clip_gradient; 0: off)")
    entropy_coef: float = doc(0.0, "entropy bonus coefficient c_H (≥ 0)")
    seed: int = doc(0, "seeds the per-lane action streams, minibatch shuffling and the default networks")



@dataclass
class EpisodeConfig(CommonConfig):
    """The fields of the learners on batches of whole episodes (REINFORCE,
    OffPolicyPG), and the defaults they share."""

    learning_rate: float = doc(0.01, LEARNING_RATE)
    adam_epsilon: float = doc(1e-8, ADAM_EPSILON)
    steps_per_iteration: int = doc(5000, STEPS_PER_ITERATION)

@dataclass
class SegmentConfig(CommonConfig):
    """The fields of the N × T learners, which fit a critic and estimate
    advantages with it."""

    steps_per_env: int = doc(128, STEPS_PER_ENV)
    advantage: str = doc("gae", "gae (GAE(γ, λ)), n_step, or vtrace (V-trace, Espeholt et al. 2018, with "
                                "vtrace_rho_bar and vtrace_c_bar, c scaled by gae_lambda: corrects for a stale "
                                "acting policy, e.g. asynchronous rollout workers; the critic then fits the "
                                "V-trace targets)")
    gae_lambda: float = doc(0.95, GAE_LAMBDA)
    n_steps: int = doc(5, "n of n-step advantages (≥ 1)")
    value_target: str = doc("bootstrap", "critic targets: bootstrap (λ-/n-step returns) or monte_carlo "
                                         "(to the segment end)")
    value_epochs: int = doc(1, VALUE_EPOCHS)
    normalize_advantages: bool = doc(True, NORMALIZE_ADVANTAGES)
    minibatch_size: int = doc(0, MINIBATCH_SIZE)
    value_learning_rate: float = doc(0.0, VALUE_LEARNING_RATE)
    anneal_learning_rate: bool = doc(False, "decay the learning rates linearly to 0 over total_env_steps")
    total_env_steps: int = doc(0, "horizon of the annealing schedules (needed when annealing)")
    normalize_observations: bool = doc(False, "running mean/std observation normalisation (saved in checkpoints)")
    normalize_rewards: bool = doc(False, "divide rewards by the running std of the discounted return "
                                         "(SB3 VecNormalize)")
    clip_observations: float = doc(10.0, "clip normalised observations to ±this")
    clip_rewards: float = doc(10.0, "clip scaled rewards to ±this")
    normalization_update: str = doc("step", "when the normalisers take in the collection: step (at every step, "
                                            "before the policy sees it; SB3 VecNormalize) or segment (statistics "
                                            "frozen during a segment, the raw segment folded in afterwards as "
                                            "swiftpg.distributed's driver does: then training alone and on any "
                                            "number of rollout workers is bit-identical)")
    vtrace_rho_bar: float = doc(1.0, "V-trace ρ̄ (finite, > 0; advantage='vtrace'): truncates the TD importance "
                                     "weights; selects the fixed point, the value of a policy between β and π "
                                     "(Espeholt et al. 2018, §4.1)")
    vtrace_c_bar: float = doc(1.0, "V-trace c̄ (finite, > 0; advantage='vtrace'): truncates the traces; sets the "
                                   "contraction speed (variance), not the fixed point. The paper assumes "
                                   "c̄ ≤ ρ̄ (§4.1); not required")


@dataclass
class NaturalConfig(SegmentConfig):
    """NPG's and TRPO's fields: the natural step, and the critic's optimiser
    settings in the common fields (the policy takes the natural step)."""

    learning_rate: float = doc(1e-3, "the critic's step size unless value_learning_rate is set")
    steps_per_env: int = doc(256, STEPS_PER_ENV)
    value_epochs: int = doc(10, VALUE_EPOCHS + " (minibatches of minibatch_size)")
    minibatch_size: int = doc(128, MINIBATCH_SIZE)
    max_kl: float = doc(0.01, "KL budget δ of the natural step")
    cg_iterations: int = doc(15, "conjugate-gradient iterations (1–1000)")
    cg_damping: float = doc(0.1, "damping added to the Fisher matrix (≥ 0)")
