"""Returns and advantages of time-major rollouts, as pure functions on numpy
arrays (so rollouts collected with any library can use them).

Shapes: ``rewards``, ``terminated``, ``truncated``: ``[T, N]`` (or ``[T]`` for
one environment); ``values``: ``[T + 1, N]``, V(s_t) for t = 0..T (row T is
the value of the observation after the last step); ``final_values``:
``[T, N]``, V of the final observation of an episode that ended at step t
(used where ``truncated`` and not ``terminated``; needed only if a step is
truncated).

The value that follows step t is 0 if it terminated, ``final_values[t]`` if
it was truncated (Pardo et al. 2018: bootstrap on time limits), and
``values[t + 1]`` otherwise; recursions stop at every episode end, so
rollouts from swiftpg's same-step autoreset (or Gymnasium's SAME_STEP mode)
are handled exactly. Unlike CleanRL's ``ppo.py`` and SB3's pre-2.0 buffers,
truncation is not treated as termination.
"""

from __future__ import annotations

import ctypes

import math

import numpy as np

from . import _lib
from ._arrays import DTypeError, as_bool, as_choice, as_count, as_flags, as_float, as_float64, asarray
from ._lib import InvalidArgumentError

__all__ = ["discounted_returns", "td_errors", "gae", "lambda_returns", "n_step_returns", "n_step_advantages", "vtrace",
           "episode_returns", "discounted_reward_to_go", "time_step_baseline", "importance_weights",
           "clipped_surrogate", "kl_estimates", "optimal_baseline", "mean_baseline", "score_gradient",
           "finite_difference_gradient", "regression_gradient", "scale_gradient", "clip_gradient"]


def _number(value, name, low=0.0, high=1.0) -> float:
    value = as_float(value, name)
    if not low <= value <= high:
        raise InvalidArgumentError(f"{name} must be in [{low}, {high}], got {value}")
    return value


_flags = as_flags


def _prepare(rewards, terminated, truncated, values, final_values, needs_values):
    # Finiteness is checked once, natively (a vectorised scan that names the
    # first bad element), not again here.
    r = as_float64(rewards, "rewards", finite=False)
    one_dimensional = r.ndim == 1
    if one_dimensional:
        r = r[:, None]
    if r.ndim != 2 or r.shape[0] < 1 or r.shape[1] < 1:
        raise InvalidArgumentError(f"rewards must have shape (T, N) or (T,), got {np.shape(rewards)}")
    T, N = r.shape

    def column(x, name):
        a = asarray(x, name)
        return a[:, None] if one_dimensional and a.ndim == 1 else a

    te = _flags(column(terminated, "terminated"), "terminated", (T, N))
    tr = _flags(column(truncated, "truncated"), "truncated", (T, N))
    v = None
    if values is not None:
        v = as_float64(column(values, "values"), "values", (T + 1, N), finite=False)
    elif needs_values:
        raise InvalidArgumentError("values ([T + 1, N]) are required")
    f = None if final_values is None else as_float64(column(final_values, "final_values"), "final_values", (T, N),
                                                     finite=False)
    return r, te, tr, v, f, one_dimensional


def _call(name, rewards, terminated, truncated, values, final_values, needs_values, *extra):
    r, te, tr, v, f, one = _prepare(rewards, terminated, truncated, values, final_values, needs_values)
    out = np.empty(r.shape)
    _lib.call(name, r.shape[0], r.shape[1], r.ctypes.data, te.ctypes.data, tr.ctypes.data,
              None if v is None else v.ctypes.data, None if f is None else f.ctypes.data, *extra, out.ctypes.data)
    return out[:, 0] if one else out


def discounted_returns(rewards, terminated, truncated, gamma, values=None, final_values=None):
    """G_t = r_t + γ·next_t at episode ends, r_t + γ·G_{t+1} otherwise, with
    G_T = values[T]. Without ``values``: the reward-to-go Σ_{k≥t} γ^{k−t} r_k
    of each (complete) episode."""
    return _call("discounted_returns", rewards, terminated, truncated, values, final_values, False,
                 _number(gamma, "gamma"))


def td_errors(rewards, terminated, truncated, values, gamma, final_values=None):
    """δ_t = r_t + γ·next_t − V(s_t), the TD(0) advantage."""
    return _call("td_errors", rewards, terminated, truncated, values, final_values, True, _number(gamma, "gamma"))


def gae(rewards, terminated, truncated, values, gamma, lam, final_values=None):
    """GAE(γ, λ): Â_t = δ_t + γλ·Â_{t+1} within an episode (Schulman et al.
    2016, eq. 16). λ = 0 is TD(0); λ = 1 is the Monte Carlo advantage."""
    return _call("gae", rewards, terminated, truncated, values, final_values, True, _number(gamma, "gamma"),
                 _number(lam, "lam"))


def lambda_returns(rewards, terminated, truncated, values, gamma, lam, final_values=None):
    """TD(λ) returns Â_t + V(s_t): the value targets that go with GAE."""
    return _call("lambda_returns", rewards, terminated, truncated, values, final_values, True,
                 _number(gamma, "gamma"), _number(lam, "lam"))


def n_step_returns(rewards, terminated, truncated, gamma, n, values=None, final_values=None):
    """Σ_{l<m} γ^l r_{t+l} + γ^m·next with m ≤ n (fewer at episode or segment
    ends). n ≥ T gives the discounted return."""
    return _call("n_step_returns", rewards, terminated, truncated, values, final_values, False,
                 _number(gamma, "gamma"), as_count(n, "n", 1))


def n_step_advantages(rewards, terminated, truncated, values, gamma, n, final_values=None):
    """n-step returns − V(s_t) (Schulman et al. 2016, eqs. 11–14)."""
    return _call("n_step_advantages", rewards, terminated, truncated, values, final_values, True,
                 _number(gamma, "gamma"), as_count(n, "n", 1))


def vtrace(rewards, terminated, truncated, values, log_rhos, gamma, rho_bar=1.0, c_bar=1.0, lam=1.0,
           final_values=None):
    """V-trace (Espeholt et al. 2018, IMPALA, eq. 1 and §4.2): ``(targets,
    advantages)``, float64 ``[T, N]`` (``[T]`` for 1-D input), of a batch
    acted by a behaviour policy β while the learner's policy is π, from
    ``log_rhos`` ``[T, N]`` = log π(a|s) − log β(a|s)::

        ρ_t = min(ρ̄, e^{log ρ_t}),  c_t = λ·min(c̄, e^{log ρ_t})
        v_t = V(s_t) + ρ_t (r_t + γ next_t − V(s_t)) + γ c_t k_t (v_{t+1} − V(s_{t+1}))
        A_t = ρ_t (r_t + γ (next_t + k_t (v_{t+1} − V(s_{t+1}))) − V(s_t))

    next_t and k_t (step t continues its episode) as for :func:`gae`;
    ``values`` ``[T + 1, N]``. The critic fits v_t, π ascends A_t ∇ log π.
    On-policy (log ρ = 0, bars ≥ 1, λ = 1): v_t is the discounted return and
    A_t = GAE(γ, 1). ``rho_bar``, ``c_bar`` > 0 (``math.inf``: no
    truncation), ``lam`` in [0, 1]. Raises InvalidArgumentError /
    NotFiniteError / DTypeError for bad input."""
    r, te, tr, v, f, one = _prepare(rewards, terminated, truncated, values, final_values, True)
    lr = asarray(log_rhos, "log_rhos")
    lr = as_float64(lr[:, None] if one and lr.ndim == 1 else lr, "log_rhos", r.shape, finite=False)
    targets, advantages = np.empty(r.shape), np.empty(r.shape)
    _lib.call("vtrace", r.shape[0], r.shape[1], r.ctypes.data, te.ctypes.data, tr.ctypes.data, v.ctypes.data,
              None if f is None else f.ctypes.data, lr.ctypes.data, _number(gamma, "gamma"),
              _number(rho_bar, "rho_bar", 0.0, math.inf), _number(c_bar, "c_bar", 0.0, math.inf),
              _number(lam, "lam"), targets.ctypes.data,
              advantages.ctypes.data)
    return (targets[:, 0], advantages[:, 0]) if one else (targets, advantages)


def _flags_call(name, data, terminated, truncated, *extra):
    r, te, tr, _, _, one = _prepare(data, terminated, truncated, None, None, False)
    out = np.empty(r.shape)
    _lib.call(name, r.shape[0], r.shape[1], r.ctypes.data, te.ctypes.data, tr.ctypes.data, *extra, out.ctypes.data)
    return out[:, 0] if one else out


def episode_returns(rewards, terminated, truncated, gamma=1.0):
    """Every step gets its episode's discounted return R(τ) = Σ_k γ^k r_k (the
    plain REINFORCE weight; episode segments start at row 0 or after an end)."""
    return _flags_call("episode_returns", rewards, terminated, truncated, _number(gamma, "gamma"))


def discounted_reward_to_go(rewards, terminated, truncated, gamma):
    """γ^k·G_k: the reward-to-go times the γ^k factor (k: index in the
    episode) of the exact discounted policy gradient (Kochenderfer Alg.
    11.5). Dropping γ^k, as most implementations do, biases the gradient."""
    return _flags_call("discounted_reward_to_go", rewards, terminated, truncated, _number(gamma, "gamma"))


def mean_baseline(values, leave_one_out=False):
    """``(values − b, mean)`` for a 1-D batch of returns: b the batch mean
    (Williams 1992; the estimator is then biased by a factor 1 − 1/M) or,
    with ``leave_one_out=True``, each sample's mean of the *other* M − 1
    (unbiased; the RLOO baseline of Kool et al. 2019)."""
    v = as_float64(values, "values", (None,), finite=False)
    out = np.empty(len(v))
    mean = ctypes.c_double()
    loo = int(as_bool(leave_one_out, "leave_one_out"))
    _lib.call("mean_baseline", len(v), v.ctypes.data, loo, out.ctypes.data, ctypes.byref(mean))
    return out, mean.value


def time_step_baseline(values, terminated, truncated):
    """``values`` minus the per-time-step mean baseline b_k (the mean over
    the steps with episode index k)."""
    return _flags_call("time_step_baseline", values, terminated, truncated)


_IS_KINDS = {"per_step": 0, "per_decision": 1, "trajectory": 2}


def importance_weights(log_probs, behavior_log_probs, terminated, truncated, kind="per_decision", clip=np.inf):
    """Importance weights from log-probabilities of the taken actions under
    the target policy and the behaviour policy (``[T, N]``): ``per_step``
    ρ_t, ``per_decision`` Π_{j≤t} ρ_j, or ``trajectory`` Π over the episode;
    each truncated at ``clip``."""
    kind_code = as_choice(kind, _IS_KINDS, "kind")
    lp = as_float64(log_probs, "log_probs")
    if lp.ndim not in (1, 2):
        raise InvalidArgumentError(f"log_probs must have shape (T, N) or (T,), got {lp.shape}")
    # Both arrays as [T, N] (a 1-D input is one environment), kept alive
    # in local variables for the duration of the native call.
    behavior = np.ascontiguousarray(as_float64(behavior_log_probs, "behavior_log_probs", lp.shape).reshape(
        lp.shape if lp.ndim == 2 else (-1, 1)))
    c = as_float(clip, "clip")
    if not c > 0:
        raise InvalidArgumentError(f"clip must be > 0, got {clip}")
    lp2, te, tr, _, _, one = _prepare(lp, terminated, truncated, None, None, False)
    out = np.empty(lp2.shape)
    _lib.call("importance_weights", lp2.shape[0], lp2.shape[1], lp2.ctypes.data, behavior.ctypes.data,
              te.ctypes.data, tr.ctypes.data, kind_code, c, out.ctypes.data)
    return out[:, 0] if one else out


def clipped_surrogate(log_probs, old_log_probs, advantages, epsilon=0.2):
    """PPO's clipped surrogate (Schulman et al. 2017, eq. 7). Returns a dict:
    ``objectives`` min(ρÂ, clip(ρ, 1±ε)Â) per sample, ``weights`` w with
    ∇L = w ∇log π (ρÂ where unclipped, else 0), ``objective`` (mean),
    ``clip_fraction`` and ``approx_kl`` (k3). ``epsilon=inf`` gives the plain
    importance-weighted surrogate ρÂ."""
    lp = as_float64(log_probs, "log_probs", (None,))
    old = as_float64(old_log_probs, "old_log_probs", lp.shape)
    adv = as_float64(advantages, "advantages", lp.shape)
    eps = as_float(epsilon, "epsilon")
    objectives, weights, summary = np.empty(len(lp)), np.empty(len(lp)), np.empty(3)
    _lib.call("clipped_surrogate", len(lp), lp.ctypes.data, old.ctypes.data, adv.ctypes.data, eps,
              objectives.ctypes.data, weights.ctypes.data, summary.ctypes.data)
    return {"objectives": objectives, "weights": weights, "objective": float(summary[0]),
            "clip_fraction": float(summary[1]), "approx_kl": float(summary[2])}


def kl_estimates(log_probs, old_log_probs):
    """``(k1, k3)`` per-sample estimates of KL(π_old ‖ π) from actions drawn
    by π_old: k1 = −log ρ, k3 = (ρ − 1) − log ρ."""
    lp = as_float64(log_probs, "log_probs", (None,))
    old = as_float64(old_log_probs, "old_log_probs", lp.shape)
    k1, k3 = np.empty(len(lp)), np.empty(len(lp))
    _lib.call("kl_estimates", len(lp), lp.ctypes.data, old.ctypes.data, k1.ctypes.data, k3.ctypes.data)
    return k1, k3


def optimal_baseline(scores, returns, episodes, per_trajectory=False):
    """Kochenderfer's optimal per-parameter baseline (Alg. 11.6) and its
    gradient. ``scores`` ``[M, P]`` (score vectors, γ^k-weighted when
    discounting), ``returns`` ``[M]`` (reward-to-go), ``episodes`` ``[M]``
    trajectory ids. ``per_trajectory=True`` averages per-trajectory ratios
    (the book's code); otherwise the expectations are pooled. Returns
    ``(baseline [P], gradient [P])`` with gradient (1/m) Σ_k ℓ(k)(G_k − b)."""
    s = as_float64(scores, "scores", (None, None))
    g = as_float64(returns, "returns", (s.shape[0],))
    e = asarray(episodes, "episodes", np.int64)
    if e.dtype.kind not in "iu" or e.shape != (s.shape[0],):
        raise InvalidArgumentError(f"episodes must be {s.shape[0]} integer ids, got {e.dtype} {e.shape}")
    _, ids = np.unique(e, return_inverse=True)
    ids = np.ascontiguousarray(ids, np.int32)
    m = int(ids.max()) + 1 if len(ids) else 0
    if m > 2**31 - 1:
        raise InvalidArgumentError(f"episodes holds {m} distinct ids, more than 2**31 - 1")
    b, grad = np.empty(s.shape[1]), np.empty(s.shape[1])
    _lib.call("optimal_baseline", s.shape[0], s.shape[1], s.ctypes.data, g.ctypes.data, ids.ctypes.data, m,
              int(as_bool(per_trajectory, "per_trajectory")), b.ctypes.data, grad.ctypes.data)
    return b, grad


def score_gradient(policy, observations, actions, weights, num_episodes=1):
    """The score-function (likelihood-ratio) gradient estimate
    ĝ = (1/N) Σ_i Σ_t Ψ_it ∇θ log π(a_it|s_it) for any per-step weights Ψ
    (returns, reward-to-go, advantages, surrogate weights, ...): rows of
    ``observations``/``actions``/``weights`` are the steps of N =
    ``num_episodes`` episodes (flatten [T, N] arrays and drop padding first)."""
    from .policies import Policy

    if not isinstance(policy, Policy):
        raise DTypeError(f"policy must be a swiftpg Policy, got {type(policy).__name__}")
    n = as_count(num_episodes, "num_episodes", 1, 2**62)
    return policy.score_gradient(observations, actions, weights) / n


def finite_difference_gradient(base, plus, delta, minus=None):
    """Kochenderfer Alg. 11.2: ``(plus[i] − base)/delta`` per parameter, or
    the central ``(plus[i] − minus[i])/(2·delta)`` when ``minus`` is given;
    ``plus``/``minus`` are utilities U(θ ± δ e_i) ``[P]``, ``base`` U(θ)."""
    up = as_float64(plus, "plus", (None,))
    down = None if minus is None else as_float64(minus, "minus", up.shape)
    d = as_float(delta, "delta")
    b = as_float(base, "base")
    out = np.empty(len(up))
    _lib.call("finite_difference_gradient", len(up), b, up.ctypes.data,
              None if down is None else down.ctypes.data, d, out.ctypes.data)
    return out


def regression_gradient(perturbations, changes):
    """Kochenderfer Alg. 11.3: g = pinv(ΔΘ) ΔU for perturbations ΔΘ
    ``[n, P]`` and utility changes ΔU ``[n]`` (least squares when n ≥ P,
    minimum norm when n < P); rank-deficient ΔΘ is an error."""
    d = as_float64(perturbations, "perturbations", (None, None))
    du = as_float64(changes, "changes", (d.shape[0],))
    out = np.empty(d.shape[1])
    _lib.call("regression_gradient", d.shape[0], d.shape[1], d.ctypes.data, du.ctypes.data, out.ctypes.data)
    return out


def scale_gradient(gradient, max_norm):
    """Kochenderfer's ``scale_gradient`` (Alg. 12.2): ``(g·min(1,
    max_norm/‖g‖₂), ‖g‖₂)`` — the direction kept, the length limited.
    ``max_norm=0`` returns the gradient unchanged."""
    g = as_float64(gradient, "gradient", (None,))
    out = np.empty(len(g))
    norm = ctypes.c_double()
    _lib.call("scale_gradient", len(g), g.ctypes.data, as_float(max_norm, "max_norm"), out.ctypes.data,
              ctypes.byref(norm))
    return out, norm.value


def clip_gradient(gradient, low, high):
    """Kochenderfer's ``clip_gradient`` (Alg. 12.2): ``(clamp(g, low, high),
    number of components clipped)`` — element-wise, so unlike
    :func:`scale_gradient` the direction can change."""
    g = as_float64(gradient, "gradient", (None,))
    out = np.empty(len(g))
    clipped = ctypes.c_int64()
    _lib.call("clip_gradient", len(g), g.ctypes.data, as_float(low, "low"), as_float(high, "high"), out.ctypes.data,
              ctypes.byref(clipped))
    return out, int(clipped.value)
