"""Per-instance physics parameters, domain randomisation and ADR."""

import gymnasium as gym
import numpy as np
import pytest

import swiftpg
from swiftpg.randomization import ADR, ParameterSchedule
from swiftpg import InvalidArgumentError
from swiftpg._arrays import DTypeError


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


def _replay(events, nominal, step, limits, m, t_high, t_low, success):
    """OpenAI's ADR rule (Algorithm 1), in Python, over (tag, return) events
    of one parameter: the ranges, decisions and moves it gives."""
    low = high = nominal
    buffers = {0: [], 1: []}
    decisions = moves = 0
    for tag, ret in events:
        if tag < 0:
            continue
        buffers[tag].append(1.0 if ret >= success else 0.0)
        if len(buffers[tag]) < m:
            continue
        rate = sum(buffers[tag]) / m
        buffers[tag] = []
        decisions += 1
        before = high if tag == 1 else low
        after = before
        if rate >= t_high:
            after = min(limits[1], before + step) if tag == 1 else max(limits[0], before - step)
        elif rate <= t_low:
            after = max(nominal, before - step) if tag == 1 else min(nominal, before + step)
        if after != before:
            moves += 1
            high, low = (after, low) if tag == 1 else (high, after)
    return (low, high), decisions, moves


def test_adr_moves_each_boundary_exactly_as_openais_rule_says():
    """A scripted "policy" (always push right) whose success depends on the
    pole length (a longer pole falls later): the environment pins
    boundaries natively; replaying every finished episode's (tag, return)
    through the rule written out in Python gives exactly its ranges and
    counters; the upper boundary widens (longer poles succeed), the lower
    one cannot go far (shorter poles fail), and p_b of the episodes pin."""
    env = swiftpg.make_vec("CartPole-v1", 16, seed=2)
    right = np.ones(16, np.int64)
    env.step(right)
    tags, last = env.last_episodes()
    assert (tags == -1).all() and (last == 0).all()  # without ADR nothing is recorded
    # The nominal pole's returns under the script.
    length = []
    env.reset()
    running = np.zeros(16)
    while len(length) < 64:
        _, r, term, trunc, _ = env.step(right)
        running += r
        for i in np.flatnonzero(term | trunc):
            length.append(running[i])
            running[i] = 0
    success = float(np.median(length))
    adr = ADR(env, {"length": ParameterSchedule(0.5, step=0.05, limits=(0.1, 2.0))}, success_return=success,
              boundary_probability=0.5, buffer_size=5, upper_threshold=0.8, lower_threshold=0.4)
    env.reset()
    events = []
    for _ in range(3000):
        _, _, term, trunc, _ = env.step(right)
        tags, last = env.last_episodes()
        events += [(int(tags[i]), float(last[i])) for i in np.flatnonzero(term | trunc)]
    state = env.adr_state()
    ranges, decisions, moves = _replay(events, 0.5, 0.05, (0.1, 2.0), 5, 0.8, 0.4, success)
    assert state["ranges"]["length"] == ranges and (state["decisions"], state["moves"]) == (decisions, moves)
    assert state["episodes"] == len(events) and state["boundary_episodes"] == sum(t >= 0 for t, _ in events)
    share = state["boundary_episodes"] / state["episodes"]
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / state["episodes"])
    assert ranges[1] >= 0.5 + 5 * 0.05 and ranges[0] >= 0.5 - 3 * 0.05
    assert adr.entropy == (None if ranges[0] == ranges[1] else pytest.approx(np.log(ranges[1] - ranges[0])))
    # While ADR runs, the parameter is ADR's; stopping keeps the values.
    with pytest.raises(swiftpg.InvalidArgumentError, match="ADR"):
        env.set_parameter("length", 0.7)
    adr.close()
    assert env.adr_state() is None
    env.set_parameter("length", 0.7)
    env.close()


def test_adr_as_a_learner_callback_records_growing_ranges():
    env = swiftpg.make_vec("CartPole-v1", 8, seed=0)
    adr = ADR(env, {"length": ParameterSchedule(0.5, step=0.1, limits=(0.2, 1.5))}, success_return=100.0,
              buffer_size=3)
    learner = swiftpg.algorithms.PPO(env, config=swiftpg.algorithms.PPOConfig(seed=0))
    learner.train(40_000, callback=adr)
    assert len(adr.history) == learner.iteration
    steps = [h["env_steps"] for h in adr.history]
    assert steps == sorted(steps) and steps[-1] == learner.total_env_steps
    widths = [h["widths"]["length"] for h in adr.history]
    assert widths[-1] > 0 and adr.history[-1]["episodes"] > 0
    learner.close()
    env.close()


def test_adr_settings_are_checked_and_a_refusal_changes_nothing():
    env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
    for kwargs in [dict(boundary_probability=0.0), dict(boundary_probability=1.5), dict(buffer_size=0),
                   dict(upper_threshold=0.3, lower_threshold=0.3), dict(success_return=float("nan"))]:
        with pytest.raises((swiftpg.InvalidArgumentError, swiftpg.NotFiniteError)):
            ADR(env, {"length": ParameterSchedule(0.5, 0.1, (0.2, 1.0))}, **kwargs)
        assert env.adr_state() is None and (env.get_parameter("length") == 0.5).all()
    with pytest.raises(swiftpg.InvalidArgumentError, match="no parameter"):
        ADR(env, {"mass": ParameterSchedule(1.0, 0.1, (0.5, 2.0))})
    with pytest.raises(swiftpg.InvalidArgumentError, match="success return"):
        ADR(swiftpg.make_vec("ShortCorridor-v0", 1), {"max_episode_steps": ParameterSchedule(5, 1, (1, 9))})
    env.close()


def test_adr_review_findings_stay_fixed():
    """A fresh-eyes review's findings: a refused ADR changes nothing; the
    state reads back (names included) after pickling; a stale ADR object
    neither reports nor stops a newer ADR; disable clears the episode
    records; nominal values are set by enable; bools are not numbers."""
    import copy
    import pickle

    env = swiftpg.make_vec("CartPole-v1", 4, seed=0)
    env.randomize_parameter("length", 0.3, 0.9)
    with pytest.raises(swiftpg.InvalidArgumentError):
        ADR(env, {"length": ParameterSchedule(0.5, 0.05, (0.1, 2.0))}, boundary_probability=2.0)
    env.reset()
    lengths = env.get_parameter("length")
    assert lengths.min() >= 0.3 and lengths.max() <= 0.9 and len(set(lengths)) == 4  # the uniform range is intact

    adr = ADR(env, {"length": ParameterSchedule(0.6, 0.05, (0.1, 2.0)),
                    "masspole": ParameterSchedule(0.2, 0.02, (0.02, 1.0))}, success_return=20, buffer_size=2)
    assert (env.get_parameter("length") == 0.6).all() and (env.get_parameter("masspole") == 0.2).all()
    env.reset()
    for _ in range(300):
        env.step(np.ones(4, np.int64))
    for twin in (pickle.loads(pickle.dumps(env)), copy.deepcopy(env)):
        assert twin.adr_state() == env.adr_state() and list(twin.adr_state()["ranges"]) == ["length", "masspole"]
        twin.close()
    assert (env.last_episodes()[0] >= 0).any()
    env.enable_adr({"masscart": (0.1, 0.5, 2.0)}, success_return=20)     # a newer ADR replaces it
    with pytest.raises(swiftpg.InvalidArgumentError, match="no longer runs"):
        adr.ranges
    adr.close()                                                           # not the newer one's
    assert list(env.adr_state()["ranges"]) == ["masscart"]
    env.disable_adr()
    tags, returns = env.last_episodes()
    assert (tags == -1).all() and (returns == 0).all()
    for bad in (dict(boundary_probability=True), dict(success_return=True)):
        with pytest.raises(swiftpg.DTypeError):
            env.enable_adr({"length": (0.1, 0.1, 1.0)}, **dict(dict(success_return=1.0), **bad))
    with pytest.raises(swiftpg.DTypeError):
        env.enable_adr({"length": (True, 0.1, 1.0)}, success_return=1.0)
    assert env.adr_state() is None
    env.close()


def test_default_schedules_by_name():
    """Parameters named without a schedule get the documented defaults:
    nominal = current value, step 5% of it, limits [0.2, 3] times it; the
    effects start at 0 (noise step 0.01 up to 0.5, delay 1 step up to
    max_action_delay); names without a scale are refused, nothing enabled."""
    env = swiftpg.make_vec("CartPole-v1", 4, seed=0, max_action_delay=2)
    length = ParameterSchedule.default(env, "length")
    assert (length.nominal, length.step, length.limits) == (0.5, 0.025, (0.1, 1.5))
    gravity = ParameterSchedule.default(env, "gravity")
    assert gravity.limits == pytest.approx((1.96, 29.4)) and gravity.step == pytest.approx(0.49)
    noise = ParameterSchedule.default(env, "observation_noise")
    assert (noise.nominal, noise.step, noise.limits) == (0.0, 0.01, (0.0, 0.5))
    delay = ParameterSchedule.default(env, "action_delay")
    assert (delay.nominal, delay.step, delay.limits) == (0.0, 1.0, (0.0, 2.0))
    adr = ADR(env, ["length", "action_delay"])
    assert adr.schedules["length"] == length and adr.schedules["action_delay"] == delay
    adr.close()
    for bad in ("sutton_barto_reward", "max_episode_steps", "nope"):
        with pytest.raises(InvalidArgumentError):
            ADR(env, [bad])
    assert env.adr_state() is None
    with pytest.raises(InvalidArgumentError, match="max_action_delay"):
        ParameterSchedule.default(swiftpg.make_vec("CartPole-v1", 1), "action_delay")
    with pytest.raises(DTypeError):
        ParameterSchedule.default(env, 3)
