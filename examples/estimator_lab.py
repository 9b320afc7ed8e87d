"""The variance story of the policy-gradient lectures, measured: on a
discounted tabular MDP and on the short corridor, every step from the full
return to the optimal baseline stays unbiased while its variance drops; a
fitted-value actor-critic trades bias for much lower variance; dropping γ^k
in the discounted case is biased.

Run: python examples/estimator_lab.py [--fast] [--plot FILE.png]
"""

import sys

import numpy as np

import swiftpg
from swiftpg import lab


def chain_mdp():
    """Five states in a row, actions left/right (moving as intended with
    probability 0.8), reward +5 for entering the right end (terminal), −1
    per step elsewhere, γ = 0.9; start in the two left-most states."""
    S, A = 5, 2
    P = np.zeros((S, A, S))
    for s in range(S - 1):
        left, right = max(s - 1, 0), s + 1
        P[s, 0, left] += 0.8
        P[s, 0, right] += 0.2
        P[s, 1, right] += 0.8
        P[s, 1, left] += 0.2
    P[S - 1, :, S - 1] = 1.0
    R = np.full((S, A, S), -1.0)
    R[:, :, S - 1] = 5.0
    mu = np.array([0.5, 0.5, 0, 0, 0])
    terminal = np.array([False] * (S - 1) + [True])
    return lab.tabular(P, R, mu, gamma=0.9, terminal=terminal)


ESTIMATORS = [
    lab.Estimator("full_return"),
    lab.Estimator("reward_to_go"),
    lab.Estimator("reward_to_go", baseline="mean"),
    lab.Estimator("reward_to_go", baseline="optimal"),
    lab.Estimator("value", lam=1.0),
    lab.Estimator("value", lam=0.0),
    lab.Estimator("reward_to_go", drop_discount=True),
]


def main(fast: bool = False, plot: str | None = None) -> dict:
    """Runs the lab on both problems and returns the two reports."""
    K = 300 if fast else 2000
    reports = {}

    chain = chain_mdp()
    policy = swiftpg.policies.TabularSoftmaxPolicy(5, 2)
    policy.params = np.array([0.3, -0.2, 0.0, 0.4, -0.5, 0.2, 0.1, 0.1, 0.0, 0.0])
    reports["chain"] = lab.run(chain, policy, ESTIMATORS, episodes=10, estimates=K, seed=1)

    corridor = lab.short_corridor()
    clamp = swiftpg.policies.ClampPolicy(theta=0.4)   # π(action 0) = 0.4
    corridor_estimators = [e for e in ESTIMATORS if not e.drop_discount]      # γ = 1 there
    reports["corridor"] = lab.run(corridor, clamp, corridor_estimators, episodes=10, estimates=K, seed=2)

    for report in reports.values():
        print(report, "\n")
    if plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(2, 1, figsize=(9, 8))
        for ax, (name, report) in zip(axes, reports.items()):
            report.plot(ax)
            ax.set_title(report.problem)
        fig.tight_layout()
        fig.savefig(plot)
        print("saved", plot)
    return reports


if __name__ == "__main__":
    out = sys.argv[sys.argv.index("--plot") + 1] if "--plot" in sys.argv else None
    main(fast="--fast" in sys.argv, plot=out)
