"""Speed of two builds side by side, for "within x %" claims of a refactor.

Each round runs, in a fresh process per build and alternating the builds
(so that drift of the machine's load affects both alike):
- env steps per second of every policy-gradient learner on CartPole-v1 with
  the CLI presets (bench/pg_results.py's throughput table), and
- the wall time of bench/ppo_vs_sb3.py's PPO zoo run (float64 one thread,
  float32 two threads).
It prints the medians over the rounds and the after/before ratios.

    git worktree add /tmp/before <commit> && (cd /tmp/before && make lib)
    python tools/compare_speed.py --before /tmp/before --after . --rounds 5

Run it on a quiet machine: with a build running beside it, run-to-run
differences of 10 % and more are common on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

# This tool's own bench/pg_results.py times the learners in every build (older
# checkouts may lack its timed_presets), with the build's swiftpg package.
PG_RESULTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "pg_results.py")

ROUND = r"""
import importlib.util, json, os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "bench"))
spec = importlib.util.spec_from_file_location("pg_results", sys.argv[2])
pg_results = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pg_results)
steps = int(sys.argv[1])
out = {}
for algo, env_steps, seconds in pg_results.timed_presets(steps):
    out[algo + " (steps/s)"] = env_steps / seconds
import ppo_vs_sb3
for precision, threads in (("float64", 1), ("float32", 2)):
    r = ppo_vs_sb3.swiftpg_run(0, steps, precision, threads)
    out[f"ppo zoo {precision} x{threads} (s)"] = r["seconds"]
print(json.dumps(out))
"""


def one_round(root: str, steps: int) -> dict:
    env = dict(os.environ, PYTHONPATH=os.path.join(root, "python"))
    proc = subprocess.run([sys.executable, "-c", ROUND, str(steps), PG_RESULTS], cwd=root, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--before", required=True, help="a checkout with its library built (make lib)")
    p.add_argument("--after", required=True, help="a checkout with its library built (make lib)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=100_000)
    args = p.parse_args()
    runs = {"before": [], "after": []}
    for k in range(args.rounds):
        for name in ("before", "after"):
            runs[name].append(one_round(os.path.abspath(getattr(args, name)), args.steps))
            print(f"round {k + 1} {name}: {json.dumps(runs[name][-1])}", file=sys.stderr, flush=True)
    print(f"| measure | before (median of {args.rounds}) | after | after/before |")
    print("|---|---|---|---|")
    for key in runs["before"][0]:
        b = statistics.median(r[key] for r in runs["before"])
        a = statistics.median(r[key] for r in runs["after"])
        print(f"| {key} | {b:,.2f} | {a:,.2f} | {a / b:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
