"""Writes examples/notebooks/*.ipynb from the cells below (outputs empty, as
they are kept in git). Edit here, run `python tools/make_notebooks.py`, and
commit both; python/tests/test_notebooks.py executes every notebook and
checks that the files equal what this script writes."""

from __future__ import annotations

import os
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER = os.path.join(ROOT, "examples", "notebooks")

NOTEBOOKS = {
    "01_reinforce_cartpole.ipynb": [
        ("md", """# 1. REINFORCE on CartPole

The likelihood-ratio policy gradient (Williams 1992; Sutton & Barto §13.3):
∇J(θ) = E[Σ_t ∇log π(a_t|s_t) G_t]. swiftpg runs the environment, the policy
and the update in Swift; Python drives the loop, one call per iteration."""),
        ("code", """import numpy as np
import matplotlib.pyplot as plt
import swiftpg
from swiftpg.algorithms import REINFORCE, ReinforceConfig

config = ReinforceConfig(seed=1, steps_per_iteration=2000, weighting="reward_to_go", baseline="mean")
learner = REINFORCE("CartPole-v1", config=config, num_envs=8, hidden_sizes=(32, 32))
history = learner.train(150_000)
print(len(history), "iterations,", learner.total_env_steps, "env steps")"""),
        ("md", """Every finished episode is in the statistics, so the learning curve is
drawn from episodes (against env steps), not from iteration means."""),
        ("code", """steps = np.concatenate([[s.total_env_steps] * s.episodes for s in history])
returns = np.concatenate([s.episode_returns for s in history])
window = 50
rolling = np.convolve(returns, np.ones(window) / window, mode="valid")
plt.plot(steps, returns, ".", ms=2, alpha=0.3, label="episodes")
plt.plot(steps[window - 1:], rolling, label=f"rolling mean of {window}")
plt.xlabel("environment steps"); plt.ylabel("return"); plt.legend(); plt.show()"""),
        ("md", "Greedy evaluation on fresh episodes, and the trained policy used directly (`predict`, SB3's signature):"),
        ("code", """eval_returns, _ = learner.evaluate(episodes=100, seed=7)
print("greedy evaluation:", eval_returns.mean())
env = swiftpg.make("CartPole-v1")
obs, _ = env.reset(seed=3)
total, done = 0.0, False
while not done:
    action, _ = learner.predict(obs)
    obs, reward, terminated, truncated, _ = env.step(action)
    total += reward
    done = terminated or truncated
print("one episode with predict:", total)
learner.close()"""),
    ],
    "02_variance_reduction.ipynb": [
        ("md", """# 2. Variance reduction, measured against the exact gradient

On a small discounted MDP the exact policy gradient is computable, so every
estimator can be checked: the full return, reward-to-go, a mean baseline, the
optimal baseline and a fitted value function. The unbiased ones agree with the
exact gradient within their standard errors while their variance drops;
dropping γ^k in the discounted case is biased (Sutton & Barto §13.4, Greensmith
et al. 2004)."""),
        ("code", """import numpy as np
import matplotlib.pyplot as plt
import swiftpg
from swiftpg import lab

S, A = 5, 2
P = np.zeros((S, A, S))
for s in range(S - 1):
    P[s, 0, max(s - 1, 0)] += 0.8; P[s, 0, s + 1] += 0.2
    P[s, 1, s + 1] += 0.8; P[s, 1, max(s - 1, 0)] += 0.2
P[S - 1, :, S - 1] = 1.0
R = np.full((S, A, S), -1.0); R[:, :, S - 1] = 5.0
chain = lab.tabular(P, R, np.array([0.5, 0.5, 0, 0, 0]), gamma=0.9, terminal=np.arange(S) == S - 1)
policy = swiftpg.policies.TabularSoftmaxPolicy(S, A)
policy.params = np.array([0.3, -0.2, 0.0, 0.4, -0.5, 0.2, 0.1, 0.1, 0.0, 0.0])"""),
        ("code", """estimators = [
    lab.Estimator("full_return"),
    lab.Estimator("reward_to_go"),
    lab.Estimator("reward_to_go", baseline="mean"),
    lab.Estimator("reward_to_go", baseline="optimal"),
    lab.Estimator("value", lam=0.0),
    lab.Estimator("reward_to_go", drop_discount=True),
]
report = lab.run(chain, policy, estimators, episodes=10, estimates=400, seed=1)
print(report)"""),
        ("code", """fig, ax = plt.subplots(figsize=(8, 4))
report.plot(ax)
plt.show()"""),
    ],
    "03_actor_critic_gae.ipynb": [
        ("md", """# 3. Actor-critic and GAE

A critic V(s) turns returns into advantages. GAE(γ, λ) (Schulman et al. 2016)
interpolates between the one-step TD error (λ = 0: low variance, biased by the
critic) and the Monte-Carlo return (λ = 1). First the estimator on a toy
trajectory, then A2C on CartPole for several λ."""),
        ("code", """import numpy as np
import matplotlib.pyplot as plt
from swiftpg import estimators
from swiftpg.algorithms import A2C, A2CConfig

# One episode of 5 steps, reward 1 per step, a critic that says V = 2 everywhere.
rewards = np.ones(5)
values = np.full(6, 2.0)                     # V(s_0..s_5); s_5 is terminal
terminated = np.arange(5) == 4
truncated = np.zeros(5, bool)
for lam in (0.0, 0.5, 1.0):
    adv = estimators.gae(rewards, terminated, truncated, values, gamma=0.9, lam=lam)
    print(f"λ={lam}: advantages {np.round(adv, 3)}")"""),
        ("code", """curves = {}
for lam in (0.0, 0.9, 1.0):
    config = A2CConfig(seed=2, gae_lambda=lam, learning_rate=1e-3)
    with A2C("CartPole-v1", config=config, num_envs=8) as learner:
        history = learner.train(60_000)
        curves[lam] = ([s.total_env_steps for s in history if s.episodes],
                       [s.mean_return for s in history if s.episodes])
        print(f"λ={lam}: greedy evaluation {learner.evaluate(episodes=20, seed=5)[0].mean():.1f}")
for lam, (x, y) in curves.items():
    plt.plot(x, np.convolve(y, np.ones(20) / 20, mode="same"), label=f"λ = {lam}")
plt.xlabel("environment steps"); plt.ylabel("training return (smoothed)"); plt.legend(); plt.show()"""),
    ],
    "04_trpo_ppo.ipynb": [
        ("md", """# 4. Trust regions: TRPO and PPO

TRPO (Schulman et al. 2015) takes the natural-gradient step that keeps the
mean KL(π_old ‖ π) within δ, checked by a line search; PPO (Schulman et al.
2017) replaces the constraint by the clipped surrogate min(ρÂ, clip(ρ, 1 ± ε)Â)
and several epochs of minibatch SGD. Both on CartPole, with the KL each
update moved and PPO's clip fraction."""),
        ("code", """import matplotlib.pyplot as plt
from swiftpg.algorithms import PPO, PPOConfig, TRPO, TRPOConfig

runs = {}
with TRPO("CartPole-v1", config=TRPOConfig(seed=3, steps_per_env=128, minibatch_size=128, max_kl=0.02),
          num_envs=8) as trpo:
    runs["TRPO"] = trpo.train(40_000)
    trpo_eval = trpo.evaluate(episodes=50, seed=9)[0]
with PPO("CartPole-v1", config=PPOConfig(seed=3, steps_per_env=32, minibatch_size=256, epochs=20,
                                         learning_rate=1e-3, gae_lambda=0.8, gamma=0.98), num_envs=8) as ppo:
    runs["PPO"] = ppo.train(40_000)
    ppo_eval = ppo.evaluate(episodes=50, seed=9)[0]
# One training batch's mean is noisy; judge a policy on fresh greedy episodes.
for name, returns in (("TRPO", trpo_eval), ("PPO", ppo_eval)):
    print(f"{name}: greedy evaluation over 50 episodes {returns.mean():.1f} ± {returns.std():.1f}")"""),
        ("code", """fig, axes = plt.subplots(1, 3, figsize=(13, 3.5))
for name, history in runs.items():
    steps = [s.total_env_steps for s in history]
    axes[0].plot([s.total_env_steps for s in history if s.episodes],
                 [s.mean_return for s in history if s.episodes], label=name)
    axes[1].plot(steps, [s.approx_kl for s in history], label=name)
axes[2].plot([s.total_env_steps for s in runs["PPO"]], [s.clip_fraction for s in runs["PPO"]])
axes[0].set_title("training return"); axes[1].set_title("KL per update (TRPO: δ = 0.02)")
axes[2].set_title("PPO clip fraction")
for ax in axes:
    ax.set_xlabel("environment steps")
axes[0].legend(); axes[1].legend(); plt.tight_layout(); plt.show()"""),
    ],
    "05_domain_randomization.ipynb": [
        ("md", """# 5. Automatic domain randomisation: the robotics case study in miniature

OpenAI trained a robot hand to solve a Rubik's cube with PPO in simulation
only, and made it work on the real hand by randomising the simulator's
physics — automatically (ADR, OpenAI et al. 2019, §5). Every randomised
parameter starts at its nominal value; each new episode pins, with
probability p_b, one parameter to one boundary of its range; when the last m
pinned episodes at a boundary succeed often enough (≥ t_H) the boundary
moves outwards, when they fail (≤ t_L) it moves back. The range grows only
as fast as the policy copes.

Here: PPO on CartPole-v1, ADR over the pole length and mass, success =
a return of 475. The environment runs ADR itself (at every automatic
reset), so the learner is unchanged; the `ADR` object is a callback that
records the ranges after every iteration."""),
        ("code", """import numpy as np
import matplotlib.pyplot as plt
import swiftpg
from swiftpg.algorithms import PPO, PPOConfig
from swiftpg.randomization import ADR, ParameterSchedule

def train(with_adr, seed=0, steps=250_000):
    env = swiftpg.make_vec("CartPole-v1", 16, seed=seed)
    adr = ADR(env, {"length": ParameterSchedule(0.5, step=0.05, limits=(0.1, 2.0)),
                    "masspole": ParameterSchedule(0.1, step=0.02, limits=(0.02, 1.0))}) if with_adr else None
    learner = PPO(env, config=PPOConfig(seed=seed))
    learner.train(steps, callback=adr)
    return learner, adr

nominal, _ = train(False)
robust, adr = train(True)
print("ADR's final ranges:", {k: tuple(round(x, 2) for x in v) for k, v in adr.ranges.items()})"""),
        ("md", """The ranges over training, and the ADR entropy — the mean log width of the
ranges in nats per dimension, OpenAI's measure of how much randomisation the
policy masters (undefined while a range is still closed):"""),
        ("code", """adr.plot(); plt.show()"""),
        ("md", """Transfer: both policies on physics they never trained on, a grid of pole
lengths and masses (success rate of greedy episodes). The nominal policy
balances the poles it knows; the ADR policy the longer and heavier ones too.
`bench/adr_transfer.py` does this with 3 seeds, a 5×5 grid and an unseen
system, and compares with uniform randomisation over ADR's final range."""),
        ("code", """lengths, masses = (0.25, 0.5, 1.0, 1.5), (0.1, 0.5, 1.0)

def grid(learner):
    rates = np.zeros((len(lengths), len(masses)))
    for i, length in enumerate(lengths):
        for j, mass in enumerate(masses):
            env = swiftpg.make_vec("CartPole-v1", 10, seed=100 + 10 * i + j, length=length, masspole=mass)
            returns, _ = learner.evaluate(10, env=env, seed=100 + 10 * i + j)
            rates[i, j] = np.mean(returns >= 475)
            env.close()
    return rates

fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
for ax, (name, learner) in zip(axes, [("nominal", nominal), ("ADR", robust)]):
    rates = grid(learner)
    ax.imshow(rates, vmin=0, vmax=1, origin="lower")
    ax.set_xticks(range(len(masses)), masses); ax.set_yticks(range(len(lengths)), lengths)
    ax.set_xlabel("pole mass"); ax.set_ylabel("pole half-length"); ax.set_title(f"{name}: {rates.mean():.2f}")
plt.tight_layout(); plt.show()
nominal.close(); robust.close()"""),
    ],
}


def build(name: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_markdown_cell(text) if kind == "md" else new_code_cell(text)
                             for kind, text in NOTEBOOKS[name]])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


def main() -> int:
    os.makedirs(FOLDER, exist_ok=True)
    for name in NOTEBOOKS:
        with open(os.path.join(FOLDER, name), "w", encoding="utf-8") as f:
            nbformat.write(build(name), f)
    print(f"wrote {len(NOTEBOOKS)} notebooks to {FOLDER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
