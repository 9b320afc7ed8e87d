"""Issue 21, the Python side: swiftpg's registered environments as the
ecosystem's tools use them (Stable-Baselines3's make_vec_env, RecordVideo,
text rendering). SB3 itself is not installed here (it needs PyTorch): the
tests replay what SB3 does; bench/sb3_interop.py runs SB3 itself."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest

import swiftpg

GYMNASIUM_NAMED = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"]
TEXT_ENVS = ["SimpleRegulator-v0", "TwoAction-v0", "ShortCorridor-v0", "GridWorld-v0"]


def test_every_registered_env_is_listed_here():
    assert sorted(GYMNASIUM_NAMED + TEXT_ENVS) == sorted(swiftpg.envs.env_ids())


@pytest.mark.parametrize("env_id", GYMNASIUM_NAMED + TEXT_ENVS)
def test_sb3_make_vec_env_creates_every_env(env_id):
    # stable_baselines3.common.env_util.make_vec_env calls
    # gym.make(id, render_mode="rgb_array", **env_kwargs) and falls back to no
    # render_mode only on TypeError: the keyword must be accepted by every env.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # "renders only with render_mode 'ansi'" for the text envs
        env = gym.make(f"swiftpg/{env_id}", render_mode="rgb_array")
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs) and info == {}
    env.action_space.seed(0)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert env.observation_space.contains(obs)
    assert isinstance(reward, float) and type(terminated) is bool and type(truncated) is bool
    env.close()


@pytest.mark.parametrize("env_id", TEXT_ENVS)
def test_text_envs_render_ansi(env_id):
    env = gym.make(f"swiftpg/{env_id}", render_mode="ansi")
    assert env.metadata["render_modes"] == ["ansi"]
    env.reset(seed=0)
    first = env.render()
    assert isinstance(first, str) and first.endswith("\n")
    env.action_space.seed(1)
    for _ in range(3):
        *_, terminated, truncated, _ = env.step(env.action_space.sample())
        frame = env.render()
        assert isinstance(frame, str) and frame.endswith("\n")
        if terminated or truncated:
            break
    env.close()


def test_ansi_pictures():
    env = swiftpg.make("GridWorld-v0", render_mode="ansi")
    env.reset(seed=0)
    assert env.render() == swiftpg.envs.DEFAULT_GRID.replace("S", "A", 1) + "\n"
    corridor = swiftpg.make("ShortCorridor-v0", render_mode="ansi")
    corridor.reset(seed=0)
    assert corridor.render().startswith("A . . G")
    corridor.step(0)                                      # action 0 moves right in the first state
    assert corridor.render().startswith("S A . G")
    regulator = swiftpg.make("SimpleRegulator-v0", render_mode="ansi")
    regulator.reset(seed=0)
    assert regulator.render() == f"SimpleRegulator-v0: step 0, state [{regulator.get_state()[0]:.6g}]\n"


def test_record_video_frames_are_gymnasiums(tmp_path):
    pytest.importorskip("pygame")
    pytest.importorskip("moviepy")
    from gymnasium.wrappers import RecordVideo
    from moviepy import VideoFileClip

    frames = {}
    for name in ("swiftpg/CartPole-v1", "CartPole-v1"):
        folder = tmp_path / name.replace("/", "_")
        env = RecordVideo(gym.make(name, render_mode="rgb_array"), str(folder), episode_trigger=lambda e: True,
                          disable_logger=True)
        env.reset(seed=3)
        for action in [0, 1, 1, 0, 1] * 3:
            env.step(action)
        env.close()
        [video] = list(folder.glob("*.mp4"))
        clip = VideoFileClip(str(video))
        try:
            frames[name] = np.stack(list(clip.iter_frames()))
        finally:
            clip.close()
    assert len(frames["CartPole-v1"]) >= 15
    np.testing.assert_array_equal(frames["swiftpg/CartPole-v1"], frames["CartPole-v1"])


def test_rendering_without_pygame_names_the_extra(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_pygame(name, *args, **kwargs):
        if name == "pygame" or name.startswith("pygame."):
            raise ImportError("No module named 'pygame'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pygame)
    env = swiftpg.make("CartPole-v1", render_mode="rgb_array")
    env.reset(seed=0)
    with pytest.raises(ImportError, match=r"swiftpg\[render\]"):
        env.render()
    env.close()


# -- specs and the time limit ---------------------------------------------------

def _wrappers(env) -> list[str]:
    names = []
    while isinstance(env, gym.Wrapper):
        names.append(type(env).__name__)
        env = env.env
    return names


@pytest.mark.parametrize("env_id", GYMNASIUM_NAMED)
def test_specs_are_gymnasiums(env_id):
    ours, theirs = gym.spec(f"swiftpg/{env_id}"), gym.spec(env_id)
    assert (ours.max_episode_steps, ours.reward_threshold) == (theirs.max_episode_steps, theirs.reward_threshold)
    env = gym.make(f"swiftpg/{env_id}")
    assert _wrappers(env).count("TimeLimit") == 1 and env.spec.max_episode_steps == theirs.max_episode_steps
    assert env.unwrapped.get_parameter("max_episode_steps") == 0         # the env's own limit is off
    env.close()


def test_textbook_specs():
    assert gym.spec("swiftpg/GridWorld-v0").max_episode_steps == 100
    assert gym.spec("swiftpg/ShortCorridor-v0").max_episode_steps == 1000
    # Horizons that terminate (part of the problem): no TimeLimit, the env's own horizon.
    for env_id, horizon in [("SimpleRegulator-v0", 10), ("TwoAction-v0", 1)]:
        assert gym.spec(f"swiftpg/{env_id}").max_episode_steps is None
        env = gym.make(f"swiftpg/{env_id}")
        assert "TimeLimit" not in _wrappers(env)
        env.reset(seed=0)
        env.action_space.seed(0)
        for t in range(1, horizon + 1):
            *_, terminated, truncated, _ = env.step(env.action_space.sample())
        assert (terminated, truncated) == (True, False) and t == horizon
        env.close()


@pytest.mark.parametrize("limit", [None, 150, 300])
def test_one_time_limit_as_gymnasiums(limit):
    # Pendulum never terminates: every episode ends by the time limit, which
    # must be exactly Gymnasium's (200 by default; a longer one is not cut at
    # 200 by a second, built-in limit).
    kwargs = {} if limit is None else {"max_episode_steps": limit}
    ours = gym.make("swiftpg/Pendulum-v1", **kwargs)
    theirs = gym.make("Pendulum-v1", **kwargs)
    ours.reset(seed=5)
    theirs.reset(seed=5)
    for t in range(1, (limit or 200) + 1):
        action = np.array([np.sin(t)], np.float32)
        o1, r1, te1, tr1, _ = ours.step(action)
        o2, r2, te2, tr2, _ = theirs.step(action)
        np.testing.assert_array_equal(o1, o2)
        assert (r1, te1, tr1) == (r2, te2, tr2) and type(r1) is type(r2)
    assert tr1 and t == (limit or 200)
    # The next episode continues each generator as Gymnasium's reset does.
    np.testing.assert_array_equal(ours.reset()[0], theirs.reset()[0])
    ours.close()
    theirs.close()


def test_no_time_limit():
    env = gym.make("swiftpg/Pendulum-v1", max_episode_steps=-1)
    assert "TimeLimit" not in _wrappers(env)
    env.reset(seed=0)
    for _ in range(1000):
        *_, terminated, truncated, _ = env.step(np.zeros(1, np.float32))
        assert not (terminated or truncated)
    env.close()


def test_time_aware_observation():
    from gymnasium.wrappers import TimeAwareObservation
    ours = TimeAwareObservation(gym.make("swiftpg/CartPole-v1"))
    theirs = TimeAwareObservation(gym.make("CartPole-v1"))
    assert ours.observation_space == theirs.observation_space
    np.testing.assert_array_equal(ours.reset(seed=2)[0], theirs.reset(seed=2)[0])
    for action in [0, 1, 1, 0, 0, 1]:
        np.testing.assert_array_equal(ours.step(action)[0], theirs.step(action)[0])


@pytest.mark.parametrize("env_id", GYMNASIUM_NAMED)
def test_check_environments_match(env_id):
    from gymnasium.utils.env_match import check_environments_match
    check_environments_match(gym.make(f"swiftpg/{env_id}"), gym.make(env_id), num_steps=1000, seed=7,
                             skip_render=True)


def test_check_environments_match_renders_too():
    pytest.importorskip("pygame")
    from gymnasium.utils.env_match import check_environments_match
    check_environments_match(gym.make("swiftpg/Acrobot-v1", render_mode="rgb_array"),
                             gym.make("Acrobot-v1", render_mode="rgb_array"), num_steps=30, seed=1)


# -- Stable-Baselines3's check_env, as a contract (SB3 needs PyTorch: bench/sb3_interop.py runs SB3's own) --

def _sb3_check_obs(obs, space):
    """SB3's env_checker._check_obs for the spaces swiftpg uses."""
    assert not isinstance(obs, tuple)
    if isinstance(space, gym.spaces.Discrete):
        assert np.issubdtype(type(obs), np.integer)
    else:
        assert isinstance(obs, np.ndarray) and obs.shape == space.shape
        assert np.can_cast(obs.dtype, space.dtype)
        assert np.all(obs >= space.low) and np.all(obs <= space.high)
    assert space.contains(obs)


SB3_KWARGS = {"SimpleRegulator-v0": {"action_bound": 5.0}}


@pytest.mark.parametrize("env_id", GYMNASIUM_NAMED + TEXT_ENVS)
def test_sb3_check_env_contract(env_id):
    env = gym.make(f"swiftpg/{env_id}", **SB3_KWARGS.get(env_id, {}))
    assert isinstance(env.observation_space, (gym.spaces.Box, gym.spaces.Discrete))
    if isinstance(env.action_space, gym.spaces.Box):
        # "Continuous action space must have a finite lower and upper bound"
        assert np.all(np.isfinite([env.action_space.low, env.action_space.high]))
        assert env.action_space.dtype == np.float32
    else:
        assert isinstance(env.action_space, gym.spaces.Discrete) and env.action_space.start == 0
    result = env.reset(seed=0)
    assert isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)
    _sb3_check_obs(result[0], env.observation_space)
    env.action_space.seed(0)
    for _ in range(10):                                   # SB3's _check_nan: 10 random steps
        result = env.step(env.action_space.sample())
        assert isinstance(result, tuple) and len(result) == 5
        obs, reward, terminated, truncated, info = result
        _sb3_check_obs(obs, env.observation_space)
        assert isinstance(reward, (float, int)) and np.isfinite(reward)
        assert isinstance(terminated, bool) and isinstance(truncated, bool) and isinstance(info, dict)
        if terminated or truncated:
            env.reset()
    env.close()


def test_simple_regulator_is_unbounded_without_the_option():
    env = gym.make("swiftpg/SimpleRegulator-v0")
    assert not np.isfinite(env.action_space.high).all()
    bounded = gym.make("swiftpg/SimpleRegulator-v0", action_bound=5.0)
    assert bounded.action_space == gym.spaces.Box(-5.0, 5.0, (1,), np.float32)
