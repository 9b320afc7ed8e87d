"""The variance story of the policy-gradient lectures, measured: on a
discounted tabular MDP and on the short corridor, every step from the full
return to the optimal baseline stays unbiased while its variance drops; a
fitted-value actor-critic trades bias for much lower variance; dropping γ^k
in the discounted case is biased.

With --sequences, the sequence-level page instead: the online RLHF
learners' gradient estimates (REINFORCE with and without a baseline, RLOO
for k = 2, 4, 8, ReMax, GRPO with and without the group-std division,
REBEL, PPO) against the exact gradient of the KL-regularised objective, at
16 responses per estimate.

Run: python examples/estimator_lab.py [--sequences] [--fast] [--plot FILE.png]
"""

import sys

import numpy as np

import swiftpg
from swiftpg import lab, rlhf


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


SEQUENCE_ESTIMATORS = [
    lab.SequenceEstimator("reinforce"),
    lab.SequenceEstimator("reinforce", baseline="moving_average"),
    lab.SequenceEstimator("rloo", samples_per_prompt=2),
    lab.SequenceEstimator("rloo", samples_per_prompt=4),
    lab.SequenceEstimator("rloo", samples_per_prompt=8),
    lab.SequenceEstimator("remax"),
    lab.SequenceEstimator("grpo", samples_per_prompt=4, scaling="group"),
    lab.SequenceEstimator("grpo", samples_per_prompt=4, scaling="none"),
    lab.SequenceEstimator("rebel"),
    lab.SequenceEstimator("ppo"),
]


def sequences(fast: bool = False, plot: str | None = None) -> lab.SequenceReport:
    """The sequence-level page on a small Summarise task (V = 3, L = 3, two
    posts; 39 responses per post), at a policy ten RLOO iterations away
    from the uniform reference (mean gold ≈ 0.97 of at most 1.8, KL ≈ 0.7):
    N = 16 responses per estimate, β = 0.1. Returns the report."""
    beta = 0.1
    task = rlhf.Summarise(vocab_size=3, max_length=3, num_prompts=2, post_length=5, salient_count=2)
    reference = rlhf.SequencePolicy.for_task(task)
    policy = reference.copy()
    with rlhf.RLOO(policy, reference, task, beta=beta, samples_per_prompt=4, learning_rate=0.1, seed=7) as rloo:
        rloo.fit(10)
    report = lab.sequence_run(task, policy, reference, SEQUENCE_ESTIMATORS, beta=beta, responses_per_estimate=16,
                              estimates=300 if fast else 2000, seed=3)
    print(report)
    if plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        ax = report.plot()
        ax.set_title(report.problem)
        plt.tight_layout()
        plt.savefig(plot)
        print("saved", plot)
    return report


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
    if "--sequences" in sys.argv:
        sequences(fast="--fast" in sys.argv, plot=out)
    else:
        main(fast="--fast" in sys.argv, plot=out)
