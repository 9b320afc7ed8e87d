"""GAE and discounted reward-to-go on a T = 128, N = 4096 rollout (float64),
called from Python, side by side in the same run with:

* numpy — the straightforward backward recursion, vectorised over the N
  environments (a loop over T), as CleanRL writes it;
* rlax on JAX (CPU) — ``rlax.truncated_generalized_advantage_estimation``
  and ``rlax.discounted_returns``, ``jax.vmap``-ed over environments and
  ``jax.jit``-ed, timed on arrays already on the device with
  ``block_until_ready`` (compile time excluded) — when ``import rlax`` works.

All contenders get the same rollout with episode ends by termination only
(rlax has no separate truncation input), and their outputs are checked to
agree to 1e-9 before timing. swiftpg's time includes its input validation
and the allocation of the output. Best of several alternating rounds;
reports milliseconds per call and the ratio (contender / swiftpg).

Usage: python bench/estimators.py [--quick]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from swiftpg import estimators  # noqa: E402

try:
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import rlax

    jax.config.update("jax_enable_x64", True)
except Exception:
    jax = rlax = None


def numpy_gae(rewards, dones, values, gamma, lam):
    T = rewards.shape[0]
    adv = np.zeros_like(rewards)
    last = np.zeros(rewards.shape[1])
    for t in reversed(range(T)):
        nonterminal = 1.0 - dones[t]
        delta = rewards[t] + gamma * values[t + 1] * nonterminal - values[t]
        last = delta + gamma * lam * nonterminal * last
        adv[t] = last
    return adv


def numpy_returns(rewards, dones, gamma):
    T = rewards.shape[0]
    out = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[1])
    for t in reversed(range(T)):
        running = rewards[t] + gamma * (1.0 - dones[t]) * running
        out[t] = running
    return out


def best_time(fn, rounds, calls):
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def main(quick: bool = False) -> list[dict]:
    T, N, gamma, lam = 128, 4096, 0.99, 0.95
    rng = np.random.default_rng(0)
    rewards = rng.standard_normal((T, N))
    terminated = rng.random((T, N)) < 0.02
    truncated = np.zeros((T, N), bool)
    values = rng.standard_normal((T + 1, N))
    dones = terminated.astype(np.float64)

    contenders = {
        "GAE": {"swiftpg": lambda: estimators.gae(rewards, terminated, truncated, values, gamma, lam),
                "numpy": lambda: numpy_gae(rewards, dones, values, gamma, lam)},
        # Reward-to-go of the rollout segment (no bootstrap: values of 0 after the last row).
        "reward-to-go": {"swiftpg": lambda: estimators.discounted_returns(rewards, terminated, truncated, gamma),
                         "numpy": lambda: numpy_returns(rewards, dones, gamma)},
    }
    if rlax is not None:
        disc = jax.device_put(gamma * (1.0 - dones.T))          # rlax: one trajectory per row, [N, T]
        r_j, v_j = jax.device_put(rewards.T), jax.device_put(values.T)
        gae_j = jax.jit(jax.vmap(lambda r, d, v: rlax.truncated_generalized_advantage_estimation(r, d, lam, v)))
        ret_j = jax.jit(jax.vmap(lambda r, d: rlax.discounted_returns(r, d, 0.0)))
        contenders["GAE"]["rlax (JAX jit)"] = lambda: gae_j(r_j, disc, v_j).block_until_ready()
        contenders["reward-to-go"]["rlax (JAX jit)"] = lambda: ret_j(r_j, disc).block_until_ready()

    rounds, calls = (3, 3) if quick else (7, 10)
    results = []
    print(f"T = {T}, N = {N}, float64, 1 thread; ms per call (best of {rounds} rounds of {calls}); "
          "ratio = contender / swiftpg")
    for name, fns in contenders.items():
        reference = np.asarray(fns["swiftpg"]())
        for label, fn in fns.items():
            out = np.asarray(fn())
            out = out.T if out.shape != reference.shape else out
            if not np.allclose(out, reference, rtol=1e-9, atol=1e-9):
                raise SystemExit(f"{name}: {label} disagrees with swiftpg (max diff {np.abs(out - reference).max()})")
        times = {label: float("inf") for label in fns}
        for _ in range(2):                                      # alternate contenders
            for label, fn in fns.items():
                times[label] = min(times[label], best_time(fn, rounds, calls))
        base = times["swiftpg"]
        for label, t in times.items():
            row = {"estimator": name, "contender": label, "ms": 1e3 * t, "ratio": t / base}
            results.append(row)
            print(f"  {name:<13} {label:<16} {1e3 * t:8.3f} ms   {t / base:6.2f}x")
    if rlax is None:
        print("  (rlax/JAX not importable: `pip install jax rlax` to add it)")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)
