"""Learning from preferences (issues 15 and 16): sequence tasks with a hidden
gold reward, labellers, sequence policies and exact enumeration, SFT,
reward models, DPO/IPO, best-of-n, and the online learners REINFORCE,
RLOO, ReMax, GRPO, REBEL and PPO with the exact KL-regularised objective.

Conventions (``Sources/SwiftPG/Sequences/README.md``):

* **Tokens.** ``V`` content tokens ``0 .. V-1``; the end-of-sequence token is
  ``EOS = V`` (``eos_token``); every next-token distribution has ``V + 1``
  entries. There is no padding token.
* **Responses.** At most ``L`` generated positions. A batch is ``tokens``
  int32 ``[B, L]`` with ``lengths`` int32 ``[B]``: length ``n`` in ``1 .. L``
  counts generated positions, EOS included (an ended response of ``l < L``
  content tokens has ``n = l + 1`` and ``tokens[b, l] == EOS``; a truncated
  one has ``n = L`` and no EOS). Positions at or beyond ``n`` are ignored on
  input (any value, EOS or not: every mask comes from ``lengths``, never
  from token ids) and written as EOS on output.
* **Prompts** are ids ``0 .. P-1``, int32 ``[B]``; a prompt has a feature
  row (``prompt_features`` ``[P, F]``) that neural policies read.
* **Canonical order** of the responses of one prompt (exact arrays ``[N]``,
  ``N = sum_{l <= L} V**l``): shortest first, then base-V lexicographic
  (:func:`canonical_responses`). Exact figures are refused beyond ``2**20``
  responses per prompt (InvalidArgumentError from the library's TOO_LARGE).
* **Randomness.** Row ``b`` of a batch uses its own stream keyed by
  ``(seed, first_row + b)`` (``first_lane`` for sampling), so a batch split
  into parts, each passing the index of its first row, gives the same rows.

Arrays: token ids, lengths, prompt ids, rankings are int32 (any integer
dtype is converted after a range check); everything else float64 (real
dtypes are converted losslessly). Shapes and dtypes are checked in Python
before any native call; token/length/prompt domains are checked by the
library before any work, and a failed call changes nothing. Errors:
:class:`swiftpg.DTypeError` (wrong dtype or type), :class:`swiftpg.InvalidArgumentError`
(shapes, values out of range, too large), :class:`swiftpg.NotFiniteError`,
:class:`swiftpg.ClosedError` (a closed object), :class:`swiftpg.BusyError`;
checkpoints (``save``/``load`` of :class:`SequencePolicy` and
:class:`RewardModel`, which also pickle through the same bytes) raise
:class:`swiftpg.BadFormatError` for damaged or other-kind files and
:class:`swiftpg.CheckpointIOError` for files that cannot be read or
written; :meth:`SequenceTask.reference_policy` raises
:class:`swiftpg.NotSupportedError` for a task without one.

Sources: Schulman, "Approximating KL divergence" (2020) for k1/k2/k3;
Ziegler et al. (2019) and Stiennon et al. (2020, eq. 1) for the
KL-regularised reward;
Bradley & Terry (1952) and Plackett (1975) / Luce (1959) for the labellers;
Bengio et al. (2003) for the neural n-gram policy; Tajwar et al. (2024,
arXiv:2404.14367) for the didactic bandit; Gao, Schulman & Hilton (2022) for
the over-optimisation that LengthBias shows.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math

import numpy as np

from . import _lib
from ._arrays import (DTypeError, as_bool, as_choice, as_count, as_float, as_float64, as_path, as_seed, asarray,
                      c_array, first_bad, check_elements, check_shape, set_fields)
from ._lib import InvalidArgumentError, NativeObject, NotFiniteError

__all__ = ["Responses", "KLTerms", "SequenceTask", "Summarise", "DidacticBandit", "LengthBias", "ArrayTask",
           "SequencePolicy", "canonical_responses", "compare_pairs", "rank", "accuracy_ceiling", "ranking_pairs",
           "exact_expectation", "exact_kl", "exact_win_rate", "RewardModel", "bradley_terry_loss", "ranking_loss",
           "dpo_loss", "ipo_loss", "best_of_n_select", "best_of_n_distribution", "best_of_n_kl",
           "best_of_n_kl_bound", "spearman", "kendall_tau_b", "SFT", "DPO", "kl_penalties",
           "kl_regularized_rewards", "REINFORCE", "RLOO", "ReMax", "GRPO", "REBEL", "PPO", "exact_objective",
           "exact_optimum"]

#: The most responses per prompt of an exact figure (ExactResponses.defaultLimit).
EXACT_LIMIT = 1 << 20
_I32 = (-(2**31), 2**31 - 1)
_I64_MAX = 2**63 - 1


# ------------------------------------------------------------------------------------------- helpers

def _as_int32(x, name: str, shape=None) -> np.ndarray:
    """An integer array as C-contiguous, aligned int32 (values must fit
    int32; an empty sequence is an empty int32 array)."""
    a = asarray(x, name, np.int32, shape)
    if a.dtype.kind not in "iu":
        raise DTypeError(f"{name} must be an integer array, got dtype {a.dtype}")
    if shape is not None:
        check_shape(a, shape, name)
    if a.size and (a.min() < _I32[0] or a.max() > _I32[1]):
        bad = a.min() if a.min() < _I32[0] else a.max()
        raise InvalidArgumentError(f"{name} contains {bad}, outside int32")
    return c_array(a, np.int32)


def _as_log_probs(x, name: str, shape=None) -> np.ndarray:
    """Log-probabilities as float64: -inf allowed (probability 0), NaN and +inf not."""
    a = as_float64(x, name, shape, finite=False)
    if a.size and (np.isnan(a).any() or (a == np.inf).any()):
        raise NotFiniteError(f"{first_bad(name, a, np.isnan(a) | (a == np.inf))}; log-probabilities must not be "
                             "NaN or +inf")
    return a


def _index(value, name: str, minimum: int = 0, maximum: int = _I32[1]) -> int:
    return as_count(value, name, minimum, maximum)


def _first(value, name: str) -> int:
    return as_count(value, name, 0, _I64_MAX)


def _scale(value) -> float:
    s = as_float(value, "scale")
    if not math.isfinite(s) or s < 0:
        raise InvalidArgumentError(f"scale (the labeller's noise) must be finite and >= 0, got {s}")
    return s


def _response_count(vocab_size: int, max_length: int, cap: int = EXACT_LIMIT) -> int:
    """N = Σ_{l=0..L} V**l responses per prompt (L + 1 when V = 1), exactly
    in integers, or ``cap + 1`` as soon as the sum exceeds ``cap``."""
    total, term = 0, 1
    for _ in range(max_length + 1):
        total += term
        if total > cap:
            return cap + 1
        term *= vocab_size
    return total


def canonical_responses(vocab_size: int, max_length: int, limit: int = EXACT_LIMIT):
    """Every response of the space (V, L) in canonical order (shortest first,
    then base-V lexicographic): ``(tokens int32 [N, L], lengths int32 [N])``,
    EOS at and beyond each length. The order of every exact array
    (:meth:`SequencePolicy.exact_log_probs`, :meth:`SequenceTask.reward_table`).
    InvalidArgumentError when N exceeds ``limit`` (at most, and by default, 2**20)."""
    v = as_count(vocab_size, "vocab_size", 1, 1 << 20)
    L = as_count(max_length, "max_length", 1, 1 << 12)
    limit = as_count(limit, "limit", 1, EXACT_LIMIT)
    n = _response_count(v, L, limit)
    if n > limit:
        raise InvalidArgumentError(f"the space (V={v}, L={L}) has more than {limit} responses (the limit)")
    check_elements(n * L, "canonical responses")
    tokens = np.full((n, L), v, np.int32)
    lengths = np.empty(n, np.int32)
    if v == 1:                                         # row l: l zeros, then EOS (L + 1 rows, L up to 4096)
        tokens[np.arange(L)[None, :] < np.arange(L + 1)[:, None]] = 0
        lengths[:] = np.minimum(np.arange(1, L + 2), L)
        return tokens, lengths
    row = 0
    for l in range(L + 1):                             # V >= 2: N <= 2**20 means L <= 20
        count = v**l
        if l:
            idx = np.arange(count)
            for i in range(l):                         # digit i (most significant first)
                tokens[row:row + count, i] = (idx // v ** (l - 1 - i)) % v
        lengths[row:row + count] = l + 1 if l < L else L
        row += count
    return tokens, lengths


@dataclasses.dataclass(frozen=True)
class Responses:
    """A batch of responses: ``prompts`` int32 ``[B]``, ``tokens`` int32
    ``[B, L]`` (EOS at and beyond each length), ``lengths`` int32 ``[B]``,
    and for sampled responses ``log_probs`` float64 ``[B, L]`` (log π(y_t |
    x, y_<t) of the sampling policy at temperature 1, 0 beyond the length)."""

    prompts: np.ndarray
    tokens: np.ndarray
    lengths: np.ndarray
    log_probs: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.lengths.shape[0])


@dataclasses.dataclass(frozen=True)
class KLTerms:
    """Per-token KL figures, each float64 ``[B, L]`` (0 beyond the length):
    ``exact`` KL(π(·|c) ‖ π_ref(·|c)) over the V + 1 tokens, and the sampled
    estimators at the given tokens (None unless asked for) with r =
    π_ref(y)/π(y): ``k1`` = −log r, ``k2`` = ½(log r)², ``k3`` = (r − 1) − log r
    (Schulman 2020; k1 and k3 unbiased for tokens drawn from π)."""

    exact: np.ndarray
    k1: np.ndarray | None = None
    k2: np.ndarray | None = None
    k3: np.ndarray | None = None


def _info(obj, prefix: str, struct, handle: int):
    """``swiftpg_<prefix>_get_info`` of ``handle``; its fields also become attributes of ``obj``."""
    info = struct()
    _lib.call(prefix + "_get_info", handle, ctypes.byref(info))
    for name, _ in struct._fields_:
        setattr(obj, name, getattr(info, name))
    return info


class _Sequences(NativeObject):
    """Shared by tasks and policies: the response space and batch checks."""

    vocab_size: int
    max_length: int
    num_prompts: int

    @property
    def eos_token(self) -> int:
        """EOS = V, the end-of-sequence token id."""
        return self.vocab_size

    def _batch(self, prompts, tokens, lengths):
        """``(prompts int32 [B], tokens int32 [B, L], lengths int32 [B], B)``,
        shapes and dtypes checked (domains are the library's check)."""
        ln = _as_int32(lengths, "lengths", (None,))
        b = ln.shape[0]
        pr = _as_int32(prompts, "prompts", (b,))
        tk = _as_int32(tokens, "tokens", (b, self.max_length))
        check_elements(b * self.max_length, "a batch of responses")
        return pr, tk, ln, b

    def _prompts(self, prompts) -> np.ndarray:
        return _as_int32(prompts, "prompts", (None,))

    def _call(self, name: str, *args) -> None:
        with self._busy:
            _lib.call(name, self.handle, *args)

    def _exact_array(self, name: str, *args) -> np.ndarray:
        """``swiftpg_<name>(handle, *args, out, capacity, count_out)``: asks
        for N, then fills ``[N]``."""
        count = ctypes.c_int64()
        with self._busy:
            status = getattr(_lib.lib, "swiftpg_" + name)(self.handle, *args, None, 0, ctypes.byref(count))
            if status not in (_lib.OK, _lib.ERR_BUFFER_TOO_SMALL):
                raise _lib.error_for(status)
            out = np.empty(count.value)
            _lib.call(name, self.handle, *args, out.ctypes.data, count.value, ctypes.byref(count))
        return out


# --------------------------------------------------------------------------------------------- tasks

class SequenceTask(_Sequences):
    """A sequence task (``Sources/SwiftPG/Preferences/SequenceTask.swift``):
    a prompt distribution, a response space (V, L), a hidden **gold reward**
    r*(x, y) (the "human", for evaluation), the **label reward** the
    labellers judge (gold unless the task documents a bias), K named
    reward-model features and a proxy subset, and a noisy expert. Create
    one of :class:`Summarise`, :class:`DidacticBandit`, :class:`LengthBias`,
    :class:`ArrayTask`."""

    _kind_name = "sequence task"
    _concrete_hint = "create Summarise, DidacticBandit, LengthBias or ArrayTask"
    # Sizes set from SeqTaskInfo by _info (declared for type checkers).
    num_prompt_features: int
    num_features: int
    num_proxy_features: int

    def _adopt_task(self, handle: int, spec) -> None:
        self._adopt(handle, "swiftpg_seq_task_destroy")
        self._spec = spec
        info = _info(self, "seq_task", _lib.SeqTaskInfo, handle)
        #: N responses per prompt, or None when it exceeds 2**63 - 1.
        self.num_responses = None if info.num_responses < 0 else info.num_responses
        names = []
        for i in range(info.num_features):
            names += _lib.read_lines(_lib.lib.swiftpg_seq_task_feature_name, handle, i) or [""]
        self._feature_names = tuple(names)
        idx = np.empty(max(1, info.num_proxy_features), np.int32)
        _lib.call("seq_task_proxy_features", handle, idx.ctypes.data)
        self._proxy_indices = tuple(int(i) for i in idx[:info.num_proxy_features])

    def __reduce__(self):
        """Pickling: the constructor's arguments (tasks are immutable)."""
        _ = self.handle                                # ClosedError when closed
        cls, kwargs = self._spec
        return _restore_task, (cls, kwargs)

    @property
    def prompt_probs(self) -> np.ndarray:
        """The prompt distribution, float64 ``[P]`` (sums to 1)."""
        out = np.empty(self.num_prompts)
        self._call("seq_task_prompt_probs", out.ctypes.data)
        return out

    @property
    def prompt_features(self) -> np.ndarray:
        """The prompt features, float64 ``[P, F]``."""
        out = np.empty((self.num_prompts, self.num_prompt_features))
        self._call("seq_task_prompt_features", out.ctypes.data if out.size else None)
        return out

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The K reward-model feature names, in the column order of :meth:`reward_features`."""
        return self._feature_names

    @property
    def proxy_feature_indices(self) -> tuple[int, ...]:
        """The proxy features' positions in :attr:`feature_names`."""
        return self._proxy_indices

    @property
    def proxy_feature_names(self) -> tuple[str, ...]:
        """The K' features a proxy (gameable) reward model sees (all of them
        unless the task says otherwise)."""
        return tuple(self._feature_names[i] for i in self._proxy_indices)

    def _rewards(self, label: int, prompts, tokens, lengths) -> np.ndarray:
        pr, tk, ln, b = self._batch(prompts, tokens, lengths)
        out = np.empty(b)
        self._call("seq_task_rewards", label, pr.ctypes.data, tk.ctypes.data, ln.ctypes.data, b, out.ctypes.data)
        return out

    def gold_rewards(self, prompts, tokens, lengths) -> np.ndarray:
        """Gold rewards r*(x_b, y_b), float64 ``[B]`` (prompts ``[B]``,
        tokens ``[B, L]``, lengths ``[B]``). For evaluation: never show them
        to a learner."""
        return self._rewards(0, prompts, tokens, lengths)

    def label_rewards(self, prompts, tokens, lengths) -> np.ndarray:
        """The rewards the labellers judge, float64 ``[B]``."""
        return self._rewards(1, prompts, tokens, lengths)

    def reward_features(self, prompts, tokens, lengths, proxy: bool = False) -> np.ndarray:
        """Reward-model features, float64 ``[B, K]`` (``proxy=True``: the
        proxy columns ``[B, K']``)."""
        proxy = as_bool(proxy, "proxy")
        pr, tk, ln, b = self._batch(prompts, tokens, lengths)
        width = self.num_proxy_features if proxy else self.num_features
        check_elements(b * width, "reward features")
        out = np.empty((b, width))
        self._call("seq_task_reward_features", pr.ctypes.data, tk.ctypes.data, ln.ctypes.data, b, int(proxy),
                   out.ctypes.data)
        return out

    def reward_table(self, prompt: int, label: bool = False) -> np.ndarray:
        """The gold (or, ``label=True``, label) reward of every response to
        ``prompt``, float64 ``[N]`` in canonical order
        (:func:`canonical_responses`). InvalidArgumentError when N > 2**20."""
        prompt = _index(prompt, "prompt")
        label = as_bool(label, "label")
        return self._exact_array("seq_task_reward_table", prompt, int(label))

    def sample_prompts(self, count: int, seed: int = 0, first_row: int = 0) -> np.ndarray:
        """``count`` prompt ids drawn from :attr:`prompt_probs`, int32
        ``[count]``; row i from the stream (seed, first_row + i)."""
        n = as_count(count, "count", 0, 1 << 26)
        seed, first = as_seed(seed), _first(first_row, "first_row")
        out = np.empty(n, np.int32)
        self._call("seq_task_sample_prompts", n, seed, first, out.ctypes.data)
        return out

    def expert_demonstrations(self, count: int, noise: float = 0.0, seed: int = 0,
                              first_row: int = 0) -> Responses:
        """``count`` demonstrations of the noisy expert: prompts from the
        prompt distribution, then the expert's intended (gold-maximising)
        response with each position's token replaced, with probability
        ``noise`` in [0, 1], by a uniform draw over the V + 1 tokens."""
        n = as_count(count, "count", 0, 1 << 26)
        noise = as_float(noise, "noise")
        seed, first = as_seed(seed), _first(first_row, "first_row")
        check_elements(n * self.max_length, "demonstrations")
        prompts = np.empty(n, np.int32)
        tokens = np.empty((n, self.max_length), np.int32)
        lengths = np.empty(n, np.int32)
        self._call("seq_task_expert_demonstrations", n, noise, seed, first, prompts.ctypes.data,
                   tokens.ctypes.data, lengths.ctypes.data)
        return Responses(prompts, tokens, lengths)

    def reference_policy(self) -> "SequencePolicy":
        """The task's own reference policy π_ref as a new tabular
        :class:`SequencePolicy` over its space and prompts (a fresh object on
        each call; training it leaves the task unchanged). The didactic
        bandit's π_ref has the logits −½((a − m)/w_ref)² over the arms
        a = 0 … V (EOS is arm V), m = round(0.7 V), w_ref = 0.15 V.
        Raises :class:`swiftpg.NotSupportedError` for a task that defines no
        reference (Summarise, LengthBias, ArrayTask)."""
        handle = ctypes.c_uint64()
        self._call("seq_task_reference_policy", ctypes.byref(handle))
        return SequencePolicy._from_handle(handle.value)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"V={self.vocab_size}, L={self.max_length}, P={self.num_prompts}"
        return f"{type(self).__name__}({state})"


def _restore_task(cls, kwargs):
    return cls(**kwargs)


def _create_task(obj: SequenceTask, name: str, *args, spec) -> None:
    handle = ctypes.c_uint64()
    _lib.call(name, *args, ctypes.byref(handle))
    obj._adopt_task(handle.value, spec)


def _create_config_task(obj: SequenceTask, name: str, struct, arguments: dict) -> None:
    """Creates a task from its config struct: the defaults, then the
    constructor's ``arguments`` (checked by :func:`_configure`); pickled as
    the converted values."""
    values = {k: v for k, v in arguments.items() if k not in ("self", "__class__")}
    c = _configure(struct, name, values)
    kwargs = {k: getattr(c, k) for k in values}
    _create_task(obj, "seq_task_create_" + name, ctypes.byref(c), spec=(type(obj), kwargs))


class Summarise(SequenceTask):
    """Toy summarisation (``Preferences/Summarise.swift``): post x has
    ``salient_count`` salient tokens; r*(x, y) = |salient tokens of x in y|
    − length_penalty · l − missing_eos_penalty · [y truncated]. Features
    (K = 3): salient_covered, content_length, truncated. Prompt features
    (F = 2V): salient indicators, then token frequencies in the post.
    Defaults: 55 987 responses per prompt, maximum gold 2.7."""

    def __init__(self, vocab_size: int = 6, max_length: int = 6, num_prompts: int = 8, post_length: int = 8,
                 salient_count: int = 3, length_penalty: float = 0.1, missing_eos_penalty: float = 1.0,
                 seed: int = 0):
        _create_config_task(self, "summarise", _lib.SummariseConfigC, locals())


class LengthBias(SequenceTask):
    """A gameable task (``Preferences/LengthBias.swift``): question x asks
    for ``relevant_count`` tokens; r* = |relevant covered| − length_penalty
    · l − missing_eos_penalty · [truncated]; the labellers judge r* +
    label_length_bias · l, and the proxy features (content_length, count_0
    … count_{V−1}) cannot see what the prompt asks for, so optimising a
    proxy reward model drives gold down (Gao, Schulman & Hilton 2022).
    Defaults: 21 845 responses per prompt, maximum gold 1.8."""

    def __init__(self, vocab_size: int = 4, max_length: int = 7, num_prompts: int = 4, relevant_count: int = 2,
                 length_penalty: float = 0.1, missing_eos_penalty: float = 1.0, label_length_bias: float = 0.3):
        _create_config_task(self, "length_bias", _lib.LengthBiasConfigC, locals())


class DidacticBandit(SequenceTask):
    """The didactic bandit of Tajwar et al. 2024 (arXiv:2404.14367, §5;
    ``Preferences/DidacticBandit.swift``): L = 1, P = 1, the V + 1 tokens are
    arms (EOS is arm V); gold r*(a) = exp(−½((a − a*)/(0.1 V))²) with the
    peak a* in the tail of the skewed reference (``placement
    "low_probability"``, a* = round(0.2 V)) or at its mode
    (``"high_probability"``, a* = round(0.7 V)). Features: one-hot arms."""

    def __init__(self, vocab_size: int = 99, placement: str = "low_probability"):
        v = _index(vocab_size, "vocab_size", 1)
        p = as_choice(placement, _lib.PLACEMENT, "placement")
        _create_task(self, "seq_task_create_didactic_bandit", v, p,
                     spec=(DidacticBandit, dict(vocab_size=v, placement=placement)))


class ArrayTask(SequenceTask):
    """A task given by tables (``Preferences/ArrayTask.swift``):
    ``prompt_probs`` float64 ``[P]`` (≥ 0, summing to 1), ``gold_table``
    and ``label_table`` (None: labels are gold) float64 ``[P, N]`` in
    canonical response order (N = Σ_{l≤L} V^l ≤ 2**20), ``prompt_features``
    float64 ``[P, F]`` (None: F = 0). Features: count_0 … count_{V−1},
    content_length, truncated. The expert writes each prompt's first
    response of maximum gold reward."""

    def __init__(self, vocab_size: int, max_length: int, prompt_probs, gold_table, label_table=None,
                 prompt_features=None):
        v, L, probs, n, feats = _array_task_arguments(vocab_size, max_length, prompt_probs, prompt_features)
        p = probs.shape[0]
        gold = as_float64(gold_table, "gold_table", (p, n))
        label = None if label_table is None else as_float64(label_table, "label_table", (p, n))
        kwargs = dict(vocab_size=v, max_length=L, prompt_probs=probs, gold_table=gold, label_table=label,
                      prompt_features=feats)
        _create_task(self, "seq_task_create_array", v, L, p, probs.ctypes.data, feats.shape[1],
                     feats.ctypes.data if feats.size else None, gold.ctypes.data,
                     None if label is None else label.ctypes.data, spec=(ArrayTask, kwargs))

    @classmethod
    def from_reward_fn(cls, vocab_size: int, max_length: int, prompt_probs, gold_fn, label_fn=None,
                       prompt_features=None, batch_size: int = 65536) -> "ArrayTask":
        """A task whose gold reward is the Python callable
        ``gold_fn(prompts, tokens, lengths) -> rewards`` (int32 ``[b]``,
        int32 ``[b, L]`` with EOS at and beyond each length, int32 ``[b]`` →
        ``[b]`` real numbers (float or integer dtype), finite), and likewise
        the labellers' ``label_fn`` (None: gold). Every argument is checked
        first (sizes, ``prompt_probs``, ``prompt_features``; P·N reward
        values within ``swiftpg._arrays.MAX_ELEMENTS``); then the callables
        run here in Python, between native calls and never from inside the
        library, on batches of at most ``batch_size`` responses of one
        prompt each, enumerating every response once (N = Σ_{l≤L} V^l ≤
        2**20 per prompt); their tables then make an :class:`ArrayTask`.
        A callable's output of another dtype (complex, bool, strings,
        objects) raises DTypeError, of the wrong shape InvalidArgumentError,
        with non-finite values NotFiniteError, each naming the batch."""
        v, L, probs, n, feats = _array_task_arguments(vocab_size, max_length, prompt_probs, prompt_features)
        batch = as_count(batch_size, "batch_size", 1, 1 << 20)
        fns = (("gold_fn", gold_fn), ("label_fn", label_fn))
        for name, fn in fns:
            if (fn is not None or name == "gold_fn") and not callable(fn):
                raise DTypeError(f"{name} must be callable, got {type(fn).__name__}")
        tokens, lengths = canonical_responses(v, L)
        tables: list[np.ndarray | None] = []
        for name, fn in fns:
            if fn is None:
                tables.append(None)
                continue
            table = np.empty((probs.shape[0], n))
            for x in range(probs.shape[0]):
                for start in range(0, n, batch):
                    stop = min(start + batch, n)
                    prompts = np.full(stop - start, x, np.int32)
                    out = fn(prompts, tokens[start:stop].copy(), lengths[start:stop].copy())
                    table[x, start:stop] = _fn_rewards(out, name, x, start, stop)
            tables.append(table)
        return cls(v, L, probs, tables[0], tables[1], feats)


def _check_probabilities(probs: np.ndarray, name: str) -> None:
    """The library's rule for a distribution (TaskSupport.probabilities):
    every entry finite and >= 0, the sum (in order) within 1e-6 of 1."""
    bad = ~(probs >= 0)
    if bad.any():
        raise InvalidArgumentError(f"{first_bad(name, probs, bad)}; probabilities must be >= 0")
    total = sum(probs.tolist())
    if not abs(total - 1) <= 1e-6:
        raise InvalidArgumentError(f"{name} must sum to 1, got {total}")


def _array_task_arguments(vocab_size, max_length, prompt_probs, prompt_features):
    """``(V, L, prompt_probs [P], N, prompt_features [P, F])`` of an
    ArrayTask, every check that does not need the reward tables done (the
    sizes, P·N against the element limit, the prompt distribution)."""
    v = _index(vocab_size, "vocab_size", 1, 1 << 20)
    L = _index(max_length, "max_length", 1, 1 << 12)
    probs = as_float64(prompt_probs, "prompt_probs", (None,))
    p = probs.shape[0]
    if not 1 <= p <= 1 << 16:
        raise InvalidArgumentError(f"prompt_probs must have 1 to 65536 entries, got {p}")
    _check_probabilities(probs, "prompt_probs")
    n = _response_count(v, L)
    if n > EXACT_LIMIT:
        raise InvalidArgumentError(f"an ArrayTask needs at most {EXACT_LIMIT} responses per prompt; (V={v}, "
                                   f"L={L}) has more")
    check_elements(p * n, f"reward tables [P={p}, N={n}]")
    if prompt_features is None:
        feats = np.zeros((p, 0))
    else:
        feats = as_float64(prompt_features, "prompt_features", (p, None))
    check_elements(feats.size, "prompt features")
    return v, L, probs, n, feats


def _fn_rewards(out, name: str, prompt: int, start: int, stop: int) -> np.ndarray:
    """A reward callable's output for responses ``start .. stop-1`` of
    ``prompt``: real numbers (float or integer dtype, no bool, complex,
    string or object) of shape ``[stop - start]``, finite."""
    where = f"prompt {prompt}, responses {start}..{stop - 1}"
    a = asarray(out, f"the output of {name} for {where}")
    if a.dtype.kind not in "fiu" or (a.dtype.kind == "f" and a.dtype.itemsize > 8):
        raise DTypeError(f"{name} must return real numbers (a float or integer array) for {where}; got dtype "
                         f"{a.dtype}")
    if a.shape != (stop - start,):
        raise InvalidArgumentError(f"{name} must return {stop - start} finite rewards for {where}; got shape "
                                   f"{a.shape}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        i = int(np.argmax(~np.isfinite(a)))
        raise NotFiniteError(f"{name} returned a non-finite reward ({float(a[i])}) for prompt {prompt}, response "
                             f"{start + i}; rewards must be finite")
    return a

# ------------------------------------------------------------------------------------------ policies

_PRECISION_BITS = {"float64": 64, "float32": 32}


class SequencePolicy(_Sequences):
    """An autoregressive policy over responses (``Sequences/SequencePolicy.swift``):
    π(y | x) = Π_t π(y_t | x, y_<t), next-token distributions softmax(z)
    over V + 1 logits. Create one with :meth:`tabular`, :meth:`neural` or
    :meth:`for_task`; :meth:`copy` makes a frozen reference. Parameters are
    one float64 vector (:attr:`parameters`)."""

    _kind_name = "sequence policy"
    _concrete_hint = "use SequencePolicy.tabular, SequencePolicy.neural or SequencePolicy.for_task"
    # Set from SeqPolicyInfo by _info, family named by _from_handle (declared for type checkers).
    family: str
    num_params: int

    @classmethod
    def _from_handle(cls, handle: int) -> "SequencePolicy":
        obj = cls.__new__(cls)
        obj._adopt(handle, "swiftpg_seq_policy_destroy")
        info = _info(obj, "seq_policy", _lib.SeqPolicyInfo, handle)
        obj.family = _lib.SEQ_FAMILIES.get(info.family, f"family {info.family}")
        return obj

    @classmethod
    def tabular(cls, vocab_size: int, max_length: int, num_prompts: int) -> "SequencePolicy":
        """Logits θ[x, prefix, token] ``[P, Σ_{l<L} V^l, V + 1]``, all 0
        (the uniform policy). InvalidArgumentError beyond 2**24 parameters."""
        v = _index(vocab_size, "vocab_size", 1)
        L = _index(max_length, "max_length", 1)
        p = _index(num_prompts, "num_prompts", 1)
        handle = ctypes.c_uint64()
        _lib.call("seq_policy_create_tabular", v, L, p, ctypes.byref(handle))
        return cls._from_handle(handle.value)

    @classmethod
    def neural(cls, vocab_size: int, max_length: int, num_prompts: int, prompt_features=None,
               context_size: int | None = None, hidden_sizes=(64,), activation: str = "tanh",
               precision: str = "float64",
               seed: int = 0, hidden_gain: float = math.sqrt(2), output_gain: float = 0.01) -> "SequencePolicy":
        """A neural n-gram model (Bengio et al. 2003): an MLP reads [prompt
        features (F) | one-hot of the last ``context_size`` tokens (BOS
        before the start; None: min(2, ``max_length``)) | one-hot of the
        position] and writes V + 1 logits. ``prompt_features`` float64 ``[P, F]`` (None: F = 0);
        ``hidden_sizes`` ints; ``activation`` "tanh"/"relu"; ``precision``
        "float64"/"float32"; orthogonal initialisation from ``seed``."""
        v = _index(vocab_size, "vocab_size", 1)
        L = _index(max_length, "max_length", 1)
        p = _index(num_prompts, "num_prompts", 1)
        feats = (np.zeros((p, 0)) if prompt_features is None
                 else as_float64(prompt_features, "prompt_features", (p, None)))
        check_elements(feats.size, "prompt features")
        n = min(2, L) if context_size is None else _index(context_size, "context_size", 0)
        from .policies import _hidden
        hidden, nh = _hidden(hidden_sizes)
        act = as_choice(activation, _lib.ACTIVATION, "activation")
        bits = as_choice(precision, _PRECISION_BITS, "precision")
        seed = as_seed(seed)
        hg, og = as_float(hidden_gain, "hidden_gain"), as_float(output_gain, "output_gain")
        handle = ctypes.c_uint64()
        _lib.call("seq_policy_create_neural", v, L, p, feats.shape[1], feats.ctypes.data if feats.size else None,
                  n, hidden.ctypes.data, nh, act, bits, hg, og, seed, ctypes.byref(handle))
        return cls._from_handle(handle.value)

    @classmethod
    def for_task(cls, task: SequenceTask, family: str = "tabular", **neural_options) -> "SequencePolicy":
        """A policy over ``task``'s space and prompts: ``family`` "tabular"
        (uniform) or "neural" (reading the task's prompt features; options
        as :meth:`neural`)."""
        if not isinstance(task, SequenceTask):
            raise DTypeError(f"task must be a swiftpg.rlhf.SequenceTask, got {type(task).__name__}")
        as_choice(family, {"tabular": 0, "neural": 1}, "family")
        if family == "tabular":
            if neural_options:
                raise InvalidArgumentError(f"options {sorted(neural_options)} apply to neural policies only")
            return cls.tabular(task.vocab_size, task.max_length, task.num_prompts)
        return cls.neural(task.vocab_size, task.max_length, task.num_prompts, task.prompt_features,
                          **neural_options)

    def __reduce__(self):
        """Pickling: the policy's bundle (the bytes :meth:`save` writes), so the copy has
        the same family, specification and parameters bit for bit.
        Pickles of swiftpg 0.2 pre-releases (construction arguments and
        parameters) still load. Raises ClosedError when closed."""
        with self._busy:
            data = _lib.read_bytes("seq_policy_serialize", self.handle)
        return _restore_sequence_policy, (data,)

    @classmethod
    def _from_bytes(cls, data: bytes) -> "SequencePolicy":
        """The policy of a bundle (the bytes of :meth:`save` or pickling).
        Truncated, corrupted, wrong-version or other-kind bytes raise
        :class:`swiftpg.BadFormatError`; a non-bytes argument DTypeError."""
        return cls._from_handle(_lib.deserialize("seq_policy_deserialize", data, "data"))

    def save(self, path) -> None:
        """Saves the policy (family, specification — for a neural policy its
        sizes, activation, precision and prompt features — and parameters)
        to ``path``: a versioned binary with a checksum, written atomically
        (temporary file, fsync, rename). :class:`swiftpg.CheckpointIOError`
        when it cannot be written."""
        path = as_path(path)
        with self._busy:
            _lib.call("seq_policy_save", self.handle, path)

    @classmethod
    def load(cls, path) -> "SequencePolicy":
        """Loads a policy saved with :meth:`save`; it computes exactly what
        the saved one computed. A truncated, corrupted, wrong-version or
        other-kind file (e.g. a reward model's) raises
        :class:`swiftpg.BadFormatError`; a missing file
        :class:`swiftpg.CheckpointIOError`."""
        handle = ctypes.c_uint64()
        _lib.call("seq_policy_load", as_path(path), ctypes.byref(handle))
        return cls._from_handle(handle.value)

    def copy(self) -> "SequencePolicy":
        """A deep copy as a new object (RLHF's frozen reference policy):
        later updates of either leave the other unchanged."""
        handle = ctypes.c_uint64()
        self._call("seq_policy_copy", ctypes.byref(handle))
        return type(self)._from_handle(handle.value)

    frozen_copy = copy

    def get_params(self) -> np.ndarray:
        """A copy of the parameters, float64 ``[num_params]``."""
        out = np.empty(self.num_params)
        self._call("seq_policy_get_params", out.ctypes.data, self.num_params)
        return out

    def set_params(self, params) -> None:
        """Replaces the parameters (float64 ``[num_params]``, finite)."""
        p = as_float64(params, "params", (self.num_params,))
        self._call("seq_policy_set_params", p.ctypes.data, self.num_params)

    parameters = property(get_params, set_params, doc="The parameter vector (a copy; assign to set).")

    def sample(self, prompts, temperature: float = 1.0, seed: int = 0, first_lane: int = 0) -> Responses:
        """One response per prompt (int32 ``[B]``) from softmax(z /
        temperature) (temperature finite, ≥ 0; 0 is greedy: argmax, lowest
        id on ties). Row b uses the stream (seed, first_lane + b). Returns
        :class:`Responses` with ``log_probs`` ``[B, L]`` of the policy itself
        (temperature 1)."""
        pr = self._prompts(prompts)
        b = pr.shape[0]
        t = as_float(temperature, "temperature")
        seed, first = as_seed(seed), _first(first_lane, "first_lane")
        check_elements(b * self.max_length, "sampled responses")
        tokens = np.empty((b, self.max_length), np.int32)
        lengths = np.empty(b, np.int32)
        lp = np.empty((b, self.max_length))
        self._call("seq_policy_sample", pr.ctypes.data, b, t, seed, first, tokens.ctypes.data, lengths.ctypes.data,
                   lp.ctypes.data)
        return Responses(pr.copy(), tokens, lengths, lp)

    def greedy(self, prompts) -> Responses:
        """Greedy decoding: :meth:`sample` at temperature 0."""
        return self.sample(prompts, temperature=0.0)

    def log_probs(self, prompts, tokens, lengths, per_token: bool = False) -> np.ndarray:
        """Teacher-forced log π(y | x), float64 ``[B]``, or with
        ``per_token=True`` log π(y_t | x, y_<t) ``[B, L]`` (0 beyond each
        length)."""
        per_token = as_bool(per_token, "per_token")
        pr, tk, ln, b = self._batch(prompts, tokens, lengths)
        if per_token:
            out = np.empty((b, self.max_length))
            self._call("seq_policy_log_probs", pr.ctypes.data, tk.ctypes.data, ln.ctypes.data, b, out.ctypes.data,
                       None)
        else:
            out = np.empty(b)
            self._call("seq_policy_log_probs", pr.ctypes.data, tk.ctypes.data, ln.ctypes.data, b, None,
                       out.ctypes.data)
        return out

    def entropies(self, prompts, tokens, lengths) -> np.ndarray:
        """The entropy of each valid position's next-token distribution over
        the V + 1 tokens, float64 ``[B, L]`` (0 beyond each length)."""
        pr, tk, ln, b = self._batch(prompts, tokens, lengths)
        out = np.empty((b, self.max_length))
        self._call("seq_policy_entropies", pr.ctypes.data, tk.ctypes.data, ln.ctypes.data, b, out.ctypes.data)
        return out

    def kl(self, reference: "SequencePolicy", prompts, tokens, lengths, estimators: bool = True) -> KLTerms:
        """Per-token KL to ``reference`` (a SequencePolicy of the same V, L,
        P; may be this policy): the exact KL(π(·|c) ‖ π_ref(·|c)) and, with
        ``estimators``, k1/k2/k3 at the given tokens (:class:`KLTerms`)."""
        if not isinstance(reference, SequencePolicy):
            raise DTypeError(f"reference must be a SequencePolicy, got {type(reference).__name__}")
        estimators = as_bool(estimators, "estimators")
        pr, tk, ln, b = self._batch(prompts, tokens, lengths)
        outs = [np.empty((b, self.max_length)) for _ in range(4 if estimators else 1)]
        ptrs = [o.ctypes.data for o in outs] + [None] * (4 - len(outs))
        ref_handle = reference.handle
        with self._busy:
            if reference is self:
                _lib.call("seq_policy_kl", self.handle, ref_handle, pr.ctypes.data, tk.ctypes.data, ln.ctypes.data,
                          b, *ptrs)
            else:
                with reference._busy:
                    _lib.call("seq_policy_kl", self.handle, ref_handle, pr.ctypes.data, tk.ctypes.data,
                              ln.ctypes.data, b, *ptrs)
        return KLTerms(*outs)

    def score_gradient(self, prompts, tokens, lengths, token_weights=None, sequence_weights=None) -> np.ndarray:
        """Σ_b Σ_{t<length_b} w_bt ∇θ log π(y_bt | c_bt), float64
        ``[num_params]``, with ``token_weights`` float64 ``[B, L]`` (entries
        beyond a length are ignored) or ``sequence_weights`` float64 ``[B]``
        (broadcast over the response's tokens): exactly one of them."""
        pr, tk, ln, b = self._batch(prompts, tokens, lengths)
        if (token_weights is None) == (sequence_weights is None):
            raise InvalidArgumentError("pass exactly one of token_weights [B, L] and sequence_weights [B]")
        tw = sw = None
        if token_weights is not None:
            tw = as_float64(token_weights, "token_weights", (b, self.max_length), finite=False)
            mask = np.arange(self.max_length)[None, :] < ln[:, None]
            bad = mask & ~np.isfinite(tw)
            if bad.any():
                raise NotFiniteError(f"{first_bad('token_weights', tw, bad)}; weights must be finite")
        else:
            sw = as_float64(sequence_weights, "sequence_weights", (b,))
        out = np.empty(self.num_params)
        self._call("seq_policy_score_gradient", pr.ctypes.data, tk.ctypes.data, ln.ctypes.data, b,
                   None if tw is None else tw.ctypes.data, None if sw is None else sw.ctypes.data, out.ctypes.data)
        return out

    def next_token_log_probs(self, prompts, tokens, positions) -> np.ndarray:
        """Next-token distributions of N contexts: context i is prompt
        ``prompts[i]`` (int32 ``[N]``) with the prefix ``tokens[i,
        :positions[i]]`` (``tokens`` int32 ``[N, L]``, ``positions`` int32
        ``[N]`` in ``0 .. L-1``; the prefix must be content tokens ``0 ..
        V-1``, the tokens at and after the position are ignored). Returns
        log π(· | x, y_<t), float64 ``[N, V + 1]`` (column V is EOS): row i
        equals the teacher-forced distribution at position ``positions[i]``
        of any response with that prefix. InvalidArgumentError for a prompt
        or position out of range or a bad prefix token."""
        pos = _as_int32(positions, "positions", (None,))
        n = pos.shape[0]
        pr = _as_int32(prompts, "prompts", (n,))
        tk = _as_int32(tokens, "tokens", (n, self.max_length))
        check_elements(n * max(self.max_length, self.vocab_size + 1), "next-token contexts")
        out = np.empty((n, self.vocab_size + 1))
        self._call("seq_policy_next_token_log_probs", pr.ctypes.data, tk.ctypes.data, pos.ctypes.data, n,
                   out.ctypes.data)
        return out

    def exact_log_probs(self, prompt: int) -> np.ndarray:
        """log π(y | prompt) of every response, float64 ``[N]`` in canonical
        order (:func:`canonical_responses`), by exact enumeration.
        InvalidArgumentError when N > 2**20 (use Monte Carlo estimates)."""
        return self._exact_array("seq_policy_exact_log_probs", _index(prompt, "prompt"))

    def __repr__(self) -> str:
        state = ("closed" if self.closed else
                 f"{self.family}, V={self.vocab_size}, L={self.max_length}, P={self.num_prompts}")
        return f"SequencePolicy({state})"


def _restore_sequence_policy(data: bytes) -> SequencePolicy:
    """Unpickles a sequence policy from its bundle; bad bytes raise BadFormatError."""
    return SequencePolicy._from_bytes(data)


def _restore_policy(family, spec, params):
    """Unpickles a sequence policy pickled by swiftpg 0.2 pre-releases (ABI
    10): the constructor's family and arguments, then the parameters."""
    p = SequencePolicy.tabular(**spec) if family == "tabular" else SequencePolicy.neural(**spec)
    p.parameters = params
    return p


# ----------------------------------------------------------------------------------------- labellers

def _pairs(rewards, name: str = "rewards", k: int | None = 2) -> np.ndarray:
    r = as_float64(rewards, name, (None, k))
    check_elements(r.size, name)
    return r


def compare_pairs(rewards, scale: float = 1.0, seed: int = 0, first_row: int = 0) -> np.ndarray:
    """Bradley–Terry comparisons of ``rewards`` float64 ``[N, 2]`` (the
    rewards the labeller judges, e.g. :meth:`SequenceTask.label_rewards`):
    int32 ``[N]``, the index (0 or 1) of the preferred candidate; P(0
    preferred) = σ((r₀ − r₁)/scale); scale 0: the higher reward, a fair coin
    on ties. Row i uses the stream (seed, first_row + i)."""
    r = _pairs(rewards)
    s, seed, first = _scale(scale), as_seed(seed), _first(first_row, "first_row")
    out = np.empty(r.shape[0], np.int32)
    _lib.call("labeller_compare_pairs", r.shape[0], r.ctypes.data, s, seed, first, out.ctypes.data)
    return out


def rank(rewards, scale: float = 1.0, seed: int = 0, first_row: int = 0) -> np.ndarray:
    """Plackett–Luce rankings of ``rewards`` float64 ``[N, k]`` (k in
    [2, 65536]) by the Gumbel-max trick: int32 ``[N, k]``, candidate indices
    best first. Row i uses the stream (seed, first_row + i)."""
    r = _pairs(rewards, k=None)
    k = r.shape[1]
    if not 2 <= k <= 1 << 16:
        raise InvalidArgumentError(f"rewards must have 2 to 65536 candidates per row, got {k}")
    s, seed, first = _scale(scale), as_seed(seed), _first(first_row, "first_row")
    out = np.empty(r.shape, np.int32)
    _lib.call("labeller_rank", r.shape[0], k, r.ctypes.data, s, seed, first, out.ctypes.data)
    return out


def accuracy_ceiling(rewards, scale: float = 1.0) -> float:
    """The best expected agreement any predictor can have with the labeller
    on the pairs ``rewards`` float64 ``[N, 2]`` (N ≥ 1): the mean of
    σ(|r₀ − r₁| / scale) (scale 0: 1, or ½ on ties)."""
    r = _pairs(rewards)
    if r.shape[0] < 1:
        raise InvalidArgumentError("rewards must hold at least one pair")
    out = ctypes.c_double()
    _lib.call("labeller_accuracy_ceiling", r.shape[0], r.ctypes.data, _scale(scale), ctypes.byref(out))
    return out.value


def ranking_pairs(rankings) -> tuple[np.ndarray, np.ndarray]:
    """The k(k − 1)/2 (chosen, rejected) pairs of each ranking (int32
    ``[N, k]``, each row a permutation of 0 … k−1, best first): rows in
    order, then positions p < q. Returns two int32 arrays ``[N·k(k−1)/2]``
    of candidate indices."""
    rk = _as_int32(rankings, "rankings", (None, None))
    n, k = rk.shape
    if not 2 <= k <= 1 << 16:
        raise InvalidArgumentError(f"rankings must have 2 to 65536 candidates per row, got {k}")
    m = n * k * (k - 1) // 2
    check_elements(m, "ranking pairs")
    chosen, rejected = np.empty(m, np.int32), np.empty(m, np.int32)
    _lib.call("labeller_ranking_pairs", n, k, rk.ctypes.data, chosen.ctypes.data, rejected.ctypes.data)
    return chosen, rejected


# ------------------------------------------------------------------------------------------- exact

def exact_expectation(log_probs, values) -> float:
    """E_p[f] = Σ_y p(y) f(y) from ``log_probs`` float64 ``[N]`` (−inf is
    probability 0) and finite ``values`` ``[N]``."""
    lp = _as_log_probs(log_probs, "log_probs", (None,))
    v = as_float64(values, "values", lp.shape)
    out = ctypes.c_double()
    _lib.call("exact_expectation", lp.shape[0], lp.ctypes.data, v.ctypes.data, ctypes.byref(out))
    return out.value


def exact_kl(log_p, log_q) -> float:
    """KL(p ‖ q) = Σ_{p(y)>0} p(y)(log p(y) − log q(y)) from log-probabilities
    float64 ``[N]`` (+inf when q(y) = 0 < p(y))."""
    p = _as_log_probs(log_p, "log_p", (None,))
    q = _as_log_probs(log_q, "log_q", p.shape)
    out = ctypes.c_double()
    _lib.call("exact_kl", p.shape[0], p.ctypes.data, q.ctypes.data, ctypes.byref(out))
    return out.value


def exact_win_rate(log_p, log_q, rewards, prompt_probs=None) -> float:
    """The win rate P(r(y) > r(y′)) + ½ P(r(y) = r(y′)) of y ~ p against
    y′ ~ q (exactly ½ for p = q): ``log_p``, ``log_q``, ``rewards`` float64
    ``[N]``; with ``prompt_probs`` float64 ``[P]`` (≥ 0, summing to 1) the
    arrays are ``[P, N]`` and the result is Σ_x w_x winrate(p_x, q_x)."""
    if prompt_probs is None:
        p = _as_log_probs(log_p, "log_p", (None,))
        q = _as_log_probs(log_q, "log_q", p.shape)
        r = as_float64(rewards, "rewards", p.shape)
        out = ctypes.c_double()
        _lib.call("exact_win_rate", p.shape[0], p.ctypes.data, q.ctypes.data, r.ctypes.data, ctypes.byref(out))
        return out.value
    w = as_float64(prompt_probs, "prompt_probs", (None,))
    p = _as_log_probs(log_p, "log_p", (w.shape[0], None))
    q = _as_log_probs(log_q, "log_q", p.shape)
    r = as_float64(rewards, "rewards", p.shape)
    out = ctypes.c_double()
    _lib.call("exact_win_rate_prompts", p.shape[0], p.shape[1], w.ctypes.data, p.ctypes.data, q.ctypes.data,
              r.ctypes.data, ctypes.byref(out))
    return out.value


# ------------------------------------------------------------------------- the KL-regularised reward

def _kl_lengths(lengths, b: int | None, L: int) -> np.ndarray:
    if not 1 <= L <= 1 << 12:
        raise InvalidArgumentError(f"the per-token arrays must have 1 to 4096 positions (max_length L), got {L}")
    return _as_int32(lengths, "lengths", (b,))


def kl_penalties(log_probs, ref_log_probs, lengths, estimator: str = "k3") -> np.ndarray:
    """Per-token KL penalties kl_t of the KL-regularised reward of RLHF
    (Ziegler et al. 2019; Stiennon et al. 2020, eq. 1), from the policy's
    and the reference's log-probabilities of the sampled tokens, with the
    estimator stated (Schulman, "Approximating KL divergence", 2020; r =
    π_ref(y_t)/π(y_t)):

    * ``"k1"``: log π(y_t) − log π_ref(y_t) = −log r (unbiased, can be < 0);
    * ``"k2"``: ½ (log r)² (biased, ≥ 0, low variance);
    * ``"k3"`` (default): (r − 1) − log r (unbiased, ≥ 0; computed as
      expm1(log r) − log r).

    ``log_probs`` and ``ref_log_probs`` float64 ``[B, L]`` (e.g.
    ``policy.sample(...).log_probs`` and ``reference.log_probs(...,
    per_token=True)``), ``lengths`` int32 ``[B]`` in ``1 .. L``. Entries at
    positions ≥ length are ignored (any value, NaN included); the others
    must be finite. Returns float64 ``[B, L]`` with 0 beyond each length.
    The exact per-token KL (:meth:`SequencePolicy.kl`) may be used as
    penalties instead. Errors: DTypeError, InvalidArgumentError (shapes,
    lengths, estimator), NotFiniteError (a used entry), NumericalError (k3
    overflows: π_ref/π beyond the Double range)."""
    lp = as_float64(log_probs, "log_probs", (None, None), finite=False)
    b, L = lp.shape
    lq = as_float64(ref_log_probs, "ref_log_probs", (b, L), finite=False)
    ln = _kl_lengths(lengths, b, L)
    k = as_choice(estimator, _lib.KL_ESTIMATORS, "estimator")
    check_elements(b * L, "log_probs")
    out = np.empty((b, L))
    _lib.call("kl_penalties", b, L, lp.ctypes.data, lq.ctypes.data, ln.ctypes.data, k, out.ctypes.data)
    return out


def kl_regularized_rewards(rewards, penalties, lengths, beta: float, per_token: bool = False) -> np.ndarray:
    """The KL-regularised reward R(x, y) = r(x, y) − β log(π(y|x) /
    π_ref(y|x)) of RLHF (Ziegler et al. 2019; Stiennon et al. 2020, eq. 1),
    the log-ratio of each response being the sum of its per-token
    ``penalties`` over its generated positions (:func:`kl_penalties`, or the
    exact per-token KL).

    ``rewards`` float64 ``[B]`` (each whole response's score, from a reward
    model or the task), ``penalties`` float64 ``[B, L]``, ``lengths`` int32
    ``[B]`` in ``1 .. L``, ``beta`` finite ≥ 0. ``per_token=False``: the
    sequence rewards float64 ``[B]``, R_b = r_b − β Σ_{t<n_b} kl_bt.
    ``per_token=True``: the per-token rewards of PPO-style RLHF float64
    ``[B, L]``: −β kl_bt at every generated position plus r_b at the last
    one (t = n_b − 1), 0 beyond; each row sums to the sequence reward.
    Penalties at positions ≥ length are ignored (any value); used values
    must be finite. Errors: DTypeError, InvalidArgumentError, NotFiniteError,
    NumericalError (the result overflows)."""
    kl = as_float64(penalties, "penalties", (None, None), finite=False)
    b, L = kl.shape
    r = as_float64(rewards, "rewards", (b,), finite=False)
    ln = _kl_lengths(lengths, b, L)
    beta = as_float(beta, "beta")
    per_token = as_bool(per_token, "per_token")
    check_elements(b * L, "penalties")
    out = np.empty((b, L) if per_token else b)
    _lib.call("kl_regularized_rewards", b, L, r.ctypes.data, kl.ctypes.data, ln.ctypes.data, beta, int(per_token),
              out.ctypes.data)
    return out


# ------------------------------------------------------------------------------------- reward models

def _stats(struct) -> dict:
    """A ctypes stats struct as a dict of floats."""
    return {name: float(getattr(struct, name)) for name, _ in struct._fields_}


def _configure(struct, name: str, values: dict):
    """``struct`` from ``swiftpg_<name>_default_config``, then ``values``
    converted by field type: doubles by :func:`as_float`, ``seed`` by
    :func:`as_seed`, ``standardize`` by :func:`as_bool`, other ints by
    :func:`as_count` (≥ 1)."""
    c = struct()
    _lib.call(name + "_default_config", ctypes.byref(c))
    set_fields(c, values, lambda v, key: int(as_bool(v, key)) if key == "standardize" else _index(v, key, 1))
    return c


class RewardModel(NativeObject):
    """A reward model r_φ(x) over feature rows x ∈ ℝᴷ
    (``Preferences/RewardModel.swift``; features e.g. from
    :meth:`SequenceTask.reward_features`): linear (``hidden_sizes=()``,
    parameters start at 0) or an MLP with a scalar output (orthogonal
    initialisation from ``seed``). Fitted with Adam on shuffled minibatches
    — a fresh optimiser per fit — on pairwise comparisons (Bradley–Terry;
    Ouyang et al. 2022, Bai et al. 2022, with Llama 2's optional margins and
    Eisenstein et al. 2023's reward centring) or k-way rankings
    (InstructGPT's ranking loss). Optional feature standardisation is part
    of the model, so :meth:`predict` takes raw features."""

    _kind_name = "reward model"

    def __init__(self, num_features: int, hidden_sizes=(), activation: str = "tanh", seed: int = 0):
        k = _index(num_features, "num_features", 1, 1 << 20)
        from .policies import _hidden
        hidden, nh = _hidden(hidden_sizes)
        act = as_choice(activation, _lib.ACTIVATION, "activation")
        handle = ctypes.c_uint64()
        _lib.call("reward_model_create", k, hidden.ctypes.data, nh, act, as_seed(seed), ctypes.byref(handle))
        self._setup(handle.value)

    def _setup(self, handle: int) -> None:
        """Adopts ``handle`` and reads its sizes (``num_features``,
        ``hidden_sizes``, ``activation``, ``num_params``) from the library."""
        self._adopt(handle, "swiftpg_reward_model_destroy")
        info = self._info()
        sizes = np.zeros(max(1, info.num_hidden), np.int32)
        _lib.call("reward_model_hidden_sizes", handle, sizes.ctypes.data if info.num_hidden else None)
        self.num_features = info.num_features
        self.hidden_sizes = tuple(int(h) for h in sizes[:info.num_hidden])
        self.activation = {v: k for k, v in _lib.ACTIVATION.items()}.get(info.activation, str(info.activation))
        self.num_params = info.num_params

    @classmethod
    def _from_handle(cls, handle: int) -> "RewardModel":
        obj = cls.__new__(cls)
        obj._setup(handle)
        return obj

    def __reduce__(self):
        """Pickling: the model's bundle (the bytes :meth:`save` writes: sizes,
        activation, feature standardisation, network precision and
        parameters), so the copy predicts bit for bit what this one
        predicts. Raises ClosedError when closed."""
        with self._busy:
            data = _lib.read_bytes("reward_model_serialize", self.handle)
        return _restore_reward_model, (data,)

    @classmethod
    def _from_bytes(cls, data: bytes) -> "RewardModel":
        """The model of a bundle; bad bytes raise BadFormatError."""
        return cls._from_handle(_lib.deserialize("reward_model_deserialize", data, "data"))

    def save(self, path) -> None:
        """Saves the model (sizes, activation, feature standardisation,
        network precision, parameters) to ``path``: a versioned binary with
        a checksum, written atomically (temporary file, fsync, rename).
        :class:`swiftpg.CheckpointIOError` when it cannot be written."""
        path = as_path(path)
        with self._busy:
            _lib.call("reward_model_save", self.handle, path)

    @classmethod
    def load(cls, path) -> "RewardModel":
        """Loads a model saved with :meth:`save`; it predicts bit for bit what
        the saved one predicted (standardisation included). A truncated,
        corrupted, wrong-version or other-kind file (e.g. a sequence
        policy's) raises :class:`swiftpg.BadFormatError`; a missing file
        :class:`swiftpg.CheckpointIOError`."""
        handle = ctypes.c_uint64()
        _lib.call("reward_model_load", as_path(path), ctypes.byref(handle))
        return cls._from_handle(handle.value)

    def _info(self):
        info = _lib.RewardModelInfo()
        with self._busy:
            _lib.call("reward_model_get_info", self.handle, ctypes.byref(info))
        return info

    @property
    def standardized(self) -> bool:
        """True once a standardisation is set (``fit(..., standardize=True)``)."""
        return bool(self._info().standardized)

    def get_params(self) -> np.ndarray:
        """A copy of the parameters, float64 ``[num_params]`` (the MLP layout)."""
        out = np.empty(self.num_params)
        with self._busy:
            _lib.call("reward_model_get_params", self.handle, out.ctypes.data, self.num_params)
        return out

    def set_params(self, params) -> None:
        """Replaces the parameters (float64 ``[num_params]``, finite)."""
        p = as_float64(params, "params", (self.num_params,))
        with self._busy:
            _lib.call("reward_model_set_params", self.handle, p.ctypes.data, self.num_params)

    parameters = property(get_params, set_params, doc="The parameter vector (a copy; assign to set).")

    def _rows(self, x, name: str, shape=None) -> np.ndarray:
        a = as_float64(x, name, shape or (None, self.num_features))
        if a.shape[0] < 1:
            raise InvalidArgumentError(f"{name} must have at least one row")
        check_elements(a.size, name)
        return a

    def predict(self, features) -> np.ndarray:
        """r_φ of each row of ``features`` float64 ``[B, K]`` (B ≥ 1): float64 ``[B]``."""
        x = self._rows(features, "features")
        out = np.empty(x.shape[0])
        with self._busy:
            _lib.call("reward_model_predict", self.handle, x.ctypes.data, x.shape[0], out.ctypes.data)
        return out

    def pair_accuracy(self, chosen, rejected) -> float:
        """The fraction of pairs (feature rows ``chosen``, ``rejected``
        float64 ``[N, K]``) the model orders correctly, ties ½."""
        c = self._rows(chosen, "chosen")
        r = self._rows(rejected, "rejected", c.shape)
        out = ctypes.c_double()
        with self._busy:
            _lib.call("reward_model_pair_accuracy", self.handle, c.ctypes.data, r.ctypes.data, c.shape[0],
                      ctypes.byref(out))
        return out.value

    def _fit(self, name: str, args: list, rows: int, settings: dict) -> dict:
        c = _configure(_lib.RewardModelFitConfigC, "reward_model_fit", settings)
        loss, acc = np.empty(c.epochs), np.empty(c.epochs)
        with self._busy:   # Ctrl-C stops the fit between minibatches; a stopped fit changes nothing
            _lib.call_interruptible(name, self.handle, self.handle, *args, ctypes.byref(c), loss.ctypes.data,
                                    acc.ctypes.data)
        return {"loss": loss, "accuracy": acc}

    def fit(self, chosen, rejected, margins=None, *, epochs: int = 20, minibatch_size: int = 64,
            learning_rate: float = 1e-2, weight_decay: float = 0.0, centring: float = 0.0, seed: int = 0,
            standardize: bool = False) -> dict:
        """Fits on N ≥ 1 comparisons: feature rows ``chosen``, ``rejected``
        float64 ``[N, K]`` of the preferred and the other response, optional
        ``margins`` float64 ``[N]`` (Llama 2). Loss (1/N) Σ [−log σ(r_c −
        r_r − m) + c (r_c + r_r)²] with ``centring`` c ≥ 0. ``standardize``:
        standardise the features from the training data first (if not yet).
        Returns ``{"loss": [epochs], "accuracy": [epochs]}`` (each epoch's
        mean over its minibatches, each measured before its step).
        InvalidArgumentError / NotFiniteError on bad input; NumericalError
        if the model overflows or a step diverges; KeyboardInterrupt
        (Ctrl-C, checked between minibatches): in each case the fit changes
        nothing (parameters and standardisation as before)."""
        c = self._rows(chosen, "chosen")
        r = self._rows(rejected, "rejected", c.shape)
        m = None if margins is None else as_float64(margins, "margins", (c.shape[0],))
        return self._fit("reward_model_fit_pairs",
                         [c.ctypes.data, r.ctypes.data, None if m is None else m.ctypes.data, c.shape[0]],
                         c.shape[0], dict(epochs=epochs, minibatch_size=minibatch_size, learning_rate=learning_rate,
                                          weight_decay=weight_decay, centring=centring, seed=seed,
                                          standardize=standardize))

    def fit_rankings(self, candidates, rankings, *, epochs: int = 20, minibatch_size: int = 64,
                     learning_rate: float = 1e-2, weight_decay: float = 0.0, seed: int = 0,
                     standardize: bool = False) -> dict:
        """Fits on N ≥ 1 k-way rankings (InstructGPT, Ouyang et al. 2022
        eq. 1): ``candidates`` float64 ``[N, k, K]`` (feature rows of the k
        candidates), ``rankings`` int32 ``[N, k]`` (each row a permutation
        of 0 … k−1, best first, e.g. from :func:`rank`; 2 ≤ k ≤ 65536).
        Returns as :meth:`fit`."""
        x = as_float64(candidates, "candidates", (None, None, self.num_features))
        n, k = x.shape[:2]
        if n < 1 or not 2 <= k <= 1 << 16:
            raise InvalidArgumentError(f"candidates must be [N >= 1, 2 <= k <= 65536, K], got {x.shape}")
        check_elements(x.size, "candidates")
        rk = _as_int32(rankings, "rankings", (n, k))
        return self._fit("reward_model_fit_rankings", [x.ctypes.data, rk.ctypes.data, n, k], n,
                         dict(epochs=epochs, minibatch_size=minibatch_size, learning_rate=learning_rate,
                              weight_decay=weight_decay, seed=seed, standardize=standardize))

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"K={self.num_features}, hidden={self.hidden_sizes}"
        return f"RewardModel({state})"


def _restore_reward_model(data: bytes) -> RewardModel:
    """Unpickles a reward model from its bundle; bad bytes raise BadFormatError."""
    return RewardModel._from_bytes(data)


# ------------------------------------------------------------------------------------ pure functions

def _vectors(names_values: dict, n: int | None = None) -> list[np.ndarray]:
    """Finite float64 vectors of one length N ≥ 1 (the first fixes N)."""
    out = []
    for name, value in names_values.items():
        a = as_float64(value, name, (n,))
        if n is None:
            n = a.shape[0]
            if n < 1:
                raise InvalidArgumentError(f"{name} is empty: at least one comparison is needed")
        out.append(a)
    return out


def _optional(value, name: str, n: int):
    return None if value is None else as_float64(value, name, (n,))


def _ptr(a):
    return None if a is None else a.ctypes.data


def bradley_terry_loss(chosen, rejected, margins=None, centring: float = 0.0) -> tuple[dict, np.ndarray, np.ndarray]:
    """The Bradley–Terry reward-model loss (Ouyang et al. 2022; Bai et al.
    2022), with margins m (Touvron et al. 2023, Llama 2 eq. 2) and reward
    centring c ≥ 0 (Eisenstein et al. 2023): L = (1/N) Σ [−log σ(r_c − r_r
    − m) + c (r_c + r_r)²] over ``chosen``, ``rejected``, ``margins``
    float64 ``[N]`` (N ≥ 1). Returns ``(stats, d_chosen, d_rejected)``:
    stats ``{"loss", "accuracy", "mean_margin"}`` (accuracy: r_c > r_r, ties
    ½) and ∂L/∂r_c, ∂L/∂r_r float64 ``[N]``."""
    c, r = _vectors({"chosen": chosen, "rejected": rejected})
    n = c.shape[0]
    m = _optional(margins, "margins", n)
    stats, dc, dr = _lib.PairwiseStatsC(), np.empty(n), np.empty(n)
    _lib.call("bradley_terry_loss", n, c.ctypes.data, r.ctypes.data, _ptr(m), as_float(centring, "centring"),
              ctypes.byref(stats), dc.ctypes.data, dr.ctypes.data)
    return _stats(stats), dc, dr


def ranking_loss(scores, rankings) -> tuple[dict, np.ndarray]:
    """InstructGPT's k-way ranking loss (Ouyang et al. 2022, eq. 1): L =
    (1/N) Σₙ −(1/C(k,2)) Σ_{i above j} log σ(s_i − s_j) over ``scores``
    float64 ``[N, k]`` and ``rankings`` int32 ``[N, k]`` (permutations of
    0 … k−1, best first; repeats raise InvalidArgumentError). Returns
    ``(stats, d_scores [N, k])``."""
    s = as_float64(scores, "scores", (None, None))
    n, k = s.shape
    if n < 1 or not 2 <= k <= 1 << 16:
        raise InvalidArgumentError(f"scores must be [N >= 1, 2 <= k <= 65536], got {s.shape}")
    rk = _as_int32(rankings, "rankings", (n, k))
    stats, ds = _lib.PairwiseStatsC(), np.empty((n, k))
    _lib.call("ranking_loss", n, k, s.ctypes.data, rk.ctypes.data, ctypes.byref(stats), ds.ctypes.data)
    return _stats(stats), ds


def _direct(kind: str, policy_chosen, policy_rejected, reference_chosen, reference_rejected, beta, label_smoothing,
            weights):
    pc, pr, rc, rr = _vectors({"policy_chosen": policy_chosen, "policy_rejected": policy_rejected,
                               "reference_chosen": reference_chosen, "reference_rejected": reference_rejected})
    n = pc.shape[0]
    w = _optional(weights, "weights", n)
    stats, dc, dr = _lib.DirectStatsC(), np.empty(n), np.empty(n)
    _lib.call("direct_loss", _lib.DIRECT_LOSS[kind], n, pc.ctypes.data, pr.ctypes.data, rc.ctypes.data,
              rr.ctypes.data, as_float(beta, "beta"), as_float(label_smoothing, "label_smoothing"), _ptr(w),
              ctypes.byref(stats), dc.ctypes.data, dr.ctypes.data)
    return _stats(stats), dc, dr


def dpo_loss(policy_chosen, policy_rejected, reference_chosen, reference_rejected, beta: float = 0.1,
             label_smoothing: float = 0.0, weights=None) -> tuple[dict, np.ndarray, np.ndarray]:
    """The DPO loss (Rafailov et al. 2023, eq. 7) with label smoothing ε ∈
    [0, ½) (conservative DPO, TRL's ``label_smoothing``): L = Σ wₙ [−(1−ε)
    log σ(β hₙ) − ε log σ(−β hₙ)] / Σ w, hₙ = (log π − log π_ref)(y_w) −
    (log π − log π_ref)(y_l), over per-sequence log-probabilities float64
    ``[N]``; β > 0; ``weights`` float64 ``[N]`` (≥ 0, positive sum; None:
    uniform). Returns ``(stats, d_chosen, d_rejected)``: stats ``{"loss",
    "chosen_reward", "rejected_reward", "reward_accuracy",
    "reward_margin"}`` (implicit rewards β(log π − log π_ref), as TRL logs
    them) and ∂L/∂log π(y_w), ∂L/∂log π(y_l) ``[N]``."""
    return _direct("dpo", policy_chosen, policy_rejected, reference_chosen, reference_rejected, beta,
                   label_smoothing, weights)


def ipo_loss(policy_chosen, policy_rejected, reference_chosen, reference_rejected, tau: float = 0.1,
             weights=None) -> tuple[dict, np.ndarray, np.ndarray]:
    """The IPO loss (Azar et al. 2023, eq. 17): L = Σ wₙ (hₙ − 1/(2τ))² /
    Σ w, τ > 0; arguments and returns as :func:`dpo_loss`. TRL's
    ``loss_type="ipo"`` (τ = its ``beta``) divides each sequence
    log-probability by the response's token count first; pass such
    per-token means here to reproduce it (:class:`DPO` uses sums, the
    paper's form)."""
    return _direct("ipo", policy_chosen, policy_rejected, reference_chosen, reference_rejected, tau, 0.0, weights)


def best_of_n_select(scores, seed: int = 0, first_row: int = 0) -> np.ndarray:
    """Best-of-n selection: for each row of ``scores`` float64 ``[N, n]``
    (N ≥ 1, finite), the index of the highest score, int32 ``[N]``; ties
    broken uniformly with row r's stream (seed, first_row + r)."""
    s = as_float64(scores, "scores", (None, None))
    if s.shape[0] < 1 or s.shape[1] < 1:
        raise InvalidArgumentError(f"scores must be [N >= 1, n >= 1], got {s.shape}")
    check_elements(s.size, "scores")
    out = np.empty(s.shape[0], np.int32)
    _lib.call("best_of_n_select", s.shape[0], s.shape[1], s.ctypes.data, as_seed(seed), _first(first_row, "first_row"),
              out.ctypes.data)
    return out


def _best_of_n(base_probs, scores, n):
    p, s = _vectors({"base_probs": base_probs, "scores": scores})
    return p, s, as_count(n, "n", 1, 1 << 40)


def best_of_n_distribution(base_probs, scores, n: int) -> np.ndarray:
    """The exact distribution of best-of-n (Beirami et al. 2024) over a
    finite response set: ``base_probs`` float64 ``[M]`` (≥ 0, summing to 1
    within 1e-9), ``scores`` float64 ``[M]``, 1 ≤ n ≤ 2**40; ties among the
    n draws broken uniformly. Returns float64 ``[M]`` (n = 1: the base)."""
    p, s, n = _best_of_n(base_probs, scores, n)
    out = np.empty(p.shape[0])
    _lib.call("best_of_n_distribution", p.shape[0], p.ctypes.data, s.ctypes.data, n, out.ctypes.data)
    return out


def best_of_n_kl(base_probs, scores, n: int) -> float:
    """KL(π_bon ‖ π_base) exactly (arguments as :func:`best_of_n_distribution`);
    at most :func:`best_of_n_kl_bound` (Beirami et al. 2024), strictly less
    with ties."""
    p, s, n = _best_of_n(base_probs, scores, n)
    out = ctypes.c_double()
    _lib.call("best_of_n_kl", p.shape[0], p.ctypes.data, s.ctypes.data, n, ctypes.byref(out))
    return out.value


def best_of_n_kl_bound(n: int) -> float:
    """log n − (n − 1)/n, the KL of best-of-n quoted by Stiennon et al.
    (2020) and Gao et al. (2023), an upper bound (Beirami et al. 2024)."""
    out = ctypes.c_double()
    _lib.call("best_of_n_kl_bound", as_count(n, "n", 1, 1 << 40), ctypes.byref(out))
    return out.value


def _correlation(method: int, x, y) -> float:
    a, b = _vectors({"x": x, "y": y})
    if a.shape[0] < 2:
        raise InvalidArgumentError(f"a rank correlation needs at least 2 items, got {a.shape[0]}")
    out = ctypes.c_double()
    _lib.call("rank_correlation", method, a.shape[0], a.ctypes.data, b.ctypes.data, ctypes.byref(out))
    return out.value


def spearman(x, y) -> float:
    """Spearman's ρ of ``x``, ``y`` float64 ``[N]`` (N ≥ 2): the Pearson
    correlation of the average ranks (scipy's ``spearmanr``); NaN when
    either is constant."""
    return _correlation(0, x, y)


def kendall_tau_b(x, y) -> float:
    """Kendall's τ-b (ties corrected; scipy's ``kendalltau``) of ``x``,
    ``y`` float64 ``[N]`` (2 ≤ N ≤ 32768; O(N²)); NaN when either is constant."""
    return _correlation(1, x, y)


# -------------------------------------------------------------------------------------------- trainers

class _PreferenceTrainer(NativeObject):
    """An SFT or DPO trainer: keeps the Adam state and the shuffle generator
    across :meth:`fit` calls and holds its policies (they stay alive while
    the trainer does)."""

    _kind_name = "preference trainer"

    def __reduce__(self):
        raise TypeError(f"a {type(self).__name__} trainer holds native optimiser state and cannot be pickled; "
                        "pickle its policy (SequencePolicy objects pickle) and create a new trainer from it")

    def _start(self, name: str, args: list, config, policies) -> None:
        for p in policies:
            if not isinstance(p, SequencePolicy):
                raise DTypeError(f"policy and reference must be SequencePolicy objects, got {type(p).__name__}")
        handle = ctypes.c_uint64()
        _lib.call(name, *[p.handle for p in policies], *args, ctypes.byref(config), ctypes.byref(handle))
        self._adopt(handle.value, "swiftpg_pref_trainer_destroy")
        self.policy = policies[0]
        self._policies = policies
        self.epochs = config.epochs

    def _run(self, name: str, *args) -> None:
        from contextlib import ExitStack
        with ExitStack() as stack:
            stack.enter_context(self._busy)
            for p in self._policies:
                stack.enter_context(p._busy)
            # Ctrl-C stops a fit between minibatches; a stopped call changes nothing.
            _lib.call_interruptible(name, self.handle, self.handle, *args)

    def _epochs(self, epochs, progress):
        epochs = self.epochs if epochs is None else _index(epochs, "epochs", 1, 1 << 20)
        if progress:
            try:
                from tqdm.auto import trange
                return trange(epochs, desc=type(self).__name__)
            except ImportError:
                pass
        return range(epochs)


class SFT(_PreferenceTrainer):
    """Supervised fine-tuning (Stiennon et al. 2020; Ouyang et al. 2022
    §3.5) of a :class:`SequencePolicy` on demonstrations: per-token
    cross-entropy with teacher forcing over every generated position (EOS
    included), Adam on shuffled minibatches of ``minibatch_size``
    positions, L2 ``weight_decay``. Each :meth:`fit` continues the same
    optimiser and shuffles."""

    def __init__(self, policy: SequencePolicy, epochs: int = 10, minibatch_size: int = 256,
                 learning_rate: float = 0.01, weight_decay: float = 0.0, seed: int = 0):
        config = _configure(_lib.SFTConfigC, "sft", dict(epochs=1, minibatch_size=minibatch_size,
                                                         learning_rate=learning_rate, weight_decay=weight_decay,
                                                         seed=seed))
        self._start("sft_create", [], config, [policy])
        self.epochs = _index(epochs, "epochs", 1, 1 << 20)

    def _responses(self, demos, name: str):
        if not isinstance(demos, Responses):
            raise DTypeError(f"{name} must be swiftpg.rlhf.Responses, got {type(demos).__name__}")
        pr, tk, ln, b = self.policy._batch(demos.prompts, demos.tokens, demos.lengths)
        if b < 1:
            raise InvalidArgumentError(f"{name} is empty")
        return pr, tk, ln, b

    def fit(self, demos: Responses, held_out: Responses | None = None, epochs: int | None = None,
            progress: bool = False) -> dict:
        """Trains on ``demos`` (:class:`Responses`: prompts, tokens, lengths)
        for ``epochs`` (default: the constructor's) epochs, one native call
        each (``progress=True``: a tqdm bar if installed), evaluating
        ``held_out`` after each. Returns ``{"loss", "accuracy"}`` and, with
        ``held_out``, ``{"held_out_loss", "held_out_accuracy"}``: float64
        ``[epochs]`` per-token means (nats; greedy accuracy). Bad tokens,
        lengths or prompt ids raise InvalidArgumentError before any change.
        Ctrl-C (KeyboardInterrupt) stops the running epoch between
        minibatches and undoes it; the epochs before it stay trained."""
        d = self._responses(demos, "demos")
        h = None if held_out is None else self._responses(held_out, "held_out")
        keys = ["loss", "accuracy"] + (["held_out_loss", "held_out_accuracy"] if h else [])
        history: dict[str, list] = {k: [] for k in keys}
        for _ in self._epochs(epochs, progress):
            outs = [np.empty(1) for _ in range(4)]
            held = (h[0].ctypes.data, h[1].ctypes.data, h[2].ctypes.data, h[3]) if h else (None, None, None, 0)
            self._run("sft_fit", d[0].ctypes.data, d[1].ctypes.data, d[2].ctypes.data, d[3], *held,
                      *[o.ctypes.data for o in outs])
            for key, o in zip(keys, outs):
                history[key].append(o[0])
        return {k: np.array(v) for k, v in history.items()}

    def evaluate(self, demos: Responses) -> dict:
        """``{"loss", "accuracy"}``: per-token cross-entropy and greedy
        accuracy of the policy on ``demos`` (no step)."""
        pr, tk, ln, b = self._responses(demos, "demos")
        loss, acc = ctypes.c_double(), ctypes.c_double()
        self._run("sft_evaluate", pr.ctypes.data, tk.ctypes.data, ln.ctypes.data, b, ctypes.byref(loss),
                  ctypes.byref(acc))
        return {"loss": loss.value, "accuracy": acc.value}


class DPO(_PreferenceTrainer):
    """Offline direct preference optimisation of ``policy`` against the
    frozen ``reference`` (another :class:`SequencePolicy` over the same V,
    L, P, e.g. ``policy.copy()``; the same object raises
    InvalidArgumentError): DPO (Rafailov et al. 2023, ``loss="dpo"``, with
    ``label_smoothing``) or IPO (Azar et al. 2023, ``loss="ipo"``, τ =
    ``beta``) on per-sequence log-probabilities, Adam on shuffled
    minibatches of ``minibatch_size`` pairs. Each :meth:`fit` continues the
    same optimiser and shuffles; the reference never changes."""

    def __init__(self, policy: SequencePolicy, reference: SequencePolicy, loss: str = "dpo", beta: float = 0.1,
                 label_smoothing: float = 0.0, epochs: int = 1, minibatch_size: int = 64,
                 learning_rate: float = 0.01, seed: int = 0):
        kind = as_choice(loss, _lib.DIRECT_LOSS, "loss")
        config = _configure(_lib.DPOConfigC, "dpo", dict(beta=beta, label_smoothing=label_smoothing, epochs=1,
                                                         minibatch_size=minibatch_size, learning_rate=learning_rate,
                                                         seed=seed))
        config.loss = kind
        if reference is policy:
            raise InvalidArgumentError("the reference must be a frozen copy (policy.copy()), not the policy itself")
        self._start("dpo_create", [], config, [policy, reference])
        self.reference = reference
        self.epochs = _index(epochs, "epochs", 1, 1 << 20)

    def _pairs(self, prompts, chosen, rejected, weights):
        def parts(r, name):
            if isinstance(r, Responses):
                return r.tokens, r.lengths
            if isinstance(r, (tuple, list)) and len(r) == 2:
                return r
            raise DTypeError(f"{name} must be Responses or (tokens, lengths), got {type(r).__name__}")
        given = {name: r.prompts for name, r in (("chosen", chosen), ("rejected", rejected))
                 if isinstance(r, Responses)}
        if prompts is None:
            if not given:
                raise InvalidArgumentError("prompts is None and chosen is not Responses: pass the prompt ids")
            prompts = next(iter(given.values()))
        prompts = self.policy._prompts(prompts)
        for name, own in given.items():
            if np.shape(own) != prompts.shape or not np.array_equal(own, prompts):
                raise InvalidArgumentError(f"{name}.prompts differ from prompts: each pair's responses must answer "
                                           "its prompt (pass prompts=None to use the Responses' own)")
        pr, yw, nw, b = self.policy._batch(prompts, *parts(chosen, "chosen"))
        _, yl, nl, _ = self.policy._batch(pr, *parts(rejected, "rejected"))
        if b < 1:
            raise InvalidArgumentError("the comparison set is empty")
        w = _optional(weights, "weights", b)
        return [pr.ctypes.data, yw.ctypes.data, nw.ctypes.data, yl.ctypes.data, nl.ctypes.data, b, _ptr(w)], (
            pr, yw, nw, yl, nl, w)

    def fit(self, prompts, chosen, rejected, weights=None, epochs: int | None = None,
            progress: bool = False) -> list[dict]:
        """Trains on N pairs: ``prompts`` int32 ``[N]`` (None: the prompts of
        ``chosen``; Responses whose prompts differ from ``prompts`` raise
        InvalidArgumentError), ``chosen`` and ``rejected``
        :class:`Responses` (or ``(tokens [N, L], lengths [N])``),
        ``weights`` float64 ``[N]`` (≥ 0, positive sum; None: uniform) for
        ``epochs`` epochs (one native call each; ``progress``: a tqdm bar).
        Returns one dict per epoch, the means over its minibatches (each
        measured before its step) of ``loss``, ``chosen_reward``,
        ``rejected_reward``, ``reward_accuracy``, ``reward_margin``.
        Ctrl-C stops the running epoch between minibatches and undoes it;
        the epochs before it stay trained."""
        args, keep = self._pairs(prompts, chosen, rejected, weights)
        history = []
        for _ in self._epochs(epochs, progress):
            stats = _lib.DirectStatsC()
            self._run("dpo_fit", *args, ctypes.byref(stats))
            history.append(_stats(stats))
        return history

    def evaluate(self, prompts, chosen, rejected, weights=None) -> dict:
        """The loss and implicit-reward statistics (as :meth:`fit`) of the
        current policy on all pairs (no step)."""
        args, keep = self._pairs(prompts, chosen, rejected, weights)
        stats = _lib.DirectStatsC()
        self._run("dpo_evaluate", *args, ctypes.byref(stats))
        return _stats(stats)


# The online learners (issue 16) live in their own file; their names are this module's.
from ._rlhf_online import GRPO, PPO, REBEL, REINFORCE, RLOO, ReMax, exact_objective, exact_optimum  # noqa: E402
