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
