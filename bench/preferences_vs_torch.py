"""Issue 15's benchmark: tokens sampled per second, SFT examples (generated
positions) per second and reward-model comparisons per second of swiftpg
against the same models written in PyTorch (CPU wheel, in the benchmark
venv), on the same workloads, as ratios in one run.

The model is the neural n-gram sequence policy (prompt features, one-hot of
the last 3 tokens and of the position → 64 tanh → V + 1 logits, float64 in
both) on the summarise task's space (V = 6, L = 6, 8 prompts, F = 12), and a
64-unit tanh reward model over K = 3 features. PyTorch runs with 1 thread and
with its default (2 here); swiftpg's calls are single-threaded. swiftpg's
sampling rate is measured with a cold activation cache (the parameters set
before each call, as after a training step); the rate with unchanged
parameters, where the cache serves repeated contexts, is printed apart.

    python bench/preferences_vs_torch.py [--torch-python .bench-venv/bin/python] [--repeats 5]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys

import numpy as np

from swiftpg import rlhf
from timing import median_seconds, torch_side_result

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = dict(V=6, L=6, P=8, F=12, context=3, hidden=64, K=3, rm_hidden=64, sample_batch=4096,
              sft_responses=20000, sft_minibatch=256, rm_pairs=50000, rm_minibatch=128, repeats=5,
              min_seconds=0.25)



def swiftpg_side(c):
    rng = np.random.default_rng(0)
    features = rng.standard_normal((c["P"], c["F"]))
    policy = rlhf.SequencePolicy.neural(c["V"], c["L"], c["P"], features, context_size=c["context"],
                                        hidden_sizes=(c["hidden"],), seed=0)
    prompts = rng.integers(0, c["P"], c["sample_batch"]).astype(np.int32)
    tokens_sampled = []
    seeds = itertools.count()
    theta = policy.parameters

    def sample():
        # Setting the parameters (the same values) starts a new parameter
        # version: the model's activation cache is cold, as after a training
        # step, so no call reuses the network rows of an earlier one.
        policy.parameters = theta
        tokens_sampled.append(int(policy.sample(prompts, seed=next(seeds)).lengths.sum()))
    out = {"sample_seconds": median_seconds(sample, c["repeats"], c["min_seconds"]),
           "tokens_sampled": statistics.median(tokens_sampled)}

    def sample_warm():  # unchanged parameters (best-of-n, evaluation): the cache serves repeated contexts
        policy.sample(prompts, seed=next(seeds))
    out["warm_sample_seconds"] = median_seconds(sample_warm, c["repeats"], c["min_seconds"])

    demo_prompts = rng.integers(0, c["P"], c["sft_responses"]).astype(np.int32)
    demos = policy.sample(demo_prompts, seed=99)
    sft = rlhf.SFT(policy.copy(), epochs=1, minibatch_size=c["sft_minibatch"], learning_rate=0.01)
    out["sft_seconds"] = median_seconds(lambda: sft.fit(demos), c["repeats"], c["min_seconds"])
    out["sft_examples"] = int(demos.lengths.sum())

    chosen = rng.standard_normal((c["rm_pairs"], c["K"]))
    rejected = rng.standard_normal((c["rm_pairs"], c["K"]))
    rm = rlhf.RewardModel(c["K"], hidden_sizes=(c["rm_hidden"],), seed=0)
    out["rm_seconds"] = median_seconds(
        lambda: rm.fit(chosen, rejected, epochs=1, minibatch_size=c["rm_minibatch"], learning_rate=0.01),
        c["repeats"], c["min_seconds"])
    return out


def torch_side(python, c, threads):
    cmd = [python, os.path.join(HERE, "torch_sequence_model.py"), "--threads", str(threads), "--config", json.dumps(c)]
    return torch_side_result(cmd, timeout=1800)


def out_warm(s):
    return s["tokens_sampled"] / s["warm_sample_seconds"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--torch-python", default=os.path.join(os.path.dirname(HERE), ".bench-venv/bin/python"))
    p.add_argument("--repeats", type=int, default=CONFIG["repeats"])
    a = p.parse_args()
    c = dict(CONFIG, repeats=a.repeats)
    s = swiftpg_side(c)
    rates = {
        "tokens sampled / s": lambda r: r["tokens_sampled"] / r["sample_seconds"],
        "SFT examples / s": lambda r: r["sft_examples"] / r["sft_seconds"],
        "reward-model pairs / s": lambda r: c["rm_pairs"] / r["rm_seconds"],
    }
    anchors = {}
    if os.path.exists(a.torch_python):
        for threads in (1, 2):
            anchors[f"PyTorch {threads} thread{'s' if threads > 1 else ''}"] = torch_side(a.torch_python, c, threads)
    else:
        print("PyTorch not available (make bench creates .bench-venv)")
    print(f"workload: {json.dumps(c)}")
    header = f"{'':>24} {'swiftpg':>12}" + "".join(f" {name:>18} {'ratio':>7}" for name in anchors)
    print(header)
    for label, rate in rates.items():
        row = f"{label:>24} {rate(s):12.0f}"
        for r in anchors.values():
            row += f" {rate(r):18.0f} {rate(s) / rate(r):6.1f}×" if r else f" {'failed':>18} {'':>7}"
        print(row)
    print(f"{'(swiftpg, unchanged parameters)':>24} {out_warm(s):12.0f} tokens sampled / s: repeated calls with the "
          "same parameters reuse the activation cache (the row above starts each call cold)")
    version = next((r["torch"] for r in anchors.values() if r), None)
    if version:
        print(f"(torch {version}; per-call time: medians of {c['repeats']} repeats of at least {c['min_seconds']} s each; ratio = swiftpg / PyTorch)")


if __name__ == "__main__":
    sys.exit(main())
