"""Does every CLI default solve CartPole-v1? For each algorithm, `python -m
swiftpg train CartPole-v1 --algo A --seed S` with its defaults (early stop on
greedy evaluation episodes at the env's threshold, 475), then the CLI's final
greedy evaluation over 100 episodes; solved = mean >= 475. The seeds (101,
202, 303 by default) appear in no README example or test fixture.

    python bench/cli_defaults.py [--seeds 101 202 303] [--algos ppo a2c ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from swiftpg.cli import ALGORITHMS


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[101, 202, 303])
    p.add_argument("--algos", nargs="+", default=list(ALGORITHMS))
    args = p.parse_args()
    print("| algorithm | seed | env steps | train s | eval mean (100 greedy) | solved |\n|---|---|---|---|---|---|",
          flush=True)
    solved_all = True
    for algo in args.algos:
        for seed in args.seeds:
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "swiftpg", "train", "CartPole-v1", "--algo", algo, "--seed",
                                   str(seed), "--json", "--quiet"], capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"| {algo} | {seed} | error: {proc.stderr.strip()[-200:]} | | | no |", flush=True)
                solved_all = False
                continue
            s = json.loads(proc.stdout.strip().splitlines()[-1])
            solved = s["eval_mean_return"] >= 475
            solved_all &= solved
            print(f"| {algo} | {seed} | {s['env_steps']} | {s['train_seconds']:.1f} | {s['eval_mean_return']:.1f} | "
                  f"{'yes' if solved else 'no'} |", flush=True)
    return 0 if solved_all else 1


if __name__ == "__main__":
    sys.exit(main())
