"""PPO on CartPole-v1 at the rl-baselines3-zoo settings (100k env steps):
swiftpg's default path against the JAX anchor (bench/jax_ppo_cartpole.py,
PureJaxRL style: one jit, compilation timed apart) and Stable-Baselines3
(PyTorch CPU), side by side in one run, as ratios of medians.

Rows:
- swiftpg default: ``PPO("CartPole-v1")`` with the CLI's CartPole preset and
  nothing set about precision or threads (float32 layers, update_threads 2),
  one run per seed (the median time; greedy evaluation over 100 episodes).
- swiftpg float64, one thread: the previous default, for reference.
- JAX: compile and run time of one seed (median of its repeats), and K
  seeds under ``vmap`` (seeds per second).
- swiftpg ``train_together``: the same K seeds in one call on all cores
  (seeds per second), each bit-identical to training it alone.
- SB3 with one torch thread and with torch's default threads.

The anchors run in their own virtual environments (``make bench`` creates
.bench-jax-venv and .bench-venv); without one its rows are skipped.

    python bench/ppo_anchors.py [--seeds 0 1 2 3 4] [--k 16] [--jax-python .bench-jax-venv/bin/python]
                                [--sb3-python .bench-venv/bin/python] [--sb3-seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from timing import external_result

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 100_000


def preset_learner(seed: int, **policy_kwargs):
    from swiftpg.algorithms import PPO, PPOConfig
    from swiftpg.cli import PRESETS

    preset = PRESETS[("ppo", "CartPole-v1")]
    config = PPOConfig(seed=seed, total_env_steps=STEPS).replace(**preset["config"])
    threads = policy_kwargs.pop("update_threads", None)
    if threads is not None:
        config = config.replace(update_threads=threads)
    return PPO("CartPole-v1", config=config, num_envs=preset["num_envs"], policy_kwargs=policy_kwargs or None)


def swiftpg_run(seed: int, **variant) -> dict:
    with preset_learner(seed, **variant) as learner:
        start = time.perf_counter()
        learner.train(STEPS)
        seconds = time.perf_counter() - start
        returns, _ = learner.evaluate(episodes=100, seed=seed + 1_000_003)
        return dict(seconds=seconds, eval_mean=float(returns.mean()), precision=learner.policy.precision)


def swiftpg_together(seeds: list[int]) -> dict:
    from swiftpg.algorithms import train_together

    learners = [preset_learner(s) for s in seeds]
    start = time.perf_counter()
    train_together(learners, STEPS)
    seconds = time.perf_counter() - start
    means = [float(l.evaluate(episodes=100, seed=s + 1_000_003)[0].mean()) for l, s in zip(learners, seeds)]
    for learner in learners:
        learner.close()
    return dict(seconds=seconds, seeds_per_second=len(seeds) / seconds, eval_means=means)


def external(cmd: list[str], timeout: float = 900) -> dict | None:
    return external_result(cmd, timeout, label=f"{os.path.basename(cmd[1])} {' '.join(cmd[2:])}")


def solved(means) -> str:
    return f"{sum(m >= 475 for m in means)}/{len(means)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    parser.add_argument("--k", type=int, default=16, help="seeds trained at once (JAX vmap, swiftpg train_together)")
    parser.add_argument("--jax-python", default=os.path.join(os.path.dirname(HERE), ".bench-jax-venv/bin/python"))
    parser.add_argument("--sb3-python", default=os.path.join(os.path.dirname(HERE), ".bench-venv/bin/python"))
    parser.add_argument("--sb3-seeds", type=int, nargs="*", default=[0, 1, 2])
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores", flush=True)

    rows = {}
    default = [swiftpg_run(s) for s in args.seeds]
    rows["swiftpg default"] = statistics.median(r["seconds"] for r in default)
    print(f"swiftpg default ({default[0]['precision']}, update_threads 2): median {rows['swiftpg default']:.2f} s "
          f"over seeds {args.seeds} {[round(r['seconds'], 2) for r in default]}; greedy returns "
          f"{[round(r['eval_mean'], 1) for r in default]} ({solved([r['eval_mean'] for r in default])} ≥ 475)",
          flush=True)
    f64 = [swiftpg_run(s, precision="float64", update_threads=1) for s in args.seeds[:3]]
    rows["swiftpg float64 1 thread"] = statistics.median(r["seconds"] for r in f64)
    print(f"swiftpg float64, 1 thread: median {rows['swiftpg float64 1 thread']:.2f} s; greedy "
          f"{[round(r['eval_mean'], 1) for r in f64]}", flush=True)

    jax_one = jax_many = None
    if os.path.exists(args.jax_python):
        jax_one = external([args.jax_python, os.path.join(HERE, "jax_ppo_cartpole.py"), "--seed", "0",
                            "--repeats", "3"])
        if jax_one:
            rows["JAX run"] = jax_one["run_seconds"]
            print(f"{jax_one['library']}: compile {jax_one['compile_seconds']:.2f} s, run {jax_one['run_seconds']:.2f} s "
                  f"(repeats {jax_one['run_seconds_repeats']}), greedy {jax_one['eval_means']}", flush=True)
        jax_many = external([args.jax_python, os.path.join(HERE, "jax_ppo_cartpole.py"), "--seed", "0",
                             "--num-seeds", str(args.k), "--repeats", "2"], timeout=300)
        if jax_many:
            print(f"JAX vmap over {args.k} seeds: compile {jax_many['compile_seconds']:.2f} s, run "
                  f"{jax_many['run_seconds']:.2f} s = {jax_many['seeds_per_second']:.3f} seeds/s; "
                  f"{solved(jax_many['eval_means'])} ≥ 475", flush=True)
    else:
        print("JAX anchor not available (make bench creates .bench-jax-venv)")

    together = swiftpg_together(list(range(args.k)))
    print(f"swiftpg train_together, {args.k} seeds: {together['seconds']:.2f} s = "
          f"{together['seeds_per_second']:.3f} seeds/s; {solved(together['eval_means'])} ≥ 475", flush=True)

    sb3 = {}
    if os.path.exists(args.sb3_python):
        for threads in (1, 0):
            runs = [external([args.sb3_python, os.path.join(HERE, "sb3_ppo_cartpole.py"), "--seed", str(s),
                              "--threads", str(threads)]) for s in args.sb3_seeds]
            runs = [r for r in runs if r]
            if runs:
                sb3[threads] = statistics.median(r["seconds"] for r in runs)
                print(f"{runs[0]['library']}: median {sb3[threads]:.2f} s; greedy "
                      f"{[round(r['eval_mean'], 1) for r in runs]}", flush=True)
    else:
        print("Stable-Baselines3 not available (make bench creates .bench-venv)")

    ours = rows["swiftpg default"]
    print("\n| anchor | its time | anchor / swiftpg default | goal |")
    print("|---|---|---|---|")
    if jax_one:
        print(f"| JAX run (compile excluded) | {jax_one['run_seconds']:.2f} s | {jax_one['run_seconds'] / ours:.2f}× "
              "| ≥ 2× (floor 1×) |")
        print(f"| JAX compile + run | {jax_one['compile_seconds'] + jax_one['run_seconds']:.2f} s | "
              f"{(jax_one['compile_seconds'] + jax_one['run_seconds']) / ours:.2f}× | |")
    if 1 in sb3:
        print(f"| SB3, 1 torch thread | {sb3[1]:.2f} s | {sb3[1] / ours:.1f}× | ≥ 20× |")
    if 0 in sb3:
        print(f"| SB3, torch's default threads | {sb3[0]:.2f} s | {sb3[0] / ours:.1f}× | |")
    print(f"| swiftpg float64, 1 thread | {rows['swiftpg float64 1 thread']:.2f} s | "
          f"{rows['swiftpg float64 1 thread'] / ours:.2f}× | |")
    if jax_many:
        print(f"\nMany seeds (K = {args.k}): swiftpg {together['seeds_per_second']:.3f} seeds/s, JAX vmap "
              f"{jax_many['seeds_per_second']:.3f} seeds/s: {together['seeds_per_second'] / jax_many['seeds_per_second']:.2f}× "
              "(goal ≥ 2×)")


if __name__ == "__main__":
    main()
