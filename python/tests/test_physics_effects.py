"""Observation noise and action delay ("custom physics" effects, issue 20):
the creation keyword ``max_action_delay``, the two parameters, the action
history as state (get/set, pickling, spawn), Gymnasium alignment of a delayed
CartPole, ADR over the delay, and bad input refused with nothing changed."""
import pickle

import gymnasium
import numpy as np
import pytest

import swiftpg
from swiftpg import InvalidArgumentError
from swiftpg.randomization import ADR, ParameterSchedule

CLASSIC = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"]


def random_actions(env, rng):
    if env.discrete:
        return rng.integers(0, env.num_actions, env.num_envs).astype(np.int32)
    return rng.uniform(env.action_low, env.action_high, (env.num_envs, env.action_size))


@pytest.mark.parametrize("env_id", CLASSIC)
def test_effects_off_are_bit_identical(env_id):
    plain = swiftpg.make_vec(env_id, 3, seed=4, max_episode_steps=20)
    off = swiftpg.make_vec(env_id, 3, seed=4, max_episode_steps=20, max_action_delay=2,
                           action_delay=0, observation_noise=0)
    assert off.state_size == plain.state_size + 2 * plain.action_size + 1  # + the started flag
    np.testing.assert_array_equal(plain.reset()[0], off.reset()[0])
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = random_actions(plain, rng)
        p, q = plain.step(a), off.step(a)
        for x, y in zip(p[:4], q[:4]):
            np.testing.assert_array_equal(x, y)


def test_delayed_cartpole_matches_gymnasium_fed_the_shifted_actions():
    """swiftpg CartPole-v1 with a delay of 2 steps = Gymnasium's CartPole-v1
    given a_max(t-2, 0) at step t, observation for observation."""
    k = 2
    ours = swiftpg.make("CartPole-v1", max_action_delay=3, action_delay=k)
    theirs = gymnasium.make("CartPole-v1")
    rng = np.random.default_rng(1)
    for episode in range(3):
        o1, _ = ours.reset(seed=10 + episode)
        o2, _ = theirs.reset(seed=10 + episode)
        np.testing.assert_allclose(o1, o2, rtol=0, atol=1e-6)  # Gymnasium observes float32
        given = []
        done = False
        while not done:
            a = int(rng.integers(2))
            given.append(a)
            o1, r1, t1, u1, _ = ours.step(a)
            o2, r2, t2, u2, _ = theirs.step(given[max(len(given) - 1 - k, 0)])
            np.testing.assert_allclose(o1, o2, rtol=0, atol=1e-5)
            assert (r1, t1, u1) == (r2, t2, u2)
            done = t1 or u1
        assert len(given) > k


def test_observation_noise_statistics_and_state():
    sigma = 0.1
    noisy = swiftpg.make_vec("Acrobot-v1", 128, seed=2, observation_noise=sigma)
    clean = swiftpg.make_vec("Acrobot-v1", 128, seed=2)
    residuals = [noisy.reset()[0] - clean.reset()[0]]
    rng = np.random.default_rng(3)
    for _ in range(5):  # Acrobot's first episodes last far longer than 5 steps
        a = random_actions(noisy, rng)
        residuals.append(noisy.step(a)[0] - clean.step(a)[0])
        np.testing.assert_array_equal(noisy.get_state(), clean.get_state())
    r = np.concatenate(residuals).ravel()
    n = r.size
    assert abs(r.mean()) < 4 * sigma / np.sqrt(n)
    assert abs(r.var(ddof=1) - sigma ** 2) < 4 * sigma ** 2 * np.sqrt(2 / (n - 1))


def test_history_is_state_pickled_and_spawned():
    env = swiftpg.make_vec("CartPole-v1", 2, seed=0, max_action_delay=3, action_delay=2)
    env.reset()
    rng = np.random.default_rng(4)
    for _ in range(4):
        env.step(random_actions(env, rng))
    state = env.get_state()
    assert state.shape == (2, 8)
    copy = pickle.loads(pickle.dumps(env))
    assert copy.max_action_delay == 3
    np.testing.assert_array_equal(copy.get_state(), state)
    for _ in range(30):
        a = random_actions(env, rng)
        for x, y in zip(env.step(a)[:4], copy.step(a)[:4]):
            np.testing.assert_array_equal(x, y)
    spawned = env.spawn(1, seed=0)
    assert spawned.max_action_delay == 3 and spawned.state_size == 8
    assert spawned.get_parameter("action_delay")[0] == 2


def test_bad_input_changes_nothing():
    env = swiftpg.make_vec("CartPole-v1", 2, seed=0, max_action_delay=1)
    env.reset()
    before = env.get_state()
    bad = before.copy()
    bad[0, 4] = 2  # not a CartPole action
    with pytest.raises(InvalidArgumentError, match="action history"):
        env.set_state(bad)
    np.testing.assert_array_equal(env.get_state(), before)
    with pytest.raises(InvalidArgumentError, match="max_action_delay 1"):
        env.set_parameter("action_delay", 2)
    with pytest.raises(InvalidArgumentError):
        env.randomize_parameter("action_delay", 0, 2.5)
    with pytest.raises(InvalidArgumentError):
        env.set_parameter("observation_noise", -1)
    assert list(env.get_parameter("action_delay")) == [0, 0]
    for value in (-1, 65, 2.5, "3"):
        with pytest.raises((InvalidArgumentError, TypeError, ValueError)):
            swiftpg.make_vec("CartPole-v1", 1, max_action_delay=value)
    with pytest.raises(swiftpg.SwiftPGError, match="no action delay"):
        swiftpg.make_vec("ShortCorridor-v0", 1, max_action_delay=1)


def test_adr_widens_the_delay_in_whole_steps():
    """A policy-free check of ADR over action_delay: with a success return no
    episode can miss, every pinned upper boundary succeeds and moves by the
    step (1), never beyond the limit (the capacity)."""
    env = swiftpg.make_vec("CartPole-v1", 16, seed=5, max_action_delay=3)
    adr = ADR(env, {"action_delay": ParameterSchedule(nominal=0, step=1, limits=(0, 3))}, success_return=0,
              buffer_size=2)
    env.reset()
    rng = np.random.default_rng(6)
    for _ in range(400):
        env.step(random_actions(env, rng))
    low, high = adr.ranges["action_delay"]
    assert low == 0 and high == 3
    delays = env.get_parameter("action_delay")  # drawn from [0, 3]: the delay is the floor
    assert ((0 <= delays) & (delays <= 3)).all() and len(set(np.floor(delays))) >= 2


def test_review_findings_of_the_effects(tmp_path):
    """The fresh-eyes review's cases: a learner file of another
    max_action_delay is refused (no crash); ADR over the delay, huge
    continuous actions and noisy learners pickle and continue exactly; a
    state copied at an episode's start continues identically; default
    schedules keep the current values; odd arguments raise swiftpg's errors."""
    from swiftpg.algorithms import PPO, PPOConfig
    from swiftpg import BadFormatError, DTypeError
    cfg = PPOConfig(seed=1, steps_per_env=8, minibatch_size=16, epochs=1)
    big = PPO(swiftpg.make_vec("CartPole-v1", 4, seed=0, max_action_delay=5), hidden_sizes=(8,), config=cfg)
    big.save(tmp_path / "big")
    small = PPO(swiftpg.make_vec("CartPole-v1", 4, seed=0), hidden_sizes=(8,), config=cfg)
    with pytest.raises(BadFormatError, match="max_action_delay 5"):
        small.load(tmp_path / "big")
    small.iterate()
    assert small.env.get_state().shape == (4, 4)
    assert PPO.load(tmp_path / "big").env.max_action_delay == 5   # opened from the file: the file's K

    env = swiftpg.make_vec("CartPole-v1", 4, max_action_delay=2)
    ADR(env, ["action_delay"])
    assert pickle.loads(pickle.dumps(env)).adr_state() is not None

    pend = swiftpg.make_vec("Pendulum-v1", 1, max_action_delay=1)
    pend.reset(seed=0)
    pend.step(np.array([[2e6]]))
    twin = pickle.loads(pickle.dumps(pend))
    for _ in range(3):
        np.testing.assert_array_equal(pend.step(np.array([[1e300]]))[0], twin.step(np.array([[1e300]]))[0])

    noisy = PPO(swiftpg.make_vec("CartPole-v1", 4, seed=0, observation_noise=0.1), hidden_sizes=(8,), config=cfg)
    noisy.iterate()
    copy_ = pickle.loads(pickle.dumps(noisy))
    assert noisy.iterate().policy_loss == copy_.iterate().policy_loss
    np.testing.assert_array_equal(noisy.policy.get_params(), copy_.policy.get_params())

    a = swiftpg.make_vec("CartPole-v1", 1, seed=0, max_action_delay=1, action_delay=1)
    b = swiftpg.make_vec("CartPole-v1", 1, seed=0, max_action_delay=1, action_delay=1)
    a.reset(seed=0)
    a.step(np.array([1]))
    b.reset(seed=3)
    b.set_state(a.get_state())
    for action in (0, 1, 1, 0):
        np.testing.assert_array_equal(a.step(np.array([action]))[0], b.step(np.array([action]))[0])
    fresh = swiftpg.make_vec("CartPole-v1", 1, seed=0, max_action_delay=1)
    fresh.reset()
    assert fresh.get_state()[0, -1] == 0   # the started flag: the next step fills the history

    kept = swiftpg.make_vec("CartPole-v1", 2, max_action_delay=3, observation_noise=0.2, action_delay=2)
    assert ParameterSchedule.default(kept, "observation_noise").nominal == 0.2
    assert ParameterSchedule.default(kept, "action_delay").nominal == 2
    kept.set_parameter("action_delay", 1e-7)          # ⌊d⌋ = 0: no magnitude rule for the effects

    vec = swiftpg.make_vec("CartPole-v1", 2, render_mode="rgb_array")
    assert pickle.loads(pickle.dumps(vec)).render_mode == "rgb_array"
    assert vec.spawn(1, seed=0).render_mode == "rgb_array"
    for bad in (True, 1.0, "0"):
        with pytest.raises(DTypeError):
            vec.render(bad)
    obs, _ = vec.reset(seed=np.array(5))
    np.testing.assert_array_equal(obs, swiftpg.make_vec("CartPole-v1", 2).reset(seed=5)[0])
