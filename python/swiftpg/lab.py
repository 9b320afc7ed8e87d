"""The estimator lab: how biased and how noisy is each policy-gradient
estimator, measured against the exact gradient.

A *problem* (:func:`tabular`, :func:`gridworld`, :func:`short_corridor`,
:func:`bandit`, :func:`two_action`, :func:`simple_regulator`) knows how to
make batched environments and how to compute the exact objective J(θ) and
gradient ∇J(θ) of a policy on it. :func:`run` draws ``estimates`` (K)
independent gradient estimates of every :class:`Estimator` from batches of
``episodes`` (m) whole episodes each, and reports per estimator the mean,
bias vector and its norm, per-component z-scores of the bias, the total
variance (trace of the covariance of one estimate), the MSE, the cosine
similarity with the exact gradient and the cost (environment steps, seconds).

Example (the variance story of the lectures)::

    import swiftpg
    from swiftpg import lab
    problem = lab.short_corridor()
    policy = swiftpg.policies.SoftmaxPolicy(1, 2, hidden_sizes=(), head_gain=0.0)
    report = lab.run(problem, policy, [
        lab.Estimator("full_return"),
        lab.Estimator("reward_to_go"),
        lab.Estimator("reward_to_go", baseline="mean"),
        lab.Estimator("reward_to_go", baseline="optimal"),
        lab.Estimator("value", lam=0.0),          # fitted-critic actor-critic
    ], episodes=10, estimates=500, seed=0)
    print(report)

How the estimators are formed (k: index of the step in its episode; G_k the
discounted reward-to-go Σ_j γ^j r_{k+j}; R(τ) = G_0; ℓ_k = γ^k ∇log π(a_k|s_k)):

* ``full_return`` — (1/m) Σ_i R(τ_i) Σ_k ∇log π (Kochenderfer Alg. 11.4).
* ``reward_to_go`` — (1/m) Σ_i Σ_k ℓ_k G_k (Alg. 11.5; with
  ``drop_discount=True`` the γ^k factor is omitted, as most implementations
  do, which biases the discounted gradient).
* baselines for both: ``"mean"`` (of R(τ), or of G over all steps),
  ``"time_step_mean"`` (of G_k over the episodes alive at step k) and
  ``"optimal"`` (per parameter: E[ℓ² G]/E[ℓ²], Alg. 11.6 with pooled
  expectations; for ``full_return`` with ℓ the trajectory score). Every
  baseline for episode i is computed from the *other* m − 1 episodes of its
  batch (leave-one-out), which keeps the estimators exactly unbiased — a
  baseline from the same batch including episode i shrinks the estimate by
  (1 − 1/m).
* ``value`` — (1/m) Σ_i Σ_k ℓ_k Â_k with Â the GAE(γ, λ) advantage of a critic
  V̂ (``lam=1``: reward-to-go minus a learned-state-value baseline, unbiased;
  ``lam=0``: the TD(0) actor-critic, biased unless V̂ = V^π). The critic is
  fitted once per estimator from ``critic_episodes`` independent episodes
  (every-visit Monte-Carlo averages per state; unvisited states 0) and then
  held fixed, or is the exact V^π (``critic="exact"``).
* ``finite_difference`` — Alg. 11.2: (U(θ + δe_j) − U(θ))/δ per component
  (``central=True``: (U(θ + δe_j) − U(θ − δe_j))/2δ), each U a mean over m
  episodes; cost (P + 1)·m episodes per estimate.
* ``regression`` — Alg. 11.3: ``directions`` random perturbations of length
  δ, ∇ = pinv(ΔΘ) ΔU; cost (directions + 1)·m episodes per estimate.

The likelihood-ratio estimators of one :func:`run` share the same K·m
episodes (common random numbers, which makes their comparison sharper);
zeroth-order estimators collect their own.

**The sequence-level page** (:func:`sequence_run`, :class:`SequenceEstimator`,
:class:`SequenceReport`): the online RLHF learners of :mod:`swiftpg.rlhf`,
each response one episode of one action, against the exact gradient of the
KL-regularised objective J(θ) = Σ_x w_x [E_{y∼π} r(x, y) − β KL(π(·|x) ‖
π_ref(·|x))] (:func:`swiftpg.rlhf.exact_objective`),

    ∇J = E_x E_{y∼π(·|x)} [R(x, y) ∇log π(y|x)],  R = r − β log(π/π_ref)(y|x)

(the −β E ∇log π term is 0). Every estimate is the learner's own first-step
ascent direction (``learner.gradient_estimate``) on N responses: N/k prompts
answered k times each, so estimators compare at equal budgets; R̂ is R with
the sampled k1 log-ratio, as the learners use it. i runs over the N
responses, g(i) is the group of i's prompt:

* ``reinforce`` (Williams 1992; Ahmadian et al. 2024): (1/N) Σ_i R̂_i ∇log π(y_i)
  — unbiased. With ``baseline="moving_average"``, R̂_i − b with b the
  learner's moving average of mean R̂, warmed by updates on independent
  batches at the current θ (θ restored after each) and then held: a
  constant, so still unbiased (in training b lags behind θ; here it is at
  its best).
* ``rloo`` (Kool et al. 2019; Ahmadian et al. 2024): R̂_i − mean_{j∈g(i), j≠i} R̂_j
  — unbiased for every k ≥ 2.
* ``remax`` (Li et al. 2023): R̂_i − R̂(x_i, ŷ(x_i)), ŷ the greedy response —
  unbiased (ŷ depends on x and θ only), at one extra greedy decode and
  scoring per prompt (counted in ``greedy_decodes`` and ``decodes``).
* ``grpo`` (Shao et al. 2024): A_i = (r_i − mean_{g(i)} r)/(s + ε) on the
  *raw* reward, s the group's std (``scaling="group"``), the batch's
  (``"batch"``) or 1 (``"none"``), each response's tokens averaged
  (``aggregation="sequence"``; ``"token"``: all tokens of the batch), and
  the KL in the loss: the per-token k3 estimate with its gradient. Biased
  for ∇J from two sources: the advantage (the group mean includes y_i itself,
  a factor (k − 1)/k; the std division reweights prompts and couples A_i with
  y_i; the 1/|y| average weights short responses up — Liu et al. 2025,
  "Dr. GRPO") and the KL term (its expected gradient is that of Σ_t
  KL(π_ref ‖ π) over the visited contexts, another objective than β KL(π ‖
  π_ref)). With β = 0, equal lengths and ``scaling="none"`` its mean is
  exactly (k − 1)/k ∇J: unbiased up to a scale (``scale`` and
  ``max_abs_z_direction`` of the report show it).
* ``rebel`` (Gao et al. 2024): −∇ of its regression loss at θ = θ_old, unbiased
  for 4η∇J; the lab divides it by 4η, which makes it RLOO (k = 2) on the
  same pairs exactly.
* ``ppo``: the token-level clipped surrogate's gradient at ratio 1 with its
  (fresh) critic, GAE and whitened advantages: biased, shown for contrast.

The z-scores assume no component hinges on responses the policy almost
never samples (see :func:`sequence_run`): measure on policies without
near-zero probabilities.

Example::

    from swiftpg import lab, rlhf
    task = rlhf.ArrayTask(2, 2, [0.6, 0.4], [[0.2, 1.0, -0.5, 0.3, 0.8, -1.0, 0.1],
                                             [-0.4, 0.6, 0.0, 1.2, -0.2, 0.5, 0.9]])
    reference = rlhf.SequencePolicy.for_task(task)
    policy = reference.copy()
    policy.parameters = np.random.default_rng(0).normal(0, 0.7, policy.num_params)
    report = lab.sequence_run(task, policy, reference, [
        "reinforce", lab.SequenceEstimator("reinforce", baseline="moving_average"),
        lab.SequenceEstimator("rloo", samples_per_prompt=4), "remax",
        lab.SequenceEstimator("grpo", scaling="group"), lab.SequenceEstimator("grpo", scaling="none"),
    ], beta=0.5, responses_per_estimate=16, estimates=1000, seed=0)
    print(report)
"""

from __future__ import annotations

import ctypes
import inspect
import math
import time
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from . import _lib
from . import estimators as est
from . import exact as _exact
from .envs import VectorEnv, bandit as _bandit_env, gridworld as _gridworld_env, make_vec, tabular as _tabular_env
from ._lib import ClosedError, InvalidArgumentError
from ._arrays import (DTypeError, MAX_ELEMENTS, as_bool, as_count, as_float, as_float64, as_seed,
                      check_elements)
from .policies import GaussianPolicy, Policy, _Categorical

__all__ = ["Estimator", "Problem", "Report", "run", "tabular", "gridworld", "short_corridor", "bandit",
           "two_action", "simple_regulator", "collect", "SequenceEstimator", "SequenceReport", "sequence_run"]


# ----------------------------------------------------------------------------------------------- problems

class Problem:
    """A problem with an exact gradient. ``make_env(num_envs, seed)`` builds
    a batched environment, ``exact(policy)`` returns a dict with at least
    ``objective`` and ``gradient``; ``gamma`` is the objective's discount.
    Finite problems also define ``num_states`` and ``state_index``.

    This is the base of the lab's problems (create one with :func:`tabular`,
    :func:`gridworld`, :func:`short_corridor`, :func:`bandit`,
    :func:`two_action` or :func:`simple_regulator`, or subclass it); the
    base itself cannot be created. Every method checks its arguments:
    ``env`` must be a :class:`swiftpg.VectorEnv` of this problem (from
    :meth:`make_env`), ``obs`` its observations ``[num_envs,
    observation_size]`` and ``final_obs`` observations ``[n,
    observation_size]`` (DTypeError / InvalidArgumentError otherwise)."""

    name = "problem"
    gamma = 1.0
    num_states: int | None = None
    #: Values per observation (None: not known in advance).
    observation_size: int | None = None

    def __init__(self, *args, **kwargs):
        if type(self) is Problem:
            raise DTypeError("swiftpg.lab.Problem is an abstract base class and cannot be created; use "
                             "lab.tabular, lab.gridworld, lab.short_corridor, lab.bandit, lab.two_action or "
                             "lab.simple_regulator (or subclass it)")
        super().__init__(*args, **kwargs)

    def make_env(self, num_envs: int, seed: int) -> VectorEnv:
        raise NotImplementedError

    def exact(self, policy: Policy) -> dict:
        raise NotImplementedError

    def state_index(self, env: VectorEnv, obs: np.ndarray) -> np.ndarray | None:
        """Index of each instance's current state (finite problems) or None."""
        self._check_env(env)
        self._check_obs(env, obs)
        return None

    def final_state_index(self, final_obs: np.ndarray) -> np.ndarray | None:
        """Index of the state in a final observation (None if unknowable)."""
        self._check_final_obs(final_obs)
        return None

    def __repr__(self) -> str:
        return self.name

    # -- argument checks shared by the problems ---------------------------------------------------
    @staticmethod
    def _env_arguments(num_envs, seed) -> tuple[int, int | None]:
        """``make_env``'s arguments: a count and a seed (None: a random one)."""
        return as_count(num_envs, "num_envs", 1, 1 << 24), None if seed is None else as_seed(seed)

    def _fits(self, env: VectorEnv) -> bool:
        """Whether ``env`` (a VectorEnv) is an environment of this problem."""
        return True

    def _check_env(self, env) -> VectorEnv:
        if not isinstance(env, VectorEnv):
            raise DTypeError(f"env must be a swiftpg VectorEnv made by this problem's make_env, got "
                             f"{type(env).__name__}")
        if env.closed:
            raise ClosedError(f"env ({env.env_id}) is closed")
        if not self._fits(env):
            raise InvalidArgumentError(f"env ({env.env_id}, observations of {env.observation_size} values) is not an "
                                       f"environment of {self}; use its make_env")
        return env

    def _check_obs(self, env: VectorEnv, obs, name: str = "obs") -> np.ndarray:
        return as_float64(obs, name, (env.num_envs, env.observation_size))

    def _check_final_obs(self, final_obs) -> np.ndarray:
        return as_float64(final_obs, "final_obs", (None, self.observation_size))


def _one_hot_index(obs: np.ndarray, name: str) -> np.ndarray:
    """The index of the 1 in each one-hot row of ``obs`` (2-D float64)."""
    if obs.size and not (((obs == 0) | (obs == 1)).all() and (obs.sum(axis=1) == 1).all()):
        bad = int(np.flatnonzero(~(((obs == 0) | (obs == 1)).all(axis=1) & (obs.sum(axis=1) == 1)))[0])
        raise InvalidArgumentError(f"{name} must hold one-hot rows (the states of this tabular problem); "
                                   f"row {bad} is {obs[bad].tolist()}")
    return np.argmax(obs, axis=1)


class _Tabular(Problem):
    def __init__(self, factory, name: str, observations=None):
        self._factory = factory
        self.name = name
        probe = factory(1, 0)
        try:
            model = probe.tabular_model()
            self._signature = (probe.env_id, probe.observation_size, probe.discrete, probe.num_actions)
            self.observation_size = probe.observation_size
        finally:
            probe.close()
        self.model = model
        self.num_states = model["P"].shape[0]
        self.gamma = 1.0 if model["horizon"] else model["gamma"]
        self._observations = observations

    def _fits(self, env):
        return (env.env_id, env.observation_size, env.discrete, env.num_actions) == self._signature

    def make_env(self, num_envs, seed):
        return self._factory(*self._env_arguments(num_envs, seed))

    def exact(self, policy):
        if not isinstance(policy, Policy):
            raise DTypeError(f"policy must be a swiftpg policy, got {type(policy).__name__}")
        with self._factory(1, 0) as env:
            return _exact.solve(env, policy, self._observations)

    def state_index(self, env, obs):
        self._check_env(env)
        return _one_hot_index(self._check_obs(env, obs), "obs")

    def final_state_index(self, final_obs):
        return _one_hot_index(self._check_final_obs(final_obs), "final_obs")
def tabular(transitions, rewards, initial, **kwargs) -> Problem:
    """A finite MDP from arrays (arguments of :func:`swiftpg.envs.tabular`)."""
    kwargs.pop("num_envs", None)
    kwargs.pop("seed", None)
    return _Tabular(lambda n, s: _tabular_env(transitions, rewards, initial, num_envs=n, seed=s, **kwargs),
                    "TabularMDP")


def gridworld(*args, **kwargs) -> Problem:
    """A gridworld (arguments of :func:`swiftpg.envs.gridworld`)."""
    return _Tabular(lambda n, s: _gridworld_env(*args, num_envs=n, seed=s, **kwargs), "GridWorld")


class _ShortCorridor(_Tabular):
    def state_index(self, env, obs):
        self._check_env(env)
        self._check_obs(env, obs)
        return env.get_state()[:, 0].astype(np.int64)

    def final_state_index(self, final_obs):
        self._check_final_obs(final_obs)
        return None  # aliased observations; the goal (the usual end) has value 0 anyway


def short_corridor(max_episode_steps: int = 1000) -> Problem:
    """Sutton & Barto's Example 13.1 (γ = 1, −1 per step). The policy sees the
    constant observation [1.0] in every state."""
    def factory(n, s):
        env = make_vec("ShortCorridor-v0", n, seed=s)
        env.set_parameter("max_episode_steps", max_episode_steps)
        return env
    return _ShortCorridor(factory, "ShortCorridor", observations=np.ones((4, 1)))


class _OneState(Problem):
    """Episodes of H independent decisions from one state with expected
    reward per action ``means``: J = H Σ_a π(a) μ_a, ∇J = H Σ_a μ_a π(a) ∇log π(a)."""

    num_states = 1
    observation_size = 1      # the bandits and TwoAction-v0 observe a constant

    def __init__(self, factory, means, horizon, name):
        self._factory, self.means, self.name = factory, as_float64(means, "means", (None,)), name
        self.horizon = as_count(horizon, "horizon")

    def _fits(self, env):
        return env.discrete and env.num_actions == len(self.means) and env.observation_size == self.observation_size

    def make_env(self, num_envs, seed):
        return self._factory(*self._env_arguments(num_envs, seed))

    def exact(self, policy):
        if not isinstance(policy, _Categorical):
            raise DTypeError("the exact gradient of a one-state problem needs a discrete policy")
        if policy.observation_size != self.observation_size:
            raise InvalidArgumentError(f"the policy observes {policy.observation_size} values; {self} gives "
                                       f"{self.observation_size}")
        obs = np.ones((len(self.means), policy.observation_size))
        probs = policy.probabilities(obs[:1])[0]
        if len(probs) != len(self.means):
            raise InvalidArgumentError(f"the policy has {len(probs)} actions, the problem {len(self.means)}")
        scores = policy.score_vectors(obs, np.arange(len(self.means), dtype=np.int32))
        gradient = self.horizon * (self.means * probs) @ scores
        q = self.horizon * self.means
        return {"objective": float(probs @ q), "gradient": gradient, "probabilities": probs,
                "values": np.array([probs @ q]), "q": q[None, :]}

    def state_index(self, env, obs):
        self._check_env(env)
        return np.zeros(len(self._check_obs(env, obs)), dtype=np.int64)


def bandit(means, stds=None, kind: str = "gaussian", horizon: int = 1) -> Problem:
    """A multi-armed bandit (see :func:`swiftpg.envs.bandit`)."""
    means = as_float64(means, "means", (None,))
    if len(means) < 2:
        raise InvalidArgumentError(f"a bandit needs at least 2 arms, got {len(means)}")
    return _OneState(lambda n, s: _bandit_env(means, stds, kind=kind, horizon=horizon, num_envs=n, seed=s),
                     means, horizon, f"Bandit({kind}, {len(means)} arms)")


def two_action(reward_left: float = 1.0, reward_right: float = 0.0, horizon: int = 1,
               reward_std: float = 0.0) -> Problem:
    """The two-action lecture example (use :class:`swiftpg.policies.ClampPolicy`
    for π(L) = clamp(θ, 0, 1), or any two-action discrete policy)."""
    def factory(n, s):
        env = make_vec("TwoAction-v0", n, seed=s)
        env.set_parameter("reward_left", reward_left)
        env.set_parameter("reward_right", reward_right)
        env.set_parameter("reward_std", reward_std)
        env.set_parameter("max_episode_steps", horizon)
        return env
    return _OneState(factory, [reward_left, reward_right], horizon, "TwoAction")


class _SimpleRegulator(Problem):
    """Kochenderfer's simple regulator with a linear Gaussian policy
    a ~ N(w s + b, σ²), σ = exp(log σ). With c = 1 + w, the moments of the
    state follow μ' = cμ + b, m' = c²m + 2cbμ + b² + σ² + q² (q the
    transition std), so J = −Σ_{k<d} γ^k m_k exactly — up to the ±10
    truncation of the transition, whose effect is negligible for sensible
    policies. The gradient is propagated alongside in forward mode."""

    name = "SimpleRegulator"
    observation_size = 1

    def __init__(self, depth, gamma, initial_mean, initial_std, transition_std):
        self.depth, self.gamma = as_count(depth, "depth", 1, 1 << 24), as_float(gamma, "gamma")
        if not 0.0 <= self.gamma <= 1.0:
            raise InvalidArgumentError(f"gamma must be in [0, 1], got {self.gamma}")
        self.initial_mean = as_float(initial_mean, "initial_mean")
        self.initial_std = as_float(initial_std, "initial_std")
        self.transition_std = as_float(transition_std, "transition_std")
        for name in ("initial_mean", "initial_std", "transition_std"):
            if not math.isfinite(getattr(self, name)):
                raise InvalidArgumentError(f"{name} must be finite, got {getattr(self, name)}")

    def _fits(self, env):
        return env.env_id == "SimpleRegulator-v0"

    def make_env(self, num_envs, seed):
        num_envs, seed = self._env_arguments(num_envs, seed)
        env = make_vec("SimpleRegulator-v0", num_envs, seed=seed)
        for k, v in (("gamma", self.gamma), ("initial_mean", self.initial_mean), ("initial_std", self.initial_std),
                     ("transition_std", self.transition_std), ("max_episode_steps", self.depth)):
            env.set_parameter(k, v)
        return env

    def exact(self, policy):
        if not isinstance(policy, Policy):
            raise DTypeError(f"policy must be a swiftpg policy, got {type(policy).__name__}")
        if not (isinstance(policy, GaussianPolicy) and policy.num_params == 3 and policy.observation_size == 1):
            raise DTypeError("the simple regulator's exact gradient needs GaussianPolicy(1, 1, hidden_sizes=()) "
                             "(parameters w, b, log σ)")
        w, b, log_std = policy.params
        var = math.exp(2 * log_std)
        c = 1.0 + w
        mu, m = self.initial_mean, self.initial_mean ** 2 + self.initial_std ** 2
        dmu, dm = np.zeros(3), np.zeros(3)        # derivatives w.r.t. (w, b, log σ)
        dc, db, dvar = np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), np.array([0, 0, 2 * var])
        objective, gradient = 0.0, np.zeros(3)
        for k in range(self.depth):
            objective -= self.gamma ** k * m
            gradient -= self.gamma ** k * dm
            new_mu, new_dmu = c * mu + b, dc * mu + c * dmu + db
            new_m = c * c * m + 2 * c * b * mu + b * b + var + self.transition_std ** 2
            new_dm = (2 * c * m * dc + c * c * dm + 2 * (dc * b * mu + c * db * mu + c * b * dmu) + 2 * b * db
                      + dvar)
            mu, dmu, m, dm = new_mu, new_dmu, new_m, new_dm
        return {"objective": objective, "gradient": gradient}


def simple_regulator(depth: int = 10, gamma: float = 1.0, initial_mean: float = 0.3, initial_std: float = 0.1,
                     transition_std: float = 0.1) -> Problem:
    """The simple regulator (REFERENCE.md §2) with depth d and discount γ."""
    return _SimpleRegulator(depth, gamma, initial_mean, initial_std, transition_std)


# ------------------------------------------------------------------------------------------------ rollouts

@dataclass
class Batch:
    """Whole episodes, one per column, time-major and padded: ``mask[t, i]``
    marks real steps; padded steps have reward 0 and ``terminated`` set (so
    every estimator sees them as empty episodes)."""
    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    mask: np.ndarray
    states: np.ndarray | None
    final_states: np.ndarray | None
    env_steps: int


def collect(problem: Problem, policy: Policy, num_episodes: int, seed: int, states: bool = False) -> Batch:
    """Runs ``num_episodes`` episodes in parallel (one per instance, first
    episode only) and returns them as a :class:`Batch`. The problem's
    environment needs a time limit (``max_episode_steps`` > 0), and the
    batch is limited to ``MAX_ELEMENTS`` stored values (InvalidArgumentError
    beyond, before memory runs out)."""
    if not isinstance(problem, Problem):
        raise DTypeError(f"problem must be a swiftpg.lab problem, got {type(problem).__name__}")
    if not isinstance(policy, Policy):
        raise DTypeError(f"policy must be a swiftpg policy, got {type(policy).__name__}")
    num_episodes = as_count(num_episodes, "num_episodes", 1, 1 << 24)
    seed = as_seed(seed)
    states = as_bool(states, "states")
    env = problem.make_env(num_episodes, seed)
    try:
        limit = env.max_episode_steps
        if limit <= 0:
            raise InvalidArgumentError(
                f"{problem} has no time limit (max_episode_steps = 0): the lab collects whole episodes and needs "
                "one; set max_episode_steps")
        policy.seed(seed)
        obs, _ = env.reset(seed=seed)
        n = num_episodes
        per_step = n * (obs.shape[1] + (policy.action_size if not policy.discrete else 1) + 6)
        alive = np.ones(n, bool)
        rows: dict[str, list] = {k: [] for k in ("obs", "act", "rew", "term", "trunc", "mask", "state", "final")}
        for step in range(limit):
            if not alive.any():
                break
            check_elements((step + 1) * per_step, f"the lab's batch of {n} episodes (at step {step + 1})")
            if states:
                rows["state"].append(problem.state_index(env, obs))
            actions = policy.sample(obs)
            rows["obs"].append(obs)
            rows["act"].append(actions)
            obs, r, te, tr, info = env.step(actions)
            rows["rew"].append(np.where(alive, r, 0.0))
            rows["term"].append(te | ~alive)
            rows["trunc"].append(tr & alive & ~te)
            rows["mask"].append(alive.copy())
            if states:
                final = np.zeros(n, np.int64) - 1
                ended = (te | tr) & alive
                if ended.any() and "final_obs" in info:
                    idx = problem.final_state_index(np.asarray(info["final_obs"])[ended].reshape(ended.sum(), -1))
                    if idx is not None:
                        final[ended] = idx
                rows["final"].append(final)
            alive &= ~(te | tr)
        mask = np.array(rows["mask"])
        return Batch(np.array(rows["obs"]), np.array(rows["act"]), np.array(rows["rew"], float),
                     np.array(rows["term"]), np.array(rows["trunc"]), mask,
                     np.array(rows["state"]) if states else None, np.array(rows["final"]) if states else None,
                     int(mask.sum()))
    finally:
        env.close()


def _utility(problem, policy, params, groups, m, seed):
    """Mean discounted return per group of m episodes at ``params``."""
    saved = policy.params
    try:
        policy.params = params
        batch = collect(problem, policy, groups * m, seed)
    finally:
        policy.params = saved
    returns = est.episode_returns(batch.rewards, batch.terminated, batch.truncated, problem.gamma)[0]
    return returns.reshape(groups, m).mean(axis=1), batch.env_steps


# --------------------------------------------------------------------------------------------- estimators

_KINDS = ("full_return", "reward_to_go", "value", "finite_difference", "regression")
_BASELINES = (None, "mean", "time_step_mean", "optimal")


@dataclass
class Estimator:
    """One estimator configuration (see the module documentation)."""
    kind: str
    baseline: str | None = None
    drop_discount: bool = False
    lam: float = 1.0
    critic: str = "fitted"
    critic_episodes: int = 50
    delta: float = 0.1
    central: bool = False
    directions: int | None = None
    name: str | None = None

    def __post_init__(self):
        if not isinstance(self.kind, str) or self.kind not in _KINDS:
            raise InvalidArgumentError(f"kind must be one of {_KINDS}, got {self.kind!r}")
        if not (self.baseline is None or isinstance(self.baseline, str)) or self.baseline not in _BASELINES:
            raise InvalidArgumentError(f"baseline must be one of {_BASELINES}, got {self.baseline!r}")
        self.drop_discount = as_bool(self.drop_discount, "drop_discount")
        self.central = as_bool(self.central, "central")
        self.lam = as_float(self.lam, "lam")
        self.delta = as_float(self.delta, "delta")
        self.critic_episodes = as_count(self.critic_episodes, "critic_episodes", 1, 1 << 24)
        if self.directions is not None:
            self.directions = as_count(self.directions, "directions", 1, 1 << 24)
        if self.name is not None and not isinstance(self.name, str):
            raise DTypeError(f"name must be a str or None, got {self.name!r}")
        if self.baseline is not None and self.kind not in ("full_return", "reward_to_go"):
            raise InvalidArgumentError(f"a baseline applies to full_return and reward_to_go, not {self.kind}")
        if self.baseline == "time_step_mean" and self.kind != "reward_to_go":
            raise InvalidArgumentError("the time_step_mean baseline applies to reward_to_go")
        if not 0.0 <= self.lam <= 1.0:
            raise InvalidArgumentError(f"lam must be in [0, 1], got {self.lam}")
        if not isinstance(self.critic, str) or self.critic not in ("fitted", "exact"):
            raise InvalidArgumentError(f"critic must be 'fitted' or 'exact', got {self.critic!r}")
        if self.critic_episodes < 1:
            raise InvalidArgumentError(f"critic_episodes must be >= 1, got {self.critic_episodes}")
        if not (self.delta > 0 and math.isfinite(self.delta)):
            raise InvalidArgumentError(f"delta must be a positive number, got {self.delta}")
        if self.directions is not None and self.directions < 1:
            raise InvalidArgumentError(f"directions must be >= 1, got {self.directions}")
        if self.name is None:
            parts = [self.kind]
            if self.baseline:
                parts.append(f"{self.baseline} baseline")
            if self.kind == "value":
                parts.append(f"{self.critic} critic, λ={self.lam:g}")
            if self.drop_discount:
                parts.append("no γ^k")
            if self.kind in ("finite_difference", "regression"):
                parts.append(f"δ={self.delta:g}")
            self.name = " + ".join(parts[:1] + [", ".join(parts[1:])] if len(parts) > 1 else parts)


def _loo(total, own, count_total, count_own):
    """Leave-one-out ratio (total − own)/(count_total − count_own), 0 where empty."""
    den = count_total - count_own
    return np.divide(total - own, den, out=np.zeros(np.broadcast(total - own, den).shape), where=den > 0)


class _Samples:
    """The shared likelihood-ratio data of one run, flattened to real steps."""

    def __init__(self, problem, policy, batch, K, m):
        self.K, self.m, self.gamma = K, m, problem.gamma
        self.batch = batch
        T, n = batch.mask.shape
        t_idx, col = np.nonzero(batch.mask)
        self.t, self.col = t_idx, col
        obs = batch.observations[t_idx, col]
        acts = batch.actions[t_idx, col]
        check_elements(4 * len(t_idx) * policy.num_params,
                       f"score vectors of {len(t_idx)} steps × {policy.num_params} parameters")
        self.scores = policy.score_vectors(obs, acts)
        self.P = self.scores.shape[1]
        self.discount = problem.gamma ** t_idx.astype(float)
        go = est.discounted_returns(batch.rewards, batch.terminated, batch.truncated, problem.gamma)
        self.reward_to_go = go[t_idx, col]
        self.episode_return = go[0]                           # R(τ_i), [n]
        self.n = n

    def per_episode(self, values):
        """Σ over the steps of each episode: [n, ...]."""
        out = np.zeros((self.n,) + values.shape[1:])
        np.add.at(out, self.col, values)
        return out

    def grouped(self, per_episode):
        """Mean over the m episodes of each batch: [K, ...]."""
        return per_episode.reshape((self.K, self.m) + per_episode.shape[1:]).mean(axis=1)

    def group_total(self, per_episode):
        """Batch totals broadcast back to episodes: [n, ...]."""
        g = per_episode.reshape((self.K, self.m) + per_episode.shape[1:]).sum(axis=1, keepdims=True)
        return np.broadcast_to(g, (self.K, self.m) + per_episode.shape[1:]).reshape(per_episode.shape)


def _likelihood_ratio(s: _Samples, e: Estimator, critic_values) -> np.ndarray:
    ones = np.ones(s.n)
    if e.kind == "full_return":
        L = s.per_episode(s.scores)                           # trajectory scores
        R = s.episode_return
        if e.baseline is None:
            b = np.zeros((s.n, 1))
        elif e.baseline == "mean":
            b = _loo(s.group_total(R), R, s.group_total(ones), ones)[:, None]
        else:                                                 # optimal, per parameter
            L2 = L * L
            b = _loo(s.group_total(L2 * R[:, None]), L2 * R[:, None], s.group_total(L2), L2)
        return s.grouped(L * (R[:, None] - b))
    disc = np.ones_like(s.discount) if e.drop_discount else s.discount
    ell = s.scores * disc[:, None]
    if e.kind == "value":
        adv = _gae(s, critic_values, e.lam)
        return s.grouped(s.per_episode(ell * adv[:, None]))
    G = s.reward_to_go
    C = s.per_episode(ell * G[:, None])
    if e.baseline is None:
        return s.grouped(C)
    D = s.per_episode(ell)
    if e.baseline == "mean":
        own_sum, own_cnt = s.per_episode(G), s.per_episode(np.ones_like(G))
        b = _loo(s.group_total(own_sum), own_sum, s.group_total(own_cnt), own_cnt)[:, None]
        return s.grouped(C - b * D)
    if e.baseline == "time_step_mean":
        T = s.batch.mask.shape[0]
        key = s.t * s.K + s.col // s.m                        # (time step, batch)
        sums = np.bincount(key, weights=G, minlength=T * s.K)
        cnts = np.bincount(key, minlength=T * s.K).astype(float)
        b = _loo(sums[key], G, cnts[key], 1.0)
        return s.grouped(s.per_episode(ell * (G - b)[:, None]))
    A = s.per_episode(ell * ell * G[:, None])               # optimal, per parameter
    B = s.per_episode(ell * ell)
    b = _loo(s.group_total(A), A, s.group_total(B), B)
    return s.grouped(C - b * D)


def _gae(s: _Samples, V, lam):
    batch = s.batch
    T, n = batch.mask.shape
    values = np.zeros((T + 1, n))
    values[:T] = np.where(batch.mask, V[np.maximum(batch.states, 0)], 0.0)
    final = np.where(batch.final_states >= 0, V[np.maximum(batch.final_states, 0)], 0.0)
    adv = est.gae(batch.rewards, batch.terminated, batch.truncated, values, s.gamma, lam, final_values=final)
    return adv[s.t, s.col]


def _fit_critic(problem, policy, e: Estimator, seed) -> tuple[np.ndarray, int]:
    """Every-visit Monte-Carlo state values from independent episodes."""
    batch = collect(problem, policy, e.critic_episodes, seed, states=True)
    go = est.discounted_returns(batch.rewards, batch.terminated, batch.truncated, problem.gamma)
    S = problem.num_states
    assert batch.states is not None                    # collected with states=True
    idx = batch.states[batch.mask]
    sums = np.bincount(idx, weights=go[batch.mask], minlength=S)
    counts = np.bincount(idx, minlength=S)
    return np.divide(sums, counts, out=np.zeros(S), where=counts > 0), batch.env_steps


def _zeroth_order(problem, policy, e: Estimator, K, m, seed) -> tuple[np.ndarray, int]:
    theta = policy.params
    P = len(theta)
    steps = 0
    check_elements(2 * K * P + (e.directions or 2 * P) * P, f"{e.name}: {K} estimates of {P} parameters")
    if e.kind == "finite_difference":
        base, n0 = _utility(problem, policy, theta, K, m, seed)
        steps += n0
        plus, minus = np.empty((K, P)), np.empty((K, P))
        for j in range(P):
            step = np.zeros(P)
            step[j] = e.delta
            plus[:, j], n1 = _utility(problem, policy, theta + step, K, m, (seed + 1 + j) % 2**64)
            steps += n1
            if e.central:
                minus[:, j], n2 = _utility(problem, policy, theta - step, K, m, (seed + 1 + P + j) % 2**64)
                steps += n2
        grads = np.array([est.finite_difference_gradient(base[k], plus[k], e.delta,
                                                         minus[k] if e.central else None) for k in range(K)])
        return grads, steps
    n_dirs = e.directions or 2 * P
    rng = np.random.default_rng(seed)
    grads = np.empty((K, P))
    base, n0 = _utility(problem, policy, theta, K, m, seed)
    steps += n0
    for k in range(K):
        dirs = rng.standard_normal((n_dirs, P))
        dirs *= e.delta / np.linalg.norm(dirs, axis=1, keepdims=True)
        du = np.empty(n_dirs)
        for j in range(n_dirs):
            u, nj = _utility(problem, policy, theta + dirs[j], 1, m, (seed + 1 + k * n_dirs + j) % 2**64)
            du[j] = u[0] - base[k]
            steps += nj
        grads[k] = est.regression_gradient(dirs, du)
    return grads, steps


# ------------------------------------------------------------------------------------------------- report

class UnknownEstimatorError(InvalidArgumentError, KeyError):
    """``report[name]`` for a name that is not in the report (also a KeyError,
    as a mapping's missing key is)."""

    __str__ = InvalidArgumentError.__str__

@dataclass
class Report:
    """The lab's result: ``rows`` (one dict per estimator), the exact
    objective and gradient, and the run's settings. ``str(report)`` is a
    table; :meth:`plot` draws bias and spread."""
    rows: list
    exact_objective: float
    exact_gradient: np.ndarray
    problem: str
    episodes: int
    estimates: int
    seed: int
    samples: dict = field(default_factory=dict, repr=False)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, name):
        if not isinstance(name, str):      # (an array would be compared element-wise below)
            raise UnknownEstimatorError(f"estimator names are str; got {type(name).__name__} {name!r}, which is not "
                                        f"in this report; names: {', '.join(r['name'] for r in self.rows)}")
        for row in self.rows:
            if row["name"] == name:
                return row
        raise UnknownEstimatorError(f"no estimator named {name!r} in this report; names: "
                                    f"{', '.join(r['name'] for r in self.rows)}")

    # (title, row key, width, format) of the table's columns after the estimator's name
    _columns: ClassVar[tuple[tuple[str, str, int, str], ...]] = (
                ("|bias|", "bias_norm", 9, ".4g"), ("max|z|", "max_abs_z", 7, ".2f"),
                ("tr Cov", "total_variance", 10, ".4g"), ("MSE", "mse", 10, ".4g"), ("cos", "cosine", 6, ".3f"),
                ("steps", "env_steps", 9, "d"), ("s", "seconds", 6, ".2f"))

    def _table(self, head: str, width: int) -> str:
        """``head``, a title line and a line per row: the name left in ``width``, then ``_columns``."""
        lines = [head, f"{'estimator':<{width}}  " + " ".join(f"{t:>{w}}" for t, _, w, _ in self._columns)]
        for r in self.rows:
            lines.append(f"{r['name']:<{width}}  " + " ".join(format(r[k], f"{w}{f}") for _, k, w, f in self._columns))
        return "\n".join(lines)

    def __str__(self) -> str:
        head = (f"{self.problem}: J = {self.exact_objective:.6g}, |∇J| = {np.linalg.norm(self.exact_gradient):.4g}; "
                f"K = {self.estimates} estimates from m = {self.episodes} episodes each (seed {self.seed})")
        return self._table(head, max(len(r["name"]) for r in self.rows) if self.rows else 4)

    def plot(self, ax=None):
        """Bar chart of total variance with |bias|² stacked (needs matplotlib)."""
        import matplotlib.pyplot as plt
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * len(self.rows)))
        names = [r["name"] for r in self.rows]
        var = np.array([r["total_variance"] for r in self.rows])
        bias2 = np.array([r["bias_norm"] ** 2 for r in self.rows])
        y = np.arange(len(names))
        ax.barh(y, var, label="total variance (tr Cov)")
        ax.barh(y, bias2, left=var, label="|bias|²")
        ax.set_yticks(y, names)
        ax.set_xscale("log")
        ax.invert_yaxis()
        ax.set_xlabel(f"per-estimate MSE decomposition (m = {self.episodes} episodes)")
        ax.legend()
        return ax


def _summary(name, grads, exact_gradient, env_steps, seconds) -> dict:
    K = len(grads)
    mean = grads.mean(axis=0)
    cov_diag = grads.var(axis=0, ddof=1) if K > 1 else np.zeros_like(mean)
    se = np.sqrt(cov_diag / K)
    bias = mean - exact_gradient
    z = np.divide(bias, se, out=np.zeros_like(bias), where=se > 0)
    z[(se == 0) & (bias != 0)] = np.inf
    norm_g = np.linalg.norm(exact_gradient)
    cos = np.array([g @ exact_gradient / (np.linalg.norm(g) * norm_g) if np.linalg.norm(g) > 0 and norm_g > 0
                    else 0.0 for g in grads])
    return {"name": name, "mean": mean, "bias": bias, "bias_norm": float(np.linalg.norm(bias)),
            "standard_error": se, "z": z, "max_abs_z": float(np.max(np.abs(z))) if len(z) else 0.0,
            "total_variance": float(cov_diag.sum()),
            "mse": float(np.mean(np.sum((grads - exact_gradient) ** 2, axis=1))),
            "cosine": float(cos.mean()), "env_steps": int(env_steps), "seconds": float(seconds)}


def run(problem: Problem, policy: Policy, estimators, episodes: int = 10, estimates: int = 200,
        seed: int = 0, keep_samples: bool = False) -> Report:
    """Draws ``estimates`` independent gradient estimates of each estimator
    (strings are shorthand for ``Estimator(kind)``), each from ``episodes``
    whole episodes, and compares them with ``problem.exact(policy)``.
    The policy's parameters are left unchanged. ``keep_samples=True`` keeps
    the K×P estimates per estimator in ``report.samples``."""
    if not isinstance(problem, Problem):
        raise DTypeError(f"problem must be a swiftpg.lab problem, got {type(problem).__name__}")
    if not isinstance(policy, Policy):
        raise DTypeError(f"policy must be a swiftpg policy, got {type(policy).__name__}")
    if isinstance(estimators, (str, Estimator)):
        estimators = [estimators]
    if not isinstance(estimators, (list, tuple)):
        raise DTypeError(f"estimators must be a list of Estimator or kind strings, got {type(estimators).__name__}")
    specs = [Estimator(e) if isinstance(e, str) else e for e in estimators]
    if not specs or not all(isinstance(e, Estimator) for e in specs):
        raise InvalidArgumentError("estimators must be a non-empty list of Estimator or kind strings")
    K = as_count(estimates, "estimates", 2, 1 << 24)
    m = as_count(episodes, "episodes (>= 2: baselines leave one episode out)", 2, 1 << 24)
    seed = as_seed(seed)
    if K * m > 1 << 24:
        raise InvalidArgumentError(f"estimates × episodes = {K * m} episodes, more than the {1 << 24} one batch "
                                   "may hold")
    keep_samples = as_bool(keep_samples, "keep_samples")
    needs_states = any(e.kind == "value" for e in specs)
    if needs_states and problem.num_states is None:
        raise InvalidArgumentError(f"value-critic estimators need a finite problem, not {problem}")
    exact = problem.exact(policy)
    g_exact = np.asarray(exact["gradient"], float)
    rows, samples, shared, shared_time = [], {}, None, 0.0
    for i, e in enumerate(specs):
        start = time.perf_counter()
        steps = 0
        if e.kind in ("finite_difference", "regression"):
            grads, steps = _zeroth_order(problem, policy, e, K, m, seed + 7919 * (i + 1))
        else:
            if shared is None:
                t0 = time.perf_counter()
                batch = collect(problem, policy, K * m, seed, states=needs_states)
                shared = _Samples(problem, policy, batch, K, m)
                shared_time = time.perf_counter() - t0
                start = time.perf_counter()
            critic = None
            if e.kind == "value":
                if e.critic == "exact":
                    critic = np.asarray(exact["values"], float)
                else:
                    critic, steps = _fit_critic(problem, policy, e, (seed + 104729 * (i + 1)) % 2**64)
            grads = _likelihood_ratio(shared, e, critic)
            steps += shared.batch.env_steps
        seconds = time.perf_counter() - start + (shared_time if e.kind not in ("finite_difference", "regression")
                                                 else 0.0)
        rows.append(_summary(e.name, grads, g_exact, steps, seconds))
        if keep_samples:
            samples[e.name] = grads
    return Report(rows, float(exact["objective"]), g_exact, str(problem), m, K, seed, samples)


# ---------------------------------------------------------------------------------- the sequence page

# The methods of the sequence page: the online learners of swiftpg.rlhf.
_METHODS = ("reinforce", "rloo", "remax", "grpo", "rebel", "ppo")
# Arguments the lab sets itself (or through a field of SequenceEstimator).
_LAB_SET = {"policy", "reference", "task", "reward_model", "proxy_features", "beta", "samples_per_prompt", "seed",
            "prompts_per_iteration", "temperature", "baseline", "scaling", "aggregation"}
# Learner options that cannot change a first-step gradient estimate on given samples (the
# missing-EOS penalty applies to the learner's own samples only; the rest shape later steps).
_NO_EFFECT = {"missing_eos_penalty", "learning_rate", "epochs", "clip_range", "minibatch_size", "value_clip_range",
              "value_learning_rate"}


def _learner_class(method: str):
    from . import rlhf
    return {"reinforce": rlhf.REINFORCE, "rloo": rlhf.RLOO, "remax": rlhf.ReMax, "grpo": rlhf.GRPO,
            "rebel": rlhf.REBEL, "ppo": rlhf.PPO}[method]


def _default_samples_per_prompt(method: str) -> int:
    """The library's default k of ``method`` (its default wire config)."""
    from ._rlhf_online import ALGORITHMS
    c = _lib.RLHFConfigC()
    _lib.call("rlhf_default_config", ALGORITHMS[method], ctypes.byref(c))
    return int(c.samples_per_prompt)


@dataclass
class SequenceEstimator:
    """One sequence-level gradient estimator of :func:`sequence_run`: the
    first-step ascent direction of an online learner of
    :mod:`swiftpg.rlhf` (``learner.gradient_estimate``).

    ``method``: "reinforce", "rloo", "remax", "grpo", "rebel" or "ppo".
    ``samples_per_prompt`` k (None: the learner's default — 1 for
    REINFORCE, ReMax and PPO, 4 for RLOO and GRPO, 2 for REBEL, which
    takes only 2). ``baseline`` (REINFORCE only; None: "none"): "none" or
    "moving_average", the latter warmed by ``warmup`` updates on
    independent batches at the current parameters (restored after each)
    and then held: b is independent of the estimate's samples.
    ``scaling`` (GRPO only; None: "group"): "group", "batch" or "none";
    ``aggregation`` (GRPO only; None: "sequence"): "sequence" or "token".
    ``options``: a dict (None: {}) of further keyword arguments of the learner's constructor
    (e.g. ``{"baseline_decay": 0.8}``, ``{"eta": 0.5}``, ``{"epsilon":
    1e-6}``, PPO's ``whiten_advantages``), not those the lab sets (policy,
    reference, task, beta, k, seed, baseline, scaling, aggregation) nor those
    that cannot change a first-step estimate on given samples
    (missing_eos_penalty, learning_rate, epochs, clip ranges, minibatch_size,
    value_learning_rate): InvalidArgumentError.
    ``name`` (None: from the settings, e.g. "RLOO (k=4)")."""
    method: str
    samples_per_prompt: int | None = None
    baseline: str | None = None
    scaling: str | None = None
    aggregation: str | None = None
    warmup: int = 50
    options: dict | None = None
    name: str | None = None

    def __post_init__(self):
        if not isinstance(self.method, str) or self.method not in _METHODS:
            raise InvalidArgumentError(f"method must be one of {_METHODS}, got {self.method!r}")
        own = {"baseline": ("reinforce", ("none", "moving_average")),
               "scaling": ("grpo", ("group", "batch", "none")),
               "aggregation": ("grpo", ("sequence", "token"))}
        for key, (method, choices) in own.items():
            value = getattr(self, key)
            if value is None:
                if self.method == method:
                    setattr(self, key, choices[0])
                continue
            if self.method != method:
                raise InvalidArgumentError(f"{key} applies to {method}, not {self.method}")
            if not isinstance(value, str) or value not in choices:
                raise InvalidArgumentError(f"{key} must be one of {choices}, got {value!r}")
        default_k = _default_samples_per_prompt(self.method)
        k = default_k if self.samples_per_prompt is None else as_count(self.samples_per_prompt,
                                                                        "samples_per_prompt", 1, 4096)
        if self.method == "rebel" and k != 2:
            raise InvalidArgumentError(f"REBEL takes k = 2 samples per prompt, got {k}")
        if self.method in ("rloo", "grpo") and k < 2:
            raise InvalidArgumentError(f"{self.method} needs k >= 2 samples per prompt, got {k}")
        self.samples_per_prompt = k
        self.warmup = as_count(self.warmup, "warmup", 0, 1 << 20)
        if self.options is None:
            self.options = {}
        if not isinstance(self.options, dict):
            raise DTypeError(f"options must be a dict of learner arguments, got {type(self.options).__name__}")
        allowed = set(inspect.signature(_learner_class(self.method).__init__).parameters) - _LAB_SET - {"self"}
        for key in self.options:
            if key in _NO_EFFECT and key in allowed:
                raise InvalidArgumentError(f"option {key!r} does not change {self.method}'s gradient estimate on "
                                           "given samples (it applies to the learner's own samples or later steps)")
            if key not in allowed:
                raise InvalidArgumentError(f"option {key!r} is not one {self.method} takes here; options: "
                                           f"{', '.join(sorted(allowed)) or 'none'}")
        if self.name is not None and not isinstance(self.name, str):
            raise DTypeError(f"name must be a str or None, got {self.name!r}")
        if self.name is None:
            self.name = self._default_name()

    def _default_name(self) -> str:
        k, m = self.samples_per_prompt, self.method
        assert k is not None                           # set by __post_init__
        if m == "reinforce":
            base = "REINFORCE" + (" + moving-average baseline" if self.baseline == "moving_average" else "")
            return base + (f" (k={k})" if k > 1 else "")
        if m == "rloo":
            return f"RLOO (k={k})"
        if m == "remax":
            return "ReMax" + (f" (k={k})" if k > 1 else "")
        if m == "grpo":
            assert self.scaling is not None            # set by __post_init__ for GRPO
            scale = {"group": "group std", "batch": "batch std", "none": "no std"}[self.scaling]
            return f"GRPO (k={k}, {scale}" + (", token mean)" if self.aggregation == "token" else ")")
        if m == "rebel":
            return "REBEL ÷ 4η"
        return "PPO (token-level)"

    def _arguments(self, beta: float, seed: int) -> dict:
        kw = dict(self.options or {}, beta=beta, seed=seed)  # options: {} after __post_init__
        if self.method != "rebel":
            kw["samples_per_prompt"] = self.samples_per_prompt
        for key in ("baseline", "scaling", "aggregation"):
            if getattr(self, key) is not None:
                kw[key] = getattr(self, key)
        return kw


@dataclass
class SequenceReport(Report):
    """The sequence page's result (a :class:`Report`): ``rows`` (one dict
    per estimator), the exact objective J and gradient ∇J, ``problem``
    (the task and β), ``episodes`` = N responses per estimate,
    ``estimates`` K, ``seed``, ``beta``. ``str(report)`` is the table;
    :meth:`plot` draws bias and spread."""
    beta: float = 0.0

    @property
    def responses_per_estimate(self) -> int:
        """N, the responses of one estimate (= ``episodes``: a response is an episode)."""
        return self.episodes

    _columns = (("|bias|", "bias_norm", 9, ".4g"), ("max|z|", "max_abs_z", 7, ".2f"), ("scale", "scale", 6, ".3f"),
                ("dir|z|", "max_abs_z_direction", 7, ".2f"), ("tr Cov", "total_variance", 10, ".4g"),
                ("MSE", "mse", 10, ".4g"), ("cos", "cosine", 6, ".3f"), ("decodes", "decodes", 7, "d"),
                ("s", "seconds", 6, ".2f"))

    def __str__(self) -> str:
        head = (f"{self.problem}: J = {self.exact_objective:.6g}, |∇J| = {np.linalg.norm(self.exact_gradient):.4g}; "
                f"K = {self.estimates} estimates from N = {self.episodes} responses each (seed {self.seed})")
        return self._table(head, max([len(r["name"]) for r in self.rows] + [9]))

    def plot(self, ax=None):
        """Bar chart of total variance with |bias|² stacked (needs matplotlib)."""
        ax = super().plot(ax)
        ax.set_xlabel(f"per-estimate MSE decomposition (N = {self.episodes} responses)")
        return ax


# The sequence page's runner (issue 16) lives in its own file; its name is this module's.
from ._lab_sequences import sequence_run  # noqa: E402
