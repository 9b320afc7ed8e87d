"""ABI 11 additions of swiftpg.rlhf (issue 15, part 1): checkpoints and
pickles of sequence policies and reward models, the KL-regularised reward,
next-token distributions, and a task's reference policy.

Round trips must be bit-identical (parameters, log-probabilities,
predictions); damaged, truncated and other-kind files and bytes must raise
BadFormatError and create nothing; the KL functions are checked against
numpy on small cases."""

from __future__ import annotations

import copy
import os
import pickle

import numpy as np
import pytest

import swiftpg
from swiftpg import _bundle, _lib, rlhf
from swiftpg._arrays import DTypeError
from swiftpg.rlhf import RewardModel, SequencePolicy


def tabular(seed=0) -> SequencePolicy:
    pol = SequencePolicy.tabular(3, 3, 2)
    pol.parameters = np.random.default_rng(seed).normal(size=pol.num_params)
    return pol


def neural(seed=0, precision="float64") -> SequencePolicy:
    feats = np.random.default_rng(seed + 1).normal(size=(2, 3))
    return SequencePolicy.neural(3, 3, 2, feats, context_size=2, hidden_sizes=(5,), activation="relu",
                                 precision=precision, seed=seed, output_gain=1.0)


def standardised_model(seed=0) -> tuple[RewardModel, np.ndarray]:
    g = np.random.default_rng(seed)
    x = g.normal(3, 5, size=(16, 3))
    rm = RewardModel(3, hidden_sizes=(4,), seed=seed)
    rm.fit(x[:8], x[8:], epochs=2, minibatch_size=4, standardize=True, seed=seed)
    assert rm.standardized
    return rm, x


def responses(pol: SequencePolicy, n=6, seed=0):
    return pol.sample(np.arange(n, dtype=np.int32) % pol.num_prompts, seed=seed)


def all_log_probs(pol: SequencePolicy) -> np.ndarray:
    return np.concatenate([pol.exact_log_probs(x) for x in range(pol.num_prompts)])


def bits(a) -> np.ndarray:
    return np.asarray(a, np.float64).view(np.uint64)


# ----------------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("make", [tabular, neural, lambda: neural(3, "float32")],
                         ids=["tabular", "neural", "neural-float32"])
def test_sequence_policy_save_load_and_pickle_are_bit_identical(tmp_path, make):
    pol = make()
    path = tmp_path / "policy.ckpt"
    pol.save(path)
    r = responses(pol)
    for other in (SequencePolicy.load(path), SequencePolicy.load(str(path)), pickle.loads(pickle.dumps(pol)),
                  copy.deepcopy(pol)):
        with other:
            assert (other.family, other.vocab_size, other.max_length, other.num_prompts, other.num_params) == \
                (pol.family, pol.vocab_size, pol.max_length, pol.num_prompts, pol.num_params)
            assert np.array_equal(bits(other.parameters), bits(pol.parameters))
            assert np.array_equal(bits(all_log_probs(other)), bits(all_log_probs(pol)))
            assert np.array_equal(bits(other.log_probs(r.prompts, r.tokens, r.lengths, per_token=True)),
                                  bits(r.log_probs))
    pol.close()


def test_sequence_policy_pickles_of_abi_10_still_load():
    """ABI 10 pickled a SequencePolicy as its construction arguments and
    parameters (``rlhf._restore_policy``); such pickles load."""
    pol = neural(4)

    class Abi10Pickle:                  # what SequencePolicy.__reduce__ returned before ABI 11
        def __reduce__(self):
            spec = dict(vocab_size=3, max_length=3, num_prompts=2,
                        prompt_features=np.random.default_rng(5).normal(size=(2, 3)), context_size=2,
                        hidden_sizes=(5,), activation="relu", precision="float64", seed=4, hidden_gain=2 ** 0.5,
                        output_gain=1.0)
            return rlhf._restore_policy, ("neural", spec, pol.parameters)

    data = pickle.dumps(Abi10Pickle())
    assert b"_restore_policy" in data
    with pickle.loads(data) as old, pol:
        assert isinstance(old, SequencePolicy)
        assert np.array_equal(bits(all_log_probs(old)), bits(all_log_probs(pol)))
    with SequencePolicy.tabular(2, 2, 1) as t:
        theta = np.arange(t.num_params, dtype=float) / 10
        with pickle.loads(pickle.dumps(_Abi10Tabular(theta))) as old:
            assert old.family == "tabular" and np.array_equal(old.parameters, theta)


class _Abi10Tabular:
    def __init__(self, theta):
        self.theta = theta

    def __reduce__(self):
        return rlhf._restore_policy, ("tabular", dict(vocab_size=2, max_length=2, num_prompts=1), self.theta)


def test_reward_model_save_load_and_pickle_predict_bit_for_bit(tmp_path):
    rm, x = standardised_model()
    linear = RewardModel(2)
    linear.parameters = [0.5, -1.5, 0.25]
    path = tmp_path / "rm.ckpt"
    for model, features in ((rm, x), (linear, x[:, :2])):
        model.save(path)
        for other in (RewardModel.load(path), pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
            with other:
                assert (other.num_features, other.hidden_sizes, other.activation, other.num_params,
                        other.standardized) == (model.num_features, model.hidden_sizes, model.activation,
                                                model.num_params, model.standardized)
                assert np.array_equal(bits(other.parameters), bits(model.parameters))
                assert np.array_equal(bits(other.predict(features)), bits(model.predict(features)))
    # The standardisation is part of the bytes: without it the predictions differ.
    bare = RewardModel(3, hidden_sizes=(4,))
    bare.parameters = rm.parameters
    assert not np.allclose(bare.predict(x), rm.predict(x))
    for m in (rm, linear, bare):
        m.close()


def test_large_tables_round_trip():
    """The specifications carry data tables (a neural policy's prompt
    features, a reward model's standardisation): 100 prompts × 5 features,
    200 standardised features."""
    feats = np.random.default_rng(0).normal(size=(100, 5))
    with SequencePolicy.neural(2, 2, 100, feats, hidden_sizes=(3,), output_gain=1.0) as pol, \
            pickle.loads(pickle.dumps(pol)) as other:
        assert np.array_equal(bits(all_log_probs(other)), bits(all_log_probs(pol)))
    x = np.random.default_rng(1).normal(size=(4, 200))
    with RewardModel(200) as rm:
        rm.fit(x[:2], x[2:], epochs=1, standardize=True)
        with pickle.loads(pickle.dumps(rm)) as other:
            assert other.standardized and np.array_equal(bits(other.predict(x)), bits(rm.predict(x)))


def test_save_writes_atomically_and_reports_io_errors(tmp_path):
    with tabular() as pol, RewardModel(2) as rm:
        with pytest.raises(swiftpg.CheckpointIOError):
            pol.save(tmp_path)                                  # a directory
        with pytest.raises(swiftpg.CheckpointIOError):
            rm.save(tmp_path / "no" / "such" / "dir")
        with pytest.raises(swiftpg.CheckpointIOError):
            SequencePolicy.load(tmp_path / "missing")
        with pytest.raises(swiftpg.CheckpointIOError):
            RewardModel.load(tmp_path / "missing")
        with pytest.raises(swiftpg.InvalidArgumentError):
            pol.save("a\0b")
        with pytest.raises(DTypeError):
            rm.save(3)
        pol.save(tmp_path / "p")
        rm.save(tmp_path / "p")                                 # replaces the file
        with RewardModel.load(tmp_path / "p"):
            pass
        assert sorted(os.listdir(tmp_path)) == ["p"]            # no temporary file left


# ----------------------------------------------------------------------------------- damage

def saved(tmp_path) -> dict[str, bytes]:
    with neural() as pol, standardised_model()[0] as rm:
        pol.save(tmp_path / "seq")
        rm.save(tmp_path / "rm")
    from swiftpg import policies
    with policies.SoftmaxPolicy(3, 2, hidden_sizes=(4,)) as p:
        p.save(tmp_path / "policy")                             # format version 1
        data = {"policy-v1": (tmp_path / "policy").read_bytes(), "policy-bundle": pickle.dumps(p)}
    data["seq"] = (tmp_path / "seq").read_bytes()
    data["rm"] = (tmp_path / "rm").read_bytes()
    return data


LOADERS = {"seq": SequencePolicy, "rm": RewardModel}


def expect_refused(cls, data: bytes, tmp_path, name="x"):
    """``data`` as a file and as bytes: BadFormatError, nothing created."""
    before = swiftpg.live_handles()
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(swiftpg.BadFormatError):
        cls.load(path)
    with pytest.raises(swiftpg.BadFormatError):
        cls._from_bytes(data)
    assert swiftpg.live_handles() == before


@pytest.mark.parametrize("kind", ["seq", "rm"])
def test_truncated_flipped_and_other_kind_files_are_bad_format(tmp_path, kind):
    files = saved(tmp_path)
    cls, data = LOADERS[kind], files[kind]
    for n in (0, 7, 8, 12, 16, 20, len(data) // 2, len(data) - 9, len(data) - 1):
        expect_refused(cls, data[:n], tmp_path)
    expect_refused(cls, data + b"\0", tmp_path)
    for bit in range(0, 8 * len(data), 37):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        expect_refused(cls, bytes(flipped), tmp_path)
    other = "rm" if kind == "seq" else "seq"
    for name in (other, "policy-v1"):
        expect_refused(cls, files[name], tmp_path)
    with pytest.raises(swiftpg.BadFormatError, match="holds a reward model, not a sequence policy"):
        SequencePolicy._from_bytes(files["rm"])
    with pytest.raises(swiftpg.BadFormatError, match="format version 1"):
        RewardModel._from_bytes(files["policy-v1"])


@pytest.mark.parametrize("kind", ["seq", "rm"])
def test_every_field_is_validated(tmp_path, kind):
    """Each field removed, retyped, or (numbers) set to extreme values under
    a valid checksum: refused with BadFormatError or a valid object — and a
    removed or retyped field is always refused."""
    cls, data = LOADERS[kind], saved(tmp_path)[kind]
    bundle_kind, record = _bundle.decode(data)
    assert bundle_kind == (5 if kind == "seq" else 6)
    fields = list(_bundle.paths(record))
    assert {p[-1] for p, _ in fields} >= {"version", "family", "specification", "parameters", "precision"}
    for path, tag in fields:
        r = copy.deepcopy(record)
        _bundle.set_field(r, path, None, None)
        expect_refused(cls, _bundle.encode(bundle_kind, r), tmp_path)
        r = copy.deepcopy(record)
        _bundle.set_field(r, path, _bundle.TEXT if tag != _bundle.TEXT else _bundle.INT, "x" if tag != _bundle.TEXT else 1)
        expect_refused(cls, _bundle.encode(bundle_kind, r), tmp_path)
        if tag == _bundle.INT:
            for v in (-1, 0, 3, 2**31, -(2**63)):
                r = copy.deepcopy(record)
                _bundle.set_field(r, path, tag, v)
                try:
                    cls._from_bytes(_bundle.encode(bundle_kind, r)).close()
                except swiftpg.BadFormatError:
                    pass
        if tag == _bundle.DOUBLES:
            tag_, values = _bundle.get(record, path)
            for i in range(0, len(values), max(1, len(values) // 7)):
                for v in (float("nan"), float("inf"), -1.0, 0.5, 2.0**40):
                    r = copy.deepcopy(record)
                    _bundle.set_field(r, path, tag, values[:i] + [v] + values[i + 1:])
                    try:
                        cls._from_bytes(_bundle.encode(bundle_kind, r)).close()
                    except swiftpg.BadFormatError:
                        pass
    # An unknown extra section or field, another section version, another kind.
    r = copy.deepcopy(record)
    r["extra"] = (_bundle.INT, 1)
    expect_refused(cls, _bundle.encode(bundle_kind, r), tmp_path)
    section = next(iter(record))
    r = copy.deepcopy(record)
    _bundle.set_field(r, (section, "version"), _bundle.INT, 2)
    with pytest.raises(swiftpg.BadFormatError, match="version 2; this library reads version 1"):
        cls._from_bytes(_bundle.encode(bundle_kind, r))
    expect_refused(cls, _bundle.encode(11 - bundle_kind, record), tmp_path)
    expect_refused(cls, _bundle.encode(1, record), tmp_path)


def test_sizes_are_checked_before_allocating():
    """A specification declaring a huge model next to a few stored
    parameters is refused on the count, at once."""
    with tabular() as pol:
        kind, record = _bundle.decode(pol.__reduce__()[1][0])
    _bundle.set_field(record, ("sequence_policy", "specification"), _bundle.DOUBLES, [64.0, 6.0, 1.0])
    with pytest.raises(swiftpg.BadFormatError, match="exceeds the limit"):
        SequencePolicy._from_bytes(_bundle.encode(kind, record))
    with RewardModel(2, hidden_sizes=(3,)) as rm:
        kind, record = _bundle.decode(rm.__reduce__()[1][0])
    spec = _bundle.get(record, ("reward_model", "specification"))[1]
    spec[3] = 65536.0
    _bundle.set_field(record, ("reward_model", "specification"), _bundle.DOUBLES, spec)
    with pytest.raises(swiftpg.BadFormatError, match="parameters for a reward model that has"):
        RewardModel._from_bytes(_bundle.encode(kind, record))


def test_unpickling_damaged_bytes_raises_bad_format():
    with neural() as pol, RewardModel(2) as rm:
        for obj in (pol, rm):
            restore, (data,) = obj.__reduce__()
            with pytest.raises(swiftpg.BadFormatError):
                restore(data[:-3])
            with pytest.raises(DTypeError):
                restore(data.decode("latin-1"))


# ----------------------------------------------------------------------------------- KL reward

def numpy_penalties(lp, lq, lengths, estimator):
    log_r = lq - lp
    k = {"k1": -log_r, "k2": 0.5 * log_r**2, "k3": np.expm1(log_r) - log_r}[estimator]
    mask = np.arange(lp.shape[1])[None, :] < lengths[:, None]
    return np.where(mask, k, 0.0)


@pytest.mark.parametrize("estimator", ["k1", "k2", "k3"])
def test_kl_penalties_against_numpy(estimator):
    g = np.random.default_rng(1)
    lengths = np.array([1, 4, 2], np.int32)
    lp, lq = -g.random((3, 4)) * 3, -g.random((3, 4)) * 3
    mask = np.arange(4)[None, :] < lengths[:, None]
    lp[~mask], lq[~mask] = np.nan, np.inf                       # ignored beyond each length
    got = rlhf.kl_penalties(lp, lq, lengths, estimator=estimator)
    want = numpy_penalties(np.where(mask, lp, 0), np.where(mask, lq, 0), lengths, estimator)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    assert got.dtype == np.float64 and got.shape == (3, 4) and np.all(got[~mask] == 0)
    if estimator != "k1":
        assert np.all(got >= 0)
    # Golden: log π = −1, log π_ref = −2 (r = 1/e).
    one = rlhf.kl_penalties([[-1.0]], [[-2.0]], [1], estimator)[0, 0]
    assert one == pytest.approx({"k1": 1.0, "k2": 0.5, "k3": np.exp(-1)}[estimator], abs=1e-15)


def test_kl_penalties_default_is_k3_and_estimates_the_exact_kl():
    """Tokens sampled from π: the k3 (default) and k1 penalties summed over a
    response average to the exact KL(π ‖ π_ref) of the response
    distribution, within 5 standard errors."""
    with tabular(1) as pol, tabular(2) as ref:
        n = 4000
        s = pol.sample(np.zeros(n, np.int32), seed=3)
        lq = ref.log_probs(s.prompts, s.tokens, s.lengths, per_token=True)
        exact = rlhf.exact_kl(pol.exact_log_probs(0), ref.exact_log_probs(0))
        k3 = rlhf.kl_penalties(s.log_probs, lq, s.lengths)
        assert np.array_equal(k3, rlhf.kl_penalties(s.log_probs, lq, s.lengths, "k3"))
        for est in (k3, rlhf.kl_penalties(s.log_probs, lq, s.lengths, "k1")):
            total = est.sum(1)
            assert abs(total.mean() - exact) <= 5 * total.std() / np.sqrt(n)


def test_kl_regularized_rewards_against_numpy():
    g = np.random.default_rng(2)
    lengths = np.array([3, 1, 5, 2], np.int32)
    kl = g.normal(size=(4, 5))
    rewards = g.normal(size=4)
    mask = np.arange(5)[None, :] < lengths[:, None]
    kl[~mask] = np.nan
    beta = 0.3
    seq = rlhf.kl_regularized_rewards(rewards, kl, lengths, beta)
    want = rewards - beta * np.where(mask, kl, 0).sum(1)
    np.testing.assert_allclose(seq, want, rtol=1e-14, atol=1e-15)
    tok = rlhf.kl_regularized_rewards(rewards, kl, lengths, beta, per_token=True)
    want_tok = np.where(mask, -beta * np.where(mask, kl, 0), 0)
    want_tok[np.arange(4), lengths - 1] += rewards
    np.testing.assert_allclose(tok, want_tok, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(tok.sum(1), seq, rtol=1e-13, atol=1e-14)
    assert seq.shape == (4,) and tok.shape == (4, 5) and np.all(tok[~mask] == 0)


def test_kl_functions_refuse_bad_input():
    lp = np.full((2, 3), -1.0)
    n = np.array([1, 3], np.int32)
    with pytest.raises(swiftpg.InvalidArgumentError):
        rlhf.kl_penalties(lp, lp, n, estimator="k4")
    with pytest.raises(swiftpg.InvalidArgumentError, match="lengths"):
        rlhf.kl_penalties(lp, lp, [0, 3])
    with pytest.raises(swiftpg.InvalidArgumentError, match="lengths"):
        rlhf.kl_penalties(lp, lp, [1, 4])
    bad = lp.copy()
    bad[1, 2] = np.nan
    with pytest.raises(swiftpg.NotFiniteError, match=r"log_probs\[1, 2\]"):
        rlhf.kl_penalties(bad, lp, n)
    with pytest.raises(swiftpg.InvalidArgumentError):
        rlhf.kl_penalties(lp, lp[:, :2], n)
    with pytest.raises(DTypeError):
        rlhf.kl_penalties(lp, lp, n.astype(float))
    with pytest.raises(swiftpg.NumericalError):
        rlhf.kl_penalties([[-1000.0]], [[0.0]], [1], "k3")     # π_ref/π = e^1000 overflows
    for beta in (-1.0, np.inf, np.nan):
        with pytest.raises(swiftpg.InvalidArgumentError):
            rlhf.kl_regularized_rewards([0.0, 0.0], lp, n, beta)
    assert np.array_equal(rlhf.kl_regularized_rewards([0.5, -1.0], lp, n, 0.0), [0.5, -1.0])   # β = 0: no KL term
    with pytest.raises(swiftpg.NotFiniteError, match=r"rewards\[1\]"):
        rlhf.kl_regularized_rewards([0.0, np.inf], lp, n, 0.1)
    with pytest.raises(swiftpg.InvalidArgumentError):
        rlhf.kl_regularized_rewards([0.0], lp, n, 0.1)
    assert rlhf.kl_penalties(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0, np.int32)).shape == (0, 3)


# ----------------------------------------------------------------------------------- next tokens

@pytest.mark.parametrize("make", [tabular, neural], ids=["tabular", "neural"])
def test_next_token_log_probs_match_teacher_forcing(make):
    with make() as pol:
        r = responses(pol, 8, seed=5)
        tf = pol.log_probs(r.prompts, r.tokens, r.lengths, per_token=True)
        rows, prompts, positions, cells = [], [], [], []
        for b in range(8):
            for t in range(r.lengths[b]):
                row = r.tokens[b].copy()
                row[t:] = -7                                    # ignored at and after the position
                rows.append(row)
                prompts.append(r.prompts[b])
                positions.append(t)
                cells.append((b, t))
        out = pol.next_token_log_probs(prompts, np.array(rows), positions)
        assert out.shape == (len(cells), pol.vocab_size + 1) and out.dtype == np.float64
        np.testing.assert_allclose(np.exp(out).sum(1), 1, rtol=1e-12)
        for i, (b, t) in enumerate(cells):
            assert out[i, r.tokens[b, t]] == pytest.approx(tf[b, t], abs=1e-12)
        # Position 0 of prompt x: the first-token marginal of the exact distribution.
        first = pol.next_token_log_probs([1], np.zeros((1, 3), np.int32), [0])[0]
        tokens, lengths = rlhf.canonical_responses(3, 3)
        p = np.exp(pol.exact_log_probs(1))
        marginal = np.array([p[tokens[:, 0] == a].sum() for a in range(4)])
        np.testing.assert_allclose(np.exp(first), marginal, rtol=1e-10)


def test_next_token_log_probs_refuse_bad_contexts():
    with tabular() as pol:
        y = np.zeros((1, 3), np.int32)
        with pytest.raises(swiftpg.InvalidArgumentError, match="positions"):
            pol.next_token_log_probs([0], y, [3])
        with pytest.raises(swiftpg.InvalidArgumentError, match="prompts"):
            pol.next_token_log_probs([2], y, [0])
        with pytest.raises(swiftpg.InvalidArgumentError, match=r"tokens\[0, 1\]"):
            pol.next_token_log_probs([0], [[0, 3, 0]], [2])     # EOS inside the prefix
        with pytest.raises(swiftpg.InvalidArgumentError):
            pol.next_token_log_probs([0, 1], y, [0, 0])
        assert pol.next_token_log_probs([], np.zeros((0, 3), np.int32), []).shape == (0, 4)


# ----------------------------------------------------------------------------------- reference

def test_didactic_bandit_reference_policy_is_its_formula():
    with rlhf.DidacticBandit(9, "high_probability") as task:
        with task.reference_policy() as ref:
            assert (ref.family, ref.vocab_size, ref.max_length, ref.num_prompts) == ("tabular", 9, 1, 1)
            a = np.arange(10)
            logits = -0.5 * ((a - round(0.7 * 9)) / (0.15 * 9)) ** 2
            np.testing.assert_allclose(ref.parameters, logits, rtol=0, atol=1e-12)
            want = logits - np.log(np.exp(logits).sum())
            np.testing.assert_allclose(ref.next_token_log_probs([0], [[0]], [0])[0], want, atol=1e-12)
            # Canonical order: the empty response (arm EOS) first, then arms 0 … V−1.
            np.testing.assert_allclose(ref.exact_log_probs(0), np.r_[want[9], want[:9]], atol=1e-12)
            ref.parameters = np.zeros(10)
        with task.reference_policy() as fresh:                  # a new policy each call
            np.testing.assert_allclose(fresh.parameters, logits, atol=1e-12)


@pytest.mark.parametrize("make", [rlhf.Summarise, rlhf.LengthBias,
                                  lambda: rlhf.ArrayTask(1, 1, [1.0], [[0.0, 1.0]])])
def test_tasks_without_a_reference_say_so(make):
    with make() as task:
        before = swiftpg.live_handles(_lib.KIND_SEQ_POLICY)
        with pytest.raises(swiftpg.NotSupportedError, match="defines no reference policy"):
            task.reference_policy()
        assert swiftpg.live_handles(_lib.KIND_SEQ_POLICY) == before
