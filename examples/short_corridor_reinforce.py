"""Sutton & Barto (2018) Figures 13.1 and 13.2 with swiftpg's REINFORCE on
the short corridor with switched actions (ShortCorridor-v0, Example 13.1).

Figure 13.1: REINFORCE, α = 2⁻¹², 2⁻¹³, 2⁻¹⁴. Figure 13.2: REINFORCE with a
learned baseline (α_θ = 2⁻⁹, α_w = 2⁻⁶) against REINFORCE at α = 2⁻¹³.
Total reward per episode averaged over 100 runs of 1000 episodes; the dashed
line is v*(S1) = −(6 + 4√2) ≈ −11.66.

How the book's setting maps onto swiftpg:
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
- θ₀ = [−1.47, 1.47] (π(right) ≈ 0.05; the book does not state θ₀, this is
  the reference code's choice, REFERENCE.md §3), w₀ = 0.
- The book updates θ after every step inside the episode; swiftpg sums the
  episode's terms at the θ the episode was played with. With these step
  sizes the difference is negligible.

    python examples/short_corridor_reinforce.py [--runs 100] [--episodes 1000] [--out out/short_corridor.png]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--out", default="out/short_corridor.png")
    parser.add_argument("--fast", action="store_true", help="3 runs of 100 episodes (a smoke test)")
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
        curves[label] = np.mean([run(alpha, args.episodes, seed, alpha_w) for seed in range(args.runs)], axis=0)
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
