"""The PyTorch side of bench/preferences_vs_torch.py: the same neural n-gram
sequence policy (Bengio et al. 2003) and reward model as swiftpg's, written
the way a PyTorch user would, timed on the same workloads. Runs under the
benchmark venv's interpreter and prints one JSON object.

    .bench-venv/bin/python bench/torch_sequence_model.py --threads 1
"""

from __future__ import annotations

import argparse
import json
import statistics

import torch
from torch import nn

from timing import median_seconds


class NGramPolicy(nn.Module):
    """logits(x, y_<t) = MLP([prompt features | one-hot of the last n tokens
    (V + 1 slots, slot V = before the response) | one-hot of t])."""

    def __init__(self, v, length, features, n, hidden):
        super().__init__()
        self.v, self.length, self.n = v, length, n
        self.register_buffer("features", features)
        inputs = features.shape[1] + n * (v + 1) + length
        self.net = nn.Sequential(nn.Linear(inputs, hidden), nn.Tanh(), nn.Linear(hidden, v + 1))

    def inputs(self, prompts, tokens, positions):
        """Rows for contexts (prompt, tokens[:, :t]) with t = positions."""
        b = prompts.shape[0]
        parts = [self.features[prompts]]
        for k in range(1, self.n + 1):
            idx = positions - k
            tok = torch.where(idx >= 0, tokens.gather(1, idx.clamp(min=0)[:, None])[:, 0], torch.full_like(idx, self.v))
            parts.append(nn.functional.one_hot(tok, self.v + 1).to(self.features.dtype))
        parts.append(nn.functional.one_hot(positions, self.length).to(self.features.dtype))
        return torch.cat(parts, 1).reshape(b, -1)

    @torch.no_grad()
    def sample(self, prompts, generator):
        b = prompts.shape[0]
        tokens = torch.full((b, self.length), self.v, dtype=torch.long)
        lengths = torch.zeros(b, dtype=torch.long)
        active = torch.arange(b)
        for t in range(self.length):
            if active.numel() == 0:
                break
            pos = torch.full((active.numel(),), t, dtype=torch.long)
            logits = self.net(self.inputs(prompts[active], tokens[active], pos))
            draw = torch.multinomial(torch.softmax(logits, 1), 1, generator=generator)[:, 0]
            tokens[active, t] = draw
            lengths[active] = t + 1
            active = active[draw != self.v]
        return tokens, lengths



def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--config", required=True, help="JSON of the workload (from preferences_vs_torch.py)")
    a = p.parse_args()
    c = json.loads(a.config)
    torch.set_num_threads(a.threads)
    torch.set_default_dtype(torch.float64)
    g = torch.Generator().manual_seed(0)
    v, length, n, hidden, repeats = c["V"], c["L"], c["context"], c["hidden"], c["repeats"]
    features = torch.randn(c["P"], c["F"], generator=g)
    policy = NGramPolicy(v, length, features, n, hidden)
    prompts = torch.randint(0, c["P"], (c["sample_batch"],), generator=g)
    out = {"threads": a.threads, "torch": torch.__version__}

    tokens_sampled = []

    def sample():
        _, lengths = policy.sample(prompts, g)
        tokens_sampled.append(int(lengths.sum()))
    out["sample_seconds"] = median_seconds(sample, repeats, c.get("min_seconds", 0.0))
    out["tokens_sampled"] = statistics.median(tokens_sampled)

    # SFT: one epoch of teacher-forced cross-entropy over every generated
    # position of the demonstrations, Adam on shuffled minibatches.
    demos, demo_lengths = policy.sample(torch.randint(0, c["P"], (c["sft_responses"],), generator=g), g)
    rows = torch.repeat_interleave(torch.arange(demos.shape[0]), demo_lengths)
    positions = torch.cat([torch.arange(int(k)) for k in demo_lengths])
    demo_prompts = torch.randint(0, c["P"], (demos.shape[0],), generator=g)
    targets = demos[rows, positions]
    optimizer = torch.optim.Adam(policy.parameters(), lr=0.01)

    def sft_epoch():
        order = torch.randperm(rows.shape[0], generator=g)
        for start in range(0, rows.shape[0], c["sft_minibatch"]):
            idx = order[start:start + c["sft_minibatch"]]
            r = rows[idx]
            logits = policy.net(policy.inputs(demo_prompts[r], demos[r], positions[idx]))
            loss = nn.functional.cross_entropy(logits, targets[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    out["sft_seconds"] = median_seconds(sft_epoch, repeats, c.get("min_seconds", 0.0))
    out["sft_examples"] = int(rows.shape[0])

    # Reward model: Bradley–Terry on feature rows, Adam on shuffled minibatches.
    k = c["K"]
    rm = nn.Sequential(nn.Linear(k, c["rm_hidden"]), nn.Tanh(), nn.Linear(c["rm_hidden"], 1))
    chosen = torch.randn(c["rm_pairs"], k, generator=g)
    rejected = torch.randn(c["rm_pairs"], k, generator=g)
    rm_optimizer = torch.optim.Adam(rm.parameters(), lr=0.01)

    def rm_epoch():
        order = torch.randperm(c["rm_pairs"], generator=g)
        for start in range(0, c["rm_pairs"], c["rm_minibatch"]):
            idx = order[start:start + c["rm_minibatch"]]
            margin = rm(chosen[idx])[:, 0] - rm(rejected[idx])[:, 0]
            loss = -nn.functional.logsigmoid(margin).mean()
            rm_optimizer.zero_grad()
            loss.backward()
            rm_optimizer.step()
    out["rm_seconds"] = median_seconds(rm_epoch, repeats, c.get("min_seconds", 0.0))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
