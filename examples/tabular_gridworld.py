"""Tabular environments: a gridworld, its MDP as arrays, value iteration on
that MDP, and a check of the optimal policy by simulation.

Run: python examples/tabular_gridworld.py [--fast]
"""

import sys

import numpy as np

import swiftpg

LAYOUT = """S..#
.#.G
...P"""


def value_iteration(P, R, terminal, gamma, iterations=500):
    S, A, _ = P.shape
    V = np.zeros(S)
    for _ in range(iterations):
        Q = (P * (R + gamma * np.where(terminal, 0.0, V)[None, None, :])).sum(axis=2)
        V = Q.max(axis=1)
    return V, Q


def main(fast: bool = False) -> tuple[float, float]:
    """Returns (simulated - exact value, standard error of the simulation)."""
    env = swiftpg.envs.gridworld(LAYOUT, slip=0.1, step_reward=-0.04, num_envs=256, seed=0)
    print(env.render_text(0), "\n")
    m = env.tabular_model()
    V, Q = value_iteration(m["P"], m["R"], m["terminal"], m["gamma"])
    greedy = Q.argmax(axis=1)
    print("optimal values of the start distribution:", float(m["initial"] @ V))

    # Simulate the greedy policy in 256 instances at once.
    env.reset()
    totals, returns = np.zeros(256), []
    discount = np.ones(256)
    episodes = 500 if fast else 5000
    while len(returns) < episodes:
        state = env.get_state()[:, 0].astype(int)
        _, r, term, trunc, _ = env.step(greedy[state])
        totals += discount * r
        discount *= m["gamma"]
        for i in np.flatnonzero(term | trunc):
            returns.append(totals[i])
            totals[i], discount[i] = 0.0, 1.0
    returns = np.array(returns)
    print(f"simulated discounted return: {returns.mean():.3f} ± {returns.std() / np.sqrt(len(returns)):.3f}")
    env.close()
    return float(returns.mean()) - float(m["initial"] @ V), float(returns.std() / np.sqrt(len(returns)))


if __name__ == "__main__":
    main(fast="--fast" in sys.argv)
