"""swiftpg.rlhf, part 2 (issue 15): reward models, preference losses,
best-of-n, rank correlations, SFT and DPO through the C ABI. Derivatives are
checked against central differences, DPO against its closed-form population
optimum (Rafailov et al. 2023 §4), the reward model against the labeller's
accuracy ceiling."""

from __future__ import annotations

import math

import numpy as np
import pytest

import swiftpg
from swiftpg import _lib, rlhf
from swiftpg.rlhf import DPO, SFT, RewardModel, SequencePolicy

RNG = np.random.default_rng(0)


def central_differences(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        out.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return out


# ------------------------------------------------------------------------------------------- losses

def test_bradley_terry_gradient_matches_central_differences():
    c, r, m = RNG.normal(size=5), RNG.normal(size=5), RNG.random(5)
    stats, dc, dr = rlhf.bradley_terry_loss(c, r, margins=m, centring=0.3)
    loss = lambda cc, rr: rlhf.bradley_terry_loss(cc, rr, margins=m, centring=0.3)[0]["loss"]
    assert np.allclose(dc, central_differences(lambda x: loss(x, r), c), atol=1e-7)
    assert np.allclose(dr, central_differences(lambda x: loss(c, x), r), atol=1e-7)
    x = c - r - m
    expected = np.mean(np.log1p(np.exp(-x)) + 0.3 * (c + r) ** 2)
    assert abs(stats["loss"] - expected) < 1e-12
    assert stats["accuracy"] == np.mean(np.where(c > r, 1.0, np.where(c == r, 0.5, 0.0)))


def test_ranking_loss_gradient_and_k2_equals_bradley_terry():
    s = RNG.normal(size=(3, 4))
    rk = np.stack([RNG.permutation(4) for _ in range(3)]).astype(np.int32)
    stats, ds = rlhf.ranking_loss(s, rk)
    assert np.allclose(ds, central_differences(lambda x: rlhf.ranking_loss(x, rk)[0]["loss"], s), atol=1e-7)
    pair = RNG.normal(size=(6, 2))
    ranked = rlhf.ranking_loss(pair, np.tile([0, 1], (6, 1)))[0]
    assert abs(ranked["loss"] - rlhf.bradley_terry_loss(pair[:, 0], pair[:, 1])[0]["loss"]) < 1e-12


@pytest.mark.parametrize("kind", ["dpo", "ipo"])
def test_direct_loss_gradients_match_central_differences(kind):
    pc, pr, rc, rr = (RNG.normal(size=4) - 3 for _ in range(4))
    w = RNG.random(4) + 0.1
    if kind == "dpo":
        fn = lambda a, b: rlhf.dpo_loss(a, b, rc, rr, beta=0.7, label_smoothing=0.1, weights=w)
    else:
        fn = lambda a, b: rlhf.ipo_loss(a, b, rc, rr, tau=0.7, weights=w)
    stats, dc, dr = fn(pc, pr)
    assert np.allclose(dc, central_differences(lambda x: fn(x, pr)[0]["loss"], pc), atol=1e-7)
    assert np.allclose(dr, central_differences(lambda x: fn(pc, x)[0]["loss"], pr), atol=1e-7)
    h = (pc - rc) - (pr - rr)
    if kind == "dpo":
        per = 0.9 * np.log1p(np.exp(-0.7 * h)) + 0.1 * np.log1p(np.exp(0.7 * h))
    else:
        per = (h - 1 / 1.4) ** 2
    assert abs(stats["loss"] - np.sum(w * per) / np.sum(w)) < 1e-12
    assert abs(stats["reward_margin"] - np.sum(w * 0.7 * h) / np.sum(w)) < 1e-12


# ---------------------------------------------------------------------------------------- best-of-n

def test_best_of_n_distribution_and_kl():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    distinct = np.array([0.5, 2.0, -1.0, 1.0])
    assert np.allclose(rlhf.best_of_n_distribution(p, distinct, 1), p, atol=1e-15)
    for n in (2, 5, 64):
        q = rlhf.best_of_n_distribution(p, distinct, n)
        assert abs(q.sum() - 1) < 1e-12 and (q >= 0).all()
        # Continuous-like scores: P(best is y) = F(s_y)^n - F^-(s_y)^n.
        order = np.argsort(distinct)
        cdf = np.cumsum(p[order])
        expected = np.empty(4)
        expected[order] = cdf**n - np.r_[0, cdf[:-1]] ** n
        assert np.allclose(q, expected, atol=1e-12)
        kl, bound = rlhf.best_of_n_kl(p, distinct, n), rlhf.best_of_n_kl_bound(n)
        assert kl <= bound + 1e-12
        assert abs(bound - (math.log(n) - (n - 1) / n)) < 1e-12
        tied = rlhf.best_of_n_kl(p, np.array([1.0, 1.0, 0.0, 0.0]), n)
        assert tied < bound - 1e-3                             # a strict gap under ties
    assert rlhf.best_of_n_kl(p, distinct, 1) == 0.0
    picks = rlhf.best_of_n_select([[1.0, 3.0, 2.0], [0.0, 5.0, 5.0]] * 200, seed=3)
    assert (picks[0::2] == 1).all() and set(picks[1::2]) == {1, 2}
    assert np.array_equal(picks[10:], rlhf.best_of_n_select([[1.0, 3.0, 2.0], [0.0, 5.0, 5.0]] * 195, seed=3,
                                                             first_row=10))


def test_rank_correlations():
    x, y = RNG.normal(size=30), RNG.normal(size=30)
    assert abs(rlhf.spearman(x, x**3) - 1) < 1e-12 and abs(rlhf.kendall_tau_b(x, -x) + 1) < 1e-12
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    assert abs(rlhf.spearman(x, y) - np.corrcoef(rx, ry)[0, 1]) < 1e-12
    a, b = [1, 2, 2, 3], [1, 3, 2, 2]              # C = 3, D = 1, one tie each: 2 / 5
    assert abs(rlhf.kendall_tau_b(a, b) - 0.4) < 1e-12
    assert math.isnan(rlhf.spearman([1, 1, 1], [1, 2, 3]))


# ------------------------------------------------------------------------------------- reward model

def summarise_comparisons(task, count, seed):
    """Pairs of responses of a noisy expert, the labeller's choices, and
    the features of the chosen and rejected responses."""
    a = task.expert_demonstrations(count, noise=0.6, seed=seed)
    b = task.expert_demonstrations(count, noise=0.6, seed=seed + 1)
    b = rlhf.Responses(a.prompts, b.tokens, b.lengths)  # the same prompts
    rewards = np.stack([task.label_rewards(a.prompts, a.tokens, a.lengths),
                        task.label_rewards(b.prompts, b.tokens, b.lengths)], 1)
    preferred = rlhf.compare_pairs(rewards, scale=1.0, seed=seed + 2)
    fa = task.reward_features(a.prompts, a.tokens, a.lengths)
    fb = task.reward_features(b.prompts, b.tokens, b.lengths)
    first = (preferred == 0)[:, None]
    return np.where(first, fa, fb), np.where(first, fb, fa), rewards


def test_reward_model_reaches_the_accuracy_ceiling():
    with rlhf.Summarise() as task:
        chosen, rejected, _ = summarise_comparisons(task, 4000, seed=10)
        held_c, held_r, held_rewards = summarise_comparisons(task, 4000, seed=20)
    with RewardModel(task.num_features) as rm:
        history = rm.fit(chosen, rejected, epochs=15, learning_rate=0.05, standardize=True, seed=1)
        assert rm.standardized and history["loss"].shape == (15,) and history["loss"][-1] < history["loss"][0]
        ceiling = rlhf.accuracy_ceiling(held_rewards)
        accuracy = rm.pair_accuracy(held_c, held_r)
        assert accuracy >= ceiling - 0.03, (accuracy, ceiling)
        assert np.allclose(rm.predict(held_c[:3]), rm.predict(held_c)[:3])
        # Rankings of k = 3 with the same data layout fit as well.
        cand = np.stack([held_c[:600], held_r[:600], held_c[600:1200]], 1)
        rm2 = RewardModel(task.num_features, hidden_sizes=(8,), seed=2)
        out = rm2.fit_rankings(cand, np.tile([0, 1, 2], (600, 1)), epochs=3)
        assert out["accuracy"].shape == (3,)
        rm2.close()


# ----------------------------------------------------------------------------------------- trainers

def bandit(logits) -> SequencePolicy:
    pol = SequencePolicy.tabular(len(logits) - 1, 1, 1)
    pol.parameters = np.asarray(logits, float)
    return pol


def arm_probabilities(pol) -> np.ndarray:
    """π(arm) in token order (canonical order puts EOS, arm V, first)."""
    p = np.exp(pol.exact_log_probs(0))
    return np.r_[p[1:], p[0]]


def test_dpo_population_optimum_on_a_bandit():
    ref_logits, rewards, beta = [0.5, -0.3, 1.0, 0.0], np.array([1.0, 0.2, -0.5, 0.7]), 0.5
    ref = bandit(ref_logits)
    pol = ref.copy()
    k = len(ref_logits)
    pairs = [(i, j) for i in range(k) for j in range(k) if i != j]
    chosen = np.array([[i] for i, _ in pairs], np.int32)
    rejected = np.array([[j] for _, j in pairs], np.int32)
    ones = np.ones(len(pairs), np.int32)
    weights = np.array([1 / 16 / (1 + math.exp(-(rewards[i] - rewards[j]))) for i, j in pairs])
    dpo = DPO(pol, ref, beta=beta, minibatch_size=len(pairs), learning_rate=0.02)
    history = dpo.fit(np.zeros(len(pairs), np.int32), (chosen, ones), (rejected, ones), weights=weights,
                      epochs=3000)
    assert len(history) == 3000 and history[-1]["loss"] < history[0]["loss"]
    target = arm_probabilities(ref) * np.exp(rewards / beta)
    assert np.abs(arm_probabilities(pol) - target / target.sum()).max() < 1e-3
    final = dpo.evaluate(np.zeros(len(pairs), np.int32), (chosen, ones), (rejected, ones), weights=weights)
    assert abs(final["loss"] - history[-1]["loss"]) < 1e-4
    assert np.array_equal(ref.parameters, ref_logits)        # the reference never moves
    for o in (dpo, pol, ref):
        o.close()


def test_sft_lowers_held_out_loss():
    with rlhf.Summarise() as task:
        pol = SequencePolicy.for_task(task)
        demos = task.expert_demonstrations(400, noise=0.1, seed=1)
        held = task.expert_demonstrations(200, noise=0.1, seed=1, first_row=400)
        with SFT(pol, epochs=3, minibatch_size=128, learning_rate=0.05) as sft:
            before = sft.evaluate(held)["loss"]
            history = sft.fit(demos, held_out=held)
            assert history["held_out_loss"].shape == (3,)
            assert history["held_out_loss"][-1] < before - 0.1
            assert abs(sft.evaluate(held)["loss"] - history["held_out_loss"][-1]) < 1e-12
            more = sft.fit(demos, epochs=1)                   # continues the same optimiser
            assert set(more) == {"loss", "accuracy"} and more["loss"][0] < history["loss"][0]
        pol.close()


# ------------------------------------------------------------------------------------ bad input, state

def test_bad_input_raises_and_changes_nothing():
    IA = swiftpg.InvalidArgumentError
    with pytest.raises(IA, match="beta"):
        rlhf.dpo_loss([0.0], [0.0], [0.0], [0.0], beta=0.0)
    with pytest.raises(IA, match="tau"):
        rlhf.ipo_loss([0.0], [0.0], [0.0], [0.0], tau=-1.0)
    with pytest.raises(IA):
        rlhf.ranking_loss([[1.0]], [[0]])                         # k < 2
    with pytest.raises(IA, match="twice"):
        rlhf.ranking_loss([[1.0, 2.0, 3.0]], [[0, 0, 1]])          # a repeated candidate
    with pytest.raises(IA, match="empty"):
        rlhf.bradley_terry_loss([], [])
    with pytest.raises(swiftpg.NotFiniteError):
        rlhf.bradley_terry_loss([np.nan], [0.0])
    with pytest.raises(IA):
        rlhf.best_of_n_distribution([0.5, 0.6], [0.0, 1.0], 2)   # not a distribution
    with pytest.raises(IA):
        rlhf.best_of_n_kl_bound(0)
    rm = RewardModel(2)
    theta = rm.parameters
    with pytest.raises(IA, match="twice"):
        rm.fit_rankings(np.zeros((2, 3, 2)), [[0, 1, 2], [1, 1, 0]])
    with pytest.raises(IA):
        rm.fit_rankings(np.zeros((2, 1, 2)), [[0], [0]])            # k < 2
    with pytest.raises(IA):
        rm.fit(np.zeros((0, 2)), np.zeros((0, 2)))
    with pytest.raises(swiftpg.NotFiniteError):
        rm.fit(np.ones((2, 2)), [[0.0, np.inf], [0.0, 0.0]])
    assert np.array_equal(rm.parameters, theta) and not rm.standardized
    rm.close()
    with pytest.raises(swiftpg.ClosedError):
        rm.predict([[0.0, 0.0]])

    pol = SequencePolicy.tabular(3, 2, 2)
    pol.parameters = RNG.normal(size=pol.num_params)
    theta = pol.parameters
    with pytest.raises(IA, match="reference"):
        DPO(pol, pol)
    with pytest.raises(IA, match="beta"):
        DPO(pol, pol.copy(), beta=0.0)
    ref = pol.copy()
    dpo, sft = DPO(pol, ref), SFT(pol)
    good = (np.array([0, 1], np.int32), np.array([[0, 3], [1, 2]], np.int32), np.array([2, 2], np.int32))
    for tokens, lengths, prompts, what in (([[0, 7], [1, 2]], [2, 2], [0, 1], "token"),
                                           ([[0, 3], [1, 2]], [3, 2], [0, 1], "length"),
                                           ([[0, 3], [1, 2]], [2, 2], [0, 5], "prompt")):
        bad = rlhf.Responses(np.array(prompts, np.int32), np.array(tokens, np.int32), np.array(lengths, np.int32))
        with pytest.raises(IA):
            sft.fit(bad)
        with pytest.raises(IA):
            dpo.fit(bad.prompts, bad, rlhf.Responses(*good))
    with pytest.raises(IA, match="empty"):
        dpo.fit(np.zeros(0, np.int32), (np.zeros((0, 2), np.int32), np.zeros(0, np.int32)),
                (np.zeros((0, 2), np.int32), np.zeros(0, np.int32)))
    with pytest.raises(IA):
        dpo.fit(good[0], rlhf.Responses(*good), rlhf.Responses(*good), weights=[0.0, 0.0])
    assert np.array_equal(pol.parameters, theta)
    assert sft.evaluate(rlhf.Responses(*good))["loss"] > 0
    # The trainers hold their policies: closing the Python objects leaves them working.
    pol.close()
    ref.close()
    assert sft.evaluate(rlhf.Responses(*good))["loss"] > 0
    dpo.close()
    sft.close()
    with pytest.raises(swiftpg.ClosedError):
        sft.evaluate(rlhf.Responses(*good))


def test_review_findings_mismatched_prompts_pickling_messages():
    """DPO refuses Responses answering other prompts (and reads their own
    prompts when prompts=None); trainers refuse pickling with a TypeError
    that says what to pickle; index messages show plain integers."""
    pol = SequencePolicy.tabular(3, 2, 4)
    pol.parameters = RNG.normal(size=pol.num_params)
    ref = pol.copy()
    prompts = np.array([0, 1, 2, 3], np.int32)
    a, b = ref.sample(prompts, seed=1), ref.sample(prompts, seed=2)
    with DPO(pol, ref) as dpo:
        theta = pol.parameters
        with pytest.raises(swiftpg.InvalidArgumentError, match="chosen.prompts differ"):
            dpo.fit((prompts + 1) % 4, a, b)
        with pytest.raises(swiftpg.InvalidArgumentError, match="rejected.prompts differ"):
            dpo.evaluate(prompts, a, rlhf.Responses(np.roll(prompts, 1), b.tokens, b.lengths))
        assert np.array_equal(pol.parameters, theta)
        assert dpo.evaluate(None, a, b) == dpo.evaluate(prompts, a, b)
        import pickle
        with pytest.raises(TypeError, match="pickle its policy"):
            pickle.dumps(dpo)
    with pytest.raises(swiftpg.NotFiniteError, match=r"rewards\[0, 1\] is nan"):
        rlhf.compare_pairs(np.array([[1.0, np.nan]]))
    # A neural policy for an L = 1 task: the default context fits the length.
    with rlhf.DidacticBandit(vocab_size=5) as task, SequencePolicy.for_task(task, "neural") as neural:
        assert neural.max_length == 1
    # Exact figures need whole distributions: a subset is refused, never a silent number.
    with pytest.raises(swiftpg.InvalidArgumentError, match="sum to"):
        rlhf.exact_kl(np.log([0.1, 0.1]), np.log([0.5, 0.5]))
    with pytest.raises(swiftpg.InvalidArgumentError, match="sum to"):
        rlhf.exact_win_rate(np.log([0.5, 0.6]), np.log([0.5, 0.5]), [1.0, 2.0])
    pol.close()
    ref.close()


def test_live_handle_kinds():
    before = swiftpg.live_handles(_lib.KIND_REWARD_MODEL), swiftpg.live_handles(_lib.KIND_PREF_TRAINER)
    with RewardModel(3) as rm, SequencePolicy.tabular(2, 2, 1) as pol, SFT(pol) as sft:
        assert swiftpg.live_handles(_lib.KIND_REWARD_MODEL) == before[0] + 1
        assert swiftpg.live_handles(_lib.KIND_PREF_TRAINER) == before[1] + 1
        assert rm.num_params == 4 and sft.policy is pol
    assert (swiftpg.live_handles(_lib.KIND_REWARD_MODEL), swiftpg.live_handles(_lib.KIND_PREF_TRAINER)) == before
