"""PPO on CartPole-v1 at the rl-baselines3-zoo settings, swiftpg (float64
networks on one thread; float64 and float32 networks with the policy and
critic passes on two threads, `update_threads=2`) against Stable-Baselines3
(PyTorch's default threads: 2 here), side by side in one run: wall time for
100k env steps and the greedy evaluation over 100 episodes, per seed, and
the time ratios.

SB3 (with PyTorch) is not a swiftpg dependency: it runs in the interpreter
given by --sb3-python (``make bench`` creates .bench-venv/ for it); without
one, only swiftpg's numbers are printed.

    python bench/ppo_vs_sb3.py [--seeds 0 1 2] [--sb3-python .bench-venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def swiftpg_run(seed: int, steps: int, precision: str = "float64", threads: int = 1) -> dict:
    from swiftpg.algorithms import PPO, PPOConfig
    from swiftpg.cli import PRESETS

    preset = PRESETS[("ppo", "CartPole-v1")]
    config = PPOConfig(seed=seed, total_env_steps=steps).replace(**preset["config"]).replace(update_threads=threads)
    with PPO("CartPole-v1", config=config, num_envs=preset["num_envs"],
             policy_kwargs=dict(precision=precision)) as learner:
        start = time.perf_counter()
        learner.train(steps)
        seconds = time.perf_counter() - start
        returns, _ = learner.evaluate(episodes=100, seed=seed + 1_000_003)
        return dict(library="swiftpg", seed=seed, env_steps=learner.total_env_steps, seconds=round(seconds, 2),
                    eval_mean=float(returns.mean()))


def sb3_run(python: str, seed: int, steps: int, threads: int) -> dict | None:
    cmd = [python, os.path.join(HERE, "sb3_ppo_cartpole.py"), "--seed", str(seed), "--steps", str(steps),
           "--threads", str(threads)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"SB3 run failed: {result.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--sb3-python", default=None)
    parser.add_argument("--threads", type=int, default=0, help="torch threads for SB3 (0: torch's default)")
    args = parser.parse_args()
    variants = [("float64", 1), ("float64", 2), ("float32", 2)]
    names = [f"swiftpg {p}, {t} thread{'s' if t > 1 else ''}" for p, t in variants]
    print("| seed | " + " | ".join(f"{n} s | eval" for n in names) + " | SB3 s | SB3 eval | "
          + " | ".join(f"SB3 / {n}" for n in names) + " |")
    print("|---" * (2 + 2 * len(variants) + 1 + len(variants)) + "|")
    ratios, label = [], None
    for seed in args.seeds:
        ours = [swiftpg_run(seed, args.steps, p, t) for p, t in variants]
        theirs = sb3_run(args.sb3_python, seed, args.steps, args.threads) if args.sb3_python else None
        row = f"| {seed} | " + " | ".join(f"{o['seconds']} | {o['eval_mean']:.1f}" for o in ours) + " | "
        if theirs:
            label = theirs["library"]
            ratios.append([theirs["seconds"] / o["seconds"] for o in ours])
            row += f"{theirs['seconds']} | {theirs['eval_mean']:.1f} | " + " | ".join(f"{r:.2f}×" for r in ratios[-1]) + " |"
        else:
            row += "– | – | " + " | ".join("–" for _ in variants) + " |"
        print(row, flush=True)
    if ratios:
        print(f"\n{label}. Time ratio SB3 / swiftpg per seed:")
        for i, n in enumerate(names):
            print(f"  {n}: {', '.join(f'{r[i]:.2f}' for r in ratios)}")
        print("(goal: 10×)")
    else:
        print("\nStable-Baselines3 not available (pass --sb3-python); swiftpg times only.")


if __name__ == "__main__":
    main()
