"""train_together: K learners in one native call end exactly as trained
alone; bad lists are refused before anything trains; a failing learner is
named and the others finish; Ctrl-C stops all of them."""

import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import swiftpg
from swiftpg import _lib
from swiftpg.algorithms import A2C, PPO, A2CConfig, PPOConfig, train_together


def ppo(seed, **extra):
    config = PPOConfig(seed=seed, steps_per_env=16, minibatch_size=32, epochs=2, update_threads=2).replace(**extra)
    return PPO("CartPole-v1", config=config, num_envs=4, hidden_sizes=(16, 16))


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_each_learner_ends_as_if_trained_alone(threads):
    together = [ppo(s) for s in range(3)] + [A2C("CartPole-v1", config=A2CConfig(seed=9), num_envs=4,
                                                  hidden_sizes=(8,))]
    stats = train_together(together, 2_000, threads=threads)
    alone = [ppo(s) for s in range(3)] + [A2C("CartPole-v1", config=A2CConfig(seed=9), num_envs=4,
                                             hidden_sizes=(8,))]
    for a in alone:
        a.train(2_000)
    for k, (t, a) in enumerate(zip(together, alone)):
        assert t.total_env_steps == a.total_env_steps >= 2_000
        assert np.array_equal(t.policy.params, a.policy.params), k
        assert np.array_equal(t.value.params, a.value.params), k
        assert len(stats[k]) == len(a.history) == t.iteration
        assert t.history[-len(stats[k]):] == stats[k]
        assert [s.policy_loss for s in stats[k]] == [s.policy_loss for s in a.history]
    for learner in together + alone:
        learner.close()


def test_a_trained_learner_is_not_trained_again():
    learner = ppo(0)
    learner.train(640)
    before = learner.policy.params.copy()
    assert train_together([learner], 640) == [[]]
    assert np.array_equal(learner.policy.params, before)
    learner.close()


def test_bad_lists_are_refused_before_anything_trains():
    a, b = ppo(0), ppo(1)
    with pytest.raises(swiftpg.InvalidArgumentError, match="at least one"):
        train_together([], 100)
    with pytest.raises(TypeError, match=r"learners\[1\]"):
        train_together([a, "PPO"], 100)
    with pytest.raises(swiftpg.DTypeError, match="must be a list"):
        train_together(None, None)
    with pytest.raises(swiftpg.InvalidArgumentError, match="threads"):
        train_together([a], 100, threads=0)
    with pytest.raises(swiftpg.InvalidArgumentError, match="total_env_steps"):
        train_together([a], 0)
    with pytest.raises(swiftpg.InvalidArgumentError, match="listed twice"):
        train_together([a, b, a], 100)
    env = swiftpg.make_vec("CartPole-v1", 4, seed=0)
    c = PPO(env, config=PPOConfig(seed=2, steps_per_env=16, minibatch_size=32))
    d = PPO(env, config=PPOConfig(seed=3, steps_per_env=16, minibatch_size=32))
    with pytest.raises(swiftpg.InvalidArgumentError, match="share their environment"):
        train_together([a, c, d], 100)
    assert a.total_env_steps == b.total_env_steps == c.total_env_steps == d.total_env_steps == 0
    for learner in (a, b, c, d):
        learner.close()
    env.close()
    with pytest.raises(swiftpg.ClosedError):
        train_together([a], 100)


def test_a_failing_learner_is_named_and_the_others_finish():
    good, bad = ppo(0), ppo(1, learning_rate=1e300)     # its second step overflows
    initial = bad.policy.params.copy()
    with pytest.raises(swiftpg.NumericalError, match="learner 1"):
        train_together([good, bad], 1_000)
    assert good.total_env_steps >= 1_000
    assert bad.total_env_steps == 0 and np.array_equal(bad.policy.params, initial)
    good.close()
    bad.close()


def test_across_several_calls_a_failure_keeps_the_others_going_and_every_statistic(monkeypatch):
    """Long runs are trained in several native calls (each records at most
    _RECORDED_PER_CALL iterations); a learner failing in the first still
    leaves the others training to the total, and no statistic is lost."""
    from swiftpg.algorithms import together
    monkeypatch.setattr(together, "_RECORDED_PER_CALL", 64)      # 64 iterations (4096 steps) per call
    good, bad = ppo(0), ppo(1, learning_rate=1e300)
    with pytest.raises(swiftpg.NumericalError, match="learner 1"):
        train_together([good, bad], 10_000)
    assert good.total_env_steps >= 10_000 and len(good.history) == good.iteration == good.total_env_steps // 64
    assert bad.total_env_steps == 0 and bad.history == []
    good.close()
    bad.close()


def test_ctrl_c_stops_every_learner_between_iterations():
    code = textwrap.dedent("""
        import time
        from swiftpg.algorithms import PPO, PPOConfig, train_together
        ls = [PPO("CartPole-v1", config=PPOConfig(seed=s, steps_per_env=16, minibatch_size=32), num_envs=4)
              for s in range(3)]
        print("ready", flush=True)
        try:
            train_together(ls, 10**9, threads=2)
        except KeyboardInterrupt:
            # Two threads: learners 0 and 1 were training (if the signal came after the
            # call began: on a loaded machine it may come first), learner 2 waited for a thread.
            print("interrupted", [l.total_env_steps > 0 for l in ls], flush=True)
        train_together(ls, max(l.total_env_steps for l in ls) + 64)
        print("usable", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(2.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert ("interrupted [True, True, False]" in out or "interrupted [False, False, False]" in out) \
        and "usable" in out, out
