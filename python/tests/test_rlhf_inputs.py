"""Input handling of the Python layer (a reviewer's report against rlhf.py
and _arrays.py), each fault as a kind across python/swiftpg:

1. misaligned numpy views (an odd byte offset of a buffer) are copied into
   aligned arrays before they reach C, by every converter;
2. an empty list is an empty array of the expected dtype (and shape), not
   a float64 array refused with DTypeError;
3. V = 1 spaces have N = L + 1 responses (counted exactly in integers);
4. ArrayTask.from_reward_fn checks every argument before calling the user's
   function;
5. from_reward_fn accepts only real numeric outputs;
6. native objects pickle or say clearly why not (no raw RLock error).
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import swiftpg
from swiftpg import _gamestate
from swiftpg import estimators, rlhf
from swiftpg._lib import NativeObject
from swiftpg.algorithms import PPO, PPOConfig
from swiftpg.optim import SGD, Adam
from swiftpg.rlhf import RewardModel, SequencePolicy


def misaligned(a) -> np.ndarray:
    """A C-contiguous copy of ``a`` at an odd byte offset (numpy's ALIGNED
    flag False), as np.frombuffer(buf, dtype, offset=1) gives."""
    a = np.asarray(a)
    buf = bytearray(a.nbytes + 1)
    out = np.frombuffer(buf, a.dtype, count=a.size, offset=1).reshape(a.shape)
    out[...] = a
    assert out.flags.c_contiguous and not out.flags.aligned
    return out


def packed_field(a) -> np.ndarray:
    """The field ``x`` of a packed structured array (``('tag', u1), ('x',
    a.dtype)``, no padding): misaligned and strided."""
    a = np.asarray(a)
    rec = np.zeros(a.shape, np.dtype([("tag", "u1"), ("x", a.dtype)], align=False))
    rec["x"] = a
    out = rec["x"]
    assert not out.flags.aligned
    return out


@pytest.fixture(scope="module")
def task():
    with rlhf.LengthBias() as t:
        yield t


@pytest.fixture(scope="module")
def batch(task):
    with SequencePolicy.for_task(task) as pol:
        r = pol.sample([0, 1, 2, 3, 0], seed=4)
    return r


# ----------------------------------------------------------------------------------- 1. alignment

def test_misaligned_integer_and_float_views_give_the_aligned_results(task, batch):
    pr, tk, ln = batch.prompts, batch.tokens, batch.lengths
    with SequencePolicy.for_task(task, "neural", hidden_sizes=(4,)) as pol, pol.copy() as ref:
        cases = [
            (lambda p, t, n: task.gold_rewards(p, t, n), (pr, tk, ln)),
            (lambda p, t, n: task.reward_features(p, t, n), (pr, tk, ln)),
            (lambda p, t, n: pol.log_probs(p, t, n, per_token=True), (pr, tk, ln)),
            (lambda p, t, n: pol.kl(ref, p, t, n).k3, (pr, tk, ln)),
            (lambda p: pol.sample(p, seed=1).tokens, (pr,)),
            (lambda lp, q: rlhf.exact_kl(lp, q), (pol.exact_log_probs(0), ref.exact_log_probs(1))),
            (lambda r: rlhf.compare_pairs(r, seed=2), (np.random.default_rng(0).normal(size=(6, 2)),)),
            (lambda rk: rlhf.ranking_pairs(rk), (np.array([[2, 0, 1], [0, 1, 2]], np.int32),)),
            (lambda s, rk: rlhf.ranking_loss(s, rk)[1],
             (np.random.default_rng(1).normal(size=(2, 3)), np.array([[2, 0, 1], [0, 1, 2]], np.int64))),
            (lambda w: pol.score_gradient(pr, tk, ln, token_weights=w), (np.ones(tk.shape),)),
            (lambda r, te, tr: estimators.discounted_returns(r, te, tr, 0.9),
             (np.arange(6.0).reshape(3, 2), np.zeros((3, 2), np.int32), np.zeros((3, 2), np.int64))),
        ]
        for f, args in cases:
            expected = f(*args)
            for view in (misaligned, packed_field):
                for i in range(len(args)):
                    moved = list(args)
                    moved[i] = view(args[i])
                    np.testing.assert_array_equal(f(*moved), expected)


def test_misaligned_features_and_rankings_fit_a_reward_model():
    rng = np.random.default_rng(3)
    c, r = rng.normal(size=(8, 3)), rng.normal(size=(8, 3))
    cand, rk = rng.normal(size=(4, 3, 3)), np.array([rng.permutation(3) for _ in range(4)], np.int32)
    results = []
    for make in (np.asarray, misaligned):
        with RewardModel(3) as rm:
            rm.fit(make(c), make(r), make(np.full(8, 0.1)), epochs=2, seed=1)
            rm.fit_rankings(make(cand), make(rk), epochs=2, seed=1)
            results.append((rm.predict(make(c)), rm.pair_accuracy(make(c), make(r)), rm.parameters))
            rm.parameters = make(rm.parameters)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_misaligned_policy_and_learner_arrays(batch):
    with swiftpg.policies.SoftmaxPolicy(4, 3, hidden_sizes=(5,), seed=1) as pol:
        obs = np.random.default_rng(0).normal(size=(5, 4))
        act = np.array([0, 2, 1, 1, 0], np.int32)
        expected = pol.log_prob(obs, act)
        np.testing.assert_array_equal(pol.log_prob(misaligned(obs), misaligned(act)), expected)
        np.testing.assert_array_equal(pol.log_prob(obs, packed_field(act.astype(np.int64))), expected)
    with PPO("CartPole-v1", num_envs=2, config=PPOConfig(steps_per_env=4, minibatch_size=8, epochs=1)) as learner:
        learner.set_minibatch_permutations(misaligned(np.arange(8, dtype=np.int64)[None]))
        learner.iterate()


@pytest.mark.parametrize("optimiser", [lambda: Adam(4, learning_rate=0.1), lambda: SGD(4, momentum=0.5)])
def test_optimisers_step_misaligned_parameters_in_place(optimiser):
    g = np.array([1.0, -2.0, 0.5, 3.0])
    a, b = optimiser(), optimiser()
    p = np.array([0.1, 0.2, 0.3, 0.4])
    q = misaligned(p)
    for _ in range(3):
        a.step(p, g)
        b.step(q, misaligned(g))
    np.testing.assert_array_equal(q, p)
    assert not q.flags.aligned                                  # the caller's own array was updated
    with pytest.raises(swiftpg.NotFiniteError):                 # a failed step leaves it unchanged
        b.step(q, [np.nan, 0, 0, 0])
    np.testing.assert_array_equal(q, p)


# ---------------------------------------------------------------------------------- 2. empty lists

def test_empty_lists_are_empty_arrays_of_the_expected_dtype(task):
    with SequencePolicy.for_task(task) as pol:
        r = pol.sample([])
        assert len(r) == 0 and r.prompts.dtype == np.int32 and r.tokens.shape == (0, task.max_length)
        assert task.gold_rewards([], [], []).shape == (0,)
        assert task.label_rewards((), (), ()).shape == (0,)
        assert task.reward_features([], [], []).shape == (0, task.num_features)
        assert pol.log_probs([], [], [], per_token=True).shape == (0, task.max_length)
        assert pol.entropies([], [], []).shape == (0, task.max_length)
        assert pol.kl(pol, [], [], []).exact.shape == (0, task.max_length)
        assert rlhf.compare_pairs([]).shape == (0,)
        # Then the usual size checks: N >= 1 where it is required.
        with pytest.raises(swiftpg.InvalidArgumentError, match="demos is empty"):
            rlhf.SFT(pol).fit(rlhf.Responses([], [], []))
        with pytest.raises(swiftpg.InvalidArgumentError, match="comparison set is empty"):
            with pol.copy() as ref:
                rlhf.DPO(pol, ref).fit([], ([], []), ([], []))
        with pytest.raises(swiftpg.InvalidArgumentError, match="candidates per row, got 0"):
            rlhf.ranking_pairs([])
        with pytest.raises(swiftpg.InvalidArgumentError, match=r"scores must be \[N >= 1"):
            rlhf.ranking_loss([], [])
        # An ndarray keeps its dtype: float ids are still refused.
        with pytest.raises(swiftpg.DTypeError, match="float64"):
            pol.sample(np.array([]))


def test_empty_lists_elsewhere_are_not_dtype_errors():
    with swiftpg.policies.SoftmaxPolicy(4, 3) as pol:
        assert pol.log_prob(np.zeros((0, 4)), []).shape == (0,)
    with swiftpg.make_vec("CartPole-v1", 2) as env:
        with pytest.raises(swiftpg.InvalidArgumentError, match=r"actions must have shape \(2,\)"):
            env.step([])
    with pytest.raises(swiftpg.InvalidArgumentError, match="terminal must be 2 booleans"):
        swiftpg.envs.tabular(np.full((2, 1, 2), 0.5), np.zeros((2, 1)), [1.0, 0.0], terminal=[])
    with pytest.raises(swiftpg.InvalidArgumentError, match="steps"):      # the library's own size check
        estimators.optimal_baseline(np.zeros((0, 3)), [], [])
    with PPO("CartPole-v1", num_envs=2, config=PPOConfig(steps_per_env=4, minibatch_size=8, epochs=1)) as learner:
        learner.set_minibatch_permutations(np.arange(5)[None])              # of another batch size
        learner.set_minibatch_permutations([])                              # clears them
        learner.iterate()


# ------------------------------------------------------------------------------------------- 3. V = 1

def test_vocabulary_of_one_has_length_plus_one_responses():
    tokens, lengths = rlhf.canonical_responses(1, 60)
    assert tokens.shape == (61, 60)
    np.testing.assert_array_equal(lengths, list(range(1, 61)) + [60])
    assert (tokens[np.arange(60)[None, :] < lengths[:, None] - 1] == 0).all()
    assert rlhf.canonical_responses(1, 4096)[0].shape == (4097, 4096)
    assert rlhf.canonical_responses(1, 60, limit=61)[0].shape[0] == 61
    with pytest.raises(swiftpg.InvalidArgumentError, match="more than 60 responses"):
        rlhf.canonical_responses(1, 60, limit=60)
    # Exact counts at the limit: 2**20 - 1 responses for (2, 19), 2**21 - 1 for (2, 20).
    assert rlhf.canonical_responses(2, 19)[1].shape == (2**20 - 1,)
    with pytest.raises(swiftpg.InvalidArgumentError, match="more than 1048576"):
        rlhf.canonical_responses(2, 20)

    table = np.arange(101.0)[None]
    with rlhf.ArrayTask(1, 100, [1.0], table) as t:
        assert t.num_responses == 101
        np.testing.assert_array_equal(t.reward_table(0), table[0])
        tokens, lengths = rlhf.canonical_responses(1, 100)        # the library's canonical order
        np.testing.assert_array_equal(t.gold_rewards(np.zeros(101, np.int32), tokens, lengths), table[0])
    with rlhf.ArrayTask.from_reward_fn(1, 100, [1.0], lambda p, tk, n: n.astype(float)) as t:
        assert t.num_responses == 101 and t.reward_table(0)[-1] == 100
    with pytest.raises(swiftpg.InvalidArgumentError, match="at most 1048576 responses"):
        rlhf.ArrayTask(2, 20, [1.0], np.zeros((1, 1)))


# --------------------------------------------------------------------------- 4. checks before calls

def counting():
    calls = []

    def gold(prompts, tokens, lengths):
        calls.append(len(prompts))
        return np.zeros(len(prompts))
    return gold, calls


@pytest.mark.parametrize("args, error, match", [
    ((3, 12, np.full(65536, 1 / 65536)), swiftpg.InvalidArgumentError,
     r"reward tables \[P=65536, N=797161\] would need 52242743296 values"),
    ((3, 12, [0.5, 0.4]), swiftpg.InvalidArgumentError, "prompt_probs must sum to 1, got 0.9"),
    ((3, 12, [1.5, -0.5]), swiftpg.InvalidArgumentError, r"prompt_probs\[1\] is -0.5"),
    ((3, 12, np.ones(65537) / 65537), swiftpg.InvalidArgumentError, "prompt_probs must have 1 to 65536 entries"),
])
def test_from_reward_fn_checks_sizes_and_prompt_probs_before_calling(args, error, match):
    gold, calls = counting()
    with pytest.raises(error, match=match):
        rlhf.ArrayTask.from_reward_fn(*args, gold)
    assert calls == []


def test_from_reward_fn_refuses_tables_over_the_element_limit_before_calling(monkeypatch):
    monkeypatch.setattr(swiftpg._arrays, "MAX_ELEMENTS", 100)       # N = 15 responses of (V=2, L=3)
    gold, calls = counting()
    with rlhf.ArrayTask.from_reward_fn(2, 3, np.full(6, 1 / 6), gold) as t:      # 90 values
        assert t.num_prompts == 6 and calls == [15] * 6
    calls.clear()
    with pytest.raises(swiftpg.InvalidArgumentError, match=r"\[P=7, N=15\] would need 105 values"):
        rlhf.ArrayTask.from_reward_fn(2, 3, np.full(7, 1 / 7), gold)
    assert calls == []


def test_from_reward_fn_checks_every_other_argument_before_calling():
    gold, calls = counting()
    for kwargs, error, match in [
        (dict(prompt_features=np.zeros((2, 1))), swiftpg.InvalidArgumentError,
         r"prompt_features must have shape \(1, \?\)"),
        (dict(prompt_features=[[np.inf]]), swiftpg.NotFiniteError, "prompt_features"),
        (dict(batch_size=0), swiftpg.InvalidArgumentError, "batch_size"),
        (dict(label_fn=3), swiftpg.DTypeError, "label_fn must be callable, got int"),
        (dict(gold_fn=None), swiftpg.DTypeError, "gold_fn must be callable, got NoneType"),
        (dict(prompt_probs=[np.nan, 1.0]), swiftpg.NotFiniteError, r"prompt_probs\[0\] is nan"),
        (dict(prompt_probs=[]), swiftpg.InvalidArgumentError, "prompt_probs must have 1 to 65536 entries, got 0"),
        (dict(vocab_size=4, max_length=10), swiftpg.InvalidArgumentError, "at most 1048576 responses"),
        (dict(vocab_size=0), swiftpg.InvalidArgumentError, "vocab_size"),
        (dict(max_length=4097), swiftpg.InvalidArgumentError, "max_length"),
    ]:
        args = dict(vocab_size=2, max_length=3, prompt_probs=[1.0], gold_fn=gold) | kwargs
        with pytest.raises(error, match=match):
            rlhf.ArrayTask.from_reward_fn(**args)
    assert calls == []


# ------------------------------------------------------------------------------ 5. real outputs only

@pytest.mark.parametrize("output, dtype", [
    (lambda n: np.ones(n) + 1j, "complex128"),
    (lambda n: np.ones(n, complex), "complex128"),
    (lambda n: ["1.5"] * n, "<U3"),
    (lambda n: np.ones(n, bool), "bool"),
    (lambda n: [True] * n, "bool"),
    (lambda n: [None] * n, "object"),
    (lambda n: np.ones(n, np.longdouble), "float128"),
])
@pytest.mark.parametrize("which", ["gold_fn", "label_fn"])
def test_from_reward_fn_refuses_outputs_that_are_not_real_numbers(output, dtype, which):
    if np.dtype(np.longdouble).itemsize <= 8 and dtype == "float128":
        pytest.skip("long double is float64 here")
    bad = lambda p, t, n: output(len(p))
    good = lambda p, t, n: np.zeros(len(p))
    kwargs = dict(gold_fn=bad) if which == "gold_fn" else dict(gold_fn=good, label_fn=bad)
    with pytest.raises(swiftpg.DTypeError, match=rf"{which} must return real numbers .* for prompt 0, "
                                                 rf"responses 0..6; got dtype {dtype}"):
        rlhf.ArrayTask.from_reward_fn(2, 2, [1.0], **kwargs)


def test_from_reward_fn_accepts_integer_and_float32_outputs():
    for out in (lambda n: list(range(n)), lambda n: np.arange(n, dtype=np.uint8),
                lambda n: np.arange(n, dtype=np.float32)):
        with rlhf.ArrayTask.from_reward_fn(2, 2, [1.0], lambda p, t, n: out(len(p))) as t:
            np.testing.assert_array_equal(t.reward_table(0), np.arange(7.0))
    with pytest.raises(swiftpg.NotFiniteError, match="gold_fn returned a non-finite reward \\(inf\\) for prompt 0, "
                                                     "response 3"):
        rlhf.ArrayTask.from_reward_fn(2, 2, [1.0], lambda p, t, n: np.where(np.arange(len(p)) == 3, np.inf, 0))


# ------------------------------------------------------------------------------------------ 6. pickle

def test_reward_model_pickling_and_copying_round_trip():
    """ABI 11: a reward model pickles and copies through its bundle
    (standardisation included; see test_rlhf_checkpoints.py); a closed one
    raises ClosedError, never the lock's TypeError."""
    with RewardModel(3, hidden_sizes=(4,)) as rm:
        rm.fit(np.eye(3), -np.eye(3), epochs=1, standardize=True)
        x = np.arange(6.0).reshape(2, 3)
        for attempt in (lambda m: pickle.loads(pickle.dumps(m)), copy.deepcopy, copy.copy):
            with attempt(rm) as other:
                assert other.standardized and np.array_equal(other.predict(x), rm.predict(x))
    with pytest.raises(swiftpg.ClosedError):
        pickle.dumps(rm)


def native_classes():
    def walk(c):
        for s in c.__subclasses__():
            yield s
            yield from walk(s)
    return sorted(set(walk(NativeObject)), key=lambda c: (c.__module__, c.__name__))


def test_no_native_object_falls_through_to_the_lock_error():
    """Every NativeObject class pickles by its own __reduce__ or raises a
    TypeError naming the class, never "cannot pickle '_thread.RLock'"."""
    classes = native_classes()
    assert {"RewardModel", "SequencePolicy", "SFT", "PPO", "SoftmaxPolicy"} <= {c.__name__ for c in classes}
    for cls in classes:
        obj = cls.__new__(cls)
        if not issubclass(cls, _gamestate.StateCore):      # games.State holds its handle in its C core
            obj._adopt(0, "swiftpg_reward_model_destroy")  # handle 0: never a live object
            obj._finalizer.detach()                        # (closed: nothing to destroy)
        try:
            pickle.dumps(obj)
        except TypeError as exc:
            assert "RLock" not in str(exc) and cls.__name__ in str(exc), (cls, exc)
        except (swiftpg.SwiftPGError, AttributeError):     # a class's own __reduce__ on this empty object
            pass
