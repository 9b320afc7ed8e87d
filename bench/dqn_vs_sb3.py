"""DQN on CartPole-v1 at the rl-baselines3-zoo settings (50 000 steps,
24 704 gradient steps of batch 64 on a 256×256 ReLU Q-network), swiftpg
against Stable-Baselines3 with one PyTorch thread, side by side in one run:
training wall time per seed (no evaluation inside the timed part), the
final network's greedy return over 100 episodes, and the time ratio
SB3 / swiftpg (issue 19's target: >= 10). The CPU time of each training
run (the process's, all its threads) is printed too: on a machine shared
with other work the wall-time ratio moves with the load of the moment, the
CPU-time ratio much less.

SB3 (with PyTorch) is not a swiftpg dependency: it runs in the interpreter
given by --sb3-python (``make bench`` creates .bench-venv/ for it); without
one, only swiftpg's numbers are printed. The runs alternate (swiftpg, then
SB3, per seed) so that load from other processes hits both.

    python bench/dqn_vs_sb3.py [--seeds 0 1 2 3 4] [--sb3-python .bench-venv/bin/python]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from timing import external_result  # noqa: E402


def swiftpg_run(seed: int, steps: int) -> dict:
    from swiftpg.algorithms import DQN, DQNConfig
    from swiftpg.cli import PRESETS

    preset = PRESETS[("dqn", "CartPole-v1")]
    config = DQNConfig(seed=seed, total_env_steps=steps, hidden_sizes=preset["policy"]["hidden_sizes"]).replace(
        **preset["config"])
    with DQN("CartPole-v1", config, num_envs=preset["num_envs"]) as learner:
        start, cpu = time.perf_counter(), time.process_time()
        learner.train(steps)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        returns, _ = learner.evaluate(episodes=100, seed=seed + 1_000_003)
        return dict(library="swiftpg", seed=seed, env_steps=learner.total_env_steps,
                    gradient_steps=learner.counters()["total_gradient_steps"], seconds=round(seconds, 2),
                    cpu_seconds=round(cpu_seconds, 2),
                    eval_mean=float(returns.mean()))


def sb3_run(python: str, seed: int, steps: int, threads: int) -> dict | None:
    """One SB3 run in the benchmark venv (None, with the reason printed, if it fails or hangs)."""
    cmd = [python, os.path.join(HERE, "sb3_dqn_cartpole.py"), "--seed", str(seed), "--steps", str(steps),
           "--threads", str(threads)]
    return external_result(cmd, timeout=3600, label="SB3 DQN")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--sb3-python", default=None)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for SB3 (issue 19: 1)")
    args = parser.parse_args()
    print("| seed | swiftpg s | swiftpg CPU s | swiftpg final eval | SB3 s | SB3 CPU s | SB3 final eval | "
          "SB3 / swiftpg (wall) | SB3 / swiftpg (CPU) |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratios, cpu_ratios, label = [], [], None
    for seed in args.seeds:
        ours = swiftpg_run(seed, args.steps)
        theirs = sb3_run(args.sb3_python, seed, args.steps, args.threads) if args.sb3_python else None
        row = f"| {seed} | {ours['seconds']} | {ours['cpu_seconds']} | {ours['eval_mean']:.1f} | "
        if theirs:
            label = theirs["library"]
            assert theirs["gradient_steps"] == ours["gradient_steps"], (theirs, ours)
            ratios.append(theirs["seconds"] / ours["seconds"])
            cpu_ratios.append(theirs["cpu_seconds"] / ours["cpu_seconds"])
            row += (f"{theirs['seconds']} | {theirs['cpu_seconds']} | {theirs['eval_mean']:.1f} | "
                    f"{ratios[-1]:.1f}× | {cpu_ratios[-1]:.1f}× |")
        else:
            row += "– | – | – | – | – |"
        print(row, flush=True)
    if ratios:
        print(f"\n{label}; both ran {ours['gradient_steps']} gradient steps. Time ratio SB3 / swiftpg per seed, "
              f"wall: {', '.join(f'{r:.1f}' for r in ratios)} (median {sorted(ratios)[len(ratios) // 2]:.1f}); "
              f"CPU: {', '.join(f'{r:.1f}' for r in cpu_ratios)} (median {sorted(cpu_ratios)[len(cpu_ratios) // 2]:.1f}). "
              f"Target >= 10 (wall, every seed): {'met' if min(ratios) >= 10 else f'NOT met (lowest {min(ratios):.1f})'}.")


if __name__ == "__main__":
    main()
