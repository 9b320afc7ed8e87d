"""ctypes releases the GIL: concurrent calls must be safe or refused."""

import threading

import numpy as np

import swiftpg


def test_separate_envs_step_concurrently_and_deterministically():
    def work(seed, out):
        env = swiftpg.make_vec("CartPole-v1", 64, seed=seed, copy=False)
        env.reset()
        acts = np.zeros(64, np.int32)
        total = 0.0
        for t in range(2000):
            acts[:] = t % 2
            obs, rew, *_ = env.step(acts)
            total += float(obs.sum())
        env.close()
        out[seed] = total

    results = {}
    threads = [threading.Thread(target=work, args=(s, results)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    serial = {}
    for s in range(4):
        work(s, serial)
    assert results == serial


def test_one_env_from_many_threads_is_safe():
    """Sharing one env between threads: every call either runs whole or is
    refused with BusyError; nothing is corrupted, nothing crashes."""
    env = swiftpg.make_vec("CartPole-v1", 4096, seed=0)
    env.reset()
    busy = []
    ok = []

    def hammer():
        acts = np.zeros(4096, np.int32)
        for _ in range(200):
            try:
                env.step(acts)
                ok.append(1)
            except swiftpg.BusyError:
                busy.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ok) + len(busy) == 800
    assert len(ok) > 0
    state = env.get_state()
    assert np.isfinite(state).all() and (np.abs(state[:, 0]) <= 2.4 + 0.1).all()
    env.close()


def test_handle_tables_survive_concurrent_create_destroy():
    errors = []

    def churn():
        try:
            for _ in range(300):
                e = swiftpg.make_vec("CartPole-v1", 2)
                p = swiftpg.policies.SoftmaxPolicy(4, 2, hidden_sizes=(4,))
                e.close()
                p.close()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def _trace(env_id, threads, randomize):
    env = swiftpg.make_vec(env_id, 4500, seed=2, num_threads=threads)
    if randomize:
        name = {"CartPole-v1": "length", "Acrobot-v1": "link_mass_2", "Pendulum-v1": "m"}[env_id]
        value = env.get_parameter(name)[0]
        env.randomize_parameter(name, 0.8 * value, 1.2 * value)
    env.reset()
    rng = np.random.default_rng(1)
    out = []
    for _ in range(120):
        a = rng.integers(0, env.num_actions, 4500) if env.discrete else rng.uniform(-2, 2, (4500, 1))
        obs, rew, term, trunc, info = env.step(a)
        out.append(np.concatenate([obs.ravel(), rew, term, trunc, info.get("final_obs", np.zeros((1, 1))).ravel()]))
    env.close()
    return np.concatenate(out)


import pytest  # noqa: E402


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Acrobot-v1", "Pendulum-v1"])
@pytest.mark.parametrize("randomize", [False, True])
def test_results_do_not_depend_on_the_thread_count(env_id, randomize):
    one = _trace(env_id, 1, randomize)
    for threads in (2, 3, 4, 8):
        assert np.array_equal(one, _trace(env_id, threads, randomize)), threads


def _acrobot_rollout(seed, threads):
    env = swiftpg.make_vec("Acrobot-v1", 2048, seed=seed, num_threads=threads, copy=False)
    env.reset()
    acts = np.zeros(2048, np.int32)
    total = 0.0
    for t in range(60):
        acts[:] = t % 3
        obs, *_ = env.step(acts)
        total += float(obs.sum())
    env.close()
    return total


def test_parallel_envs_from_several_python_threads():
    """Several threaded envs stepped from several Python threads share the
    pool (a busy pool makes a caller run serially): no crash, same results."""
    results = {}
    threads = [threading.Thread(target=lambda s=s: results.__setitem__(s, _acrobot_rollout(s, 2)))
               for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {s: _acrobot_rollout(s, 1) for s in range(4)}


def test_num_threads_validation():
    env = swiftpg.make_vec("CartPole-v1", 4)
    for bad in (0, -1, 65):
        with pytest.raises(ValueError):
            env.num_threads = bad
    env.num_threads = 4
    assert env.num_threads == 4
    env.close()
