"""The miniature table of learning from preferences (issue 16), and the
over-optimisation curves of Gao, Schulman & Hilton (2022).

One pipeline per seed, on a task of :mod:`swiftpg.rlhf` with a hidden gold
reward (the "human"): supervised fine-tuning (SFT) on noisy expert
demonstrations → comparisons of pairs of SFT responses labelled by the
task's label reward through a Bradley–Terry labeller → a reward model
fitted to them → each method trained against that reward model with the
same KL coefficient β and the same number of sampled responses (the
**budget**), from the SFT policy, which is also the frozen reference π_ref:

========== =================================================================
row        method
========== =================================================================
SFT        the reference itself (no preference training)
DPO        :class:`swiftpg.rlhf.DPO` on the comparisons (Rafailov et al. 2023)
best-of-n  n SFT samples per prompt, the reward model's favourite kept
           (its exact distribution, :func:`swiftpg.rlhf.best_of_n_distribution`)
REINFORCE  :class:`swiftpg.rlhf.REINFORCE`, one sample per prompt
PPO        :class:`swiftpg.rlhf.PPO`, one sample per prompt
RLOO k=2   :class:`swiftpg.rlhf.RLOO`, 2 samples per prompt
RLOO k=4   :class:`swiftpg.rlhf.RLOO`, 4 samples per prompt
REBEL      :class:`swiftpg.rlhf.REBEL`, pairs
GRPO       :class:`swiftpg.rlhf.GRPO`, 4 samples per prompt
ReMax      :class:`swiftpg.rlhf.ReMax`, one sample per prompt (plus a greedy
           decode per prompt for its baseline, not counted in the budget)
========== =================================================================

The online methods take ``budget // batch_size`` iterations of
``batch_size`` responses each (``batch_size // k`` prompts × k samples);
DPO sees only the comparisons (the same ones the reward model was fitted
to); best-of-n spends n samples per query at inference and trains nothing.

Every figure is measured under the **gold** reward and is **exact**
wherever the response space can be enumerated (every task here; a space
beyond 2**20 responses per prompt is refused): the win rate against the
SFT policy (:func:`swiftpg.rlhf.exact_win_rate`), KL(π ‖ π_SFT)
(:func:`swiftpg.rlhf.exact_kl`), E_π[r*] and the reward model's mean score
E_π[r_φ] (:func:`swiftpg.rlhf.exact_expectation`), each weighted by the
prompt distribution. The win rate against the expert's own responses (the
"human reference") is exact over the policy and a Monte Carlo mean over
``human_samples`` expert responses, with its standard error. A sampled
win rate against SFT (``check_samples`` pairs, with its standard error)
is reported beside each exact one as a cross-check. Across seeds the table
shows mean ± standard error (sample standard deviation / √seeds).

Sources: Stiennon et al. 2020 and Ouyang et al. 2022 (the pipeline); Gao,
Schulman & Hilton 2022 (gold and proxy reward against √KL); Gao et al.
2024 (REBEL; the lecture's table compares the same rows on TL;DR
summarisation).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from typing import Any

import numpy as np

from . import rlhf
from ._arrays import DTypeError, as_choice, as_count, as_float, as_path, as_seed
from ._lib import CheckpointIOError, InvalidArgumentError

__all__ = ["TableConfig", "Pipeline", "MethodResult", "Table", "prepare", "train_method", "evaluate", "run_table",
           "save_table", "METHODS", "TASKS", "LECTURE"]

#: Row name → (method, samples per prompt k; None where k does not apply).
ROWS = {"SFT": ("sft", None), "DPO": ("dpo", None), "best-of-n": ("best-of-n", None),
        "REINFORCE": ("reinforce", 1), "PPO": ("ppo", 1), "RLOO k=2": ("rloo", 2), "RLOO k=4": ("rloo", 4),
        "REBEL": ("rebel", 2), "GRPO": ("grpo", 4), "ReMax": ("remax", 1)}
#: The rows of the table, in the lecture's order (GRPO and ReMax added).
METHODS = tuple(ROWS)
#: The online learners by method name, and their samples per prompt when none is given.
ONLINE = {"reinforce": rlhf.REINFORCE, "ppo": rlhf.PPO, "rloo": rlhf.RLOO, "rebel": rlhf.REBEL,
          "grpo": rlhf.GRPO, "remax": rlhf.ReMax}
DEFAULT_K = {"reinforce": 1, "ppo": 1, "remax": 1, "rloo": 4, "grpo": 4, "rebel": 2}
#: Every method :func:`train_method` trains.
METHOD_NAMES = ("sft", "dpo", "best-of-n") + tuple(ONLINE)
#: The lecture's win rates against the human reference, % (as quoted in issue 16).
LECTURE = {"SFT": 45.2, "DPO": 68.4, "REINFORCE": 70.7, "PPO": 77.6, "RLOO k=2": 74.2, "RLOO k=4": 77.9,
           "REBEL": 78.1}

#: Task presets: the task's constructor arguments, the policy family (and
#: its options) and whether the reward model sees only the proxy features.
TASKS: dict[str, dict[str, Any]] = {
    # The summarise task of examples/preferences.py: 55 987 responses per prompt, 8 prompts.
    "summarise": dict(task=("Summarise", {}), family="neural",
                      policy=dict(context_size=3, hidden_sizes=(64,)), proxy=False),
    # The gameable task: biased labellers and a proxy reward model (Gao et al. 2022).
    "length_bias": dict(task=("LengthBias", {}), family="neural",
                        policy=dict(context_size=3, hidden_sizes=(64,)), proxy=True),
    # A small tabular variant of summarise (85 responses per prompt) for tests.
    "tiny": dict(task=("Summarise", dict(vocab_size=4, max_length=3, num_prompts=3, post_length=4,
                                         salient_count=2)), family="tabular", policy={}, proxy=False),
}

_MAX = 1 << 26


def _positive_float(value, name: str, allow_zero: bool = False, maximum: float = math.inf) -> float:
    v = as_float(value, name)
    if not (math.isfinite(v) and (v >= 0 if allow_zero else v > 0) and v <= maximum):
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidArgumentError(f"{name} must be finite, {bound} and at most {maximum}, got {value!r}")
    return v


@dataclasses.dataclass(frozen=True)
class TableConfig:
    """Settings of the miniature table (every field checked on creation and
    again by each function that takes a config; a bad value raises
    :class:`swiftpg.InvalidArgumentError` or :class:`swiftpg.DTypeError`
    naming the field)."""

    #: Task preset, a key of :data:`TASKS`: "summarise", "length_bias" or "tiny".
    task: str = "summarise"
    #: Number of seeds (independent pipelines), 1 … 1000.
    seeds: int = 5
    #: The first seed; seed i of the table is ``first_seed + i``.
    first_seed: int = 0
    #: The rows, names of :data:`METHODS` (each at most once).
    methods: tuple = METHODS
    #: KL coefficient β ≥ 0 of every method (DPO's β too, which must be > 0).
    beta: float = 0.1
    #: Sampled responses per online method (a multiple of ``batch_size``).
    budget: int = 2048
    #: Responses per iteration of the online methods (a multiple of every row's k).
    batch_size: int = 64
    #: Adam learning rate of every online method.
    learning_rate: float = 0.01
    #: n of the best-of-n row, 1 … 2**20.
    best_of: int = 16
    #: Expert demonstrations for SFT.
    demonstrations: int = 8000
    #: The expert's noise: each position's token replaced with this probability (0 … 1).
    demonstration_noise: float = 0.4
    #: SFT epochs over the demonstrations.
    sft_epochs: int = 10
    #: Comparisons (pairs of SFT responses); four fifths fit the reward model and DPO, one fifth is held out.
    comparisons: int = 12000
    #: The labeller's noise s ≥ 0: P(y1 ≻ y2) = σ((r1 − r2)/s) (0: always the better one).
    labeller_scale: float = 0.5
    #: Reward-model epochs.
    reward_model_epochs: int = 20
    #: DPO epochs over the comparisons.
    dpo_epochs: int = 10
    #: DPO's Adam learning rate.
    dpo_learning_rate: float = 0.003
    #: Expert responses per seed for the win rate against the human reference.
    human_samples: int = 20000
    #: Sampled pairs per method and seed for the cross-check of the exact win rate against SFT.
    check_samples: int = 4000
    #: Exact evaluations along each online run for the over-optimisation curves (0: none).
    curve_points: int = 16
    #: Largest n of the best-of-n curve (n = 1, 2, 4, … up to it).
    curve_best_of: int = 4096

    def __post_init__(self):
        for name, value in _checked_fields(self).items():
            object.__setattr__(self, name, value)

    def replace(self, **changes) -> "TableConfig":
        """A copy with ``changes`` (checked as on creation)."""
        return dataclasses.replace(self, **changes)

    @property
    def iterations(self) -> int:
        """Iterations of each online method: ``budget // batch_size``."""
        return self.budget // self.batch_size


def _checked_fields(c) -> dict:
    """The fields of ``c`` converted and checked (InvalidArgumentError /
    DTypeError naming the field)."""
    if not isinstance(c, TableConfig):
        raise DTypeError(f"config must be a swiftpg.rlhf_table.TableConfig, got {type(c).__name__}")
    out: dict[str, Any] = {}
    as_choice(c.task, TASKS, "task")
    out["task"] = c.task
    out["seeds"] = as_count(c.seeds, "seeds", 1, 1000)
    out["first_seed"] = as_count(c.first_seed, "first_seed", 0, 2**62)
    methods = c.methods
    if isinstance(methods, str) or not isinstance(methods, (tuple, list)):
        raise DTypeError(f"methods must be a tuple of row names ({', '.join(METHODS)}), got {methods!r}")
    methods = tuple(methods)
    for m in methods:
        if not isinstance(m, str):
            raise DTypeError(f"methods must hold row names (strings), got {m!r}")
        as_choice(m, ROWS, "methods")
    if not methods or len(set(methods)) != len(methods):
        raise InvalidArgumentError(f"methods must name at least one row, each at most once, got {methods!r}")
    out["methods"] = methods
    out["beta"] = _positive_float(c.beta, "beta", allow_zero=True, maximum=1e6)
    if out["beta"] == 0 and "DPO" in methods:
        raise InvalidArgumentError("beta must be > 0 when the table has a DPO row (DPO's β)")
    out["batch_size"] = as_count(c.batch_size, "batch_size", 1, 4096)
    out["budget"] = as_count(c.budget, "budget", 1, _MAX)
    if out["budget"] % out["batch_size"]:
        raise InvalidArgumentError(f"budget ({out['budget']}) must be a multiple of batch_size "
                                   f"({out['batch_size']})")
    for m in methods:
        k = ROWS[m][1]
        if k and out["batch_size"] % k:
            raise InvalidArgumentError(f"batch_size ({out['batch_size']}) must be a multiple of {k}, the samples "
                                       f"per prompt of the {m} row")
    out["learning_rate"] = _positive_float(c.learning_rate, "learning_rate", maximum=10.0)
    out["best_of"] = as_count(c.best_of, "best_of", 1, 1 << 20)
    out["demonstrations"] = as_count(c.demonstrations, "demonstrations", 1, _MAX)
    out["demonstration_noise"] = _positive_float(c.demonstration_noise, "demonstration_noise", True, 1.0)
    out["sft_epochs"] = as_count(c.sft_epochs, "sft_epochs", 1, 1000)
    out["comparisons"] = as_count(c.comparisons, "comparisons", 5, _MAX)
    out["labeller_scale"] = _positive_float(c.labeller_scale, "labeller_scale", True, 1e6)
    out["reward_model_epochs"] = as_count(c.reward_model_epochs, "reward_model_epochs", 1, 1000)
    out["dpo_epochs"] = as_count(c.dpo_epochs, "dpo_epochs", 1, 1000)
    out["dpo_learning_rate"] = _positive_float(c.dpo_learning_rate, "dpo_learning_rate", maximum=10.0)
    out["human_samples"] = as_count(c.human_samples, "human_samples", 2, _MAX)
    out["check_samples"] = as_count(c.check_samples, "check_samples", 2, _MAX)
    out["curve_points"] = as_count(c.curve_points, "curve_points", 0, 1000)
    out["curve_best_of"] = as_count(c.curve_best_of, "curve_best_of", 1, 1 << 30)
    return out


def _config(config) -> TableConfig:
    """``config`` checked again (a frozen dataclass can still be altered with
    ``object.__setattr__``)."""
    if not isinstance(config, TableConfig):
        raise DTypeError(f"config must be a swiftpg.rlhf_table.TableConfig (TableConfig() for the defaults), got "
                         f"{type(config).__name__}")
    _checked_fields(config)
    return config


def _seed(seed: int, stream: int) -> int:
    """Independent seeds of one pipeline: (seed, stream) → a 63-bit seed."""
    return (seed * 1_000_003 + stream * 7_919 + 1) % 2**63


def _sealed(cls):
    """Objects made by this module's functions, not by their constructors."""
    def __init__(self, *args, **kwargs):
        raise DTypeError(f"{cls.__name__} objects are made by swiftpg.rlhf_table "
                         f"({cls._made_by}), not created directly")
    cls.__init__ = __init__
    return cls


def _make(cls, **fields):
    obj = cls.__new__(cls)
    obj.__dict__.update(fields)
    return obj


# ------------------------------------------------------------------------------------------- pipeline

@_sealed
class Pipeline:
    """One seed's shared stages (made by :func:`prepare`): ``task``
    (:class:`swiftpg.rlhf.SequenceTask`), ``reference`` (the SFT policy,
    π_ref of every method; never trained), ``reward_model``
    (:class:`swiftpg.rlhf.RewardModel`, on the proxy features when
    ``proxy``), ``chosen`` / ``rejected`` (:class:`swiftpg.rlhf.Responses`
    of the training comparisons), and the exact arrays ``[P, N]`` over each
    prompt's N canonical responses: ``gold`` (r*), ``scores`` (r_φ),
    ``reference_log_probs`` (log π_SFT); ``prompt_probs`` ``[P]``;
    ``human_prompts`` int32 ``[M]`` and ``human_indices`` int32 ``[M]``
    (canonical index of each expert response); ``stats`` (SFT held-out
    cross-entropy in nats and greedy accuracy, the reward model's held-out
    pair accuracy and the labeller's ceiling, seconds of SFT and of the
    reward model)."""

    _made_by = "prepare(config, seed)"
    # The fields (set by _make, so declared here for type checkers only).
    task: rlhf.SequenceTask
    task_name: str
    seed: int
    proxy: bool
    reference: rlhf.SequencePolicy
    reward_model: rlhf.RewardModel
    chosen: rlhf.Responses
    rejected: rlhf.Responses
    gold: np.ndarray
    scores: np.ndarray
    reference_log_probs: np.ndarray
    prompt_probs: np.ndarray
    human_prompts: np.ndarray
    human_indices: np.ndarray
    stats: dict[str, float]

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self.task.closed

    def close(self) -> None:
        """Frees the native objects (task, reference, reward model); idempotent."""
        for obj in (self.reference, self.reward_model, self.task):
            obj.close()

    def __repr__(self) -> str:
        return f"Pipeline(task={self.task_name!r}, seed={self.seed})"


def _task(name: str) -> rlhf.SequenceTask:
    cls, kwargs = TASKS[name]["task"]
    return getattr(rlhf, cls)(**kwargs)


def _take(r: rlhf.Responses, rows) -> rlhf.Responses:
    return rlhf.Responses(r.prompts[rows], r.tokens[rows], r.lengths[rows])


def _canonical_indices(task, tokens: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The canonical index (the order of :func:`swiftpg.rlhf.canonical_responses`)
    of each response ``tokens`` int32 ``[M, L]`` (EOS at and beyond each length)."""
    canon, canon_lengths = rlhf.canonical_responses(task.vocab_size, task.max_length)
    rows = np.concatenate([np.column_stack([canon, canon_lengths]), np.column_stack([tokens, lengths])])
    _, inverse = np.unique(rows, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    position = np.full(inverse.max() + 1, -1, np.int64)
    position[inverse[:len(canon)]] = np.arange(len(canon))
    found = position[inverse[len(canon):]]
    if (found < 0).any():
        raise InvalidArgumentError("a response is not in the task's response space")
    return found.astype(np.int32)


def prepare(config: TableConfig, seed: int = 0) -> Pipeline:
    """The shared stages of one seed (:class:`Pipeline`): SFT of the task
    preset's policy on ``config.demonstrations`` noisy expert
    demonstrations, ``config.comparisons`` pairs of SFT responses judged by
    the labeller (:func:`swiftpg.rlhf.compare_pairs` on the task's label
    rewards, noise ``config.labeller_scale``), a linear Bradley–Terry reward
    model on four fifths of them (standardised features), the exact reward,
    score and log-probability tables ``[P, N]``, and
    ``config.human_samples`` expert responses for the human reference.
    ``seed`` (0 … 2**63 − 1) seeds every stage. Errors: DTypeError /
    InvalidArgumentError for a bad config or seed (and for a task whose
    responses cannot be enumerated, more than 2**20 per prompt)."""
    c = _config(config)
    seed = as_seed(seed)
    preset = TASKS[c.task]
    task = _task(c.task)
    if task.num_responses is None or task.num_responses > rlhf.EXACT_LIMIT:
        task.close()
        raise InvalidArgumentError(f"task {c.task!r} has more than 2**20 responses per prompt: the table's exact "
                                   "figures need an enumerable response space")
    # 1. Supervised fine-tuning on noisy expert demonstrations.
    options = dict(preset["policy"])
    if preset["family"] == "neural":
        options["seed"] = _seed(seed, 1)
    policy = rlhf.SequencePolicy.for_task(task, preset["family"], **options)
    started = time.perf_counter()
    sft = rlhf.SFT(policy, epochs=c.sft_epochs, minibatch_size=256, learning_rate=0.01, seed=_seed(seed, 2))
    held_out = task.expert_demonstrations(1000, noise=c.demonstration_noise, seed=_seed(seed, 4))
    history = sft.fit(task.expert_demonstrations(c.demonstrations, noise=c.demonstration_noise,
                                                 seed=_seed(seed, 3)), held_out=held_out)
    sft_seconds = time.perf_counter() - started
    sft.close()

    # 2. Comparisons: two SFT responses per prompt, judged by the labeller.
    prompts = task.sample_prompts(c.comparisons, seed=_seed(seed, 5))
    first, second = policy.sample(prompts, seed=_seed(seed, 6)), policy.sample(prompts, seed=_seed(seed, 7))
    labels = np.stack([task.label_rewards(prompts, first.tokens, first.lengths),
                       task.label_rewards(prompts, second.tokens, second.lengths)], axis=1)
    preferred = rlhf.compare_pairs(labels, scale=c.labeller_scale, seed=_seed(seed, 8))
    pick = preferred == 0
    chosen = rlhf.Responses(prompts, np.where(pick[:, None], first.tokens, second.tokens),
                            np.where(pick, first.lengths, second.lengths))
    rejected = rlhf.Responses(prompts, np.where(pick[:, None], second.tokens, first.tokens),
                              np.where(pick, second.lengths, first.lengths))
    split = c.comparisons * 4 // 5
    train, held = slice(0, split), slice(split, c.comparisons)

    # 3. The reward model (Bradley–Terry on the features the preset allows).
    proxy = preset["proxy"]
    features = [task.reward_features(r.prompts, r.tokens, r.lengths, proxy=proxy) for r in (chosen, rejected)]
    started = time.perf_counter()
    reward_model = rlhf.RewardModel(features[0].shape[1], seed=_seed(seed, 9))
    reward_model.fit(features[0][train], features[1][train], epochs=c.reward_model_epochs, minibatch_size=128,
                     learning_rate=0.05, standardize=True, seed=_seed(seed, 10))
    rm_seconds = time.perf_counter() - started
    accuracy = reward_model.pair_accuracy(features[0][held], features[1][held])
    ceiling = rlhf.accuracy_ceiling(labels[held], scale=c.labeller_scale)

    # 4. Exact tables over every response of every prompt.
    tokens, lengths = rlhf.canonical_responses(task.vocab_size, task.max_length)
    n = len(lengths)
    gold, scores, ref_lp = (np.empty((task.num_prompts, n)) for _ in range(3))
    for x in range(task.num_prompts):
        gold[x] = task.reward_table(x)
        ref_lp[x] = policy.exact_log_probs(x)
        scores[x] = reward_model.predict(task.reward_features(np.full(n, x, np.int32), tokens, lengths,
                                                              proxy=proxy))

    # 5. The human reference: the expert's own responses.
    human = task.expert_demonstrations(c.human_samples, noise=c.demonstration_noise, seed=_seed(seed, 11))
    return _make(Pipeline, task=task, task_name=c.task, seed=seed, proxy=proxy, reference=policy,
                 reward_model=reward_model, chosen=_take(chosen, train), rejected=_take(rejected, train),
                 gold=gold, scores=scores, reference_log_probs=ref_lp, prompt_probs=task.prompt_probs,
                 human_prompts=human.prompts, human_indices=_canonical_indices(task, human.tokens, human.lengths),
                 stats=dict(sft_held_out_loss=float(history["held_out_loss"][-1]),
                            sft_held_out_accuracy=float(history["held_out_accuracy"][-1]),
                            reward_model_accuracy=float(accuracy), labeller_ceiling=float(ceiling),
                            sft_seconds=sft_seconds, reward_model_seconds=rm_seconds))


def _pipeline(pipeline) -> Pipeline:
    if not isinstance(pipeline, Pipeline):
        raise DTypeError(f"pipeline must be a swiftpg.rlhf_table.Pipeline (from prepare), got "
                         f"{type(pipeline).__name__}")
    return pipeline


# ------------------------------------------------------------------------------------------- methods

@_sealed
class MethodResult:
    """A trained method (made by :func:`train_method`): ``method`` and ``k``
    (samples per prompt; n for best-of-n), ``pipeline``, ``policy`` (a
    :class:`swiftpg.rlhf.SequencePolicy`; the reference for SFT, None for
    best-of-n), ``log_probs`` float64 ``[P, N]`` (exact, canonical order),
    ``seconds`` (wall time of training; 0 for best-of-n, SFT's for SFT),
    ``samples`` (sampled responses trained on), ``history`` (one dict per
    iteration or epoch: the learner's statistics), ``curve`` (online
    methods: dicts ``{"samples", "kl", "gold", "proxy"}`` at evenly spaced
    iterations, the first at the SFT policy, exact; otherwise empty)."""

    _made_by = "train_method(pipeline, method, config)"
    # The fields (set by _make, so declared here for type checkers only).
    method: str
    k: int | None
    pipeline: Pipeline
    policy: rlhf.SequencePolicy | None
    log_probs: np.ndarray
    seconds: float
    samples: int
    history: list[dict]
    curve: list[dict]

    def sample(self, prompts, seed: int = 0) -> rlhf.Responses:
        """One response of the trained method per prompt (int32 ``[B]``);
        best-of-n draws n SFT responses per prompt and keeps the reward
        model's favourite (ties broken uniformly). Row b uses the streams
        of (``seed``, b). Errors as :meth:`swiftpg.rlhf.SequencePolicy.sample`."""
        p = self.pipeline
        if self.policy is not None:
            return self.policy.sample(prompts, seed=seed)
        assert self.k is not None                      # best-of-n (no policy): k is n
        pr = p.reference._prompts(prompts)
        seed = as_seed(seed)
        repeated = np.repeat(pr, self.k)
        candidates = p.reference.sample(repeated, seed=seed)
        scores = p.reward_model.predict(p.task.reward_features(repeated, candidates.tokens, candidates.lengths,
                                                               proxy=p.proxy)) if len(pr) else np.zeros(0)
        pick = rlhf.best_of_n_select(scores.reshape(-1, self.k), seed=seed) + self.k * np.arange(len(pr)) \
            if len(pr) else np.zeros(0, np.int64)
        return rlhf.Responses(pr, candidates.tokens[pick], candidates.lengths[pick])

    def __repr__(self) -> str:
        return f"MethodResult(method={self.method!r}, k={self.k}, seconds={self.seconds:.3f})"


def _exact_log_probs(policy, num_prompts: int) -> np.ndarray:
    return np.stack([policy.exact_log_probs(x) for x in range(num_prompts)])


def _exact_figures(p: Pipeline, log_probs: np.ndarray) -> dict:
    """KL(π ‖ π_SFT), E[r*] and E[r_φ] of ``log_probs`` ``[P, N]``, each weighted by the prompt distribution."""
    w = p.prompt_probs
    kl = sum(w[x] * rlhf.exact_kl(log_probs[x], p.reference_log_probs[x]) for x in range(len(w)))
    gold = sum(w[x] * rlhf.exact_expectation(log_probs[x], p.gold[x]) for x in range(len(w)))
    proxy = sum(w[x] * rlhf.exact_expectation(log_probs[x], p.scores[x]) for x in range(len(w)))
    return dict(kl=float(kl), gold=float(gold), proxy=float(proxy))


def _best_of_n_log_probs(p: Pipeline, n: int) -> np.ndarray:
    out = np.empty_like(p.reference_log_probs)
    for x in range(out.shape[0]):
        dist = rlhf.best_of_n_distribution(np.exp(p.reference_log_probs[x]), p.scores[x], n)
        with np.errstate(divide="ignore"):
            out[x] = np.log(dist)
    return out


def train_method(pipeline: Pipeline, method: str, config: TableConfig, k: int | None = None,
                 callback=None) -> MethodResult:
    """Trains ``method`` (one of "sft", "dpo", "best-of-n", "reinforce",
    "ppo", "rloo", "rebel", "grpo", "remax") from ``pipeline``'s SFT
    policy against its reward model with ``config``'s β, budget, batch size
    and learning rate. ``k``: samples per prompt of an online method (None:
    rloo and grpo 4, rebel 2, the others 1; rebel takes only 2; it must
    divide ``config.batch_size``), or n of best-of-n (None:
    ``config.best_of``). ``callback(stats)``, after each online iteration
    (or DPO epoch) with its statistics dict, may return False to stop
    early. Online runs evaluate the exact curve ``config.curve_points``
    times (not counted in ``seconds``). Errors: DTypeError /
    InvalidArgumentError for bad arguments (before any training), the
    learners' errors (e.g. NumericalError) during it; Ctrl-C stops between
    iterations (KeyboardInterrupt)."""
    p = _pipeline(pipeline)
    c = _config(config)
    method = method if not isinstance(method, str) else method.lower()
    as_choice(method, dict.fromkeys(METHOD_NAMES), "method")
    if callback is not None and not callable(callback):
        raise DTypeError(f"callback must be callable or None, got {type(callback).__name__}")
    if method == "best-of-n":
        n = c.best_of if k is None else as_count(k, "k (n of best-of-n)", 1, 1 << 20)
        return _make(MethodResult, method=method, k=n, pipeline=p, policy=None,
                     log_probs=_best_of_n_log_probs(p, n), seconds=0.0, samples=0, history=[], curve=[])
    if method == "sft":
        if k is not None:
            raise InvalidArgumentError("k does not apply to sft")
        return _make(MethodResult, method=method, k=None, pipeline=p, policy=p.reference,
                     log_probs=p.reference_log_probs, seconds=p.stats["sft_seconds"], samples=0, history=[],
                     curve=[])
    if method == "dpo":
        if k is not None:
            raise InvalidArgumentError("k does not apply to dpo")
        if c.beta == 0:
            raise InvalidArgumentError("DPO needs beta > 0")
        return _train_dpo(p, c, callback)
    k = DEFAULT_K[method] if k is None else as_count(k, "k", 1, 4096)
    if method == "rebel" and k != 2:
        raise InvalidArgumentError(f"rebel learns from pairs: k must be 2, got {k}")
    if method in ("rloo", "grpo") and k < 2:
        raise InvalidArgumentError(f"{method} needs k >= 2 samples per prompt, got {k}")
    if c.batch_size % k:
        raise InvalidArgumentError(f"k ({k}) must divide batch_size ({c.batch_size})")
    return _train_online(p, c, method, k, callback)


def _train_dpo(p: Pipeline, c: TableConfig, callback) -> MethodResult:
    policy = p.reference.copy()
    trainer = rlhf.DPO(policy, p.reference, beta=c.beta, epochs=c.dpo_epochs, minibatch_size=64,
                       learning_rate=c.dpo_learning_rate, seed=_seed(p.seed, 12))
    history, seconds = [], 0.0
    with trainer:
        for _ in range(c.dpo_epochs):
            started = time.perf_counter()
            stats = trainer.fit(None, p.chosen, p.rejected, epochs=1)[0]
            seconds += time.perf_counter() - started
            history.append(stats)
            if callback is not None and callback(stats) is False:
                break
    return _make(MethodResult, method="dpo", k=None, pipeline=p, policy=policy,
                 log_probs=_exact_log_probs(policy, p.task.num_prompts), seconds=seconds,
                 samples=0, history=history, curve=[])


def _train_online(p: Pipeline, c: TableConfig, method: str, k: int, callback) -> MethodResult:
    policy = p.reference.copy()
    options = dict(beta=c.beta, prompts_per_iteration=c.batch_size // k, learning_rate=c.learning_rate,
                   seed=_seed(p.seed, 20 + list(ONLINE).index(method) * 8 + k))
    if method != "rebel":
        options["samples_per_prompt"] = k
    learner = ONLINE[method](policy, p.reference, p.task, p.reward_model, proxy_features=p.proxy, **options)
    iterations = c.iterations
    marks = set(np.unique(np.linspace(0, iterations, c.curve_points + 1).round().astype(int)).tolist()) \
        if c.curve_points else set()
    curve, extra = [], [0.0]

    def point(samples: int) -> None:
        figures = _exact_figures(p, _exact_log_probs(policy, p.task.num_prompts))
        curve.append(dict(samples=samples, **figures))

    def after(stats: dict):
        started = time.perf_counter()
        try:
            if stats["iteration"] in marks:
                point(stats["total_samples"])
            return None if callback is None else callback(stats)
        finally:
            extra[0] += time.perf_counter() - started

    if 0 in marks:
        point(0)
    with learner:
        started = time.perf_counter()
        history = learner.fit(iterations, callback=after)
        seconds = time.perf_counter() - started - extra[0]
        samples = learner.total_samples
    return _make(MethodResult, method=method, k=k, pipeline=p, policy=policy,
                 log_probs=_exact_log_probs(policy, p.task.num_prompts), seconds=seconds, samples=samples,
                 history=history, curve=curve)


# ---------------------------------------------------------------------------------------- evaluation

def _human_win_rates(p: Pipeline, log_probs: np.ndarray) -> np.ndarray:
    """Per expert response j (prompt x_j, canonical index i_j): the exact win
    rate of the policy against it, P_π(r* > r*_j) + ½ P_π(r* = r*_j),
    computed once per distinct (prompt, gold reward) pair."""
    wins = np.empty(len(p.human_indices))
    keys = np.column_stack([p.human_prompts, p.gold[p.human_prompts, p.human_indices]])
    distinct, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    values = np.empty(len(distinct))
    for g in range(len(distinct)):
        j = int(np.argmax(inverse == g))
        x, i = int(p.human_prompts[j]), int(p.human_indices[j])
        point = np.full(log_probs.shape[1], -np.inf)
        point[i] = 0.0
        values[g] = rlhf.exact_win_rate(log_probs[x], point, p.gold[x])
    wins[:] = values[inverse]
    return wins


def evaluate(result: MethodResult, config: TableConfig) -> dict:
    """The figures of a trained method under the gold reward: ``win_rate``
    (exact, against SFT), ``win_rate_sampled`` and ``win_rate_sampled_se``
    (``config.check_samples`` sampled pairs against SFT responses to the
    same prompts; ties ½), ``human_win_rate`` and ``human_win_rate_se``
    (exact over the method, mean over the pipeline's expert responses),
    ``kl`` (exact KL(π ‖ π_SFT), nats), ``gold`` (exact E[r*]),
    ``rm_score`` (exact E[r_φ], reward-model units), ``seconds`` and
    ``samples`` (from training). Win rates are fractions in [0, 1].
    DTypeError for a non-MethodResult."""
    if not isinstance(result, MethodResult):
        raise DTypeError(f"result must be a swiftpg.rlhf_table.MethodResult (from train_method), got "
                         f"{type(result).__name__}")
    c = _config(config)
    p = result.pipeline
    lp = result.log_probs
    figures = _exact_figures(p, lp)
    win = rlhf.exact_win_rate(lp, p.reference_log_probs, p.gold, prompt_probs=p.prompt_probs)
    human = _human_win_rates(p, lp)
    prompts = p.task.sample_prompts(c.check_samples, seed=_seed(p.seed, 13))
    a = result.sample(prompts, seed=_seed(p.seed, 14))
    b = p.reference.sample(prompts, seed=_seed(p.seed, 15))
    ra = p.task.gold_rewards(prompts, a.tokens, a.lengths)
    rb = p.task.gold_rewards(prompts, b.tokens, b.lengths)
    sampled = (ra > rb) + 0.5 * (ra == rb)
    return dict(win_rate=float(win), win_rate_sampled=float(sampled.mean()),
                win_rate_sampled_se=float(sampled.std(ddof=1) / math.sqrt(len(sampled))),
                human_win_rate=float(human.mean()), human_win_rate_se=float(human.std(ddof=1) / math.sqrt(len(human))),
                kl=figures["kl"], gold=figures["gold"], rm_score=figures["proxy"], seconds=float(result.seconds),
                samples=int(result.samples))


# -------------------------------------------------------------------------------------------- table

#: The table's columns: (key, heading, scale, digits).
_COLUMNS = (("human_win_rate", "win rate vs human ref (%)", 100, 1), ("rm_score", "RM score", 1, 2),
            ("kl", "KL(π‖π_SFT)", 1, 3), ("win_rate", "win rate vs SFT (%)", 100, 1), ("gold", "gold E[r*]", 1, 3),
            ("seconds", "wall time (s)", 1, 2))


@_sealed
class Table:
    """The miniature table (made by :func:`run_table`): ``config``,
    ``records`` (per seed: ``{"seed", "pipeline": stats, "methods":
    {row: figures of :func:`evaluate`}}``), ``curves`` (per seed:
    ``{"best-of-n": [{"n", "kl", "gold", "proxy"}], row: [{"samples",
    "kl", "gold", "proxy"}]}``, exact) and ``seconds`` (wall time of the
    whole run)."""

    _made_by = "run_table(config)"
    # The fields (set by _make, so declared here for type checkers only).
    config: TableConfig
    records: list[dict]
    curves: list[dict]
    seconds: float

    def summary(self) -> dict:
        """A JSON-ready dict: the config, per row the mean and standard
        error over seeds of every figure (``{key: {"mean", "se"}}``; se is
        None for one seed), the lecture's figure where it has one, the
        pipeline's mean statistics, the per-seed records and curves, and
        the run's seconds."""
        rows = {}
        for row in self.config.methods:
            figures = {}
            for key in self.records[0]["methods"][row]:
                values = np.array([r["methods"][row][key] for r in self.records], float)
                figures[key] = dict(mean=float(values.mean()), se=_se(values))
            rows[row] = dict(figures, lecture_human_win_rate=LECTURE.get(row))
        pipeline = {key: float(np.mean([r["pipeline"][key] for r in self.records]))
                    for key in self.records[0]["pipeline"]}
        return dict(config=dataclasses.asdict(self.config), seeds=[r["seed"] for r in self.records], rows=rows,
                    pipeline=pipeline, records=self.records, curves=self.curves, seconds=self.seconds)

    def format(self) -> str:
        """The table as text: one row per method in the lecture's layout
        (win rate against the human reference, RM score, KL), then win rate
        against SFT, gold reward and wall time, each mean ± standard error
        over seeds, and the lecture's figure; notes on how each column is
        measured follow."""
        c = self.config
        s = self.summary()
        one = len(self.records) == 1
        head = ["method"] + [h for _, h, _, _ in _COLUMNS] + ["lecture (%)"]
        lines = []
        for row in c.methods:
            label = f"best-of-{c.best_of}" if row == "best-of-n" else row
            cells = [label]
            for key, _, scale, digits in _COLUMNS:
                f = s["rows"][row][key]
                if key == "seconds" and row == "best-of-n":
                    cells.append("–")
                    continue
                mean = f"{f['mean'] * scale:.{digits}f}"
                cells.append(mean if one else f"{mean} ± {(f['se'] or 0.0) * scale:.{digits}f}")
            lecture = LECTURE.get(row)
            cells.append("" if lecture is None else f"{lecture:.1f}")
            lines.append(cells)
        widths = [max(len(r[i]) for r in lines + [head]) for i in range(len(head))]
        fmt = lambda cells: "  ".join(x.ljust(w) if i == 0 else x.rjust(w)            # noqa: E731
                                       for i, (x, w) in enumerate(zip(cells, widths)))
        p = s["pipeline"]
        task = _task_description(c.task)
        seeds = s["seeds"]
        out = [f"The miniature table: {task}; {len(seeds)} seed{'s' if len(seeds) > 1 else ''} "
               f"({seeds[0]}..{seeds[-1]}); β = {c.beta:g}; budget {c.budget} sampled responses per online "
               f"method ({c.batch_size} per iteration, {c.iterations} iterations, learning rate "
               f"{c.learning_rate:g}); best-of-{c.best_of}"
               + ("" if one else "; mean ± standard error over seeds"),
               fmt(head), fmt(["-" * w for w in widths])]
        out += [fmt(r) for r in lines]
        human_se = np.mean([r["methods"][m]["human_win_rate_se"] for r in self.records for m in c.methods])
        out += [
            f"SFT: held-out cross-entropy {p['sft_held_out_loss']:.3f} nats/token; reward model: held-out pair "
            f"accuracy {p['reward_model_accuracy']:.3f} (labeller ceiling {p['labeller_ceiling']:.3f}); means "
            "over seeds.",
            "Win rates under the gold reward, ties counted ½. vs SFT: exact (every response enumerated). vs human "
            f"ref: exact over the method, mean over {c.human_samples} expert responses per seed (Monte Carlo "
            f"standard error ≈ {100 * human_se:.2f} points per seed). KL(π‖π_SFT) and E[r*]: exact, nats and "
            "gold units; RM score: exact E[r_φ] in reward-model units.",
            f"Wall time: training only, per seed (SFT row: SFT itself, {p['sft_seconds']:.2f} s; the reward model, "
            f"{p['reward_model_seconds']:.2f} s, is shared); best-of-n trains nothing and samples {c.best_of} "
            "responses per query at inference. DPO trains on the comparisons only; ReMax also decodes one greedy "
            "response per prompt (not counted). Lecture: its win rates vs the human reference (TL;DR "
            "summarisation with language models), for comparison of the ordering only.",
            f"Whole run: {self.seconds:.1f} s."]
        return "\n".join(out)

    def plot(self, path) -> str:
        """Writes the over-optimisation curves (Gao et al. 2022) as a PNG at
        ``path`` and returns it: gold reward (solid) and proxy reward
        (dashed; the reward model's score times the labeller's noise s, so
        that a perfect Bradley–Terry model lands on gold's scale), each
        minus its value at the SFT policy, against √KL(π ‖ π_SFT); left:
        best-of-n for n = 1, 2, 4, …, right: each online method as training
        proceeds; means over seeds. Needs matplotlib (ImportError naming
        ``pip install 'swiftpg[plot]'`` otherwise); a path that cannot be
        written raises :class:`swiftpg.CheckpointIOError`, a bad path
        DTypeError / InvalidArgumentError."""
        raw = as_path(path)
        from .callbacks import _optional_module
        matplotlib = _optional_module("matplotlib", "plot", "the over-optimisation plot")
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        s = self.config.labeller_scale or 1.0
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
        bon = _mean_curve([cv["best-of-n"] for cv in self.curves], "n")
        base_gold, base_proxy = bon["gold"][0], bon["proxy"][0]
        ax = axes[0]
        ax.plot(np.sqrt(bon["kl"]), bon["gold"] - base_gold, "o-", color="C0", ms=3, label="gold")
        ax.plot(np.sqrt(bon["kl"]), s * (bon["proxy"] - base_proxy), "o--", color="C0", ms=3, alpha=0.7,
                label="proxy (s · reward model)")
        last = -1.0
        for n, x, y in zip(bon["n"], np.sqrt(bon["kl"]), bon["gold"] - base_gold):
            if n > 1 and math.log2(n) % 2 == 0 and x - last > 0.08:          # n = 4, 16, 64, … where they part
                ax.annotate(f"n={int(n)}", (x, y), textcoords="offset points", xytext=(2, -10), fontsize=7)
                last = x
        ax.set_title("best-of-n (exact)")
        ax.set_xlabel("√KL(π ‖ π_SFT)  (√nats)")
        ax.set_ylabel("reward − SFT's reward (gold units)")
        ax = axes[1]
        online = [row for row in self.config.methods if ROWS[row][0] in ONLINE]
        for i, row in enumerate(online):
            cv = _mean_curve([cv.get(row, []) for cv in self.curves], "samples")
            if not len(cv["kl"]):
                continue
            colour = f"C{(i + 1) % 10}"
            ax.plot(np.sqrt(cv["kl"]), cv["gold"] - cv["gold"][0], "-", color=colour, label=f"{row} gold")
            ax.plot(np.sqrt(cv["kl"]), s * (cv["proxy"] - cv["proxy"][0]), "--", color=colour, alpha=0.7)
        ax.set_title(f"online methods over training ({self.config.budget} samples; dashed: proxy)")
        ax.set_xlabel("√KL(π ‖ π_SFT)  (√nats)")
        for ax in axes:
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7, loc="best")
        seeds = len(self.records)
        fig.suptitle(f"Over-optimisation on {self.config.task} (mean of {seeds} seed{'s' if seeds > 1 else ''}, "
                     f"β = {self.config.beta:g})", fontsize=10)
        fig.tight_layout()
        target = os.fsdecode(raw)
        try:
            fig.savefig(target, format="png", dpi=100)
        except (OSError, ValueError) as error:
            raise CheckpointIOError(f"cannot write the plot to {target!r}: {error}") from None
        finally:
            plt.close(fig)
        return target

    def __repr__(self) -> str:
        return f"Table(task={self.config.task!r}, seeds={len(self.records)}, rows={len(self.config.methods)})"


def _se(values: np.ndarray):
    return float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else None


def _mean_curve(curves: list, key: str) -> dict:
    """The mean over seeds of curves of the same points (``key`` labels a point)."""
    curves = [cv for cv in curves if cv]
    if not curves:
        return {key: np.zeros(0), "kl": np.zeros(0), "gold": np.zeros(0), "proxy": np.zeros(0)}
    length = min(len(cv) for cv in curves)
    out = {key: np.array([pt[key] for pt in curves[0][:length]], float)}
    for field in ("kl", "gold", "proxy"):
        out[field] = np.mean([[pt[field] for pt in cv[:length]] for cv in curves], axis=0)
    return out


def _task_description(name: str) -> str:
    cls, kwargs = TASKS[name]["task"]
    text = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{name} ({cls}({text}), {TASKS[name]['family']} policy" + (", proxy reward model)" if
                                                                     TASKS[name]["proxy"] else ")")


def _best_of_n_curve(p: Pipeline, largest: int) -> list:
    out, n = [], 1
    while n <= largest:
        out.append(dict(n=n, **_exact_figures(p, _best_of_n_log_probs(p, n))))
        n *= 2
    return out


def run_table(config: TableConfig, progress=None) -> Table:
    """Runs the table: for each seed, :func:`prepare`, then
    :func:`train_method` and :func:`evaluate` for every row of
    ``config.methods``, and the exact best-of-n curve (n = 1, 2, 4, … ≤
    ``config.curve_best_of``). ``progress(line)`` (a callable taking a
    str, e.g. ``print``) receives a line per stage. Returns a
    :class:`Table`. Errors: DTypeError / InvalidArgumentError for a bad
    config or progress (before any training), the learners' errors during
    it; Ctrl-C raises KeyboardInterrupt."""
    c = _config(config)
    if progress is not None and not callable(progress):
        raise DTypeError(f"progress must be callable or None, got {type(progress).__name__}")
    say = progress or (lambda line: None)
    started = time.perf_counter()
    records, curves = [], []
    for i in range(c.seeds):
        seed = c.first_seed + i
        p = prepare(c, seed)
        try:
            st = p.stats
            say(f"seed {seed}: SFT {st['sft_seconds']:.2f} s (held-out cross-entropy {st['sft_held_out_loss']:.3f}), "
                f"reward model {st['reward_model_seconds']:.2f} s (held-out accuracy "
                f"{st['reward_model_accuracy']:.3f}, ceiling {st['labeller_ceiling']:.3f})")
            figures, curve = {}, {"best-of-n": _best_of_n_curve(p, c.curve_best_of)}
            for row in c.methods:
                method, k = ROWS[row]
                result = train_method(p, method, c, k=c.best_of if method == "best-of-n" else k)
                figures[row] = evaluate(result, c)
                if result.curve:
                    curve[row] = result.curve
                if result.policy is not None and result.policy is not p.reference:
                    result.policy.close()
                f = figures[row]
                say(f"seed {seed}: {row:<10} win rate vs SFT {100 * f['win_rate']:5.1f}%, vs human ref "
                    f"{100 * f['human_win_rate']:5.1f}%, KL {f['kl']:.3f}, RM score {f['rm_score']:.3f}, "
                    f"{f['seconds']:.2f} s")
            records.append(dict(seed=seed, pipeline=dict(st), methods=figures))
            curves.append(curve)
        finally:
            p.close()
    return _make(Table, config=c, records=records, curves=curves, seconds=time.perf_counter() - started)


def save_table(table: Table, folder) -> dict:
    """Writes ``table.txt`` (:meth:`Table.format`) and ``table.json``
    (:meth:`Table.summary`) into ``folder`` (created if missing; its parent
    must exist) and returns their paths ``{"text", "json"}``.
    CheckpointIOError when they cannot be written; DTypeError /
    InvalidArgumentError for a bad table or folder."""
    if not isinstance(table, Table):
        raise DTypeError(f"table must be a swiftpg.rlhf_table.Table, got {type(table).__name__}")
    target = os.fsdecode(as_path(folder, "folder"))
    paths = dict(text=os.path.join(target, "table.txt"), json=os.path.join(target, "table.json"))
    try:
        if not os.path.isdir(target):
            os.mkdir(target)
        with open(paths["text"], "w", encoding="utf-8") as f:
            f.write(table.format() + "\n")
        with open(paths["json"], "w", encoding="utf-8") as f:
            json.dump(table.summary(), f, indent=1)
    except (OSError, ValueError) as error:
        raise CheckpointIOError(f"cannot write the table into {target!r}: {error}") from None
    return paths

