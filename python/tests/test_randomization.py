"""Per-instance physics parameters, domain randomisation and ADR."""

import gymnasium as gym
import numpy as np
import pytest

import swiftpg
from swiftpg.randomization import ADR, ParameterSchedule


def test_set_parameter_matches_gymnasium_with_the_same_constants():
    """A longer, heavier pole and stronger push: the step equals Gymnasium's
    CartPole with the same attributes (its derived constants updated)."""
    env = swiftpg.make("CartPole-v1", length=0.9, masspole=0.3, force_mag=15.0, gravity=9.81)
    ref = gym.make("CartPole-v1").unwrapped
    ref.length, ref.masspole, ref.force_mag, ref.gravity = 0.9, 0.3, 15.0, 9.81
    ref.total_mass = ref.masspole + ref.masscart
    ref.polemass_length = ref.masspole * ref.length
    rng = np.random.default_rng(0)
    for trial in range(20):
        env.reset(seed=trial)
        ref.reset(seed=trial)
        state = rng.uniform([-1, -1, -0.15, -1], [1, 1, 0.15, 1])
        env.set_state(state)
        ref.state = state.copy()
        for t in range(50):
            a = int(rng.integers(2))
            o_ref, r_ref, term_ref, _, _ = ref.step(a)
            o, r, term, _, _ = env.step(a)
            assert np.array_equal(o, o_ref) and term == term_ref
            if term:
                break
    env.close()


def test_pendulum_mass_length_gravity_match_gymnasium():
    env = swiftpg.make("Pendulum-v1", g=9.81, m=1.3, l=0.7)
    ref = gym.make("Pendulum-v1", g=9.81).unwrapped
    ref.m, ref.l = 1.3, 0.7
    rng = np.random.default_rng(1)
    env.reset(seed=0)
    ref.reset(seed=0)
    for t in range(200):
        u = np.array([rng.uniform(-2.5, 2.5)], np.float32)
        o_ref, r_ref, *_ = ref.step(u)
        o, r, *_ = env.step(u)
        assert np.array_equal(o, o_ref) and r == r_ref
    env.close()


def test_longer_pole_changes_dynamics_as_the_equations_say():
    """theta_acc at theta = 0.1, at rest, push right, for two pole lengths:
    the observed change of theta_dot equals tau * theta_acc from the
    Florian (2007) equations."""
    for length in (0.5, 1.5):
        e = swiftpg.make_vec("CartPole-v1", 1, seed=0, length=length)
        e.set_state([[0.0, 0.0, 0.1, 0.0]])
        e.step(np.array([1]))
        theta_dot = e.get_state()[0, 3]
        g, mc, mp, F = 9.8, 1.0, 0.1, 10.0
        temp = F / (mc + mp)
        acc = (g * np.sin(0.1) - np.cos(0.1) * temp) / (length * (4 / 3 - mp * np.cos(0.1) ** 2 / (mc + mp)))
        assert abs(theta_dot - 0.02 * acc) < 1e-12
        e.close()


def test_randomised_parameters_are_drawn_per_instance_at_every_reset():
    n = 4000
    env = swiftpg.make_vec("CartPole-v1", n, seed=5)
    env.randomize_parameter("length", 0.3, 0.9)
    env.randomize_parameter("masscart", 0.5, 2.0)
    env.reset()
    length = env.get_parameter("length")
    assert length.min() >= 0.3 and length.max() <= 0.9
    # Uniform: mean within 5 standard errors, and values differ between instances.
    assert abs(length.mean() - 0.6) < 5 * (0.6 / np.sqrt(12)) / np.sqrt(n)
    assert len(np.unique(length)) == n
    before = length.copy()
    env.reset()
    assert not np.array_equal(env.get_parameter("length"), before)
    # Automatic resets draw new values for the instances that ended.
    rng = np.random.default_rng(0)
    current = env.get_parameter("length")
    for _ in range(30):
        _, _, term, trunc, _ = env.step(rng.integers(0, 2, n))
        new = env.get_parameter("length")
        ended = term | trunc
        assert np.array_equal(new[~ended], current[~ended])
        assert np.all(new[ended] != current[ended])
        current = new
    # set_parameter stops randomising.
    env.set_parameter("length", 0.5)
    env.reset()
    assert np.all(env.get_parameter("length") == 0.5)
    env.close()


def test_randomisation_does_not_change_the_state_stream():
    a = swiftpg.make_vec("Pendulum-v1", 16, seed=9)
    b = swiftpg.make_vec("Pendulum-v1", 16, seed=9)
    b.randomize_parameter("m", 0.5, 2.0)
    b.randomize_parameter("g", 8.0, 12.0)
    oa, _ = a.reset()
    ob, _ = b.reset()
    assert np.array_equal(oa, ob)
    a.close()
    b.close()


@pytest.mark.parametrize("call, words", [
    (lambda e: e.set_parameter("lenght", 1.0), "no parameter 'lenght'"),
    (lambda e: e.set_parameter("masspole", -1.0), "must be > 0"),
    (lambda e: e.set_parameter("length", float("nan")), "finite"),
    (lambda e: e.randomize_parameter("length", 0.9, 0.3), "low <= high"),
    (lambda e: e.randomize_parameter("masscart", -1.0, 1.0), "must be > 0"),
    (lambda e: e.set_parameter("max_episode_steps", 2.5), "whole number"),
    (lambda e: e.randomize_parameter("max_episode_steps", 1, 5), "cannot be randomised"),
    (lambda e: e.set_parameter("length", "long"), "number"),
])
def test_bad_parameters(call, words):
    env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
    before = env.get_parameter("length")
    with pytest.raises((ValueError, TypeError), match=words):
        call(env)
    assert np.array_equal(env.get_parameter("length"), before)
    env.close()


def test_parameter_names_and_time_limit():
    env = swiftpg.make_vec("Pendulum-v1", 2, seed=0, max_episode_steps=3)
    assert "g" in env.parameter_names and "max_episode_steps" in env.parameter_names
    env.reset()
    flags = [env.step(np.zeros((2, 1)))[3].all() for _ in range(3)]
    assert flags == [False, False, True]
    env.close()


def test_adr_widens_narrows_and_holds():
    env = swiftpg.make_vec("CartPole-v1", 8, seed=0)
    adr = ADR(env, {"length": ParameterSchedule(0.5, step=0.1, limits=(0.3, 0.8))}, window=10,
              widen_above=0.8, narrow_below=0.4)
    assert adr.ranges == {"length": (0.5, 0.5)}
    decisions = [adr.record(True) for _ in range(10)]
    assert decisions[:-1] == [None] * 9 and decisions[-1] == "widen"
    assert adr.ranges["length"] == pytest.approx((0.4, 0.6))
    for _ in range(10):
        adr.record(True)
    for _ in range(10):
        adr.record(True)
    assert adr.ranges["length"] == pytest.approx((0.3, 0.8))  # clipped at the limits
    for _ in range(10):
        adr.record(False)
    assert adr.ranges["length"] == pytest.approx((0.4, 0.7))
    for i in range(10):
        d = adr.record(i % 2 == 0)  # 50%: hold
    assert d == "hold" and adr.ranges["length"] == pytest.approx((0.4, 0.7))
    env.reset()
    values = env.get_parameter("length")
    assert values.min() >= 0.4 and values.max() <= 0.7
    with pytest.raises(ValueError, match="no parameter"):
        ADR(env, {"mass": ParameterSchedule(1.0, 0.1, (0.5, 2.0))})
    env.close()
