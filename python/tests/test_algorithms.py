"""The policy-gradient learners through the C ABI: every algorithm runs,
configurations are checked before training, checkpoints resume, divergence
stops with the last good checkpoint intact, and any Gymnasium env trains.
Full-length training results are in bench/."""

import ctypes

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import swiftpg
import swiftpg.cli
from swiftpg import _lib
from swiftpg.algorithms import (
    A2C, PG_ALGORITHMS, PPO, REINFORCE, TRPO, GymnasiumCollector, PPOConfig, ReinforceConfig, for_gymnasium,
)
from swiftpg.policies import GaussianPolicy

ZOO_CARTPOLE = dict(steps_per_env=32, minibatch_size=256, gae_lambda=0.8, gamma=0.98, epochs=20, learning_rate=1e-3)


@pytest.mark.parametrize("name", sorted(PG_ALGORITHMS))
def test_every_algorithm_iterates_with_finite_stats(name):
    cls = PG_ALGORITHMS[name]
    config = cls._config_class(seed=1)
    if hasattr(config, "steps_per_iteration"):
        config = config.replace(steps_per_iteration=400)
    if hasattr(config, "steps_per_env") and name != "actor-critic":
        config = config.replace(steps_per_env=16)
    if hasattr(config, "minibatch_size") and config.minibatch_size:
        config = config.replace(minibatch_size=32)
    with cls("CartPole-v1", config=config, num_envs=4, hidden_sizes=(16,)) as learner:
        for _ in range(3):
            s = learner.iterate()
        assert s.iteration == 3 and s.total_env_steps >= 3 * 4
        for key in ("policy_loss", "value_loss", "entropy", "approx_kl", "grad_norm", "learning_rate"):
            assert np.isfinite(getattr(s, key)), key
        assert 0 < s.entropy <= np.log(2) + 1e-12


def test_config_defaults_come_from_the_library_and_have_docs():
    c = PPOConfig()
    raw = _lib.PPOConfigC()
    _lib.call("ppo_default_config", ctypes.byref(raw))
    assert c.learning_rate == raw.learning_rate and c.adam_epsilon == 1e-5 and c.clip_range == 0.2
    assert "clip_range = 0.2" in PPOConfig.describe()
    assert ReinforceConfig().baseline == "mean" and ReinforceConfig().weighting == "reward_to_go"


def test_ppo_zoo_settings_learn_cartpole_fast():
    # The fast variant of bench/pg_results.py (100k steps there, >= 475 on 5/5 seeds).
    with PPO("CartPole-v1", config=PPOConfig(seed=0, **ZOO_CARTPOLE), num_envs=8) as learner:
        learner.train(40_000)
        returns, _ = learner.evaluate(episodes=20)
    assert returns.mean() > 200, returns.mean()


def test_ppo_with_gsde_solves_mountain_car_continuous():
    """The CLI preset (zoo settings, gSDE, the default float32 layers) on one
    seed, stopped once the last 10 training episodes average 90 (with float32
    seeds 0-5 reached 90 within 30k steps 5 times out of 6, float64 seeds 0-4
    4 times out of 5 — a different seed failing each time).
    Plain Gaussian exploration with the same settings does not find the goal
    in this budget (checked below), so this fails if gSDE stops working."""
    preset = swiftpg.cli.PRESETS[("ppo", "MountainCarContinuous-v0")]
    results = {}
    for gsde in (True, False):
        config = PPOConfig(seed=0).replace(**preset["config"])
        kwargs = preset["policy"] if gsde else dict(initial_log_std=preset["policy"]["initial_log_std"])
        with PPO("MountainCarContinuous-v0", config=config, num_envs=1, policy_kwargs=kwargs) as learner:
            learner.train(30_000, stop_at_return=90.0, stop_window=10)
            returns, _ = learner.evaluate(episodes=20, seed=7)
            results[gsde] = returns.mean()
    assert results[True] >= 90 and results[False] < 50, results


def test_policy_kwargs_and_stop_window_are_checked():
    with pytest.raises(TypeError):
        PPO("Pendulum-v1", num_envs=2, policy_kwargs=dict(bogus=1))
    with pytest.raises(_lib.InvalidArgumentError, match="not both"):
        PPO("Pendulum-v1", num_envs=2, policy=GaussianPolicy(3, 1), policy_kwargs=dict(gsde=True))
    with pytest.raises(_lib.InvalidArgumentError, match="alternatives"):
        PPO("Pendulum-v1", num_envs=2, policy_kwargs=dict(gsde=True, state_dependent_std=True))
    with PPO("Pendulum-v1", num_envs=2, config=PPOConfig(steps_per_env=8, minibatch_size=16),
             policy_kwargs=dict(gsde=True, initial_log_std=-1.0, hidden_sizes=(8,))) as learner:
        assert learner.policy.num_params == (3 * 8 + 8) + (8 + 1) + 8     # network, then L [8, 1]
        with pytest.raises(_lib.InvalidArgumentError, match="stop_window"):
            learner.train(100, stop_window=0)
    assert swiftpg.cli.main(["train", "Pendulum-v1", "--algo", "ppo", "--steps", "64", "--quiet",
                             "--policy", "bogus=1"]) == 2


def test_ppo_shared_network_step_is_the_gradient_of_the_joint_loss():
    """One PPO step (SGD, one epoch, whole batch, no normalisation or
    clipping) on external data with shared hidden layers: the policy head
    ascends ∇J, the value head descends c_v ∇L_V, and the shared layers —
    identical in both networks before and after — descend c_v ∇L_V − ∇J.
    ∇J and ∇L_V are rebuilt from swiftpg's public primitives (GAE, score and
    value gradients); at the first step ρ = 1, so L^CLIP's gradient is
    mean Â ∇log π."""
    from swiftpg import estimators as est
    from swiftpg.policies import SoftmaxPolicy, ValueFunction

    rng = np.random.default_rng(11)
    T, N, lr, c_v, gamma, lam = 5, 3, 0.05, 0.7, 0.9, 0.8
    policy = SoftmaxPolicy(4, 2, hidden_sizes=(6,), head_gain=1.0, seed=3)
    value = ValueFunction(4, hidden_sizes=(6,), seed=4)
    config = PPOConfig(epochs=1, minibatch_size=0, normalize_advantages=False, optimizer="sgd", learning_rate=lr,
                       max_grad_norm=0.0, entropy_coef=0.0, value_coef=c_v, gamma=gamma, gae_lambda=lam,
                       steps_per_env=T, shared_network=True)
    with PPO("CartPole-v1", policy=policy, value=value, config=config, num_envs=N) as learner:
        shared = 4 * 6 + 6
        assert np.array_equal(policy.params[:shared], value.params[:shared])    # tied at creation
        obs = rng.normal(size=(T, N, 4))
        actions = rng.integers(0, 2, size=(T, N))
        rewards = rng.normal(size=(T, N))
        terminated = np.zeros((T, N), bool)
        terminated[2, 1] = True
        truncated = np.zeros((T, N), bool)
        nxt = rng.normal(size=(N, 4))
        theta, w = policy.params, value.params
        V = np.vstack([value.predict(obs.reshape(-1, 4)).reshape(T, N), value.predict(nxt)[None]])
        adv = est.gae(rewards, terminated, truncated, V, gamma, lam)
        targets = adv + V[:-1]
        flat_obs, m = obs.reshape(-1, 4), T * N
        grad_j = policy.score_gradient(flat_obs, actions.reshape(-1), adv.reshape(-1)) / m
        grad_v = c_v * value.gradient(flat_obs, (V[:-1] - targets).reshape(-1)) / m
        learner.update(obs, actions, rewards, terminated, truncated, nxt)
        joint = grad_v[:shared] - grad_j[:shared]
        np.testing.assert_allclose(policy.params[shared:] - theta[shared:], lr * grad_j[shared:], rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(value.params[shared:] - w[shared:], -lr * grad_v[shared:], rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(policy.params[:shared] - theta[:shared], -lr * joint, rtol=1e-9, atol=1e-13)
        assert np.array_equal(policy.params[:shared], value.params[:shared])


def test_ppo_shared_network_learns_cartpole_and_checks_its_networks():
    config = PPOConfig(seed=0, shared_network=True, **ZOO_CARTPOLE)
    with PPO("CartPole-v1", config=config, num_envs=8) as learner:
        shared = (4 * 64 + 64) + (64 * 64 + 64)
        learner.train(40_000)
        assert np.array_equal(learner.policy.params[:shared], learner.value.params[:shared])
        returns, _ = learner.evaluate(episodes=20)
    assert returns.mean() > 200, returns.mean()
    from swiftpg.policies import ValueFunction
    with pytest.raises(_lib.InvalidArgumentError, match="hidden layers"):
        PPO("CartPole-v1", config=config, num_envs=8, value=ValueFunction(4, hidden_sizes=(32, 32)))
    with pytest.raises(_lib.InvalidArgumentError, match="value_learning_rate"):
        PPO("CartPole-v1", config=config.replace(value_learning_rate=1e-4), num_envs=8)
    from swiftpg.algorithms import A2CConfig
    with pytest.raises(_lib.InvalidArgumentError, match="unknown"):        # a PPO-only field
        A2CConfig().replace(shared_network=True)
    assert not hasattr(_lib.A2CConfigC, "shared_network")                   # nor in A2C's C struct


def test_element_wise_gradient_clipping_bounds_every_component_of_the_step():
    """max_grad_value: with SGD (lr α) each parameter moves by at most α·v,
    and the components that were clipped move by exactly α·v."""
    alpha, v = 0.5, 1e-3
    config = ReinforceConfig(optimizer="sgd", learning_rate=alpha, max_grad_value=v, steps_per_iteration=200,
                             baseline="none", normalize_advantages=False, seed=2)
    with REINFORCE("CartPole-v1", config=config, num_envs=4, hidden_sizes=(8,)) as learner:
        before = learner.policy.params
        learner.iterate()
        step = np.abs(learner.policy.params - before)
    assert step.max() <= alpha * v * (1 + 1e-12)
    assert np.sum(np.isclose(step, alpha * v, rtol=1e-9)) >= 1
    with pytest.raises(_lib.InvalidArgumentError, match="max_grad_value"):
        REINFORCE("CartPole-v1", config=config.replace(max_grad_value=-1.0), num_envs=2)


def test_ppo_gaussian_swings_up_the_pendulum_fast():
    """The fast variant of bench/pg_results.py's Pendulum row (the CLI preset,
    learning rate annealed over the budget): 100k steps instead of the
    preset's budget. A random policy scores about −1200; seed 5 reaches
    about −185 here. At 100k steps the outcome is bimodal across seeds
    (about −190 or about −600; seeds 0–9 gave 5 of each with the per-lane
    action streams of 0.2, 7 and 3 before), so one seed in the good basin is
    the fast check and bench/pg_results.py the full one."""
    preset = swiftpg.cli.PRESETS[("ppo", "Pendulum-v1")]
    config = PPOConfig(seed=5, total_env_steps=100_000).replace(**preset["config"])
    with PPO("Pendulum-v1", config=config, num_envs=preset["num_envs"]) as learner:
        learner.train(100_000)
        returns, _ = learner.evaluate(episodes=20, seed=1_000_003)
    assert returns.mean() > -400, returns.mean()


def test_ppo_with_float32_networks_learns_cartpole():
    """The zoo settings with single-precision policy and critic (the critic
    follows the policy's precision)."""
    with PPO("CartPole-v1", config=PPOConfig(seed=0, **ZOO_CARTPOLE), num_envs=8,
             policy_kwargs=dict(precision="float32")) as learner:
        assert learner.policy.precision == learner.value.precision == "float32"
        learner.train(40_000)
        returns, _ = learner.evaluate(episodes=20)
    assert returns.mean() > 200, returns.mean()


@pytest.mark.parametrize("extra", [dict(), dict(kl_penalty=True, value_clip_range=0.2, entropy_coef=0.01)])
def test_ppo_update_threads_give_identical_results(extra):
    """update_threads >= 2 runs each minibatch's policy and critic passes on two
    threads; the computations are independent, so every parameter is
    bit-identical to the single-threaded run, for any thread count."""
    params = []
    for threads in (1, 2, 3, 4):
        config = PPOConfig(seed=3, update_threads=threads, **ZOO_CARTPOLE).replace(**extra)
        with PPO("CartPole-v1", config=config, num_envs=8, hidden_sizes=(32, 32)) as learner:
            learner.train(6_000)
            params.append((learner.policy.params, learner.value.params))
    for other in params[1:]:
        assert np.array_equal(params[0][0], other[0]) and np.array_equal(params[0][1], other[1])
    for bad in (0, 65):
        with pytest.raises(_lib.InvalidArgumentError, match="update_threads"):
            PPO("CartPole-v1", config=PPOConfig(update_threads=bad), num_envs=8)


def test_reinforce_with_learned_value_baseline_improves():
    config = ReinforceConfig(seed=0, steps_per_iteration=2000, baseline="value")
    with REINFORCE("CartPole-v1", config=config) as learner:
        first = learner.iterate().mean_return
        learner.train(50_000)
        assert learner.history[-1].mean_return > 2 * first
        assert learner.value is not None


@pytest.mark.parametrize("change, match", [
    (dict(gamma=1.5), "gamma"), (dict(learning_rate=-1.0), "learning_rate"), (dict(gae_lambda=2.0), "gae_lambda"),
    (dict(minibatch_size=100), "divide"), (dict(anneal_learning_rate=True), "total_env_steps"),
    (dict(advantage="td"), "advantage"), (dict(epochs=0), "epochs"),
])
def test_bad_configs_fail_before_training(change, match):
    with pytest.raises((ValueError, TypeError), match=match):
        PPO("CartPole-v1", config=PPOConfig().replace(**change))
    assert swiftpg.live_handles() <= 2  # the env and policy made for the failed learner are collected later


def test_a_policy_that_does_not_fit_the_action_space_is_refused():
    with pytest.raises(ValueError, match="continuous"):
        PPO("CartPole-v1", policy=GaussianPolicy(4, 1))


def test_unknown_algorithm_on_the_command_line():
    with pytest.raises(SystemExit):
        swiftpg.cli.main(["train", "CartPole-v1", "--algo", "sac"])  # (dqn exists since issue 19)


def test_checkpoint_resume_is_exact(tmp_path):
    path = tmp_path / "ppo.ckpt"
    cfg = PPOConfig(seed=3, steps_per_env=16, minibatch_size=32, normalize_observations=True)
    with PPO("CartPole-v1", config=cfg, num_envs=4, hidden_sizes=(16,)) as a:
        a.train(200, checkpoint=path)
        with PPO("CartPole-v1", config=cfg.replace(seed=4), num_envs=4, hidden_sizes=(16,)) as b:
            b.load(path)
            np.testing.assert_array_equal(a.policy.get_params(), b.policy.get_params())
            np.testing.assert_array_equal(a.value.get_params(), b.value.get_params())
    with pytest.raises(ValueError, match="not .*a2c|a2c"):
        with A2C("CartPole-v1", hidden_sizes=(16,), num_envs=4) as other:
            other.load(path)


def test_divergence_stops_with_the_last_good_checkpoint_intact(tmp_path):
    path = tmp_path / "last_good.ckpt"
    with A2C("CartPole-v1", config=A2C._config_class(seed=0), num_envs=2, hidden_sizes=()) as learner:
        learner.train(20, checkpoint=path)  # 2 iterations of 2 envs × 5 steps, saved after each
        good = learner.policy.get_params().copy()
        # Observations of 1e300 overflow the linear critic's loss gradient.
        obs = np.full((5, 2, 4), 1e300)
        with pytest.raises(swiftpg.NumericalError, match=r"iteration 3: .* is not finite"):
            learner.update(obs, np.zeros((5, 2), np.int32), np.ones((5, 2)), np.zeros((5, 2)), np.zeros((5, 2)),
                           np.ones((2, 4)))
        np.testing.assert_array_equal(learner.policy.get_params(), good)  # rolled back in memory
        assert learner.iterate().iteration == 3  # and training goes on
        with A2C("CartPole-v1", config=A2C._config_class(seed=0), num_envs=2, hidden_sizes=()) as fresh:
            fresh.load(path)
            np.testing.assert_array_equal(fresh.policy.get_params(), good)


class OneHot(gym.ObservationWrapper):
    def __init__(self, env):
        super().__init__(env)
        self.observation_space = gym.spaces.Box(0, 1, (env.observation_space.n,), np.float64)

    def observation(self, o):
        x = np.zeros(self.observation_space.shape[0])
        x[o] = 1
        return x


@pytest.mark.parametrize("wrap", [OneHot, lambda env: env], ids=["own one-hot wrapper", "Discrete observations"])
def test_trains_on_a_gymnasium_env_swiftpg_does_not_have(wrap):
    envs = [wrap(gym.make("FrozenLake-v1", is_slippery=False)) for _ in range(4)]
    learner = for_gymnasium("ppo", envs[0], config=PPOConfig(steps_per_env=64, minibatch_size=64,
                                                                entropy_coef=0.01, learning_rate=3e-3, seed=0))
    collector = learner.learn_gymnasium(envs, 20_000)
    early, late = np.mean(collector.episode_returns[:50]), np.mean(collector.episode_returns[-50:])
    assert early < 0.2 and late > 0.9, (early, late)
    learner.close()


def test_gymnasium_vector_env_needs_same_step_autoreset():
    venv = gym.make_vec("CartPole-v1", 2, vectorization_mode="sync")
    learner = for_gymnasium("a2c", venv)
    with pytest.raises(ValueError, match="SAME_STEP"):
        GymnasiumCollector(venv, learner.policy)
    good = gym.make_vec("CartPole-v1", 2, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP})
    batch = GymnasiumCollector(good, learner.policy).collect(50)
    assert batch["observations"].shape == (50, 2, 4)
    stats = learner.update(**batch)
    assert stats.env_steps == 100
    with pytest.raises(ValueError):
        learner.update(**{**batch, "terminated": batch["terminated"] * 2})
    learner.close()


def test_trpo_reports_the_line_search():
    with TRPO("CartPole-v1", config=TRPO._config_class(seed=0, steps_per_env=64), hidden_sizes=(16,)) as learner:
        steps = []
        for _ in range(3):
            before = learner.policy.get_params().copy()
            steps.append(learner.iterate().update_steps)
            # -1: every step rejected and θ kept; j >= 0: the step c^j Δ was taken.
            assert (steps[-1] >= 0) == (not np.array_equal(learner.policy.get_params(), before))
    assert all(-1 <= s < 10 for s in steps)
    assert any(s >= 0 for s in steps), steps   # a test that passes with every search rejected checks nothing


def test_gymnasium_observation_spaces_are_encoded_as_gymnasium_flattens_them():
    """Discrete and MultiDiscrete observations are one-hot (as swiftpg's own
    tabular envs observe), MultiBinary 0/1, Dict and Tuple flattened in
    Gymnasium's order, lane by lane, for lists of envs and vector envs; a
    space without a fixed width is refused."""
    spaces = gym.spaces

    class Structured(gym.Env):
        observation_space = spaces.Dict({"cell": spaces.Discrete(3), "bits": spaces.MultiBinary(2),
                                         "pair": spaces.Tuple((spaces.MultiDiscrete([2, 3]),
                                                               spaces.Box(-1, 1, (2,), np.float64)))})
        action_space = spaces.Discrete(2)

        def reset(self, seed=None, options=None):
            super().reset(seed=seed)
            self.t = 0
            return self.observation_space.sample(), {}

        def step(self, action):
            self.t += 1
            return self.observation_space.sample(), float(action), self.t >= 5, False, {}

    envs = [Structured() for _ in range(3)]
    for e in envs:
        e.observation_space.seed(0)
    learner = for_gymnasium("a2c", envs[0])
    assert learner.policy.observation_size == 3 + 2 + (2 + 3) + 2 == gym.spaces.flatdim(envs[0].observation_space)
    collector = GymnasiumCollector(envs, learner.policy, seed=1)
    batch = collector.collect(12)
    obs = batch["observations"]
    assert obs.shape == (12, 3, 12)
    # Gymnasium's order (Dict keys sorted): bits [0:2], cell one-hot [2:5], pair: MultiDiscrete one-hot
    # [5:7] and [7:10], Box [10:12]
    assert np.all(np.isin(obs[..., 0:10], (0.0, 1.0)))
    for lo, hi in ((2, 5), (5, 7), (7, 10)):
        assert np.all(obs[..., lo:hi].sum(-1) == 1), (lo, hi)
    assert np.all(np.abs(obs[..., 10:12]) <= 1)
    sample = envs[0].observation_space.sample()
    assert np.array_equal(collector._flat_row(sample), gym.spaces.flatten(envs[0].observation_space, sample))
    assert np.all(batch["final_observations"][batch["terminated"].astype(bool)].any(-1))
    learner.update(**batch)

    vec = gym.vector.SyncVectorEnv([lambda: Structured() for _ in range(2)],
                                   autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    batch = GymnasiumCollector(vec, learner.policy).collect(7)
    assert batch["observations"].shape == (7, 2, 12)
    expected = gym.spaces.flatten(vec.single_observation_space,
                                  next(iter(gym.vector.utils.iterate(vec.observation_space, vec.reset(seed=5)[0]))))
    assert expected.shape == (12,)
    learner.close()

    class Texty(Structured):
        observation_space = spaces.Text(5)

    with pytest.raises(swiftpg.InvalidArgumentError, match="fixed-width"):
        for_gymnasium("a2c", Texty())
