"""Command line: ``python -m swiftpg train ENV --algo reinforce --seed S``.

Progress goes to stderr (one line per iteration); with ``--json`` the final
summary is one JSON line on stdout, so ``... --json | jq`` works.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

from . import _lib
from .algorithms import REINFORCE, ReinforceConfig

ALGORITHMS = ("reinforce",)

# Per-environment defaults: (total env-step budget, early-stop return).
ENV_DEFAULTS = {
    "CartPole-v1": dict(steps=500_000, stop_at_return=495.0),
}


def _parse_value(text: str):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _parse_overrides(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise SystemExit(f"--config expects key=value, got {pair!r}")
        key, value = pair.split("=", 1)
        out[key.strip()] = _parse_value(value.strip())
    return out


def _plot(history, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [s.total_env_steps for s in history]
    mean = np.array([s.mean_return for s in history])
    std = np.array([s.std_return for s in history])
    low = np.maximum(mean - std, [s.min_return for s in history])
    high = np.minimum(mean + std, [s.max_return for s in history])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, mean, label="mean episodic return (training batch)")
    ax.fill_between(steps, low, high, alpha=0.25, label="± 1 std (within min–max)")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("return")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def train_command(args) -> int:
    if args.env not in _lib.env_ids():
        print(f"error: unknown environment {args.env!r}; available: {', '.join(_lib.env_ids())}", file=sys.stderr)
        return 2
    defaults = ENV_DEFAULTS.get(args.env, dict(steps=200_000, stop_at_return=None))
    budget = args.steps or defaults["steps"]
    stop_at = None if args.no_early_stop else defaults["stop_at_return"]
    try:
        config = ReinforceConfig(seed=args.seed).replace(**_parse_overrides(args.config))
        learner = REINFORCE(args.env, config=config, num_envs=args.num_envs)
    except (_lib.SwiftPGError, TypeError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    quiet = args.quiet

    def progress(s):
        if not quiet:
            print(
                f"iter {s.iteration:4d}  steps {s.total_env_steps:8d}  return {s.mean_return:7.1f} "
                f"± {s.std_return:5.1f}  len {s.mean_length:6.1f}  entropy {s.entropy:.3f}  "
                f"|g| {s.grad_norm:.3g}  {s.steps_per_second / 1e3:7.1f}k steps/s",
                file=sys.stderr, flush=True,
            )

    start = time.perf_counter()
    try:
        history = learner.train(budget, callback=progress, stop_at_return=stop_at)
    except KeyboardInterrupt:
        history = learner.history
        print("interrupted; evaluating the current policy", file=sys.stderr)
    except _lib.NumericalError as e:
        print(f"error: training diverged: {e}", file=sys.stderr)
        return 1
    train_seconds = time.perf_counter() - start

    returns, lengths = learner.evaluate(episodes=args.eval_episodes, greedy=not args.stochastic_eval,
                                        seed=args.seed + 1_000_003)
    summary = {
        "env": args.env,
        "algo": args.algo,
        "seed": args.seed,
        "env_steps": learner.total_env_steps,
        "iterations": len(history),
        "train_seconds": round(train_seconds, 3),
        "eval_episodes": int(args.eval_episodes),
        "eval_greedy": not args.stochastic_eval,
        "eval_mean_return": float(returns.mean()),
        "eval_std_return": float(returns.std()),
        "eval_min_return": float(returns.min()),
        "reward_threshold": learner.env.reward_threshold,
    }
    if args.plot:
        _plot(history, args.plot, f"{args.algo} on {args.env}, seed {args.seed}")
        summary["plot"] = args.plot
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{args.env} {args.algo} seed {args.seed}: {summary['env_steps']} env steps in "
            f"{train_seconds:.2f} s; evaluation over {args.eval_episodes} "
            f"{'greedy' if not args.stochastic_eval else 'stochastic'} episodes: "
            f"{summary['eval_mean_return']:.1f} ± {summary['eval_std_return']:.1f}"
            + (f"; learning curve: {args.plot}" if args.plot else "")
        )
    learner.close()
    return 0


def envs_command(args) -> int:
    for env_id in _lib.env_ids():
        print(env_id)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m swiftpg", description="swiftpg command line")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a policy and evaluate it")
    t.add_argument("env", help="environment id, e.g. CartPole-v1")
    t.add_argument("--algo", choices=ALGORITHMS, default="reinforce")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--steps", type=int, default=None, help="environment-step budget (default per environment)")
    t.add_argument("--num-envs", type=int, default=8, help="instances stepped together")
    t.add_argument("--config", nargs="*", default=[], metavar="KEY=VALUE",
                   help="algorithm config overrides, e.g. learning_rate=0.005 gamma=1.0")
    t.add_argument("--no-early-stop", action="store_true",
                   help="use the whole budget instead of stopping once the training return reaches the target")
    t.add_argument("--eval-episodes", type=int, default=100)
    t.add_argument("--stochastic-eval", action="store_true", help="sample actions instead of greedy evaluation")
    t.add_argument("--json", action="store_true", help="print a one-line JSON summary on stdout")
    t.add_argument("--plot", metavar="PATH", help="write a learning-curve PNG")
    t.add_argument("--quiet", action="store_true", help="no per-iteration progress")
    t.set_defaults(fn=train_command)

    e = sub.add_parser("envs", help="list the environment ids")
    e.set_defaults(fn=envs_command)

    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
