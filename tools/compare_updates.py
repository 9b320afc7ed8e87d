"""Equal-work speed of two builds: the same external batches through each
learner's ``update`` (no collection, so the per-lane action streams, which
change training trajectories, cannot change the work), and TRPO's training
loop over several seeds (its cost per step depends on the line search, i.e.
on the trajectory, so one seed is not a measure of the code's speed).

    git worktree add /tmp/before <commit> && (cd /tmp/before && make lib)
    python tools/compare_updates.py --before /tmp/before --after . --rounds 5

Each measurement runs in a fresh process per build, alternating builds.
Prints medians and after/before ratios, and checks that both builds end
with the same parameters on the equal-work runs (bit-identical updates).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

UPDATES = r"""
import json, time
import numpy as np
import swiftpg
from swiftpg.algorithms import A2C, NPG, PPO, TRPO

def batch(seed, T=128, N=8):
    env = swiftpg.VectorEnv("CartPole-v1", N, seed=seed)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    O = np.empty((T, N, 4)); A = np.empty((T, N), np.int32); R = np.empty((T, N))
    TE = np.zeros((T, N), bool); TR = np.zeros((T, N), bool)
    for t in range(T):
        O[t] = obs
        A[t] = rng.integers(0, 2, N)
        obs, R[t], TE[t], TR[t], _ = env.step(A[t])
    env.close()
    return dict(observations=O, actions=A, rewards=R, terminated=TE, truncated=TR, next_observations=obs)

batches = [batch(s) for s in range(8)]
out = {}
for name, cls in (("trpo", TRPO), ("npg", NPG), ("ppo", PPO), ("a2c", A2C)):
    extra = {} if name == "a2c" else dict(minibatch_size=128)
    config = cls._config_class(seed=0, steps_per_env=128, **extra)
    with cls("CartPole-v1", config=config, num_envs=8) as learner:
        t0 = time.perf_counter()
        for _ in range(3):
            for b in batches:
                learner.update(**b)
        out[name + " update (s)"] = [time.perf_counter() - t0, float(learner.policy.params.sum())]
print(json.dumps(out))
"""

TRPO_LOOP = r"""
import json, sys, time
import swiftpg.cli as cli
from swiftpg.algorithms import TRPO
preset = cli.PRESETS[("trpo", "CartPole-v1")]
config = TRPO._config_class(seed=int(sys.argv[1])).replace(**preset["config"])
with TRPO("CartPole-v1", config=config, num_envs=preset["num_envs"]) as learner:
    t0 = time.perf_counter()
    while learner.total_env_steps < 100_000:
        learner.iterate()
    print(json.dumps({"trpo seed %s (steps/s)" % sys.argv[1]: [learner.total_env_steps / (time.perf_counter() - t0), 0]}))
"""


def run(root: str, code: str, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.path.join(root, "python"))
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=root, env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--before", required=True)
    p.add_argument("--after", required=True)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seeds", type=int, default=6, help="TRPO training-loop seeds (1..seeds)")
    args = p.parse_args()
    results = {"before": {}, "after": {}}
    jobs = [(UPDATES,)] * args.rounds + [(TRPO_LOOP, str(s)) for s in range(1, args.seeds + 1)]
    for job in jobs:
        for side in ("before", "after"):
            for key, value in run(getattr(args, side), *job).items():
                results[side].setdefault(key, []).append(value)
    print("| measure | before (median) | after (median) | after/before |\n|---|---|---|---|")
    for key in results["before"]:
        b = statistics.median(v[0] for v in results["before"][key])
        a = statistics.median(v[0] for v in results["after"][key])
        print(f"| {key} | {b:,.3f} | {a:,.3f} | {a / b:.3f} |")
    same = all(x[1] == y[1] for k in results["before"] if "update" in k
               for x, y in zip(results["before"][k], results["after"][k]))
    print(f"equal-work updates end with the same parameters in both builds: {same}")
    seeds = [k for k in results["before"] if k.startswith("trpo seed")]
    if seeds:
        b = statistics.median(results["before"][k][0][0] for k in seeds)
        a = statistics.median(results["after"][k][0][0] for k in seeds)
        print(f"TRPO training loop, median over seeds 1..{len(seeds)}: {b:,.0f} → {a:,.0f} steps/s ({a / b:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
