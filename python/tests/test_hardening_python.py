"""Issue 11, the Python side of each kind of fault:

* kind 2 — every array argument is checked against the object's sizes
  before C sees it (wrong shapes name the argument, the expected and the
  actual shape);
* kind 3 — one Python object used from several threads: the second caller
  gets BusyError, never another caller's data (a deterministic interleaving
  through the test-only ``ObjectLock.hook``, and a bounded hammer run in a
  subprocess);
* kind 9 — integers are checked against the width of the C field or
  argument they go to, and strings/paths with an embedded NUL are refused;
* kind 14 — lists of Gymnasium envs work wherever Gymnasium envs do, and
  wrong-typed arguments raise only swiftpg's error types;
* Python-side unbounded allocations are refused before allocating.
"""

import dataclasses
import json
import os
import threading

import gymnasium
import numpy as np
import pytest

import swiftpg
from conftest import run_isolated
from swiftpg import algorithms as A
from swiftpg import estimators as E
from swiftpg import lab
from swiftpg import policies as P
from swiftpg import randomization as R
from swiftpg._arrays import MAX_ELEMENTS, DTypeError
from swiftpg._lib import BusyError, InvalidArgumentError, SwiftPGError


def _closing(*objects):
    for o in objects:
        o.close()


# ----------------------------------------------------------------------------------- kind 2: shapes

def _a2c_for(policy, obs_size):
    env = gymnasium.make("Pendulum-v1") if not policy.discrete else gymnasium.make("CartPole-v1")
    learner = A.for_gymnasium("a2c", [env, env], policy=policy,
                              value=P.ValueFunction(obs_size, hidden_sizes=(4,)))
    return learner


def test_update_refuses_actions_shaped_for_another_policy():
    """The issue's input: a Gaussian policy with 64 action dimensions given
    actions [T, N, 1] used to make C read past the buffer."""
    policy = P.GaussianPolicy(3, 64, hidden_sizes=())
    value = P.ValueFunction(3, hidden_sizes=())
    learner = A.A2C.__new__(A.A2C)
    learner._init_native(None, policy, A.A2CConfig(), value, ())
    T, N = 16, 2
    z = np.zeros((T, N))
    with pytest.raises(InvalidArgumentError, match=r"actions must have shape \(16, 2, 64\), got \(16, 2, 1\)"):
        learner.update(np.zeros((T, N, 3)), np.zeros((T, N, 1)), z, z, z, np.zeros((N, 3)))
    assert learner.history == []
    _closing(learner, policy, value)


UPDATE_CASES = [
    # (argument index, bad value, words)
    (0, np.zeros((5, 2, 3)), r"observations must have shape \(\?, \?, 4\)"),
    (0, np.zeros((5, 8)), r"observations must have shape"),
    (0, np.zeros((0, 2, 4)), r"at least one step"),
    (0, np.array([[["a"] * 4] * 2] * 5), r"observations must be a real-valued"),
    (1, np.zeros((5, 3), np.int32), r"actions must have shape \(5, 2\)"),
    (1, np.full((5, 2), 2, np.int32), r"outside the action space"),
    (1, np.zeros((5, 2)), r"actions must be an integer array"),
    (2, np.zeros((5, 3)), r"rewards must have shape \(5, 2\)"),
    (2, np.full((5, 2), np.nan), r"rewards.*finite"),
    (3, np.zeros((2, 5)), r"terminated must have shape \(5, 2\)"),
    (3, np.full((5, 2), 2), r"terminated must contain only 0 and 1"),
    (4, np.full((5, 2), "x"), r"truncated must be booleans"),
    (5, np.zeros((2, 3)), r"next_observations must have shape \(2, 4\)"),
    (5, np.zeros((4, 2)), r"next_observations must have shape \(2, 4\), got \(4, 2\)"),
    (6, np.zeros((5, 2, 3)), r"final_observations must have shape \(5, 2, 4\)"),
]


@pytest.mark.parametrize("index, bad, words", UPDATE_CASES)
def test_update_checks_every_array_against_the_policy(index, bad, words):
    policy = P.SoftmaxPolicy(4, 2, hidden_sizes=(4,))
    learner = _a2c_for(policy, 4)
    T, N = 5, 2
    args = [np.zeros((T, N, 4)), np.zeros((T, N), np.int32), np.zeros((T, N)), np.zeros((T, N), bool),
            np.zeros((T, N), bool), np.zeros((N, 4)), np.zeros((T, N, 4))]
    before = policy.params
    args[index] = bad
    with pytest.raises(SwiftPGError, match=words):
        learner.update(*args)
    assert np.array_equal(policy.params, before)
    _closing(learner, learner.value, policy)


def test_exact_solve_refuses_the_transposed_observations():
    """[S, d] observations given as [d, S] used to be reshaped to [S, d]
    silently (a wrong objective)."""
    env = swiftpg.make_vec("ShortCorridor-v0", 1)
    policy = P.SoftmaxPolicy(2, 2, hidden_sizes=(), head_gain=1.0, seed=3)
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 2.0]])
    good = swiftpg.exact.solve(env, policy, X)["objective"]
    with pytest.raises(InvalidArgumentError, match=r"observations must have shape \(4, 2\).*got \(2, 4\)"):
        swiftpg.exact.solve(env, policy, X.T)
    with pytest.raises(InvalidArgumentError, match=r"got \(8,\)"):
        swiftpg.exact.solve(env, policy, X.ravel())
    # The one-hot default needs a policy that observes S values.
    with pytest.raises(InvalidArgumentError, match="one-hot"):
        swiftpg.exact.solve(env, policy)
    assert swiftpg.exact.solve(env, policy, X)["objective"] == good
    _closing(env, policy)


def test_exact_solve_accepts_linear_features_per_action_only_in_their_order():
    env = swiftpg.make_vec("ShortCorridor-v0", 1)
    policy = P.LinearSoftmaxPolicy(feature_size=3, num_actions=2)
    policy.params = [0.3, -0.2, 0.1]
    phi = np.random.default_rng(0).normal(size=(4, 2, 3))
    flat = swiftpg.exact.solve(env, policy, phi.reshape(4, 6))["objective"]
    assert swiftpg.exact.solve(env, policy, phi)["objective"] == flat
    with pytest.raises(InvalidArgumentError, match=r"\(4, 6\) or \(4, 2, 3\)"):
        swiftpg.exact.solve(env, policy, phi.transpose(0, 2, 1))
    _closing(env, policy)


def test_policy_methods_check_shapes_against_the_policy():
    g = P.GaussianPolicy(2, 3, hidden_sizes=())
    obs = np.zeros((4, 2))
    with pytest.raises(InvalidArgumentError, match=r"actions must have shape \(4, 3\), got \(4, 1\)"):
        g.log_prob(obs, np.zeros((4, 1)))
    with pytest.raises(InvalidArgumentError, match=r"observations must have shape \(batch, 2\)"):
        g.sample(np.zeros((4, 3)))
    with pytest.raises(InvalidArgumentError, match="low of shape"):
        g.sample_clipped(obs, np.zeros(2), np.ones(3))
    with pytest.raises(InvalidArgumentError, match="larger shape"):
        g.sample_clipped(obs, np.zeros((5, 4, 3)), 1.0)
    with pytest.raises(InvalidArgumentError, match=r"weights must have shape \(4,\)"):
        g.score_gradient(obs, np.zeros((4, 3)), np.ones(5))
    with pytest.raises(InvalidArgumentError, match="old_params"):
        g.kl(obs, np.zeros(g.num_params + 1))
    lin = P.LinearSoftmaxPolicy(feature_size=3, num_actions=2)
    with pytest.raises(InvalidArgumentError, match=r"features must have shape \(batch, 2, 3\)"):
        lin.probabilities(np.zeros((5, 3, 2)))
    assert lin.probabilities(np.zeros((5, 2, 3))).shape == (5, 2)
    v = P.ValueFunction(2, hidden_sizes=())
    with pytest.raises(InvalidArgumentError, match=r"weights must have shape \(4,\)"):
        v.gradient(obs, np.ones(3))
    _closing(g, lin, v)


def test_gymnasium_entry_points_check_the_policy_against_the_env():
    cart = gymnasium.make("CartPole-v1")
    pend = gymnasium.make("Pendulum-v1")
    small = P.SoftmaxPolicy(4, 3, hidden_sizes=())
    with pytest.raises(InvalidArgumentError, match="3 discrete actions"):
        A.GymnasiumCollector([cart, gymnasium.make("CartPole-v1")], small)
    with pytest.raises(InvalidArgumentError, match="does not fit"):
        A.for_gymnasium("ppo", cart, policy=small)
    with pytest.raises(InvalidArgumentError, match="spaces"):
        A.GymnasiumCollector([cart, pend], small)
    _closing(small)


# ------------------------------------------------------------------------------------- kind 3: threads

def _run_beside(fn):
    """Runs ``fn`` on another thread to completion; returns what it returned
    or the exception it raised."""
    out = []

    def target():
        try:
            out.append(fn())
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            out.append(exc)

    t = threading.Thread(target=target)
    t.start()
    t.join(30)
    assert not t.is_alive()
    return out[0]


def test_a_second_thread_cannot_overwrite_the_actions_of_a_step_in_progress():
    """The issue's race, made deterministic: while thread 1 is inside
    ``step`` (its actions written to the shared buffer, the native call not
    yet made), thread 2 steps with other valid actions and with out-of-range
    int32 actions (which skip Python's range check). Both get BusyError, and
    thread 1's results are those of its own actions (arm a pays a)."""
    env = swiftpg.envs.bandit([0.0, 1.0, 2.0, 3.0], stds=[0.0] * 4, num_envs=8, seed=0)
    env.reset(seed=0)
    intruders = []

    def hook(where):
        if where == "step":
            for actions in (np.full(8, 3, np.int32), np.full(8, 7, np.int32), np.full(8, 1, np.int64)):
                intruders.append(_run_beside(lambda a=actions: env.step(a)))
            intruders.append(_run_beside(lambda: env.reset(seed=1)))
            intruders.append(_run_beside(lambda: env.get_elapsed_steps()))

    env._busy.hook = hook
    obs, rewards, *_ = env.step(np.full(8, 2, np.int32))
    env._busy.hook = None
    assert [type(e) for e in intruders] == [BusyError] * 5, intruders
    assert "another thread is using this" in str(intruders[0])
    np.testing.assert_array_equal(rewards, 2.0)
    # The env works normally afterwards, from any thread.
    np.testing.assert_array_equal(_run_beside(lambda: env.step(np.full(8, 3, np.int32)))[1], 3.0)
    env.close()


def _bandit_single():
    return swiftpg.envs.single(swiftpg.envs.bandit([0.0, 1.0, 2.0], stds=[0.0] * 3, horizon=5, seed=0))


def test_gymnasium_single_env_shares_the_batch_lock():
    env = _bandit_single()
    env.reset(seed=0)
    intruders = []

    def hook(where):
        if where == "step":
            intruders.append(_run_beside(lambda: env.step(0)))
            intruders.append(_run_beside(lambda: env.reset()))
            intruders.append(_run_beside(lambda: env._vec.step(np.zeros(1, np.int32))))

    env._vec._busy.hook = hook
    result = env.step(2)
    env._vec._busy.hook = None
    assert [type(e) for e in intruders] == [BusyError] * 3, intruders
    assert result[1] == 2.0 and env.elapsed_steps == 1
    env.close()


def _busy_cases():
    """(name, factory) — the factory returns (objects to close, the lock,
    the first call, its expected result check, intruding calls)."""
    def policy():
        p = P.SoftmaxPolicy(4, 3, hidden_sizes=(8,), head_gain=1.0, seed=1)
        obs = np.random.default_rng(0).normal(size=(32, 4))
        ref = p.probabilities(obs)
        return ([p], p._busy, lambda: p.probabilities(obs), lambda out: np.array_equal(out, ref),
                [lambda: p.set_params(np.zeros(p.num_params)), lambda: p.sample(obs), lambda: p.seed(3),
                 lambda: p.set_precision("float32")])

    def value():
        v = P.ValueFunction(4, hidden_sizes=(8,), seed=2)
        obs = np.random.default_rng(1).normal(size=(16, 4))
        ref = v.predict(obs)
        return ([v], v._busy, lambda: v.predict(obs), lambda out: np.array_equal(out, ref),
                [lambda: v.set_params(np.zeros(v.num_params)), lambda: v.gradient(obs, np.ones(16))])

    def learner():
        pol = P.SoftmaxPolicy(4, 2, hidden_sizes=(4,))
        val = P.ValueFunction(4, hidden_sizes=(4,))
        cart = gymnasium.make("CartPole-v1")
        lrn = A.for_gymnasium("a2c", [cart, gymnasium.make("CartPole-v1")], policy=pol, value=val)
        T, N = 6, 2
        batch = (np.zeros((T, N, 4)), np.zeros((T, N), np.int32), np.ones((T, N)), np.zeros((T, N), bool),
                 np.zeros((T, N), bool), np.zeros((N, 4)))
        return ([lrn, pol, val], lrn._busy, lambda: lrn.update(*batch), lambda s: s.env_steps == T * N,
                [lambda: lrn.update(*batch), lambda: lrn.load("/nonexistent/swiftpg-checkpoint")])

    def search():
        s = A.PolicySearch("CartPole-v1", config=A.SearchConfig(population_size=4, elite_count=2,
                                                                episodes_per_evaluation=1), num_envs=1)
        return ([s, s.env, s.policy], s._busy, s.iterate, lambda st: st.iteration == 1 and len(s.history) == 1,
                [s.iterate])

    def collector():
        cart = gymnasium.make("CartPole-v1")
        pol = P.SoftmaxPolicy(4, 2, hidden_sizes=())
        c = A.GymnasiumCollector([cart, gymnasium.make("CartPole-v1")], pol)
        return ([pol], c._busy, lambda: c.collect(7), lambda d: d["rewards"].shape == (7, 2)
                and c.total_steps == 14, [lambda: c.collect(3)])

    def vector_reset():
        env = swiftpg.make_vec("CartPole-v1", 4, seed=0)
        with swiftpg.make_vec("CartPole-v1", 4, seed=0) as twin:
            ref = twin.reset(seed=5)[0]
        return ([env], env._busy, lambda: env.reset(seed=5), lambda out: np.array_equal(out[0], ref),
                [lambda: env.step(np.zeros(4, np.int32)), lambda: env.set_parameter("length", 0.7),
                 lambda: env.get_state()])

    # ADR keeps no state in Python (its bookkeeping runs inside the
    # environment, under the environment's lock, covered above).
    return {"policy": policy, "value": value, "learner": learner, "search": search, "collector": collector,
            "vector_reset": vector_reset}


@pytest.mark.parametrize("name", sorted(_busy_cases()))
def test_each_object_refuses_a_second_thread_while_in_use(name):
    objects, lock, first, check, intruding = _busy_cases()[name]()
    seen = []

    def hook(where):
        if where == "enter" and not seen:
            seen.append(True)
            seen.extend(_run_beside(call) for call in intruding)

    lock.hook = hook
    try:
        result = first()
    finally:
        lock.hook = None
    assert [type(e) for e in seen[1:]] == [BusyError] * len(intruding), seen
    assert check(result)
    _closing(*objects)


HAMMER = r"""
import json, sys, threading, time
import gymnasium, numpy as np, swiftpg
from swiftpg import algorithms as A, policies as P
BUDGET = 0.15                     # seconds per object type
results = {}

def hammer(name, work, threads=4):
    stop = time.perf_counter() + BUDGET
    counts = {"ok": 0, "busy": 0, "wrong": [], "other": []}
    lock = threading.Lock()
    def run(i):
        while time.perf_counter() < stop:
            try:
                good = work(i)
                with lock:
                    if good:
                        counts["ok"] += 1
                    else:
                        counts["wrong"].append(i)
            except swiftpg.BusyError:
                with lock:
                    counts["busy"] += 1
            except Exception as exc:
                with lock:
                    counts["other"].append(f"{type(exc).__name__}: {exc}"[:200])
    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts: t.start()
    for t in ts: t.join()
    counts["wrong"] = len(counts["wrong"])
    counts["other"] = sorted(set(counts["other"]))[:5]
    results[name] = counts

# VectorEnv: arm i pays exactly i, so a reward shows whose actions were used.
env = swiftpg.envs.bandit([0.0, 1.0, 2.0, 3.0], stds=[0.0] * 4, num_envs=64, seed=0)
env.reset(seed=0)
acts = [np.full(64, i, np.int32) for i in range(4)]
hammer("vector_env", lambda i: bool((env.step(acts[i])[1] == i).all()))
# ... and an int32 array with out-of-range actions from a fifth thread must
# never reach the native step while another thread's actions are validated.
bad = np.full(64, 9, np.int32)
def with_bad(i):
    if i == 3:
        try:
            env.step(bad)
        except swiftpg.InvalidArgumentError:
            return True
        return False
    return bool((env.step(acts[i])[1] == i).all())
hammer("vector_env_bad_actions", with_bad)
env.close()

# SwiftEnv (Gymnasium single env) over the same bandit.
single = swiftpg.envs.single(swiftpg.envs.bandit([0.0, 1.0, 2.0, 3.0], stds=[0.0] * 4, horizon=10**9, seed=0))
single.reset(seed=0)
hammer("swift_env", lambda i: single.step(i)[1] == i)
single.close()

# Policies and value functions: each thread's own observations.
pol = P.SoftmaxPolicy(4, 3, hidden_sizes=(16,), head_gain=1.0, seed=0)
rng = np.random.default_rng(0)
obs = [rng.normal(size=(8 + i, 4)) for i in range(4)]
ref = [pol.probabilities(o) for o in obs]
hammer("policy", lambda i: np.array_equal(pol.probabilities(obs[i]), ref[i]))
gp = P.GaussianPolicy(4, 2, hidden_sizes=(8,), seed=0)
gacts = [rng.normal(size=(8 + i, 2)) for i in range(4)]
gref = [gp.log_prob(obs[i], gacts[i]) for i in range(4)]
hammer("gaussian_policy", lambda i: np.array_equal(gp.log_prob(obs[i], gacts[i]), gref[i]))
val = P.ValueFunction(4, hidden_sizes=(16,), seed=0)
vref = [val.predict(o) for o in obs]
hammer("value", lambda i: np.array_equal(val.predict(obs[i]), vref[i]))

# A learner updated on external data from several threads (own batch sizes).
cart = gymnasium.make("CartPole-v1")
lp = P.SoftmaxPolicy(4, 2, hidden_sizes=(8,))
lv = P.ValueFunction(4, hidden_sizes=(8,))
learner = A.for_gymnasium("a2c", [cart, gymnasium.make("CartPole-v1")], policy=lp, value=lv)
def update(i):
    T, N = 4 + i, 2
    s = learner.update(rng.normal(size=(T, N, 4)), np.zeros((T, N), np.int32), np.ones((T, N)),
                       np.zeros((T, N), bool), np.zeros((T, N), bool), np.zeros((N, 4)))
    return s.env_steps == T * N
hammer("learner_update", update)
ok = results["learner_update"]["ok"]
results["learner_update"]["history_matches"] = len(learner.history) == ok
learner.close()

# A learner iterating in Swift while other threads use its env and policy
# (cross-object: the native side must refuse or serialise).
ppo = A.PPO("CartPole-v1", num_envs=4, config=A.PPOConfig(steps_per_env=16, minibatch_size=32, epochs=1),
            hidden_sizes=(8,))
def cross(i):
    if i == 0:
        return ppo.iterate().env_steps == 64
    if i == 1:
        return ppo.env.step(np.zeros(4, np.int32))[0].shape == (4, 4)
    if i == 2:
        return ppo.policy.sample(np.zeros((3, 4))).shape == (3,)
    return np.isfinite(ppo.policy.params).all()
hammer("learner_cross_objects", cross)
results["learner_cross_objects"]["params_finite"] = bool(np.isfinite(ppo.policy.params).all())
ppo.close(); ppo.env.close(); ppo.policy.close(); ppo.value.close()

search = A.PolicySearch("CartPole-v1", config=A.SearchConfig(population_size=4, elite_count=2,
                                                             episodes_per_evaluation=1), num_envs=1)
hammer("policy_search", lambda i: search.iterate().evaluations >= 0)
results["policy_search"]["history_matches"] = len(search.history) == results["policy_search"]["ok"]
search.close()

collector = A.GymnasiumCollector([gymnasium.make("CartPole-v1") for _ in range(2)], lp)
hammer("collector", lambda i: collector.collect(3 + i)["rewards"].shape == (3 + i, 2))
print(json.dumps(results))
"""


def test_hammer_every_object_type_from_several_threads():
    """4 threads per object for 0.15 s each: every call succeeds with its own
    results or raises BusyError; the process survives (run in a subprocess)."""
    proc = run_isolated(HAMMER, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, counts in results.items():
        assert counts["wrong"] == 0, (name, counts)
        assert counts["other"] == [], (name, counts)
        assert counts["ok"] > 0, (name, counts)
        assert counts.get("history_matches", True), (name, counts)
        assert counts.get("params_finite", True), (name, counts)


# ------------------------------------------------------------------------ kind 9: widths and NUL bytes

def _int_fields(config_class):
    return [f.name for f in dataclasses.fields(config_class) if f.type == "int" and f.name != "seed"]


@pytest.mark.parametrize("config_class", [A.ReinforceConfig, A.ActorCriticConfig, A.A2CConfig,
                                          A.OffPolicyPGConfig, A.NPGConfig, A.TRPOConfig, A.PPOConfig])
def test_every_integer_config_field_is_checked_against_its_c_width(config_class):
    fields = _int_fields(config_class)
    assert fields
    for name in fields:
        lo, hi = swiftpg._arrays.field_range(swiftpg._lib.PG_CONFIG_STRUCTS[config_class._algorithm][1], name)
        for value in ([2**32 + 3] if hi < 2**32 else []) + [hi + 1, lo - 1, 2**64, -2**70]:
            cfg = config_class(**{name: value})
            with pytest.raises(InvalidArgumentError, match=rf"{name} must be in \[.*\], got {value}"):
                cfg.to_c()
        for value in (1.0, "3", None, True):
            with pytest.raises(DTypeError, match=name):
                config_class(**{name: value}).to_c()
        assert getattr(config_class(**{name: np.int64(2)}).to_c(), name) == 2


def test_value_epochs_2_to_the_32_plus_3_is_refused_not_3():
    with pytest.raises(InvalidArgumentError, match="value_epochs must be in .*got 4294967299"):
        A.A2C("CartPole-v1", config=A.A2CConfig(value_epochs=2**32 + 3), num_envs=1)


def test_search_config_integers_are_checked_against_their_c_width():
    for name in ("episodes_per_evaluation", "population_size", "elite_count"):
        for value in (2**31, 2**32 + 3, 0, -1):
            with pytest.raises(InvalidArgumentError, match=rf"{name} must be in \[1, 2147483647\], got {value}"):
                A.SearchConfig(**{name: value}).to_c()
    with pytest.raises(InvalidArgumentError, match="seed"):
        A.SearchConfig(seed=2**64).to_c()


def test_c_int_arguments_are_range_checked():
    with pytest.raises(InvalidArgumentError, match="hidden size"):
        P.SoftmaxPolicy(4, 2, hidden_sizes=(2**32 + 8,))
    with pytest.raises(InvalidArgumentError, match="num_actions"):
        P.SoftmaxPolicy(4, 2**31)
    with pytest.raises(InvalidArgumentError, match="noise_interval"):
        P.GaussianPolicy(3, 1, gsde=True, noise_interval=2**32 + 4)
    with pytest.raises(InvalidArgumentError, match="layers"):
        P.SoftmaxPolicy(4, 2, hidden_sizes=(1,) * 100)
    with pytest.raises(InvalidArgumentError, match="num_envs"):
        swiftpg.make_vec("CartPole-v1", 2**32 + 1)
    with pytest.raises(InvalidArgumentError, match="max_episode_steps"):
        swiftpg.envs.gridworld(max_episode_steps=2**32 + 5)
    with pytest.raises(InvalidArgumentError, match="horizon"):
        swiftpg.envs.bandit([0.0, 1.0], horizon=2**32 + 1)
    with pytest.raises(InvalidArgumentError, match="n must be in"):
        E.n_step_returns([1.0], [0], [0], 0.9, 2**32 + 1)
    with pytest.raises(InvalidArgumentError, match="too large"):
        swiftpg.envs.gridworld(slip=10**400)


def test_save_and_load_refuse_a_path_with_a_nul_byte(tmp_path):
    policy = P.SoftmaxPolicy(4, 2, hidden_sizes=(4,))
    value = P.ValueFunction(4, hidden_sizes=(4,))
    learner = A.REINFORCE("CartPole-v1", policy=policy, num_envs=1)
    search = A.PolicySearch("CartPole-v1", config=A.SearchConfig(population_size=4, elite_count=2), num_envs=1)
    bad = [str(tmp_path / "file\0.bin"), os.fsencode(str(tmp_path / "file\0.bin")), tmp_path / "dir\0x" / "f"]
    calls = [policy.save, value.save, learner.save, learner.load, search.save, search.load, P.load, P.load_value,
             lambda p: learner.train(10, checkpoint=p), lambda p: search.train(1, checkpoint=p)]
    for path in bad:
        for call in calls:
            with pytest.raises(InvalidArgumentError, match="NUL byte"):
                call(path)
    assert os.listdir(tmp_path) == []
    assert learner.history == [] and search.history == []
    # bytes and PathLike paths without NUL work.
    policy.save(os.fsencode(str(tmp_path / "p.bin")))
    P.load(tmp_path / "p.bin").close()
    with pytest.raises(InvalidArgumentError, match="empty"):
        policy.save("")
    with pytest.raises(DTypeError, match="path"):
        policy.save(None)
    _closing(search, search.env, search.policy, learner, learner.env, policy, value)


def test_strings_for_c_refuse_a_nul_character():
    with pytest.raises(InvalidArgumentError, match="NUL"):
        swiftpg.make_vec("CartPole-v1\0junk", 1)
    with pytest.raises(InvalidArgumentError, match="NUL"):
        swiftpg.make("CartPole-v1\0")
    with pytest.raises(InvalidArgumentError, match="NUL"):
        swiftpg.envs.gridworld("S.G\0#")
    env = swiftpg.make_vec("CartPole-v1", 2)
    before = env.get_parameter("length")
    for call in (lambda: env.set_parameter("length\0zzz", 0.7), lambda: env.get_parameter("length\0"),
                 lambda: env.randomize_parameter("length\0", 0.4, 0.6)):
        with pytest.raises(InvalidArgumentError, match="NUL"):
            call()
    assert np.array_equal(env.get_parameter("length"), before)
    with pytest.raises(InvalidArgumentError, match="NUL"):
        swiftpg.make_vec("CartPole-v1", 1, **{"length\0": 0.7})
    env.close()


# --------------------------------------------------------------- kind 14: lists of envs and error types

def test_for_gymnasium_accepts_a_list_of_envs_and_trains_on_it():
    envs = [gymnasium.make("CartPole-v1") for _ in range(2)]
    learner = A.for_gymnasium("ppo", envs, config=A.PPOConfig(steps_per_env=8, minibatch_size=16),
                              hidden_sizes=(8,))
    collector = learner.learn_gymnasium(envs, 32)
    assert collector.num_lanes == 2 and len(learner.history) == 2
    learner2 = A.for_gymnasium("a2c", tuple(envs), hidden_sizes=(8,))
    assert learner2.policy.observation_size == 4
    with pytest.raises(DTypeError, match="non-empty list"):
        A.for_gymnasium("ppo", [])
    with pytest.raises(DTypeError, match="gymnasium.Env"):
        A.for_gymnasium("ppo", ["CartPole-v1"])
    with pytest.raises(InvalidArgumentError, match="envs\\[1\\]"):
        A.for_gymnasium("ppo", [envs[0], gymnasium.make("Acrobot-v1")])
    with pytest.raises(InvalidArgumentError, match="algorithm"):
        A.for_gymnasium("sac", envs)
    with pytest.raises(DTypeError, match="algorithm"):
        A.for_gymnasium(["ppo"], envs)
    # A Gymnasium VectorEnv and swiftpg envs work too.
    vec = gymnasium.make_vec("Pendulum-v1", 2)
    learner3 = A.for_gymnasium("ppo", vec, hidden_sizes=(8,))
    assert learner3.policy.action_size == 1
    swift = swiftpg.make_vec("Acrobot-v1", 2)
    learner4 = A.for_gymnasium("reinforce", swift, hidden_sizes=(8,))
    assert learner4.policy.num_actions == 3
    for lr in (learner, learner2, learner3, learner4):
        _closing(lr, lr.policy, *([lr.value] if lr.value is not None else []))
    vec.close()
    swift.close()


def test_policy_for_env_takes_every_kind_of_env():
    cart = gymnasium.make("CartPole-v1")
    for env in (cart, [cart, gymnasium.make("CartPole-v1")], gymnasium.make_vec("CartPole-v1", 2), swiftpg.make("CartPole-v1")):
        p = P.SoftmaxPolicy.for_env(env, hidden_sizes=())
        assert (p.observation_size, p.num_actions) == (4, 2)
        p.close()
        if hasattr(env, "close") and not isinstance(env, list):
            env.close()
    g = P.GaussianPolicy.for_env([gymnasium.make("Pendulum-v1")], hidden_sizes=())
    assert (g.observation_size, g.action_size) == (3, 1)
    with pytest.raises(InvalidArgumentError, match="continuous"):
        P.SoftmaxPolicy.for_env(gymnasium.make("Pendulum-v1"))
    with pytest.raises(DTypeError):
        P.SoftmaxPolicy.for_env("CartPole-v1")
    g.close()


SWEEP = r"""
import json, math, os, sys, tempfile, warnings
warnings.simplefilter("ignore")
import gymnasium, numpy as np, swiftpg
from swiftpg import algorithms as A, estimators as E, exact as X, lab, policies as P, randomization as R

allowed = (swiftpg.SwiftPGError,)
BAD = {"None": None, "str": "x", "nul": "a\0b", "ragged": [[1], [1, 2]], "nested": [[[1.0]]],
       "strarr": np.array(["a", "b"]), "complex": np.array([1 + 2j]), "neg": -1, "huge": 2**70,
       "float": 1.5, "nan": float("nan"), "inf": float("inf"), "dict": {}, "obj": object(),
       "bytes": b"\0", "empty": [], "4d": np.zeros((2, 3, 4, 5)), "bool": True, "uint64max": np.uint64(2**64 - 1)}

tmp = tempfile.mkdtemp()
os.chdir(tmp)                   # bad paths such as "x" are valid relative paths: keep them here
env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
env.reset()
senv = swiftpg.make("CartPole-v1", seed=0)
senv.reset()
tenv = swiftpg.envs.tabular(np.full((2, 2, 2), 0.5), np.ones((2, 2)), [1.0, 0.0], horizon=3)
pol = P.SoftmaxPolicy(4, 2, hidden_sizes=(4,))
tpol = P.TabularSoftmaxPolicy(2, 2)
gpol = P.GaussianPolicy(3, 1, hidden_sizes=())
vf = P.ValueFunction(4, hidden_sizes=())
obs, acts = np.zeros((3, 4)), np.zeros(3, np.int32)
gobs = np.zeros((3, 3))
genv = gymnasium.make("CartPole-v1")
learner = A.for_gymnasium("a2c", [genv, genv], policy=pol, value=vf)
reinforce = A.REINFORCE("CartPole-v1", num_envs=1, hidden_sizes=(2,))
search = A.PolicySearch("CartPole-v1", config=A.SearchConfig(population_size=4, elite_count=2), num_envs=1)
collector = A.GymnasiumCollector([genv], pol)
prob = lab.two_action()
cpol = P.ClampPolicy(0.3)
adr = R.ADR(env, {"length": R.ParameterSchedule(0.5, 0.1, (0.2, 1.0))})
T, N = 3, 2
U = [np.zeros((T, N, 4)), np.zeros((T, N), np.int32), np.zeros((T, N)), np.zeros((T, N)), np.zeros((T, N)),
     np.zeros((N, 4)), None]
r1, f1 = np.zeros(3), np.zeros(3, np.int32)
P2, R2, MU2 = np.full((2, 2, 2), 0.5), np.ones((2, 2)), [1.0, 0.0]
v1 = np.zeros(4)

def update(i):
    def call(b):
        args = list(U)
        args[i] = b
        return learner.update(*args)
    return call

CALLS = {
    "make_vec.id": lambda b: swiftpg.make_vec(b, 2),
    "make_vec.n": lambda b: swiftpg.make_vec("CartPole-v1", b),
    "make_vec.seed": lambda b: swiftpg.make_vec("CartPole-v1", 2, seed=b),
    "make_vec.threads": lambda b: swiftpg.make_vec("CartPole-v1", 2, num_threads=b),
    "make_vec.copy": lambda b: swiftpg.make_vec("CartPole-v1", 2, copy=b),
    "make_vec.param": lambda b: swiftpg.make_vec("CartPole-v1", 2, length=b),
    "make.id": lambda b: swiftpg.make(b),
    "make.seed": lambda b: swiftpg.make("CartPole-v1", seed=b),
    "make.render": lambda b: swiftpg.make("CartPole-v1", render_mode=b),
    "env.step": lambda b: env.step(b),
    "env.reset.seed": lambda b: env.reset(seed=b),
    "env.reset.options": lambda b: env.reset(options=b),
    "env.set_state": lambda b: env.set_state(b),
    "env.set_parameter.name": lambda b: env.set_parameter(b, 0.5),
    "env.set_parameter.value": lambda b: env.set_parameter("length", b),
    "env.randomize.low": lambda b: env.randomize_parameter("length", b, 0.6),
    "env.get_parameter": lambda b: env.get_parameter(b),
    "env.render_text": lambda b: env.render_text(b),
    "env.num_threads": lambda b: setattr(env, "num_threads", b),
    "senv.step": lambda b: senv.step(b),
    "senv.reset.seed": lambda b: senv.reset(seed=b),
    "senv.reset.options": lambda b: senv.reset(options=b),
    "senv.set_state": lambda b: senv.set_state(b),
    "senv.set_parameter": lambda b: senv.set_parameter(b, 1.0),
    "tabular.P": lambda b: swiftpg.envs.tabular(b, np.ones((2, 2)), [1.0, 0.0]),
    "tabular.R": lambda b: swiftpg.envs.tabular(np.full((2, 2, 2), 0.5), b, [1.0, 0.0]),
    "tabular.mu": lambda b: swiftpg.envs.tabular(np.full((2, 2, 2), 0.5), np.ones((2, 2)), b),
    "tabular.horizon": lambda b: swiftpg.envs.tabular(P2, R2, MU2, horizon=b),
    "tabular.gamma": lambda b: swiftpg.envs.tabular(P2, R2, MU2, gamma=b),
    "tabular.terminal": lambda b: swiftpg.envs.tabular(P2, R2, MU2, terminal=b),
    "tabular.limit": lambda b: swiftpg.envs.tabular(P2, R2, MU2, max_episode_steps=b),
    "gridworld.layout": lambda b: swiftpg.envs.gridworld(b),
    "gridworld.slip": lambda b: swiftpg.envs.gridworld(slip=b),
    "gridworld.limit": lambda b: swiftpg.envs.gridworld(max_episode_steps=b),
    "gridworld.n": lambda b: swiftpg.envs.gridworld(num_envs=b),
    "bandit.means": lambda b: swiftpg.envs.bandit(b),
    "bandit.stds": lambda b: swiftpg.envs.bandit([0.0, 1.0], b),
    "bandit.kind": lambda b: swiftpg.envs.bandit([0.0, 1.0], kind=b),
    "bandit.horizon": lambda b: swiftpg.envs.bandit([0.0, 1.0], horizon=b),
    "single": lambda b: swiftpg.envs.single(b),
    "Softmax.obs": lambda b: P.SoftmaxPolicy(b, 2),
    "Softmax.actions": lambda b: P.SoftmaxPolicy(4, b),
    "Softmax.hidden": lambda b: P.SoftmaxPolicy(4, 2, hidden_sizes=b),
    "Softmax.activation": lambda b: P.SoftmaxPolicy(4, 2, activation=b),
    "Softmax.head_gain": lambda b: P.SoftmaxPolicy(4, 2, head_gain=b),
    "Softmax.seed": lambda b: P.SoftmaxPolicy(4, 2, seed=b),
    "Softmax.precision": lambda b: P.SoftmaxPolicy(4, 2, precision=b),
    "Tabular.states": lambda b: P.TabularSoftmaxPolicy(b, 2),
    "Linear.features": lambda b: P.LinearSoftmaxPolicy(b, 2),
    "Gaussian.actions": lambda b: P.GaussianPolicy(3, b),
    "Gaussian.log_std": lambda b: P.GaussianPolicy(3, 1, initial_log_std=b),
    "Gaussian.gsde": lambda b: P.GaussianPolicy(3, 1, gsde=b),
    "Gaussian.interval": lambda b: P.GaussianPolicy(3, 1, gsde=True, noise_interval=b),
    "Gaussian.sds": lambda b: P.GaussianPolicy(3, 1, state_dependent_std=b),
    "Clamp.theta": lambda b: P.ClampPolicy(b),
    "Value.obs": lambda b: P.ValueFunction(b),
    "Value.tabular": lambda b: P.ValueFunction.tabular(b),
    "for_env.soft": lambda b: P.SoftmaxPolicy.for_env(b),
    "for_env.gauss": lambda b: P.GaussianPolicy.for_env(b),
    "pol.sample": lambda b: pol.sample(b),
    "pol.sample.greedy": lambda b: pol.sample(obs, greedy=b),
    "pol.log_prob.obs": lambda b: pol.log_prob(b, acts),
    "pol.log_prob.acts": lambda b: pol.log_prob(obs, b),
    "pol.entropy": lambda b: pol.entropy(b),
    "pol.kl": lambda b: pol.kl(obs, b),
    "pol.score_gradient.w": lambda b: pol.score_gradient(obs, acts, b),
    "pol.score_vectors": lambda b: pol.score_vectors(obs, b),
    "pol.entropy_gradient": lambda b: pol.entropy_gradient(obs, b),
    "pol.kl_gradient": lambda b: pol.kl_gradient(obs, b),
    "pol.fvp": lambda b: pol.fisher_vector_product(obs, b),
    "pol.probabilities": lambda b: pol.probabilities(b),
    "pol.set_params": lambda b: pol.set_params(b),
    "pol.seed": lambda b: pol.seed(b),
    "pol.save": lambda b: pol.save(b),
    "pol.set_precision": lambda b: pol.set_precision(b),
    "pol.evaluate.env": lambda b: pol.evaluate(b, episodes=1),
    "pol.evaluate.episodes": lambda b: pol.evaluate("CartPole-v1", episodes=b),
    "pol.evaluate.seed": lambda b: pol.evaluate("CartPole-v1", episodes=1, seed=b),
    "pol.evaluate.n": lambda b: pol.evaluate("CartPole-v1", episodes=1, num_envs=b),
    "pol.evaluate.greedy": lambda b: pol.evaluate("CartPole-v1", episodes=1, greedy=b),
    "gpol.clipped.low": lambda b: gpol.sample_clipped(gobs, b, 1.0),
    "gpol.log_prob": lambda b: gpol.log_prob(gobs, b),
    "load": lambda b: P.load(b),
    "load.seed": lambda b: P.load(os.path.join(tmp, "none"), seed=b),
    "load_value": lambda b: P.load_value(b),
    "vf.predict": lambda b: vf.predict(b),
    "vf.gradient": lambda b: vf.gradient(obs, b),
    "vf.save": lambda b: vf.save(b),
    "est.discounted_returns.r": lambda b: E.discounted_returns(b, f1, f1, 0.9),
    "est.discounted_returns.te": lambda b: E.discounted_returns(r1, b, f1, 0.9),
    "est.discounted_returns.gamma": lambda b: E.discounted_returns(r1, f1, f1, b),
    "est.discounted_returns.values": lambda b: E.discounted_returns(r1, f1, f1, 0.9, values=b),
    "est.td_errors.values": lambda b: E.td_errors(r1, f1, f1, b, 0.9),
    "est.gae.lam": lambda b: E.gae(r1, f1, f1, v1, 0.9, b),
    "est.gae.final": lambda b: E.gae(r1, f1, f1, v1, 0.9, 0.9, final_values=b),
    "est.lambda_returns": lambda b: E.lambda_returns(r1, f1, b, v1, 0.9, 0.9),
    "est.n_step_returns.n": lambda b: E.n_step_returns(r1, f1, f1, 0.9, b),
    "est.n_step_advantages": lambda b: E.n_step_advantages(r1, f1, f1, v1, 0.9, b),
    "est.episode_returns": lambda b: E.episode_returns(r1, f1, f1, b),
    "est.reward_to_go": lambda b: E.discounted_reward_to_go(b, f1, f1, 0.9),
    "est.time_step_baseline": lambda b: E.time_step_baseline(r1, f1, b),
    "est.importance.lp": lambda b: E.importance_weights(b, r1, f1, f1),
    "est.importance.kind": lambda b: E.importance_weights(r1, r1, f1, f1, kind=b),
    "est.importance.clip": lambda b: E.importance_weights(r1, r1, f1, f1, clip=b),
    "est.clipped_surrogate": lambda b: E.clipped_surrogate(r1, r1, r1, b),
    "est.clipped_surrogate.adv": lambda b: E.clipped_surrogate(r1, r1, b),
    "est.kl_estimates": lambda b: E.kl_estimates(r1, b),
    "est.optimal_baseline.s": lambda b: E.optimal_baseline(b, r1, f1),
    "est.optimal_baseline.ep": lambda b: E.optimal_baseline(np.zeros((3, 2)), r1, b),
    "est.optimal_baseline.pt": lambda b: E.optimal_baseline(np.zeros((3, 2)), r1, f1, per_trajectory=b),
    "est.mean_baseline": lambda b: E.mean_baseline(b),
    "est.mean_baseline.loo": lambda b: E.mean_baseline(r1, leave_one_out=b),
    "est.score_gradient.pol": lambda b: E.score_gradient(b, obs, acts, r1),
    "est.score_gradient.n": lambda b: E.score_gradient(pol, obs, acts, r1, num_episodes=b),
    "est.fd.base": lambda b: E.finite_difference_gradient(b, r1, 0.1),
    "est.fd.delta": lambda b: E.finite_difference_gradient(0.0, r1, b),
    "est.fd.minus": lambda b: E.finite_difference_gradient(0.0, r1, 0.1, minus=b),
    "est.regression": lambda b: E.regression_gradient(b, r1),
    "est.scale": lambda b: E.scale_gradient(r1, b),
    "est.clip.low": lambda b: E.clip_gradient(r1, b, 1.0),
    "est.clip.g": lambda b: E.clip_gradient(b, -1.0, 1.0),
    "exact.env": lambda b: X.solve(b, tpol),
    "exact.policy": lambda b: X.solve(tenv, b),
    "exact.obs": lambda b: X.solve(tenv, tpol, b),
    "REINFORCE.env": lambda b: A.REINFORCE(b),
    "REINFORCE.policy": lambda b: A.REINFORCE("CartPole-v1", b, num_envs=1),
    "REINFORCE.config": lambda b: A.REINFORCE("CartPole-v1", config=b, num_envs=1),
    "REINFORCE.value": lambda b: A.REINFORCE("CartPole-v1", value=b, num_envs=1),
    "REINFORCE.n": lambda b: A.REINFORCE("CartPole-v1", num_envs=b),
    "REINFORCE.hidden": lambda b: A.REINFORCE("CartPole-v1", num_envs=1, hidden_sizes=b),
    "PPO.policy_kwargs": lambda b: A.PPO("CartPole-v1", num_envs=1, policy_kwargs=b),
    "update.0": update(0), "update.1": update(1), "update.2": update(2), "update.3": update(3),
    "update.4": update(4), "update.5": update(5), "update.6": update(6),
    "learner.save": lambda b: learner.save(b),
    "learner.load": lambda b: learner.load(b),
    "learner.evaluate": lambda b: learner.evaluate(episodes=b),
    "reinforce.evaluate.episodes": lambda b: reinforce.evaluate(episodes=b),
    "reinforce.evaluate.seed": lambda b: reinforce.evaluate(episodes=1, seed=b),
    "reinforce.evaluate.n": lambda b: reinforce.evaluate(episodes=1, num_envs=b),
    "reinforce.evaluate.greedy": lambda b: reinforce.evaluate(episodes=1, greedy=b),
    "reinforce.train": lambda b: reinforce.train(b),
    "reinforce.train.callback": lambda b: reinforce.train(1, callback=b),
    "reinforce.train.stop": lambda b: reinforce.train(1, stop_at_return=b),
    "reinforce.train.window": lambda b: reinforce.train(1, stop_window=b),
    "reinforce.train.ckpt": lambda b: reinforce.train(1, checkpoint=b),
    "learn_gymnasium.env": lambda b: learner.learn_gymnasium(b, 4),
    "learn_gymnasium.steps": lambda b: learner.learn_gymnasium(genv, b),
    "learn_gymnasium.per_env": lambda b: learner.learn_gymnasium(genv, 4, steps_per_env=b),
    "learn_gymnasium.callback": lambda b: learner.learn_gymnasium(genv, 4, steps_per_env=2, callback=b),
    "learn_gymnasium.seed": lambda b: learner.learn_gymnasium(genv, 4, steps_per_env=2, seed=b),
    "for_gymnasium.algo": lambda b: A.for_gymnasium(b, genv),
    "for_gymnasium.env": lambda b: A.for_gymnasium("ppo", b),
    "for_gymnasium.policy": lambda b: A.for_gymnasium("ppo", genv, policy=b),
    "for_gymnasium.config": lambda b: A.for_gymnasium("ppo", genv, config=b),
    "for_gymnasium.value": lambda b: A.for_gymnasium("ppo", genv, value=b),
    "for_gymnasium.hidden": lambda b: A.for_gymnasium("ppo", genv, hidden_sizes=b),
    "collector.envs": lambda b: A.GymnasiumCollector(b, pol),
    "collector.policy": lambda b: A.GymnasiumCollector(genv, b),
    "collector.seed": lambda b: A.GymnasiumCollector(genv, pol, seed=b),
    "collector.collect": lambda b: collector.collect(b),
    "search.env": lambda b: A.PolicySearch(b),
    "search.policy": lambda b: A.PolicySearch("CartPole-v1", b, num_envs=1),
    "search.config": lambda b: A.PolicySearch("CartPole-v1", config=b, num_envs=1),
    "search.n": lambda b: A.PolicySearch("CartPole-v1", num_envs=b),
    "search.train": lambda b: search.train(b),
    "search.train.callback": lambda b: search.train(1, callback=b),
    "search.train.stop": lambda b: search.train(1, stop_at_utility=b),
    "search.save": lambda b: search.save(b),
    "search.load": lambda b: search.load(b),
    "search.evaluate": lambda b: search.evaluate(episodes=b),
    "config.replace": lambda b: A.PPOConfig().replace(**{"x" if not isinstance(b, str) else b: 1}),
    "lab.run.problem": lambda b: lab.run(b, cpol, ["full_return"]),
    "lab.run.policy": lambda b: lab.run(prob, b, ["full_return"]),
    "lab.run.estimators": lambda b: lab.run(prob, cpol, b),
    "lab.run.episodes": lambda b: lab.run(prob, cpol, ["full_return"], episodes=b, estimates=2),
    "lab.run.estimates": lambda b: lab.run(prob, cpol, ["full_return"], episodes=2, estimates=b),
    "lab.run.seed": lambda b: lab.run(prob, cpol, ["full_return"], episodes=2, estimates=2, seed=b),
    "lab.collect.n": lambda b: lab.collect(prob, cpol, b, 0),
    "lab.collect.seed": lambda b: lab.collect(prob, cpol, 2, b),
    "lab.collect.problem": lambda b: lab.collect(b, cpol, 2, 0),
    "lab.Estimator.kind": lambda b: lab.Estimator(b),
    "lab.Estimator.baseline": lambda b: lab.Estimator("full_return", baseline=b),
    "lab.Estimator.lam": lambda b: lab.Estimator("value", lam=b),
    "lab.Estimator.critic": lambda b: lab.Estimator("value", critic=b),
    "lab.Estimator.critic_episodes": lambda b: lab.Estimator("value", critic_episodes=b),
    "lab.Estimator.delta": lambda b: lab.Estimator("finite_difference", delta=b),
    "lab.Estimator.directions": lambda b: lab.Estimator("regression", directions=b),
    "lab.Estimator.drop": lambda b: lab.Estimator("reward_to_go", drop_discount=b),
    "lab.bandit": lambda b: lab.bandit(b),
    "lab.bandit.horizon": lambda b: lab.bandit([0.0, 1.0], horizon=b),
    "lab.two_action": lambda b: lab.two_action(b),
    "lab.two_action.horizon": lambda b: lab.two_action(horizon=b),
    "lab.short_corridor": lambda b: lab.short_corridor(b),
    "lab.simple_regulator": lambda b: lab.simple_regulator(b),
    "lab.simple_regulator.gamma": lambda b: lab.simple_regulator(gamma=b),
    "ParameterSchedule.nominal": lambda b: R.ParameterSchedule(b, 0.1, (0.0, 1.0)),
    "ParameterSchedule.step": lambda b: R.ParameterSchedule(0.5, b, (0.0, 1.0)),
    "ParameterSchedule.limits": lambda b: R.ParameterSchedule(0.5, 0.1, b),
    "ADR.env": lambda b: R.ADR(b, {"length": R.ParameterSchedule(0.5, 0.1, (0.2, 1.0))}),
    "ADR.schedules": lambda b: R.ADR(env, b),
    "ADR.buffer_size": lambda b: R.ADR(env, {"length": R.ParameterSchedule(0.5, 0.1, (0.2, 1.0))}, buffer_size=b),
    "ADR.upper_threshold": lambda b: R.ADR(env, {"length": R.ParameterSchedule(0.5, 0.1, (0.2, 1.0))},
                                           upper_threshold=b),
    "ADR.success_return": lambda b: R.ADR(env, {"length": R.ParameterSchedule(0.5, 0.1, (0.2, 1.0))},
                                          success_return=b),
    "ADR.boundary_probability": lambda b: R.ADR(env, {"length": R.ParameterSchedule(0.5, 0.1, (0.2, 1.0))},
                                                boundary_probability=b),
}
report = {"calls": 0, "violations": [], "accepted": []}
only = sys.argv[1:] or None
for name, call in CALLS.items():
    for label, bad in BAD.items():
        report["calls"] += 1
        try:
            result = call(bad)
        except allowed:
            continue
        except Exception as exc:
            report["violations"].append(f"{name}({label}): {type(exc).__name__}: {exc}"[:300])
            continue
        report["accepted"].append(f"{name}({label})")
        if hasattr(result, "close") and result is not None and not isinstance(result, (list, tuple)):
            try:
                result.close()
            except Exception:
                pass
import shutil
shutil.rmtree(tmp, ignore_errors=True)
print(json.dumps(report))
"""


def test_wrong_typed_arguments_raise_only_swiftpg_errors():
    """Every public function and method, each argument in turn replaced by
    None, strings, NUL strings, ragged/nested lists, string/complex arrays,
    negative and 2**70 ints, floats, NaN, inf, dicts, objects, bytes, empty
    lists, 4-d arrays, bools and uint64 max: only SwiftPGError subclasses
    (which are also ValueError/TypeError/...) escape; the process survives."""
    proc = run_isolated(SWEEP, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["calls"] > 3000
    assert report["violations"] == [], "\n".join(report["violations"])


# ----------------------------------------------------------------------- Python-side unbounded memory

def test_collector_refuses_a_collection_that_would_not_fit_in_memory():
    cart = gymnasium.make("CartPole-v1")
    pol = P.SoftmaxPolicy(4, 2, hidden_sizes=())
    collector = A.GymnasiumCollector([cart, gymnasium.make("CartPole-v1")], pol)
    with pytest.raises(InvalidArgumentError, match="collecting 2000000000 steps of 2 lanes"):
        collector.collect(2_000_000_000)
    assert collector.total_steps == 0 and collector._obs is None
    pol.close()


def test_lab_refuses_unbounded_batches_and_envs_without_a_time_limit(monkeypatch):
    policy = P.ClampPolicy(0.3)
    with pytest.raises(InvalidArgumentError, match="estimates × episodes"):
        lab.run(lab.two_action(), policy, ["full_return"], episodes=2**12, estimates=2**13)
    with pytest.raises(InvalidArgumentError, match="no time limit"):
        lab.collect(lab.short_corridor(max_episode_steps=0), policy, 4, 0)
    # Episodes of 10**6 steps: refused when the stored values would pass
    # the limit (here lowered to 2**20: 1024 episodes × 8 values per step
    # reach it at step 129), not when memory runs out.
    monkeypatch.setattr(swiftpg._arrays, "MAX_ELEMENTS", 1 << 20)
    with pytest.raises(InvalidArgumentError, match=r"the lab's batch of 1024 episodes \(at step 129\)"):
        lab.collect(lab.two_action(horizon=10**6), policy, 1024, 0)
    policy.close()


def test_tabular_model_is_sized_before_it_is_allocated(monkeypatch):
    env = swiftpg.envs.gridworld()
    monkeypatch.setattr(env, "tabular_sizes", lambda: (200_000, 4))
    with pytest.raises(InvalidArgumentError, match="200000-state"):
        env.tabular_model()
    monkeypatch.undo()
    assert env.tabular_model()["P"].shape[1] == 4
    env.close()


def test_the_element_limit_is_what_the_docs_say():
    assert MAX_ELEMENTS == 1 << 28


# ------------------------------------------------- kind 14 (continued): the fuzzer's remaining findings

def test_abstract_base_classes_refuse_to_be_created_with_a_swiftpg_error():
    """The issue's input: ``PolicyGradientLearner("CartPole-v1")`` raised
    AttributeError ("'object' object has no attribute 'to_c'"). Every
    abstract base — public or not — now raises DTypeError naming what to
    create instead, before any native object exists."""
    cases = [
        (lambda: A.PolicyGradientLearner("CartPole-v1"), r"REINFORCE.*PPO"),
        (lambda: A.PolicyGradientLearner("CartPole-v1", config=A.PPOConfig()), r"REINFORCE.*PPO"),
        (lambda: A.PolicyGradientLearner(swiftpg.make_vec("CartPole-v1", 1, seed=0)), r"REINFORCE.*PPO"),
        (lambda: A.search._Learner("CartPole-v1"), r"PolicySearch"),
        (lambda: A.search._Learner(), r"PolicySearch"),
        (lambda: A._learner._PGConfig(), r"PPOConfig"),
        (lambda: A._learner._PGConfig.describe(), r"PPOConfig"),
        (lambda: A._learner._Replaceable(), r"SearchConfig"),
        (lambda: P.Policy(), r"SoftmaxPolicy"),
        (lambda: P.Policy(4, 2), r"SoftmaxPolicy"),
        (lambda: P._Categorical(), r"SoftmaxPolicy"),
        (lambda: P._Parameterised(), r"ValueFunction"),
        (lambda: swiftpg._lib.NativeObject(), r"abstract"),
        (lambda: lab.Problem(), r"lab.gridworld"),
    ]
    for make, words in cases:
        with pytest.raises(DTypeError, match=words) as info:
            make()
        assert "abstract base" in str(info.value)
    # The concrete classes still work, and a user's Problem subclass may be created.
    class Mine(lab.Problem):
        name = "mine"
    assert repr(Mine()) == "mine"
    assert "gamma" in A.PPOConfig.describe()


def test_live_handles_checks_its_kind():
    """The issue's inputs: ``live_handles({})``, ``(1.5)`` and ``([4])`` raised
    ctypes.ArgumentError; an int beyond int32 would have wrapped."""
    for bad in ({}, 1.5, [4], None, "env", True, np.float64(1.0), np.array([1])):
        with pytest.raises(DTypeError, match="kind must be an int"):
            swiftpg.live_handles(bad)
    for bad in (-1, 12, 99, 2**32 + 1, 2**64):
        with pytest.raises(InvalidArgumentError, match=r"kind must be one of \[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 16\]"):
            swiftpg.live_handles(bad)
    total = swiftpg.live_handles()
    kinds = [swiftpg._lib.KIND_ENV, swiftpg._lib.KIND_POLICY, swiftpg._lib.KIND_ALGORITHM, swiftpg._lib.KIND_VALUE,
             swiftpg._lib.KIND_SEQ_TASK, swiftpg._lib.KIND_SEQ_POLICY, swiftpg._lib.KIND_REWARD_MODEL,
             swiftpg._lib.KIND_PREF_TRAINER, swiftpg._lib.KIND_RLHF_LEARNER, swiftpg._lib.KIND_GAME,
             swiftpg._lib.KIND_GAME_PLAYER, swiftpg._lib.KIND_BOARD_NET, swiftpg._lib.KIND_BOARD_LEARNER,
             swiftpg._lib.KIND_ALPHAGO_PIPELINE]
    assert total == swiftpg.live_handles(swiftpg._lib.KIND_ALL) == sum(swiftpg.live_handles(k) for k in kinds)
    assert swiftpg.live_handles(np.int64(1)) == swiftpg.live_handles(1)


def test_policy_kwargs_is_checked_before_any_truth_test():
    """The issue's input: ``REINFORCE(..., policy=5, policy_kwargs=np.array([]))``
    raised numpy's "truth value of an empty array" ValueError."""
    cart = gymnasium.make("CartPole-v1")
    policy = P.SoftmaxPolicy(4, 2, hidden_sizes=())
    for bad in (np.array([]), np.array([1, 2]), "hidden_sizes", [("seed", 1)], 0, ()):
        for given in (5, policy, None):
            with pytest.raises(DTypeError, match="policy_kwargs must be a dict or None"):
                A.REINFORCE("CartPole-v1", policy=given, policy_kwargs=bad, num_envs=1)
            with pytest.raises(DTypeError, match="policy_kwargs must be a dict or None"):
                A.for_gymnasium("ppo", cart, policy=given, policy_kwargs=bad)
    with pytest.raises(DTypeError, match="keys must be str"):
        A.PPO("CartPole-v1", policy_kwargs={1: 2}, num_envs=1)
    with pytest.raises(InvalidArgumentError, match="not both"):
        A.REINFORCE("CartPole-v1", policy=policy, policy_kwargs={"seed": 1}, num_envs=1)
    # The other flag the lab tested for truth without checking.
    with pytest.raises(DTypeError, match="keep_samples must be a bool"):
        lab.run(lab.two_action(), P.ClampPolicy(0.3), ["full_return"], episodes=2, estimates=2,
                keep_samples=np.array([]))
    learner = A.REINFORCE("CartPole-v1", policy=policy, policy_kwargs={}, num_envs=1)   # an empty dict is fine
    _closing(learner, learner.env, policy)


def _lab_problems():
    return {
        "tabular": lab.tabular(np.full((2, 2, 2), 0.5), np.ones((2, 2)), [1.0, 0.0], horizon=3),
        "gridworld": lab.gridworld("S.G", slip=0.0),
        "short_corridor": lab.short_corridor(),
        "bandit": lab.bandit([0.1, 0.9]),
        "two_action": lab.two_action(),
        "simple_regulator": lab.simple_regulator(),
    }


def test_lab_problem_methods_check_their_arguments():
    """The issue's inputs — ``short_corridor().state_index("x", obs)``
    (AttributeError), ``gridworld("S.G").final_state_index([1, 2])`` (numpy
    AxisError), ``bandit([.1, .9]).state_index(None, 2**63)`` (TypeError) —
    and the same kind for every public method of every problem: only
    swiftpg's errors, and the valid calls still answer."""
    problems = _lab_problems()
    sc = problems["short_corridor"]
    with sc.make_env(2, 0) as env:
        obs, _ = env.reset(seed=0)
        with pytest.raises(DTypeError, match="env must be a swiftpg VectorEnv"):
            sc.state_index("x", obs)
    with pytest.raises(InvalidArgumentError, match=r"final_obs must have shape \(\?, 3\), got \(2,\)"):
        problems["gridworld"].final_state_index([1, 2])
    with pytest.raises(DTypeError, match="env must be a swiftpg VectorEnv"):
        problems["bandit"].state_index(None, 2**63)

    bad_values = [None, "x", "a\0b", 2**63, -1, 1.5, float("nan"), True, [1, 2], [[1], [1, 2]], {}, object(),
                  np.array([]), np.array(["a"]), np.array([1 + 2j]), np.zeros((2, 3, 4)), np.full((2, 1), np.inf)]
    for pname, problem in problems.items():
        other = problems["gridworld" if pname != "gridworld" else "bandit"].make_env(2, 0)
        env = problem.make_env(2, 0)
        obs, _ = env.reset(seed=0)
        calls = {
            "make_env.num_envs": lambda b: problem.make_env(b, 0),
            "make_env.seed": lambda b: problem.make_env(1, b),
            "exact": lambda b: problem.exact(b),
            "state_index.env": lambda b: problem.state_index(b, obs),
            "state_index.obs": lambda b: problem.state_index(env, b),
            "final_state_index": lambda b: problem.final_state_index(b),
        }
        for cname, call in calls.items():
            for bad in bad_values:
                try:
                    result = call(bad)
                except SwiftPGError:
                    continue
                except Exception as exc:        # pragma: no cover - the failure message
                    pytest.fail(f"{pname}.{cname}({bad!r}) raised {type(exc).__name__}: {exc}")
                valid_seed = bad is None or (type(bad) is int and bad == 2**63)     # None: a random seed
                assert cname == "make_env.seed" and valid_seed, f"{pname}.{cname}({bad!r}) accepted"
                result.close()
        with pytest.raises(InvalidArgumentError, match="is not an environment of"):
            problem.state_index(other, other.reset(seed=0)[0])
        with pytest.raises(InvalidArgumentError, match=r"obs must have shape \(2, "):
            problem.state_index(env, obs[:1])
        # The valid calls.
        index = problem.state_index(env, obs)
        if problem.num_states is None:
            assert index is None
        else:
            assert index.shape == (2,) and ((0 <= index) & (index < problem.num_states)).all()
        if pname in ("tabular", "gridworld"):
            assert (index == env.get_state()[:, 0]).all()
            eye = np.eye(problem.num_states)
            assert (problem.final_state_index(eye) == np.arange(problem.num_states)).all()
            with pytest.raises(InvalidArgumentError, match="one-hot"):
                problem.final_state_index(eye * 0.5)
            with pytest.raises(InvalidArgumentError, match="one-hot"):
                problem.state_index(env, np.zeros_like(obs))
        else:
            assert problem.final_state_index(obs) is None
        _closing(env, other)
        with pytest.raises(swiftpg.ClosedError):
            problem.state_index(env, obs)


def test_report_lookup_with_a_key_that_is_not_a_name():
    """Found by the Python fuzzer: ``report[np.array([])]`` compared the array
    with each name and raised numpy's truth-value ValueError. A key that is
    not a str is not in the report: UnknownEstimatorError (a KeyError too)."""
    policy = P.ClampPolicy(0.3)
    report = lab.run(lab.two_action(), policy, ["full_return"], episodes=2, estimates=2)
    for key in (np.array([]), np.array(["full_return"]), 0, None, ("full_return",)):
        with pytest.raises(lab.UnknownEstimatorError, match="estimator names are str"):
            report[key]
        with pytest.raises(KeyError):
            report[key]
    assert report["full_return"]["name"] == "full_return"
    policy.close()


def test_linear_features_policy_takes_an_empty_batch_of_feature_arrays():
    """Found by the Python fuzzer: features of shape (0, num_actions,
    feature_size) raised numpy's reshape ValueError; an empty batch now
    behaves as it does for the other policies (empty results)."""
    policy = P.LinearSoftmaxPolicy(1, 2)
    empty = np.zeros((0, 2, 1))
    assert policy.probabilities(empty).shape == (0, 2)
    assert policy.sample(empty).shape == (0,)
    assert policy.fisher_vector_product(empty, np.zeros(1)).shape == (1,)
    with pytest.raises(InvalidArgumentError, match=r"features must have shape \(batch, 2, 1\)"):
        policy.probabilities(np.zeros((0, 3, 1)))
    policy.close()


def _array_argument_calls():
    """Arguments that must be a str or an int given as numpy arrays (what
    fuzz_python found answered with numpy's own TypeError / ValueError,
    "truth value of an array is ambiguous", "unhashable type"): each must
    be refused with swiftpg's DTypeError, before anything changes."""
    from swiftpg import game_players as P
    from swiftpg import games, ladder, sgf

    # Games are loaded inside each call (a game is a native handle; one made
    # at collection time would outlive every test of this worker).
    def ttt():
        return games.load("tic_tac_toe")

    def c4_state():
        return games.load("connect_four").new_initial_state()

    nan = np.full((2, 2), np.nan)
    yield "State.apply_action", lambda: c4_state().apply_action(np.zeros(0))
    yield "State.apply_action 2x2", lambda: c4_state().apply_action(np.zeros((2, 2), np.int64))
    yield "State.child", lambda: ttt().new_initial_state().child(np.array(["a"]))
    yield "sgf.to_sgf", lambda: sgf.to_sgf(games.load("go", board_size=5), nan)
    yield "ladder.mistake_rate sides", lambda: ladder.mistake_rate(ttt(), P.RandomPlayer(), sides=np.zeros(0))
    yield "aec_env render_mode", lambda: __import__("swiftpg.game_aec").game_aec.aec_env(
        "go", board_size=5, render_mode=nan)


@pytest.mark.parametrize("name,call", list(_array_argument_calls()), ids=lambda x: x if isinstance(x, str) else "")
def test_array_arguments_where_a_str_or_int_belongs_raise_dtype_error(name, call):
    with pytest.raises(swiftpg.DTypeError):
        call()


def test_env_method_name_and_adr_plot_path_are_type_checked():
    pytest.importorskip("matplotlib")
    from swiftpg import envs, randomization, sb3

    venv = sb3.VecEnvCore("CartPole-v1", num_envs=2)
    with pytest.raises(swiftpg.DTypeError):
        venv.env_method(np.zeros(0), indices=0)
    venv.close()
    with envs.make_vec("CartPole-v1", num_envs=2) as env:
        length = float(env.get_parameter("length")[0])
        adr = randomization.ADR(env, {"length": randomization.ParameterSchedule(length, 0.05, (length, length))},
                                buffer_size=2)
        adr.snapshot()
        with pytest.raises(swiftpg.DTypeError):
            adr.plot(0)


def test_callback_hooks_called_before_init_callback_raise_a_clear_error():
    """SB3-style hooks called by hand before init_callback (fuzz_python:
    AttributeError on None.total_env_steps) raise InvalidArgumentError
    naming init_callback, and change nothing."""
    from swiftpg.callbacks import BaseCallback

    cb = BaseCallback()
    with pytest.raises(swiftpg.InvalidArgumentError, match="init_callback"):
        cb.on_training_start(100)
    with pytest.raises(swiftpg.InvalidArgumentError, match="init_callback"):
        cb.on_step()
    assert cb.n_calls == 0 and cb.total_env_steps == 0
