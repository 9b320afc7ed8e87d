"""DQN vs REINFORCE vs PPO on CartPole-v1, side by side over 5 seeds
(issue 19): the value-based learner at rl-baselines3-zoo's DQN settings
(50 000 steps), REINFORCE at swiftpg's defaults (8 envs, up to 500 000
steps) and PPO at the zoo's settings (8 envs, 100 000 steps), all greedy
evaluation.

Protocol (rl-zoo's EvalCallback with save_best, evaluated often): after
every iteration once ``--eval-freq`` more env steps were taken (default
256: every DQN and PPO iteration) the greedy policy is evaluated on
``--eval-episodes`` (10) fresh episodes and the learner is saved when the
mean is the best so far. Reported per run: the env steps and the training
wall time (evaluation excluded) at which an evaluation first reached 475
("to solve"; – if never), the final network's and the best checkpoint's
greedy mean return over 100 new episodes, and whether each is >= 475.
Training runs the whole budget (no early stop), so final and best differ.

    python bench/dqn_vs_pg_cartpole.py [--seeds 0 1 2 3 4] [--algos dqn reinforce ppo]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

SOLVED = 475.0


def make(algo: str, seed: int):
    from swiftpg.algorithms import DQN, PPO, REINFORCE, DQNConfig, PPOConfig, ReinforceConfig
    from swiftpg.cli import PRESETS

    if algo == "dqn":
        preset = PRESETS[("dqn", "CartPole-v1")]
        config = DQNConfig(seed=seed, hidden_sizes=preset["policy"]["hidden_sizes"]).replace(**preset["config"])
        return DQN("CartPole-v1", config, num_envs=preset["num_envs"]), preset["steps"], DQN.load
    if algo == "ppo":
        preset = PRESETS[("ppo", "CartPole-v1")]
        config = PPOConfig(seed=seed, total_env_steps=preset["steps"]).replace(**preset["config"])
        return PPO("CartPole-v1", config=config, num_envs=preset["num_envs"]), preset["steps"], PPO.load
    return REINFORCE("CartPole-v1", config=ReinforceConfig(seed=seed), num_envs=8), 500_000, REINFORCE.load


def run(algo: str, seed: int, eval_freq: int, eval_episodes: int, folder: str) -> dict:
    learner, budget, load = make(algo, seed)
    best_path = os.path.join(folder, f"{algo}-{seed}.swiftpg")
    best, train_seconds, solved_at, solved_seconds, next_eval, evaluations = -np.inf, 0.0, None, None, 0, 0
    with learner:
        while learner.total_env_steps < budget:
            start = time.perf_counter()
            learner.iterate()
            train_seconds += time.perf_counter() - start
            steps = learner.total_env_steps
            if steps >= next_eval or steps >= budget:
                next_eval = steps + eval_freq
                evaluations += 1
                returns, _ = learner.evaluate(episodes=eval_episodes, seed=10_000 + evaluations)
                mean = float(returns.mean())
                if solved_at is None and mean >= SOLVED:
                    solved_at, solved_seconds = steps, train_seconds
                if mean > best:
                    best = mean
                    if algo == "dqn":
                        learner.save(best_path, include_buffer=False)
                    else:
                        learner.save(best_path)
        final, _ = learner.evaluate(episodes=100, seed=seed + 1_000_003)
        steps = learner.total_env_steps
    with load(best_path) as restored:
        best_returns, _ = restored.evaluate(episodes=100, seed=seed + 1_000_003)
        best_step = restored.total_env_steps
    return dict(algo=algo, seed=seed, env_steps=steps, train_seconds=train_seconds, solved_at=solved_at,
                solved_seconds=solved_seconds, final=float(final.mean()), best=float(best_returns.mean()),
                best_step=best_step, evaluations=evaluations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    parser.add_argument("--algos", nargs="*", default=["dqn", "reinforce", "ppo"], choices=["dqn", "reinforce", "ppo"])
    parser.add_argument("--eval-freq", type=int, default=256)
    parser.add_argument("--eval-episodes", type=int, default=10)
    args = parser.parse_args()
    print("| algo | seed | env steps | train s | steps to solve | train s to solve | final (100 ep) | "
          "best checkpoint (100 ep) | best from step |")
    print("|---|---|---|---|---|---|---|---|---|")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for algo in args.algos:
            for seed in args.seeds:
                r = run(algo, seed, args.eval_freq, args.eval_episodes, folder)
                results.append(r)
                solved = "–" if r["solved_at"] is None else str(r["solved_at"])
                solved_s = "–" if r["solved_seconds"] is None else f"{r['solved_seconds']:.2f}"
                print(f"| {algo} | {seed} | {r['env_steps']} | {r['train_seconds']:.2f} | {solved} | {solved_s} | "
                      f"{r['final']:.1f} | {r['best']:.1f} | {r['best_step']} |", flush=True)
    print()
    for algo in args.algos:
        rs = [r for r in results if r["algo"] == algo]
        solved = [r for r in rs if r["solved_at"] is not None]
        med = (f"median {np.median([r['solved_at'] for r in solved]):.0f} steps, "
               f"{np.median([r['solved_seconds'] for r in solved]):.2f} s" if solved else "never")
        print(f"{algo}: best checkpoint >= {SOLVED:.0f} on {sum(r['best'] >= SOLVED for r in rs)}/{len(rs)} seeds, "
              f"final network on {sum(r['final'] >= SOLVED for r in rs)}/{len(rs)}; an evaluation reached "
              f"{SOLVED:.0f} on {len(solved)}/{len(rs)} seeds ({med})")


if __name__ == "__main__":
    main()
