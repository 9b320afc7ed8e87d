"""Seeds and a learning-rate sweep of PPO on CartPole-v1 spread over Ray
Tune trials (issue 22): every trial is one swiftpg learner in its own Ray
worker process; Tune schedules them over the machine's (or the cluster's)
CPUs and collects each trial's evaluation return.

Needs Ray Tune: pip install 'ray[tune]' (the swiftpg[ray] extra installs
only Ray's core, which swiftpg.distributed needs).

Run: python examples/ray_tune_sweep.py [--fast] [--address ADDR]

For one trial that itself uses rollout workers, see swiftpg.distributed
(``python -m swiftpg train CartPole-v1 --algo ppo --workers 2``).
"""

import argparse
import statistics


def trial(config: dict) -> None:
    """One Tune trial: PPO with the trial's seed and learning rate, a greedy
    evaluation reported to Tune."""
    from ray import tune

    import swiftpg
    cfg = swiftpg.algorithms.PPOConfig(seed=config["seed"], learning_rate=config["learning_rate"],
                                       steps_per_env=32, minibatch_size=256, epochs=10)
    with swiftpg.algorithms.PPO("CartPole-v1", config=cfg, num_envs=8) as learner:
        learner.train(config["steps"])
        returns, _ = learner.evaluate(episodes=20, seed=1000 + config["seed"])
    tune.report({"eval_return": float(returns.mean()), "env_steps": config["steps"]})


def main(fast: bool = False, address: str | None = None) -> dict:
    import ray
    from ray import tune
    if not ray.is_initialized():
        if address is None:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=80 * 1024 * 1024)
        else:
            ray.init(address=address)
    seeds = [0, 1] if fast else [0, 1, 2, 3]
    rates = [1e-3] if fast else [3e-4, 1e-3]
    space = {"seed": tune.grid_search(seeds), "learning_rate": tune.grid_search(rates),
             "steps": 4_096 if fast else 50_000}
    tuner = tune.Tuner(tune.with_resources(trial, {"cpu": 1}), param_space=space,
                       tune_config=tune.TuneConfig(metric="eval_return", mode="max"))
    results = tuner.fit()
    by_rate: dict = {}
    for r in results:
        if r.error is not None:
            raise r.error
        by_rate.setdefault(r.config["learning_rate"], []).append(r.metrics["eval_return"])
    for rate, values in sorted(by_rate.items()):
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        print(f"learning_rate {rate:g}: evaluation return {statistics.mean(values):.1f} ± {spread:.1f} "
              f"over seeds {seeds}")
    best = results.get_best_result()
    print(f"best trial: learning_rate {best.config['learning_rate']:g}, seed {best.config['seed']}: "
          f"{best.metrics['eval_return']:.1f}")
    return by_rate


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="two seeds, one rate, a short budget")
    parser.add_argument("--address", default=None, help="a Ray cluster to join (default: a local Ray)")
    args = parser.parse_args()
    main(args.fast, args.address)
