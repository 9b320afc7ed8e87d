"""The PyTorch side of bench/rloo_vs_torch.py: one RLOO training run (Kool
et al. 2019; Ahmadian et al. 2024) on the summarise task with the neural
n-gram policy of bench/torch_sequence_model.py, written the way a PyTorch
user would. Runs under the benchmark venv's interpreter and prints one JSON
object.

One iteration, as swiftpg's ``rlhf.RLOO.iterate`` (RLOO.swift, OnlineRLHF.swift):
P prompts drawn uniformly, k responses each (autoregressive, per-token
softmax over V + 1 tokens, a row stops at EOS or after L positions); the
summarise gold reward r* ported to torch (the "environment"; checked against
swiftpg's ``task.gold_rewards`` on a batch the caller sends); per-token
log-probs of the policy (with gradient) and of the frozen reference (no
gradient); sequence-level k1 = Σ_t log π − log π_ref; R̂ = r − β k1;
leave-one-out advantages A_i = R̂_i − mean of the other k − 1 R̂ of its
group; one Adam step on −(1/N) Σ A_i log π(y_i) (ascent on (1/N) Σ A_i ∇log
π(y_i)). The policy forward pass with gradient also gives π_old's
log-probs (epoch 1: π_old = π_θ), so torch does one policy pass where
swiftpg does two (its fill of π_old's log-probs, then the score gradient).

    .bench-venv/bin/python bench/torch_rloo.py --threads 1 --precision float64 --config - < workload.json
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time

import torch
from torch import nn

from torch_sequence_model import NGramPolicy


def gold_rewards(salient, prompts, tokens, lengths, v, length, length_penalty, missing_eos_penalty):
    """Summarise.swift's r*(x, y) = |S_x ∩ {y_1 … y_l}| − λ l − c [truncated],
    float64 [B]: l = the content tokens (n − 1 when the response ended with
    EOS at position n, else L), truncated = (l == L), each salient token
    counted once."""
    ended = tokens.gather(1, (lengths - 1)[:, None])[:, 0] == v
    content = lengths - ended.long()
    mask = torch.arange(length)[None, :] < content[:, None]
    hits = nn.functional.one_hot(torch.where(mask, tokens, torch.full_like(tokens, v)), v + 1)[:, :, :v]
    present = hits.amax(1).to(torch.float64)  # [B, V]: token v among the content tokens
    covered = (present * salient[prompts]).sum(1)
    truncated = (content == length).to(torch.float64)
    return covered - length_penalty * content.to(torch.float64) - missing_eos_penalty * truncated


def init_like_swiftpg(policy, hidden_gain=math.sqrt(2), output_gain=0.01):
    """Orthogonal weights (hidden gain √2, output gain 0.01) and zero biases,
    as swiftpg's MLP.initializeOrthogonal: a near-uniform initial policy."""
    layers = [m for m in policy.net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for i, layer in enumerate(layers):
            nn.init.orthogonal_(layer.weight, gain=output_gain if i == len(layers) - 1 else hidden_gain)
            layer.bias.zero_()


def sequence_log_probs(policy, x, rows, targets, b):
    """log π(y_b | x_b) [B] from the teacher-forced rows ``x`` of every valid position."""
    logp = torch.log_softmax(policy.net(x), 1).gather(1, targets[:, None])[:, 0]
    return torch.zeros(b, dtype=logp.dtype).index_add(0, rows, logp)


PHASES = ("sample", "gold reward", "log-probs (policy with grad, reference)", "advantages + loss", "backward",
          "Adam step")


def rloo_iteration(policy, reference, optimizer, c, salient, generator, marks=None):
    """One RLOO iteration; ``marks`` (a list) gets a time stamp after each of PHASES."""
    p, k, v, length, beta = c["prompts_per_iteration"], c["k"], c["V"], c["L"], c["beta"]
    prompts = torch.randint(0, c["P"], (p,), generator=generator).repeat_interleave(k)
    tokens, lengths = policy.sample(prompts, generator)
    if marks is not None:
        marks.append(time.perf_counter())
    rewards = gold_rewards(salient, prompts, tokens, lengths, v, length, c["length_penalty"],
                           c["missing_eos_penalty"])
    if marks is not None:
        marks.append(time.perf_counter())
    n = prompts.shape[0]
    rows, positions = (torch.arange(length)[None, :] < lengths[:, None]).nonzero(as_tuple=True)
    x = policy.inputs(prompts[rows], tokens[rows], positions)
    targets = tokens[rows, positions]
    logp = sequence_log_probs(policy, x, rows, targets, n)
    with torch.no_grad():
        ref_logp = sequence_log_probs(reference, x, rows, targets, n)
    if marks is not None:
        marks.append(time.perf_counter())
    k1 = logp.detach().to(torch.float64) - ref_logp.to(torch.float64)
    r_hat = (rewards - beta * k1).view(-1, k)
    advantages = (r_hat - (r_hat.sum(1, keepdim=True) - r_hat) / (k - 1)).view(-1)
    loss = -(advantages.to(logp.dtype) * logp).sum() / n
    if marks is not None:
        marks.append(time.perf_counter())
    optimizer.zero_grad()
    loss.backward()
    if marks is not None:
        marks.append(time.perf_counter())
    optimizer.step()
    if marks is not None:
        marks.append(time.perf_counter())
    return float(rewards.mean()), float(k1.mean()), int(rows.shape[0])


def phase_times(c, features, salient, iterations=150, skip=50):
    """Median milliseconds of each of PHASES over iterations skip… of one training run."""
    policy, reference, optimizer = make(c, features)
    generator = torch.Generator().manual_seed(0)
    rows, positions = [], []
    for i in range(iterations):
        marks = [time.perf_counter()]
        positions.append(rloo_iteration(policy, reference, optimizer, c, salient, generator, marks)[2])
        if i >= skip:
            rows.append([b - a for a, b in zip(marks, marks[1:])])
    return ({name: 1e3 * statistics.median(r[j] for r in rows) for j, name in enumerate(PHASES)},
            statistics.fmean(positions[skip:]))


def make(c, features):
    v, length = c["V"], c["L"]
    policy = NGramPolicy(v, length, features, c["context"], c["hidden"])
    init_like_swiftpg(policy)
    reference = NGramPolicy(v, length, features, c["context"], c["hidden"])
    reference.load_state_dict(policy.state_dict())
    reference.requires_grad_(False)
    return policy, reference, torch.optim.Adam(policy.parameters(), lr=c["learning_rate"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=0, help="0: torch's default")
    p.add_argument("--precision", choices=("float64", "float32"), default="float64")
    p.add_argument("--config", required=True, help="JSON of the workload (from rloo_vs_torch.py); - reads stdin")
    p.add_argument("--phases", action="store_true", help="time each phase of an iteration instead of whole runs")
    a = p.parse_args()
    c = json.loads(sys.stdin.read() if a.config == "-" else a.config)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    dtype = torch.float64 if a.precision == "float64" else torch.float32
    torch.set_default_dtype(dtype)
    v, length = c["V"], c["L"]
    features = torch.tensor(c["prompt_features"], dtype=dtype)
    # Summarise's prompt features (F = 2V): the salient indicators first.
    salient = torch.tensor(c["prompt_features"], dtype=torch.float64)[:, :v]
    out = {"threads": torch.get_num_threads(), "precision": a.precision, "torch": torch.__version__}

    # The ported reward against swiftpg's task.gold_rewards on the caller's batch.
    chk = c["reward_check"]
    mine = gold_rewards(salient, torch.tensor(chk["prompts"]), torch.tensor(chk["tokens"]),
                        torch.tensor(chk["lengths"]), v, length, c["length_penalty"], c["missing_eos_penalty"])
    out["reward_check_max_error"] = float((mine - torch.tensor(chk["gold"], dtype=torch.float64)).abs().max())

    if a.phases:
        out["phases_ms"], out["positions"] = phase_times(c, features, salient)
        print(json.dumps(out))
        return
    times, first, last, kl_last = [], [], [], []
    w = c["window"]
    for rep in range(c["repeats"]):
        if times and sum(times) > c["budget_seconds"]:
            break  # a loaded machine (threads waiting for a busy core): fewer runs, reported as such
        generator = torch.Generator().manual_seed(rep)
        torch.manual_seed(rep)
        policy, reference, optimizer = make(c, features)
        history = []
        start = time.perf_counter()
        for _ in range(c["iterations"]):
            history.append(rloo_iteration(policy, reference, optimizer, c, salient, generator))
        times.append(time.perf_counter() - start)
        first.append(statistics.fmean(h[0] for h in history[:w]))
        last.append(statistics.fmean(h[0] for h in history[-w:]))
        kl_last.append(history[-1][1])
    out.update(seconds=statistics.median(times), all_seconds=times, runs=len(times),
               gold_first=statistics.median(first), gold_last=statistics.median(last),
               kl_last=statistics.median(kl_last))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
