"""PPO written from swiftpg's public primitives, in the order of CleanRL's
``ppo.py``: a batched environment, a policy's log-probabilities and score
gradients, GAE, the clipped surrogate, the critic's gradients and an Adam
optimiser. ``swiftpg.algorithms.PPO`` runs the same update in Swift; a test
(python/tests/test_ppo_from_primitives.py) checks the two agree to 1e-9 on a
batch given the same minibatch permutations.

    python examples/ppo_from_primitives.py      # trains CartPole for 100k steps (greedy return 500 by 30k)
"""

from __future__ import annotations

import numpy as np

import swiftpg
from swiftpg import estimators
from swiftpg.algorithms import PPOConfig
from swiftpg.optim import Adam


def collect(env, policy, obs, steps):
    """T steps of every env with actions from ``policy``: the time-major batch."""
    n, d = obs.shape
    batch = {k: [] for k in ("observations", "actions", "rewards", "terminated", "truncated", "final_observations")}
    for _ in range(steps):
        actions = policy.sample(obs)
        nxt, rewards, terminated, truncated, info = env.step(actions)
        final = np.zeros((n, d))
        if "_final_obs" in info:
            final[info["_final_obs"]] = info["final_obs"][info["_final_obs"]]
        for key, value in zip(batch, (obs, actions, rewards, terminated, truncated, final)):
            batch[key].append(np.asarray(value))
        obs = nxt
    batch = {k: np.stack(v) for k, v in batch.items()}
    batch["next_observations"] = obs
    return batch, obs


def standardize(x):
    """(x − mean) / (std + 1e-8), left unscaled when x is constant (swiftpg's rule)."""
    mean, std = x.mean(), x.std()
    return x - mean if std < 1e-8 * max(1.0, abs(mean)) else (x - mean) / (std + 1e-8)


def ppo_update(policy, value, batch, config: PPOConfig, policy_opt: Adam, value_opt: Adam, permutations=None, rng=None):
    """One PPO update on ``batch`` (time-major ``[T, N]``); returns the mean
    clip fraction. ``permutations[e]`` orders the rows in epoch e (else
    ``rng.permutation``)."""
    T, N, d = batch["observations"].shape
    obs = batch["observations"].reshape(T * N, d)
    actions = batch["actions"].reshape(T * N, *batch["actions"].shape[2:])
    old_log_probs = policy.log_prob(obs, actions)                    # π_old: the policy that acted
    # Advantages: V of every row, of the observation after the segment and of truncated episodes' last one.
    values = np.concatenate([value.predict(obs), value.predict(batch["next_observations"])]).reshape(T + 1, N)
    bootstrap = batch["truncated"] & ~batch["terminated"]
    final_values = np.zeros((T, N))
    if bootstrap.any():
        final_values[bootstrap] = value.predict(batch["final_observations"][bootstrap])
    advantages = estimators.gae(batch["rewards"], batch["terminated"], batch["truncated"], values, config.gamma,
                                config.gae_lambda, final_values=final_values).reshape(-1)
    returns = advantages + values[:T].reshape(-1)
    clip_fractions = []
    for epoch in range(config.epochs):
        order = permutations[epoch] if permutations is not None else rng.permutation(T * N)
        for start in range(0, T * N, config.minibatch_size):
            rows = order[start:start + config.minibatch_size]
            b = len(rows)
            adv = standardize(advantages[rows]) if config.normalize_advantages else advantages[rows]
            # Policy: ∇ mean min(ρÂ, clip(ρ, 1 ± ε)Â) + c_H ∇ mean H, through the score function.
            surrogate = estimators.clipped_surrogate(policy.log_prob(obs[rows], actions[rows]), old_log_probs[rows],
                                                     adv, config.clip_range)
            policy_grad = policy.score_gradient(obs[rows], actions[rows], surrogate["weights"] / b)
            if config.entropy_coef:
                policy_grad += policy.entropy_gradient(obs[rows], np.full(b, config.entropy_coef / b))
            # Critic: ∇ c_V · ½ mean (V − R)².
            residual = value.predict(obs[rows]) - returns[rows]
            value_grad = value.gradient(obs[rows], config.value_coef * residual / b)
            # Global norm clipping over both networks, then the Adam steps.
            norm = np.sqrt(policy_grad @ policy_grad + value_grad @ value_grad)
            if config.max_grad_norm > 0 and norm > config.max_grad_norm:
                policy_grad, value_grad = (g * (config.max_grad_norm / norm) for g in (policy_grad, value_grad))
            theta, phi = policy.get_params(), value.get_params()
            policy_opt.step(theta, policy_grad, ascend=True)
            value_opt.step(phi, value_grad)
            policy.set_params(theta)
            value.set_params(phi)
            clip_fractions.append(surrogate["clip_fraction"])
    return float(np.mean(clip_fractions))


def make_optimisers(policy, value, config: PPOConfig):
    return (Adam(policy.num_params, config.learning_rate, epsilon=config.adam_epsilon),
            Adam(value.num_params, config.value_learning_rate or config.learning_rate, epsilon=config.adam_epsilon))


def main(total_env_steps: int = 100_000, num_envs: int = 8, seed: int = 0) -> None:
    config = PPOConfig(seed=seed)
    env = swiftpg.make_vec("CartPole-v1", num_envs, seed=seed)
    policy = swiftpg.policies.SoftmaxPolicy(4, 2, hidden_sizes=(64, 64), seed=seed)
    value = swiftpg.policies.ValueFunction(4, hidden_sizes=(64, 64), seed=seed + 1)
    policy_opt, value_opt = make_optimisers(policy, value, config)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    for iteration in range(total_env_steps // (num_envs * config.steps_per_env)):
        batch, obs = collect(env, policy, obs, config.steps_per_env)
        clip_fraction = ppo_update(policy, value, batch, config, policy_opt, value_opt, rng=rng)
        if iteration % 10 == 0:
            returns, _ = policy.evaluate("CartPole-v1", episodes=10, seed=iteration)
            print(f"iteration {iteration:3d}  clip fraction {clip_fraction:.3f}  greedy return {returns.mean():6.1f}")


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description="PPO from swiftpg's primitives on CartPole-v1")
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="a 10k-step smoke run")
    args = parser.parse_args()
    main(total_env_steps=10_000 if args.fast else args.steps, seed=args.seed)
