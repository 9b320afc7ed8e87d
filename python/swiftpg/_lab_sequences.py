"""The estimator lab's sequence-level page (issue 16): the runner of
:func:`swiftpg.lab.sequence_run` (its estimators and report,
:class:`swiftpg.lab.SequenceEstimator` and :class:`swiftpg.lab.SequenceReport`,
are in ``lab.py``; the page's documentation is :mod:`swiftpg.lab`'s)."""

from __future__ import annotations

import math
import time
from typing import cast

import numpy as np

from ._arrays import DTypeError, as_bool, as_count, as_float, as_seed, check_elements
from ._lib import InvalidArgumentError
from .lab import SequenceEstimator, SequenceReport, _learner_class

# The streams of the lab's samples: prompts from seed, responses from seed ^ _RESPONSE_SALT; the
# warm-up of a moving-average baseline from seed ^ _WARMUP_SALT (apart from the estimates' samples).
_RESPONSE_SALT = 0x5EED_1AB5_0000_0001
_WARMUP_SALT = 0x5EED_1AB5_0000_0002


class _Moments:
    """Running sums of d = ĝ − ∇J over the estimates (shifted by ∇J for
    accuracy), the squared errors and the cosines with ∇J."""

    def __init__(self, exact_gradient: np.ndarray):
        self.g = exact_gradient
        self.norm = float(np.linalg.norm(exact_gradient))
        self.count, self.cosines, self.squared_error = 0, 0.0, 0.0
        self.s1 = np.zeros_like(exact_gradient)
        self.s2 = np.zeros_like(exact_gradient)

    def add(self, estimate: np.ndarray) -> None:
        d = estimate - self.g
        self.s1 += d
        self.s2 += d * d
        self.squared_error += float(d @ d)
        n = float(np.linalg.norm(estimate))
        self.cosines += float(estimate @ self.g) / (n * self.norm) if n > 0 and self.norm > 0 else 0.0
        self.count += 1

    def summary(self, name: str) -> dict:
        K, g = self.count, self.g
        bias = self.s1 / K
        mean = g + bias
        var = np.maximum(self.s2 - self.s1 * self.s1 / K, 0.0) / (K - 1)
        se = np.sqrt(var / K)
        # The best multiple c·∇J of the mean, and what is left: an estimator
        # unbiased up to a scale has c ≠ 1 but a residual within its noise.
        scale = float(mean @ g) / self.norm ** 2 if self.norm > 0 else 0.0
        residual = mean - scale * g

        def z_scores(x):
            z = np.divide(x, se, out=np.zeros_like(x), where=se > 0)
            z[(se == 0) & (x != 0)] = np.inf
            return z
        z, z_direction = z_scores(bias), z_scores(residual)
        return {"name": name, "mean": mean, "bias": bias, "bias_norm": float(np.linalg.norm(bias)),
                "standard_error": se, "z": z, "max_abs_z": float(np.max(np.abs(z))) if len(z) else 0.0,
                "scale": scale, "z_direction": z_direction,
                "max_abs_z_direction": float(np.max(np.abs(z_direction))) if len(z) else 0.0,
                "total_variance": float(var.sum()), "mse": self.squared_error / K, "cosine": self.cosines / K}


def _samples(task, policy, k: int, groups: int, seed: int, first_row: int):
    """``groups`` prompts from ``task`` (rows ``first_row`` … of ``seed``'s
    stream), each answered ``k`` times by ``policy`` (lanes of the stream
    ``seed ^ _RESPONSE_SALT``), scored by the gold reward: (Responses,
    rewards float64 [groups·k])."""
    prompts = np.repeat(task.sample_prompts(groups, seed=seed, first_row=first_row), k)
    responses = policy.sample(prompts, seed=seed ^ _RESPONSE_SALT, first_lane=first_row * k)
    return responses, task.gold_rewards(responses.prompts, responses.tokens, responses.lengths)


def _part(responses, rewards, start: int, stop: int):
    from .rlhf import Responses
    return Responses(responses.prompts[start:stop], responses.tokens[start:stop],
                     responses.lengths[start:stop]), rewards[start:stop]


def _warm_baseline(learner, spec: SequenceEstimator, task, N: int, seed: int) -> int:
    """Warms a moving-average baseline by ``spec.warmup`` updates on
    independent batches of N responses, restoring the parameters after
    each; returns the responses used."""
    theta = learner.policy.get_params()
    for w in range(spec.warmup):
        responses, rewards = _samples(task, learner.policy, 1, N, seed ^ _WARMUP_SALT, w * N)
        learner.update(responses, rewards, 1)
        learner.policy.set_params(theta)
    return spec.warmup * N


def sequence_run(task, policy, reference, estimators, beta: float, responses_per_estimate: int = 16,
                 estimates: int = 500, seed: int = 0, keep_samples: bool = False) -> SequenceReport:
    """The sequence-level page of the lab: draws ``estimates`` (K)
    independent gradient estimates of each estimator, each from
    ``responses_per_estimate`` (N) responses — N/k prompts of ``task``
    answered k times by ``policy`` — and compares them with the exact
    gradient of the KL-regularised objective J = E_x[E_π r − β KL(π ‖
    π_ref)] (:func:`swiftpg.rlhf.exact_objective`, gold reward, by
    enumeration).

    Arguments: ``task`` a :class:`swiftpg.rlhf.SequenceTask` small enough
    to enumerate (at most 2**20 responses per prompt); ``policy`` and
    ``reference`` :class:`swiftpg.rlhf.SequencePolicy` objects over its
    space (neither changes: each learner works on its own copy of the
    policy); ``estimators`` a :class:`SequenceEstimator`, a method name
    (shorthand for ``SequenceEstimator(name)``) or a list of them;
    ``beta`` ≥ 0; N divisible by every estimator's k; K ≥ 2; ``seed``.
    Estimators with the same k share their samples (common random
    numbers). ``keep_samples=True`` keeps the K×P estimates per estimator
    in ``report.samples`` (float64 ``[K, num_params]``).

    Returns a :class:`SequenceReport`; each row has (P = ``num_params``)
    ``mean``, ``bias`` (mean − ∇J), ``standard_error`` and ``z`` (bias /
    SE) float64 ``[P]``, ``bias_norm``, ``max_abs_z``, ``scale`` (c of the
    best multiple c·∇J of the mean) with ``z_direction`` / ``max_abs_z_direction``
    (the mean − c·∇J in standard errors: small for an estimator unbiased
    up to a scale), ``total_variance`` (the trace of one estimate's
    covariance), ``mse`` (E‖ĝ − ∇J‖²), ``cosine`` (mean cosine of ĝ with
    ∇J), and the cost: ``samples_per_prompt`` k, ``prompts_per_estimate``
    N/k, ``responses`` N, ``greedy_decodes`` (ReMax: N/k per estimate),
    ``decodes`` (N + greedy decodes: responses generated and scored per
    estimate), ``warmup_responses`` (a moving-average baseline's warm-up,
    all estimates together) and ``seconds``.

    A z-score reads as a normal deviate only when each component's mean
    over K estimates is close to normal. A component moved mostly by
    responses of probability ≲ 1/(K·N) (a token the policy almost never
    samples) is not: its few or absent hits make the standard error far too
    small, and an unbiased estimator can show |z| in the tens or beyond —
    RLOO's advantages sum to zero in each group, so a never-sampled token's
    logit gets exactly 0 in every estimate. Compare such rows on a policy
    without near-zero probabilities, or raise K.

    Raises DTypeError / InvalidArgumentError for bad arguments (before any
    sampling), and what the learners raise (e.g. NumericalError when
    GRPO's normalised advantages overflow)."""
    from .rlhf import SequencePolicy, SequenceTask
    if not isinstance(task, SequenceTask):
        raise DTypeError(f"task must be a swiftpg.rlhf.SequenceTask, got {type(task).__name__}")
    for label, p in (("policy", policy), ("reference", reference)):
        if not isinstance(p, SequencePolicy):
            raise DTypeError(f"{label} must be a swiftpg.rlhf.SequencePolicy, got {type(p).__name__}")
    if isinstance(estimators, (str, SequenceEstimator)):
        estimators = [estimators]
    if not isinstance(estimators, (list, tuple)):
        raise DTypeError(f"estimators must be a list of SequenceEstimator or method names, got "
                         f"{type(estimators).__name__}")
    specs = [SequenceEstimator(e) if isinstance(e, str) else e for e in estimators]
    if not specs or not all(isinstance(e, SequenceEstimator) for e in specs):
        raise InvalidArgumentError("estimators must be a non-empty list of SequenceEstimator or method names")
    beta = as_float(beta, "beta")
    if not (math.isfinite(beta) and beta >= 0):
        raise InvalidArgumentError(f"beta must be finite and >= 0, got {beta}")
    N = as_count(responses_per_estimate, "responses_per_estimate", 1, 1 << 20)
    K = as_count(estimates, "estimates", 2, 1 << 24)
    seed = as_seed(seed)
    keep_samples = as_bool(keep_samples, "keep_samples")
    names = [cast(str, e.name) for e in specs]       # SequenceEstimator.__post_init__ sets every name
    if len(set(names)) < len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise InvalidArgumentError(f"estimator names must differ (the report is looked up by name); repeated: "
                                   f"{', '.join(twice)}; give one a name=")
    for e in specs:
        assert e.samples_per_prompt is not None        # set by SequenceEstimator.__post_init__
        if N % e.samples_per_prompt:
            raise InvalidArgumentError(f"{e.name}: N = {N} responses per estimate are not whole groups of "
                                       f"k = {e.samples_per_prompt}")
    groupings = len({e.samples_per_prompt for e in specs})
    check_elements(groupings * K * N * max(task.max_length, 2),
                   f"{groupings} × {K} estimates × {N} responses of {task.max_length} tokens")
    if keep_samples:
        check_elements(len(specs) * K * policy.num_params, f"the kept estimates ({len(specs)} × {K} × "
                                                           f"{policy.num_params})")
    objective, exact_gradient = _lib_exact(policy, reference, task, beta)

    rows, kept, shared = [], {}, {}
    for e in specs:
        k = e.samples_per_prompt
        assert k is not None and e.name is not None    # set by SequenceEstimator.__post_init__
        start = time.perf_counter()
        if k not in shared:
            t0 = time.perf_counter()
            shared[k] = _samples(task, policy, k, K * N // k, seed, 0)
            shared[k] += (time.perf_counter() - t0,)
            start = time.perf_counter()
        responses, rewards, sampling_seconds = shared[k]
        copy = policy.copy()
        learner = None
        try:
            learner = _learner_class(e.method)(copy, reference, task, **e._arguments(beta, seed))
            warmup = _warm_baseline(learner, e, task, N, seed) if e.baseline == "moving_average" else 0
            # REBEL's direction is unbiased for 4η∇J; the lab shows it in ∇J's units.
            scale = 1.0 / (4.0 * learner.config["eta"]) if e.method == "rebel" else 1.0
            moments = _Moments(exact_gradient)
            grads = np.empty((K, policy.num_params)) if keep_samples else None
            for i in range(K):
                g = learner.gradient_estimate(*_part(responses, rewards, i * N, (i + 1) * N), k) * scale
                moments.add(g)
                if grads is not None:
                    grads[i] = g
        finally:
            if learner is not None:
                learner.close()
            copy.close()
        row = moments.summary(e.name)
        greedy = N // k if e.method == "remax" else 0
        row.update(method=e.method, samples_per_prompt=k, prompts_per_estimate=N // k, responses=N,
                   greedy_decodes=greedy, decodes=N + greedy, warmup_responses=warmup,
                   seconds=time.perf_counter() - start + sampling_seconds)
        rows.append(row)
        if keep_samples:
            kept[e.name] = grads
    return SequenceReport(rows, objective, exact_gradient, f"{task!r}, β = {beta:g}", N, K, seed, kept, beta=beta)


def _lib_exact(policy, reference, task, beta):
    from ._rlhf_online import exact_objective
    objective, gradient = exact_objective(policy, reference, task, beta, gradient=True)
    return float(objective), np.asarray(gradient, float)


sequence_run.__module__ = "swiftpg.lab"
