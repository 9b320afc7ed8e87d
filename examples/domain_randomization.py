"""Domain randomisation: train REINFORCE on CartPole while automatic domain
randomisation widens the range of pole lengths as the policy succeeds.

Run: python examples/domain_randomization.py [--fast]
"""

import sys

import swiftpg
from swiftpg.randomization import ADR, ParameterSchedule


def main(fast: bool = False) -> dict:
    env = swiftpg.make_vec("CartPole-v1", 16, seed=0)
    adr = ADR(env, {"length": ParameterSchedule(nominal=0.5, step=0.1, limits=(0.2, 1.5))},
              window=20, widen_above=0.6, narrow_below=0.2)
    learner = swiftpg.algorithms.REINFORCE(env, config=swiftpg.algorithms.ReinforceConfig(seed=0))
    for _ in range(8 if fast else 60):
        stats = learner.iterate()
        # The learner reports episode statistics per iteration; count episodes
        # that reached 475 steps as successes (an approximation by the mean).
        for _ in range(stats.episodes):
            adr.record(stats.mean_return >= 475)
        lo, hi = adr.ranges["length"]
        print(f"iteration {stats.iteration:3d}: return {stats.mean_return:6.1f}  pole length range [{lo:.2f}, {hi:.2f}]")
    learner.policy.close()
    learner.close()
    env.close()
    return adr.ranges


if __name__ == "__main__":
    main(fast="--fast" in sys.argv)
