"""Command line: ``python -m swiftpg train ENV --algo ALGO --seed S``
(ALGO: reinforce, actor-critic, a2c, offpolicy-pg, npg, trpo, ppo, cem, ga,
pattern-search).

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
from .algorithms import PG_ALGORITHMS, PolicySearch, SearchConfig

SEARCH_METHODS = ("cem", "ga", "pattern-search")
ALGORITHMS = tuple(PG_ALGORITHMS) + SEARCH_METHODS

# Per-environment defaults: env-step budget and early-stop return.
ENV_DEFAULTS = {
    "CartPole-v1": dict(steps=500_000, stop_at_return=495.0),
    "Acrobot-v1": dict(steps=1_000_000, stop_at_return=None),
    "Pendulum-v1": dict(steps=1_000_000, stop_at_return=None),
    # One 999-step episode every ~8 iterations: stop once the last 10 episodes average the threshold.
    "MountainCarContinuous-v0": dict(steps=1_000_000, stop_at_return=90.0, stop_window=10),
}

# Per-(algorithm, environment) settings: num_envs, config overrides and the
# step budget. PPO's follow rl-baselines3-zoo's hyperparameters where they exist.
PRESETS = {
    ("ppo", "CartPole-v1"): dict(num_envs=8, steps=100_000, config=dict(
        steps_per_env=32, minibatch_size=256, gae_lambda=0.8, gamma=0.98, epochs=20, learning_rate=1e-3,
        anneal_learning_rate=True, anneal_clip_range=True, entropy_coef=0.0, update_threads=2)),
    ("ppo", "Acrobot-v1"): dict(num_envs=16, steps=1_000_000, config=dict(
        steps_per_env=256, gae_lambda=0.94, gamma=0.99, epochs=4, minibatch_size=64, entropy_coef=0.0,
        normalize_observations=True)),
    ("ppo", "Pendulum-v1"): dict(num_envs=4, steps=1_000_000, config=dict(
        steps_per_env=1024, gae_lambda=0.95, gamma=0.9, epochs=10, minibatch_size=64, learning_rate=1e-3,
        clip_range=0.2, entropy_coef=0.0, normalize_observations=True, normalize_rewards=True,
        anneal_learning_rate=True)),
    # The zoo's settings with gSDE (noise redrawn every rollout of 8 steps, log σ init −3.29).
    ("ppo", "MountainCarContinuous-v0"): dict(num_envs=1, steps=100_000, config=dict(
        steps_per_env=8, minibatch_size=8, gamma=0.9999, learning_rate=7.77e-5, entropy_coef=0.00429,
        clip_range=0.1, epochs=10, gae_lambda=0.9, max_grad_norm=5.0, value_coef=0.19,
        normalize_observations=True, normalize_rewards=True),
        policy=dict(gsde=True, noise_interval=8, initial_log_std=-3.29)),
    ("a2c", "CartPole-v1"): dict(num_envs=8, steps=200_000, config=dict(learning_rate=1e-3)),
    ("trpo", "CartPole-v1"): dict(num_envs=8, steps=100_000, config=dict(
        steps_per_env=128, minibatch_size=128, max_kl=0.02)),
    ("npg", "CartPole-v1"): dict(num_envs=8, steps=200_000, config=dict(
        steps_per_env=128, minibatch_size=128, max_kl=0.02)),
    ("actor-critic", "CartPole-v1"): dict(num_envs=16, steps=500_000, config=dict()),
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


def _parse_overrides(pairs: list[str], option: str = "--config") -> dict:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise SystemExit(f"{option} expects key=value, got {pair!r}")
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
    if args.algo in SEARCH_METHODS:
        return search_command(args)
    defaults = ENV_DEFAULTS.get(args.env, dict(steps=200_000, stop_at_return=None))
    preset = PRESETS.get((args.algo, args.env), {})
    budget = args.steps or preset.get("steps") or defaults["steps"]
    stop_at = None if args.no_early_stop else defaults["stop_at_return"]
    num_envs = args.num_envs or preset.get("num_envs", 8)
    learner_class = PG_ALGORITHMS[args.algo]
    try:
        overrides = dict(preset.get("config", {}))
        overrides.update(_parse_overrides(args.config))
        config = learner_class._config_class(seed=args.seed)
        if "total_env_steps" in {f for f in config.__dataclass_fields__}:
            overrides.setdefault("total_env_steps", budget)
        config = config.replace(**overrides)
        policy_kwargs = dict(preset.get("policy", {}))
        policy_kwargs.update(_parse_overrides(args.policy, "--policy"))
        learner = learner_class(args.env, config=config, num_envs=num_envs, policy_kwargs=policy_kwargs or None)
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
        history = learner.train(budget, callback=progress, stop_at_return=stop_at, checkpoint=args.checkpoint,
                                stop_window=defaults.get("stop_window", 100))
    except KeyboardInterrupt:
        history = learner.history
        print("interrupted; evaluating the current policy", file=sys.stderr)
    except _lib.NumericalError as e:
        print(f"error: training diverged: {e}", file=sys.stderr)
        return 1
    train_seconds = time.perf_counter() - start

    returns, lengths = learner.evaluate(episodes=args.eval_episodes, greedy=not args.stochastic_eval,
                                        seed=(args.seed + 1_000_003) % 2**64)
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


def search_command(args) -> int:
    """Zeroth-order search: iterations instead of a step budget."""
    try:
        config = SearchConfig(method=args.algo, seed=args.seed).replace(**_parse_overrides(args.config))
        search = PolicySearch(args.env, config=config, num_envs=config.episodes_per_evaluation)
    except (_lib.SwiftPGError, TypeError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    iterations = args.steps or 50
    start = time.perf_counter()

    def progress(s):
        if not args.quiet:
            print(f"iter {s.iteration:4d}  steps {s.total_env_steps:8d}  best {s.best_utility:7.1f}  "
                  f"mean {s.mean_utility:7.1f}  spread {s.spread:.3g}", file=sys.stderr, flush=True)

    threshold = ENV_DEFAULTS.get(args.env, {}).get("stop_at_return")
    history = search.train(iterations, callback=progress,
                           stop_at_utility=None if args.no_early_stop else threshold, checkpoint=args.checkpoint)
    seconds = time.perf_counter() - start
    returns, _ = search.evaluate(episodes=args.eval_episodes, greedy=True, seed=(args.seed + 1_000_003) % 2**64)
    summary = {"env": args.env, "algo": args.algo, "seed": args.seed,
               "env_steps": history[-1].total_env_steps if history else 0, "iterations": len(history),
               "train_seconds": round(seconds, 3), "eval_episodes": int(args.eval_episodes), "eval_greedy": True,
               "eval_mean_return": float(returns.mean()), "eval_std_return": float(returns.std()),
               "eval_min_return": float(returns.min()), "reward_threshold": search.env.reward_threshold}
    print(json.dumps(summary) if args.json else
          f"{args.env} {args.algo} seed {args.seed}: evaluation {summary['eval_mean_return']:.1f}")
    search.close()
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
    t.add_argument("--steps", type=int, default=None, help="environment-step budget (default per algorithm and environment); "
                   "iterations for cem/ga/pattern-search")
    t.add_argument("--num-envs", type=int, default=None,
                   help="instances stepped together (default per algorithm and environment, else 8)")
    t.add_argument("--checkpoint", metavar="PATH", help="save the learner after every iteration (resume with load)")
    t.add_argument("--config", nargs="*", default=[], metavar="KEY=VALUE",
                   help="algorithm config overrides, e.g. learning_rate=0.005 gamma=1.0")
    t.add_argument("--policy", nargs="*", default=[], metavar="KEY=VALUE",
                   help="default-policy options, e.g. gsde=true initial_log_std=-2 noise_interval=8")
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
