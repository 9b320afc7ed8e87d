"""Learning from preferences in miniature, with exact figures: the RLHF
pipeline of Stiennon et al. (2020) and Ouyang et al. (2022) on swiftpg's
*summarise* task — supervised fine-tuning on noisy demonstrations, human-like
comparisons from a labeller, a Bradley–Terry reward model, then DPO
(Rafailov et al. 2023) and best-of-n against that reward model.

The task's hidden gold reward plays the human: a response earns a point for
each salient token of its prompt it covers, pays 0.1 per token, and pays 1
when it never emits EOS. Every response space here is small enough
(55 987 responses per prompt) to enumerate, so the win rates against the
SFT policy and the KL divergences below are exact, not sampled; a Monte
Carlo estimate with its standard error is printed beside each win rate.

    python examples/preferences.py            # the full run (about a minute)
    python examples/preferences.py --fast     # the test suite's variant
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from swiftpg import rlhf


def exact_figures(task, policies, reward_model, best_of):
    """Per prompt, the exact log-probabilities of every response under each
    policy (and under best-of-n of the SFT policy against the reward model),
    and the gold rewards: arrays [P, N] in canonical response order."""
    tokens, lengths = rlhf.canonical_responses(task.vocab_size, task.max_length)
    n = len(lengths)
    log_probs = {name: np.empty((task.num_prompts, n)) for name in list(policies) + [f"best-of-{k}" for k in best_of]}
    gold = np.empty((task.num_prompts, n))
    for x in range(task.num_prompts):
        gold[x] = task.reward_table(x)
        for name, policy in policies.items():
            log_probs[name][x] = policy.exact_log_probs(x)
        prompts = np.full(n, x, np.int32)
        scores = reward_model.predict(task.reward_features(prompts, tokens, lengths))
        base = np.exp(log_probs["SFT"][x])
        for k in best_of:
            with np.errstate(divide="ignore"):
                log_probs[f"best-of-{k}"][x] = np.log(rlhf.best_of_n_distribution(base, scores, k))
    return log_probs, gold


def monte_carlo_win_rate(task, sample_a, sample_b, count, seed):
    """Win rate of responses drawn by ``sample_a`` against ``sample_b`` under
    the gold reward, with its standard error (ties count ½)."""
    prompts = task.sample_prompts(count, seed=seed)
    a, b = sample_a(prompts, seed + 1), sample_b(prompts, seed + 2)
    ra = task.gold_rewards(prompts, a.tokens, a.lengths)
    rb = task.gold_rewards(prompts, b.tokens, b.lengths)
    wins = (ra > rb) + 0.5 * (ra == rb)
    return wins.mean(), wins.std(ddof=1) / math.sqrt(count)


def best_of_n_sampler(policy, task, reward_model, k):
    def sample(prompts, seed):
        repeated = np.repeat(prompts, k)
        candidates = policy.sample(repeated, seed=seed)
        scores = reward_model.predict(task.reward_features(repeated, candidates.tokens, candidates.lengths))
        pick = rlhf.best_of_n_select(scores.reshape(-1, k), seed=seed) + k * np.arange(len(prompts))
        return rlhf.Responses(prompts, candidates.tokens[pick], candidates.lengths[pick])
    return sample


def run(fast: bool = False, seed: int = 0, verbose: bool = True) -> dict:
    say = print if verbose else (lambda *a, **k: None)
    task = rlhf.Summarise(seed=seed)
    demos, pairs, epochs = (2000, 3000, 4) if fast else (8000, 12000, 10)
    scale = 0.5  # the labeller's noise s: P(y1 ≻ y2) = σ((r1 − r2)/s)

    # 1. Supervised fine-tuning on noisy expert demonstrations.
    policy = rlhf.SequencePolicy.for_task(task, "neural", context_size=3, hidden_sizes=(64,), seed=seed)
    sft = rlhf.SFT(policy, epochs=epochs, minibatch_size=256, learning_rate=0.01, seed=seed)
    history = sft.fit(task.expert_demonstrations(demos, noise=0.4, seed=seed),
                      held_out=task.expert_demonstrations(1000, noise=0.4, seed=seed + 1))
    say(f"SFT: held-out per-token cross-entropy {history['held_out_loss'][-1]:.3f} nats, "
        f"accuracy {history['held_out_accuracy'][-1]:.3f}")
    reference = policy.copy()  # the frozen SFT policy: π_ref of DPO and the base of best-of-n

    # 2. Comparisons: two SFT samples per prompt, judged by the labeller.
    prompts = task.sample_prompts(pairs, seed=seed + 2)
    first, second = reference.sample(prompts, seed=seed + 3), reference.sample(prompts, seed=seed + 4)
    rewards = np.stack([task.label_rewards(prompts, first.tokens, first.lengths),
                        task.label_rewards(prompts, second.tokens, second.lengths)], axis=1)
    preferred = rlhf.compare_pairs(rewards, scale=scale, seed=seed + 5)
    pick = preferred[:, None] == 0
    chosen = rlhf.Responses(prompts, np.where(pick, first.tokens, second.tokens),
                            np.where(preferred == 0, first.lengths, second.lengths))
    rejected = rlhf.Responses(prompts, np.where(pick, second.tokens, first.tokens),
                              np.where(preferred == 0, second.lengths, first.lengths))
    train = slice(0, pairs * 4 // 5)
    held = slice(pairs * 4 // 5, pairs)

    # 3. A reward model fitted to the comparisons (Bradley–Terry).
    features = {side: task.reward_features(r.prompts, r.tokens, r.lengths)
                for side, r in (("chosen", chosen), ("rejected", rejected))}
    reward_model = rlhf.RewardModel(len(task.feature_names), seed=seed)
    reward_model.fit(features["chosen"][train], features["rejected"][train], epochs=20, minibatch_size=128,
                     learning_rate=0.05, standardize=True, seed=seed)
    accuracy = reward_model.pair_accuracy(features["chosen"][held], features["rejected"][held])
    ceiling = rlhf.accuracy_ceiling(rewards[held], scale=scale)
    say(f"reward model: held-out pair accuracy {accuracy:.3f}, labeller ceiling {ceiling:.3f}")

    # 4. DPO on the same comparisons, against the frozen SFT policy.
    dpo_policy = reference.copy()
    dpo = rlhf.DPO(dpo_policy, reference, beta=0.1, epochs=epochs, minibatch_size=64, learning_rate=0.003,
                   seed=seed)
    dpo.fit(prompts[train], _take(chosen, train), _take(rejected, train))

    # 5. Exact win rates against SFT under the gold reward, and exact KL to SFT.
    best_of = (4, 16)
    log_probs, gold = exact_figures(task, {"SFT": reference, "DPO": dpo_policy}, reward_model, best_of)
    weights = task.prompt_probs
    results = {"reward_model_accuracy": accuracy, "labeller_ceiling": ceiling}
    samplers = {"SFT": lambda p, s: reference.sample(p, seed=s), "DPO": lambda p, s: dpo_policy.sample(p, seed=s)}
    for k in best_of:
        samplers[f"best-of-{k}"] = best_of_n_sampler(reference, task, reward_model, k)
    say(f"{'method':>12} {'win rate vs SFT':>16} {'Monte Carlo ± SE':>18} {'KL to SFT':>10} {'E[gold]':>8}")
    for name in ["SFT", "DPO"] + [f"best-of-{k}" for k in best_of]:
        win = rlhf.exact_win_rate(log_probs[name], log_probs["SFT"], gold, prompt_probs=weights)
        kl = sum(w * rlhf.exact_kl(log_probs[name][x], log_probs["SFT"][x]) for x, w in enumerate(weights))
        value = sum(w * rlhf.exact_expectation(log_probs[name][x], gold[x]) for x, w in enumerate(weights))
        mc, se = monte_carlo_win_rate(task, samplers[name], samplers["SFT"], 2000 if fast else 20000, seed + 7)
        extra = ""
        if name.startswith("best-of-"):
            extra = f"  (bound log n − (n−1)/n = {rlhf.best_of_n_kl_bound(int(name[8:])):.3f})"
        say(f"{name:>12} {win:16.3f} {mc:11.3f} ± {se:.3f} {kl:10.3f} {value:8.3f}{extra}")
        results[name] = {"win_rate": win, "monte_carlo": mc, "standard_error": se, "kl": kl, "gold": value}
    return results


def _take(r: "rlhf.Responses", rows) -> "rlhf.Responses":
    return rlhf.Responses(r.prompts[rows], r.tokens[rows], r.lengths[rows])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="the small variant the tests run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    run(fast=args.fast, seed=args.seed)


if __name__ == "__main__":
    main()
