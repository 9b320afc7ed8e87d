"""REINFORCE on CartPole-v1, seeds 0-4, with the default settings of
`python -m swiftpg train CartPole-v1 --algo reinforce`: training time, env
steps and the greedy evaluation over 100 episodes (target: mean >= 475).

Usage: python bench/reinforce_cartpole.py [--seeds 0 1 2 3 4]
"""

import argparse
import json
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    print(f"{'seed':>4} {'env steps':>10} {'iterations':>10} {'train s':>8} {'eval mean':>10} {'eval min':>9}")
    ok = True
    for seed in args.seeds:
        out = subprocess.run(
            [sys.executable, "-m", "swiftpg", "train", "CartPole-v1", "--algo", "reinforce", "--seed", str(seed),
             "--json", "--quiet"], capture_output=True, text=True, check=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        ok &= r["eval_mean_return"] >= 475
        print(f"{seed:>4} {r['env_steps']:>10} {r['iterations']:>10} {r['train_seconds']:>8.2f} "
              f"{r['eval_mean_return']:>10.1f} {r['eval_min_return']:>9.0f}")
    print("target (greedy mean >= 475 on every seed):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
