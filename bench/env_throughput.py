"""CartPole-v1 stepping throughput from Python, side by side with Gymnasium.

Anchors, measured in the same run:
  * Gymnasium's single env, gymnasium.make("CartPole-v1") (with its wrappers;
    measured at N = 1 and shown on every row as the per-env-step reference),
  * Gymnasium's numpy-vectorised env,
    gymnasium.make_vec("CartPole-v1", num_envs=N, vectorization_mode="vector_entry_point").
swiftpg is measured with copy=False (buffers reused, as EnvPool/PufferLib
return them) and copy=True (fresh arrays per step, the default).

Reports environment steps per second (N instances × calls per second) and
ratios. Contenders are timed in alternation, best of several rounds, so that
the machine's speed drift affects them alike. Usage: python bench/env_throughput.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import time

import gymnasium as gym
import numpy as np

import swiftpg

SIZES = (1, 16, 256, 4096)


def calibrate(step, min_seconds: float) -> int:
    """Number of calls of `step()` that take about `min_seconds`."""
    calls = 16
    while True:
        t = time.perf_counter()
        for _ in range(calls):
            step()
        dt = time.perf_counter() - t
        if dt >= min_seconds / 4:
            return max(1, int(calls * min_seconds / dt))
        calls *= 4


def timed(step, calls: int) -> float:
    t = time.perf_counter()
    for _ in range(calls):
        step()
    return time.perf_counter() - t


def interleaved(contenders: dict, n: int, min_seconds: float, rounds: int) -> dict:
    """Env steps per second of each contender, best of `rounds`, measured in
    alternation (a, b, c, a, b, c, ...) so that drift in the machine's speed
    affects all contenders alike."""
    calls = {name: calibrate(step, min_seconds) for name, step in contenders.items()}
    best = {name: 0.0 for name in contenders}
    for _ in range(rounds):
        for name, step in contenders.items():
            best[name] = max(best[name], n * calls[name] / timed(step, calls[name]))
    return best


def gym_single_stepper():
    env = gym.make("CartPole-v1")
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 2, 1 << 16).tolist()
    i = 0

    def step():
        nonlocal i
        _, _, term, trunc, _ = env.step(actions[i & 0xFFFF])
        i += 1
        if term or trunc:
            env.reset()

    return step, env


def vector_stepper(env, n, dtype):
    """A step function cycling through 64 fixed random action vectors."""
    actions = np.random.default_rng(0).integers(0, 2, (64, n)).astype(dtype)
    i = 0

    def step():
        nonlocal i
        env.step(actions[i & 63])
        i += 1

    return step, env


def gym_vector_stepper(n):
    env = gym.make_vec("CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point")
    env.reset(seed=0)
    return vector_stepper(env, n, np.int64)


def swiftpg_stepper(n, copy):
    env = swiftpg.make_vec("CartPole-v1", num_envs=n, seed=0, copy=copy)
    env.reset()
    return vector_stepper(env, n, np.int32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter measurements")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args()
    seconds = 0.2 if args.quick else 0.5

    rounds = 3 if args.quick else 7
    rows = []
    for n in SIZES:
        made = {
            "swiftpg": swiftpg_stepper(n, copy=False),
            "swiftpg_copy": swiftpg_stepper(n, copy=True),
            "gymnasium_vector": gym_vector_stepper(n),
        }
        if n == 1:
            made["gymnasium_single"] = gym_single_stepper()
        result = interleaved({k: v[0] for k, v in made.items()}, n, seconds, rounds)
        for _, env in made.values():
            env.close()
        if n == 1:
            single = result["gymnasium_single"]
        rows.append(dict(num_envs=n, gymnasium_single=single, **{k: v for k, v in result.items()
                                                                  if k != "gymnasium_single"}))

    print("CartPole-v1 env steps per second (higher is better); ratios are swiftpg (copy=False) / anchor")
    print(f"{'N':>5} {'swiftpg':>12} {'swiftpg copy':>13} {'gym numpy vec':>14} {'gym single':>11} "
          f"{'x numpy vec':>11} {'x gym single':>12}")
    for r in rows:
        print(f"{r['num_envs']:>5} {r['swiftpg']:>12,.0f} {r['swiftpg_copy']:>13,.0f} {r['gymnasium_vector']:>14,.0f} "
              f"{r['gymnasium_single']:>11,.0f} {r['swiftpg'] / r['gymnasium_vector']:>10.1f}x "
              f"{r['swiftpg'] / r['gymnasium_single']:>11.1f}x")
    targets = [
        ("N=4096 vs numpy vector >= 2x", rows[3]["swiftpg"] / rows[3]["gymnasium_vector"], 2),
        ("N=16 vs numpy vector >= 20x", rows[1]["swiftpg"] / rows[1]["gymnasium_vector"], 20),
        ("N=1 vs gym single >= 5x", rows[0]["swiftpg"] / rows[0]["gymnasium_single"], 5),
    ]
    for name, ratio, goal in targets:
        print(f"target {name}: {ratio:.1f}x {'met' if ratio >= goal else 'NOT met'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
