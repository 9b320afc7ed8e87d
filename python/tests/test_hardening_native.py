"""Issue 11, the native kinds: each bad input of the issue gets its expected
behaviour (a clean error, nothing changed), tested as a kind.

Anything that used to abort or hang the process runs in a subprocess with a
timeout, so a regression fails this test instead of killing pytest.
"""

from __future__ import annotations

import math
import os
import stat
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import swiftpg
from swiftpg import _lib, algorithms, envs, estimators, policies

# the checkpoint container (Sources/SwiftPG/Core/Checkpoint.swift), shared with the fuzzers
from checkpoint_file import decode, encode  # noqa: E402


def run_isolated(code: str, timeout: float = 120) -> str:
    """Runs ``code`` in a fresh interpreter; fails on a non-zero exit (a trap,
    an abort or an uncaught exception) or a time-out (a hang)."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}"
    return proc.stdout


# --- kind 1: allocations bounded before allocating ------------------------------
def test_oversized_objects_are_refused_before_allocating():
    out = run_isolated("""
        import swiftpg
        from swiftpg import policies, envs, algorithms, InvalidArgumentError
        cases = {
            "softmax 65536x65536": lambda: policies.SoftmaxPolicy(4, 2, hidden_sizes=(65536, 65536)),
            "gaussian 65536x65536": lambda: policies.GaussianPolicy(4, 2, hidden_sizes=(65536, 65536)),
            "value 65536x65536": lambda: policies.ValueFunction(4, hidden_sizes=(65536, 65536)),
            "gsde L 65536 x 4096": lambda: policies.GaussianPolicy(4, 4096, hidden_sizes=(65536,), gsde=True),
            "gridworld 1 x 65535": lambda: envs.gridworld("." * 65535),
            "gridworld 2 x 8192": lambda: envs.gridworld(("." * 8192 + "\\n") * 2),
            "search population 2^31-1": lambda: algorithms.PolicySearch(
                "CartPole-v1", config=algorithms.SearchConfig(population_size=2**31 - 1, elite_count=10)),
        }
        for name, make in cases.items():
            try:
                make()
            except InvalidArgumentError as e:
                print(name, "refused:", e)
            else:
                raise SystemExit(f"{name} was accepted")
    """)
    assert out.count("refused") == 7, out


def test_policy_checkpoint_declaring_huge_sizes_is_refused(tmp_path):
    # Under 100 bytes with a valid checksum; declares hidden sizes (65536, 65536).
    path = tmp_path / "tiny.ckpt"
    data = encode(1, 1, [4, 2, 0, 2, 65536, 65536], [])
    assert len(data) < 100
    path.write_bytes(data)
    out = run_isolated(f"""
        from swiftpg import policies, BadFormatError
        for loader in (policies.load, policies.load_value):
            try:
                loader({str(path)!r})
            except BadFormatError as e:
                print("refused:", e)
    """)
    assert out.count("refused") == 2, out
    # A value-function checkpoint declaring sizes the parameter count cannot back.
    path.write_bytes(encode(2, 1, [4, 0, 2, 65536, 65536], [0.0] * 3))
    with pytest.raises(swiftpg.BadFormatError):
        policies.load_value(str(path))


def test_evaluation_streams_its_results():
    """200k episodes used to keep every transition (~4.4M of them, hundreds of
    MB); now only returns and lengths are kept."""
    out = run_isolated("""
        import resource, numpy as np, swiftpg
        from swiftpg import policies
        p = policies.SoftmaxPolicy(4, 2, hidden_sizes=())
        p.evaluate("CartPole-v1", episodes=1000, greedy=False, num_envs=64)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        returns, lengths = p.evaluate("CartPole-v1", episodes=200_000, greedy=False, num_envs=64)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert returns.shape == (200_000,) and lengths.sum() > 2_000_000, lengths.sum()
        print("growth_kb", after - before)
    """, timeout=300)
    growth = int(out.split("growth_kb")[1])
    assert growth < 40_000, out


# --- kind 4: unbounded native loops -----------------------------------------
def test_episodic_work_without_a_time_limit_is_refused_and_a_cap_works():
    out = run_isolated("""
        import swiftpg
        from swiftpg import policies, algorithms, InvalidArgumentError
        env = swiftpg.make_vec("Pendulum-v1", 2, seed=0, max_episode_steps=0)
        p = policies.GaussianPolicy(3, 1)
        try:
            p.evaluate(env, episodes=1)
        except InvalidArgumentError as e:
            assert "max_episode_steps" in str(e), e
            print("refused")
        r, l = p.evaluate(env, episodes=3, max_episode_steps=17)
        assert list(l) == [17, 17, 17], l
        assert env.get_parameter("max_episode_steps")[0] == 0   # restored
        learner = algorithms.REINFORCE(swiftpg.make_vec("Pendulum-v1", 2, seed=0, max_episode_steps=0))
        try:
            learner.iterate()
        except InvalidArgumentError as e:
            assert "max_episode_steps" in str(e), e
            print("refused")
    """, timeout=60)
    assert out.count("refused") == 2, out


def test_ctrl_c_interrupts_a_long_native_call():
    """SIGINT during a very long evaluation stops it between steps; the
    objects stay usable and the request does not leak into the next call."""
    code = textwrap.dedent("""
        import sys, time, swiftpg
        from swiftpg import policies
        p = policies.SoftmaxPolicy(4, 2, hidden_sizes=(16,))
        env = swiftpg.make_vec("CartPole-v1", 8, seed=0)
        print("ready", flush=True)
        t = time.monotonic()
        try:
            p.evaluate(env, episodes=2**24, greedy=False)
        except KeyboardInterrupt:
            print("interrupted after", round(time.monotonic() - t, 2), flush=True)
        r, l = p.evaluate(env, episodes=4)
        assert len(r) == 4
        learner = swiftpg.algorithms.REINFORCE("CartPole-v1")
        learner.iterate()
        print("usable", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        import time
        time.sleep(1.0)
        proc.send_signal(__import__("signal").SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "interrupted after" in out and "usable" in out, out


def test_cancel_request_is_consumed_or_withdrawn():
    env = swiftpg.make_vec("CartPole-v1", 4, seed=0)
    p = policies.SoftmaxPolicy(4, 2, hidden_sizes=())
    _lib.call("cancel", env.handle, 1)
    with pytest.raises(_lib.CancelledError):
        p.evaluate(env, episodes=10)
    p.evaluate(env, episodes=10)              # consumed: the next call runs
    _lib.call("cancel", env.handle, 1)
    _lib.call("cancel", env.handle, 0)        # withdrawn
    p.evaluate(env, episodes=10)
    with pytest.raises(swiftpg.InvalidArgumentError):
        _lib.call("cancel", env.handle, 2)
    with pytest.raises(swiftpg.BadHandleError):
        _lib.call("cancel", 0, 1)


# --- kinds 5 and 6: learner checkpoints validated, then committed ----------------
def _ppo_checkpoint(tmp_path):
    learner = algorithms.PPO("CartPole-v1", num_envs=2, hidden_sizes=(8,),
                             config=algorithms.PPOConfig(steps_per_env=16, minibatch_size=16, epochs=1))
    learner.iterate()
    path = tmp_path / "ppo.ckpt"
    learner.save(str(path))
    return learner, path


def _rewrite(path, edit, kind=None, version=2):
    """Edits a learner bundle's record in place (``edit(record)``; see
    swiftpg._bundle) and writes it back with a valid checksum."""
    from swiftpg import _bundle as B
    k, record = B.decode(path.read_bytes())
    edit(record)
    path.write_bytes(B.encode(k if kind is None else kind, record, version=version))


def _set(*path_and_value):
    """An edit setting the field at a path (names and list indices) to
    ``(tag, value)``, or removing it with ``None``."""
    from swiftpg import _bundle as B
    *path, value = path_and_value

    def edit(record):
        if value is None:
            B.set_field(record, tuple(path), None, None)
        else:
            B.set_field(record, tuple(path), *value)
    return edit


def _with_item(path, index, value):
    """An edit setting item ``index`` of the array at ``path``."""
    from swiftpg import _bundle as B

    def edit(record):
        tag, values = B.get(record, path)
        values = list(values)
        values[index] = value
        B.set_field(record, path, tag, values)
    return edit


from swiftpg import _bundle as _B  # noqa: E402

LEARNER_EDITS = {
    "critic NaN": _with_item(("critic", "parameters"), 3, math.nan),
    "policy inf": _with_item(("policy", "parameters"), 0, math.inf),
    "beta NaN": _set("learner", "adaptive_coefficient", (_B.DOUBLE, math.nan)),
    "beta inf": _set("learner", "adaptive_coefficient", (_B.DOUBLE, math.inf)),
    "beta negative": _set("learner", "adaptive_coefficient", (_B.DOUBLE, -1.0)),
    "optimizer kind": _set("learner", "policy_optimizer", "kind", (_B.TEXT, "rmsprop")),
    "adam v negative": _with_item(("learner", "policy_optimizer", "v"), 0, -1.0),
    "iteration negative": _set("learner", "iteration", (_B.INT, -1)),
    "normaliser present": _set("learner", "observation_normalizer",
                               (_B.RECORD, {"count": (_B.DOUBLE, 1.0), "mean": (_B.DOUBLES, [0.0] * 4),
                                            "variance": (_B.DOUBLES, [1.0] * 4)})),
    "lane count": _set("learner", "lane_generators", (_B.WORDS, [1] * 12)),
    "state NaN": _with_item(("environment", "states"), 1, math.nan),
    "elapsed negative": _with_item(("environment", "elapsed"), 0, -5),
    "parameter out of range": _with_item(("environment", "parameters", 2, "values"), 0, 1e9),
    "config unknown field": _set("config", "momentum", (_B.DOUBLE, 0.9)),
    "config missing field": _set("config", "clip_range", None),
    "collector lengths": _with_item(("learner", "collector", "running_length"), 1, -1),
    "another environment": _set("environment", "id", (_B.TEXT, "Acrobot-v1")),
}


@pytest.mark.parametrize("what", sorted(LEARNER_EDITS))
def test_bad_learner_checkpoint_fields_change_nothing(tmp_path, what):
    learner, path = _ppo_checkpoint(tmp_path)
    _rewrite(path, LEARNER_EDITS[what])
    before_policy = learner.policy.get_params().copy()
    before_value = learner.value.get_params().copy()
    before_state = learner.env.get_state().copy()
    steps = learner.total_env_steps
    with pytest.raises(swiftpg.BadFormatError):
        learner.load(str(path))
    with pytest.raises(swiftpg.BadFormatError):
        algorithms.PPO.load(str(path))                # nothing leaks either (conftest checks the handles)
    np.testing.assert_array_equal(learner.policy.get_params(), before_policy)
    np.testing.assert_array_equal(learner.value.get_params(), before_value)
    np.testing.assert_array_equal(learner.env.get_state(), before_state)
    assert learner.total_env_steps == steps
    learner.iterate()                         # still trains
    learner.close()
    learner.env.close()
    learner.policy.close()
    learner.value.close()


def test_huge_header_fields_are_format_errors(tmp_path):
    learner, path = _ppo_checkpoint(tmp_path)
    _rewrite(path, _set("algorithm", (_B.TEXT, "x" * 10_000)), kind=2**31 + 3)
    out = run_isolated(f"""
        from swiftpg import algorithms, BadFormatError
        learner = algorithms.PPO("CartPole-v1", num_envs=2, hidden_sizes=(8,),
                                 config=algorithms.PPOConfig(steps_per_env=16, minibatch_size=16, epochs=1))
        for load in (learner.load, algorithms.PPO.load):
            try:
                load({str(path)!r})
            except BadFormatError as e:
                print("refused:", e)
    """)
    assert out.count("refused") == 2 and "unknown object kind 2147483651" in out, out
    learner.close()
    learner.env.close()
    learner.policy.close()
    learner.value.close()


def test_a_learner_checkpoint_of_another_version_names_the_version(tmp_path):
    learner, path = _ppo_checkpoint(tmp_path)
    # 0.1 wrote the algorithm alone in the family field of a format-1 file
    # (learner state version 1); the 0.2 pre-releases added version 2.
    path.write_bytes(encode(3, 6, [0, 1, 2, 3, 4], [0.0] * 10))
    with pytest.raises(swiftpg.BadFormatError, match=r"format version 1 with learner state version 1 \(swiftpg 0\.1\)"
                                                     r".*format version 2 \(learner state version 3\)"):
        learner.load(str(path))
    path.write_bytes(encode(3, (2 << 16) | 6, [0, 1, 2, 3, 4], [0.0] * 10))
    with pytest.raises(swiftpg.BadFormatError, match=r"learner state version 2 \(swiftpg 0\.2 pre-release\)"):
        algorithms.PPO.load(str(path))
    learner.save(str(path))
    _rewrite(path, _set("learner", "version", (_B.INT, 4)))
    with pytest.raises(swiftpg.BadFormatError, match="learner state has version 4; this library reads version 3"):
        learner.load(str(path))
    learner.save(str(path))
    _rewrite(path, lambda r: None, version=3)
    with pytest.raises(swiftpg.BadFormatError, match="format version 3; a bundle has format version 2"):
        learner.load(str(path))
    learner.save(str(path))
    _rewrite(path, _set("algorithm", (_B.TEXT, "a2c")))
    with pytest.raises(swiftpg.BadFormatError, match="a2c learner, not ppo"):
        learner.load(str(path))
    learner.close()
    learner.env.close()
    learner.policy.close()
    learner.value.close()


# --- kind 7: stale handles stay stale ------------------------------------------
def test_handles_carry_36_bit_generations_and_are_never_reissued():
    seen = set()
    for _ in range(300):
        env = swiftpg.make_vec("CartPole-v1", 1)
        h = env.handle
        assert h >> 56 == _lib.KIND_ENV
        assert h not in seen
        seen.add(h)
        env.close()
    # The same slot came back with new generations; the old handles stay dead.
    assert len({h & 0xFFFFF for h in seen}) < len(seen)
    out = np.empty((1, 4))
    for h in list(seen)[:20]:
        with pytest.raises(swiftpg.BadHandleError):
            _lib.call("env_get_state", h, out.ctypes.data)


# --- kind 8: saving never replaces what is at the path ---------------------------
def _policy(seed=0):
    return policies.SoftmaxPolicy(4, 2, hidden_sizes=(4,), seed=seed)


def test_save_through_a_symlink_keeps_the_link(tmp_path):
    target = tmp_path / "real.ckpt"
    (tmp_path / "sub").mkdir()
    link = tmp_path / "sub" / "link.ckpt"
    link.symlink_to("../real.ckpt")              # relative, resolved from the link's directory
    p = _policy(1)
    p.save(str(link))
    assert link.is_symlink() and target.is_file()
    np.testing.assert_array_equal(policies.load(str(target)).get_params(), p.get_params())
    q = _policy(2)
    q.save(str(link))                            # again, over an existing target
    assert link.is_symlink()
    np.testing.assert_array_equal(policies.load(str(link)).get_params(), q.get_params())


def test_save_refuses_a_target_that_is_not_a_regular_file(tmp_path):
    directory = tmp_path / "dir"
    directory.mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (directory, fifo, tmp_path / "link-to-fifo"):
        if path.name == "link-to-fifo":
            path.symlink_to(fifo)
        with pytest.raises(swiftpg.CheckpointIOError):
            _policy().save(str(path))
    assert directory.is_dir() and stat.S_ISFIFO(os.stat(fifo).st_mode)
    # Loading a FIFO is refused at once (no blocking open).
    out = run_isolated(f"""
        from swiftpg import policies, CheckpointIOError
        try:
            policies.load({str(fifo)!r})
        except CheckpointIOError as e:
            print("refused:", e)
    """, timeout=30)
    assert "refused" in out


def test_save_uses_a_fresh_temporary_file_and_keeps_permissions(tmp_path):
    path = tmp_path / "p.ckpt"
    decoy = tmp_path / "p.ckpt.tmp"
    decoy.write_text("not mine")
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / f"p.ckpt.tmp-{os.getpid()}-1").symlink_to(victim)
    _policy().save(str(path))
    path.chmod(0o600)
    _policy(3).save(str(path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert decoy.read_text() == "not mine" and victim.read_text() == "keep"
    left = sorted(f.name for f in tmp_path.iterdir())
    assert left == sorted(["p.ckpt", "p.ckpt.tmp", "victim", f"p.ckpt.tmp-{os.getpid()}-1"]), left


def test_concurrent_saves_to_one_path_leave_one_whole_checkpoint(tmp_path):
    path = str(tmp_path / "shared.ckpt")
    saved = [_policy(seed) for seed in range(4)]
    errors = []

    def work(p):
        try:
            for _ in range(20):
                p.save(path)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(p,)) for p in saved]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    got = policies.load(path).get_params()
    assert any(np.array_equal(got, p.get_params()) for p in saved)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["shared.ckpt"]


# --- kind 10: extreme but finite inputs --------------------------------------
def test_softmax_is_right_at_huge_logits():
    p = policies.TabularSoftmaxPolicy(1, 3)
    obs = np.array([[1.0]])
    for big in (1e16, 1e100, 1e308):
        p.set_params(np.array([big, big, big]))
        np.testing.assert_allclose(p.log_prob(obs, np.array([1], np.int32)), [-math.log(3)], rtol=1e-12)
        np.testing.assert_allclose(p.entropy(obs), [math.log(3)], rtol=1e-12)
    # A probability that underflows to 0 still has a finite log and a finite KL.
    p.set_params(np.array([0.0, -800.0, 0.0]))
    np.testing.assert_allclose(p.log_prob(obs, np.array([1], np.int32)), [-800 - math.log(2)], rtol=1e-12)
    kl = p.kl(obs, np.zeros(3))[0]                # KL(uniform ‖ π)
    expected = (math.log(1 / 3) - (-math.log(2))) * 2 / 3 + (math.log(1 / 3) + 800 + math.log(2)) / 3
    assert math.isfinite(kl) and abs(kl - expected) < 1e-9 * expected


def test_gaussian_samples_that_overflow_are_a_numerical_error():
    p = policies.GaussianPolicy(3, 1, hidden_sizes=(), initial_log_std=800.0)   # σ = e^800 = inf
    with pytest.raises(swiftpg.NumericalError):
        p.sample(np.zeros((2, 3)))
    params = p.get_params()
    params[-1] = 0.0
    p.set_params(params)
    assert np.isfinite(p.sample(np.zeros((2, 3)))).all()


def test_norms_and_means_near_the_ends_of_the_double_range():
    g, norm = estimators.scale_gradient(np.full(4, 1e200), 1.0)
    assert norm == 2e200
    np.testing.assert_allclose(g, np.full(4, 0.5), rtol=1e-12)          # was all zeros (norm overflowed)
    tiny = np.full(4, 1e-200)
    g, norm = estimators.scale_gradient(tiny, 1.0)
    np.testing.assert_allclose(norm, 2e-200, rtol=1e-12)                # was 0 (squares underflowed)
    np.testing.assert_array_equal(g, tiny)
    centred, mean = estimators.mean_baseline(np.array([1.5e308, 1.5e308]))
    assert mean == 1.5e308                                               # was inf (the sum overflowed)
    np.testing.assert_array_equal(centred, [0.0, 0.0])
    centred, mean = estimators.mean_baseline(np.array([1.5e308, 1.5e308, 0.5e308]), leave_one_out=True)
    np.testing.assert_allclose(centred, [0.5e308, 0.5e308, -1.0e308], rtol=1e-12)


# --- kinds 11 and 12: degenerate normalisation, zero policy gradient ----------------
def test_std_scaling_never_amplifies_constant_weights():
    env = swiftpg.make_vec("TwoAction-v0", 8, seed=0, reward_left=1.0, reward_right=1.0)
    cfg = algorithms.ReinforceConfig(baseline="none", normalize_advantages=True, optimizer="sgd",
                                     learning_rate=0.01, steps_per_iteration=64)
    learner = algorithms.REINFORCE(env, policy=policies.SoftmaxPolicy(1, 2, hidden_sizes=()), config=cfg)
    before = learner.policy.get_params().copy()
    learner.iterate()
    step = np.abs(learner.policy.get_params() - before).max()
    assert step < 0.1, step                      # was ±2.5e5 (division by std + 1e-8 with std = 0)


@pytest.mark.parametrize("name", ["NPG", "TRPO"])
def test_zero_policy_gradient_still_trains_the_critic(name):
    env = swiftpg.make_vec("TwoAction-v0", 8, seed=0, reward_left=1.0, reward_right=1.0)
    config = getattr(algorithms, name + "Config")(normalize_advantages=True, steps_per_env=8, minibatch_size=0)
    learner = getattr(algorithms, name)(env, hidden_sizes=(4,), config=config)
    before = learner.value.get_params().copy()
    stats = learner.iterate()
    assert stats.value_loss > 0.1, stats.value_loss   # was 0.0 (the update returned early)
    assert not np.array_equal(learner.value.get_params(), before)


@pytest.mark.parametrize("name", ["NPG", "TRPO"])
def test_entropy_coef_has_an_effect_on_natural_gradients(name):
    def entropy_after(coef):
        config = getattr(algorithms, name + "Config")(entropy_coef=coef, steps_per_env=32, minibatch_size=0, seed=0)
        learner = getattr(algorithms, name)("CartPole-v1", num_envs=4, hidden_sizes=(8,), config=config)
        obs = np.random.default_rng(0).normal(size=(256, 4)) * 0.05
        learner.iterate()
        return learner.policy.entropy(obs).mean()

    assert entropy_after(10.0) > entropy_after(0.0) + 1e-6


# --- kind 13: the terminal state until reset() --------------------------------
def test_single_env_reports_the_terminal_state_until_reset():
    import gymnasium as gym

    ours = swiftpg.make("CartPole-v1")
    theirs = gym.make("CartPole-v1")
    ours.reset(seed=3)
    theirs.reset(seed=3)
    for episode in range(2):
        for t in range(1, 501):
            _, _, term, trunc, _ = ours.step(t % 2)
            _, _, gterm, gtrunc, _ = theirs.step(t % 2)
            assert (term, trunc) == (gterm, gtrunc)
            np.testing.assert_array_equal(ours.get_state(), np.asarray(theirs.unwrapped.state, np.float64))
            assert ours.elapsed_steps == t
            if term or trunc:
                break
        assert term or trunc
        np.testing.assert_array_equal(ours.get_state(), np.asarray(theirs.unwrapped.state, np.float64))
        ours.reset()
        theirs.reset()
        np.testing.assert_array_equal(ours.get_state(), np.asarray(theirs.unwrapped.state, np.float64))
        assert ours.elapsed_steps == 0


# --- found by the fresh-eyes review ---------------------------------------------
def test_any_exception_while_waiting_cancels_and_waits_for_the_native_call():
    """A SIGALRM time-out handler (pytest-timeout's signal mode) raising during
    evaluate used to leave the native call writing into freed arrays."""
    out = run_isolated("""
        import signal, threading, numpy as np, swiftpg
        from swiftpg.algorithms import PPO
        learner = PPO("Pendulum-v1", num_envs=4)
        def alarm(*_):
            raise TimeoutError("time-out")
        signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        try:
            learner.evaluate(episodes=2**20)
        except TimeoutError:
            pass
        running = [t.name for t in threading.enumerate() if t.name.startswith("swiftpg")]
        assert not running, running
        arrays = [np.full(3000, 7.0) for _ in range(200)]
        import time; time.sleep(0.5)
        assert all((a == 7.0).all() for a in arrays)
        learner.iterate()
        print("ok")
    """, timeout=60)
    assert "ok" in out


def test_a_signal_handled_on_another_thread_still_interrupts_the_wait():
    """Python runs signal handlers in the main thread, but the C-level handler
    runs on whichever thread the kernel picked; a signal landing on another
    thread (here sent to one with pthread_kill) used to leave the main
    thread asleep in its wait for the native call, which ran to the end."""
    out = run_isolated("""
        import signal, threading, time, swiftpg
        from swiftpg import policies
        p = policies.SoftmaxPolicy(4, 2, hidden_sizes=(16,))
        env = swiftpg.make_vec("CartPole-v1", 8, seed=0)
        def alarm(*_):
            raise TimeoutError("time-out")
        signal.signal(signal.SIGALRM, alarm)
        def other():
            time.sleep(0.3)
            signal.pthread_kill(threading.get_ident(), signal.SIGALRM)
        threading.Thread(target=other, daemon=True).start()
        start = time.monotonic()
        try:
            p.evaluate(env, episodes=2**24, greedy=False)
        except TimeoutError:
            print("interrupted after", round(time.monotonic() - start, 1))
        r, l = p.evaluate(env, episodes=4)
        print("usable", len(r))
    """, timeout=60)
    assert "interrupted after" in out and "usable 4" in out, out


def test_interruptible_calls_leave_the_signal_mask_as_they_found_it():
    """The wait holds signals back while its worker thread starts; a call that
    ended before the first pass of the wait loop once left them blocked, and
    every process started afterwards inherited the mask (no Ctrl-C)."""
    import signal
    before = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
    p = policies.SoftmaxPolicy(4, 2, hidden_sizes=())
    for _ in range(50):
        p.evaluate(env, episodes=1)
    assert signal.pthread_sigmask(signal.SIG_BLOCK, ()) == before


def test_interruptible_calls_reuse_one_worker_thread():
    """The main thread's native calls run on a persistent worker (a thread
    per call cost 0.5-0.8 ms); between calls it is idle and not named
    swiftpg... (a thread so named is a call in flight)."""
    out = run_isolated("""
        import threading, swiftpg
        from swiftpg import policies
        env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
        p = policies.SoftmaxPolicy(4, 2, hidden_sizes=())
        p.evaluate(env, episodes=1)
        before = {t.ident for t in threading.enumerate()}
        for _ in range(100):
            r, _ = p.evaluate(env, episodes=2)
            assert len(r) == 2
        after = {t.ident for t in threading.enumerate()}
        assert after == before, (before, after)
        assert len(before) == 2, threading.enumerate()
        assert not [t.name for t in threading.enumerate() if t.name.startswith("swiftpg")]
        print("ok")
    """, timeout=60)
    assert "ok" in out


def test_an_exception_inside_the_worker_reaches_the_caller():
    """A ctypes argument error raised on the worker used to vanish (the call
    returned None); the worker survives it."""
    import ctypes
    env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
    p = policies.SoftmaxPolicy(4, 2, hidden_sizes=())
    with pytest.raises(ctypes.ArgumentError):
        _lib.call_interruptible("policy_evaluate", env.handle, p.handle, "not a handle", 1, 0, 0, None, None)
    with pytest.raises(TypeError):
        _lib.call_interruptible("policy_evaluate", env.handle, p.handle)
    r, _ = p.evaluate(env, episodes=3)
    assert len(r) == 3


def test_a_signal_handler_may_make_interruptible_calls_while_the_main_thread_waits():
    """Re-entrancy: a handler that runs while the main thread waits for its
    worker gets a worker of its own; both calls complete."""
    out = run_isolated("""
        import signal, swiftpg
        from swiftpg import policies
        p = policies.SoftmaxPolicy(4, 2, hidden_sizes=(16,))
        env = swiftpg.make_vec("CartPole-v1", 8, seed=0)
        small_env = swiftpg.make_vec("CartPole-v1", 2, seed=1)
        q = policies.SoftmaxPolicy(4, 2, hidden_sizes=())
        seen = []
        def tick(*_):
            r, _ = q.evaluate(small_env, episodes=2)
            seen.append(len(r))
        signal.signal(signal.SIGALRM, tick)
        signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02)
        r, _ = p.evaluate(env, episodes=2**14)
        signal.setitimer(signal.ITIMER_REAL, 0)
        assert len(r) == 2**14 and seen and set(seen) == {2}, (len(r), seen)
        print("ok", len(seen))
    """, timeout=120)
    assert "ok" in out


def test_interruptible_calls_work_in_a_forked_child():
    """A forked child has none of the parent's worker threads: it starts its own."""
    out = run_isolated("""
        import os, swiftpg
        from swiftpg import policies
        env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
        p = policies.SoftmaxPolicy(4, 2, hidden_sizes=())
        p.evaluate(env, episodes=1)
        pid = os.fork()
        if pid == 0:
            r, _ = p.evaluate(env, episodes=3)
            os._exit(0 if len(r) == 3 else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        r, _ = p.evaluate(env, episodes=3)
        print("ok", len(r))
    """, timeout=60)
    assert "ok 3" in out


def test_learner_checkpoint_of_another_architecture_is_refused(tmp_path):
    path = str(tmp_path / "a.ckpt")
    cfg = algorithms.ReinforceConfig(steps_per_iteration=500)
    a = algorithms.REINFORCE("CartPole-v1", policy=policies.SoftmaxPolicy(4, 2, (2, 5), activation="relu"), config=cfg)
    a.iterate()
    a.save(path)
    b = algorithms.REINFORCE("CartPole-v1", policy=policies.SoftmaxPolicy(4, 2, (5,)), config=cfg)  # also 37 params
    assert a.policy.num_params == b.policy.num_params
    before = b.policy.get_params().copy()
    with pytest.raises(swiftpg.BadFormatError):
        b.load(path)
    np.testing.assert_array_equal(b.policy.get_params(), before)
    c = algorithms.REINFORCE("CartPole-v1", policy=policies.SoftmaxPolicy(4, 2, (2, 5), activation="relu"), config=cfg)
    c.load(path)
    np.testing.assert_array_equal(c.policy.get_params(), a.policy.get_params())


def test_policy_outputs_that_overflow_are_numerical_errors():
    g = policies.GaussianPolicy(4, 1, (), initial_log_std=-1000.0)       # σ underflows to 0
    for call in (lambda: g.log_prob(np.zeros((1, 4)), np.zeros((1, 1))),
                 lambda: g.score_gradient(np.zeros((1, 4)), np.zeros((1, 1)), np.ones(1))):
        with pytest.raises(swiftpg.NumericalError):
            call()
    s = policies.SoftmaxPolicy(4, 3, ())
    s.set_params(np.full(s.num_params, 1e308))                          # logits overflow to inf
    with pytest.raises(swiftpg.NumericalError):
        s.entropy(np.ones((1, 4)))
    c = policies.ClampPolicy(0.0)                                        # π(left) = 0: log π = −∞ is right
    assert c.log_prob(np.zeros((1, 1)), np.array([0], np.int32))[0] == -np.inf


def test_learners_evaluate_on_a_spawn_of_their_own_env():
    env = envs.gridworld("SG", num_envs=4)
    learner = algorithms.REINFORCE(env, policy=policies.TabularSoftmaxPolicy(*env.tabular_sizes()))
    returns, lengths = learner.evaluate(5)                               # was UnknownEnvironmentError
    assert (returns == 1).all()
    pendulum = swiftpg.make_vec("Pendulum-v1", 2, g=0.0)
    spawned = pendulum.spawn(3, seed=1)
    assert spawned.num_envs == 3 and (spawned.get_parameter("g") == 0).all()
    algorithms.PPO("CartPole-v1", config=algorithms.PPOConfig(seed=2**64 - 1))   # critic seed wraps


def test_extreme_states_and_duplicate_envs_are_refused():
    env = swiftpg.make_vec("MountainCar-v0", 1)
    with pytest.raises(swiftpg.InvalidArgumentError):
        env.set_state([[1e308, 0.0]])
    import gymnasium as gym
    e = gym.make("CartPole-v1")
    learner = algorithms.for_gymnasium("ppo", [e, e])     # only the spaces are read here (issue 11, kind 14)
    with pytest.raises(swiftpg.InvalidArgumentError):
        learner.learn_gymnasium([e, e], 256)              # stepping one object as two lanes is refused
    single = swiftpg.make("CartPole-v1")
    single.close()
    with pytest.raises(swiftpg.ClosedError):
        single.step(0)
