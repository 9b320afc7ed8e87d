"""Transfer to unseen physics: PPO trained without randomisation, with ADR,
and with uniform randomisation over ADR's final ranges (issue 20).

CartPole-v1, PPO with swiftpg's defaults (16 envs), ``--steps`` environment
steps per run, seeds 0 … S−1. ADR randomises the pole length (half-length,
nominal 0.5, step 0.05, limits [0.1, 2.0]) and the pole mass (nominal 0.1,
step 0.02, limits [0.02, 1.0]) with the defaults of
``swiftpg.randomization.ADR`` (p_b 0.5, m 10, t_H 0.8, t_L 0.4, success =
return ≥ 475). "uniform" trains with every parameter drawn uniformly from
the final ranges of the same seed's ADR run from the start.

Each final policy is evaluated greedily on a held-out 5×5 grid (pole length
× pole mass, below) with ``--episodes`` episodes per cell (seeds disjoint
from training), and on one "unseen real system" outside the nominal
(length 1.2, mass 0.5, cart mass 1.5, push force 8 N — the last two never
randomised): the success rate (return ≥ 475) per cell, its mean over the
grid per run, and mean ± standard error over seeds per condition. The
claim to check: ADR's share of solved grid cells exceeds the nominal
policy's by more than two standard errors.

Usage: python bench/adr_transfer.py [--seeds 3] [--steps 400000] [--episodes 20] [--quick] [--json PATH]
       [--plot PATH]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import swiftpg
from swiftpg.randomization import ADR, ParameterSchedule

LENGTHS = (0.15, 0.5, 1.0, 1.5, 2.0)
MASSES = (0.05, 0.1, 0.5, 1.0, 2.0)
REAL_SYSTEM = {"length": 1.2, "masspole": 0.5, "masscart": 1.5, "force_mag": 8.0}
SUCCESS = 475.0
SCHEDULES = {"length": ParameterSchedule(0.5, step=0.05, limits=(0.1, 2.0)),
             "masspole": ParameterSchedule(0.1, step=0.02, limits=(0.02, 1.0))}


def train(condition: str, seed: int, steps: int, ranges: dict | None = None):
    """A trained PPO learner under ``condition``; ADR's final ranges too."""
    env = swiftpg.make_vec("CartPole-v1", 16, seed=seed)
    adr = None
    if condition == "adr":
        adr = ADR(env, dict(SCHEDULES))
    elif condition == "uniform":
        for name, (lo, hi) in ranges.items():
            env.randomize_parameter(name, lo, hi)
        env.reset()
    learner = swiftpg.algorithms.PPO(env, config=swiftpg.algorithms.PPOConfig(seed=seed))
    learner.train(steps, callback=adr)
    return learner, (adr.ranges if adr else None), (adr.history if adr else None)


def success_rate(learner, params: dict, episodes: int, seed: int) -> float:
    env = swiftpg.make_vec("CartPole-v1", min(episodes, 16), seed=seed, **params)
    try:
        returns, _ = learner.evaluate(episodes, greedy=True, seed=seed, env=env)
    finally:
        env.close()
    return float(np.mean(returns >= SUCCESS))


def evaluate(learner, episodes: int, seed: int) -> tuple[np.ndarray, float]:
    grid = np.array([[success_rate(learner, {"length": L, "masspole": M}, episodes, 10_000 + seed * 100 + 5 * i + j)
                      for j, M in enumerate(MASSES)] for i, L in enumerate(LENGTHS)])
    return grid, success_rate(learner, REAL_SYSTEM, episodes, 20_000 + seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=400_000)
    ap.add_argument("--episodes", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="1 seed, 60k steps, 4 episodes per cell (a smoke test)")
    ap.add_argument("--json")
    ap.add_argument("--plot", help="heat maps of the mean success rate per condition (matplotlib)")
    args = ap.parse_args()
    if args.quick:
        args.seeds, args.steps, args.episodes = 1, 60_000, 4
    runs = {c: [] for c in ("nominal", "adr", "uniform")}
    started = time.perf_counter()
    for seed in range(args.seeds):
        for condition in ("nominal", "adr", "uniform"):
            ranges = runs["adr"][-1]["final_ranges"] if condition == "uniform" else None
            t0 = time.perf_counter()
            learner, final, history = train(condition, seed, args.steps, ranges)
            seconds = time.perf_counter() - t0
            grid, real = evaluate(learner, args.episodes, seed)
            learner.close()
            record = {"seed": seed, "grid": grid.tolist(), "grid_mean": float(grid.mean()), "real_system": real,
                      "train_seconds": seconds}
            if final is not None:
                record["final_ranges"] = final
                record["entropy_curve"] = [(h["env_steps"], h["entropy"]) for h in history]
            if ranges is not None:
                record["ranges"] = ranges
            runs[condition].append(record)
            extra = "" if final is None else "  ADR ranges " + ", ".join(
                f"{n} [{lo:.2f}, {hi:.2f}]" for n, (lo, hi) in final.items())
            print(f"seed {seed} {condition:8}: grid success {grid.mean():.3f}, unseen system {real:.2f} "
                  f"({seconds:.1f} s training){extra}", flush=True)
    print(f"\nCartPole-v1, PPO, {args.steps:,} steps, {args.seeds} seeds, {args.episodes} greedy episodes per cell "
          f"(success: return >= {SUCCESS:g}); {time.perf_counter() - started:.0f} s in all")
    print(f"grid: length {LENGTHS} x pole mass {MASSES}; unseen system {REAL_SYSTEM}")
    summary = {}
    for condition, records in runs.items():
        shares = np.array([r["grid_mean"] for r in records])
        real = np.array([r["real_system"] for r in records])
        se = shares.std(ddof=1) / np.sqrt(len(shares)) if len(shares) > 1 else float("nan")
        summary[condition] = {"grid_mean": float(shares.mean()), "grid_se": float(se),
                              "real_system_mean": float(real.mean())}
        print(f"{condition:8} grid success {shares.mean():.3f} ± {se:.3f} (SE over seeds), "
              f"unseen system {real.mean():.2f}")
        mean_grid = np.mean([r["grid"] for r in records], axis=0)
        print("          length \\ mass " + " ".join(f"{m:>5}" for m in MASSES))
        for L, row in zip(LENGTHS, mean_grid):
            print(f"          {L:>13} " + " ".join(f"{v:5.2f}" for v in row))
    diff = summary["adr"]["grid_mean"] - summary["nominal"]["grid_mean"]
    se = np.hypot(summary["adr"]["grid_se"], summary["nominal"]["grid_se"])
    print(f"ADR − nominal: {diff:+.3f} (combined SE {se:.3f}; {'more' if diff > 2 * se else 'not more'} than 2 SE)")
    if args.plot:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
        for ax, (condition, records) in zip(axes, runs.items()):
            image = ax.imshow(np.mean([r["grid"] for r in records], axis=0), vmin=0, vmax=1, cmap="viridis",
                              origin="lower")
            ax.set_xticks(range(len(MASSES)), [str(m) for m in MASSES])
            ax.set_yticks(range(len(LENGTHS)), [str(v) for v in LENGTHS])
            ax.set_xlabel("pole mass (kg)")
            ax.set_ylabel("pole half-length (m)")
            ax.set_title(f"{condition}: {summary[condition]['grid_mean']:.2f}")
        fig.colorbar(image, ax=axes, label="success rate")
        fig.savefig(args.plot, bbox_inches="tight")
        print(f"wrote {args.plot}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "runs": runs, "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()
