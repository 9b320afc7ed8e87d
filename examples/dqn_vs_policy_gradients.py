"""What DQN optimises, what a policy gradient optimises — the recap the
REINFORCE lecture opens with, in two parts.

Part 1, Baird's counterexample (Baird 1995; Sutton & Barto 2018, Example
11.1 and Figure 11.2). Seven states, all rewards 0 (so v = 0, represented
exactly by w = 0), γ = 0.99, linear features x(i) = 2eᵢ + e₈ (i = 1…6),
x(7) = e₇ + 2e₈, w₀ = (1, 1, 1, 1, 1, 1, 10, 1). The target policy always
takes "solid" (to state 7); the behaviour policy takes "dashed" with
probability 6/7, which makes its state distribution uniform. The expected
semi-gradient TD(0) update

    w ← w + α Σ_s μ(s) (γ v̂(7) − v̂(s)) x(s)

*diverges* when μ is the behaviour policy's (uniform) distribution —
function approximation, bootstrapping and off-policy data together, the
"deadly triad" (S&B §11.3) — and *converges* when the very same update uses
the target policy's own (on-policy) distribution, all on state 7. This is
the update DQN's loss descends (with a neural network, a replay buffer of
old behaviour and a max in the target), so nothing guarantees convergence;
the target network and the replay buffer are the engineering that usually
keeps it stable. The arithmetic here is the same as
``Sources/SwiftPG/Exact/BairdCounterexample.swift`` (whose Swift tests
check both outcomes), written out in numpy.

Part 2, CartPole-v1. DQN (Mnih et al. 2015; swiftpg.algorithms.DQN at
rl-baselines3-zoo's settings) minimises the TD error of Q(s, a) towards
r + γ max Q̃(s′, ·) — a regression loss — and acts greedily in whatever it
fitted; the return J is never its objective, so the greedy policy's return
can fall while the loss falls. A policy gradient (REINFORCE, PPO) ascends an
estimate of ∇J(θ) = E[Σ_t ∇ log π(a_t|s_t) Â_t] itself. The script trains
both and prints, per stage, DQN's loss and mean Q next to the greedy
return, then the policy-gradient learners' returns.

    python examples/dqn_vs_policy_gradients.py [--fast]
"""

from __future__ import annotations

import argparse

import numpy as np

import swiftpg
from swiftpg.algorithms import DQN, PPO, REINFORCE, DQNConfig, PPOConfig, ReinforceConfig
from swiftpg.cli import PRESETS

GAMMA = 0.99
W0 = np.array([1, 1, 1, 1, 1, 1, 10, 1], dtype=float)


def baird_features() -> np.ndarray:
    """X[s] = x(s) for the seven states (rows), eight features."""
    x = np.zeros((7, 8))
    for i in range(6):
        x[i, i], x[i, 7] = 2.0, 1.0
    x[6, 6], x[6, 7] = 1.0, 2.0
    return x


def expected_td(mu: np.ndarray, alpha: float, sweeps: int) -> np.ndarray:
    """√VE_μ = √(Σ_s μ(s) v̂(s)²) (the true values are 0) after each
    expected semi-gradient TD(0) sweep under the state distribution ``mu``
    (S&B Figure 11.2, right: every reward 0 and the target policy always
    goes to state 7, so E_π[R + γ v̂(S′)] = γ v̂(7))."""
    x = baird_features()
    w = W0.copy()
    errors = np.empty(sweeps + 1)
    errors[0] = np.sqrt(mu @ (x @ w) ** 2)
    for k in range(sweeps):
        v = x @ w
        delta = GAMMA * v[6] - v                     # TD error of each state
        w = w + alpha * (mu * delta) @ x
        errors[k + 1] = np.sqrt(mu @ (x @ w) ** 2)
    return errors


def part1(sweeps: int, alpha: float = 0.1) -> None:
    print(f"Part 1 — Baird's counterexample, expected semi-gradient TD(0), α = {alpha}, γ = {GAMMA}")
    print("  value error √VE_μ = √(Σ_s μ(s) v̂(s)²) under the distribution μ the update uses (true v = 0)")
    behaviour = np.full(7, 1 / 7)                    # off-policy: b's state distribution
    target = np.eye(7)[6]                            # on-policy: π's (all on state 7)
    off, on = expected_td(behaviour, alpha, sweeps), expected_td(target, alpha, sweeps)
    for k in sorted({0, 10, sweeps // 10, sweeps // 2, sweeps}):
        print(f"  sweep {k:5d}:  off-policy (μ = b's) {off[k]:12.4g}   on-policy (μ = π's) {on[k]:10.4g}")
    print(f"  off-policy the error grew {off[-1] / off[0]:.3g}-fold (diverges); on-policy it fell to "
          f"{on[-1] / on[0]:.2g} of its start (converges to the true value)")
    assert off[-1] > 10 * off[0] and on[-1] < 0.1 * on[0], "Baird's example did not show what it claims"


def part2(fast: bool, seed: int) -> None:
    print("\nPart 2 — CartPole-v1: DQN's regression loss vs the return it gets")
    preset = PRESETS[("dqn", "CartPole-v1")]
    config = DQNConfig(seed=seed, hidden_sizes=preset["policy"]["hidden_sizes"]).replace(**preset["config"])
    if fast:
        config = config.replace(total_env_steps=8000, hidden_sizes=(32, 32), train_freq=64, gradient_steps=64,
                                learning_starts=500, exploration_fraction=0.3, target_update_interval=100)
    stages = 8
    with DQN("CartPole-v1", config) as dqn:
        print(f"  DQN ({config.total_env_steps} steps): loss = mean Huber(Q(s,a) − r − γ max Q̃(s′,·)) over the "
              "stage's gradient steps")
        print(f"  {'env steps':>9} {'TD loss':>8} {'mean Q':>7} {'greedy return':>13}")
        for stage in range(1, stages + 1):
            history = dqn.train(config.total_env_steps * stage // stages)
            trained = [s for s in history if s.gradient_steps > 0]
            loss = np.mean([s.loss for s in trained]) if trained else float("nan")
            q = np.mean([s.mean_q for s in trained]) if trained else float("nan")
            returns, _ = dqn.evaluate(episodes=10, seed=seed + 77)
            print(f"  {dqn.total_env_steps:9d} {loss:8.3f} {q:7.2f} {returns.mean():13.1f}")
        print(f"  Q of a 500-step episode is at most Σ γ^t = {(1 - GAMMA ** 500) / (1 - GAMMA):.1f}; the loss "
              "measures the fit of Q, not the return of its greedy policy.")
    print("\n  Policy gradients ascend J(θ) itself:")
    budgets = dict(reinforce=20_000 if fast else 200_000, ppo=20_000 if fast else 100_000)
    ppo_preset = PRESETS[("ppo", "CartPole-v1")]
    learners = [
        ("REINFORCE", REINFORCE("CartPole-v1", config=ReinforceConfig(seed=seed), num_envs=8), budgets["reinforce"]),
        ("PPO", PPO("CartPole-v1", config=PPOConfig(seed=seed, total_env_steps=budgets["ppo"]).replace(
            **ppo_preset["config"]), num_envs=ppo_preset["num_envs"]), budgets["ppo"]),
    ]
    for name, learner, budget in learners:
        with learner:
            history = learner.train(budget)
            returns, _ = learner.evaluate(episodes=10, seed=seed + 77)
            last = [r for s in history[-10:] for r in s.episode_returns]
            print(f"  {name:9s} {learner.total_env_steps:7d} steps: training episodes' mean return (last 10 "
                  f"iterations) {np.mean(last):6.1f}, greedy return {returns.mean():6.1f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="small budgets (the tests run this)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"swiftpg {swiftpg.__version__}")
    part1(1000)
    part2(args.fast, args.seed)


if __name__ == "__main__":
    main()
