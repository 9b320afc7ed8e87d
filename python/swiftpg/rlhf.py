"""Learning from preferences, part 1 (issue 15): sequence tasks with a hidden
gold reward, labellers, sequence policies and exact enumeration.

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
:class:`swiftpg.ClosedError` (a closed object), :class:`swiftpg.BusyError`.

Sources: Schulman, "Approximating KL divergence" (2020) for k1/k2/k3;
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
from ._arrays import (DTypeError, as_bool, as_choice, as_count, as_float, as_float64, as_seed, asarray,
                      check_elements, check_shape)
from ._lib import InvalidArgumentError, NativeObject, NotFiniteError

__all__ = ["Responses", "KLTerms", "SequenceTask", "Summarise", "DidacticBandit", "LengthBias", "ArrayTask",
           "SequencePolicy", "canonical_responses", "compare_pairs", "rank", "accuracy_ceiling", "ranking_pairs",
           "exact_expectation", "exact_kl", "exact_win_rate"]

#: The most responses per prompt of an exact figure (ExactResponses.defaultLimit).
EXACT_LIMIT = 1 << 20
_I32 = (-(2**31), 2**31 - 1)
_I64_MAX = 2**63 - 1


# ------------------------------------------------------------------------------------------- helpers

def _as_int32(x, name: str, shape=None) -> np.ndarray:
    """An integer array as C-contiguous int32 (values must fit int32)."""
    a = asarray(x, name)
    if a.dtype.kind not in "iu":
        raise DTypeError(f"{name} must be an integer array, got dtype {a.dtype}")
    if shape is not None:
        check_shape(a, shape, name)
    if a.size and (a.min() < _I32[0] or a.max() > _I32[1]):
        bad = a.min() if a.min() < _I32[0] else a.max()
        raise InvalidArgumentError(f"{name} contains {bad}, outside int32")
    return np.ascontiguousarray(a, dtype=np.int32)


def _as_log_probs(x, name: str, shape=None) -> np.ndarray:
    """Log-probabilities as float64: -inf allowed (probability 0), NaN and +inf not."""
    a = as_float64(x, name, shape, finite=False)
    if a.size and (np.isnan(a).any() or (a == np.inf).any()):
        bad = np.argwhere(np.isnan(a) | (a == np.inf))[0]
        raise NotFiniteError(f"{name}{list(bad)} is {a[tuple(bad)]}; log-probabilities must not be NaN or +inf")
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


def _response_count(vocab_size: int, max_length: int) -> int:
    return sum(vocab_size**l for l in range(max_length + 1))


def canonical_responses(vocab_size: int, max_length: int, limit: int = EXACT_LIMIT):
    """Every response of the space (V, L) in canonical order (shortest first,
    then base-V lexicographic): ``(tokens int32 [N, L], lengths int32 [N])``,
    EOS at and beyond each length. The order of every exact array
    (:meth:`SequencePolicy.exact_log_probs`, :meth:`SequenceTask.reward_table`).
    InvalidArgumentError when N exceeds ``limit`` (at most, and by default, 2**20)."""
    v = as_count(vocab_size, "vocab_size", 1, 1 << 20)
    L = as_count(max_length, "max_length", 1, 1 << 12)
    limit = as_count(limit, "limit", 1, EXACT_LIMIT)
    n = _response_count(v, L) if math.log(v + 1) * (L + 1) < 40 else EXACT_LIMIT + 1
    if n > limit:
        raise InvalidArgumentError(f"the space (V={v}, L={L}) has more than {limit} responses (the limit)")
    check_elements(n * L, "canonical responses")
    tokens = np.full((n, L), v, np.int32)
    lengths = np.empty(n, np.int32)
    row = 0
    for l in range(L + 1):
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

    def _adopt_task(self, handle: int, spec) -> None:
        self._adopt(handle, "swiftpg_seq_task_destroy")
        self._spec = spec
        info = _lib.SeqTaskInfo()
        _lib.call("seq_task_get_info", handle, ctypes.byref(info))
        self.vocab_size = info.vocab_size
        self.max_length = info.max_length
        self.num_prompts = info.num_prompts
        self.num_prompt_features = info.num_prompt_features
        self.num_features = info.num_features
        self.num_proxy_features = info.num_proxy_features
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

    def _rewards(self, name: str, prompts, tokens, lengths) -> np.ndarray:
        pr, tk, ln, b = self._batch(prompts, tokens, lengths)
        out = np.empty(b)
        self._call(name, pr.ctypes.data, tk.ctypes.data, ln.ctypes.data, b, out.ctypes.data)
        return out

    def gold_rewards(self, prompts, tokens, lengths) -> np.ndarray:
        """Gold rewards r*(x_b, y_b), float64 ``[B]`` (prompts ``[B]``,
        tokens ``[B, L]``, lengths ``[B]``). For evaluation: never show them
        to a learner."""
        return self._rewards("seq_task_gold_rewards", prompts, tokens, lengths)

    def label_rewards(self, prompts, tokens, lengths) -> np.ndarray:
        """The rewards the labellers judge, float64 ``[B]``."""
        return self._rewards("seq_task_label_rewards", prompts, tokens, lengths)

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

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"V={self.vocab_size}, L={self.max_length}, P={self.num_prompts}"
        return f"{type(self).__name__}({state})"


def _restore_task(cls, kwargs):
    return cls(**kwargs)


def _create_task(obj: SequenceTask, name: str, *args, spec) -> None:
    handle = ctypes.c_uint64()
    _lib.call(name, *args, ctypes.byref(handle))
    obj._adopt_task(handle.value, spec)


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
        c = _lib.SummariseConfigC()
        _lib.call("summarise_default_config", ctypes.byref(c))
        c.vocab_size = _index(vocab_size, "vocab_size", 1)
        c.max_length = _index(max_length, "max_length", 1)
        c.num_prompts = _index(num_prompts, "num_prompts", 1)
        c.post_length = _index(post_length, "post_length", 1)
        c.salient_count = _index(salient_count, "salient_count", 1)
        c.length_penalty = as_float(length_penalty, "length_penalty")
        c.missing_eos_penalty = as_float(missing_eos_penalty, "missing_eos_penalty")
        c.seed = as_seed(seed)
        kwargs = dict(vocab_size=c.vocab_size, max_length=c.max_length, num_prompts=c.num_prompts,
                      post_length=c.post_length, salient_count=c.salient_count, length_penalty=c.length_penalty,
                      missing_eos_penalty=c.missing_eos_penalty, seed=c.seed)
        _create_task(self, "seq_task_create_summarise", ctypes.byref(c), spec=(Summarise, kwargs))


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
        c = _lib.LengthBiasConfigC()
        _lib.call("length_bias_default_config", ctypes.byref(c))
        c.vocab_size = _index(vocab_size, "vocab_size", 1)
        c.max_length = _index(max_length, "max_length", 1)
        c.num_prompts = _index(num_prompts, "num_prompts", 1)
        c.relevant_count = _index(relevant_count, "relevant_count", 1)
        c.length_penalty = as_float(length_penalty, "length_penalty")
        c.missing_eos_penalty = as_float(missing_eos_penalty, "missing_eos_penalty")
        c.label_length_bias = as_float(label_length_bias, "label_length_bias")
        kwargs = dict(vocab_size=c.vocab_size, max_length=c.max_length, num_prompts=c.num_prompts,
                      relevant_count=c.relevant_count, length_penalty=c.length_penalty,
                      missing_eos_penalty=c.missing_eos_penalty, label_length_bias=c.label_length_bias)
        _create_task(self, "seq_task_create_length_bias", ctypes.byref(c), spec=(LengthBias, kwargs))


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
        v = _index(vocab_size, "vocab_size", 1, 1 << 20)
        L = _index(max_length, "max_length", 1, 1 << 12)
        probs = as_float64(prompt_probs, "prompt_probs", (None,))
        p = probs.shape[0]
        if not 1 <= p <= 1 << 16:
            raise InvalidArgumentError(f"prompt_probs must have 1 to 65536 entries, got {p}")
        n = _response_count(v, L) if math.log(v + 1) * (L + 1) < 40 else EXACT_LIMIT + 1
        if n > EXACT_LIMIT:
            raise InvalidArgumentError(f"an ArrayTask needs at most {EXACT_LIMIT} responses per prompt; (V={v}, "
                                       f"L={L}) has more")
        check_elements(p * n, "reward tables")
        gold = as_float64(gold_table, "gold_table", (p, n))
        label = None if label_table is None else as_float64(label_table, "label_table", (p, n))
        if prompt_features is None:
            feats = np.zeros((p, 0))
        else:
            feats = as_float64(prompt_features, "prompt_features", (p, None))
        check_elements(feats.size, "prompt features")
        kwargs = dict(vocab_size=v, max_length=L, prompt_probs=probs, gold_table=gold, label_table=label,
                      prompt_features=feats)
        _create_task(self, "seq_task_create_array", v, L, p, probs.ctypes.data, feats.shape[1],
                     feats.ctypes.data if feats.size else None, gold.ctypes.data,
                     None if label is None else label.ctypes.data, spec=(ArrayTask, kwargs))


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

    @classmethod
    def _from_handle(cls, handle: int, spec) -> "SequencePolicy":
        obj = cls.__new__(cls)
        obj._adopt(handle, "swiftpg_seq_policy_destroy")
        obj._spec = spec
        info = _lib.SeqPolicyInfo()
        _lib.call("seq_policy_get_info", handle, ctypes.byref(info))
        obj.vocab_size = info.vocab_size
        obj.max_length = info.max_length
        obj.num_prompts = info.num_prompts
        obj.family = _lib.SEQ_FAMILIES.get(info.family, f"family {info.family}")
        obj.num_params = info.num_params
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
        return cls._from_handle(handle.value, ("tabular", dict(vocab_size=v, max_length=L, num_prompts=p)))

    @classmethod
    def neural(cls, vocab_size: int, max_length: int, num_prompts: int, prompt_features=None,
               context_size: int = 2, hidden_sizes=(64,), activation: str = "tanh", precision: str = "float64",
               seed: int = 0, hidden_gain: float = math.sqrt(2), output_gain: float = 0.01) -> "SequencePolicy":
        """A neural n-gram model (Bengio et al. 2003): an MLP reads [prompt
        features (F) | one-hot of the last ``context_size`` tokens (BOS
        before the start) | one-hot of the position] and writes V + 1
        logits. ``prompt_features`` float64 ``[P, F]`` (None: F = 0);
        ``hidden_sizes`` ints; ``activation`` "tanh"/"relu"; ``precision``
        "float64"/"float32"; orthogonal initialisation from ``seed``."""
        v = _index(vocab_size, "vocab_size", 1)
        L = _index(max_length, "max_length", 1)
        p = _index(num_prompts, "num_prompts", 1)
        feats = (np.zeros((p, 0)) if prompt_features is None
                 else as_float64(prompt_features, "prompt_features", (p, None)))
        check_elements(feats.size, "prompt features")
        n = _index(context_size, "context_size", 0)
        from .policies import _hidden
        hidden, nh = _hidden(hidden_sizes)
        act = as_choice(activation, _lib.ACTIVATION, "activation")
        bits = as_choice(precision, _PRECISION_BITS, "precision")
        seed = as_seed(seed)
        hg, og = as_float(hidden_gain, "hidden_gain"), as_float(output_gain, "output_gain")
        handle = ctypes.c_uint64()
        _lib.call("seq_policy_create_neural", v, L, p, feats.shape[1], feats.ctypes.data if feats.size else None,
                  n, hidden.ctypes.data, nh, act, bits, hg, og, seed, ctypes.byref(handle))
        spec = dict(vocab_size=v, max_length=L, num_prompts=p, prompt_features=feats, context_size=n,
                    hidden_sizes=tuple(int(h) for h in hidden[:nh]), activation=activation, precision=precision,
                    seed=seed, hidden_gain=hg, output_gain=og)
        return cls._from_handle(handle.value, ("neural", spec))

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
        """Pickling: the construction arguments and the parameters."""
        family, spec = self._spec
        return _restore_policy, (family, spec, self.parameters)

    def copy(self) -> "SequencePolicy":
        """A deep copy as a new object (RLHF's frozen reference policy):
        later updates of either leave the other unchanged."""
        handle = ctypes.c_uint64()
        self._call("seq_policy_copy", ctypes.byref(handle))
        return type(self)._from_handle(handle.value, self._spec)

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
                i = np.argwhere(bad)[0]
                raise NotFiniteError(f"token_weights{list(i)} is {tw[tuple(i)]}; weights must be finite")
        else:
            sw = as_float64(sequence_weights, "sequence_weights", (b,))
        out = np.empty(self.num_params)
        self._call("seq_policy_score_gradient", pr.ctypes.data, tk.ctypes.data, ln.ctypes.data, b,
                   None if tw is None else tw.ctypes.data, None if sw is None else sw.ctypes.data, out.ctypes.data)
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


def _restore_policy(family, spec, params):
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
