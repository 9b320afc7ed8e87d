"""Sutton & Barto (2018) Figures 13.1 and 13.2 with swiftpg's REINFORCE on
the short corridor with switched actions (ShortCorridor-v0, Example 13.1).

Figure 13.1: REINFORCE, α = 2⁻¹², 2⁻¹³, 2⁻¹⁴. Figure 13.2: REINFORCE with a
learned baseline (α_θ = 2⁻⁹, α_w = 2⁻⁶) against REINFORCE at α = 2⁻¹³.
Total reward per episode averaged over 100 runs of 1000 episodes; the dashed
line is v*(S1) = −(6 + 4√2) ≈ −11.66.

By default the script runs the book's algorithm exactly (`run_per_step`): an
episode is played with θ fixed on a swiftpg ShortCorridor-v0 batch (one lane
per run), then θ (and the baseline w) are updated step by step, ∇ln π taken
at the θ of each step; θ₀ = [−1.47, 1.47] (π(right) ≈ 0.05; not stated in
the book, REFERENCE.md §3) and, as in the reference code, π(right) is kept
within [0.05, 0.95] so that no run becomes deterministic. Without that floor
2 of 100 runs with the baseline (α_θ = 2⁻⁹) collapse to "always left", their
episodes hit the 1000-step cap and the 100-run mean ends near −22 instead of
−11.7 (measured).

`--learner` uses swiftpg's REINFORCE learner instead:
- x(s, right) = [1, 0], x(s, left) = [0, 1] in every state: the env observes
  the constant 1 and the policy is a linear softmax over it, logits
  W·1 + b. W and b receive the same gradient, so the effective step on the
  preferences θ = W + b is 2α: the learning rate passed is α/2 (the same for
  the baseline v̂ = w·1 + c with α_w/2).
- one episode per iteration, weights γᵗG_t with γ = 1, SGD, the gradient
  summed over the episode's steps (``episode_average=True``), no scaling.
- the baseline's update averages (w − G_t) over the episode's steps instead of
  summing per-step updates (a sum at fixed w multiplies the step by the
  episode length and diverges), so α_w acts per episode, not per step.
- θ is updated once per episode at the θ the episode was played with and
  has no probability floor: the REINFORCE curves match the book (Figure
  13.1), but with the baseline 2 of 100 runs collapse (last-100 mean −31.8;
  the first 20 runs alone give −11.81).

    python examples/short_corridor_reinforce.py [--runs 100] [--episodes 1000] [--out out/short_corridor.png] [--learner]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import swiftpg
from swiftpg.algorithms import REINFORCE, ReinforceConfig
from swiftpg.policies import SoftmaxPolicy, ValueFunction

V_STAR = -(6 + 4 * math.sqrt(2))


def run(alpha: float, episodes: int, seed: int, alpha_w: float | None = None) -> np.ndarray:
    policy = SoftmaxPolicy(1, 2, hidden_sizes=(), seed=seed)
    policy.set_params(np.array([-1.47, 1.47, 0.0, 0.0]))
    value = None
    config = ReinforceConfig(steps_per_iteration=1, weighting="discounted_reward_to_go", gamma=1.0,
                             baseline="none", normalize_advantages=False, optimizer="sgd",
                             learning_rate=alpha / 2, max_grad_norm=0.0, episode_average=True, seed=seed)
    if alpha_w is not None:
        value = ValueFunction(1, hidden_sizes=(), seed=seed)
        value.set_params(np.zeros(2))
        config = config.replace(baseline="value", value_learning_rate=alpha_w / 2, value_epochs=1)
    with REINFORCE("ShortCorridor-v0", policy=policy, value=value, config=config, num_envs=1) as learner:
        return np.array([learner.iterate().mean_return for _ in range(episodes)])


def clamped_right(theta: np.ndarray, floor: float) -> np.ndarray:
    """π(right) = σ(θ_R − θ_L), kept within [floor, 1 − floor] (the reference
    code's ε = 0.05: the policy never becomes deterministic, so every episode
    ends; 0 disables it)."""
    p = 1 / (1 + np.exp(theta[..., 1] - theta[..., 0]))
    return np.clip(p, floor, 1 - floor)


def run_per_step(alpha: float, episodes: int, runs: int, seed: int, alpha_w: float | None = None,
                 floor: float = 0.05) -> np.ndarray:
    """The book's algorithm exactly (Sutton & Barto p. 328/330): each run plays
    an episode with θ fixed, then for t = 0…T−1 updates θ (and w) step by
    step, ∇ln π evaluated at the θ of that step. All runs advance together
    as lanes of one swiftpg ShortCorridor-v0 batch (its dynamics and 1000-step
    cap); actions are sampled here from π(right) = σ(θ_R − θ_L).
    Returns the mean total reward per episode over the runs, [episodes]."""
    rng = np.random.default_rng(seed)
    theta = np.tile([-1.47, 1.47], (runs, 1))
    w = np.zeros(runs)
    totals = np.zeros((runs, episodes))
    done = np.zeros(runs, int)                      # episodes finished per run
    actions: list[list[int]] = [[] for _ in range(runs)]
    env = swiftpg.VectorEnv("ShortCorridor-v0", runs, seed=seed)
    try:
        env.reset(seed=seed)
        while done.min() < episodes:
            p = clamped_right(theta, floor)
            a = np.where(rng.random(runs) < p, 0, 1).astype(np.int32)    # 0 = right
            _, _, terminated, truncated, _ = env.step(a)
            for i in np.nonzero(done < episodes)[0]:
                actions[i].append(int(a[i]))
                if not (terminated[i] or truncated[i]):
                    continue
                T = len(actions[i])
                totals[i, done[i]] = -T                  # reward −1 per step
                for t, at in enumerate(actions[i]):      # γ = 1: G_t = −(T − t)
                    delta = -(T - t)
                    if alpha_w is not None:
                        delta -= w[i]
                        w[i] += alpha_w * delta          # ∇v̂ = 1 (one feature)
                    pr = clamped_right(theta[i], floor)
                    score = np.array([1 - pr, -(1 - pr)]) if at == 0 else np.array([-pr, pr])
                    theta[i] += alpha * delta * score
                actions[i] = []
                done[i] += 1
    finally:
        env.close()
    return totals.mean(axis=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--out", default="out/short_corridor.png")
    parser.add_argument("--fast", action="store_true", help="3 runs of 100 episodes (a smoke test)")
    parser.add_argument("--learner", action="store_true",
                        help="use swiftpg's REINFORCE learner (θ updated once per episode) instead of the book's "
                             "per-step updates")
    args = parser.parse_args()
    if args.fast:
        args.runs, args.episodes = 3, 100
    settings = {
        "REINFORCE α=2⁻¹²": (2**-12, None),
        "REINFORCE α=2⁻¹³": (2**-13, None),
        "REINFORCE α=2⁻¹⁴": (2**-14, None),
        "with baseline α_θ=2⁻⁹, α_w=2⁻⁶": (2**-9, 2**-6),
    }
    curves = {}
    for label, (alpha, alpha_w) in settings.items():
        start = time.perf_counter()
        if args.learner:
            curves[label] = np.mean([run(alpha, args.episodes, seed, alpha_w) for seed in range(args.runs)], axis=0)
        else:
            curves[label] = run_per_step(alpha, args.episodes, args.runs, 0, alpha_w)
        c = curves[label]
        print(f"{label}: first 10 episodes {c[:10].mean():7.2f}, last 100 {c[-100:].mean():7.2f} "
              f"(v* = {V_STAR:.2f}), {time.perf_counter() - start:.1f} s")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for label in list(settings)[:3]:
        axes[0].plot(curves[label], label=label)
    axes[0].set_title("Figure 13.1: REINFORCE")
    for label in ("REINFORCE α=2⁻¹³", "with baseline α_θ=2⁻⁹, α_w=2⁻⁶"):
        axes[1].plot(curves[label], label=label)
    axes[1].set_title("Figure 13.2: REINFORCE with baseline")
    for ax in axes:
        ax.axhline(V_STAR, ls="--", c="k", lw=1, label="v*(S1)")
        ax.set_xlabel("episode")
        ax.set_ylim(-90, -10)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
    axes[0].set_ylabel(f"total reward per episode (mean of {args.runs} runs)")
    fig.tight_layout()
    import os

    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
