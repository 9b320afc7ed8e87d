"""Environment stepping throughput from Python, side by side with the anchors.

For each classic-control environment and N in (1, 16, 256, 4096), measured
in the same run:
  * swiftpg: make_vec(id, N, copy=False) (buffers reused, as EnvPool and
    PufferLib return them), copy=True (fresh arrays, the default), and
    copy=False with num_threads=2 (N >= 256; reported separately: the
    anchors run on one thread);
  * Gymnasium's single env, gymnasium.make(id) with its wrappers (measured at
    N = 1; shown on every row as the per-env-step reference);
  * Gymnasium's numpy-vectorised env (CartPole only: the only one Gymnasium
    vectorises), make_vec(id, N, vectorization_mode="vector_entry_point");
  * EnvPool, envpool.make(id, env_type="gymnasium", num_envs=N,
    batch_size=N, num_threads=1), if installed.
Each step call uses a fixed pre-drawn random action batch. Reports
environment steps per second (N x calls per second) and ratios. Contenders
are timed in alternation, best of several rounds, so that the machine's
speed drift affects them alike.

Usage: python bench/env_throughput.py [--quick] [--envs CartPole-v1 ...] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import gymnasium as gym
import numpy as np

import swiftpg

try:
    import envpool
except ImportError:  # the table says so
    envpool = None

SIZES = (1, 16, 256, 4096)
ENVS = ("CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1")


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
    alternation (a, b, c, a, b, c, ...)."""
    calls = {name: calibrate(step, min_seconds) for name, step in contenders.items()}
    best = {name: 0.0 for name in contenders}
    for _ in range(rounds):
        for name, step in contenders.items():
            best[name] = max(best[name], n * calls[name] / timed(step, calls[name]))
    return best


def action_batches(space, n, dtype=None):
    """64 fixed random action batches for `space` (a single-env space)."""
    rng = np.random.default_rng(0)
    if isinstance(space, gym.spaces.Discrete):
        return rng.integers(0, space.n, (64, n)).astype(dtype or np.int64)
    low, high = space.low.astype(np.float64), space.high.astype(np.float64)
    return rng.uniform(low, high, (64, n) + space.shape).astype(dtype or np.float32)


def cycling(env, batches):
    i = 0

    def step():
        nonlocal i
        env.step(batches[i & 63])
        i += 1

    return step, env


def gym_single(env_id):
    env = gym.make(env_id)
    env.reset(seed=0)
    actions = list(action_batches(env.action_space, 1)[:, 0])
    i = 0

    def step():
        nonlocal i
        _, _, term, trunc, _ = env.step(actions[i & 63])
        i += 1
        if term or trunc:
            env.reset()

    return step, env


def swiftpg_env(env_id, n, copy, threads=1):
    env = swiftpg.make_vec(env_id, num_envs=n, seed=0, copy=copy, num_threads=threads)
    env.reset()
    dtype = np.int32 if env.discrete else np.float64
    return cycling(env, action_batches(env.single_action_space, n, dtype))


def gym_vector(env_id, n):
    env = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point")
    env.reset(seed=0)
    return cycling(env, action_batches(env.single_action_space, n))


def envpool_env(env_id, n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = envpool.make(env_id, env_type="gymnasium", num_envs=n, batch_size=n, num_threads=1, seed=0)
    env.reset()
    space = env.action_space
    dtype = np.int32 if isinstance(space, gym.spaces.Discrete) else np.float32
    return cycling(env, action_batches(space, n, dtype))


def measure(env_id, seconds, rounds):
    rows = []
    single = None
    for n in SIZES:
        made = {"swiftpg": swiftpg_env(env_id, n, False), "swiftpg_copy": swiftpg_env(env_id, n, True)}
        if n >= 256:
            made["swiftpg_2threads"] = swiftpg_env(env_id, n, False, threads=2)
        if env_id == "CartPole-v1":
            made["gymnasium_vector"] = gym_vector(env_id, n)
        if envpool is not None:
            made["envpool"] = envpool_env(env_id, n)
        if n == 1:
            made["gymnasium_single"] = gym_single(env_id)
        result = interleaved({k: v[0] for k, v in made.items()}, n, seconds, rounds)
        for _, env in made.values():
            env.close()
        single = result.pop("gymnasium_single", single)
        rows.append(dict(env=env_id, num_envs=n, gymnasium_single=single, **result))
    return rows


def ratio(a, b):
    return f"{a / b:8.1f}x" if b else "       -"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter measurements")
    parser.add_argument("--envs", nargs="*", default=list(ENVS))
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args()
    seconds, rounds = (0.15, 3) if args.quick else (0.4, 5)
    print("env steps per second (higher is better); ratios are swiftpg (copy=False) / anchor"
          + ("" if envpool else "  [EnvPool not installed]"))
    header = (f"{'env':<25} {'N':>5} {'swiftpg':>12} {'copy=True':>11} {'2 threads':>11} {'gym numpy':>11} "
              f"{'EnvPool':>10} {'gym single':>10} {'x numpy':>9} {'x EnvPool':>9} {'x single':>9} {'2thr/EnvPool':>12}")
    print(header)
    all_rows = []
    for env_id in args.envs:
        for r in measure(env_id, seconds, rounds):
            all_rows.append(r)
            vec = r.get("gymnasium_vector")
            ep = r.get("envpool")
            thr = r.get("swiftpg_2threads")
            print(f"{env_id:<25} {r['num_envs']:>5} {r['swiftpg']:>12,.0f} {r['swiftpg_copy']:>11,.0f} "
                  f"{thr or 0:>11,.0f} {vec or 0:>11,.0f} {ep or 0:>10,.0f} {r['gymnasium_single']:>10,.0f} "
                  f"{ratio(r['swiftpg'], vec)} {ratio(r['swiftpg'], ep)} {ratio(r['swiftpg'], r['gymnasium_single'])} "
                  f"   {ratio(thr, ep) if thr else '       -'}", flush=True)
    cart = {r["num_envs"]: r for r in all_rows if r["env"] == "CartPole-v1"}
    if cart:
        print("targets (issue 2): CartPole N=4096 vs numpy vector >= 2x: "
              f"{cart[4096]['swiftpg'] / cart[4096]['gymnasium_vector']:.1f}x; N=16 >= 20x: "
              f"{cart[16]['swiftpg'] / cart[16]['gymnasium_vector']:.1f}x; N=1 vs gym single >= 5x: "
              f"{cart[1]['swiftpg'] / cart[1]['gymnasium_single']:.1f}x")
    if envpool is not None:
        worst = min((r["swiftpg"] / r["envpool"], r["env"], r["num_envs"]) for r in all_rows if r["num_envs"] >= 16)
        print(f"target (issue 3): >= 10x EnvPool at every N >= 16; worst single-threaded: {worst[0]:.1f}x "
              f"({worst[1]}, N={worst[2]})")
        best_of = [(max(r["swiftpg"], r.get("swiftpg_2threads", 0)) / r["envpool"], r["env"], r["num_envs"])
                   for r in all_rows if r["num_envs"] >= 16]
        worst2 = min(best_of)
        print(f"   with num_threads=2 where faster: worst {worst2[0]:.1f}x ({worst2[1]}, N={worst2[2]})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(all_rows, f, indent=1)


if __name__ == "__main__":
    main()
