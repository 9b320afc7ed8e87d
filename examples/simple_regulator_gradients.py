"""Kochenderfer, Wheeler & Wray (2022) Figure 11.3 with swiftpg: gradient
ascent on the simple regulator with the likelihood-ratio, reward-to-go and
baseline-subtraction gradient estimates (Algorithms 11.4–11.6).

Settings of the figure's caption: every gradient estimate uses m = 6
rollouts of depth d = 10, the gradient is scaled to norm ≤ 1
(``scale_gradient(∇, 1)``, Alg. 12.2) and the step is θ ← θ + 0.2∇
(Alg. 12.1). γ = 1, the problem's default.

The book's policy is π_θ(a|s) = N(θ₁ s, σ²) with σ = |θ₂| + 1e−5
(DecisionMakingProblems.jl, REFERENCE.md §2). swiftpg runs it as
``GaussianPolicy(1, 1, hidden_sizes=())`` with parameters (w, b, log σ) =
(θ₁, 0, log(|θ₂| + 1e−5)); the rollouts are stepped by the Swift
``SimpleRegulator-v0``, the per-step scores come from the Swift policy and the
chain rule ∂/∂θ₂ = sign(θ₂)/σ · ∂/∂log σ maps them to the book's
coordinates (the book's own ∇log π uses σ = θ₂, i.e. without the 1e−5).
The weights are swiftpg estimators:

- likelihood ratio (Alg. 11.4): every step weighted by the episode's return
  R(τ) (``episode_returns``);
- reward-to-go (Alg. 11.5): γ^k times the reward-to-go
  (``discounted_reward_to_go``);
- baseline subtraction (Alg. 11.6): the per-parameter optimal baseline
  r_base,i = E[ℓ_i² G]/E[ℓ_i²] with ℓ_i(k) = γ^k ∂log π/∂θ_i, computed as in the
  book's code as a mean of per-trajectory ratios (``optimal_baseline(...,
  per_trajectory=True)``), from the same 6 rollouts.

The book does not give the initial parameterisation (REFERENCE.md §2.3);
θ₀ = (0, 1) is the default here (``--theta0``), U(θ₀) = −46.45. The expected
return U(θ) is exact (``swiftpg.lab.simple_regulator().exact``): the
background contours and the learning curves use it, not sampled returns.
The optimum is θ = (−1, 0) with U = −0.19.

Writes the parameter trajectories (CSV: method, seed, iteration, θ₁, θ₂,
U(θ)) and a figure (trajectories over the contours of U for the first seed;
U(θ_k) against k, median and quartiles over seeds). U ignores the
environment's ±10 state truncation, negligible near the optimum but not for
the runaway parameters the high-variance likelihood-ratio estimate sometimes
reaches (it then overstates how bad they are).

    python examples/simple_regulator_gradients.py [--iterations 40] [--seeds 10] [--out out/simple_regulator.png]
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import time

import numpy as np

from swiftpg import estimators as est
from swiftpg import lab
from swiftpg.policies import GaussianPolicy

METHODS = ("likelihood ratio", "reward-to-go", "baseline subtraction")
SIGMA_FLOOR = 1e-5


class BookPolicy:
    """π_θ(a|s) = N(θ₁ s, (|θ₂| + 1e−5)²) on top of a Swift GaussianPolicy."""

    def __init__(self, seed: int):
        self.policy = GaussianPolicy(1, 1, hidden_sizes=(), seed=seed)

    def set(self, theta) -> None:
        self.policy.set_params(np.array([theta[0], 0.0, math.log(abs(theta[1]) + SIGMA_FLOOR)]))

    def book_scores(self, theta, observations, actions) -> np.ndarray:
        """Per-step ∇_θ log π in (θ₁, θ₂): [M, 2]."""
        s = self.policy.score_vectors(observations, actions)          # (w, b, log σ)
        sigma = abs(theta[1]) + SIGMA_FLOOR
        return np.column_stack([s[:, 0], s[:, 2] * math.copysign(1.0, theta[1]) / sigma])


def estimate(method: str, problem, book: BookPolicy, theta, rollouts: int, seed: int) -> np.ndarray:
    """One gradient estimate at θ from `rollouts` fresh rollouts."""
    book.set(theta)
    batch = lab.collect(problem, book.policy, rollouts, seed)
    t, col = np.nonzero(batch.mask)
    scores = book.book_scores(theta, batch.observations[t, col], batch.actions[t, col])
    r, te, tr, gamma = batch.rewards, batch.terminated, batch.truncated, problem.gamma
    if method == "likelihood ratio":
        weights = est.episode_returns(r, te, tr, gamma)[t, col]
    elif method == "reward-to-go":
        weights = est.discounted_reward_to_go(r, te, tr, gamma)[t, col]
    else:
        ell = scores * (gamma ** t.astype(float))[:, None]
        go = est.discounted_returns(r, te, tr, gamma)[t, col]
        _, gradient = est.optimal_baseline(ell, go, col, per_trajectory=True)
        return gradient
    return (scores * weights[:, None]).sum(axis=0) / rollouts


def ascend(method: str, problem, theta0, iterations: int, rollouts: int, max_norm: float, step: float,
           seed: int) -> np.ndarray:
    """θ_0 … θ_iterations of θ ← θ + step · scale_gradient(∇̂U(θ), max_norm)."""
    book = BookPolicy(seed)
    thetas = [np.array(theta0, float)]
    for k in range(iterations):
        g = estimate(method, problem, book, thetas[-1], rollouts, seed=1_000 * seed + k)
        g, _ = est.scale_gradient(g, max_norm)
        thetas.append(thetas[-1] + step * g)
    return np.array(thetas)


def exact_utility(problem, theta) -> float:
    book = BookPolicy(0)
    book.set(theta)
    return problem.exact(book.policy)["objective"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rollouts", type=int, default=6, help="m, rollouts per gradient estimate")
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--max-norm", type=float, default=1.0)
    parser.add_argument("--step", type=float, default=0.2)
    parser.add_argument("--theta0", type=float, nargs=2, default=(0.0, 1.0))
    parser.add_argument("--out", default="out/simple_regulator.png")
    parser.add_argument("--fast", action="store_true", help="2 seeds of 10 iterations (a smoke test)")
    args = parser.parse_args()
    if args.fast:
        args.seeds, args.iterations = 2, 10
    problem = lab.simple_regulator(depth=args.depth)

    trajectories, utilities = {}, {}
    for method in METHODS:
        start = time.perf_counter()
        runs = [ascend(method, problem, args.theta0, args.iterations, args.rollouts, args.max_norm, args.step, s)
                for s in range(args.seeds)]
        trajectories[method] = np.array(runs)                               # [seeds, K+1, 2]
        utilities[method] = np.array([[exact_utility(problem, th) for th in run] for run in runs])
        u = utilities[method]
        print(f"{method:21s}: U(θ_0) {u[0, 0]:8.3f} → U(θ_{args.iterations}) median {np.median(u[:, -1]):7.3f} "
              f"(best {u[:, -1].max():.3f}, worst {u[:, -1].min():.4g}) over {args.seeds} seeds; "
              f"final θ (seed 0) = ({runs[0][-1][0]:+.3f}, {runs[0][-1][1]:+.3f}); "
              f"{time.perf_counter() - start:.2f} s")
    print(f"optimum: θ = (−1, 0), U = {exact_utility(problem, (-1.0, 0.0)):.3f}")

    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    table = os.path.splitext(args.out)[0] + ".csv"
    with open(table, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["method", "seed", "iteration", "theta1", "theta2", "U"])
        for method in METHODS:
            for s, run in enumerate(trajectories[method]):
                for k, (t1, t2) in enumerate(run):
                    w.writerow([method, s, k, f"{t1:.6f}", f"{t2:.6f}", f"{utilities[method][s, k]:.6f}"])
    print(f"wrote {table}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ay) = plt.subplots(1, 2, figsize=(12, 4.8))
    all_t = np.concatenate([trajectories[m][0] for m in METHODS])
    lo1, hi1 = min(all_t[:, 0].min(), -1.2) - 0.2, max(all_t[:, 0].max(), 0.2) + 0.2
    hi2 = max(np.abs(all_t[:, 1]).max(), 1.0) + 0.2
    g1, g2 = np.meshgrid(np.linspace(lo1, hi1, 121), np.linspace(-0.2, hi2, 101))
    U = np.vectorize(lambda a, b: exact_utility(problem, (a, b)))(g1, g2)
    levels = -np.geomspace(0.19, max(-U.min(), 1.0), 14)[::-1]
    ax.contour(g1, g2, U, levels=levels, colors="0.75", linewidths=0.8)
    for method in METHODS:
        run = trajectories[method][0]
        ax.plot(run[:, 0], run[:, 1], marker=".", ms=3, lw=1.2, label=method)
    ax.plot([-1], [0], "k*", ms=12, label="optimum θ = (−1, 0)")
    ax.plot([args.theta0[0]], [args.theta0[1]], "ko", ms=5)
    ax.set_xlabel("θ₁")
    ax.set_ylabel("θ₂")
    ax.set_title(f"parameter trajectories (seed 0), m = {args.rollouts}, d = {args.depth}")
    ax.legend(fontsize=8)
    ks = np.arange(args.iterations + 1)
    for method in METHODS:
        u = utilities[method]
        ay.plot(ks, np.median(u, axis=0), label=method)
        ay.fill_between(ks, np.quantile(u, 0.25, axis=0), np.quantile(u, 0.75, axis=0), alpha=0.15)
    ay.axhline(exact_utility(problem, (-1.0, 0.0)), ls="--", c="k", lw=1, label="optimum")
    ay.set_yscale("symlog", linthresh=1.0)
    ay.set_xlabel("iteration")
    ay.set_ylabel("exact expected return U(θ)")
    ay.set_title(f"‖∇‖ ≤ {args.max_norm:g}, step {args.step:g}; median and quartiles of {args.seeds} seeds")
    ay.legend(fontsize=8)
    ay.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
