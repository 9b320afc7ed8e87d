"""Training results of the policy-gradient algorithms (issue 6), with seeds.

For each (algorithm, environment) the CLI's preset (python/swiftpg/cli.py
PRESETS) is trained on seeds 0-4 and evaluated greedily over 100 episodes;
the table reports the evaluation mean, whether it meets the target, the env
steps used, the wall time and env steps per second (collection + update).
Runs marked early-stop end once the mean return of the last finished
training episodes reaches the CLI's per-environment threshold (ENV_DEFAULTS;
the last 100 episodes on CartPole, the last 10 on MountainCarContinuous).

    python bench/pg_results.py                 # everything (long)
    python bench/pg_results.py --only ppo:CartPole-v1 reinforce:CartPole-v1
    python bench/pg_results.py --only none --throughput 100000   # steps/s of every algorithm only
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from swiftpg.algorithms import PG_ALGORITHMS
from swiftpg.cli import ENV_DEFAULTS, PRESETS

RUNS = [
    # (algorithm, env, target, early stop at the training return)
    ("reinforce", "CartPole-v1", 475, True),
    ("a2c", "CartPole-v1", 475, False),
    ("trpo", "CartPole-v1", 475, False),  # early stop at 2 iterations ≥ 495 left seed 4 at 405
    ("ppo", "CartPole-v1", 475, False),
    ("ppo", "Acrobot-v1", -100, False),
    ("ppo", "Pendulum-v1", -200, False),
    ("ppo", "MountainCarContinuous-v0", 90, True),   # stop: the last 10 training episodes average ≥ 90
]

#: Finished training episodes averaged by the early stop, per environment.
STOP_WINDOW = {"CartPole-v1": 100, "MountainCarContinuous-v0": 10}


def run(algo: str, env: str, seed: int, early_stop: bool) -> dict:
    preset = PRESETS.get((algo, env), {})
    budget = preset.get("steps") or ENV_DEFAULTS[env]["steps"]
    cls = PG_ALGORITHMS[algo]
    config = cls._config_class(seed=seed)
    overrides = dict(preset.get("config", {}))
    if "total_env_steps" in config.__dataclass_fields__:
        overrides.setdefault("total_env_steps", budget)
    config = config.replace(**overrides)
    stop = ENV_DEFAULTS[env]["stop_at_return"] if early_stop else None
    with cls(env, config=config, num_envs=preset.get("num_envs", 8), policy_kwargs=preset.get("policy")) as learner:
        start = time.perf_counter()
        learner.train(budget, stop_at_return=stop, stop_window=STOP_WINDOW.get(env, 100))
        seconds = time.perf_counter() - start
        returns, _ = learner.evaluate(episodes=100, greedy=True, seed=seed + 1_000_003)
        return dict(algo=algo, env=env, seed=seed, env_steps=learner.total_env_steps, seconds=round(seconds, 2),
                    steps_per_second=round(learner.total_env_steps / seconds), eval_mean=float(returns.mean()),
                    eval_min=float(returns.min()))


def timed_presets(steps: int):
    """(algorithm, env steps, seconds) of every policy-gradient algorithm
    trained ``steps`` env steps on CartPole-v1 with its CLI preset, seed 0,
    no early stop (the seconds: collection + update), one at a time.
    tools/compare_speed.py times its builds with this too."""
    for algo, cls in PG_ALGORITHMS.items():
        preset = PRESETS.get((algo, "CartPole-v1"), {})
        config = cls._config_class(seed=0)
        overrides = dict(preset.get("config", {}))
        if "total_env_steps" in config.__dataclass_fields__:
            overrides.setdefault("total_env_steps", steps)
        with cls("CartPole-v1", config=config.replace(**overrides), num_envs=preset.get("num_envs", 8)) as learner:
            start = time.perf_counter()
            learner.train(steps)
            seconds = time.perf_counter() - start
            yield algo, learner.total_env_steps, seconds


def throughput(steps: int) -> None:
    """Env steps per second (collection + update, CLI presets) of every
    policy-gradient algorithm on CartPole-v1, seed 0, no early stop."""
    print("| algorithm | env steps | seconds | steps/s |")
    print("|---|---|---|---|")
    for algo, env_steps, seconds in timed_presets(steps):
        print(f"| {algo} | {env_steps} | {seconds:.2f} | {env_steps / seconds:,.0f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", default=None, help="algo:env pairs")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--json", help="append results as JSON lines to this file")
    parser.add_argument("--throughput", type=int, default=100_000, metavar="STEPS",
                        help="steps of the per-algorithm throughput table (0: skip it)")
    args = parser.parse_args()
    if args.throughput:
        throughput(args.throughput)
        print()
    print("| algorithm | environment | seed | env steps | seconds | steps/s | greedy eval mean (100 ep) | min | target met |")
    print("|---|---|---|---|---|---|---|---|---|")
    for algo, env, target, early in RUNS:
        if args.only and f"{algo}:{env}" not in args.only:
            continue
        met = 0
        for seed in range(args.seeds):
            r = run(algo, env, seed, early)
            ok = r["eval_mean"] >= target
            met += ok
            print(f"| {algo} | {env} | {seed} | {r['env_steps']} | {r['seconds']} | {r['steps_per_second']} | "
                  f"{r['eval_mean']:.1f} | {r['eval_min']:.1f} | {'yes' if ok else 'no'} |", flush=True)
            if args.json:
                with open(args.json, "a") as f:
                    f.write(json.dumps({**r, "target": target}) + "\n")
        print(f"| {algo} | {env} | **{met}/{args.seeds} seeds ≥ {target}** | | | | | | |", flush=True)


if __name__ == "__main__":
    main()
