"""Issue 21 with Stable-Baselines3 itself (which needs PyTorch, so it runs in
the benchmark venv ``.bench-venv`` that ``make bench`` makes, not in
``make test``; the tests check the same contracts without SB3):

1. SB3's ``check_env`` passes for every registered ``swiftpg/<id>``
   (SimpleRegulator-v0 with ``action_bound=5.0``: SB3 needs bounded actions).
2. ``make_vec_env("swiftpg/CartPole-v1")`` works (SB3 passes
   ``render_mode="rgb_array"``) and PPO trains on it.
3. ``swiftpg.sb3.vec_env`` gives exactly the transitions of SB3's
   ``DummyVecEnv`` over Gymnasium's CartPole-v1 and Pendulum-v1, same seeds.
4. The README's SB3 block runs.
5. SB3 PPO (default hyperparameters) learns CartPole-v1 through
   ``swiftpg.sb3.vec_env`` and through ``DummyVecEnv`` over Gymnasium's env,
   same seed: wall time and the greedy evaluation over 100 episodes.

    .bench-venv/bin/python bench/sb3_interop.py [--steps 100000] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import swiftpg  # noqa: F401
except ImportError:             # the benchmark venv has no swiftpg installed: this checkout's package
    sys.path.insert(0, os.path.join(HERE, "..", "python"))

import gymnasium as gym
import numpy as np

import swiftpg
from swiftpg.sb3 import vec_env


def check_envs() -> dict:
    from stable_baselines3.common.env_checker import check_env
    results = {}
    for env_id in swiftpg.env_ids():
        kwargs = {"action_bound": 5.0} if env_id == "SimpleRegulator-v0" else {}
        env = gym.make(f"swiftpg/{env_id}", **kwargs)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env)
        results[env_id] = sorted({str(w.message).split(".")[0][:80] for w in caught})
        env.close()
        print(f"check_env swiftpg/{env_id}: passed" + (f" (warnings: {results[env_id]})" if results[env_id] else ""))
    return results


def make_vec_env_trains() -> float:
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    env = make_vec_env("swiftpg/CartPole-v1", n_envs=4, seed=0)
    assert env.render_mode == "rgb_array"           # SB3's default: accepted by swiftpg's envs
    start = time.perf_counter()
    PPO("MlpPolicy", env, n_steps=128, seed=0).learn(1024)
    env.close()
    seconds = time.perf_counter() - start
    print(f"make_vec_env('swiftpg/CartPole-v1', 4) + PPO 1024 steps: {seconds:.1f} s")
    return seconds


def transitions_equal(env_id: str, n: int, steps: int) -> int:
    from stable_baselines3.common.vec_env import DummyVecEnv
    ours = vec_env(env_id, n)
    theirs = DummyVecEnv([lambda: gym.make(env_id) for _ in range(n)])
    ours.seed(11)
    theirs.seed(11)
    assert np.array_equal(ours.reset(), theirs.reset())
    theirs.action_space.seed(0)
    ends = 0
    for _ in range(steps):
        actions = np.array([theirs.action_space.sample() for _ in range(n)])
        a, b = ours.step(actions), theirs.step(actions)
        for x, y in zip(a[:3], b[:3]):
            assert np.array_equal(x, y) and x.dtype == y.dtype
        for i, j in zip(a[3], b[3]):
            assert set(i) - {"episode"} == set(j) - {"episode"} and i["TimeLimit.truncated"] == j["TimeLimit.truncated"]
            if "terminal_observation" in i:
                ends += 1
                assert np.array_equal(i["terminal_observation"], j["terminal_observation"])
    ours.close()
    theirs.close()
    print(f"{env_id}: {steps} steps of {n} envs equal to DummyVecEnv over Gymnasium's ({ends} episode ends)")
    return ends


def readme_blocks() -> int:
    """Runs the README's "```python sb3" blocks (the tests only compile them)."""
    import re
    import tempfile
    text = open(os.path.join(HERE, "..", "README.md"), encoding="utf-8").read()
    blocks = re.findall(r"```python sb3\n(.*?)```", text, re.S)
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            for i, code in enumerate(blocks):
                start = time.perf_counter()
                exec(compile(code, f"README.md sb3 block {i}", "exec"), {"__name__": "__readme__"})
                print(f"README sb3 block {i}: ran in {time.perf_counter() - start:.1f} s")
        finally:
            os.chdir(cwd)
    return len(blocks)


def ppo_run(which: str, steps: int, seed: int) -> dict:
    from stable_baselines3 import PPO
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor
    n = 8
    if which == "swiftpg":
        env = VecMonitor(vec_env("CartPole-v1", n))
    else:
        env = VecMonitor(DummyVecEnv([lambda: gym.make("CartPole-v1") for _ in range(n)]))
    model = PPO("MlpPolicy", env, seed=seed)
    start = time.perf_counter()
    model.learn(steps)
    seconds = time.perf_counter() - start
    eval_env = VecMonitor(vec_env("CartPole-v1", 1, seed=seed + 1_000_003))
    mean, std = evaluate_policy(model, eval_env, n_eval_episodes=100, deterministic=True)
    env.close()
    eval_env.close()
    result = dict(env=which, seed=seed, steps=steps, seconds=round(seconds, 1), eval_mean=round(float(mean), 1),
                  eval_std=round(float(std), 1))
    print(json.dumps(result))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100_000, help="PPO training steps per run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--skip-training", action="store_true", help="only the checks (1-4)")
    args = parser.parse_args()
    try:
        import stable_baselines3  # noqa: F401
        import torch
    except ImportError:
        print("sb3_interop: Stable-Baselines3 is not installed in this interpreter (run it with .bench-venv/bin/python)")
        return
    torch.set_num_threads(args.threads)
    check_envs()
    make_vec_env_trains()
    transitions_equal("CartPole-v1", 4, 2000)
    transitions_equal("Pendulum-v1", 3, 450)
    readme_blocks()
    if args.skip_training:
        return
    runs = [ppo_run(which, args.steps, args.seed) for which in ("swiftpg", "gymnasium")]
    print(f"PPO {args.steps} steps, seed {args.seed}, torch threads {args.threads}: "
          f"swiftpg.sb3.vec_env {runs[0]['seconds']} s (eval {runs[0]['eval_mean']}), "
          f"DummyVecEnv over Gymnasium {runs[1]['seconds']} s (eval {runs[1]['eval_mean']})")


if __name__ == "__main__":
    main()
