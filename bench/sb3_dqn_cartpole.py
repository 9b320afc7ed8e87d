"""Stable-Baselines3 DQN on CartPole-v1 with the rl-baselines3-zoo settings
(hyperparams/dqn.yml: 5e4 steps, lr 2.3e-3, batch 64, buffer 1e5,
learning_starts 1000, gamma 0.99, target_update_interval 10, train_freq 256,
gradient_steps 128, exploration_fraction 0.16, exploration_final_eps 0.04,
net_arch [256, 256]), one env, timed, then evaluated greedily over 100
episodes. Prints one JSON line (wall and CPU seconds of learn). Run by bench/dqn_vs_sb3.py in the
interpreter that has SB3 (it is not a swiftpg dependency).

    python bench/sb3_dqn_cartpole.py --seed 0 [--steps 50000] [--threads 1]
"""

import argparse
import json
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    import gymnasium as gym
    import stable_baselines3
    import torch
    from stable_baselines3 import DQN

    if args.threads:
        torch.set_num_threads(args.threads)
    env = gym.make("CartPole-v1")
    model = DQN("MlpPolicy", env, learning_rate=2.3e-3, batch_size=64, buffer_size=100_000, learning_starts=1000,
                gamma=0.99, target_update_interval=10, train_freq=256, gradient_steps=128,
                exploration_fraction=0.16, exploration_final_eps=0.04, policy_kwargs=dict(net_arch=[256, 256]),
                seed=args.seed, device="cpu", verbose=0)
    start, cpu = time.perf_counter(), time.process_time()
    model.learn(total_timesteps=args.steps)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
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
                          seed=args.seed, env_steps=int(model.num_timesteps),
                          gradient_steps=int(model._n_updates), seconds=round(seconds, 2),
                          cpu_seconds=round(cpu_seconds, 2),
                          eval_mean=float(np.mean(returns)))))


if __name__ == "__main__":
    main()
