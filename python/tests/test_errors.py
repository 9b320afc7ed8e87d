"""Bad input raises a clear exception and never kills the process.

Dangerous calls run in a subprocess first: the test asserts the subprocess
exits cleanly (a crash would show up as a signal exit code)."""

import numpy as np
import pytest

import swiftpg
from conftest import run_isolated


@pytest.mark.parametrize(
    "call, exc, words",
    [
        ("swiftpg.make_vec('NoSuchEnv-v0', 2)", swiftpg.UnknownEnvironmentError, "unknown environment id"),
        ("swiftpg.make_vec('CartPole-v1', 0)", swiftpg.InvalidArgumentError, "num_envs"),
        ("swiftpg.make_vec('CartPole-v1', -3)", swiftpg.InvalidArgumentError, "num_envs"),
        ("swiftpg.make_vec('CartPole-v1', 2**40)", swiftpg.InvalidArgumentError, "num_envs"),
        ("swiftpg.make_vec('CartPole-v1', 2.5)", TypeError, "num_envs"),
        ("swiftpg.make_vec(123, 2)", TypeError, "env_id"),
        ("swiftpg.make_vec('CartPole-v1', 2, seed=-1)", swiftpg.InvalidArgumentError, "seed"),
        ("swiftpg.make_vec('CartPole-v1', 2, seed=2**64)", swiftpg.InvalidArgumentError, "seed"),
        ("swiftpg.make_vec('CartPole-v1', 2, seed=1.5)", TypeError, "seed"),
    ],
)
def test_bad_construction(call, exc, words):
    with pytest.raises(exc, match=words):
        eval(call)


BAD_STEPS = [
    ("np.array([0, 2])", swiftpg.InvalidArgumentError, "outside the action space"),
    ("np.array([-1, 0])", swiftpg.InvalidArgumentError, "outside the action space"),
    ("np.array([0, 2**33])", swiftpg.InvalidArgumentError, "outside the action space"),
    ("np.array([0.0, 1.0])", TypeError, "integers"),
    ("np.array([np.nan, 1.0])", TypeError, "integers"),
    ("np.array([True, False])", TypeError, "integers"),
    ("np.array(['a', 'b'])", TypeError, "integers"),
    ("np.array([0, 1, 1])", swiftpg.InvalidArgumentError, "shape"),
    ("np.array([[0, 1]])", swiftpg.InvalidArgumentError, "shape"),
    ("np.array(1)", swiftpg.InvalidArgumentError, "shape"),
]


def step_is_refused(env_id, actions, exc, words):
    """Steps a fresh two-instance ``env_id`` with ``actions`` (an expression):
    it must raise ``exc`` matching ``words`` and change no state. Returns the
    environment."""
    env = swiftpg.make_vec(env_id, 2, seed=0)
    env.reset()
    before = env.get_state()
    with pytest.raises(exc, match=words):
        env.step(eval(actions))
    assert np.array_equal(env.get_state(), before)
    return env


@pytest.mark.parametrize("actions, exc, words", BAD_STEPS)
def test_bad_actions_raise_and_change_nothing(actions, exc, words):
    step_is_refused("CartPole-v1", actions, exc, words).close()


def test_bad_states():
    env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
    before = env.get_state()
    with pytest.raises(swiftpg.NotFiniteError):
        env.set_state([[0, 0, 0, 0], [0, np.nan, 0, 0]])
    with pytest.raises(swiftpg.NotFiniteError):
        env.set_state([[0, 0, 0, 0], [0, np.inf, 0, 0]])
    with pytest.raises(swiftpg.InvalidArgumentError, match="shape"):
        env.set_state(np.zeros((2, 3)))
    with pytest.raises(TypeError):
        env.set_state(np.zeros((2, 4), complex))
    assert np.array_equal(env.get_state(), before)
    env.close()


def test_bad_reset_arguments():
    env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
    with pytest.raises(swiftpg.InvalidArgumentError, match="options"):
        env.reset(options={"low": -0.1})
    with pytest.raises(TypeError):
        env.reset(seed="7")
    env.close()


def test_single_env_bad_actions():
    env = swiftpg.make("CartPole-v1", seed=0)
    env.reset()
    for bad in (2, -1, 0.5, True, None, "1", [1]):
        with pytest.raises((TypeError, ValueError)):
            env.step(bad)
    env.close()


def test_native_errors_carry_the_detailed_message():
    from swiftpg import _lib
    import ctypes

    h = ctypes.c_uint64()
    with pytest.raises(swiftpg.UnknownEnvironmentError, match="registered ids: CartPole-v1"):
        _lib.call("env_create", b"Bogus-v0", 1, 0, ctypes.byref(h))
    with pytest.raises(swiftpg.BadHandleError, match="destroyed or was never created"):
        _lib.call("env_destroy", (1 << 56) | (7 << 32) | 12345)
    with pytest.raises(swiftpg.BadHandleError, match="expected an environment handle"):
        _lib.call("env_destroy", (2 << 56) | (1 << 32))
    with pytest.raises(swiftpg.BadHandleError, match="never valid"):
        _lib.call("env_destroy", 0)


# The frame of every DANGEROUS_* script: ``L`` is the raw library, the
# script appends the status codes of calls that must fail to ``codes``.
PROLOGUE = r"""
import ctypes, os, tempfile, numpy as np, swiftpg
from swiftpg import _lib
L = _lib.lib
codes = []
"""
EPILOGUE = r"""
assert all(c < 0 for c in codes), [i for i, c in enumerate(codes) if c >= 0]
assert swiftpg.live_handles() == 0
print("survived", len(codes))
"""


def assert_survives(script):
    """Runs PROLOGUE + ``script`` + EPILOGUE in a fresh process: every
    collected call must have failed with a status code, the process must
    exit cleanly, and no native object may be left."""
    result = run_isolated(PROLOGUE + script + EPILOGUE)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("survived")


DANGEROUS_C_CALLS = r"""
h = ctypes.c_uint64()
obs = np.zeros((4, 4)); rew = np.zeros(4); te = np.zeros(4, np.uint8); tr = np.zeros(4, np.uint8)
acts = np.zeros(4, np.int32)
# NULL and garbage arguments straight into the C ABI
codes.append(L.swiftpg_env_create(None, 4, 0, ctypes.byref(h)))
codes.append(L.swiftpg_env_create(b"CartPole-v1", 4, 0, None))
codes.append(L.swiftpg_env_create(b"x" * 10000, 4, 0, ctypes.byref(h)))
codes.append(L.swiftpg_env_create(b"\xff\xfe", 4, 0, ctypes.byref(h)))
codes.append(L.swiftpg_env_create(b"CartPole-v1", 2**31 - 1, 0, ctypes.byref(h)))
for bad in (0, 1, 2**64 - 1, 0xDEADBEEF, (1 << 56) | 5, (3 << 56) | (1 << 32)):
    codes.append(L.swiftpg_env_step(bad, acts.ctypes.data, obs.ctypes.data, rew.ctypes.data,
                                    te.ctypes.data, tr.ctypes.data, None, None))
assert L.swiftpg_env_create(b"CartPole-v1", 4, 0, ctypes.byref(h)) == 0
e = h.value
codes.append(L.swiftpg_env_step(e, None, obs.ctypes.data, rew.ctypes.data, te.ctypes.data, tr.ctypes.data, None, None))
codes.append(L.swiftpg_env_step(e, acts.ctypes.data, None, rew.ctypes.data, te.ctypes.data, tr.ctypes.data, None, None))
codes.append(L.swiftpg_env_step(e, acts.ctypes.data + 1, obs.ctypes.data, rew.ctypes.data,
                                te.ctypes.data, tr.ctypes.data, None, None))
for a in (2**31 - 1, -2**31, 2, -1):
    acts[:] = 0; acts[3] = a
    codes.append(L.swiftpg_env_step(e, acts.ctypes.data, obs.ctypes.data, rew.ctypes.data,
                                    te.ctypes.data, tr.ctypes.data, None, None))
st = np.full((4, 4), np.nan)
codes.append(L.swiftpg_env_set_state(e, st.ctypes.data, None))
codes.append(L.swiftpg_env_reset(e, None, None))
codes.append(L.swiftpg_env_list(None, 100, None))
codes.append(L.swiftpg_live_handles(99, ctypes.byref(ctypes.c_int64())))
p = ctypes.c_uint64()
sizes = np.array([-5], np.int32)
codes.append(L.swiftpg_policy_create_softmax(4, 2, sizes.ctypes.data, 1, 0, 1.4, 0.01, 0, ctypes.byref(p)))
codes.append(L.swiftpg_policy_create_softmax(4, 2, None, 3, 0, 1.4, 0.01, 0, ctypes.byref(p)))
codes.append(L.swiftpg_policy_create_softmax(4, 2, None, 0, 7, 1.4, 0.01, 0, ctypes.byref(p)))
codes.append(L.swiftpg_policy_create_softmax(2**30, 2**30, None, 0, 0, 1.4, 0.01, 0, ctypes.byref(p)))
assert L.swiftpg_policy_create_softmax(4, 2, None, 0, 0, 1.4, 0.01, 0, ctypes.byref(p)) == 0
codes.append(L.swiftpg_policy_sample(p.value, obs.ctypes.data, -1, 0, acts.ctypes.data))
codes.append(L.swiftpg_policy_sample(p.value, obs.ctypes.data, 2**62, 0, acts.ctypes.data))
codes.append(L.swiftpg_policy_get_params(p.value, obs.ctypes.data, 3))
codes.append(L.swiftpg_policy_evaluate(p.value, e, 0, 1, 0, None, None))
codes.append(L.swiftpg_policy_evaluate(e, p.value, 3, 1, 0, None, None))
cfg = _lib.ReinforceConfigC(); L.swiftpg_reinforce_default_config(ctypes.byref(cfg))
cfg.baseline = 9
codes.append(L.swiftpg_reinforce_create(e, p.value, 0, ctypes.byref(cfg), ctypes.byref(h)))
cfg.baseline = 1; cfg.learning_rate = float("nan")
codes.append(L.swiftpg_reinforce_create(e, p.value, 0, ctypes.byref(cfg), ctypes.byref(h)))
codes.append(L.swiftpg_pg_iterate(e, None))
codes.append(L.swiftpg_reinforce_default_config(None))
cfg.learning_rate = 0.01; cfg.size = 0
codes.append(L.swiftpg_reinforce_create(e, p.value, 0, ctypes.byref(cfg), ctypes.byref(h)))
codes.append(L.swiftpg_pg_update(e, 1, 1, None, None, None, None, None, None, None, None))
assert L.swiftpg_env_destroy(e) == 0
assert L.swiftpg_env_destroy(e) == -3      # the handle is stale now
assert L.swiftpg_policy_destroy(p.value) == 0
"""


def test_dangerous_c_calls_do_not_crash():
    assert_survives(DANGEROUS_C_CALLS)


def test_dangerous_python_calls_do_not_crash():
    code = r"""
import numpy as np, swiftpg
env = swiftpg.make_vec("CartPole-v1", 3, seed=0)
errors = 0
for bad in (np.array([5, 0, 0]), np.array([0, 1]), np.array([np.nan, 0, 0]), "abc", None, object()):
    try:
        env.step(bad)
    except (TypeError, ValueError):
        errors += 1
env.close()
for call in (lambda: env.step([0, 0, 0]), lambda: env.reset(), env.get_state):
    try:
        call()
    except swiftpg.ClosedError:
        errors += 1
env.close()
print("errors", errors)
"""
    result = run_isolated(code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "errors 9"


DANGEROUS_ENVS = r"""
h = ctypes.c_uint64()
# Continuous environments: NaN / inf actions, misaligned pointers.
assert L.swiftpg_env_create(b"Pendulum-v1", 3, 0, ctypes.byref(h)) == 0
e = h.value
obs = np.zeros((3, 8)); rew = np.zeros(3); te = np.zeros(3, np.uint8); tr = np.zeros(3, np.uint8)
for bad in (np.nan, np.inf, -np.inf):
    acts = np.zeros((3, 1)); acts[1, 0] = bad
    codes.append(L.swiftpg_env_step(e, acts.ctypes.data, obs.ctypes.data, rew.ctypes.data, te.ctypes.data,
                                    tr.ctypes.data, None, None))
acts = np.zeros(4)
codes.append(L.swiftpg_env_step(e, acts.ctypes.data + 4, obs.ctypes.data, rew.ctypes.data, te.ctypes.data,
                                tr.ctypes.data, None, None))
# Parameters: unknown names, bad values, NULL / unterminated names.
codes.append(L.swiftpg_env_set_parameter(e, b"nope", 1.0))
codes.append(L.swiftpg_env_set_parameter(e, b"m", -1.0))
codes.append(L.swiftpg_env_set_parameter(e, b"m", float("nan")))
codes.append(L.swiftpg_env_set_parameter(e, None, 1.0))
codes.append(L.swiftpg_env_set_parameter(e, b"m" * 5000, 1.0))
codes.append(L.swiftpg_env_randomize_parameter(e, b"g", 5.0, 1.0))
codes.append(L.swiftpg_env_randomize_parameter(e, b"max_episode_steps", 1.0, 5.0))
codes.append(L.swiftpg_env_get_parameter(e, b"g", None))
codes.append(L.swiftpg_env_render_text(e, 0, None, 0, ctypes.byref(ctypes.c_size_t())))
codes.append(L.swiftpg_env_tabular_sizes(e, ctypes.byref(ctypes.c_int32()), ctypes.byref(ctypes.c_int32())))
assert L.swiftpg_env_destroy(e) == 0
# Tabular / gridworld / bandit constructors with bad data.
P = np.full((2, 2, 2), 0.5); R = np.zeros((2, 2)); mu = np.array([1.0, 0.0])
codes.append(L.swiftpg_env_create_tabular(1, 0, 2, 2, None, R.ctypes.data, 0, mu.ctypes.data, None, 0, 1.0, 0, ctypes.byref(h)))
codes.append(L.swiftpg_env_create_tabular(1, 0, -2, 2, P.ctypes.data, R.ctypes.data, 0, mu.ctypes.data, None, 0, 1.0, 0, ctypes.byref(h)))
codes.append(L.swiftpg_env_create_tabular(1, 0, 65536, 1024, P.ctypes.data, R.ctypes.data, 0, mu.ctypes.data, None, 0, 1.0, 0, ctypes.byref(h)))
codes.append(L.swiftpg_env_create_tabular(1, 0, 2, 2, P.ctypes.data, R.ctypes.data, 7, mu.ctypes.data, None, 0, 1.0, 0, ctypes.byref(h)))
codes.append(L.swiftpg_env_create_tabular(1, 0, 2, 2, P.ctypes.data, R.ctypes.data, 0, mu.ctypes.data, None, -1, 1.0, 0, ctypes.byref(h)))
codes.append(L.swiftpg_env_create_gridworld(1, 0, None, 0.1, 0, 1, -1, 0.9, 0, ctypes.byref(h)))
codes.append(L.swiftpg_env_create_gridworld(1, 0, b"S\xff", 0.1, 0, 1, -1, 0.9, 0, ctypes.byref(h)))
codes.append(L.swiftpg_env_create_gridworld(1, 0, b"S.G", 2.0, 0, 1, -1, 0.9, 0, ctypes.byref(h)))
codes.append(L.swiftpg_env_create_bandit(1, 0, 5, 2, mu.ctypes.data, None, 1, ctypes.byref(h)))
codes.append(L.swiftpg_env_create_bandit(1, 0, 0, 0, mu.ctypes.data, None, 1, ctypes.byref(h)))
codes.append(L.swiftpg_env_create_bandit(1, 0, 0, 2, None, None, 1, ctypes.byref(h)))
codes.append(L.swiftpg_env_create_bandit(1, 0, 0, 2, mu.ctypes.data, None, 0, ctypes.byref(h)))
# A valid gridworld: out-of-range instance and bad state indices.
assert L.swiftpg_env_create_gridworld(2, 0, b"S.G", 0.0, 0, 1, -1, 0.9, 0, ctypes.byref(h)) == 0
g = h.value
codes.append(L.swiftpg_env_render_text(g, 2, None, 0, ctypes.byref(ctypes.c_size_t())))
codes.append(L.swiftpg_env_render_text(g, -1, None, 0, ctypes.byref(ctypes.c_size_t())))
st = np.array([[1e300], [0.0]])
codes.append(L.swiftpg_env_set_state(g, st.ctypes.data, None))
st = np.array([[-1.0], [0.0]])
codes.append(L.swiftpg_env_set_state(g, st.ctypes.data, None))
ok = L.swiftpg_env_destroy(g)
assert ok == 0
"""


def test_dangerous_env_calls_do_not_crash():
    assert_survives(DANGEROUS_ENVS)


@pytest.mark.parametrize("actions, exc, words", [
    ("np.array([[np.nan], [0.0]])", swiftpg.NotFiniteError, "finite"),
    ("np.array([[np.inf], [0.0]])", swiftpg.NotFiniteError, "finite"),
    ("np.zeros((2, 2))", swiftpg.InvalidArgumentError, "shape"),
    ("np.zeros(3)", swiftpg.InvalidArgumentError, "shape"),
    ("np.array([['a'], ['b']])", TypeError, "real"),
    ("np.zeros((2, 1), complex)", TypeError, "real"),
])
def test_bad_continuous_actions(actions, exc, words):
    env = step_is_refused("Pendulum-v1", actions, exc, words)
    env.step(np.zeros(2))  # shape (N,) is accepted for one-dimensional actions
    env.close()


def test_out_of_range_continuous_actions_are_clipped_like_gymnasium():
    env = swiftpg.make_vec("Pendulum-v1", 2, seed=0)
    env.reset()
    env.set_state([[1.0, 0.5], [1.0, 0.5]])
    _, r, *_ = env.step(np.array([[2.0], [50.0]]))
    assert r[0] == r[1] and np.array_equal(env.get_state()[0], env.get_state()[1])
    env.close()


DANGEROUS_POLICIES = r"""
p = ctypes.c_uint64(); v = ctypes.c_uint64()
hidden = np.array([4], np.int32)
assert L.swiftpg_policy_create_gaussian(3, 2, hidden.ctypes.data, 1, 0, 0, 0.0, 1.4, 0.01, 0, ctypes.byref(p)) == 0
g = p.value
obs = np.zeros((4, 3)); out = np.zeros(64); acts = np.zeros((4, 2))
codes.append(L.swiftpg_policy_probabilities(g, obs.ctypes.data, 4, out.ctypes.data))     # continuous
codes.append(L.swiftpg_policy_kl(g, obs.ctypes.data, 4, None, 0, out.ctypes.data))
codes.append(L.swiftpg_policy_kl(g, obs.ctypes.data, 4, out.ctypes.data, 3, out.ctypes.data))
bad = np.full(64, np.nan)
codes.append(L.swiftpg_policy_kl(g, obs.ctypes.data, 4, bad.ctypes.data, 45, out.ctypes.data))
acts[1, 1] = np.inf
codes.append(L.swiftpg_policy_log_prob(g, obs.ctypes.data, acts.ctypes.data, 4, out.ctypes.data))
codes.append(L.swiftpg_policy_score_vectors(g, obs.ctypes.data, None, 4, out.ctypes.data))
codes.append(L.swiftpg_policy_score_vectors(g, obs.ctypes.data, acts.ctypes.data, 2**40, out.ctypes.data))
codes.append(L.swiftpg_policy_fisher_vector_product(g, obs.ctypes.data, 4, out.ctypes.data, 7, out.ctypes.data))
codes.append(L.swiftpg_policy_sample(g, obs.ctypes.data, 4, 0, None))
codes.append(L.swiftpg_policy_sample(g, obs.ctypes.data, 4, 0, out.ctypes.data + 4))
codes.append(L.swiftpg_policy_save(g, None))
codes.append(L.swiftpg_policy_save(g, b"/nonexistent-dir/p.ckpt"))
codes.append(L.swiftpg_policy_load(b"/nonexistent-dir/p.ckpt", 0, ctypes.byref(p)))
garbage = os.path.join(tempfile.mkdtemp(), "garbage.ckpt").encode()
open(garbage, "wb").write(os.urandom(300))
codes.append(L.swiftpg_policy_load(garbage, 0, ctypes.byref(p)))
codes.append(L.swiftpg_value_load(garbage, ctypes.byref(v)))
codes.append(L.swiftpg_policy_create_tabular(0, 2, 0, ctypes.byref(p)))
codes.append(L.swiftpg_policy_create_tabular(2**30, 2**30, 0, ctypes.byref(p)))
codes.append(L.swiftpg_policy_create_linear_features(-1, 3, 0, ctypes.byref(p)))
codes.append(L.swiftpg_policy_create_gaussian(3, 2, None, 2, 0, 0, 0.0, 1.4, 0.01, 0, ctypes.byref(p)))
codes.append(L.swiftpg_policy_create_gaussian(3, 2, None, 0, 0, 5, 0.0, 1.4, 0.01, 0, ctypes.byref(p)))
codes.append(L.swiftpg_policy_create_clamp(float("nan"), 0, ctypes.byref(p)))
codes.append(L.swiftpg_value_create_mlp(0, None, 0, 0, 0, ctypes.byref(v)))
codes.append(L.swiftpg_value_predict(g, obs.ctypes.data, 4, out.ctypes.data))   # a policy handle
assert L.swiftpg_policy_create_tabular(3, 2, 0, ctypes.byref(p)) == 0
t = p.value
half = np.full((2, 3), 0.5)
codes.append(L.swiftpg_policy_sample(t, half.ctypes.data, 2, 0, out.ctypes.data))   # not one-hot
ints = np.array([0, 5], np.int32); onehot = np.eye(3)[:2].copy()
codes.append(L.swiftpg_policy_log_prob(t, onehot.ctypes.data, ints.ctypes.data, 2, out.ctypes.data))
for h in (g, t):
    assert L.swiftpg_policy_destroy(h) == 0
"""


def test_dangerous_policy_calls_do_not_crash():
    assert_survives(DANGEROUS_POLICIES)
