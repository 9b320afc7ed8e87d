"""How far the PPO update is from this machine's limit: the achieved
GFLOP/s of PPO's CartPole-preset training against the single-core float32
GEMM peak measured here (OpenBLAS sgemm through numpy, one thread, large
square matrices).

FLOPs are counted analytically for the networks' matrix products (2·m·n·k
per product): per minibatch of B rows, each 4→64→64→k MLP (policy k = 2,
critic k = 1) does a forward pass (X·Wᵀ per layer), the weight gradients
(δᵀ·X per layer) and the input gradients (δ·W, all layers but the first);
plus the collection's policy forward passes and one critic pass over each
batch. Elementwise work (tanh, softmax, Adam) is not counted, so the
figure is a lower bound on the work done per second.

    python bench/roofline.py [--precision float32] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

PEAK = r"""
import time, numpy as np
n = 2048
a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
b = a.copy()
a @ b
best = float("inf")
for _ in range(5):
    t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)
print(2 * n ** 3 / best / 1e9)
"""


def mlp_flops(sizes, rows: int, backward: bool) -> int:
    forward = sum(2 * rows * a * b for a, b in zip(sizes[:-1], sizes[1:]))
    if not backward:
        return forward
    weight_grads = forward
    input_grads = sum(2 * rows * a * b for a, b in zip(sizes[1:-1], sizes[2:]))
    return forward + weight_grads + input_grads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--precision", default="float32")
    parser.add_argument("--threads", type=int, default=1, help="update_threads of the PPO run")
    args = parser.parse_args()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    peak = float(subprocess.run([sys.executable, "-c", PEAK], env=env, capture_output=True, text=True,
                                check=True).stdout)

    from swiftpg.algorithms import PPO, PPOConfig
    from swiftpg.cli import PRESETS

    preset = PRESETS[("ppo", "CartPole-v1")]
    cfg = PPOConfig(seed=0, total_env_steps=100_000).replace(**preset["config"]).replace(
        update_threads=args.threads)
    n, t, epochs, batch = preset["num_envs"], cfg.steps_per_env, cfg.epochs, cfg.minibatch_size
    with PPO("CartPole-v1", config=cfg, num_envs=n, policy_kwargs=dict(precision=args.precision)) as learner:
        start = time.perf_counter()
        learner.train(100_000)
        seconds = time.perf_counter() - start
        iterations = learner.iteration
    policy, critic = [4, 64, 64, 2], [4, 64, 64, 1]
    rows = n * t
    per_iteration = (
        t * mlp_flops(policy, n, backward=False)                     # collection: one policy pass per step
        + mlp_flops(critic, rows, backward=False)                    # V(s) of the batch
        + epochs * (rows // batch) * (mlp_flops(policy, batch, True) + mlp_flops(critic, batch, True))
    )
    achieved = iterations * per_iteration / seconds / 1e9
    print(f"single-core float32 GEMM peak (2048², numpy/OpenBLAS, 1 thread): {peak:.1f} GFLOP/s")
    print(f"PPO CartPole preset, {args.precision}, update_threads {args.threads}: {iterations} iterations in "
          f"{seconds:.2f} s, {per_iteration * iterations / 1e9:.1f} GFLOP of matrix products: {achieved:.1f} GFLOP/s "
          f"= {achieved / peak:.0%} of one core's peak ({achieved / (peak * args.threads):.0%} of "
          f"{args.threads} core{'s' if args.threads > 1 else ''})")


if __name__ == "__main__":
    main()
