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
