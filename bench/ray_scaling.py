"""Scaling of swiftpg.distributed on Ray (issue 22), in one run: env steps
per second of pure collection and of PPO training with 1 and 2 Ray rollout
workers against the single-process learner, as ratios, and Ray's
per-iteration overhead in µs and as a share of the iteration.

Workload: CartPole-v1, a 64x64 tanh policy and critic (float32 passes),
n = 64 environments per worker, T = 256 steps per segment (the brief's
"2 × 64 envs × 256 steps"): a segment is 16,384 transitions per worker.

Rows (medians over --repeats iterations after one warm-up):

- ``collect single 64`` / ``single 128``: ``PPO(...).collect()`` in this
  process on 64 / 128 lanes (the in-Swift collection, no Ray);
- ``collect ray K`` (K = 1, 2 workers of 64 lanes): ``DistributedTrainer
  .collect()``: one ``ray.put`` of the parameters, K segments collected
  in the actors, fetched and concatenated in the driver;
- ``ppo single 64 / 128`` and ``ppo ray K``: one PPO iteration (collect +
  update; 1 epoch of minibatches of 4096 so that collection dominates, as
  in the collection-heavy setting the issue targets; the update is the
  same code in every row).

Ratios: weak scaling ``ray 2 / ray 1`` (ideal 2.0; the target is ≥ 0.8 ×
linear = 1.6), ``ray K / single`` on the same total lanes. Overhead:
``gather − slowest worker's collection + broadcast`` per iteration.

The machine has 2 cores shared with the driver, Ray's own processes (GCS,
raylet) and whatever else runs: the load average is printed at the start
and the end. The scaling model of bench/README.md uses these numbers.

    python bench/ray_scaling.py [--repeats 5] [--json out.json]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from swiftpg import distributed as D  # noqa: E402
from swiftpg.algorithms import PPO, PPOConfig  # noqa: E402


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def config(n_total: int, steps: int) -> PPOConfig:
    return PPOConfig(steps_per_env=steps, minibatch_size=4096, epochs=1, seed=0)


def median(xs):
    return statistics.median(xs)


def single_rows(n: int, steps: int, repeats: int) -> dict:
    learner = PPO("CartPole-v1", config=config(n, steps), num_envs=n)
    try:
        learner.collect()
        collect = []
        for _ in range(repeats):
            t = time.perf_counter()
            learner.collect()
            collect.append(time.perf_counter() - t)
        learner.iterate()
        ppo = []
        for _ in range(repeats):
            t = time.perf_counter()
            learner.iterate()
            ppo.append(time.perf_counter() - t)
    finally:
        learner.close()
    m = n * steps
    return {"collect_sps": m / median(collect), "ppo_sps": m / median(ppo), "collect_s": median(collect),
            "ppo_s": median(ppo)}


def ray_rows(k: int, n: int, steps: int, repeats: int) -> dict:
    learner = PPO("CartPole-v1", config=config(k * n, steps), num_envs=k * n)
    try:
        with D.DistributedTrainer(learner, k, fault_tolerance=False) as trainer:
            trainer.collect()
            col = [trainer.collect()[1] for _ in range(repeats)]
            trainer.iterate()
            its = [trainer.iterate() for _ in range(repeats)]
    finally:
        learner.close()
    m = k * n * steps
    pick = lambda rows, key: median([r[key] for r in rows])  # noqa: E731
    it_seconds = median([s.seconds for s in its])
    return {
        "collect_sps": m / pick(col, "seconds"), "collect_s": pick(col, "seconds"),
        "collect_worker_s": pick(col, "worker_collect"), "collect_overhead_us": 1e6 * pick(col, "ray_overhead"),
        "collect_broadcast_us": 1e6 * pick(col, "broadcast"), "bytes_in": col[0]["bytes_in"],
        "ppo_sps": m / it_seconds, "ppo_s": it_seconds,
        "ppo_overhead_us": 1e6 * median([s.ray_overhead for s in its]),
        "ppo_update_s": median([s.update for s in its]),
        "ppo_worker_s": median([s.worker_collect for s in its]),
    }


def scaling_model(r1: dict, n: int, steps: int, bandwidth: float = 1.25e9) -> list[dict]:
    """The model of bench/README.md evaluated with this run's numbers for K
    workers of n lanes × T steps each (s = nT transitions a segment):

    - t_c: one worker's collection of a segment (measured, 1 worker);
    - o_0: Ray's fixed cost per iteration (broadcast, scheduling, the
      result's trip; measured overhead of 1 worker minus its transfer);
    - S: a segment's bytes (measured); the driver ingests K·S per iteration
      at ``bandwidth`` bytes/s (10 GbE assumed on a cluster);
    - u: the learner's update time per transition (measured, 1 worker).

    sync: t = o_0 + t_c + K·S/B + u·K·s; async (collection overlaps the
    update, the driver's ingest and update serialised): throughput =
    min(K·s / (t_c + o_0), 1 / (u + S/(s·B)))."""
    s = n * steps
    t_c = r1["ppo_worker_s"]
    S = r1["bytes_in"]
    u = r1["ppo_update_s"] / s
    o_0 = max(0.0, r1["ppo_overhead_us"] * 1e-6 - S / bandwidth)
    rows = []
    for k in (1, 2, 8, 64, 512):
        t = o_0 + t_c + k * S / bandwidth + u * k * s
        sync = k * s / t
        async_ = min(k * s / (t_c + o_0), 1 / (u + S / (s * bandwidth)))
        rows.append({"workers": k, "sync_sps": sync, "async_sps": async_, "collect_only_sps": k * s / (t_c + o_0 + k * S / bandwidth),
                     "iteration_s": t, "update_share": u * k * s / t})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--lanes", type=int, default=64, help="environments per worker")
    parser.add_argument("--steps", type=int, default=256, help="steps per segment")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    n, steps, r = args.lanes, args.steps, args.repeats
    load_start = loadavg()
    t0 = time.perf_counter()
    D.init_local(num_cpus=2, object_store_memory=200 * 1024 * 1024)
    ray_start = time.perf_counter() - t0
    res = {"single_1x": single_rows(n, steps, r), "single_2x": single_rows(2 * n, steps, r),
           "ray_1": ray_rows(1, n, steps, r), "ray_2": ray_rows(2, n, steps, r)}
    probe = PPO("CartPole-v1", config=config(n, steps), num_envs=n)
    params_bytes = 8 * probe.policy.num_params
    probe.close()
    load_end = loadavg()
    s1, s2, r1, r2 = res["single_1x"], res["single_2x"], res["ray_1"], res["ray_2"]
    print(f"CartPole-v1, 64x64 policy and critic, {n} lanes per worker x {steps} steps; {r} repeats; "
          f"Ray start {ray_start:.1f} s; load average at start {load_start}, at end {load_end}")
    print(f"{'row':22s} {'collect steps/s':>16s} {'PPO steps/s':>12s}")
    for name, key in (("single process, 1x", "single_1x"), ("single process, 2x", "single_2x"),
                      ("ray, 1 worker", "ray_1"), ("ray, 2 workers", "ray_2")):
        print(f"{name:22s} {res[key]['collect_sps']:16,.0f} {res[key]['ppo_sps']:12,.0f}")
    ratios = {
        "collect ray2/ray1 (weak scaling, ideal 2)": r2["collect_sps"] / r1["collect_sps"],
        "collect ray1/single 1x": r1["collect_sps"] / s1["collect_sps"],
        "collect ray2/single 2x": r2["collect_sps"] / s2["collect_sps"],
        "ppo ray2/ray1": r2["ppo_sps"] / r1["ppo_sps"],
        "ppo ray1/single 1x": r1["ppo_sps"] / s1["ppo_sps"],
        "ppo ray2/single 2x": r2["ppo_sps"] / s2["ppo_sps"],
    }
    for k, v in ratios.items():
        print(f"  {k}: {v:.2f}")
    for key, label in (("ray_1", "1 worker"), ("ray_2", "2 workers")):
        x = res[key]
        print(f"  Ray overhead, {label}: collection {x['collect_overhead_us']:,.0f} µs "
              f"({100 * x['collect_overhead_us'] / 1e6 / x['collect_s']:.0f}% of {1e3 * x['collect_s']:.1f} ms; "
              f"broadcast {x['collect_broadcast_us']:,.0f} µs), PPO iteration {x['ppo_overhead_us']:,.0f} µs "
              f"({100 * x['ppo_overhead_us'] / 1e6 / x['ppo_s']:.0f}% of {1e3 * x['ppo_s']:.1f} ms; update "
              f"{1e3 * x['ppo_update_s']:.1f} ms, slowest worker {1e3 * x['ppo_worker_s']:.1f} ms); "
              f"segment bytes in {x['bytes_in'] / 1e6:.2f} MB, parameters {params_bytes / 1e3:.1f} kB")
    model = scaling_model(r1, n, steps)
    print("  scaling model (bench/README.md; 10 GbE ingest into the driver assumed):")
    for m in model:
        print(f"    K = {m['workers']:3d}: sync PPO {m['sync_sps']:12,.0f} steps/s (update {100 * m['update_share']:.0f}% of "
              f"{1e3 * m['iteration_s']:.0f} ms), async PPO {m['async_sps']:12,.0f}, collection only "
              f"{m['collect_only_sps']:14,.0f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": res, "ratios": ratios, "model": model, "load_start": load_start, "load_end": load_end,
                       "ray_start_s": ray_start, "params_bytes": params_bytes, "lanes": n, "steps": steps}, f,
                      indent=1)
    assert np.isfinite(list(ratios.values())).all()


if __name__ == "__main__":
    main()
