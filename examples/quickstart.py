"""Quick start: a batched Gymnasium-exact CartPole and REINFORCE, from Python.

Run: python examples/quickstart.py [--fast]
"""

import sys

import numpy as np

import swiftpg


def main(fast: bool = False) -> float:
    # 16 CartPole-v1 instances stepped together in Swift (a gymnasium VectorEnv).
    env = swiftpg.make_vec("CartPole-v1", num_envs=16, seed=0)
    obs, info = env.reset()
    for _ in range(100):
        obs, rewards, terminated, truncated, info = env.step(env.action_space.sample())
        if "final_obs" in info:  # instances that ended were reset in this same step
            pass
    env.close()

    # REINFORCE with reward-to-go and a mean baseline; one Swift call per iteration.
    learner = swiftpg.algorithms.REINFORCE("CartPole-v1")
    budget = 20_000 if fast else 300_000
    for stats in learner.train(budget, stop_at_return=495):
        print(f"iteration {stats.iteration:3d}: return {stats.mean_return:6.1f} "
              f"({stats.total_env_steps} env steps, {stats.steps_per_second / 1e3:.0f}k steps/s)")
    returns, lengths = learner.evaluate(episodes=20 if fast else 100)
    print(f"greedy evaluation: {returns.mean():.1f} ± {returns.std():.1f}")
    learner.policy.close()
    learner.env.close()
    learner.close()
    return float(np.mean(returns))


if __name__ == "__main__":
    main(fast="--fast" in sys.argv)
