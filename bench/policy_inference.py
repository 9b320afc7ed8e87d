"""Batched inference + sampling of a 64x64 tanh MLP softmax policy on
CartPole observations, side by side with a reference implementation of the
same network with the same weights, in the same run.

Reference: PyTorch on CPU with one thread (torch.set_num_threads(1); forward
under no_grad + torch.multinomial) when `import torch` works; otherwise
numpy (matmul + tanh + softmax + inverse-CDF sampling), which is the case on
machines where PyPI's torch wheel lacks its CUDA runtime packages.
Reports calls per second at B = 64 and B = 1024 and the ratio; contenders
are timed in alternation, best of several rounds.

Usage: python bench/policy_inference.py [--quick]
"""

from __future__ import annotations

import os

# One BLAS thread for every contender (and no idle BLAS threads spinning on
# the other core): the comparison is single-threaded.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import swiftpg  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except Exception:  # ImportError, or a CUDA-only wheel that cannot load
    torch = None


def layers(policy):
    """The policy's weights as (W, b) pairs, from its flat parameter vector."""
    sizes = [policy.observation_size, *policy.hidden_sizes, policy.num_actions]
    params, out, at = policy.params, [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = params[at:at + n_in * n_out].reshape(n_out, n_in)
        at += n_in * n_out
        out.append((W, params[at:at + n_out]))
        at += n_out
    return out


def numpy_sampler(policy, rng):
    ws = layers(policy)

    def sample(obs):
        h = obs
        for W, b in ws[:-1]:
            h = np.tanh(h @ W.T + b)
        z = h @ ws[-1][0].T + ws[-1][1]
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        u = rng.random((len(obs), 1))
        return (p.cumsum(axis=1) < u).sum(axis=1)

    return sample


def torch_sampler(policy):
    ws = layers(policy)
    mods = []
    for i, (W, b) in enumerate(ws):
        lin = torch.nn.Linear(W.shape[1], W.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        mods.append(lin)
        if i < len(ws) - 1:
            mods.append(torch.nn.Tanh())
    net = torch.nn.Sequential(*mods)

    def sample(obs):
        with torch.no_grad():
            logits = net(torch.from_numpy(obs))
            return torch.multinomial(torch.softmax(logits, dim=1), 1).numpy()

    return sample


def best_rate(fn, arg, seconds, rounds):
    calls = 8
    while True:
        t = time.perf_counter()
        for _ in range(calls):
            fn(arg)
        if time.perf_counter() - t > seconds / 4:
            break
        calls *= 2
    return calls, [None] * rounds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds, rounds = (0.2, 3) if args.quick else (0.5, 7)
    policy = swiftpg.policies.SoftmaxPolicy(4, 2, hidden_sizes=(64, 64), head_gain=1.0, seed=0)
    rng = np.random.default_rng(0)
    reference_name = "PyTorch (CPU, 1 thread)" if torch is not None else "numpy (PyTorch not importable)"
    reference = torch_sampler(policy) if torch is not None else numpy_sampler(policy, rng)
    print(f"64x64 tanh MLP softmax, CartPole observations: calls per second (inference + sampling)")
    print(f"{'B':>6} {'swiftpg':>12} {reference_name:>32} {'ratio':>8}")
    for batch in (64, 1024):
        obs = rng.normal(size=(batch, 4))
        contenders = {"swiftpg": policy.sample, "reference": reference}
        calls = {k: best_rate(f, obs, seconds, rounds)[0] for k, f in contenders.items()}
        best = {k: 0.0 for k in contenders}
        for _ in range(rounds):
            for k, f in contenders.items():
                t = time.perf_counter()
                for _ in range(calls[k]):
                    f(obs)
                best[k] = max(best[k], calls[k] / (time.perf_counter() - t))
        print(f"{batch:>6} {best['swiftpg']:>12,.0f} {best['reference']:>32,.0f} "
              f"{best['swiftpg'] / best['reference']:>7.1f}x")
    print("targets (issue 4): >= 10x at B = 64, >= 2x at B = 1024 (stated against PyTorch)")
    policy.close()


if __name__ == "__main__":
    main()
