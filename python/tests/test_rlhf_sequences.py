"""swiftpg.rlhf end to end (issue 15, part 1): sequence tasks, labellers,
sequence policies and exact figures through the C ABI.

Statistical checks use fixed seeds and 5-standard-error bounds. The
"fault kind" tests turn the applicable entries of docs/trl-fault-kinds.md
into checks (the number in each name is the entry's)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import swiftpg
from swiftpg import _lib, rlhf
from swiftpg._arrays import DTypeError
from swiftpg.rlhf import SequencePolicy

V, L, P = 2, 3, 2          # 15 responses per prompt: small enough for every exact check


def random_tabular(v=V, l=L, p=P, seed=0, scale=1.0) -> SequencePolicy:
    pol = SequencePolicy.tabular(v, l, p)
    pol.parameters = np.random.default_rng(seed).normal(0, scale, pol.num_params)
    return pol


def neural(v=V, l=L, p=P, seed=0) -> SequencePolicy:
    feats = np.random.default_rng(seed + 100).normal(size=(p, 3))
    pol = SequencePolicy.neural(v, l, p, feats, context_size=2, hidden_sizes=(8,), seed=seed, output_gain=1.0)
    return pol


def response_index(tokens, lengths, v) -> np.ndarray:
    """Canonical indices of responses (shortest first, then base-V)."""
    out = np.empty(len(lengths), np.int64)
    for b, n in enumerate(lengths):
        row = tokens[b]
        l = n - 1 if row[n - 1] == v else n
        out[b] = sum(v**j for j in range(l)) + sum(int(row[i]) * v ** (l - 1 - i) for i in range(l))
    return out


def pad_randomly(tokens, lengths, v, seed=0) -> np.ndarray:
    """Fills positions >= length with random ids in 0..V (EOS included)."""
    rng = np.random.default_rng(seed)
    t = tokens.copy()
    for b, n in enumerate(lengths):
        t[b, n:] = rng.integers(0, v + 1, t.shape[1] - n)
    return t


def all_batch(v=V, l=L, prompt=0):
    tokens, lengths = rlhf.canonical_responses(v, l)
    return np.full(len(lengths), prompt, np.int32), tokens, lengths


# ------------------------------------------------------------------------------------- exact figures

@pytest.mark.parametrize("make", [random_tabular, neural])
def test_exact_probabilities_sum_to_one_and_match_teacher_forcing(make):
    with make() as pol:
        for x in range(P):
            lp = pol.exact_log_probs(x)
            assert lp.shape == (15,)
            assert abs(np.exp(lp).sum() - 1) < 1e-12
            prompts, tokens, lengths = all_batch(prompt=x)
            assert np.allclose(pol.log_probs(prompts, tokens, lengths), lp, atol=1e-12)
            per_token = pol.log_probs(prompts, tokens, lengths, per_token=True)
            assert np.allclose(per_token.sum(1), lp, atol=1e-12)


def test_canonical_order():
    tokens, lengths = rlhf.canonical_responses(2, 2)
    assert lengths.tolist() == [1, 2, 2, 2, 2, 2, 2]
    assert tokens.tolist() == [[2, 2], [0, 2], [1, 2], [0, 0], [0, 1], [1, 0], [1, 1]]
    assert (response_index(tokens, lengths, 2) == np.arange(7)).all()


def test_sampled_frequencies_match_exact_within_5_se():
    pol = random_tabular(seed=3)
    n = 20000
    s = pol.sample(np.zeros(n, np.int32), seed=11)
    counts = np.bincount(response_index(s.tokens, s.lengths, V), minlength=15)
    p = np.exp(pol.exact_log_probs(0))
    se = np.sqrt(p * (1 - p) / n)
    assert (np.abs(counts / n - p) <= 5 * se + 1e-12).all(), (counts / n, p)
    # The sampler's log-probabilities are the policy's own (temperature 1).
    assert np.allclose(s.log_probs, pol.log_probs(s.prompts, s.tokens, s.lengths, per_token=True), atol=1e-12)


def test_exact_kl_matches_k1_k3_means_within_5_se():
    pol, ref = random_tabular(seed=1), random_tabular(seed=2)
    n = 20000
    s = pol.sample(np.ones(n, np.int32), seed=5)
    terms = pol.kl(ref, s.prompts, s.tokens, s.lengths)
    sequence_kl = rlhf.exact_kl(pol.exact_log_probs(1), ref.exact_log_probs(1))
    for name in ("exact", "k1", "k3"):
        per_seq = getattr(terms, name).sum(1)
        se = per_seq.std() / math.sqrt(n)
        assert abs(per_seq.mean() - sequence_kl) <= 5 * se, (name, per_seq.mean(), sequence_kl, se)
    assert (terms.k3 >= 0).all() and (terms.k2 >= 0).all() and (terms.exact >= 0).all()
    only_exact = pol.kl(ref, s.prompts, s.tokens, s.lengths, estimators=False)
    assert only_exact.k1 is None and np.array_equal(only_exact.exact, terms.exact)


@pytest.mark.parametrize("make", [random_tabular, neural])
@pytest.mark.parametrize("weights", ["token", "sequence"])
def test_score_gradient_matches_central_differences(make, weights):
    pol = make(seed=4)
    rng = np.random.default_rng(7)
    s = pol.sample(np.array([0, 1, 1, 0], np.int32), seed=9)
    if weights == "token":
        w = rng.normal(size=(4, L))
        kwargs = {"token_weights": w}
        objective = lambda: (pol.log_probs(s.prompts, s.tokens, s.lengths, per_token=True) * w).sum()
    else:
        w = rng.normal(size=4)
        kwargs = {"sequence_weights": w}
        objective = lambda: (pol.log_probs(s.prompts, s.tokens, s.lengths) * w).sum()
    g = pol.score_gradient(s.prompts, s.tokens, s.lengths, **kwargs)
    theta = pol.parameters
    coords = rng.choice(pol.num_params, size=min(40, pol.num_params), replace=False)
    coords = np.union1d(coords, np.flatnonzero(g)[:20])
    h = 1e-6
    for i in coords:
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        pol.parameters = up
        f_up = objective()
        pol.parameters = down
        f_down = objective()
        assert abs((f_up - f_down) / (2 * h) - g[i]) < 1e-6 * max(1, abs(g[i])), i
    pol.parameters = theta


def test_win_rates():
    pol, other = random_tabular(seed=1), random_tabular(seed=2)
    task = rlhf.Summarise(vocab_size=V, max_length=L, num_prompts=P, post_length=2, salient_count=1)
    lp, lq = pol.exact_log_probs(0), other.exact_log_probs(0)
    r = task.reward_table(0)
    assert rlhf.exact_win_rate(lp, lp, r) == 0.5
    assert abs(rlhf.exact_win_rate(lp, lq, r) + rlhf.exact_win_rate(lq, lp, r) - 1) < 1e-12
    w = task.prompt_probs
    rows = lambda p: np.stack([p.exact_log_probs(x) for x in range(P)])
    table = np.stack([task.reward_table(x) for x in range(P)])
    averaged = rlhf.exact_win_rate(rows(pol), rows(other), table, prompt_probs=w)
    by_hand = sum(w[x] * rlhf.exact_win_rate(rows(pol)[x], rows(other)[x], table[x]) for x in range(P))
    assert abs(averaged - by_hand) < 1e-12
    assert rlhf.exact_win_rate(rows(pol), rows(pol), table, prompt_probs=w) == 0.5
    expected = rlhf.exact_expectation(lp, r)
    assert abs(expected - (np.exp(lp) * r).sum()) < 1e-12


def test_split_batches_equal_whole_batches():
    pol = random_tabular(seed=6)
    prompts = np.array([0, 1, 1, 0, 1, 0, 0], np.int32)
    whole = pol.sample(prompts, seed=3)
    a, b = pol.sample(prompts[:3], seed=3), pol.sample(prompts[3:], seed=3, first_lane=3)
    assert np.array_equal(np.concatenate([a.tokens, b.tokens]), whole.tokens)
    assert np.array_equal(np.concatenate([a.lengths, b.lengths]), whole.lengths)
    task = rlhf.LengthBias()
    d = task.expert_demonstrations(9, noise=0.5, seed=4)
    d1, d2 = task.expert_demonstrations(4, 0.5, 4), task.expert_demonstrations(5, 0.5, 4, first_row=4)
    for f in ("prompts", "tokens", "lengths"):
        assert np.array_equal(np.concatenate([getattr(d1, f), getattr(d2, f)]), getattr(d, f))
    sp = task.sample_prompts(10, seed=2)
    assert np.array_equal(np.concatenate([task.sample_prompts(6, 2), task.sample_prompts(4, 2, first_row=6)]), sp)
    rewards = np.random.default_rng(0).normal(size=(8, 3))
    whole_rank = rlhf.rank(rewards, 0.5, seed=1)
    assert np.array_equal(np.concatenate([rlhf.rank(rewards[:5], 0.5, 1), rlhf.rank(rewards[5:], 0.5, 1, 5)]),
                          whole_rank)
    pairs = rewards[:, :2].copy()
    assert np.array_equal(np.concatenate([rlhf.compare_pairs(pairs[:2], 1.0, 8),
                                          rlhf.compare_pairs(pairs[2:], 1.0, 8, first_row=2)]),
                          rlhf.compare_pairs(pairs, 1.0, 8))


# ----------------------------------------------------------------------------------------------- tasks

def content_batch(task, prompt, contents):
    """(prompts, tokens, lengths) of responses given by their content tokens
    (a response of L content tokens is truncated)."""
    v, l = task.vocab_size, task.max_length
    tokens = np.full((len(contents), l), v, np.int32)
    lengths = np.empty(len(contents), np.int32)
    for b, c in enumerate(contents):
        tokens[b, :len(c)] = c
        lengths[b] = len(c) + 1 if len(c) < l else l
    return np.full(len(contents), prompt, np.int32), tokens, lengths


def test_summarise_golden_values():
    task = rlhf.Summarise()
    assert task.num_responses == 55987 and task.num_prompts == 8 and task.eos_token == 6
    assert task.feature_names == ("salient_covered", "content_length", "truncated")
    s = np.flatnonzero(task.prompt_features[0, :6]).tolist()
    assert len(s) == 3
    n = next(t for t in range(6) if t not in s)
    batch = content_batch(task, 0, [[s[0], n, s[0]], [s[2], s[1], s[0]], [s[0], s[1], s[2], n, n, n], [],
                                    [n] * 5])
    assert np.allclose(task.gold_rewards(*batch), [0.7, 2.7, 1.4, 0, -0.5], atol=1e-12)
    assert np.array_equal(task.label_rewards(*batch), task.gold_rewards(*batch))
    assert task.reward_features(*batch)[2].tolist() == [3, 6, 1]
    assert abs(task.reward_table(0).max() - 2.7) < 1e-12
    d = task.expert_demonstrations(8, noise=0.0, seed=0)
    assert np.allclose(task.gold_rewards(d.prompts, d.tokens, d.lengths), 2.7, atol=1e-12)


def test_length_bias_golden_values():
    task = rlhf.LengthBias()
    assert task.num_responses == 21845
    assert task.proxy_feature_names == ("content_length", "count_0", "count_1", "count_2", "count_3")
    cases = [(1, [1, 2], 1.8, 2.4), (1, [1, 1, 1], 0.7, 1.6), (1, [0, 3], -0.2, 0.4), (3, [0, 3], 1.8, 2.4),
             (1, [1] * 7, -0.7, 1.4)]
    for x, content, gold, label in cases:
        batch = content_batch(task, x, [content])
        assert abs(task.gold_rewards(*batch)[0] - gold) < 1e-12
        assert abs(task.label_rewards(*batch)[0] - label) < 1e-12
    batch = content_batch(task, 1, [[1, 2, 2]])
    assert task.reward_features(*batch)[0].tolist() == [2, 3, 0, 0, 1, 2, 0]
    assert task.reward_features(*batch, proxy=True)[0].tolist() == [3, 0, 1, 2, 0]


def test_didactic_bandit_golden_values():
    low = rlhf.DidacticBandit(9, "low_probability")
    assert (low.vocab_size, low.max_length, low.num_prompts, low.num_responses) == (9, 1, 1, 10)
    table = low.reward_table(0)           # response 0 is EOS, content arm a is response a + 1
    assert table[3] == 1
    assert abs(table[4] - 0.5394075072376265) < 1e-15
    assert abs(table[0] - 7.310251818545068e-14) < 1e-26
    high = rlhf.DidacticBandit(9, "high_probability")
    assert abs(high.reward_table(0)[0] - 0.003865920139472811) < 1e-17
    d = rlhf.DidacticBandit()
    assert abs(d.gold_rewards(*content_batch(d, 0, [[21]]))[0] - 0.9949114704013271) < 1e-15
    assert d.num_features == 100 and d.feature_names[-1] == "arm_eos"


def test_array_task_round_trip():
    rng = np.random.default_rng(0)
    gold, label = rng.normal(size=(2, 15)), rng.normal(size=(2, 15))
    task = rlhf.ArrayTask(V, L, [0.25, 0.75], gold, label, prompt_features=[[1.0], [2.0]])
    assert np.array_equal(task.reward_table(1), gold[1]) and np.array_equal(task.reward_table(1, label=True), label[1])
    prompts, tokens, lengths = all_batch(prompt=1)
    assert np.array_equal(task.gold_rewards(prompts, tokens, lengths), gold[1])
    assert np.array_equal(task.prompt_probs, [0.25, 0.75]) and task.prompt_features.tolist() == [[1.0], [2.0]]
    d = task.expert_demonstrations(4, seed=1)
    best = gold[d.prompts].max(1)
    assert np.array_equal(task.gold_rewards(d.prompts, d.tokens, d.lengths), best)
    with pytest.raises(swiftpg.InvalidArgumentError, match="gold_table"):
        rlhf.ArrayTask(V, L, [0.25, 0.75], gold[:, :14])
    with pytest.raises(swiftpg.InvalidArgumentError, match="sum to 1"):
        rlhf.ArrayTask(V, L, [0.5, 0.75], gold)


def test_labellers():
    ceiling = rlhf.accuracy_ceiling([[1, 1], [2, 1], [0, 1]], scale=0.0)   # fault kind 11: a tie is 1/2
    assert abs(ceiling - 2.5 / 3) < 1e-15
    assert abs(rlhf.accuracy_ceiling([[1.0, 0.0]], 1.0) - 1 / (1 + math.exp(-1))) < 1e-15
    n = 20000
    pairs = np.tile([[0.5, 0.0]], (n, 1))
    wins = (rlhf.compare_pairs(pairs, 1.0, seed=3) == 0).mean()
    p = 1 / (1 + math.exp(-0.5))
    assert abs(wins - p) <= 5 * math.sqrt(p * (1 - p) / n)
    assert rlhf.compare_pairs([[2.0, 1.0], [0.0, 3.0]], 0.0).tolist() == [0, 1]
    assert rlhf.rank([[0.0, 3.0, 1.0]], 0.0).tolist() == [[1, 2, 0]]
    chosen, rejected = rlhf.ranking_pairs([[1, 2, 0]])
    assert list(zip(chosen, rejected)) == [(1, 2), (1, 0), (2, 0)]
    with pytest.raises(swiftpg.InvalidArgumentError, match="permutation"):
        rlhf.ranking_pairs([[0, 0, 1]])
    with pytest.raises(swiftpg.InvalidArgumentError, match="scale"):
        rlhf.compare_pairs([[0.0, 1.0]], -1.0)
    with pytest.raises(swiftpg.NotFiniteError):
        rlhf.rank([[0.0, math.nan]], 1.0)


# --------------------------------------------------------------------------------------- bad inputs

def test_bad_inputs_raise_and_change_nothing():
    pol, ref = random_tabular(seed=1), random_tabular(seed=2)
    task = rlhf.Summarise(vocab_size=V, max_length=L, num_prompts=P, post_length=2, salient_count=1)
    theta = pol.parameters
    prompts, tokens, lengths = all_batch()
    ok = (prompts[:4], tokens[:4].copy(), lengths[:4].copy())
    cases = []
    t = ok[1].copy(); t[3, 0] = V + 1
    cases.append(((ok[0], t, ok[2]), swiftpg.InvalidArgumentError, r"tokens\[3, 0\]"))
    t = ok[1].copy(); t[3, 0] = -1
    cases.append(((ok[0], t, ok[2]), swiftpg.InvalidArgumentError, "content token"))
    t = ok[1].copy(); t[3] = [V, 0, V]; ln = ok[2].copy(); ln[3] = 3      # EOS inside the content
    cases.append(((ok[0], t, ln), swiftpg.InvalidArgumentError, r"tokens\[3, 0\]"))
    ln = ok[2].copy(); ln[1] = 0
    cases.append(((ok[0], ok[1], ln), swiftpg.InvalidArgumentError, r"lengths\[1\]"))
    ln = ok[2].copy(); ln[1] = L + 1
    cases.append(((ok[0], ok[1], ln), swiftpg.InvalidArgumentError, r"lengths\[1\]"))
    t = ok[1].copy(); t[0] = [0, 1, V]; ln = ok[2].copy(); ln[0] = 2   # ends without EOS before L
    cases.append(((ok[0], t, ln), swiftpg.InvalidArgumentError, "not EOS"))
    pr = ok[0].copy(); pr[2] = P
    cases.append(((pr, ok[1], ok[2]), swiftpg.InvalidArgumentError, r"prompts\[2\]"))
    cases.append(((ok[0], ok[1].astype(np.float64), ok[2]), DTypeError, "tokens must be an integer array"))
    cases.append(((ok[0], ok[1][:, :2], ok[2]), swiftpg.InvalidArgumentError, "tokens must have shape"))
    cases.append(((ok[0][:3], ok[1], ok[2]), swiftpg.InvalidArgumentError, "prompts must have shape"))
    for args, exc, message in cases:
        for call in (lambda: pol.log_probs(*args), lambda: pol.entropies(*args), lambda: pol.kl(ref, *args),
                     lambda: pol.score_gradient(*args, sequence_weights=np.ones(len(args[2]))),
                     lambda: task.gold_rewards(*args), lambda: task.reward_features(*args)):
            with pytest.raises(exc, match=message):
                call()
    assert np.array_equal(pol.parameters, theta)
    for temperature in (-0.5, math.nan, math.inf):
        with pytest.raises(swiftpg.InvalidArgumentError, match="temperature"):
            pol.sample([0], temperature=temperature)
    with pytest.raises(swiftpg.InvalidArgumentError, match="prompts"):
        pol.sample([0, P])
    with pytest.raises(swiftpg.InvalidArgumentError, match="prompt"):
        pol.exact_log_probs(P)
    with pytest.raises(swiftpg.NotFiniteError):
        pol.parameters = np.full(pol.num_params, math.nan)
    with pytest.raises(swiftpg.NotFiniteError, match="token_weights"):
        w = np.zeros((4, L)); w[0, 0] = math.nan
        pol.score_gradient(*ok, token_weights=w)
    w = np.zeros((4, L)); w[0, L - 1] = math.nan                   # beyond response 0's length 1: ignored
    assert np.array_equal(pol.score_gradient(*ok, token_weights=w), np.zeros(pol.num_params))
    with pytest.raises(swiftpg.InvalidArgumentError, match="exactly one"):
        pol.score_gradient(*ok)
    other = SequencePolicy.tabular(V, L + 1, P)
    with pytest.raises(swiftpg.InvalidArgumentError, match="reference"):
        pol.kl(other, *ok)
    with pytest.raises(swiftpg.InvalidArgumentError, match="prompts"):
        pol.kl(SequencePolicy.tabular(V, L, P + 1), *ok)
    with pytest.raises(DTypeError):
        pol.kl("not a policy", *ok)
    assert np.array_equal(pol.parameters, theta)
    big = SequencePolicy.neural(8, 8, 1, hidden_sizes=(4,))                 # 19 173 961 responses
    with pytest.raises(swiftpg.InvalidArgumentError, match="responses per prompt"):
        big.exact_log_probs(0)
    with pytest.raises(swiftpg.InvalidArgumentError, match="responses per prompt"):
        rlhf.Summarise(vocab_size=8, max_length=8).reward_table(0)
    with pytest.raises(swiftpg.InvalidArgumentError, match="max_parameters|2\\^24|too large|exceeds"):
        SequencePolicy.tabular(8, 8, 1)
    with pytest.raises(swiftpg.InvalidArgumentError, match="noise"):
        task.expert_demonstrations(2, noise=1.5)
    with pytest.raises(swiftpg.InvalidArgumentError, match="placement"):
        rlhf.DidacticBandit(9, "middle")
    with pytest.raises(swiftpg.InvalidArgumentError, match="salient_count"):
        rlhf.Summarise(salient_count=0)
    with pytest.raises(DTypeError):
        SequencePolicy()
    with pytest.raises(DTypeError):
        rlhf.SequenceTask()


def test_closed_handles_raise():
    pol, ref = random_tabular(), random_tabular()
    task = rlhf.LengthBias()
    prompts, tokens, lengths = all_batch()
    ref.close()
    ref.close()                                   # idempotent
    with pytest.raises(swiftpg.ClosedError):
        pol.kl(ref, prompts, tokens, lengths)
    pol.close()
    task.close()
    for call in (lambda: pol.sample([0]), lambda: pol.parameters, lambda: pol.exact_log_probs(0), pol.copy,
                 lambda: task.gold_rewards([0], [[0] * 7], [7]), lambda: task.prompt_probs,
                 lambda: task.sample_prompts(2)):
        with pytest.raises(swiftpg.ClosedError):
            call()


def test_live_handles_and_copies():
    before = (swiftpg.live_handles(_lib.KIND_SEQ_TASK), swiftpg.live_handles(_lib.KIND_SEQ_POLICY))
    with rlhf.Summarise() as task, SequencePolicy.for_task(task, "neural", hidden_sizes=(4,)) as pol:
        frozen = pol.frozen_copy()
        assert swiftpg.live_handles(_lib.KIND_SEQ_POLICY) == before[1] + 2
        assert swiftpg.live_handles(_lib.KIND_SEQ_TASK) == before[0] + 1
        theta = frozen.parameters
        pol.parameters = pol.parameters + 1
        assert np.array_equal(frozen.parameters, theta)
        restored = pickle.loads(pickle.dumps(pol))
        assert np.array_equal(restored.parameters, pol.parameters) and restored.family == "neural"
        t2 = pickle.loads(pickle.dumps(task))
        assert np.array_equal(t2.prompt_features, task.prompt_features)
        for obj in (frozen, restored, t2):
            obj.close()
    assert (swiftpg.live_handles(_lib.KIND_SEQ_TASK), swiftpg.live_handles(_lib.KIND_SEQ_POLICY)) == before


# ---------------------------------------------------------- fault kinds (docs/trl-fault-kinds.md)

@pytest.mark.parametrize("make", [random_tabular, neural])
def test_masks_come_from_lengths_never_from_token_ids(make):
    """Kinds 1, 9, 16, 26, 32: positions >= length hold random ids, EOS
    included; every output is bit-identical."""
    pol, ref = make(seed=1), make(seed=2)
    task = rlhf.Summarise(vocab_size=V, max_length=L, num_prompts=P, post_length=2, salient_count=1)
    prompts, tokens, lengths = all_batch(prompt=1)
    w = np.random.default_rng(0).normal(size=tokens.shape)
    for seed in range(3):
        padded = pad_randomly(tokens, lengths, V, seed)
        assert not np.array_equal(padded, tokens) or seed
        for f in (lambda t: pol.log_probs(prompts, t, lengths), lambda t: pol.log_probs(prompts, t, lengths, True),
                  lambda t: pol.entropies(prompts, t, lengths),
                  lambda t: pol.kl(ref, prompts, t, lengths).exact, lambda t: pol.kl(ref, prompts, t, lengths).k3,
                  lambda t: pol.score_gradient(prompts, t, lengths, token_weights=w),
                  lambda t: task.gold_rewards(prompts, t, lengths), lambda t: task.reward_features(prompts, t, lengths)):
            assert np.array_equal(f(padded), f(tokens))
    per_token = pol.log_probs(prompts, tokens, lengths, per_token=True)
    mask = np.arange(L)[None, :] < lengths[:, None]
    assert (per_token[~mask] == 0).all() and (pol.entropies(prompts, tokens, lengths)[~mask] == 0).all()
    assert (pol.entropies(prompts, tokens, lengths) >= 0).all()


def test_truncated_responses_are_not_terminated():
    """Kind 3: a response of L content tokens has length L, no EOS, and pays
    the missing-EOS penalty; the EOS target of an ended response counts
    (kind 1: d log π / d logit[EOS] ≠ 0)."""
    task = rlhf.Summarise()
    s = np.flatnonzero(task.prompt_features[0, :6]).tolist()
    ended, truncated = content_batch(task, 0, [s + [s[0]] * 2]), content_batch(task, 0, [s + [s[0]] * 3])
    assert truncated[2][0] == 6 and truncated[1][0, -1] != 6
    assert abs(task.gold_rewards(*ended)[0] - (3 - 0.5)) < 1e-12
    assert abs(task.gold_rewards(*truncated)[0] - (3 - 0.6 - 1)) < 1e-12
    assert task.reward_features(*truncated)[0, 2] == 1 and task.reward_features(*ended)[0, 2] == 0
    pol = SequencePolicy.tabular(2, 2, 1)
    g = pol.score_gradient([0], [[0, 2]], [2], sequence_weights=[1.0])
    # θ row of the prefix (0,): logits of tokens 0, 1, EOS start at (1 · 3); the EOS target gets 1 − 1/3.
    assert abs(g[3 + 2] - (1 - 1 / 3)) < 1e-12


def test_log_prob_targets_are_aligned():
    """Kind 17: with a tabular policy whose every context puts probability
    ½ on the next true token, log π(y) = n · ln ½ exactly over the n
    generated positions (EOS counted, nothing past the length)."""
    v, l = 3, 3
    pol = SequencePolicy.tabular(v, l, 1)
    tokens, lengths = rlhf.canonical_responses(v, l)
    target = np.array([[1, 2, 3]], np.int32)       # content 1, 2, then EOS
    theta = np.zeros(pol.num_params)
    # prefix indices: () = 0, (1,) = 1 + 1 = 2, (1, 2) = 4 + 1·3 + 2 = 9; logit log 3 on the true token
    for prefix, token in ((0, 1), (2, 2), (9, 3)):
        theta[prefix * (v + 1) + token] = math.log(3)   # 3 / (3 + 3) = ½
    pol.parameters = theta
    assert abs(pol.log_probs([0], target, [3])[0] - 3 * math.log(0.5)) < 1e-14
    assert np.allclose(pol.log_probs([0], target, [3], per_token=True), math.log(0.5), atol=1e-14)


def test_policy_as_its_own_reference_gives_zero_kl():
    """Kinds 23 and 30: policy == reference (or its frozen copy) gives KL,
    k1, k2, k3 exactly 0, and repeated passes are bit-identical."""
    pol = neural(seed=5)
    frozen = pol.copy()
    prompts, tokens, lengths = all_batch(prompt=1)
    for ref in (pol, frozen):
        terms = pol.kl(ref, prompts, tokens, lengths)
        for a in (terms.exact, terms.k1, terms.k2, terms.k3):
            assert (a == 0).all()
    assert np.array_equal(pol.log_probs(prompts, tokens, lengths), pol.log_probs(prompts, tokens, lengths))


def test_kl_estimator_table():
    """Kinds 30 and 31: one position with p = [0.7, 0.2, 0.1], q = [0.2,
    0.5, 0.3]: exact KL 0.583815, k1/k2/k3 by their formulas, k1 and k3
    means converge to the exact KL; swapping the direction flips k1."""
    p, q = np.array([0.7, 0.2, 0.1]), np.array([0.2, 0.5, 0.3])
    pol, ref = SequencePolicy.tabular(2, 1, 1), SequencePolicy.tabular(2, 1, 1)
    pol.parameters, ref.parameters = np.log(p), np.log(q)
    tokens = np.array([[0], [1], [2]], np.int32)
    lengths = np.ones(3, np.int32)
    terms = pol.kl(ref, np.zeros(3, np.int32), tokens, lengths)
    kl = (p * np.log(p / q)).sum()
    assert abs(kl - 0.583815) < 1e-6 and np.allclose(terms.exact[:, 0], kl, atol=1e-12)
    log_r = np.log(q / p)
    assert np.allclose(terms.k1[:, 0], -log_r) and np.allclose(terms.k2[:, 0], 0.5 * log_r**2)
    assert np.allclose(terms.k3[:, 0], np.exp(log_r) - 1 - log_r)
    swapped = ref.kl(pol, np.zeros(3, np.int32), tokens, lengths)
    assert np.allclose(swapped.k1, -terms.k1) and not np.allclose(swapped.k3, terms.k3)
    n = 20000
    s = pol.sample(np.zeros(n, np.int32), seed=1)
    mc = pol.kl(ref, s.prompts, s.tokens, s.lengths)
    for k in (mc.k1[:, 0], mc.k3[:, 0]):
        assert abs(k.mean() - kl) <= 5 * k.std() / math.sqrt(n)


def test_sampler_lengths_and_eos():
    """Kind 27: the sampler returns lengths explicitly; the token at
    length − 1 is EOS unless the response is truncated, no EOS comes
    earlier, and every position after the length is EOS."""
    pol = random_tabular(v=3, l=4, p=1, seed=8)
    s = pol.sample(np.zeros(2000, np.int32), seed=2)
    for row, n in zip(s.tokens, s.lengths):
        assert 1 <= n <= 4
        assert (row[:n - 1] < 3).all() and (row[n:] == 3).all()
        assert row[n - 1] == 3 or n == 4
    mask = np.arange(4)[None, :] < s.lengths[:, None]
    assert (s.log_probs[~mask] == 0).all()


def test_temperature_edge_cases():
    """Kind 28: T = 0 is argmax exactly (greedy), tiny T gives finite
    log-probabilities, T < 0 / NaN is refused, and the log-probabilities
    returned with samples at T = 0.7 are the policy's own (ratio 1)."""
    pol = random_tabular(seed=12, scale=2.0)
    g = pol.greedy([0, 1])
    for x in range(P):
        # Greedy walks the argmax of each next-token distribution.
        row, n = g.tokens[x], g.lengths[x]
        for t in range(n):
            prefix = row[:t]
            candidates = []
            for tok in range(V + 1):
                test = np.full((1, L), V, np.int32)
                test[0, :t] = prefix
                test[0, t] = tok
                length = t + 1 if tok == V or t + 1 == L else L
                if tok != V and t + 1 < L:
                    test[0, t + 1] = V
                    length = t + 2
                candidates.append(pol.log_probs([x], test, [length], per_token=True)[0, t])
            assert row[t] == int(np.argmax(candidates))
    assert np.array_equal(pol.sample([0, 1], temperature=0.0, seed=99).tokens, g.tokens)
    cold = pol.sample(np.zeros(50, np.int32), temperature=1e-4, seed=1)
    assert np.isfinite(cold.log_probs).all()
    warm = pol.sample(np.zeros(500, np.int32), temperature=0.7, seed=1)
    again = pol.log_probs(warm.prompts, warm.tokens, warm.lengths, per_token=True)
    assert np.array_equal(np.exp(again - warm.log_probs)[np.arange(L)[None, :] < warm.lengths[:, None]], 
                          np.ones(int(warm.lengths.sum())))


def test_array_task_from_a_python_reward_function():
    """A user's gold reward as a Python callable over batches of token
    arrays: called in batches of at most batch_size responses of one prompt,
    its table equals the callable's values, and the task works like any
    other (gold rewards, features, exact win rates); bad callables raise."""
    calls = []

    def gold(prompts, tokens, lengths):
        calls.append(len(prompts))
        assert prompts.dtype == np.int32 and tokens.dtype == np.int32 and lengths.dtype == np.int32
        content = (tokens == 1) & (np.arange(tokens.shape[1]) < lengths[:, None])
        return content.sum(1) - 0.5 * lengths + prompts

    task = rlhf.ArrayTask.from_reward_fn(2, 3, [0.25, 0.75], gold, batch_size=5)
    assert max(calls) <= 5 and sum(calls) == 2 * 15
    tokens, lengths = rlhf.canonical_responses(2, 3)
    for x in range(2):
        prompts = np.full(len(lengths), x, np.int32)
        np.testing.assert_array_equal(task.reward_table(x), gold(prompts, tokens, lengths))
        np.testing.assert_array_equal(task.gold_rewards(prompts, tokens, lengths), gold(prompts, tokens, lengths))
    policy = rlhf.SequencePolicy.for_task(task)
    lp = np.stack([policy.exact_log_probs(x) for x in range(2)])
    table = np.stack([task.reward_table(x) for x in range(2)])
    assert rlhf.exact_win_rate(lp, lp, table, prompt_probs=task.prompt_probs) == 0.5
    with pytest.raises(swiftpg.InvalidArgumentError, match="gold_fn"):
        rlhf.ArrayTask.from_reward_fn(2, 3, [1.0], lambda p, t, n: np.zeros(3))
    with pytest.raises(swiftpg.InvalidArgumentError, match="non-finite"):
        rlhf.ArrayTask.from_reward_fn(2, 3, [1.0], lambda p, t, n: np.full(len(p), np.nan))
    with pytest.raises(TypeError):
        rlhf.ArrayTask.from_reward_fn(2, 3, [1.0], "not callable")


def _bits(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, np.float64)).view(np.uint64)


def test_float32_activation_cache_never_serves_stale_or_different_bits(tmp_path):
    """A float32 neural policy keeps each context's activations per
    parameter version (NeuralSequenceModel's ActivationCache). Random
    interleavings of sampling, teacher-forced passes, next-token rows, score
    gradients, KL against itself and against a reference, parameter
    assignments (new values and the same values), save/load, copy and
    pickling must give, bit for bit, what a fresh twin (the policy's bundle
    loaded into a new object: empty cache) computes."""
    rng = np.random.default_rng(5)
    v, l, p = 3, 5, 4
    pol = SequencePolicy.neural(v, l, p, rng.normal(size=(p, 2)), context_size=2, hidden_sizes=(16,),
                                precision="float32", output_gain=1.0)
    ref = pol.copy()

    def twin(x):
        return pickle.loads(pickle.dumps(x))

    for step in range(250):
        b = int(rng.integers(0, 9))
        prompts = rng.integers(0, p, b).astype(np.int32)
        op = int(rng.integers(0, 9))
        fresh = twin(pol)
        if op == 0:
            t, s, first = [1.0, 0.5, 0.0][rng.integers(3)], int(rng.integers(1 << 62)), int(rng.integers(50))
            a, c = pol.sample(prompts, t, s, first), fresh.sample(prompts, t, s, first)
            assert np.array_equal(a.tokens, c.tokens) and np.array_equal(_bits(a.log_probs), _bits(c.log_probs)), step
        elif op in (1, 2, 3):
            res = pol.sample(prompts, 1.0, step)     # fills the cache the next pass reads
            fresh = twin(pol)
            args = (res.prompts, res.tokens, res.lengths)
            if op == 1:
                assert np.array_equal(_bits(pol.log_probs(*args, per_token=True)),
                                      _bits(fresh.log_probs(*args, per_token=True))), step
            elif op == 2:
                w = rng.normal(size=(b, l))
                assert np.array_equal(_bits(pol.score_gradient(*args, token_weights=w)),
                                      _bits(fresh.score_gradient(*args, token_weights=w))), step
            else:
                other = [ref, pol][rng.integers(2)]
                k1 = pol.kl(other, *args)
                k2 = fresh.kl(fresh if other is pol else twin(ref), *args)
                for x, y in zip((k1.exact, k1.k1, k1.k2, k1.k3), (k2.exact, k2.k1, k2.k2, k2.k3)):
                    assert np.array_equal(_bits(x), _bits(y)), step
        elif op == 4:
            tokens = rng.integers(0, v, (b, l)).astype(np.int32)
            pos = rng.integers(0, l, b).astype(np.int32)
            assert np.array_equal(_bits(pol.next_token_log_probs(prompts, tokens, pos)),
                                  _bits(fresh.next_token_log_probs(prompts, tokens, pos))), step
        elif op == 5:
            pol.parameters = pol.parameters + rng.normal(scale=0.05, size=pol.num_params)
        elif op == 6:
            pol.parameters = pol.parameters if rng.integers(2) else pol.parameters * 1.0
        elif op == 7:
            pol.save(tmp_path / "p.swiftpg")
            pol = SequencePolicy.load(tmp_path / "p.swiftpg") if rng.integers(2) else pol.copy()
        else:
            ref.parameters = ref.parameters + rng.normal(scale=0.05, size=ref.num_params)


_CACHE_MEMORY_CHILD = """
import sys
import numpy as np
from swiftpg import rlhf

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

count = 8
# V = 15, L = 16, P = 256, n = 2: P*L*(V+1)^n = 2^20 context keys, the most a layer deduplicates.
policies = [rlhf.SequencePolicy.neural(15, 16, 256, np.zeros((256, 1)), context_size=2, hidden_sizes=(32,),
                                       precision=sys.argv[1]) for _ in range(count)]
before = rss_mb()
for pol in policies:
    pol.sample(np.zeros(1, np.int32), seed=0)                # every context computed
    pol.sample(np.array([0, 1], np.int32), seed=0)           # prompt 0's cached, prompt 1's computed
print((rss_mb() - before) / count)
"""


def test_float32_activation_cache_bookkeeping_grows_with_use_not_with_the_key_space():
    """The float32 activation cache's memory follows what is cached: its
    per-key bookkeeping (an Int stamp and an Int32 slot per possible
    context key, P·L·(V + 1)ⁿ, up to 2^20) comes from calloc, so untouched
    pages cost nothing, and the layer that computes a pass's missing
    contexts keeps no key tables. Before (found in review): two tiny
    sampling calls made a float32 policy ~24 MiB larger than a float64 one
    at 2^20 keys (200 such policies: 4.8 GB more)."""
    import subprocess
    import sys

    grown = {}
    for precision in ("float64", "float32"):
        out = subprocess.run([sys.executable, "-c", _CACHE_MEMORY_CHILD, precision], capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr
        grown[precision] = float(out.stdout.split()[-1])
    # One prompt's contexts: a few kB of activations. Allow 4 MiB per policy of slack over float64.
    assert grown["float32"] - grown["float64"] < 4.0, grown


def test_lane_streams_are_numpys_spawned_seed_sequences_at_word_boundaries():
    """Row i of sample_prompts and of sample uses PCG64.laneStream(seed,
    first + i) = numpy's PCG64(SeedSequence(seed, spawn_key=(7, lane))),
    seeded without allocating (the entropy words on the stack: the seed's
    one or two words padded to four, 7, the lane's one or two words). With
    P = 1024 equally likely prompts (an exact CDF), prompt = floor(1024 u)
    of the stream's first uniform; with V + 1 = 1024 equal logits the first
    token is too. Seeds and lanes on each side of 2**32 and at the ends."""
    p = 1024
    task = rlhf.ArrayTask(1, 1, np.full(p, 1 / p), np.zeros((p, 2)))
    uniform = SequencePolicy.tabular(p - 1, 1, 1)
    seeds = [0, 1, 2**32 - 1, 2**32, 2**40 + 123, 2**64 - 1]
    lanes = [0, 1, 2**32 - 2, 2**32, 2**40, 2**63 - 5]     # each + 0..3: 2**32 - 1, 2**32 + 1, 2**63 - 2 too

    def first_uniform(seed, lane):
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(7, lane)))).random()

    for seed in seeds:
        for lane in lanes:
            expected = [int(first_uniform(seed, lane + i) * p) for i in range(4)]
            assert task.sample_prompts(4, seed=seed, first_row=lane).tolist() == expected, (seed, lane)
            drawn = uniform.sample(np.zeros(4, np.int32), seed=seed, first_lane=lane)
            assert drawn.tokens[:, 0].tolist() == expected, (seed, lane)
