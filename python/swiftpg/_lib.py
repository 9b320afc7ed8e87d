"""Loads libswiftpg.so, declares every C signature once, and turns status
codes into Python exceptions.

Lookup order for the library: the ``SWIFTPG_LIBRARY`` environment variable
(a path), then ``libswiftpg.so`` inside this package directory.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import threading
from ctypes import (
    POINTER,
    Structure,
    c_char_p,
    c_double,
    c_int32,
    c_int64,
    c_size_t,
    c_uint32,
    c_uint64,
    c_uint8,
    c_void_p,
)
from typing import Any

import numpy as np

ABI_VERSION = 16

# --- status codes (Include/swiftpg.h) -------------------------------------
OK = 0
ERR_INVALID_ARGUMENT = -1
ERR_NULL_POINTER = -2
ERR_BAD_HANDLE = -3
ERR_OUT_OF_RANGE = -4
ERR_UNKNOWN_ID = -5
ERR_TOO_LARGE = -6
ERR_BUSY = -7
ERR_NOT_FINITE = -8
ERR_BUFFER_TOO_SMALL = -9
ERR_NUMERICAL = -10
ERR_IO = -11
ERR_BAD_FORMAT = -12
ERR_CANCELLED = -13
ERR_NOT_SUPPORTED = -14
ERR_INTERNAL = -99

KIND_ALL, KIND_ENV, KIND_POLICY, KIND_ALGORITHM, KIND_VALUE = 0, 1, 2, 3, 4
KIND_SEQ_TASK, KIND_SEQ_POLICY, KIND_REWARD_MODEL, KIND_PREF_TRAINER = 5, 6, 7, 8
KIND_RLHF_LEARNER = 9
KIND_GAME = 10
KIND_GAME_PLAYER = 11
KIND_DQN = 12
KIND_BOARD_NET = 13
KIND_BOARD_LEARNER = 14
KIND_ALPHAGO_PIPELINE = 16
#: A full column in swiftpg_solver_column_scores.
SOLVER_NO_SCORE = -32768
#: OpenSpiel's kTerminalPlayerId: the current player of a finished game.
GAME_TERMINAL_PLAYER = -4
DIRECT_LOSS = {"dpo": 0, "ipo": 1}
SEQ_FAMILIES = {1: "tabular", 2: "neural"}
PLACEMENT = {"low_probability": 0, "high_probability": 1}
#: The sampled KL estimators of the KL-regularised reward (SWIFTPG_KL_*).
KL_ESTIMATORS = {"k1": 1, "k2": 2, "k3": 3}
POLICY_FAMILIES = {1: "softmax_mlp", 2: "tabular", 3: "linear_features", 4: "gaussian", 5: "clamp",
                   6: "factored_softmax"}
ACTION_DISCRETE, ACTION_CONTINUOUS = 0, 1
#: Autoreset modes (SWIFTPG_AUTORESET_*).
AUTORESET_SAME_STEP, AUTORESET_NEXT_STEP = 0, 1
OBSERVATION_VECTOR, OBSERVATION_ONE_HOT = 0, 1
ACTIVATION = {"tanh": 0, "relu": 1}
BASELINE = {"none": 0, "mean": 1, "optimal": 2, "value": 3}
ALGORITHM = {"reinforce": 0, "actor-critic": 1, "a2c": 2, "offpolicy-pg": 3, "npg": 4, "trpo": 5, "ppo": 6}
WEIGHTING = {"full_return": 0, "reward_to_go": 1, "discounted_reward_to_go": 2}
ADVANTAGE = {"gae": 0, "n_step": 1, "vtrace": 2}
VALUE_TARGET = {"bootstrap": 0, "monte_carlo": 1}
#: SWIFTPG_NORMALIZATION_UPDATE_*.
NORMALIZATION_UPDATE = {"step": 0, "segment": 1}
OPTIMIZER = {"adam": 0, "sgd": 1}
#: DQN choices (SWIFTPG_DQN_*).
DQN_TARGET_UNIT = {"env_steps": 0, "gradient_steps": 1}
DQN_LOSS = {"mse": 0, "huber": 1}
DQN_MAX_HIDDEN = 8


class SwiftPGError(Exception):
    """Base class of every error raised by swiftpg. ``status`` is the C
    status code (negative) or None for errors detected in Python."""

    status: int | None = None

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class InvalidArgumentError(SwiftPGError, ValueError):
    """An argument has a value outside its domain (including NaN/inf values,
    out-of-range actions and unknown ids)."""


class UnknownEnvironmentError(InvalidArgumentError):
    """No environment is registered under this id."""


class NotFiniteError(InvalidArgumentError):
    """A NaN or infinite value was passed where a finite one is required."""


class BadHandleError(SwiftPGError, RuntimeError):
    """The object was closed/destroyed, or the handle is not valid."""


class ClosedError(BadHandleError):
    """The object was closed; create a new one."""


class BusyError(SwiftPGError, RuntimeError):
    """Another thread is using this object right now."""


class NumericalError(SwiftPGError, FloatingPointError):
    """A computation produced NaN or infinity (e.g. diverging training)."""


class CheckpointIOError(SwiftPGError, OSError):
    """A checkpoint file could not be read or written."""


class BadFormatError(SwiftPGError, ValueError):
    """A file is not a valid checkpoint (truncated, corrupted, wrong version
    or wrong kind)."""


class CancelledError(SwiftPGError, RuntimeError):
    """A long native call stopped early at a cancellation request
    (``swiftpg_cancel``; Python requests it when Ctrl-C interrupts the call
    and then raises KeyboardInterrupt)."""


class NotSupportedError(SwiftPGError, NotImplementedError):
    """The object cannot do this (e.g. a population search asked to update
    on transitions collected elsewhere)."""


class InternalError(SwiftPGError, RuntimeError):
    """A bug in swiftpg. Please report it with the message."""


_EXCEPTIONS = {
    ERR_INVALID_ARGUMENT: InvalidArgumentError,
    ERR_NULL_POINTER: InvalidArgumentError,
    ERR_BAD_HANDLE: BadHandleError,
    ERR_OUT_OF_RANGE: InvalidArgumentError,
    ERR_UNKNOWN_ID: UnknownEnvironmentError,
    ERR_TOO_LARGE: InvalidArgumentError,
    ERR_BUSY: BusyError,
    ERR_NOT_FINITE: NotFiniteError,
    ERR_BUFFER_TOO_SMALL: InvalidArgumentError,
    ERR_NUMERICAL: NumericalError,
    ERR_IO: CheckpointIOError,
    ERR_BAD_FORMAT: BadFormatError,
    ERR_CANCELLED: CancelledError,
    ERR_NOT_SUPPORTED: NotSupportedError,
    ERR_INTERNAL: InternalError,
}


# --- structs -----------------------------------------------------------------
class EnvInfo(Structure):
    _fields_ = [
        ("num_envs", c_int32),
        ("observation_size", c_int32),
        ("state_size", c_int32),
        ("action_kind", c_int32),
        ("num_actions", c_int32),
        ("action_size", c_int32),
        ("max_episode_steps", c_int32),
        ("observation_kind", c_int32),
        ("reward_threshold", c_double),
    ]


class PolicyInfo(Structure):
    _fields_ = [
        ("family", c_int32),
        ("observation_size", c_int32),
        ("action_kind", c_int32),
        ("num_actions", c_int32),
        ("action_size", c_int32),
        ("reserved", c_int32),
        ("num_params", c_int64),
    ]


# The policy-gradient config structs (Include/swiftpg.h): each starts with its
# own size. _UPDATE_FIELDS: the update's step sizes, Adam ε, gradient clipping
# and entropy bonus, in this order in the segment, REINFORCE and online
# actor-critic structs.
_UPDATE_FIELDS = [
    ("learning_rate", c_double),
    ("value_learning_rate", c_double),
    ("adam_epsilon", c_double),
    ("max_grad_norm", c_double),
    ("max_grad_value", c_double),
    ("entropy_coef", c_double),
]

# The segment learners' SWIFTPG_SEGMENT_CONFIG_FIELDS.
SEGMENT_FIELDS: list[tuple[str, Any]] = [
    ("steps_per_env", c_int32),
    ("advantage", c_int32),
    ("n_steps", c_int32),
    ("value_target", c_int32),
    ("value_epochs", c_int32),
    ("normalize_advantages", c_int32),
    ("optimizer", c_int32),
    ("minibatch_size", c_int32),
    ("anneal_learning_rate", c_int32),
    ("normalize_observations", c_int32),
    ("normalize_rewards", c_int32),
    ("normalization_update", c_int32),
    ("total_env_steps", c_int64),
    ("gamma", c_double),
    ("gae_lambda", c_double),
] + _UPDATE_FIELDS + [
    ("clip_observations", c_double),
    ("clip_rewards", c_double),
    ("vtrace_rho_bar", c_double),
    ("vtrace_c_bar", c_double),
    ("seed", c_uint64),
]


# What ends REINFORCE's and the online actor-critic's structs.
_STEP_FIELDS: list[tuple[str, Any]] = [("gamma", c_double)] + _UPDATE_FIELDS + [("seed", c_uint64)]


class ReinforceConfigC(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("steps_per_iteration", c_int32),
        ("weighting", c_int32),
        ("baseline", c_int32),
        ("normalize_advantages", c_int32),
        ("episode_average", c_int32),
        ("value_epochs", c_int32),
        ("optimizer", c_int32),
    ] + _STEP_FIELDS


class ActorCriticConfigC(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("steps_per_env", c_int32),
        ("value_epochs", c_int32),
        ("normalize_advantages", c_int32),
        ("optimizer", c_int32),
        ("reserved", c_int32),
    ] + _STEP_FIELDS


class A2CConfigC(Structure):
    _fields_ = [("size", c_uint32)] + SEGMENT_FIELDS + [("value_coef", c_double)]


class NPGConfigC(Structure):
    _fields_ = [("size", c_uint32)] + SEGMENT_FIELDS + [
        ("cg_iterations", c_int32),
        ("reserved2", c_int32),
        ("max_kl", c_double),
        ("cg_damping", c_double),
    ]


class TRPOConfigC(Structure):
    _fields_ = [("size", c_uint32)] + SEGMENT_FIELDS + [
        ("cg_iterations", c_int32),
        ("line_search_steps", c_int32),
        ("max_kl", c_double),
        ("cg_damping", c_double),
        ("backtrack_ratio", c_double),
    ]


class PPOConfigC(Structure):
    _fields_ = [("size", c_uint32)] + SEGMENT_FIELDS + [
        ("epochs", c_int32),
        ("anneal_clip_range", c_int32),
        ("kl_penalty", c_int32),
        ("shared_network", c_int32),
        ("update_threads", c_int32),
        ("reserved2", c_int32),
        ("clip_range", c_double),
        ("value_clip_range", c_double),
        ("value_coef", c_double),
        ("target_kl", c_double),
        ("kl_beta", c_double),
        ("kl_target", c_double),
    ]


class OffPolicyPGConfigC(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("steps_per_iteration", c_int32),
        ("baseline", c_int32),
        ("normalize_advantages", c_int32),
        ("reuse_batches", c_int32),
        ("per_decision", c_int32),
        ("optimizer", c_int32),
        ("reserved", c_int32),
        ("gamma", c_double),
        ("learning_rate", c_double),
        ("adam_epsilon", c_double),
        ("max_grad_norm", c_double),
        ("max_grad_value", c_double),
        ("entropy_coef", c_double),
        ("importance_clip", c_double),
        ("seed", c_uint64),
    ]


#: Each policy-gradient learner's C prefix and config struct, by algorithm name.
PG_CONFIG_STRUCTS = {
    "reinforce": ("reinforce", ReinforceConfigC),
    "actor-critic": ("actor_critic", ActorCriticConfigC),
    "a2c": ("a2c", A2CConfigC),
    "offpolicy-pg": ("offpolicy_pg", OffPolicyPGConfigC),
    "npg": ("npg", NPGConfigC),
    "trpo": ("trpo", TRPOConfigC),
    "ppo": ("ppo", PPOConfigC),
}


class TrainStatsC(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("episodes", c_int32),
        ("iteration", c_int64),
        ("env_steps", c_int64),
        ("total_env_steps", c_int64),
        ("epochs", c_int32),
        ("line_search_step", c_int32),
        ("mean_return", c_double),
        ("std_return", c_double),
        ("min_return", c_double),
        ("max_return", c_double),
        ("mean_length", c_double),
        ("success_rate", c_double),
        ("policy_loss", c_double),
        ("value_loss", c_double),
        ("entropy", c_double),
        ("approx_kl", c_double),
        ("clip_fraction", c_double),
        ("explained_variance", c_double),
        ("grad_norm", c_double),
        ("learning_rate", c_double),
        ("kl_coef", c_double),
        ("effective_sample_size", c_double),
        ("seconds", c_double),
    ]


class SearchConfigC(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("method", c_int32),
        ("episodes_per_evaluation", c_int32),
        ("population_size", c_int32),
        ("elite_count", c_int32),
        ("greedy", c_int32),
        ("initial_std", c_double),
        ("extra_noise", c_double),
        ("mutation_std", c_double),
        ("step_size", c_double),
        ("shrink", c_double),
        ("tolerance", c_double),
        ("seed", c_uint64),
    ]


class SearchStatsC(Structure):
    _fields_ = [
        ("iteration", c_int64),
        ("env_steps", c_int64),
        ("total_env_steps", c_int64),
        ("evaluations", c_int32),
        ("done", c_int32),
        ("best_utility", c_double),
        ("mean_utility", c_double),
        ("current_utility", c_double),
        ("spread", c_double),
        ("seconds", c_double),
    ]


# DQN (issue 19).
class DQNConfigC(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("batch_size", c_int32),
        ("total_env_steps", c_int64),
        ("buffer_size", c_int64),
        ("learning_starts", c_int64),
        ("target_update_interval", c_int64),
        ("target_update_unit", c_int32),
        ("train_freq", c_int32),
        ("gradient_steps", c_int32),
        ("loss", c_int32),
        ("double_q", c_int32),
        ("activation", c_int32),
        ("precision", c_int32),
        ("num_hidden", c_int32),
        ("hidden", c_int32 * DQN_MAX_HIDDEN),
        ("learning_rate", c_double),
        ("adam_epsilon", c_double),
        ("gamma", c_double),
        ("tau", c_double),
        ("exploration_fraction", c_double),
        ("exploration_initial_eps", c_double),
        ("exploration_final_eps", c_double),
        ("max_grad_norm", c_double),
        ("seed", c_uint64),
    ]


class DQNStatsC(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("episodes", c_int32),
        ("iteration", c_int64),
        ("env_steps", c_int64),
        ("total_env_steps", c_int64),
        ("gradient_steps", c_int64),
        ("total_gradient_steps", c_int64),
        ("mean_return", c_double),
        ("mean_length", c_double),
        ("epsilon", c_double),
        ("loss", c_double),
        ("mean_q", c_double),
        ("grad_norm", c_double),
        ("seconds", c_double),
    ]


# Sequences and preferences (issue 15).
class SeqTaskInfo(Structure):
    _fields_ = [
        ("vocab_size", c_int32),
        ("max_length", c_int32),
        ("num_prompts", c_int32),
        ("num_prompt_features", c_int32),
        ("num_features", c_int32),
        ("num_proxy_features", c_int32),
        ("num_responses", c_int64),
    ]


class SummariseConfigC(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("vocab_size", c_int32),
        ("max_length", c_int32),
        ("num_prompts", c_int32),
        ("post_length", c_int32),
        ("salient_count", c_int32),
        ("length_penalty", c_double),
        ("missing_eos_penalty", c_double),
        ("seed", c_uint64),
    ]


class LengthBiasConfigC(Structure):
    _fields_ = [
        ("size", c_uint32),
        ("vocab_size", c_int32),
        ("max_length", c_int32),
        ("num_prompts", c_int32),
        ("relevant_count", c_int32),
        ("reserved", c_int32),
        ("length_penalty", c_double),
        ("missing_eos_penalty", c_double),
        ("label_length_bias", c_double),
    ]


class SeqPolicyInfo(Structure):
    _fields_ = [
        ("vocab_size", c_int32),
        ("max_length", c_int32),
        ("num_prompts", c_int32),
        ("family", c_int32),
        ("num_params", c_int64),
    ]


def _fields(spec: str):
    """ctypes fields from "name:type ..." (i32, i64, u32, u64, f64)."""
    types = {"i32": c_int32, "i64": c_int64, "u32": c_uint32, "u64": c_uint64, "f64": c_double}
    return [(name, types[t]) for name, t in (f.split(":") for f in spec.split())]


class RewardModelInfo(Structure):
    _fields_ = _fields("num_features:i32 num_hidden:i32 activation:i32 standardized:i32 num_params:i64")


class RewardModelFitConfigC(Structure):
    _fields_ = _fields("size:u32 epochs:i32 learning_rate:f64 minibatch_size:i32 standardize:i32 weight_decay:f64 "
                       "centring:f64 seed:u64")


class PairwiseStatsC(Structure):
    _fields_ = _fields("loss:f64 accuracy:f64 mean_margin:f64")


class DirectStatsC(Structure):
    _fields_ = _fields("loss:f64 chosen_reward:f64 rejected_reward:f64 reward_accuracy:f64 reward_margin:f64")


class SFTConfigC(Structure):
    _fields_ = _fields("size:u32 minibatch_size:i32 epochs:i32 reserved:i32 learning_rate:f64 weight_decay:f64 seed:u64")


class RLHFConfigC(Structure):
    _fields_ = _fields("size:u32 algorithm:i32 prompts_per_iteration:i32 samples_per_prompt:i32 beta:f64 "
                       "temperature:f64 learning_rate:f64 seed:u64 baseline:i32 epochs:i32 baseline_decay:f64 "
                       "clip_range:f64 scaling:i32 aggregation:i32 epsilon:f64 eta:f64 minibatch_size:i32 "
                       "whiten_advantages:i32 value_clip_range:f64 gamma:f64 lambda:f64 value_learning_rate:f64 "
                       "missing_eos_penalty:f64 kl_estimator:i32")


class RLHFStatsC(Structure):
    _fields_ = _fields("size:u32 reserved:i32 iteration:i64 samples:i64 total_samples:i64 mean_reward:f64 "
                       "mean_kl:f64 mean_regularized_reward:f64 mean_length:f64 eos_rate:f64 loss:f64 grad_norm:f64 "
                       "mean_gold_reward:f64 clip_fraction:f64 approx_kl:f64 value_loss:f64 clamped_tokens:i64 "
                       "mean_kl_k3:f64")


class GameInfo(Structure):
    _fields_ = _fields("num_games:i32 num_actions:i32 max_game_length:i32 board_height:i32 board_width:i32 "
                       "observation_planes:i32 num_planes:i32 state_size:i32 num_symmetries:i32 auto_reset:i32")


class ADRStatsC(Structure):
    _fields_ = _fields("enabled:i32 num_parameters:i32 episodes:i64 boundary_episodes:i64 successes:i64 "
                       "decisions:i64 moves:i64 entropy:f64")


class BoardNetInfo(Structure):
    _fields_ = _fields("head:i32 trunk:i32 num_planes:i32 board_height:i32 board_width:i32 num_outputs:i32 "
                       "precision:i32 reserved:i32 num_params:i64")


class PUCTConfigC(Structure):
    _fields_ = _fields("size:u32 simulations:i32 c_puct:f64 rollout_weight:f64 dirichlet_alpha:f64 "
                       "dirichlet_epsilon:f64 temperature:f64")


class SelfPlayConfigC(Structure):
    _fields_ = _fields("size:u32 games_per_iteration:i32 learning_rate:f64 value_learning_rate:f64 "
                       "snapshot_interval:i32 pool_capacity:i32 seed:u64")


class SelfPlayStatsC(Structure):
    _fields_ = _fields("wins:i32 draws:i32 losses:i32 opponent_index:i32 opponent_iteration:i32 pool_size:i32 "
                       "games:i64 moves:i64 score:f64 value_loss:f64 iteration:i64")


class AlphaZeroConfigC(Structure):
    _fields_ = _fields("size:u32 games_per_iteration:i32 temperature_moves:i32 epochs:i32 minibatch_size:i32 "
                       "simulations:i32 learning_rate:f64 c_puct:f64 rollout_weight:f64 dirichlet_alpha:f64 "
                       "dirichlet_epsilon:f64 seed:u64")


class AlphaZeroStatsC(Structure):
    _fields_ = _fields("examples:i64 games:i64 policy_loss:f64 value_loss:f64 target_entropy:f64 iteration:i64")


class DPOConfigC(Structure):
    _fields_ = _fields("size:u32 loss:i32 beta:f64 label_smoothing:f64 epochs:i32 minibatch_size:i32 "
                       "learning_rate:f64 seed:u64")


# Self-play pipeline and evaluation ladder (issue 18)
SELFPLAY_MAX_LAYERS = 8


class AlphaGoConfigC(Structure):
    _fields_ = ([("size", c_uint32), ("num_hidden", c_int32), ("hidden", c_int32 * SELFPLAY_MAX_LAYERS),
                 ("num_conv", c_int32), ("conv_channels", c_int32 * SELFPLAY_MAX_LAYERS)]
                + _fields("expert_games:i32 expert_simulations:i32 held_out_share:f64 supervised_epochs:i32 "
                          "supervised_minibatch:i32 supervised_learning_rate:f64 selfplay_iterations:i32 "
                          "selfplay_games:i32 selfplay_learning_rate:f64 snapshot_interval:i32 pool_capacity:i32 "
                          "evaluation_games:i32 value_games:i32 value_epochs:i32 value_minibatch:i32 "
                          "value_learning_rate:f64 value_held_out_share:f64 alphazero_iterations:i32 "
                          "alphazero_games:i32 alphazero_temperature_moves:i32 alphazero_epochs:i32 "
                          "alphazero_minibatch:i32 alphazero_learning_rate:f64 alphazero_simulations:i32 "
                          "alphazero_c_puct:f64 alphazero_dirichlet_alpha:f64 alphazero_dirichlet_epsilon:f64 "
                          "search_simulations:i32 search_c_puct:f64 search_rollout_weight:f64 solver_games:i32 "
                          "measure_mistakes:i32 elo_games_per_pair:i32 seed:u64"))


class AlphaGoProgressC(Structure):
    _fields_ = _fields("size:u32 stage:i32 iteration:i32 iterations:i32 num_checkpoints:i32 done:i32 seconds:f64 "
                       "train_accuracy:f64 held_out_accuracy:f64 held_out_loss:f64 score_vs_opponent:f64 "
                       "score_vs_supervised:f64 value_train_mse:f64 value_held_out_mse:f64 value_exact_mse:f64 "
                       "policy_loss:f64 value_loss:f64")


class AlphaGoEvaluationC(Structure):
    _fields_ = ([("size", c_uint32), ("evaluated", c_int32), ("raw_vs_solver", c_int32 * 9),
                 ("search_vs_solver", c_int32 * 9)]
                + _fields("num_ratings:i32 raw_positions:i64 raw_mistakes:i64 search_positions:i64 "
                          "search_mistakes:i64 raw_mistake_rate:f64 search_mistake_rate:f64"))


class MistakeReportC(Structure):
    _fields_ = _fields("size:u32 max_ply:i32 positions:i64 mistakes:i64 lost_wins:i64 lost_draws:i64 "
                       "positions_first:i64 mistakes_first:i64 positions_second:i64 mistakes_second:i64 rate:f64")


LADDER_MAX_RUNGS = 26


class LadderConfigC(Structure):
    _fields_ = (_fields("size:u32 games_per_rung:i32 random:i32 mcts_base:i32 mcts_rungs:i32 mcts_c:f64 "
                        "num_minimax_depths:i32")
                + [("minimax_depths", c_int32 * 8)] + _fields("solver:i32 seed:u64"))


class LadderRungC(Structure):
    _fields_ = _fields("kind:i32 parameter:i32") + [("record", c_int32 * 9)]


# --- loading -------------------------------------------------------------
def _library_path() -> str:
    override = os.environ.get("SWIFTPG_LIBRARY")
    if override:
        if not os.path.isfile(override):
            raise ImportError(f"SWIFTPG_LIBRARY={override!r} does not name a file")
        return override
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libswiftpg.so")
    if os.path.isfile(here):
        return here
    raise ImportError(
        "libswiftpg.so not found in the swiftpg package directory "
        f"({os.path.dirname(here)}). Build it with `make lib` at the top of the "
        "swiftpg repository, or set SWIFTPG_LIBRARY to its path."
    )


LIBRARY_PATH = _library_path()
lib = ctypes.CDLL(LIBRARY_PATH)


def raw_function(name: str):
    """A separate function pointer without argtypes, for hot paths that pass
    prebuilt ctypes objects (skips per-call argument conversion)."""
    fn = lib[name]
    fn.restype = c_int32
    return fn

u64, i32, i64, vp, dp = c_uint64, c_int32, c_int64, c_void_p, POINTER(c_double)

_SIGNATURES = {
    # name: (argtypes) — every function returns int32 status unless listed below
    "swiftpg_abi_version": [POINTER(c_int32)],
    "swiftpg_live_handles": [i32, POINTER(c_int64)],
    "swiftpg_env_list": [c_char_p, c_size_t, POINTER(c_size_t)],
    "swiftpg_env_create": [c_char_p, i32, u64, POINTER(c_uint64)],
    "swiftpg_env_destroy": [u64],
    "swiftpg_env_get_info": [u64, POINTER(EnvInfo)],
    "swiftpg_env_observation_bounds": [u64, vp, vp],
    "swiftpg_env_reset": [u64, POINTER(c_uint64), vp],
    "swiftpg_env_step": [u64, vp, vp, vp, vp, vp, vp, POINTER(c_int32)],
    "swiftpg_env_get_state": [u64, vp],
    "swiftpg_env_set_state": [u64, vp, vp],
    "swiftpg_env_get_elapsed_steps": [u64, vp],
    "swiftpg_env_get_final_state": [u64, vp, vp],
    "swiftpg_cancel": [u64, i32],
    "swiftpg_env_set_threads": [u64, i32],
    "swiftpg_env_action_bounds": [u64, vp, vp],
    "swiftpg_env_parameter_names": [u64, c_char_p, c_size_t, POINTER(c_size_t)],
    "swiftpg_env_set_parameter": [u64, c_char_p, c_double],
    "swiftpg_env_randomize_parameter": [u64, c_char_p, c_double, c_double],
    "swiftpg_env_set_autoreset_mode": [u64, i32],
    "swiftpg_env_get_autoreset_mode": [u64, POINTER(c_int32)],
    "swiftpg_env_reseed_instances": [u64, vp, vp],
    "swiftpg_env_set_max_action_delay": [u64, c_int32],
    "swiftpg_env_get_max_action_delay": [u64, POINTER(c_int32)],
    "swiftpg_env_adr_enable": [u64, c_char_p, vp, vp, vp, vp, i32, c_double, i32, c_double, c_double, c_double],
    "swiftpg_env_adr_parameter_names": [u64, c_char_p, c_size_t, POINTER(c_size_t)],
    "swiftpg_env_adr_disable": [u64],
    "swiftpg_env_adr_state": [u64, POINTER(ADRStatsC), vp, vp, i32],
    "swiftpg_env_last_episodes": [u64, vp, vp],
    "swiftpg_env_get_parameter": [u64, c_char_p, vp],
    "swiftpg_env_create_tabular": [i32, u64, i32, i32, vp, vp, i32, vp, vp, i32, c_double, i32, POINTER(c_uint64)],
    "swiftpg_env_create_gridworld": [i32, u64, c_char_p, c_double, c_double, c_double, c_double, c_double, i32,
                                     POINTER(c_uint64)],
    "swiftpg_env_create_bandit": [i32, u64, i32, i32, vp, vp, i32, POINTER(c_uint64)],
    "swiftpg_env_render_text": [u64, i32, c_char_p, c_size_t, POINTER(c_size_t)],
    "swiftpg_env_tabular_sizes": [u64, POINTER(c_int32), POINTER(c_int32)],
    "swiftpg_env_get_tabular": [u64, vp, vp, vp, vp, POINTER(c_int32), POINTER(c_double)],
    "swiftpg_policy_create_softmax": [i32, i32, vp, i32, i32, c_double, c_double, u64, POINTER(c_uint64)],
    "swiftpg_policy_create_tabular": [i32, i32, u64, POINTER(c_uint64)],
    "swiftpg_policy_create_linear_features": [i32, i32, u64, POINTER(c_uint64)],
    "swiftpg_policy_create_gaussian": [i32, i32, vp, i32, i32, i32, c_double, c_double, c_double, u64,
                                       POINTER(c_uint64)],
    "swiftpg_policy_create_gsde": [i32, i32, vp, i32, i32, c_double, i32, c_double, c_double, u64,
                                   POINTER(c_uint64)],
    "swiftpg_policy_create_clamp": [c_double, u64, POINTER(c_uint64)],
    "swiftpg_policy_create_factored_softmax": [i32, vp, i32, vp, i32, i32, c_double, c_double, u64,
                                               POINTER(c_uint64)],
    "swiftpg_policy_get_factor_sizes": [u64, vp, i32, POINTER(c_int32)],
    "swiftpg_policy_destroy": [u64],
    "swiftpg_policy_set_precision": [u64, i32],
    "swiftpg_value_set_precision": [u64, i32],
    "swiftpg_policy_get_info": [u64, POINTER(PolicyInfo)],
    "swiftpg_policy_get_sizes": [u64, POINTER(c_int32), POINTER(c_int32), POINTER(c_int64)],
    "swiftpg_policy_get_params": [u64, vp, i64],
    "swiftpg_policy_set_params": [u64, vp, i64],
    "swiftpg_policy_seed": [u64, u64],
    "swiftpg_policy_sample": [u64, vp, i64, i32, vp],
    "swiftpg_policy_probabilities": [u64, vp, i64, vp],
    "swiftpg_policy_log_prob": [u64, vp, vp, i64, vp],
    "swiftpg_policy_entropy": [u64, vp, i64, vp],
    "swiftpg_policy_kl": [u64, vp, i64, vp, i64, vp],
    "swiftpg_policy_score_gradient": [u64, vp, vp, vp, i64, vp],
    "swiftpg_policy_score_vectors": [u64, vp, vp, i64, vp],
    "swiftpg_policy_entropy_gradient": [u64, vp, vp, i64, vp],
    "swiftpg_policy_kl_gradient": [u64, vp, vp, i64, vp, i64, vp],
    "swiftpg_policy_fisher_vector_product": [u64, vp, i64, vp, i64, vp],
    "swiftpg_policy_save": [u64, c_char_p],
    "swiftpg_policy_load": [c_char_p, u64, POINTER(c_uint64)],
    "swiftpg_policy_evaluate": [u64, u64, i32, i32, u64, vp, vp],
    "swiftpg_discounted_returns": [i64, i64, vp, vp, vp, vp, vp, c_double, vp],
    "swiftpg_td_errors": [i64, i64, vp, vp, vp, vp, vp, c_double, vp],
    "swiftpg_gae": [i64, i64, vp, vp, vp, vp, vp, c_double, c_double, vp],
    "swiftpg_lambda_returns": [i64, i64, vp, vp, vp, vp, vp, c_double, c_double, vp],
    "swiftpg_n_step_returns": [i64, i64, vp, vp, vp, vp, vp, c_double, i32, vp],
    "swiftpg_n_step_advantages": [i64, i64, vp, vp, vp, vp, vp, c_double, i32, vp],
    "swiftpg_episode_returns": [i64, i64, vp, vp, vp, c_double, vp],
    "swiftpg_discounted_reward_to_go": [i64, i64, vp, vp, vp, c_double, vp],
    "swiftpg_time_step_baseline": [i64, i64, vp, vp, vp, vp],
    "swiftpg_importance_weights": [i64, i64, vp, vp, vp, vp, i32, c_double, vp],
    "swiftpg_clipped_surrogate": [i64, vp, vp, vp, c_double, vp, vp, vp],
    "swiftpg_kl_estimates": [i64, vp, vp, vp, vp],
    "swiftpg_optimal_baseline": [i64, i64, vp, vp, vp, i32, i32, vp, vp],
    "swiftpg_exact_solve": [u64, u64, vp, vp, vp, vp, vp, vp, vp],
    "swiftpg_mean_baseline": [i64, vp, i32, vp, vp],
    "swiftpg_finite_difference_gradient": [i64, c_double, vp, vp, c_double, vp],
    "swiftpg_scale_gradient": [i64, vp, c_double, vp, vp],
    "swiftpg_clip_gradient": [i64, vp, c_double, c_double, vp, vp],
    "swiftpg_regression_gradient": [i64, i64, vp, vp, vp],
    "swiftpg_value_create_mlp": [i32, vp, i32, i32, u64, POINTER(c_uint64)],
    "swiftpg_value_create_tabular": [i32, POINTER(c_uint64)],
    "swiftpg_value_destroy": [u64],
    "swiftpg_value_get_sizes": [u64, POINTER(c_int32), POINTER(c_int64)],
    "swiftpg_value_get_params": [u64, vp, i64],
    "swiftpg_value_set_params": [u64, vp, i64],
    "swiftpg_value_predict": [u64, vp, i64, vp],
    "swiftpg_value_gradient": [u64, vp, vp, i64, vp],
    "swiftpg_value_save": [u64, c_char_p],
    "swiftpg_value_load": [c_char_p, POINTER(c_uint64)],
    **{f"swiftpg_{prefix}_default_config": [POINTER(struct)] for prefix, struct in PG_CONFIG_STRUCTS.values()},
    **{f"swiftpg_{prefix}_create": [u64, u64, u64, POINTER(struct), POINTER(c_uint64)]
       for prefix, struct in PG_CONFIG_STRUCTS.values()},
    "swiftpg_pg_algorithm": [u64, POINTER(c_int32)],
    "swiftpg_pg_set_permutations": [u64, vp, c_int64, c_int64],
    "swiftpg_adam_step": [c_int64, vp, vp, vp, vp, POINTER(c_int64), c_double, c_double, c_double, c_double, i32],
    "swiftpg_sgd_step": [c_int64, vp, vp, vp, c_double, c_double, i32],
    "swiftpg_pg_episodes": [u64, vp, vp, vp, c_int64, POINTER(c_int64)],
    "swiftpg_pg_iterate": [u64, POINTER(TrainStatsC)],
    "swiftpg_pg_collect": [u64, i64, i64, vp, vp, vp, vp, vp, vp, vp, vp, vp, POINTER(TrainStatsC)],
    "swiftpg_pg_train_together": [POINTER(c_uint64), i32, i64, i32, POINTER(TrainStatsC), i64, vp],
    "swiftpg_pg_update": [u64, c_int64, c_int64, POINTER(c_double), c_void_p, POINTER(c_double),
                          POINTER(c_uint8), POINTER(c_uint8), POINTER(c_double), POINTER(c_double),
                          POINTER(TrainStatsC)],
    "swiftpg_pg_update_behavior": [u64, c_int64, c_int64, POINTER(c_double), c_void_p, POINTER(c_double),
                                   POINTER(c_double), POINTER(c_uint8), POINTER(c_uint8), POINTER(c_double),
                                   POINTER(c_double), POINTER(TrainStatsC)],
    "swiftpg_pg_set_lane_offset": [u64, c_int64],
    "swiftpg_vtrace": [i64, i64, vp, vp, vp, vp, vp, vp, c_double, c_double, c_double, c_double, vp, vp],
    "swiftpg_pg_update_raw": [u64, c_int64, c_int64, POINTER(c_double), c_void_p, POINTER(c_double),
                              POINTER(c_double), POINTER(c_uint8), POINTER(c_uint8), POINTER(c_double),
                              POINTER(c_double), vp, vp, c_int64, POINTER(TrainStatsC)],
    "swiftpg_pg_set_worker_normalization": [u64, vp, vp, c_int64, c_double],
    "swiftpg_pg_evaluate": [u64, u64, c_int32, c_int32, u64, vp, vp],
    "swiftpg_pg_save": [u64, c_char_p],
    "swiftpg_pg_load": [u64, c_char_p],
    "swiftpg_pg_open": [c_char_p, POINTER(c_uint64), POINTER(c_uint64), POINTER(c_uint64), POINTER(c_uint64)],
    "swiftpg_pg_serialize": [u64, vp, i64, POINTER(c_int64)],
    "swiftpg_pg_deserialize": [vp, i64, POINTER(c_uint64), POINTER(c_uint64), POINTER(c_uint64),
                               POINTER(c_uint64)],
    "swiftpg_pg_get_config": [u64, vp],
    "swiftpg_pg_counters": [u64, POINTER(c_int64), POINTER(c_int64)],
    "swiftpg_pg_observation_normalizer": [u64, POINTER(c_int32), c_void_p, c_void_p, c_int64, POINTER(c_double),
                                          POINTER(c_double)],
    "swiftpg_policy_serialize": [u64, vp, i64, POINTER(c_int64)],
    "swiftpg_policy_deserialize": [vp, i64, POINTER(c_uint64)],
    "swiftpg_value_serialize": [u64, vp, i64, POINTER(c_int64)],
    "swiftpg_value_deserialize": [vp, i64, POINTER(c_uint64)],
    "swiftpg_env_serialize": [u64, vp, i64, POINTER(c_int64)],
    "swiftpg_env_deserialize": [vp, i64, POINTER(c_uint64)],
    "swiftpg_env_get_id": [u64, c_char_p, c_size_t, POINTER(c_size_t)],
    "swiftpg_env_spawn": [u64, i32, u64, POINTER(c_uint64)],
    "swiftpg_policy_get_precision": [u64, POINTER(c_int32)],
    "swiftpg_value_get_precision": [u64, POINTER(c_int32)],
    "swiftpg_search_default_config": [POINTER(SearchConfigC)],
    "swiftpg_search_create": [u64, u64, POINTER(SearchConfigC), POINTER(c_uint64)],
    "swiftpg_search_iterate": [u64, POINTER(SearchStatsC)],
    "swiftpg_search_candidates": [u64, vp, i64, POINTER(c_int64), POINTER(c_uint64)],
    "swiftpg_search_tell": [u64, vp, i64, i64, POINTER(SearchStatsC)],
    "swiftpg_search_save": [u64, c_char_p],
    "swiftpg_search_load": [u64, c_char_p],
    "swiftpg_search_counters": [u64, POINTER(c_int64), POINTER(c_int64)],
    "swiftpg_algorithm_destroy": [u64],
    # DQN (issue 19)
    "swiftpg_dqn_default_config": [POINTER(DQNConfigC)],
    "swiftpg_dqn_create": [u64, POINTER(DQNConfigC), POINTER(c_uint64)],
    "swiftpg_dqn_iterate": [u64, POINTER(DQNStatsC)],
    "swiftpg_dqn_update": [u64, i64, i64, POINTER(c_double), POINTER(c_int32), POINTER(c_double), POINTER(c_uint8),
                           POINTER(c_uint8), POINTER(c_double), POINTER(c_double), POINTER(DQNStatsC)],
    "swiftpg_dqn_episodes": [u64, vp, vp, i64, POINTER(c_int64)],
    "swiftpg_search_episodes": [u64, vp, vp, i64, POINTER(c_int64)],
    "swiftpg_dqn_q_values": [u64, vp, i64, vp],
    "swiftpg_dqn_predict": [u64, vp, i64, vp],
    "swiftpg_dqn_evaluate": [u64, u64, i32, i32, u64, vp, vp],
    "swiftpg_dqn_save": [u64, c_char_p, i32],
    "swiftpg_dqn_load": [u64, c_char_p],
    "swiftpg_dqn_open": [c_char_p, POINTER(c_uint64), POINTER(c_uint64)],
    "swiftpg_dqn_get_config": [u64, POINTER(DQNConfigC)],
    "swiftpg_dqn_counters": [u64, POINTER(c_int64), POINTER(c_int64), POINTER(c_int64), POINTER(c_int64),
                             POINTER(c_int64)],
    "swiftpg_dqn_destroy": [u64],
    # Sequences and preferences (issue 15)
    "swiftpg_summarise_default_config": [POINTER(SummariseConfigC)],
    "swiftpg_length_bias_default_config": [POINTER(LengthBiasConfigC)],
    "swiftpg_seq_task_create_summarise": [POINTER(SummariseConfigC), POINTER(c_uint64)],
    "swiftpg_seq_task_create_length_bias": [POINTER(LengthBiasConfigC), POINTER(c_uint64)],
    "swiftpg_seq_task_create_didactic_bandit": [i32, i32, POINTER(c_uint64)],
    "swiftpg_seq_task_create_array": [i32, i32, i32, vp, i32, vp, vp, vp, POINTER(c_uint64)],
    "swiftpg_seq_task_destroy": [u64],
    "swiftpg_seq_task_get_info": [u64, POINTER(SeqTaskInfo)],
    "swiftpg_seq_task_prompt_probs": [u64, vp],
    "swiftpg_seq_task_prompt_features": [u64, vp],
    "swiftpg_seq_task_feature_name": [u64, i32, c_char_p, c_size_t, POINTER(c_size_t)],
    "swiftpg_seq_task_proxy_features": [u64, vp],
    "swiftpg_seq_task_rewards": [u64, i32, vp, vp, vp, i64, vp],
    "swiftpg_seq_task_reward_features": [u64, vp, vp, vp, i64, i32, vp],
    "swiftpg_seq_task_reward_table": [u64, i32, i32, vp, i64, POINTER(c_int64)],
    "swiftpg_seq_task_sample_prompts": [u64, i64, u64, i64, vp],
    "swiftpg_seq_task_expert_demonstrations": [u64, i64, c_double, u64, i64, vp, vp, vp],
    "swiftpg_seq_task_reference_policy": [u64, POINTER(c_uint64)],
    "swiftpg_labeller_compare_pairs": [i64, vp, c_double, u64, i64, vp],
    "swiftpg_labeller_rank": [i64, i32, vp, c_double, u64, i64, vp],
    "swiftpg_labeller_accuracy_ceiling": [i64, vp, c_double, POINTER(c_double)],
    "swiftpg_labeller_ranking_pairs": [i64, i32, vp, vp, vp],
    "swiftpg_seq_policy_create_tabular": [i32, i32, i32, POINTER(c_uint64)],
    "swiftpg_seq_policy_create_neural": [i32, i32, i32, i32, vp, i32, vp, i32, i32, i32, c_double, c_double, u64,
                                         POINTER(c_uint64)],
    "swiftpg_seq_policy_copy": [u64, POINTER(c_uint64)],
    "swiftpg_seq_policy_destroy": [u64],
    "swiftpg_seq_policy_get_info": [u64, POINTER(SeqPolicyInfo)],
    "swiftpg_seq_policy_get_params": [u64, vp, i64],
    "swiftpg_seq_policy_set_params": [u64, vp, i64],
    "swiftpg_seq_policy_sample": [u64, vp, i64, c_double, u64, i64, vp, vp, vp],
    "swiftpg_seq_policy_log_probs": [u64, vp, vp, vp, i64, vp, vp],
    "swiftpg_seq_policy_entropies": [u64, vp, vp, vp, i64, vp],
    "swiftpg_seq_policy_kl": [u64, u64, vp, vp, vp, i64, vp, vp, vp, vp],
    "swiftpg_seq_policy_score_gradient": [u64, vp, vp, vp, i64, vp, vp, vp],
    "swiftpg_seq_policy_exact_log_probs": [u64, i32, vp, i64, POINTER(c_int64)],
    "swiftpg_seq_policy_next_token_log_probs": [u64, vp, vp, vp, i64, vp],
    "swiftpg_seq_policy_save": [u64, c_char_p],
    "swiftpg_seq_policy_load": [c_char_p, POINTER(c_uint64)],
    "swiftpg_seq_policy_serialize": [u64, vp, i64, POINTER(c_int64)],
    "swiftpg_seq_policy_deserialize": [vp, i64, POINTER(c_uint64)],
    "swiftpg_exact_expectation": [i64, vp, vp, POINTER(c_double)],
    "swiftpg_exact_kl": [i64, vp, vp, POINTER(c_double)],
    "swiftpg_exact_win_rate": [i64, vp, vp, vp, POINTER(c_double)],
    "swiftpg_exact_win_rate_prompts": [i64, i64, vp, vp, vp, vp, POINTER(c_double)],
    "swiftpg_kl_penalties": [i64, i32, vp, vp, vp, i32, vp],
    "swiftpg_kl_regularized_rewards": [i64, i32, vp, vp, vp, c_double, i32, vp],
    "swiftpg_reward_model_fit_default_config": [POINTER(RewardModelFitConfigC)],
    "swiftpg_reward_model_create": [i32, vp, i32, i32, u64, POINTER(c_uint64)],
    "swiftpg_reward_model_destroy": [u64],
    "swiftpg_reward_model_get_info": [u64, POINTER(RewardModelInfo)],
    "swiftpg_reward_model_get_params": [u64, vp, i64],
    "swiftpg_reward_model_set_params": [u64, vp, i64],
    "swiftpg_reward_model_hidden_sizes": [u64, vp],
    "swiftpg_reward_model_save": [u64, c_char_p],
    "swiftpg_reward_model_load": [c_char_p, POINTER(c_uint64)],
    "swiftpg_reward_model_serialize": [u64, vp, i64, POINTER(c_int64)],
    "swiftpg_reward_model_deserialize": [vp, i64, POINTER(c_uint64)],
    "swiftpg_reward_model_predict": [u64, vp, i64, vp],
    "swiftpg_reward_model_pair_accuracy": [u64, vp, vp, i64, POINTER(c_double)],
    "swiftpg_reward_model_fit_pairs": [u64, vp, vp, vp, i64, POINTER(RewardModelFitConfigC), vp, vp],
    "swiftpg_reward_model_fit_rankings": [u64, vp, vp, i64, i32, POINTER(RewardModelFitConfigC), vp, vp],
    "swiftpg_bradley_terry_loss": [i64, vp, vp, vp, c_double, POINTER(PairwiseStatsC), vp, vp],
    "swiftpg_ranking_loss": [i64, i32, vp, vp, POINTER(PairwiseStatsC), vp],
    "swiftpg_direct_loss": [i32, i64, vp, vp, vp, vp, c_double, c_double, vp, POINTER(DirectStatsC), vp, vp],
    "swiftpg_best_of_n_select": [i64, i64, vp, u64, i64, vp],
    "swiftpg_best_of_n_distribution": [i64, vp, vp, i64, vp],
    "swiftpg_best_of_n_kl": [i64, vp, vp, i64, POINTER(c_double)],
    "swiftpg_best_of_n_kl_bound": [i64, POINTER(c_double)],
    "swiftpg_rank_correlation": [i32, i64, vp, vp, POINTER(c_double)],
    "swiftpg_sft_default_config": [POINTER(SFTConfigC)],
    "swiftpg_sft_create": [u64, POINTER(SFTConfigC), POINTER(c_uint64)],
    "swiftpg_sft_fit": [u64, vp, vp, vp, i64, vp, vp, vp, i64, vp, vp, vp, vp],
    "swiftpg_sft_evaluate": [u64, vp, vp, vp, i64, POINTER(c_double), POINTER(c_double)],
    "swiftpg_dpo_default_config": [POINTER(DPOConfigC)],
    "swiftpg_dpo_create": [u64, u64, POINTER(DPOConfigC), POINTER(c_uint64)],
    "swiftpg_dpo_fit": [u64, vp, vp, vp, vp, vp, i64, vp, vp],
    "swiftpg_dpo_evaluate": [u64, vp, vp, vp, vp, vp, i64, vp, POINTER(DirectStatsC)],
    "swiftpg_pref_trainer_destroy": [u64],
    # Online RLHF learners (issue 16)
    "swiftpg_rlhf_default_config": [i32, POINTER(RLHFConfigC)],
    "swiftpg_rlhf_create": [u64, u64, u64, u64, i32, u64, POINTER(RLHFConfigC), POINTER(c_uint64)],
    "swiftpg_rlhf_destroy": [u64],
    "swiftpg_rlhf_get_info": [u64, vp, vp, vp],
    "swiftpg_rlhf_iterate": [u64, POINTER(RLHFStatsC)],
    "swiftpg_rlhf_update": [u64, vp, vp, vp, vp, i64, i32, POINTER(RLHFStatsC)],
    "swiftpg_rlhf_gradient_estimate": [u64, vp, vp, vp, vp, i64, i32, vp, i64],
    "swiftpg_rlhf_save": [u64, c_char_p],
    "swiftpg_rlhf_load": [u64, c_char_p],
    "swiftpg_rlhf_exact_objective": [u64, u64, u64, u64, i32, c_double, vp, vp, i64],
    "swiftpg_rlhf_exact_optimum": [u64, u64, u64, i32, c_double, i32, vp, i64, vp],
    # Two-player games (issue 17)
    "swiftpg_game_create_tic_tac_toe": [i32, i32, POINTER(c_uint64)],
    "swiftpg_game_create_connect_n": [i32, i32, i32, i32, i32, POINTER(c_uint64)],
    "swiftpg_game_create_go": [i32, c_double, i32, i32, i32, POINTER(c_uint64)],
    "swiftpg_game_score_margin": [u64, vp],
    "swiftpg_game_destroy": [u64],
    "swiftpg_game_get_info": [u64, POINTER(GameInfo)],
    "swiftpg_game_reset": [u64, vp],
    "swiftpg_game_step": [u64, vp, vp, vp, vp, vp],
    "swiftpg_game_legal_mask": [u64, vp],
    "swiftpg_game_apply": [u64, i32, i32, vp, vp, vp, vp],
    "swiftpg_game_clone": [u64, i32, POINTER(c_uint64)],
    "swiftpg_game_status": [u64, vp, vp, vp],
    "swiftpg_game_observation": [u64, vp],
    "swiftpg_game_planes": [u64, vp],
    "swiftpg_game_get_state": [u64, vp],
    "swiftpg_game_set_state": [u64, vp],
    "swiftpg_game_render_text": [u64, i32, c_char_p, c_size_t, POINTER(c_size_t)],
    "swiftpg_game_symmetry": [u64, i32, vp, vp],
    "swiftpg_game_playouts": [u64, u64, i32, vp, vp],
    "swiftpg_game_set_threads": [u64, i32],
    # Games: players and arena (issue 17)
    "swiftpg_player_create_random": [u64, POINTER(c_uint64)],
    "swiftpg_player_create_minimax": [u64, i32, POINTER(c_uint64)],
    "swiftpg_player_create_mcts": [u64, i32, c_double, POINTER(c_uint64)],
    "swiftpg_player_create_solver": [u64, POINTER(c_uint64)],
    "swiftpg_player_destroy": [u64],
    "swiftpg_player_action": [u64, u64, i32, u64, vp],
    "swiftpg_arena_play": [u64, u64, u64, i32, u64, vp],
    "swiftpg_elo_fit": [vp, i32, i32, c_double, vp, vp],
    "swiftpg_solver_score": [u64, u64, i32, vp],
    "swiftpg_solver_column_scores": [u64, u64, i32, vp],
    "swiftpg_solver_node_count": [u64, vp],
    # Board networks, AlphaGo and AlphaZero (issue 18)
    "swiftpg_board_net_create": [u64, i32, i32, vp, i32, i32, u64, POINTER(c_uint64)],
    "swiftpg_board_net_destroy": [u64],
    "swiftpg_board_net_get_info": [u64, POINTER(BoardNetInfo)],
    "swiftpg_board_net_get_params": [u64, vp, i64],
    "swiftpg_board_net_set_params": [u64, vp, i64],
    "swiftpg_board_net_set_precision": [u64, i32],
    "swiftpg_board_net_forward": [u64, vp, vp, i64, vp],
    "swiftpg_board_net_evaluate_game": [u64, u64, vp],
    "swiftpg_board_net_policy_gradient": [u64, vp, vp, vp, vp, i64, vp, vp, i64, vp],
    "swiftpg_board_net_value_gradient": [u64, vp, vp, vp, i64, vp, vp, i64, vp],
    "swiftpg_board_net_save": [u64, c_char_p],
    "swiftpg_board_net_load": [c_char_p, POINTER(c_uint64)],
    "swiftpg_board_net_serialize": [u64, vp, i64, POINTER(c_int64)],
    "swiftpg_board_net_deserialize": [vp, i64, POINTER(c_uint64)],
    "swiftpg_board_net_fit_policy": [u64, vp, vp, vp, i64, vp, vp, vp, i64, POINTER(SFTConfigC), vp],
    "swiftpg_board_net_fit_value": [u64, vp, vp, i64, vp, vp, i64, POINTER(SFTConfigC), vp, vp],
    "swiftpg_expert_moves": [u64, u64, i32, c_double, u64, i64, vp, vp, vp, vp, vp],
    "swiftpg_value_targets": [u64, u64, i32, u64, vp, vp],
    "swiftpg_puct_default_config": [POINTER(PUCTConfigC)],
    "swiftpg_player_create_puct": [u64, u64, u64, POINTER(PUCTConfigC), POINTER(c_uint64)],
    "swiftpg_player_create_policy": [u64, u64, c_double, POINTER(c_uint64)],
    "swiftpg_selfplay_default_config": [POINTER(SelfPlayConfigC)],
    "swiftpg_alphazero_default_config": [POINTER(AlphaZeroConfigC)],
    "swiftpg_selfplay_create": [u64, u64, u64, POINTER(SelfPlayConfigC), POINTER(c_uint64)],
    "swiftpg_alphazero_create": [u64, u64, u64, POINTER(AlphaZeroConfigC), POINTER(c_uint64)],
    "swiftpg_selfplay_iterate": [u64, POINTER(SelfPlayStatsC)],
    "swiftpg_alphazero_iterate": [u64, POINTER(AlphaZeroStatsC)],
    "swiftpg_board_learner_destroy": [u64],
    "swiftpg_board_learner_save": [u64, c_char_p],
    "swiftpg_board_learner_load": [u64, c_char_p],
    # Self-play pipeline and evaluation ladder (issue 18)
    "swiftpg_alphago_default_config": [POINTER(AlphaGoConfigC)],
    "swiftpg_alphago_create": [u64, POINTER(AlphaGoConfigC), c_char_p, POINTER(c_uint64)],
    "swiftpg_alphago_destroy": [u64],
    "swiftpg_alphago_step": [u64, POINTER(AlphaGoProgressC)],
    "swiftpg_alphago_checkpoint_count": [u64, vp],
    "swiftpg_alphago_checkpoint": [u64, i32, c_char_p, c_size_t, POINTER(c_size_t), vp],
    "swiftpg_alphago_evaluation_summary": [u64, POINTER(AlphaGoEvaluationC)],
    "swiftpg_alphago_rating": [u64, i32, c_char_p, c_size_t, POINTER(c_size_t), vp, vp],
    "swiftpg_alphago_player": [u64, i32, POINTER(c_uint64)],
    "swiftpg_mistake_rate": [u64, u64, i32, u64, POINTER(MistakeReportC), vp, vp],
    "swiftpg_ladder_default_config": [POINTER(LadderConfigC)],
    "swiftpg_ladder_play": [u64, u64, POINTER(LadderConfigC), POINTER(LadderRungC), i32, vp],
}

for _name, _args in _SIGNATURES.items():
    _fn = getattr(lib, _name)
    _fn.argtypes = _args
    _fn.restype = c_int32

lib.swiftpg_status_string.argtypes = [c_int32]
lib.swiftpg_status_string.restype = c_char_p
lib.swiftpg_last_error.argtypes = []
lib.swiftpg_last_error.restype = c_char_p

#: Names of every C function this module declares (checked against the header).
DECLARED = sorted(list(_SIGNATURES) + ["swiftpg_status_string", "swiftpg_last_error"])


def error_for(status: int) -> SwiftPGError:
    """The exception for a failed call, with the thread's last-error message."""
    detail = lib.swiftpg_last_error().decode("utf-8", "replace")
    name = lib.swiftpg_status_string(status).decode()
    cls = _EXCEPTIONS.get(status, SwiftPGError)
    return cls(detail or name, status)


def check(status: int) -> None:
    """Raises the matching exception unless ``status`` is OK."""
    if status != OK:
        raise error_for(status)


def call(name: str, *args) -> None:
    """Calls ``swiftpg_<name>`` and raises on failure."""
    status = getattr(lib, "swiftpg_" + name)(*args)
    if status != OK:
        raise error_for(status)


#: Signals held back while a native-call worker thread starts: all but the
#: synchronous ones (a blocked SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP or
#: SIGSYS kills the process without a handler, faulthandler's included).
#: The worker keeps them blocked for its whole life, so signals sent to the
#: process reach the main thread.
_HELD_SIGNALS = signal.valid_signals() - {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE,
                                          signal.SIGTRAP, signal.SIGSYS, signal.SIGKILL, signal.SIGSTOP}

#: The name of a worker thread between calls (while it runs one it is
#: ``"swiftpg <name>"``: a thread named ``swiftpg…`` is a native call in flight).
_IDLE_WORKER_NAME = "native-call worker (idle)"


class _Job:
    """One native call handed to a worker thread.

    ``claim`` is taken (non-blocking) by the worker when it picks the job up,
    so a job put on a queue twice runs at most once; a job withdrawn
    (``withdrawn``) before the worker claims it never calls into the library.
    ``finished`` is set, then ``done`` released, when the job is over (ran or
    was skipped): the flag is level-triggered, so a waiter whose ``acquire``
    succeeded but was then cut short by an exception still sees it.
    """

    __slots__ = ("name", "function", "args", "claim", "done", "finished", "withdrawn", "error")

    def __init__(self, name: str, function, args: tuple):
        self.name = name
        self.function = function
        self.args = args
        self.claim = threading.Lock()
        self.done = threading.Lock()
        self.done.acquire()
        self.finished = False
        self.withdrawn = False
        self.error: BaseException | None = None


class _Worker:
    """A daemon thread, reused across calls, that runs native calls for the
    main thread (a thread per call cost 0.5–0.8 ms). Started with the held
    signals blocked, which it inherits and keeps."""

    def __init__(self):
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name=_IDLE_WORKER_NAME, daemon=True)
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, ())
        try:
            signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
            self.thread.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def _loop(self):
        thread = self.thread
        while True:
            job = self.jobs.get()
            if job.claim.acquire(False):  # else a duplicate of a job already taken
                if not job.withdrawn:
                    thread.name = "swiftpg " + job.name
                    try:
                        status = job.function(*job.args)
                        # The last-error message is per thread: build the exception here.
                        if status != OK:
                            job.error = error_for(status)
                    except BaseException as e:  # noqa: BLE001 - e.g. ctypes.ArgumentError: raised by the caller
                        job.error = e
                    thread.name = _IDLE_WORKER_NAME
                job.args = ()  # no reference to the caller's buffers beyond the call
                job.finished = True
                job.done.release()
            job = None


#: Idle workers (normally one; a second only when a signal handler makes an
#: interruptible call while the main thread waits for another).
_idle_workers: list[_Worker] = []
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_idle_workers.clear)  # a forked child has no worker threads


def _cancel(handles, requested: int) -> None:
    """``swiftpg_cancel`` on a handle or on each of a tuple of handles."""
    for h in handles if isinstance(handles, tuple) else (handles,):
        lib.swiftpg_cancel(h, requested)


def call_interruptible(name: str, cancel_handle, *args) -> None:
    """Calls ``swiftpg_<name>`` so that Ctrl-C can stop it.

    In the main thread the native call runs on a worker thread (a
    persistent one, reused across calls) while the main thread waits
    (ctypes releases the GIL). On KeyboardInterrupt the main thread asks
    the call to stop (``swiftpg_cancel(cancel_handle)``, on each handle
    when ``cancel_handle`` is a tuple of handles; the native loop
    checks between environment steps), waits until it has returned — so
    no buffer is freed under it — withdraws a request the call finished
    before seeing, and re-raises KeyboardInterrupt; a call interrupted
    before the worker took it up never starts. Any other exception raised
    while waiting (e.g. by a SIGALRM handler) is treated the same way.
    Elsewhere (no signals reach other threads) it is :func:`call`.
    """
    if threading.current_thread() is not threading.main_thread():
        return call(name, *args)
    _run_interruptible(name, getattr(lib, "swiftpg_" + name), cancel_handle, args)


def call_interruptible_repeated(name: str, cancel_handle, calls) -> None:
    """:func:`call_interruptible` of ``swiftpg_<name>(*args)`` for each
    ``args`` of ``calls`` (a sequence of argument tuples), in order, in one
    hand-over to the worker thread: a hand-over costs tens of microseconds,
    as much as a small native call (an online RLHF iteration on a small
    model takes about 0.3 ms). Stops at the first call that fails and
    raises its error; the calls before it have taken effect, as with
    separate calls. Ctrl-C stops the running call as
    :func:`call_interruptible` does and skips the rest."""
    if threading.current_thread() is not threading.main_thread():
        for args in calls:
            call(name, *args)
        return
    function = getattr(lib, "swiftpg_" + name)

    def run_all():
        for args in calls:
            status = function(*args)
            if status != OK:
                return status
        return OK

    _run_interruptible(name, run_all, cancel_handle, ())


def _run_interruptible(name: str, function, cancel_handle, args: tuple) -> None:
    """``function(*args)`` (returning a status) on a worker thread, with
    the Ctrl-C handling :func:`call_interruptible` describes."""
    job = _Job(name, function, args)
    try:
        worker = _idle_workers.pop()
    except IndexError:
        worker = _Worker()  # an exception in here leaves nothing running: it propagates
    interruption: BaseException | None = None
    queued = False
    # A lock's acquire, not Thread.join: a join interrupted by
    # KeyboardInterrupt can report the thread finished while it still runs
    # (CPython 3.11), and the caller would then free buffers the native call
    # is writing. Any exception raised in this thread while it hands the
    # call over or waits (Ctrl-C, a SIGALRM time-out handler, a second
    # Ctrl-C) withdraws or cancels the call; the wait goes on until the
    # call has returned (or was skipped), then the first such exception is
    # raised. The job is queued again until a put is known to have
    # happened (an exception may land between the put and the flag);
    # duplicates are skipped by the worker.
    while True:
        try:
            if not queued:
                worker.jobs.put(job)
                queued = True
            if interruption is not None:
                job.withdrawn = True  # the worker skips the job if it has not taken it yet
                _cancel(cancel_handle, 1)  # again: a further signal may have cut the handler short
            # With a timeout: a signal whose C handler ran on another thread
            # (numpy's BLAS threads, one the user started) does not wake
            # this wait; Python runs the handler here when the wait returns.
            if job.finished or job.done.acquire(timeout=0.05):
                break
        except BaseException as e:  # noqa: BLE001 - re-raised below, after the native call returned
            try:
                if interruption is None:
                    interruption = e
                job.withdrawn = True
                _cancel(cancel_handle, 1)
            except BaseException as again:  # noqa: BLE001 - a second signal while handling the first
                if interruption is None:
                    interruption = again
    _idle_workers.append(worker)
    if interruption is not None:
        _cancel(cancel_handle, 0)
        raise interruption
    if job.error is not None:
        raise job.error


class ObjectLock:
    """Refuses concurrent use of one Python object from several threads.

    ``with lock:`` takes a re-entrant lock without waiting and raises
    :class:`BusyError` if another thread holds it, so a second thread never
    overwrites the object's cached buffers (or reads another caller's
    results). The same thread may re-enter (a wrapper calling its wrapped
    object). ``hook``: a test-only callable, None in normal use; when set it
    is called with a label while the lock is held (``"enter"`` on entry,
    ``"step"`` by ``VectorEnv.step`` after the actions were written and
    before the native call), so tests can run another thread at exactly that
    point."""

    __slots__ = ("lock", "what", "hook")

    def __init__(self, what: str):
        self.lock = threading.RLock()
        self.what = what
        self.hook = None

    def error(self) -> "BusyError":
        return BusyError(f"another thread is using this {self.what} right now; give each thread its own "
                         "object, or serialise the calls with your own lock")

    def __enter__(self):
        if not self.lock.acquire(False):
            raise self.error()
        if self.hook is not None:
            try:
                self.hook("enter")
            except BaseException:
                self.lock.release()
                raise
        return self

    def __exit__(self, *exc) -> None:
        self.lock.release()


class NativeObject:
    """Base of the Python classes that own one native handle: idempotent
    ``close()``, context-manager support, and release by ``weakref.finalize``
    when garbage-collected. Subclasses call ``_adopt(handle, destroy_name)``.
    ``_busy`` (an :class:`ObjectLock`) guards every call that uses the
    handle: concurrent use from two threads raises BusyError."""

    _kind_name = "object"
    #: What to create instead, for the message of an abstract base's constructor.
    _concrete_hint = "create one of its subclasses"

    def __init__(self, *args, **kwargs):
        # Reached only by classes without their own constructor: the abstract
        # bases (NativeObject, policies.Policy, algorithms._Learner, ...).
        from ._arrays import DTypeError

        raise DTypeError(f"{type(self).__name__} is an abstract base class and cannot be created; "
                         f"{self._concrete_hint}")

    def _adopt(self, handle: int, destroy: str) -> None:
        import weakref

        self._busy = ObjectLock(self._kind_name)
        self._handle = handle
        self._finalizer = weakref.finalize(self, getattr(lib, destroy), handle)

    @property
    def handle(self) -> int:
        """The native handle (raises ClosedError once closed)."""
        if not self._finalizer.alive:
            raise ClosedError(f"this {self._kind_name} is closed")
        return self._handle

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Frees the native object; idempotent."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __reduce__(self):
        # Without this, pickle and copy.deepcopy fail on the ObjectLock with
        # "cannot pickle '_thread.RLock' object". Subclasses whose state the
        # C API exposes in full define their own __reduce__.
        raise TypeError(f"a {type(self).__name__} holds native state that cannot be pickled or copied"
                        + (f"; {self._pickle_hint}" if self._pickle_hint else ""))

    #: What to do instead of pickling, for the message of ``__reduce__``.
    _pickle_hint = ""


def file_bytes(save) -> bytes:
    """The bytes ``save(path)`` writes to a fresh temporary file (for objects
    whose by-value copy is their checkpoint file: pickling)."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="swiftpg-pickle-") as directory:
        path = os.path.join(directory, "object.swiftpg")
        save(path)
        with open(path, "rb") as f:
            return f.read()


def from_file_bytes(data: bytes, load):
    """``load(path)`` of a temporary file holding ``data`` (see :func:`file_bytes`)."""
    import tempfile
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"expected the pickled bytes, got {type(data).__name__}")
    with tempfile.TemporaryDirectory(prefix="swiftpg-pickle-") as directory:
        path = os.path.join(directory, "object.swiftpg")
        with open(path, "wb") as f:
            f.write(data)
        return load(path)


def abi_version() -> int:
    v = c_int32()
    check(lib.swiftpg_abi_version(ctypes.byref(v)))
    return v.value


#: The kinds :func:`live_handles` counts.
KINDS = {"all": KIND_ALL, "env": KIND_ENV, "policy": KIND_POLICY, "algorithm": KIND_ALGORITHM, "value": KIND_VALUE,
         "seq_task": KIND_SEQ_TASK, "seq_policy": KIND_SEQ_POLICY, "reward_model": KIND_REWARD_MODEL,
         "pref_trainer": KIND_PREF_TRAINER, "rlhf_learner": KIND_RLHF_LEARNER, "game": KIND_GAME,
         "game_player": KIND_GAME_PLAYER, "board_net": KIND_BOARD_NET, "board_learner": KIND_BOARD_LEARNER,
         "alphago_pipeline": KIND_ALPHAGO_PIPELINE}


def live_handles(kind: int = KIND_ALL) -> int:
    """Number of live native objects (for leak checks). ``kind``: one of
    ``KIND_ALL`` (0, default), ``KIND_ENV`` (1), ``KIND_POLICY`` (2),
    ``KIND_ALGORITHM`` (3), ``KIND_VALUE`` (4), ``KIND_SEQ_TASK`` (5),
    ``KIND_SEQ_POLICY`` (6), ``KIND_REWARD_MODEL`` (7), ``KIND_PREF_TRAINER``
    (8), ``KIND_RLHF_LEARNER`` (9), ``KIND_GAME`` (10), ``KIND_GAME_PLAYER`` (11),
    ``KIND_BOARD_NET`` (13), ``KIND_BOARD_LEARNER`` (14), ``KIND_ALPHAGO_PIPELINE`` (16) of
    ``swiftpg._lib``; another
    int raises InvalidArgumentError, another type DTypeError."""
    from ._arrays import DTypeError

    if isinstance(kind, (bool, np.bool_)) or not isinstance(kind, (int, np.integer)):
        raise DTypeError(f"kind must be an int, one of {sorted(KINDS.values())} (swiftpg._lib.KIND_*), "
                         f"got {kind!r}")
    if int(kind) not in KINDS.values():
        raise InvalidArgumentError(f"kind must be one of {sorted(KINDS.values())} "
                                   f"({', '.join(f'{v}: {k}' for k, v in KINDS.items())}), got {int(kind)}")
    n = c_int64()
    check(lib.swiftpg_live_handles(int(kind), ctypes.byref(n)))
    return n.value


def read_lines(fn, *args) -> list[str]:
    """Calls a text-returning function (buffer, capacity, length_out last)
    twice: once for the length, once for the text; returns its lines."""
    length = c_size_t()
    status = fn(*args, None, 0, ctypes.byref(length))
    if status not in (OK, ERR_BUFFER_TOO_SMALL):
        raise error_for(status)
    buf = ctypes.create_string_buffer(length.value + 1)
    check(fn(*args, buf, len(buf), ctypes.byref(length)))
    text = buf.value.decode()
    return text.split("\n") if text else []


def deserialize(name: str, data, what: str) -> int:
    """The new handle ``swiftpg_<name>`` (bytes, size, handle_out) makes of
    the bundle ``data``; a non-bytes ``data`` raises DTypeError naming it
    ``what``, bad bytes BadFormatError."""
    from ._arrays import DTypeError
    if not isinstance(data, bytes):
        raise DTypeError(f"{what} must be bytes, got {type(data).__name__}")
    handle = c_uint64()
    call(name, data, len(data), ctypes.byref(handle))
    return handle.value


def read_bytes(name: str, handle: int) -> bytes:
    """The bytes a ``swiftpg_<x>_serialize`` function writes (``handle``,
    buffer, capacity, size_out): asks for the size, then fills a buffer."""
    size = c_int64()
    fn = getattr(lib, f"swiftpg_{name}")
    status = fn(handle, None, 0, ctypes.byref(size))
    if status not in (OK, ERR_BUFFER_TOO_SMALL):
        raise error_for(status)
    buf = ctypes.create_string_buffer(max(size.value, 1))
    check(fn(handle, buf, size.value, ctypes.byref(size)))
    return buf.raw[:size.value]


def env_ids() -> list[str]:
    """The ids of the environments swiftpg implements."""
    return read_lines(lib.swiftpg_env_list)


if abi_version() != ABI_VERSION:
    raise ImportError(
        f"{LIBRARY_PATH} has ABI version {abi_version()}, this package expects {ABI_VERSION}; "
        "rebuild it with `make lib`"
    )
