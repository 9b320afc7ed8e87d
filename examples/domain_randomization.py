"""Automatic domain randomisation (ADR), the robotics case study in miniature.

OpenAI trained its Rubik's-cube hand with PPO in simulation only and
transferred it to the real robot by randomising the simulator's physics —
automatically: ADR starts every parameter at its nominal value and widens
its range only while the policy still succeeds at the range's boundaries
(OpenAI et al. 2019, §5). Here PPO learns CartPole-v1 while ADR widens the
pole length and mass; an episode succeeds at a return of 475. ADR runs
inside the environment (boundary sampling at every automatic reset), so the
learner needs no change: the ADR object is only the callback that records
the ranges and the ADR entropy after every iteration.

Run: python examples/domain_randomization.py [--fast] [--plot PATH]
"""

import sys

import swiftpg
from swiftpg.randomization import ADR, ParameterSchedule


def main(fast: bool = False, plot: str | None = None) -> dict:
    env = swiftpg.make_vec("CartPole-v1", 16, seed=0)
    adr = ADR(env, {"length": ParameterSchedule(0.5, step=0.05, limits=(0.1, 2.0)),
                    "masspole": ParameterSchedule(0.1, step=0.02, limits=(0.02, 1.0))})
    learner = swiftpg.algorithms.PPO(env, config=swiftpg.algorithms.PPOConfig(seed=0))
    learner.train(30_000 if fast else 300_000, callback=adr)
    for h in adr.history[:: max(1, len(adr.history) // 10)] + adr.history[-1:]:
        (l0, l1), (m0, m1) = h["ranges"]["length"], h["ranges"]["masspole"]
        entropy = "undefined (a range is still closed)" if h["entropy"] is None else f"{h['entropy']:+.2f} nats/dim"
        print(f"{h['env_steps']:>8,} steps: pole length [{l0:.2f}, {l1:.2f}], pole mass [{m0:.2f}, {m1:.2f}], "
              f"ADR entropy {entropy}; {h['successes']}/{h['episodes']} episodes succeeded")
    if plot:
        adr.plot(plot)
        print(f"wrote {plot}")
    ranges = adr.ranges
    learner.close()
    env.close()
    return ranges


if __name__ == "__main__":
    path = sys.argv[sys.argv.index("--plot") + 1] if "--plot" in sys.argv else None
    main(fast="--fast" in sys.argv, plot=path)
