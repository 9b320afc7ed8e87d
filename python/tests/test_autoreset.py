"""Same-step and next-step autoreset, both native, against Gymnasium's
SyncVectorEnv over Gymnasium's own envs; gymnasium.make_vec returns the
native batch (vector_entry_point); Gymnasium's vector wrappers accept it;
the learners refuse a next-step batch."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import swiftpg

ENVS = ["CartPole-v1", "Pendulum-v1", "Acrobot-v1", "MountainCar-v0"]


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("env_id", ENVS)
def test_native_batch_equals_sync_vector_env_over_gymnasiums_envs(env_id, mode):
    n = 4
    ours = gym.make_vec(f"swiftpg/{env_id}", num_envs=n, autoreset_mode=mode)
    ref = gym.vector.SyncVectorEnv([lambda: gym.make(env_id) for _ in range(n)], autoreset_mode=mode)
    assert isinstance(ours, swiftpg.VectorEnv) and ours.metadata["autoreset_mode"] == mode
    o1, _ = ours.reset(seed=7)
    o2, _ = ref.reset(seed=7)
    assert np.array_equal(np.asarray(o1, np.float32), o2)
    ref.action_space.seed(3)
    ends = 0
    for t in range(1200 if env_id == "MountainCar-v0" else 500):
        a = ref.action_space.sample()
        obs, rew, term, trunc, info = ours.step(a)
        obs_r, rew_r, term_r, trunc_r, info_r = ref.step(a)
        assert np.array_equal(np.asarray(obs, np.float32), obs_r), t
        assert np.array_equal(rew, rew_r) and np.array_equal(term, term_r) and np.array_equal(trunc, trunc_r), t
        if mode == AutoresetMode.SAME_STEP and "final_obs" in info_r:
            done = info_r["_final_obs"]
            assert np.array_equal(info["_final_obs"], done)
            assert np.array_equal(np.stack(info["final_obs"][done]).astype(np.float32),
                                  np.stack(info_r["final_obs"][done]))
            assert set(info) == set(info_r) and np.array_equal(info["_final_info"], info_r["_final_info"])
            assert info["final_info"] == info_r["final_info"]
        if mode == AutoresetMode.NEXT_STEP:
            assert info == {}
        ends += int((term_r | trunc_r).sum())
    assert ends >= 4  # the comparison went through episode ends and resets
    ours.close()
    ref.close()


def test_gymnasium_vector_wrappers_accept_the_next_step_batch():
    env = gym.make_vec("swiftpg/CartPole-v1", num_envs=8, autoreset_mode=AutoresetMode.NEXT_STEP)
    wrapped = gym.wrappers.vector.NormalizeObservation(gym.wrappers.vector.RecordEpisodeStatistics(env))
    wrapped.reset(seed=0)
    for _ in range(300):
        wrapped.step(wrapped.action_space.sample())
    assert env.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    wrapped.close()


def test_make_vec_time_limits_and_modes():
    env = gym.make_vec("swiftpg/CartPole-v1", num_envs=2)
    assert env.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert env.get_parameter("max_episode_steps").tolist() == [500, 500]  # the built-in limit, not 0
    env.close()
    env = gym.make_vec("swiftpg/CartPole-v1", num_envs=2, max_episode_steps=50, autoreset_mode="next_step")
    assert env.get_parameter("max_episode_steps").tolist() == [50, 50]
    assert env.autoreset_mode == AutoresetMode.NEXT_STEP
    env.close()
    for bad in ("disabled", AutoresetMode.DISABLED, 1, None):
        with pytest.raises(swiftpg.InvalidArgumentError):
            swiftpg.make_vec("CartPole-v1", 2, autoreset_mode=bad)


def test_learners_refuse_a_next_step_batch_and_pickling_keeps_the_mode():
    import pickle

    env = swiftpg.make_vec("CartPole-v1", 4, seed=0, autoreset_mode="next_step")
    learner = swiftpg.algorithms.PPO(env)
    with pytest.raises(swiftpg.InvalidArgumentError, match="next-step autoreset"):
        learner.train(2048)
    learner.close()
    env.reset(seed=1)
    for _ in range(40):
        env.step(np.ones(4, np.int64))
    copy = pickle.loads(pickle.dumps(env))
    assert copy.autoreset_mode == AutoresetMode.NEXT_STEP
    for _ in range(100):
        a = np.random.default_rng(0).integers(0, 2, 4)
        r1, r2 = env.step(a), copy.step(a)
        assert np.array_equal(r1[0], r2[0]) and np.array_equal(r1[1], r2[1])
    env.close()
    copy.close()


def test_evaluations_and_searches_refuse_a_next_step_batch():
    """Evaluation and policy search count episodes: on a next-step batch
    they would count the reset steps (review finding), so they refuse it."""
    env = swiftpg.make_vec("CartPole-v1", 4, seed=0)
    learner = swiftpg.algorithms.PPO(env)
    next_step = swiftpg.make_vec("CartPole-v1", 4, seed=0, autoreset_mode="next_step")
    with pytest.raises(swiftpg.InvalidArgumentError, match="next-step"):
        learner.evaluate(8, env=next_step)
    with pytest.raises(swiftpg.InvalidArgumentError, match="next-step"):
        learner.policy.evaluate(next_step, episodes=4)
    search = swiftpg.algorithms.PolicySearch(next_step)
    with pytest.raises(swiftpg.InvalidArgumentError, match="next-step"):
        search.iterate()
    search.close()
    learner.close()
    env.close()
    next_step.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_make_vec_with_gymnasiums_own_vectorisers(mode):
    """vectorization_mode='sync'/'async' builds Gymnasium's vector env of
    single swiftpg envs (the spec's kwargs must not read as a time limit of
    0; review finding), equal to the one over Gymnasium's envs."""
    ours = gym.make_vec("swiftpg/CartPole-v1", num_envs=2, vectorization_mode=mode)
    ref = gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode=mode)
    o1, _ = ours.reset(seed=3)
    o2, _ = ref.reset(seed=3)
    assert np.array_equal(o1, o2)
    ref.action_space.seed(0)
    for _ in range(300):
        a = ref.action_space.sample()
        r1, r2 = ours.step(a), ref.step(a)
        assert all(np.array_equal(x, y) for x, y in zip(r1[:4], r2[:4]))
    ours.close()
    ref.close()


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_a_list_of_seeds_reseeds_each_instance_as_gymnasium_does(mode):
    """reset(seed=[s0, None, s2, s3]): instance i as Gymnasium's env i after
    reset(seed=s_i); a None keeps the stream (at the first reset: the creation
    seed + i). Bad lists are refused with nothing reset."""
    n = 4
    ours = swiftpg.make_vec("Acrobot-v1", n, seed=20, autoreset_mode=mode)
    ref = gym.vector.SyncVectorEnv([lambda: gym.make("Acrobot-v1") for _ in range(n)], autoreset_mode=mode)
    o1, _ = ours.reset(seed=[5, None, 9, 2**40])
    o2, _ = ref.reset(seed=[5, 21, 9, 2**40])
    assert np.array_equal(np.asarray(o1, np.float32), o2)
    ref.action_space.seed(1)
    for t in range(600):
        a = ref.action_space.sample()
        assert np.array_equal(np.asarray(ours.step(a)[0], np.float32), ref.step(a)[0]), t
    o1, _ = ours.reset(seed=[None, 3, None, None])   # the Nones continue their streams
    o2, _ = ref.reset(seed=[None, 3, None, None])
    assert np.array_equal(np.asarray(o1, np.float32)[1], o2[1])
    state = ours.get_state()
    for bad in ([1, 2, 3], [1, 2, 3, -1], [1, 2, 3, "x"], [1, 2, 3, 2**64]):
        with pytest.raises((swiftpg.InvalidArgumentError, swiftpg.DTypeError)):
            ours.reset(seed=bad)
    assert np.array_equal(ours.get_state(), state)
    ours.close()
    ref.close()
