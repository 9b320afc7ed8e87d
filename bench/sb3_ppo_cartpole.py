"""Stable-Baselines3 PPO on CartPole-v1 with the rl-baselines3-zoo settings
(8 envs, n_steps 32, batch 256, λ 0.8, γ 0.98, 20 epochs, lr 1e-3 and clip
0.2 both linear to 0, no entropy bonus), timed, then evaluated greedily over
100 episodes. Prints one JSON line. Run by bench/ppo_vs_sb3.py in the
interpreter that has SB3 (it is not a swiftpg dependency).

    python bench/sb3_ppo_cartpole.py --seed 0 [--steps 100000] [--threads N]
"""

import argparse
import json
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    import gymnasium as gym
    import stable_baselines3
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    if args.threads:
        torch.set_num_threads(args.threads)
    env = make_vec_env("CartPole-v1", n_envs=8, seed=args.seed)
    model = PPO("MlpPolicy", env, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20,
                ent_coef=0.0, learning_rate=lambda p: 1e-3 * p, clip_range=lambda p: 0.2 * p, seed=args.seed,
                device="cpu", verbose=0)
    start = time.perf_counter()
    model.learn(total_timesteps=args.steps)
    seconds = time.perf_counter() - start
    returns = []
    eval_env = gym.make("CartPole-v1")
    for episode in range(100):
        obs, _ = eval_env.reset(seed=args.seed + 1_000_003 + episode)
        total, done = 0.0, False
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, r, term, trunc, _ = eval_env.step(action)
            total += r
            done = term or trunc
        returns.append(total)
    print(json.dumps(dict(library=f"stable-baselines3 {stable_baselines3.__version__} (torch {torch.__version__}, "
                                   f"{torch.get_num_threads()} threads)",
                          seed=args.seed, env_steps=int(model.num_timesteps), seconds=round(seconds, 2),
                          eval_mean=float(np.mean(returns)))))


if __name__ == "__main__":
    main()
