"""Issue 16's speed benchmark: one RLOO (k = 4) training run on the summarise
task, swiftpg's ``rlhf.RLOO`` against the same update written in PyTorch
(CPU wheel, in the benchmark venv; bench/torch_rloo.py), on the same policy
architecture and batch, as samples (responses) trained on per second and
their ratio, in one run.

Workload: ``rlhf.Summarise()`` (V = 6, L = 6, 8 prompts, F = 12 prompt
features), the neural n-gram policy of bench/preferences_vs_torch.py (prompt
features, one-hot of the last 3 tokens and of the position → 64 tanh → V + 1
logits; orthogonal initialisation, output gain 0.01, in both), the gold
reward r* (swiftpg: the task's; PyTorch: a torch port, checked against
``task.gold_rewards`` and computed inside the timed loop), β = 0.05 with the
sequence-level k1 KL in the reward, leave-one-out advantages, Adam (lr 0.01)
with one step per iteration on the whole batch of 64 prompts × 4 responses
= 256 samples, 100 iterations per run. Precision: float64 (swiftpg's
default) and float32 (swiftpg: network arithmetic in float32, parameters,
gradient and Adam in float64; PyTorch: everything float32). swiftpg's calls
are single-threaded; PyTorch runs with 1 thread and with its default.
Rates are medians over ``--repeats`` runs, each from a fresh policy (a
PyTorch configuration stops repeating after 20 s, which only a loaded
machine reaches, and says so); both sides must learn (the mean gold reward
of the last 5 iterations well above the first 5's). Below the issue's 10×
target (float64) it prints where an iteration's time goes on both sides
(``--breakdown``).

    python bench/rloo_vs_torch.py [--torch-python .bench-venv/bin/python] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

from swiftpg import rlhf
from timing import torch_side_result

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = dict(V=6, L=6, P=8, context=3, hidden=64, k=4, prompts_per_iteration=64, iterations=100, beta=0.05,
              learning_rate=0.01, length_penalty=0.1, missing_eos_penalty=1.0, window=5, repeats=5,
              budget_seconds=20)
PRECISIONS = ("float64", "float32")
TARGET = 10.0  # issue 16: swiftpg ≥ 10× PyTorch's samples/s at equal samples


def swiftpg_side(c, task, precision):
    times, first, last, kl_last = [], [], [], []
    w = c["window"]
    for rep in range(c["repeats"]):
        policy = rlhf.SequencePolicy.neural(c["V"], c["L"], c["P"], task.prompt_features,
                                            context_size=c["context"], hidden_sizes=(c["hidden"],),
                                            precision=precision, seed=0)
        learner = rlhf.RLOO(policy, policy.copy(), task, beta=c["beta"], samples_per_prompt=c["k"],
                            prompts_per_iteration=c["prompts_per_iteration"], learning_rate=c["learning_rate"],
                            seed=rep)
        start = time.perf_counter()
        history = learner.fit(c["iterations"])
        times.append(time.perf_counter() - start)
        gold = [s["mean_gold_reward"] for s in history]
        first.append(statistics.fmean(gold[:w]))
        last.append(statistics.fmean(gold[-w:]))
        kl_last.append(history[-1]["mean_kl"])
    return dict(seconds=statistics.median(times), all_seconds=times, gold_first=statistics.median(first),
                gold_last=statistics.median(last), kl_last=statistics.median(kl_last))


def swiftpg_breakdown(c, task, precision, iterations=150, skip=50):
    """Median milliseconds per phase of swiftpg's RLOO iterations skip…
    iterations of a training run: before each iteration the phases it runs
    (RLOO.swift, OnlineRLHF.swift) are timed as standalone rlhf.SequencePolicy
    and task calls on a batch of the iteration's size from the current
    policy; the iteration itself is timed as the native call alone
    (_lib's rlhf_iterate, every other iteration) or as RLOO.iterate()
    (ctypes, the persistent worker thread that keeps Ctrl-C working, the
    stats dict). (π_old's log-probs come from the sampler: no phase.)"""
    import ctypes
    from swiftpg import _lib
    policy = rlhf.SequencePolicy.neural(c["V"], c["L"], c["P"], task.prompt_features, context_size=c["context"],
                                        hidden_sizes=(c["hidden"],), precision=precision, seed=0)
    reference = policy.copy()
    learner = rlhf.RLOO(policy, reference, task, beta=c["beta"], samples_per_prompt=c["k"],
                        prompts_per_iteration=c["prompts_per_iteration"], learning_rate=c["learning_rate"])
    learner.fit(skip)
    n = c["prompts_per_iteration"] * c["k"]
    weights = np.random.default_rng(0).standard_normal(n) / n
    stats = _lib.RLHFStatsC()
    names = ("sample (autoregressive, per-token softmax)", "gold reward (also the stats' gold)",
             "reference per-token log-probs", "score gradient (forward + backward)")
    times = {name: [] for name in names + ("native", "wrapped")}
    positions = []
    for i in range(skip, iterations):
        prompts = np.repeat(task.sample_prompts(c["prompts_per_iteration"], seed=1000 + i), c["k"]).astype(np.int32)
        marks = [time.perf_counter()]
        r = policy.sample(prompts, seed=i)
        marks.append(time.perf_counter())
        task.gold_rewards(r.prompts, r.tokens, r.lengths)
        marks.append(time.perf_counter())
        reference.log_probs(r.prompts, r.tokens, r.lengths, per_token=True)
        marks.append(time.perf_counter())
        policy.score_gradient(r.prompts, r.tokens, r.lengths, sequence_weights=weights)
        marks.append(time.perf_counter())
        if i % 2 == 0:
            _lib.call("rlhf_iterate", learner.handle, ctypes.byref(stats))
            marks.append(time.perf_counter())
            times["native"].append(marks[-1] - marks[-2])
        else:
            learner.iterate()
            marks.append(time.perf_counter())
            times["wrapped"].append(marks[-1] - marks[-2])
        for j, name in enumerate(names):
            times[name].append(marks[j + 1] - marks[j])
        positions.append(int(r.lengths.sum()))
    ms = {name: 1e3 * statistics.median(t) for name, t in times.items()}
    native, wrapped = ms.pop("native"), ms.pop("wrapped")
    contexts = statistics.fmean(positions)
    return dict(phases=ms, native=native, wrapped=wrapped, contexts=contexts, mean_length=contexts / n)


def print_breakdown(c, task, python):
    """Where an iteration's time goes, swiftpg and PyTorch (1 thread)."""
    print(f"\nbreakdown of one iteration ({c['prompts_per_iteration']} x {c['k']} samples; iterations 50-150 of a "
          f"training run; medians, ms):")
    for precision in PRECISIONS:
        b = swiftpg_breakdown(c, task, precision)
        total = sum(b["phases"].values())
        print(f"  swiftpg {precision} ({b['contexts']:.0f} generated positions per iteration, mean length "
              f"{b['mean_length']:.2f}); its phases as standalone SequencePolicy/task calls:")
        for name, t in b["phases"].items():
            print(f"    {name:46s} {t:7.3f}  {100 * t / total:4.0f}%")
        print(f"    {'sum of the standalone calls':46s} {total:7.3f}")
        print(f"    {'one native iteration (rlhf_iterate alone)':46s} {b['native']:7.3f}")
        print(f"    {'RLOO.iterate() (+ worker thread, ctypes, stats)':46s} {b['wrapped']:7.3f}  "
              f"(wrapper {b['wrapped'] - b['native']:.3f}, {100 * (b['wrapped'] - b['native']) / b['wrapped']:.0f}%)")
        if python:
            r = torch_side(python, c, 1, precision, phases=True)
            if r:
                total = sum(r["phases_ms"].values())
                print(f"  PyTorch {precision}, 1 thread ({r['positions']:.0f} generated positions per iteration):")
                for name, t in r["phases_ms"].items():
                    print(f"    {name:46s} {t:7.3f}  {100 * t / total:4.0f}%")
                print(f"    {'one iteration':46s} {total:7.3f}  ({total / b['wrapped']:.1f}x swiftpg's RLOO.iterate())")


def torch_side(python, c, threads, precision, phases=False):
    cmd = [python, os.path.join(HERE, "torch_rloo.py"), "--threads", str(threads), "--precision", precision,
           "--config", "-"] + (["--phases"] if phases else [])
    return torch_side_result(cmd, timeout=900, input=json.dumps(c))


def reward_check(task, c):
    """Responses of a random neural policy with swiftpg's gold rewards, for the torch port to reproduce."""
    policy = rlhf.SequencePolicy.neural(c["V"], c["L"], c["P"], task.prompt_features, context_size=c["context"],
                                        hidden_sizes=(c["hidden"],), seed=1, output_gain=3.0)
    prompts = np.random.default_rng(0).integers(0, c["P"], 2000).astype(np.int32)
    s = policy.sample(prompts, seed=7)
    gold = task.gold_rewards(s.prompts, s.tokens, s.lengths)
    return dict(prompts=s.prompts.tolist(), tokens=s.tokens.tolist(), lengths=s.lengths.tolist(), gold=gold.tolist())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--torch-python", default=os.path.join(os.path.dirname(HERE), ".bench-venv/bin/python"))
    p.add_argument("--repeats", type=int, default=CONFIG["repeats"])
    p.add_argument("--iterations", type=int, default=CONFIG["iterations"])
    p.add_argument("--prompts-per-iteration", type=int, default=CONFIG["prompts_per_iteration"])
    p.add_argument("--torch-threads", default="1,0", help="PyTorch thread counts to run (0: torch's default)")
    p.add_argument("--breakdown", choices=("auto", "always", "never"), default="auto",
                   help="print where an iteration's time goes (auto: when float64 is below the 10x target)")
    a = p.parse_args()
    c = dict(CONFIG, repeats=a.repeats, iterations=a.iterations, prompts_per_iteration=a.prompts_per_iteration)
    task = rlhf.Summarise(c["V"], c["L"], c["P"], length_penalty=c["length_penalty"],
                          missing_eos_penalty=c["missing_eos_penalty"])
    wire = dict(c, prompt_features=task.prompt_features.tolist(), reward_check=reward_check(task, c))
    load = os.getloadavg()
    results = {}
    for precision in PRECISIONS:
        results[("swiftpg", precision)] = swiftpg_side(c, task, precision)
    have_torch = os.path.exists(a.torch_python)
    thread_counts = [int(t) for t in a.torch_threads.split(",")]
    if have_torch:
        for precision in PRECISIONS:
            for threads in thread_counts:
                results[(f"torch{threads}", precision)] = torch_side(a.torch_python, wire, threads, precision)
    else:
        print("PyTorch not available (make bench creates .bench-venv)")
    samples = c["iterations"] * c["prompts_per_iteration"] * c["k"]
    print(f"workload: RLOO k={c['k']} on Summarise (V={c['V']}, L={c['L']}, P={c['P']}), neural n-gram policy "
          f"(context {c['context']}, {c['hidden']} tanh), gold reward, beta={c['beta']}, Adam lr={c['learning_rate']}, "
          f"{c['prompts_per_iteration']} prompts x {c['k']} = {c['prompts_per_iteration'] * c['k']} samples and one "
          f"full-batch step per iteration, {c['iterations']} iterations = {samples} samples per run; "
          f"medians of {c['repeats']} runs")
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}  "
          f"(now {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs)")
    checks = [r["reward_check_max_error"] for (side, _), r in results.items() if side != "swiftpg" and r]
    if checks:
        print(f"torch gold-reward port vs task.gold_rewards on 2000 responses: max |error| {max(checks):.1e}")
    header = (f"{'precision':>9} {'side':>22} {'samples/s':>10} {'s/run':>7} {'ratio':>7} "
              f"{'gold first→last 5 it.':>22} {'KL':>6}")
    print(header)
    learned = True
    for precision in PRECISIONS:
        s = results[("swiftpg", precision)]
        rows = [("swiftpg (1 thread)", s)]
        if have_torch:
            for threads in thread_counts:
                r = results[(f"torch{threads}", precision)]
                n = r["threads"] if r else "?"
                rows.append((f"PyTorch {n} thread{'s' if n != 1 else ''}" + (" (default)" if threads == 0 else ""), r))
        for label, r in rows:
            if r is None:
                print(f"{precision:>9} {label:>22} {'failed':>10}")
                continue
            rate = samples / r["seconds"]
            ratio = "" if r is s else f"{r['seconds'] / s['seconds']:6.1f}×"
            ok = r["gold_last"] > r["gold_first"] + 0.5
            learned &= ok
            runs = r.get("runs", c["repeats"])
            print(f"{precision:>9} {label:>22} {rate:10.0f} {r['seconds']:7.3f} {ratio:>7} "
                  f"{r['gold_first']:9.2f} → {r['gold_last']:5.2f}{'' if ok else '!'} {r['kl_last']:6.2f}"
                  + (f"  ({runs} of {c['repeats']} runs: time budget)" if runs < c["repeats"] else ""))
    version = next((r["torch"] for (side, _), r in results.items() if side != "swiftpg" and r), None)
    print(f"(ratio = swiftpg samples/s ÷ PyTorch samples/s at equal samples; torch {version}; maximum gold reward 2.7;"
          f" KL = sampled k1 of the last iteration)")
    below = any(r and r["seconds"] / results[("swiftpg", "float64")]["seconds"] < TARGET
                for (side, precision), r in results.items() if side != "swiftpg" and precision == "float64")
    if a.breakdown == "always" or (a.breakdown == "auto" and below):
        print_breakdown(wire, task, a.torch_python if have_torch else None)
    if not learned:
        print("WARNING: a side did not learn (gold reward of the last iterations not 0.5 above the first)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
