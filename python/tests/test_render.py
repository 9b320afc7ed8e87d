"""Rendering with Gymnasium's own renderer: a swiftpg env's frames are
Gymnasium's frames of the same states, step by step (parameters and
Pendulum's torque arrow included); videos through Gymnasium's RecordVideo."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import swiftpg

pytest.importorskip("pygame")

EPISODES = {
    "CartPole-v1": [0, 1, 1, 0, 1] * 8,
    "Pendulum-v1": [np.array([1.5]), np.array([-3.0]), np.array([0.2])] * 5,
    "Acrobot-v1": [0, 2, 1, 2, 0] * 4,
    "MountainCar-v0": [2, 2, 0, 1, 2] * 4,
    "MountainCarContinuous-v0": [np.array([0.7]), np.array([-1.5])] * 5,
}


@pytest.mark.parametrize("env_id", EPISODES)
def test_frames_are_gymnasiums_frames(env_id):
    ours = swiftpg.make(env_id, render_mode="rgb_array")
    theirs = gym.make(env_id, render_mode="rgb_array")
    try:
        ours.reset(seed=4)
        theirs.reset(seed=4)
        assert ours.metadata["render_fps"] == theirs.metadata["render_fps"]
        frames = 0
        for action in EPISODES[env_id]:
            np.testing.assert_array_equal(ours.render(), theirs.render())
            frames += 1
            *_, terminated, truncated, _ = ours.step(action)
            theirs.step(action)
            if terminated or truncated:
                np.testing.assert_array_equal(ours.render(), theirs.render())   # the terminal state
                break
        assert frames >= 5
    finally:
        ours.close()
        theirs.close()


def test_changed_parameters_are_drawn():
    ours = swiftpg.make("CartPole-v1", render_mode="rgb_array", length=1.0)
    theirs = gym.make("CartPole-v1", render_mode="rgb_array")
    theirs.unwrapped.length = 1.0
    try:
        ours.reset(seed=0)
        theirs.reset(seed=0)
        np.testing.assert_array_equal(ours.render(), theirs.render())
        theirs.unwrapped.length = 0.5
        assert not np.array_equal(ours.render(), theirs.render())
    finally:
        ours.close()
        theirs.close()


def test_render_modes_are_checked():
    # Accepted at creation (SB3's make_vec_env passes render_mode="rgb_array" to
    # every env), with a warning; render() raises naming the modes it draws.
    for env_id, mode, drawn in [("ShortCorridor-v0", "rgb_array", "'ansi'"), ("CartPole-v1", "ansi", "'human' or")]:
        with pytest.warns(UserWarning, match="renders only"):
            env = swiftpg.make(env_id, render_mode=mode)
        env.reset(seed=0)
        with pytest.raises(swiftpg.InvalidArgumentError, match=drawn):
            env.render()
        env.close()
    with pytest.raises(swiftpg.InvalidArgumentError, match="render_mode"):
        swiftpg.make("CartPole-v1", render_mode="rgb")
    with pytest.raises(swiftpg.DTypeError, match="render_mode"):
        swiftpg.make("CartPole-v1", render_mode=1)
    env = swiftpg.make("CartPole-v1")
    env.reset(seed=0)
    assert env.render() is None
    env.close()
    env = gym.make("swiftpg/Pendulum-v1", render_mode="rgb_array")
    env.reset(seed=0)
    assert env.render().shape == (500, 500, 3)
    env.close()


def test_eval_records_videos(tmp_path, capsys):
    pytest.importorskip("moviepy")
    from moviepy import VideoFileClip

    from swiftpg import cli
    from swiftpg.algorithms import PPO, PPOConfig
    path = tmp_path / "ppo.swiftpg"
    with PPO("CartPole-v1", config=PPOConfig(seed=0, steps_per_env=16, minibatch_size=32), num_envs=2) as learner:
        learner.train(256)
        learner.save(path)
    code = cli.main(["eval", str(path), "--episodes", "2", "--video", str(tmp_path / "videos"),
                     "--video-episodes", "2", "--json"])
    out, err = capsys.readouterr()
    import json
    videos = json.loads(out.strip().splitlines()[-1])["videos"]
    assert code == 0 and len(videos) == 2, err
    for video in videos:
        clip = VideoFileClip(video["path"])
        try:
            frames = sum(1 for _ in clip.iter_frames())
            # RecordVideo hands the writer the reset frame and one per step;
            # the MP4 written by moviepy may lack the last one.
            assert frames in (video["steps"], video["steps"] + 1) and frames >= 5, (frames, video)
            assert clip.fps == 50 and clip.size == [600, 400]
        finally:
            clip.close()
    code = cli.main(["eval", str(path), "--video", str(path)])
    assert code == 2 and "--video" in capsys.readouterr().err


def test_vector_env_frames_are_gymnasiums_frames_per_instance():
    """render() of a vector env: a tuple of Gymnasium's frames of the chosen
    instances (each instance's own state, and Pendulum's last torque)."""
    n = 3
    ours = swiftpg.make_vec("Pendulum-v1", n, seed=4, render_mode="rgb_array")
    theirs = [gym.make("Pendulum-v1", render_mode="rgb_array") for _ in range(n)]
    try:
        ours.reset()
        for i, env in enumerate(theirs):
            env.reset(seed=4 + i)
        for t in range(4):
            frames = ours.render()
            assert len(frames) == n
            for i, env in enumerate(theirs):
                np.testing.assert_array_equal(frames[i], env.render())
            np.testing.assert_array_equal(ours.render(instances=[2])[0], theirs[2].render())
            actions = np.array([[1.5], [-0.5], [2.0]]) * (t + 1) / 4
            ours.step(actions)
            for i, env in enumerate(theirs):
                env.step(actions[i].astype(np.float32))
        with pytest.raises(swiftpg.InvalidArgumentError):
            ours.render(instances=[n])
        text = swiftpg.make_vec("ShortCorridor-v0", 2, render_mode="ansi")
        text.reset()
        assert text.render() == ("A . . G   (step 0; state 1 switches the actions)\n",) * 2
        assert swiftpg.make_vec("CartPole-v1", 1).render() is None
        for bad, error in (("human", swiftpg.InvalidArgumentError), ("ansi", swiftpg.InvalidArgumentError),
                           (3, swiftpg.DTypeError)):
            with pytest.raises(error):
                swiftpg.make_vec("CartPole-v1", 1, render_mode=bad)
        vec = gym.make_vec("swiftpg/CartPole-v1", num_envs=2, render_mode="rgb_array")
        vec.reset(seed=0)
        assert len(vec.render()) == 2
    finally:
        ours.close()
        for env in theirs:
            env.close()
