"""The problems of the policy-gradient texts, tabular MDPs, gridworlds and
bandits: definitions checked statistically (fixed seeds, tolerances from
standard errors) and against closed forms."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import swiftpg
from swiftpg.envs import bandit, gridworld, single, tabular

Z = 5.0  # tolerance in standard errors (fixed seeds: deterministic outcomes)


def within(estimate, expected, se, what=""):
    assert abs(estimate - expected) <= Z * se + 1e-12, f"{what}: {estimate} vs {expected} (se {se})"


def test_short_corridor_transitions_and_value():
    """Deterministic switched transitions, and the Monte Carlo value of the
    uniform policy matches the closed form v(S1) = 2(p-2)/(p(1-p)) = -12."""
    env = swiftpg.make_vec("ShortCorridor-v0", 1, seed=0)
    env.reset()
    cases = {(0, 0): 1, (0, 1): 0, (1, 0): 0, (1, 1): 2, (2, 1): 1}  # (state, action) -> next
    for (s, a), nxt in cases.items():
        env.set_state([[s]])
        env.step(np.array([a]))
        assert env.get_state()[0, 0] == nxt, (s, a)
    env.set_state([[2]])
    _, r, term, _, _ = env.step(np.array([0]))
    assert term[0] and r[0] == -1
    env.close()

    env = swiftpg.make_vec("ShortCorridor-v0", 64, seed=1)
    rng = np.random.default_rng(0)
    returns = np.zeros(64)
    done = []
    env.reset()
    while len(done) < 4000:
        _, r, term, trunc, _ = env.step(rng.integers(0, 2, 64))
        returns += r
        for i in np.flatnonzero(term | trunc):
            done.append(returns[i])
            returns[i] = 0
    done = np.array(done)
    within(done.mean(), -12.0, done.std() / np.sqrt(len(done)), "v(S1) at p=0.5")
    env.close()


def test_short_corridor_tabular_model_is_the_book_mdp():
    env = swiftpg.make_vec("ShortCorridor-v0", 1)
    m = env.tabular_model()
    P = m["P"]
    assert P.shape == (4, 2, 4) and m["terminal"].tolist() == [False, False, False, True]
    assert P[0, 0, 1] == 1 and P[1, 0, 0] == 1 and P[1, 1, 2] == 1 and P[2, 0, 3] == 1
    # Policy evaluation with p = pi(right) = 2 - sqrt(2) gives v* = -(6 + 4 sqrt 2).
    p = 2 - np.sqrt(2)
    Ppi = p * P[:3, 0, :3] + (1 - p) * P[:3, 1, :3]
    v = np.linalg.solve(np.eye(3) - Ppi, -np.ones(3))
    np.testing.assert_allclose(v, [-11.65685424949238, -9.94975, -5.12132], atol=1e-5)
    env.close()


def test_simple_regulator_distributions():
    n = 20000
    env = swiftpg.make_vec("SimpleRegulator-v0", n, seed=0)
    s0, _ = env.reset()
    within(s0.mean(), 0.3, 0.1 / np.sqrt(n), "initial mean")
    within(s0.std(), 0.1, 0.1 / np.sqrt(2 * n), "initial std")
    # Reward is -s^2 of the state before the transition; s' ~ N(s + a, 0.1^2).
    env.set_state(np.full((n, 1), 0.5))
    _, r, term, trunc, _ = env.step(np.full((n, 1), -0.2))
    assert np.all(r == -0.25) and not term.any()
    s1 = env.get_state()[:, 0]
    within(s1.mean(), 0.3, 0.1 / np.sqrt(n), "transition mean")
    within(s1.std(), 0.1, 0.1 / np.sqrt(2 * n), "transition std")
    # Truncation to [-10, 10], even with a mean far outside.
    env.set_state(np.full((n, 1), 9.9))
    env.step(np.full((n, 1), 50.0))
    s2 = env.get_state()[:, 0]
    assert s2.max() <= 10 and s2.min() > 9.0
    # Exponential tail: E[s'] = 10 - sigma^2 / (mu - 10) approximately, mu = 59.9.
    within(s2.mean(), 10 - 0.01 / 49.9, s2.std() / np.sqrt(n), "truncated mean")
    env.close()


def test_simple_regulator_depth_terminates_and_matches_exact_return():
    """Depth d = 10 terminates (finite horizon); with the policy a = -s the
    expected return is U = -sum_k m_k, m_0 = 0.1, m_{k+1} = 0.01
    (REFERENCE.md: U(-1, 0) = -0.19)."""
    n = 20000
    env = swiftpg.make_vec("SimpleRegulator-v0", n, seed=3)
    obs, _ = env.reset()
    total = np.zeros(n)
    for t in range(10):
        obs, r, term, trunc, _ = env.step(-obs)
        total += r
        assert term.all() == (t == 9) and not trunc.any()
    within(total.mean(), -0.19, total.std() / np.sqrt(n), "U(-1, 0)")
    env.close()


def test_two_action_rewards_and_horizon():
    env = swiftpg.make_vec("TwoAction-v0", 4, seed=0, reward_left=2.0, reward_right=-1.0,
                           max_episode_steps=3)
    env.reset()
    for t in range(3):
        _, r, term, _, _ = env.step(np.array([0, 1, 0, 1]))
        assert r.tolist() == [2.0, -1.0, 2.0, -1.0]
        assert term.all() == (t == 2)
    env.close()


@pytest.mark.parametrize("kind", ["gaussian", "bernoulli"])
def test_bandit_arms(kind):
    means = [0.2, 0.5, 0.9] if kind == "bernoulli" else [-1.0, 0.5, 3.0]
    stds = None if kind == "bernoulli" else [0.5, 1.0, 2.0]
    n = 30000
    env = bandit(means, stds, kind=kind, num_envs=n, seed=2)
    env.reset()
    for a, m in enumerate(means):
        _, r, term, _, _ = env.step(np.full(n, a))
        sd = np.sqrt(m * (1 - m)) if kind == "bernoulli" else stds[a]
        within(r.mean(), m, sd / np.sqrt(n), f"arm {a} mean")
        within(r.std(), sd, sd / np.sqrt(2 * n) * (2 if kind == "bernoulli" else 1), f"arm {a} std")
        assert term.all()
        if kind == "bernoulli":
            assert set(np.unique(r)) <= {0.0, 1.0}
    env.close()


def random_mdp(rng, S=5, A=3):
    P = rng.random((S, A, S)) ** 3
    P /= P.sum(axis=2, keepdims=True)
    R = rng.normal(size=(S, A, S))
    mu = rng.random(S)
    mu /= mu.sum()
    return P, R, mu


def test_tabular_transition_frequencies_match_P():
    rng = np.random.default_rng(0)
    P, R, mu = random_mdp(rng)
    n = 20000
    env = tabular(P, R, mu, gamma=0.9, num_envs=n, seed=1)
    s0 = env.get_state()[:, 0].astype(int)
    obs, _ = env.reset()
    s0 = env.get_state()[:, 0].astype(int)
    assert np.array_equal(obs.argmax(axis=1), s0) and np.all(obs.sum(axis=1) == 1)
    freq0 = np.bincount(s0, minlength=5) / n
    for k in range(5):
        within(freq0[k], mu[k], np.sqrt(mu[k] * (1 - mu[k]) / n), f"mu[{k}]")
    for s in range(5):
        for a in range(3):
            env.set_state(np.full((n, 1), s))
            _, r, *_ = env.step(np.full(n, a))
            nxt = env.get_state()[:, 0].astype(int)
            freq = np.bincount(nxt, minlength=5) / n
            for k in range(5):
                p = P[s, a, k]
                within(freq[k], p, np.sqrt(p * (1 - p) / n), f"P[{s},{a},{k}]")
            assert np.array_equal(r, R[s, a, nxt])
    model = env.tabular_model()
    np.testing.assert_array_equal(model["P"], P)
    np.testing.assert_array_equal(model["R"], R)
    assert model["horizon"] is None and model["gamma"] == 0.9
    env.close()


def test_tabular_finite_horizon_and_terminal_states():
    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = P[0, 1, 2] = 1
    P[1, :, 0] = 1
    P[2, :, 2] = 1
    R = np.array([[1.0, 5.0], [2.0, 2.0], [0.0, 0.0]])
    env = tabular(P, R, [1, 0, 0], terminal=[False, False, True], horizon=4, num_envs=2, seed=0)
    env.reset()
    _, r, term, trunc, _ = env.step(np.array([0, 1]))
    assert r.tolist() == [1.0, 5.0] and term.tolist() == [False, True] and not trunc.any()
    # Instance 0 cycles 0 -> 1 -> 0 -> 1 until the horizon (4 steps) terminates it.
    ends = []
    for t in range(3):
        _, r, term, trunc, _ = env.step(np.array([0, 0]))
        ends.append(bool(term[0]))
    assert ends == [False, False, True]
    env.close()


@pytest.mark.parametrize("bad, words", [
    (dict(transitions=np.full((2, 2, 2), 0.6)), "sums to"),
    (dict(transitions=np.array([[[1.5, -0.5], [1, 0]], [[1, 0], [1, 0]]])), ">= 0"),
    (dict(transitions=np.full((2, 2, 3), 1 / 3)), "shape"),
    (dict(rewards=np.zeros((3, 2))), "shape"),
    (dict(rewards=np.array([[np.nan, 0], [0, 0]])), "finite"),
    (dict(initial=[0.5, 0.6]), "sums to"),
    (dict(initial=[1.0]), "shape"),
    (dict(terminal=[True, False]), "terminal"),
    (dict(gamma=1.5), "gamma"),
    (dict(horizon=0), "horizon"),
])
def test_malformed_tabular_mdps_are_refused(bad, words):
    args = dict(transitions=np.full((2, 2, 2), 0.5), rewards=np.zeros((2, 2)), initial=[1.0, 0.0])
    kwargs = {}
    for k, v in bad.items():
        (args if k in args else kwargs)[k] = v
    with pytest.raises((ValueError, TypeError), match=words):
        tabular(args["transitions"], args["rewards"], args["initial"], **kwargs)


def test_gridworld_layout_slip_and_rendering():
    layout = "S.#\n..G"
    env = gridworld(layout, slip=0.2, step_reward=-0.1, goal_reward=1.0, num_envs=20000, seed=0)
    env.reset()
    assert env.render_text(0) == "A.#\n..G"
    m = env.tabular_model()
    # States: (0,0)=0, (0,1)=1, (1,0)=2, (1,1)=3, (1,2)=4 (G, terminal).
    assert m["P"].shape == (5, 4, 5) and m["terminal"].tolist() == [False, False, False, False, True]
    # From (0,1) moving right hits the wall: stay w.p. 0.8, up (edge: stay) 0.1, down 0.1.
    np.testing.assert_allclose(m["P"][1, 1], [0, 0.9, 0, 0.1, 0])
    # Empirical frequencies from (1,1) moving right: G w.p. 0.8, up to (0,1) 0.1, down (edge) 0.1.
    env.set_state(np.full((20000, 1), 3))
    _, r, term, _, _ = env.step(np.full(20000, 1))
    freq_goal = term.mean()
    within(freq_goal, 0.8, np.sqrt(0.8 * 0.2 / 20000), "slip")
    assert set(np.round(np.unique(r), 12)) == {-0.1, 0.9}
    env.close()


@pytest.mark.parametrize("layout, words", [("", "empty"), ("S.\n.", "row"), ("S.X", "use"), ("##\n##", "no free"),
                                          ("G", "no start")])
def test_bad_gridworld_layouts(layout, words):
    with pytest.raises(ValueError, match=words):
        gridworld(layout)


def test_bad_bandits():
    with pytest.raises(ValueError, match="probability"):
        bandit([0.5, 1.5], kind="bernoulli")
    with pytest.raises(ValueError, match="finite"):
        bandit([np.nan])
    with pytest.raises(ValueError):
        bandit([0.1, 0.2], kind="poisson")
    with pytest.raises(ValueError, match="stds"):
        bandit([0.1, 0.2], stds=[1.0, -1.0])


def test_tabular_state_indices_are_validated():
    env = gridworld(num_envs=2, seed=0)
    with pytest.raises(ValueError, match="whole number"):
        env.set_state([[0.5], [1]])
    with pytest.raises(ValueError, match="whole number"):
        env.set_state([[0], [999]])
    env.close()


@pytest.mark.parametrize("make", [
    lambda: single(gridworld(seed=0)),
    lambda: swiftpg.make("ShortCorridor-v0", seed=0),
    lambda: swiftpg.make("SimpleRegulator-v0", seed=0),
    lambda: swiftpg.make("TwoAction-v0", seed=0),
    lambda: swiftpg.make("GridWorld-v0", seed=0),
    lambda: single(bandit([0.0, 1.0], seed=0)),
])
def test_check_env_on_textbook_envs(make):
    env = make()
    check_env(env, skip_render_check=True)
    env.close()
