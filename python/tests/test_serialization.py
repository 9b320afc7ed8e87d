"""Issue 12: one serialisation of learners, policies, value functions and
environments (bundles, Sources/SwiftPG/Core/Serialization.swift).

A learner trained k iterations, saved (or pickled), opened in a fresh process
and trained k more equals the learner trained 2k iterations in one go, bit
for bit; ``PPO.load(path)`` rebuilds it from the file alone; policies, value
functions and environments pickle with their exact state; damaged,
truncated, foreign and older files raise BadFormatError and never crash the
process (the dangerous cases run in subprocesses).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import swiftpg
from swiftpg import _bundle as B
from swiftpg import algorithms, envs, policies

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: Small learners covering the state a resumed run needs: observation and
#: reward normalisation, PPO's KL β, gSDE's held noise, float32 networks,
#: domain randomisation, whole-episode collection, off-policy replay, the
#: natural-gradient learners, the one-step actor-critic and a tabular
#: environment (DQN and the policy searches: test_dqn.py, test_search.py).
MAKERS = {
    "ppo-normalised": """
        algorithms.PPO("CartPole-v1", num_envs=3, hidden_sizes=(8,), config=algorithms.PPOConfig(
            seed=5, steps_per_env=8, minibatch_size=12, epochs=2, normalize_observations=True,
            normalize_rewards=True, kl_penalty=True))""",
    "a2c-normalised-per-segment": """
        algorithms.A2C("CartPole-v1", num_envs=3, hidden_sizes=(8,), config=algorithms.A2CConfig(
            seed=6, steps_per_env=8, normalize_observations=True, normalize_rewards=True,
            normalization_update="segment", advantage="vtrace", vtrace_rho_bar=1.5, vtrace_c_bar=0.9))""",
    "ppo-gsde-float32-randomised": """
        (lambda env: (env.randomize_parameter("m", 0.8, 1.2), env.set_parameter("max_episode_steps", 30),
                      algorithms.PPO(env, num_envs=2, hidden_sizes=(6,), config=algorithms.PPOConfig(
                          seed=2, steps_per_env=8, minibatch_size=16, epochs=1),
                          policy_kwargs=dict(gsde=True, noise_interval=3, precision="float32")))[-1])(
            swiftpg.make_vec("Pendulum-v1", 2, seed=4))""",
    "reinforce-value": """
        algorithms.REINFORCE("CartPole-v1", num_envs=2, hidden_sizes=(6,), config=algorithms.ReinforceConfig(
            seed=1, steps_per_iteration=60, baseline="value"))""",
    "offpolicy": """
        algorithms.OffPolicyPG("CartPole-v1", num_envs=2, hidden_sizes=(6,), config=algorithms.OffPolicyPGConfig(
            seed=3, steps_per_iteration=50, reuse_batches=2))""",
    "trpo": """
        algorithms.TRPO("Acrobot-v1", num_envs=2, hidden_sizes=(6,), config=algorithms.TRPOConfig(
            seed=6, steps_per_env=8, minibatch_size=8, value_epochs=2, cg_iterations=4))""",
    "npg": """
        algorithms.NPG("CartPole-v1", num_envs=2, hidden_sizes=(6,), config=algorithms.NPGConfig(
            seed=9, steps_per_env=8, minibatch_size=8, value_epochs=1, cg_iterations=3))""",
    "actor-critic": """
        algorithms.ActorCritic("CartPole-v1", num_envs=2, hidden_sizes=(6,),
                               config=algorithms.ActorCriticConfig(seed=8, steps_per_env=3))""",
    "a2c-gridworld": """
        algorithms.A2C(envs.gridworld("S.#\\n..G", slip=0.2, num_envs=2, seed=7), hidden_sizes=(),
                       config=algorithms.A2CConfig(seed=4, steps_per_env=5))""",
}

FINGERPRINT = """
def fingerprint(learner, stats):
    import hashlib, numpy as np
    h = hashlib.sha256(learner.policy.get_params().tobytes())
    if learner.value is not None:
        h.update(learner.value.get_params().tobytes())
    for s in stats:
        h.update(np.array([s.policy_loss, s.value_loss, s.total_env_steps, s.mean_return]).tobytes())
        h.update(np.asarray(s.episode_returns).tobytes())
    h.update(learner.env.get_state().tobytes())
    return h.hexdigest()
"""


def run(code: str, timeout: float = 300, **blocks: str) -> str:
    """Runs ``code`` (dedented, then each ``@name@`` replaced by
    ``blocks[name]``) in a fresh interpreter with the package under test
    first on the path; fails on a non-zero exit."""
    code = textwrap.dedent(code)
    for name, text in blocks.items():
        code = code.replace(f"@{name}@", text.strip())
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_resume_in_a_fresh_process_is_exact(tmp_path, kind):
    """k iterations, save and pickle, k more; a fresh process opens the file
    (and another unpickles the bytes) and runs the k more: identical."""
    k = 2
    path = tmp_path / "learner.ckpt"
    blob = tmp_path / "learner.pickle"
    out = run(f"""
        import pickle, json, swiftpg
        from swiftpg import algorithms, envs
        @fingerprint@
        learner = @maker@
        first = [learner.iterate() for _ in range({k})]
        learner.save({str(path)!r})
        with open({str(blob)!r}, "wb") as f:
            pickle.dump(learner, f)
        steps = learner.total_env_steps
        more = [learner.iterate() for _ in range({k})]
        print(json.dumps(dict(steps=steps, fingerprint=fingerprint(learner, more))))
    """, fingerprint=FINGERPRINT, maker=MAKERS[kind])
    expected = json.loads(out.strip().splitlines()[-1])
    for how in ("file", "pickle"):
        out = run(f"""
            import pickle, json, swiftpg
            from swiftpg import algorithms
            @fingerprint@
            if {how!r} == "file":
                learner = algorithms.PolicyGradientLearner.load({str(path)!r})
            else:
                with open({str(blob)!r}, "rb") as f:
                    learner = pickle.load(f)
            steps = learner.total_env_steps
            more = [learner.iterate() for _ in range({k})]
            print(json.dumps(dict(steps=steps, fingerprint=fingerprint(learner, more))))
        """, fingerprint=FINGERPRINT)
        assert json.loads(out.strip().splitlines()[-1]) == expected, how


def test_a_resume_that_loses_state_is_detected(tmp_path):
    """The exact-resume check can fail: a learner restored into one whose
    episodes restarted (its environment reset) continues differently."""
    cfg = algorithms.PPOConfig(seed=5, steps_per_env=8, minibatch_size=12, epochs=1)
    a = algorithms.PPO("CartPole-v1", num_envs=3, hidden_sizes=(8,), config=cfg)
    a.iterate()
    data = pickle.dumps(a)
    b = pickle.loads(data)
    c = pickle.loads(data)
    c.env.reset(seed=99)             # the environment's state is part of what must be restored
    sb, sc = b.iterate(), c.iterate()
    assert not np.array_equal(b.policy.get_params(), c.policy.get_params()) or sb.policy_loss != sc.policy_loss
    for obj in (a, b, c):
        for o in (obj, obj.env, obj.policy, obj.value):
            o.close()


def test_load_rebuilds_everything_from_the_file(tmp_path):
    path = str(tmp_path / "ppo.ckpt")
    cfg = algorithms.PPOConfig(seed=9, steps_per_env=8, minibatch_size=16, epochs=1, clip_range=0.3)
    with algorithms.PPO("Pendulum-v1", num_envs=2, hidden_sizes=(5,), config=cfg) as a:
        a.iterate()
        a.save(path)
        b = algorithms.PPO.load(path)
        assert type(b) is algorithms.PPO and b.config == a.config
        assert b.total_env_steps == a.total_env_steps == 16 and b.iteration == 1 and b.history == []
        assert isinstance(b.env, swiftpg.VectorEnv) and b.env.env_id == "Pendulum-v1" and b.env.num_envs == 2
        assert isinstance(b.policy, policies.GaussianPolicy) and isinstance(b.value, policies.ValueFunction)
        np.testing.assert_array_equal(b.policy.params, a.policy.params)
        np.testing.assert_array_equal(b.env.get_state(), a.env.get_state())
        returns, _ = b.evaluate(episodes=2, num_envs=1)              # a spawned batch of the loaded env
        assert returns.shape == (2,)
        assert type(algorithms.load(path)) is algorithms.PPO
        with pytest.raises(swiftpg.BadFormatError, match="holds a ppo learner, not trpo"):
            algorithms.TRPO.load(path)
        # The policy and the critic of a learner file load alone.
        np.testing.assert_array_equal(policies.load(path).params, a.policy.params)
        np.testing.assert_array_equal(policies.load_value(path).params, a.value.params)
        # Restoring into an existing learner keeps its objects and config.
        with algorithms.PPO("Pendulum-v1", num_envs=2, hidden_sizes=(5,), config=cfg.replace(seed=1)) as c:
            env = c.env
            c.load(path)
            assert c.env is env and c.config.seed == 1 and c.total_env_steps == 16
            np.testing.assert_array_equal(c.policy.params, a.policy.params)
            np.testing.assert_array_equal(c.env.get_state(), a.env.get_state())
            for o in (c.env, c.policy, c.value):
                o.close()
        for o in (b, b.env, b.policy, b.value, a.env, a.policy, a.value):
            o.close()
    with pytest.raises(swiftpg.CheckpointIOError):
        algorithms.PPO.load(str(tmp_path / "missing.ckpt"))


def test_policies_value_functions_and_environments_pickle_exactly():
    obs = np.linspace(-1, 1, 12).reshape(4, 3)
    made = [policies.GaussianPolicy(3, 2, hidden_sizes=(4,), gsde=True, noise_interval=5, seed=1, precision="float32"),
            policies.SoftmaxPolicy(3, 2, hidden_sizes=(4, 3), activation="relu", seed=2),
            policies.ClampPolicy(0.3)]
    made[0].sample(obs)                                   # gSDE now holds a noise matrix
    for p in made:
        x = obs if p.observation_size == 3 else np.ones((4, 1))
        q = pickle.loads(pickle.dumps(p))
        assert type(q) is type(p) and q.precision == p.precision
        assert getattr(q, "hidden_sizes", None) == getattr(p, "hidden_sizes", None)
        for _ in range(3):
            np.testing.assert_array_equal(p.sample(x), q.sample(x))
        q.close()
    v = policies.ValueFunction(3, hidden_sizes=(4,), precision="float32")
    w = pickle.loads(pickle.dumps(v))
    assert w.precision == "float32"
    np.testing.assert_array_equal(v.predict(obs), w.predict(obs))
    for env in (swiftpg.make_vec("Acrobot-v1", 3, seed=2), envs.gridworld(num_envs=2, seed=1),
                envs.bandit([0.1, 0.9], kind="bernoulli", num_envs=2, seed=3),
                envs.tabular(np.full((2, 2, 2), 0.5), np.eye(2), np.array([1.0, 0.0]), gamma=0.9, seed=1)):
        env.reset()
        actions = np.zeros(env.num_envs, np.int32)
        env.step(actions)
        copy = pickle.loads(pickle.dumps(env))
        assert copy.env_id == env.env_id and copy.num_envs == env.num_envs
        for _ in range(5):
            a, b = env.step(actions), copy.step(actions)
            for x, y in zip(a[:4], b[:4]):
                np.testing.assert_array_equal(x, y)
        if env.env_id == "GridWorld":
            assert copy.render_text(0) == env.render_text(0)
        copy.close()
        env.close()
    for o in made + [v, w]:
        o.close()
    with pytest.raises(swiftpg.ClosedError):
        pickle.dumps(v)


def test_damaged_bundles_raise_bad_format_and_never_crash(tmp_path):
    """Every field of a learner bundle removed, retyped or set to extreme
    values, truncations and flipped bytes, through PPO.load (rebuild from the
    file) and unpickling; and damaged policy, value and environment bundles.
    Each loads or raises BadFormatError; the process never dies."""
    out = run(f"""
        import copy, math, pickle, swiftpg, numpy as np
        from swiftpg import algorithms, policies, envs, _bundle as B
        from swiftpg.algorithms._learner import _restore_learner
        from swiftpg.policies import _restore_policy, _restore_value
        from swiftpg.envs import _restore_env
        learner = algorithms.OffPolicyPG("CartPole-v1", num_envs=2, hidden_sizes=(4,),
            config=algorithms.OffPolicyPGConfig(steps_per_iteration=20, reuse_batches=2))
        learner.iterate()
        path = {str(tmp_path / "l.ckpt")!r}
        learner.save(path)
        def unpickler(obj):
            # (the object's bundle, what unpickles a damaged copy of it)
            restore, args = obj.__reduce__()[:2]
            return args[0], lambda blob: restore(blob, *args[1:]), False
        sources = [(open(path, "rb").read(), lambda b: algorithms.PolicyGradientLearner.load(path), True),
                   unpickler(learner), unpickler(policies.GaussianPolicy(2, 1, hidden_sizes=(3,), gsde=True)),
                   unpickler(policies.ValueFunction.tabular(3)), unpickler(envs.gridworld("S.G", num_envs=2))]
        rng = np.random.default_rng(0)
        tried = refused = 0
        for data, load, via_file in sources:
            kind, record = B.decode(data)
            variants = [data[:n] for n in (0, 8, 20, len(data) // 2, len(data) - 1)]
            for _ in range(20):
                b = bytearray(data)
                b[rng.integers(16, len(b) - 8)] ^= 0xFF
                variants.append(bytes(b[:-8]) + B.fnv1a64(bytes(b[:-8])).to_bytes(8, "little"))
            for p, tag in B.paths(record):
                for change in ("remove", "retype", "extreme"):
                    r = copy.deepcopy(record)
                    if change == "remove":
                        B.set_field(r, p, None, None)
                    elif change == "retype":
                        B.set_field(r, p, *((B.TEXT, "x") if tag != B.TEXT else (B.DOUBLE, math.nan)))
                    else:
                        v = B.get(record, p)[1]
                        if tag == B.INT:
                            B.set_field(r, p, tag, -1 if v else 2**62)
                        elif tag == B.DOUBLE:
                            B.set_field(r, p, tag, math.nan)
                        elif tag == B.DOUBLES and v:
                            B.set_field(r, p, tag, [math.inf] + list(v[1:]))
                        elif tag == B.INTS and v:
                            B.set_field(r, p, tag, [2**62] + list(v[1:]))
                        elif tag == B.WORDS:
                            B.set_field(r, p, tag, list(v) + [1])
                        else:
                            continue
                    variants.append(B.encode(kind, r))
            for blob in variants:
                tried += 1
                try:
                    if via_file:
                        open(path, "wb").write(blob)
                        obj = load(blob)
                    else:
                        obj = load(blob)
                except swiftpg.BadFormatError:
                    refused += 1
                    continue
                except swiftpg.CheckpointIOError:
                    refused += 1
                    continue
                if hasattr(obj, "iterate"):
                    try:
                        obj.iterate()
                    except swiftpg.SwiftPGError:
                        pass
                    for o in (obj, obj.env, obj.policy, obj.value):
                        if o is not None:
                            o.close()
                else:
                    obj.close()
        print("tried", tried, "refused", refused, "live", swiftpg.live_handles())
    """, timeout=600)
    print(out)
    words = out.split()
    tried, refused = int(words[words.index("tried") + 1]), int(words[words.index("refused") + 1])
    assert tried > 300 and refused > tried // 2, out


def test_bundle_format_round_trips_in_python(tmp_path):
    """swiftpg._bundle reads and writes what the library writes."""
    with algorithms.A2C("CartPole-v1", num_envs=2, hidden_sizes=(), config=algorithms.A2CConfig(steps_per_env=4)) as a:
        a.iterate()
        path = tmp_path / "a2c.ckpt"
        a.save(str(path))
        data = path.read_bytes()
        kind, record = B.decode(data)
        assert kind == 3 and B.encode(kind, record) == data
        assert record["algorithm"] == (B.TEXT, "a2c")
        assert record["learner"][1]["version"] == (B.INT, 3)
        assert record["environment"][1]["id"] == (B.TEXT, "CartPole-v1")
        assert record["config"][1]["steps_per_env"] == (B.INT, 4)
        for o in (a.env, a.policy, a.value):
            o.close()


def test_serialize_reports_its_size_and_refuses_a_small_buffer():
    import ctypes

    from swiftpg import _lib
    env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
    size = ctypes.c_int64()
    buf = ctypes.create_string_buffer(8)
    with pytest.raises(swiftpg.SwiftPGError, match="needs .* bytes, capacity is 8") as e:
        _lib.call("env_serialize", env.handle, buf, 8, ctypes.byref(size))
    assert e.value.status == _lib.ERR_BUFFER_TOO_SMALL and size.value == len(_lib.read_bytes("env_serialize", env.handle))
    with pytest.raises(swiftpg.SwiftPGError):
        _lib.call("env_serialize", env.handle, None, 5, ctypes.byref(size))          # NULL with a capacity
    with pytest.raises(swiftpg.BadFormatError):
        _lib.call("env_deserialize", b"SWPGCKPT", 8, ctypes.byref(ctypes.c_uint64()))
    with pytest.raises(swiftpg.InvalidArgumentError):
        _lib.call("env_deserialize", b"", -1, ctypes.byref(ctypes.c_uint64()))
    # A restored environment names its id and spawns fresh batches of itself.
    copy = pickle.loads(pickle.dumps(env))
    assert _lib.read_lines(_lib.lib.swiftpg_env_get_id, copy.handle) == ["CartPole-v1"]
    fresh = copy.spawn(3, seed=1)
    assert fresh.num_envs == 3 and fresh.env_id == "CartPole-v1"
    for o in (fresh, copy, env):
        o.close()


def test_a_gymnasium_trained_learner_loads_with_its_env_again(tmp_path):
    """PPO.load(path, env=...): a learner trained on a Gymnasium env has no
    swiftpg env in its file; the env given again is checked and kept."""
    import gymnasium as gym
    from swiftpg.algorithms import PPO, PPOConfig, for_gymnasium

    env = gym.make("CartPole-v1")
    learner = for_gymnasium("ppo", env, config=PPOConfig(seed=0, steps_per_env=64, minibatch_size=32))
    learner.learn_gymnasium(None, 128)                  # the env given to for_gymnasium
    path = tmp_path / "gym.swiftpg"
    learner.save(path)
    learner.close()
    with PPO.load(path, env=env) as loaded:
        assert loaded.env is None and loaded.gymnasium_env is env
        loaded.learn_gymnasium(None, 128)
        assert loaded.total_env_steps >= 256
    with PPO.load(path) as bare:
        with pytest.raises(swiftpg.InvalidArgumentError, match="Gymnasium env"):
            bare.learn_gymnasium(None, 128)
    with pytest.raises(swiftpg.InvalidArgumentError, match="does not fit"):
        PPO.load(path, env=gym.make("Pendulum-v1"))
    with PPO("CartPole-v1", num_envs=2, config=PPOConfig(steps_per_env=16, minibatch_size=32)) as own:
        own.save(tmp_path / "own.swiftpg")
    with pytest.raises(swiftpg.InvalidArgumentError, match="holds its own environment"):
        PPO.load(tmp_path / "own.swiftpg", env=env)
    env.close()
