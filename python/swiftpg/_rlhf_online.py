"""The online RLHF learners of :mod:`swiftpg.rlhf` (issue 16): REINFORCE,
RLOO, ReMax, GRPO, REBEL and PPO against a task's gold reward or a reward
model, with the exact KL-regularised objective and its optimum. Where each
method puts the KL term, and with which estimator, is the table of
``Sources/SwiftPG/Sequences/README.md``; every learner reports the sampled
sequence-level k1 KL (``mean_kl``) and the exact KL is one
:func:`swiftpg.rlhf.exact_kl` away."""

from __future__ import annotations

import ctypes

import numpy as np

from . import _lib
from ._arrays import DTypeError, as_bool, as_float, as_float64, set_fields
from ._lib import InvalidArgumentError, NativeObject

ALGORITHMS = {"reinforce": 0, "rloo": 1, "remax": 2, "grpo": 3, "rebel": 4, "ppo": 5}


def _stats(s) -> dict:
    """A ``swiftpg_rlhf_stats`` as a dict (ints for the counters)."""
    out = {}
    for name, kind in s._fields_:
        if name in ("size", "reserved"):
            continue
        v = getattr(s, name)
        out[name] = int(v) if kind is ctypes.c_int64 else float(v)
    return out


def _reward_args(task, reward_model, proxy_features) -> tuple[int, int]:
    from .rlhf import RewardModel, SequenceTask
    if not isinstance(task, SequenceTask):
        raise DTypeError(f"task must be a swiftpg.rlhf.SequenceTask, got {type(task).__name__}")
    if reward_model is not None and not isinstance(reward_model, RewardModel):
        raise DTypeError(f"reward_model must be a swiftpg.rlhf.RewardModel or None (the gold reward), "
                         f"got {type(reward_model).__name__}")
    proxy = int(as_bool(proxy_features, "proxy_features"))
    if proxy and reward_model is None:
        raise InvalidArgumentError("proxy_features=True needs a reward_model (the gold reward reads no features)")
    return (0 if reward_model is None else reward_model.handle), proxy


_COMMON = ("beta", "prompts_per_iteration", "samples_per_prompt", "temperature", "learning_rate", "seed",
           "missing_eos_penalty")
_OWN = {"reinforce": ("baseline", "baseline_decay", "kl_estimator"), "rloo": ("epochs", "clip_range", "kl_estimator"),
        "remax": ("kl_estimator",), "grpo": ("scaling", "aggregation", "epsilon"),
        "rebel": ("eta", "epochs", "kl_estimator"),
        "ppo": ("epochs", "minibatch_size", "clip_range", "value_clip_range", "gamma", "lambda", "whiten_advantages",
                "value_learning_rate", "kl_estimator")}
# Options given as names: the wire codes of each.
_CHOICES = {"baseline": {"none": 0, "moving_average": 1}, "scaling": {"group": 0, "batch": 1, "none": 2},
            "aggregation": {"sequence": 0, "token": 1}, "kl_estimator": {"k1": 1, "k3": 3}}


def _integer_option(value, key: str) -> int:
    """An integer field of the wire config from its option: a flag
    (``whiten_advantages``), a name of ``_CHOICES`` or a 32-bit int."""
    if key == "whiten_advantages":
        return int(as_bool(value, key))
    if key in _CHOICES:
        choices = _CHOICES[key]
        if not isinstance(value, str) or value not in choices:
            raise InvalidArgumentError(f"{key} must be one of {', '.join(map(repr, choices))}, got {value!r}")
        return choices[value]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise DTypeError(f"{key} must be an integer, got {type(value).__name__}")
    if not -2**31 <= int(value) < 2**31:
        raise InvalidArgumentError(f"{key} must be a 32-bit integer, got {value}")
    return int(value)


class _OnlineLearner(NativeObject):
    """The shared Python side: construction from a wire config, iterate /
    fit / update, counters. Subclasses name their ``algorithm`` and list their
    options in their signatures (None: the library's default), then hand
    their ``locals()`` to :meth:`_start`."""

    _kind_name = "RLHF learner"
    _pickle_hint = "save its state with save(path) and load it into a learner built the same way"
    _algorithm = ""

    def __init_subclass__(cls, algorithm: str | None = None, **kwargs):
        """``class X(_OnlineLearner, algorithm="rloo")``: the method's name (a key of ``ALGORITHMS``); the class's
        docstring gets the arguments all learners share (``_COMMON_DOC``). A user's subclass of a learner
        names none and keeps its parent's."""
        super().__init_subclass__(**kwargs)
        if algorithm is not None:
            cls._algorithm = algorithm
            cls.__doc__ = (cls.__doc__ or "") + _COMMON_DOC

    _OBJECTS = ("self", "policy", "reference", "task", "reward_model", "proxy_features", "critic")

    def _start(self, args: dict) -> None:
        """Builds the learner from its constructor's arguments (``locals()``): the objects it trains with, and
        every other argument an option of the wire config (``lam`` its ``lambda``)."""
        from .rlhf import SequencePolicy
        policy, reference, task, reward_model = args["policy"], args["reference"], args["task"], args["reward_model"]
        proxy_features, critic = args["proxy_features"], args.get("critic")
        options = {"lambda" if key == "lam" else key: value for key, value in args.items() if key not in self._OBJECTS}
        for name, p in (("policy", policy), ("reference", reference)):
            if not isinstance(p, SequencePolicy):
                raise DTypeError(f"{name} must be a swiftpg.rlhf.SequencePolicy, got {type(p).__name__}")
        if reference is policy:
            raise InvalidArgumentError("the reference must be a frozen copy (policy.copy()), not the policy itself")
        if critic is not None and not isinstance(critic, SequencePolicy):
            raise DTypeError(f"critic must be a swiftpg.rlhf.SequencePolicy or None, got {type(critic).__name__}")
        rm, proxy = _reward_args(task, reward_model, proxy_features)
        c = _lib.RLHFConfigC()
        _lib.call("rlhf_default_config", ALGORITHMS[self._algorithm], ctypes.byref(c))
        set_fields(c, {key: value for key, value in options.items() if value is not None}, _integer_option)
        handle = ctypes.c_uint64()
        _lib.call("rlhf_create", policy.handle, reference.handle, task.handle, rm, proxy,
                  0 if critic is None else critic.handle, ctypes.byref(c), ctypes.byref(handle))
        self._adopt(handle.value, "swiftpg_rlhf_destroy")
        # The learner holds these natively; the references keep the Python objects alive too.
        self.policy, self.reference, self.task, self.reward_model, self.critic = (policy, reference, task,
                                                                                 reward_model, critic)
        # The options this method reads, with the constructor's spellings.
        self.config = {}
        for name in _COMMON + _OWN[self._algorithm]:
            value = getattr(c, name)
            names = {code: n for n, code in _CHOICES.get(name, {}).items()}
            self.config["lam" if name == "lambda" else name] = (
                names[value] if names else bool(value) if name == "whiten_advantages" else value)

    @property
    def iteration(self) -> int:
        """Iterations (and external updates) taken so far."""
        return self._info()[1]

    @property
    def total_samples(self) -> int:
        """Responses trained on so far."""
        return self._info()[2]

    def _info(self):
        a, i, n = ctypes.c_int32(), ctypes.c_int64(), ctypes.c_int64()
        _lib.call("rlhf_get_info", self.handle, ctypes.byref(a), ctypes.byref(i), ctypes.byref(n))
        return a.value, i.value, n.value

    def iterate(self) -> dict:
        """One iteration (collect prompts_per_iteration × samples_per_prompt
        responses, score them, update). Returns its statistics:
        ``iteration``, ``samples``, ``total_samples``, ``mean_reward``,
        ``mean_kl`` (sampled sequence-level k1: unbiased, but a batch mean
        can be negative), ``mean_kl_k3`` (Σ_t k3_t per sample: unbiased and
        never negative — the KL to report), ``mean_regularized_reward``
        (r − β·KL̂ with the learner's ``kl_estimator``: k1 by default),
        ``mean_length``, ``eos_rate``, ``loss`` (the method's surrogate
        before its first step; PPO: of its first minibatch), ``grad_norm``, ``mean_gold_reward``
        (the task's gold reward of the samples, whatever the learner trains
        on: the over-optimisation signal), ``clip_fraction`` and
        ``approx_kl`` (RLOO with epochs > 1 and PPO: the fraction of ratio
        evaluations of the reused batch with the clip active, and the mean
        k3 estimate of KL(π_old ‖ π_θ) over them; REBEL's approx_kl over its
        later epochs; else 0), ``value_loss`` (PPO's clipped value loss)
        and ``clamped_tokens`` (GRPO's log-ratios clamped before k3). All or nothing:
        an error or Ctrl-C (KeyboardInterrupt) leaves the learner and its
        policy as before."""
        s = _lib.RLHFStatsC()
        with self._busy:
            _lib.call_interruptible("rlhf_iterate", self.handle, self.handle, ctypes.byref(s))
        return _stats(s)

    def fit(self, iterations: int, progress: bool = False, callback=None) -> list[dict]:
        """``iterations`` (≥ 0) calls of :meth:`iterate` (``progress``: a tqdm bar
        if installed; ``callback(stats)`` after each, returning False stops
        early). Returns the list of statistics. Without ``callback`` and
        ``progress`` the iterations are handed to the native worker thread 64
        at a time (the same results; Ctrl-C still stops the running one and
        undoes it; an error raises with the iterations before it done),
        unless a subclass overrides :meth:`iterate`: then fit calls it."""
        from .rlhf import _index
        n = _index(iterations, "iterations", 0, 1 << 30)
        steps = range(n)
        if progress:
            try:
                from tqdm.auto import trange
                steps = trange(n, desc=type(self).__name__)
            except ImportError:
                pass
        history: list[dict] = []
        if callback is None and not progress and type(self).iterate is _OnlineLearner.iterate:
            # Iterations in batches, each handed to the worker thread once
            # (the same calls and results as iterate(), without a hand-over
            # per iteration); an error leaves the iterations before it done.
            # Not for a subclass's own iterate(), which fit must call.
            for start in range(0, n, 64):
                count = min(64, n - start)
                stats = (_lib.RLHFStatsC * count)()
                with self._busy:
                    _lib.call_interruptible_repeated(
                        "rlhf_iterate", self.handle,
                        [(self.handle, ctypes.byref(stats[i])) for i in range(count)])
                history.extend(_stats(stats[i]) for i in range(count))
            return history
        for _ in steps:
            history.append(self.iterate())
            if callback is not None and callback(history[-1]) is False:
                break
        return history

    def _external(self, responses, rewards, group_size):
        from .rlhf import Responses, _index
        if not isinstance(responses, Responses):
            raise DTypeError(f"responses must be swiftpg.rlhf.Responses, got {type(responses).__name__}")
        pr, tk, ln, b = self.policy._batch(responses.prompts, responses.tokens, responses.lengths)
        r = as_float64(rewards, "rewards", (b,))
        k = _index(group_size, "group_size", 1, 4096)
        return pr.ctypes.data, tk.ctypes.data, ln.ctypes.data, r.ctypes.data, b, k, (pr, tk, ln, r)

    def gradient_estimate(self, responses, rewards, group_size: int = 1) -> np.ndarray:
        """The ascent direction of the method's first step on external
        samples (arguments as :meth:`update`), without taking it: float64
        ``[num_params]``; nothing changes. REINFORCE, RLOO and ReMax give
        (1/N) Σ_i A_i ∇log π(y_i|x_i) with their advantages; GRPO the
        gradient of its objective including the k3 term; REBEL −∇ of its
        regression loss at π = π_old; PPO the clipped surrogate's gradient
        at ratio 1 with the whole batch as one minibatch. Its mean over
        fresh samples against :func:`exact_objective`'s gradient is the
        estimator's bias (see :mod:`swiftpg.lab`'s sequence page).
        Raises as :meth:`update`; NumericalError if not finite."""
        *args, keep = self._external(responses, rewards, group_size)
        g = np.empty(self.policy.num_params)
        with self._busy:
            _lib.call("rlhf_gradient_estimate", self.handle, *args, g.ctypes.data, g.size)
        return g

    def save(self, path) -> None:
        """Saves the training state to ``path`` (written atomically): the
        policy's parameters, Adam's moments, the counters, a checksum of the
        reference and the method's own state (REINFORCE's moving-average
        baseline; PPO's critic and its Adam). The task and the reward are not
        stored. :class:`swiftpg.CheckpointIOError` when it cannot be written."""
        from ._arrays import as_path
        path = as_path(path)
        with self._busy:
            _lib.call("rlhf_save", self.handle, path)

    def load(self, path) -> None:
        """Restores a file of :meth:`save` into this learner, which must be
        built as the saved one was: the same method, policy (and critic)
        architecture and the same reference bit for bit; it keeps its own
        options (build it with the saved run's options, seed included:
        iteration i samples from the streams of (seed, i)). Training then
        continues exactly as the saved run would
        have. Anything else raises :class:`swiftpg.BadFormatError` and
        changes nothing; a missing file :class:`swiftpg.CheckpointIOError`."""
        from ._arrays import as_path
        path = as_path(path)
        with self._busy:
            _lib.call("rlhf_load", self.handle, path)

    def update(self, responses, rewards, group_size: int = 1) -> dict:
        """One update on external samples: ``responses`` a
        :class:`swiftpg.rlhf.Responses` (N responses, groups of
        ``group_size`` adjacent samples answering one prompt each) and
        their ``rewards`` float64 ``[N]`` (finite). The samples are taken
        as drawn from the current policy (π_old = the policy now; their
        ``log_probs`` are not read). ReMax scores its greedy baselines with
        the learner's own reward (gold or reward model): give ``rewards``
        on that scale. Statistics as :meth:`iterate`."""
        *args, keep = self._external(responses, rewards, group_size)
        s = _lib.RLHFStatsC()
        with self._busy:
            _lib.call_interruptible("rlhf_update", self.handle, self.handle, *args, ctypes.byref(s))
        return _stats(s)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(iteration={self.iteration})" if not self.closed else \
            f"{type(self).__name__}(closed)"


_COMMON_DOC = """
    Arguments: ``policy`` (trained) and ``reference`` (frozen, e.g.
    ``policy.copy()``; the same object raises InvalidArgumentError)
    :class:`SequencePolicy` objects over ``task``'s space and prompts;
    ``reward_model`` None (the task's gold reward) or a :class:`RewardModel`
    over the task's reward features (``proxy_features=True``: its proxy
    features). Options (None: the library's default, in ``self.config``):
    ``beta`` (KL coefficient β ≥ 0), ``prompts_per_iteration``,
    ``samples_per_prompt`` (k), ``temperature`` (only 1 for now: the
    ratios and KL use the policy's own log-probabilities; another value
    raises InvalidArgumentError), ``learning_rate`` (Adam), ``seed``,
    ``missing_eos_penalty`` (≥ 0, subtracted from the reward of each of the
    learner's own samples that ends without EOS, as TRL's; not from rewards
    given to :meth:`update`), and — except GRPO, whose k3 is in its loss —
    ``kl_estimator`` "k1" (default: the sampled log-ratio, unbiased, can be
    negative; the fixed point is π*) or "k3" ((ρ − 1) − log ρ per token,
    never negative, log ρ clamped to ±20 first; offered because TRL offers
    it, but as a reward with no gradient through it its expected score
    gradient is β∇KL(π_ref‖π) − β∇KL(π‖π_ref): the first term pushes the
    policy *away* from the reference, more the larger β — measured here,
    REINFORCE at β = 0.5 ends at several times k1's exact KL. Use k1).
    The learner holds its policies and reward model while it runs: two
    learners sharing one reference on two threads get BusyError, so give
    each its own ``reference.copy()``."""


class REINFORCE(_OnlineLearner, algorithm="reinforce"):
    """REINFORCE for RLHF (Williams 1992; Ahmadian et al. 2024): the
    sequence reward R̂ = r − β k1 (sampled log-ratio, no gradient through
    it), advantage R̂ − b with ``baseline`` "none" or "moving_average" (b
    ← d·b + (1 − d)·mean R̂ after each update, d = ``baseline_decay``)."""

    def __init__(self, policy, reference, task, reward_model=None, *, proxy_features: bool = False,
                 beta=None, prompts_per_iteration=None, samples_per_prompt=None, temperature=None,
                 learning_rate=None, seed=None, missing_eos_penalty=None, kl_estimator=None, baseline=None,
                 baseline_decay=None):
        self._start(locals())


class RLOO(_OnlineLearner, algorithm="rloo"):
    """REINFORCE Leave-One-Out (Kool et al. 2019; Ahmadian et al.
    2024): k ≥ 2 samples per prompt (k = 1 raises), A_i = R̂_i − mean of
    the other k − 1 R̂ (R̂ = r − β k1); ``epochs`` > 1 reuses the batch with
    the sequence-level ratio clipped to 1 ± ``clip_range``."""

    def __init__(self, policy, reference, task, reward_model=None, *, proxy_features: bool = False,
                 beta=None, prompts_per_iteration=None, samples_per_prompt=None, temperature=None,
                 learning_rate=None, seed=None, missing_eos_penalty=None, kl_estimator=None, epochs=None,
                 clip_range=None):
        self._start(locals())


class ReMax(_OnlineLearner, algorithm="remax"):
    """ReMax (Li et al. 2023): A = R̂(y) − R̂(greedy response),
    R̂ = r − β k1."""

    def __init__(self, policy, reference, task, reward_model=None, *, proxy_features: bool = False,
                 beta=None, prompts_per_iteration=None, samples_per_prompt=None, temperature=None,
                 learning_rate=None, seed=None, missing_eos_penalty=None, kl_estimator=None):
        self._start(locals())


class GRPO(_OnlineLearner, algorithm="grpo"):
    """GRPO (Shao et al. 2024): k ≥ 2 samples per prompt, A = (r −
    group mean)/(s + ``epsilon``) with s the group's (``scaling="group"``),
    the batch's ("batch") sample std or 1 ("none"); the per-token k3 KL in
    the loss with its gradient (log-ratio clamped to ±20), aggregated per
    ``"sequence"`` or per ``"token"`` (``aggregation``). Its fixed point is
    not π* ∝ π_ref exp(r/β)."""

    def __init__(self, policy, reference, task, reward_model=None, *, proxy_features: bool = False,
                 beta=None, prompts_per_iteration=None, samples_per_prompt=None, temperature=None,
                 learning_rate=None, seed=None, missing_eos_penalty=None, scaling=None, aggregation=None,
                 epsilon=None):
        self._start(locals())


class REBEL(_OnlineLearner, algorithm="rebel"):
    """REBEL (Gao et al. 2024): pairs (k = 2) and ``epochs`` Adam steps
    on the least squares [Δ log(π/π_old) − ``eta``·ΔR̂]², R̂ = r − β k1."""

    def __init__(self, policy, reference, task, reward_model=None, *, proxy_features: bool = False,
                 beta=None, prompts_per_iteration=None, temperature=None, learning_rate=None, seed=None,
                 missing_eos_penalty=None, kl_estimator=None,
                 eta=None, epochs=None):
        self._start(locals())


class PPO(_OnlineLearner, algorithm="ppo"):
    """PPO for RLHF (Ziegler et al. 2019; Ouyang et al. 2022; TRL's
    recipe): per-token rewards −β k1_t with the score at the last real
    token, a critic on prefixes (``critic``: a :class:`SequencePolicy` whose
    model serves as V — its output 0 — trained here; None: a tabular
    critic), GAE(``gamma``, ``lam``), whitened advantages
    (``whiten_advantages``), ``epochs`` passes over minibatches of
    ``minibatch_size`` responses with the ratio clipped to 1 ±
    ``clip_range`` and the value clipped to ± ``value_clip_range``, the
    critic's own Adam (``value_learning_rate``)."""

    def __init__(self, policy, reference, task, reward_model=None, *, proxy_features: bool = False, critic=None,
                 beta=None, prompts_per_iteration=None, samples_per_prompt=None, temperature=None,
                 learning_rate=None, seed=None, missing_eos_penalty=None, kl_estimator=None, epochs=None,
                 minibatch_size=None, clip_range=None,
                 value_clip_range=None, gamma=None, lam=None, whiten_advantages=None, value_learning_rate=None):
        self._start(locals())


def exact_objective(policy, reference, task, beta: float, reward_model=None, proxy_features: bool = False,
                    gradient: bool = False):
    """The exact KL-regularised objective J = Σ_x w_x [E_π r − β KL(π ‖
    π_ref)] of ``policy`` by enumeration (each prompt's responses, at most
    2**20), with the gold reward (``reward_model`` None) or a reward model.
    Returns J (float), or ``(J, ∇J)`` with ∇J float64 ``[num_params]`` when
    ``gradient``. Source: Stiennon et al. 2020 eq. 1; the gradient is
    Σ_x w_x Σ_y π(y|x)[r − β log(π/π_ref)] ∇log π(y|x)."""
    from .rlhf import SequencePolicy
    for name, p in (("policy", policy), ("reference", reference)):
        if not isinstance(p, SequencePolicy):
            raise DTypeError(f"{name} must be a swiftpg.rlhf.SequencePolicy, got {type(p).__name__}")
    rm, proxy = _reward_args(task, reward_model, proxy_features)
    value = ctypes.c_double()
    g = np.empty(policy.num_params) if as_bool(gradient, "gradient") else None
    _lib.call("rlhf_exact_objective", policy.handle, reference.handle, task.handle, rm, proxy,
              as_float(beta, "beta"), ctypes.byref(value), None if g is None else g.ctypes.data,
              policy.num_params if g is not None else 0)
    return (value.value, g) if g is not None else value.value


def exact_optimum(reference, task, prompt: int, beta: float, reward_model=None, proxy_features: bool = False):
    """log π*(y|x) over prompt ``x``'s canonical responses, π* ∝ π_ref
    exp(r/β) (β > 0): the maximiser of the KL-regularised objective
    (Rafailov et al. 2023 eq. 4). float64 ``[N]``."""
    from .rlhf import SequencePolicy, _index
    if not isinstance(reference, SequencePolicy):
        raise DTypeError(f"reference must be a swiftpg.rlhf.SequencePolicy, got {type(reference).__name__}")
    rm, proxy = _reward_args(task, reward_model, proxy_features)
    x = _index(prompt, "prompt")
    count = ctypes.c_int64()
    b = as_float(beta, "beta")
    status = _lib.lib.swiftpg_rlhf_exact_optimum(reference.handle, task.handle, rm, proxy, b, x, None, 0,
                                                 ctypes.byref(count))
    if status not in (_lib.OK, _lib.ERR_BUFFER_TOO_SMALL):
        raise _lib.error_for(status)
    out = np.empty(count.value)
    _lib.call("rlhf_exact_optimum", reference.handle, task.handle, rm, proxy, b, x, out.ctypes.data, out.size,
              ctypes.byref(count))
    return out


# Documented and reached as swiftpg.rlhf.<name>.
for _public in (REINFORCE, RLOO, ReMax, GRPO, REBEL, PPO, exact_objective, exact_optimum):
    _public.__module__ = "swiftpg.rlhf"
