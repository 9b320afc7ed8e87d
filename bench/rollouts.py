"""Rollouts with the policy in the loop (issue 14): swiftpg's in-Swift
collection against the same loop driven from Python and against JAX's
compiled ``lax.scan`` rollout, in one run.

Workload: T steps from N environments (N = 64 with T = 128, N = 1024 with
T = 32) with a 64x64 tanh policy and a 64x64 tanh critic —
CartPole-v1 with a softmax policy, Pendulum-v1 with a Gaussian policy. Per
step: the action is sampled, its log-probability kept, the critic's value
taken, and every environment stepped (finished ones reset automatically).

Contenders (steps per second; medians over --repeats calls):

- ``swiftpg collect``: ``PPO(...).collect()``, one native call for the T
  steps (``swiftpg_pg_collect``), float32 networks (the learners' default)
  and float64, one thread;
- ``python loop``: the same with the public primitives called from Python
  once per step: ``policy.sample`` + ``policy.log_prob`` +
  ``value.predict`` + ``env.step`` on a ``swiftpg.VectorEnv`` (three
  network passes a step where collect makes two, since the public API
  has no sample-with-log-prob call);
- ``jax scan``: bench/jax_rollout.py in .bench-jax-venv (flax networks,
  gymnax environments, float32, everything in one jit), compile apart.

Targets: collect ≥ 2× the JAX scan, and never slower than the Python loop.

    python bench/rollouts.py [--repeats 7] [--jax-python .bench-jax-venv/bin/python]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one thread for every contender
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402
from timing import external_result, median_seconds  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = [("CartPole-v1", 64, 128), ("CartPole-v1", 1024, 32), ("Pendulum-v1", 64, 128), ("Pendulum-v1", 1024, 32)]


def learner(env_id: str, n: int, t: int, precision: str):
    from swiftpg.algorithms import PPO, PPOConfig

    config = PPOConfig(seed=0, steps_per_env=t, minibatch_size=n * t, update_threads=1)
    return PPO(env_id, config=config, num_envs=n, policy_kwargs=dict(precision=precision))


def collect_rate(env_id: str, n: int, t: int, precision: str, repeats: int) -> float:
    with learner(env_id, n, t, precision) as l:
        l.collect()  # warm-up: buffers, first reset
        return n * t / median_seconds(l.collect, repeats)


def python_loop_rate(env_id: str, n: int, t: int, precision: str, repeats: int) -> float:
    import swiftpg

    with learner(env_id, n, t, precision) as l:
        policy, value = l.policy, l.value
        env = swiftpg.make_vec(env_id, num_envs=n, seed=0)
        obs, _ = env.reset(seed=0)
        low = high = None
        if not policy.discrete:
            low, high = env.single_action_space.low, env.single_action_space.high

        def segment():
            nonlocal obs
            for _ in range(t):
                actions = policy.sample(obs)
                policy.log_prob(obs, actions)
                value.predict(obs)
                obs, _, _, _, _ = env.step(actions if low is None else np.clip(actions, low, high))

        segment()
        seconds = median_seconds(segment, repeats)
        env.close()
    return n * t / seconds


def jax_rate(python: str, env_id: str, n: int, t: int, repeats: int) -> dict | None:
    cmd = [python, os.path.join(HERE, "jax_rollout.py"), "--env", env_id, "--num-envs", str(n), "--steps", str(t),
           "--repeats", str(repeats)]
    return external_result(cmd, 600, label=f"jax_rollout.py {env_id} N={n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    default_jax = os.path.join(HERE, os.pardir, ".bench-jax-venv", "bin", "python")
    parser.add_argument("--jax-python", default=default_jax if os.path.exists(default_jax) else None)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()

    rows = []
    print(f"{'env':<13} {'N':>5} {'T':>4} | {'collect f32':>11} {'collect f64':>11} {'py loop f32':>11} "
          f"{'jax scan':>10} | {'f32/jax':>7} {'f64/jax':>7} {'f32/py':>7}   (steps/s)")
    for env_id, n, t in CASES:
        row = dict(env=env_id, num_envs=n, steps=t,
                   collect_f32=collect_rate(env_id, n, t, "float32", args.repeats),
                   collect_f64=collect_rate(env_id, n, t, "float64", args.repeats),
                   python_loop_f32=python_loop_rate(env_id, n, t, "float32", args.repeats))
        jax = jax_rate(args.jax_python, env_id, n, t, args.repeats) if args.jax_python else None
        row["jax_scan"] = jax["steps_per_second"] if jax else None
        row["jax_compile_seconds"] = jax["compile_seconds"] if jax else None
        rows.append(row)

        def ratio(a, b):
            return f"{a / b:7.2f}" if a and b else f"{'—':>7}"

        print(f"{env_id:<13} {n:>5} {t:>4} | {row['collect_f32']:>11,.0f} {row['collect_f64']:>11,.0f} "
              f"{row['python_loop_f32']:>11,.0f} {row['jax_scan'] or 0:>10,.0f} | "
              f"{ratio(row['collect_f32'], row['jax_scan'])} {ratio(row['collect_f64'], row['jax_scan'])} "
              f"{ratio(row['collect_f32'], row['python_loop_f32'])}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
