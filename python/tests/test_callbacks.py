"""Callbacks, progress bar and logs (swiftpg.callbacks): frequencies in env
steps, SB3's stop conventions, best-model and checkpoint files that resume
exactly, CSV and TensorBoard files that hold what the iterations did."""

from __future__ import annotations

import csv
import glob
import os
import struct
import sys

import numpy as np
import pytest

import swiftpg
from swiftpg import _lib
from swiftpg.algorithms import PPO, REINFORCE, PolicySearch, PPOConfig, ReinforceConfig, SearchConfig
from swiftpg.callbacks import (BaseCallback, CallbackList, CheckpointCallback, CSVLogger, EvalCallback,
                               ProgressBarCallback, StopTrainingOnEpisodeReturn, StopTrainingOnNoModelImprovement,
                               StopTrainingOnRewardThreshold, TensorBoardLogger)

# 4 lanes × 16 steps: every iteration adds 64 env steps.
STEPS = 64


def small_ppo(seed: int = 0) -> PPO:
    return PPO("CartPole-v1", config=PPOConfig(seed=seed, steps_per_env=16, minibatch_size=32, epochs=2),
               num_envs=4, hidden_sizes=(16,))


class Recorder(BaseCallback):
    """Records the hooks called and the timesteps it saw; stops after ``stop_after`` calls."""

    def __init__(self, stop_after: int | None = None):
        super().__init__()
        self.events: list = []
        self.stop_after = stop_after

    def _on_training_start(self):
        self.events.append(("start", self.num_timesteps, self.total_env_steps))

    def _on_step(self):
        self.events.append(("step", self.num_timesteps, self.stats.iteration))
        return self.stop_after is None or self.n_calls < self.stop_after

    def _on_training_end(self):
        self.events.append(("end", self.num_timesteps))


def test_hooks_run_in_order_and_false_stops_after_that_iteration():
    with small_ppo() as learner:
        rec = Recorder(stop_after=3)
        history = learner.train(10 * STEPS, callback=rec)
        assert len(history) == 3 and learner.total_env_steps == 3 * STEPS
        assert rec.events[0] == ("start", 0, 10 * STEPS)
        assert [e[1] for e in rec.events[1:4]] == [STEPS, 2 * STEPS, 3 * STEPS]
        assert rec.events[-1] == ("end", 3 * STEPS) and rec.model is learner
        # The budget is a total: a second call trains only the remainder.
        learner.train(5 * STEPS)
        assert learner.total_env_steps == 5 * STEPS


def test_a_list_runs_every_callback_of_the_stopping_iteration_and_functions_stop_on_truthy():
    with small_ppo() as learner:
        first, second = Recorder(stop_after=2), Recorder()
        learner.train(10 * STEPS, callback=[first, second])
        assert len([e for e in second.events if e[0] == "step"]) == 2
        assert isinstance(swiftpg.callbacks.as_callback_object([first]), CallbackList)
        calls = []
        learner.train(20 * STEPS, callback=lambda s: calls.append(s.iteration) or len(calls) == 2)
        assert len(calls) == 2 and learner.total_env_steps == 4 * STEPS


def test_bad_callbacks_fail_before_any_training():
    with small_ppo() as learner:
        for bad in (3, "x", [Recorder(), 5], [None]):
            with pytest.raises(swiftpg.DTypeError):
                learner.train(STEPS, callback=bad)
        with pytest.raises(_lib.InvalidArgumentError):
            EvalCallback(eval_freq=0)
        with pytest.raises(swiftpg.DTypeError):
            EvalCallback(callback_on_new_best=lambda: None)
        with pytest.raises(swiftpg.DTypeError):
            learner.train(STEPS, progress_bar="yes")
        with pytest.raises(swiftpg.DTypeError, match="stop must be a callable"):
            swiftpg.callbacks.run_training(learner, STEPS, stop=[])
        assert learner.total_env_steps == 0 and learner.history == []


def test_callbacks_end_even_when_an_iteration_raises(tmp_path):
    class Boom(BaseCallback):
        def _on_step(self):
            raise RuntimeError("boom")

    with small_ppo() as learner:
        log = CSVLogger(tmp_path)
        with pytest.raises(RuntimeError, match="boom"):
            learner.train(4 * STEPS, callback=[log, Boom()])
        assert log._files == []                   # closed by on_training_end
        with open(log.progress_path) as f:
            assert len(list(csv.DictReader(f))) == 1


def test_eval_callback_evaluates_every_k_env_steps_and_saves_the_best(tmp_path):
    with small_ppo(seed=1) as learner:
        ev = EvalCallback(eval_freq=4 * STEPS, n_eval_episodes=5, best_model_save_path=tmp_path / "best",
                          log_path=tmp_path / "logs", eval_seed=99, verbose=0)
        learner.train(16 * STEPS, callback=ev)
        assert ev.evaluations_timesteps == [4 * STEPS, 8 * STEPS, 12 * STEPS, 16 * STEPS]
        # Each evaluation is learner.evaluate on the same fixed episodes.
        returns, _ = learner.evaluate(episodes=5, seed=99)
        np.testing.assert_array_equal(ev.evaluations_results[-1], returns)
        means = [r.mean() for r in ev.evaluations_results]
        assert ev.best_mean_reward == max(means) and ev.last_mean_reward == means[-1]
        data = np.load(tmp_path / "logs" / "evaluations.npz")
        assert data["results"].shape == (4, 5) and data["ep_lengths"].shape == (4, 5)
        np.testing.assert_array_equal(data["timesteps"], ev.evaluations_timesteps)
        # The best file is the learner as it was at its best evaluation.
        best_at = ev.evaluations_timesteps[int(np.argmax(means))]
    with PPO.load(tmp_path / "best" / "best.swiftpg") as best:
        assert best.total_env_steps == best_at
        again, _ = best.evaluate(episodes=5, seed=99)
        assert again.mean() == ev.best_mean_reward


def test_stop_on_reward_threshold_and_on_no_improvement():
    with small_ppo() as learner:
        stop = StopTrainingOnRewardThreshold(reward_threshold=-1.0)     # any evaluation reaches it
        ev = EvalCallback(eval_freq=2 * STEPS, n_eval_episodes=2, callback_on_new_best=stop, verbose=0)
        learner.train(20 * STEPS, callback=ev)
        assert learner.total_env_steps == 2 * STEPS and stop.parent is ev
    with small_ppo() as learner:
        stale = StopTrainingOnNoModelImprovement(max_no_improvement_evals=1, min_evals=1)
        ev = EvalCallback(eval_freq=STEPS, n_eval_episodes=2, callback_after_eval=stale, verbose=0)
        learner.train(200 * STEPS, callback=ev)
        means = [r.mean() for r in ev.evaluations_results]
        # It stopped at the second evaluation in a row without a new best (after the first).
        best = np.maximum.accumulate(means)
        stale_runs = [i for i in range(2, len(means)) if best[i] <= best[i - 1] and best[i - 1] <= best[i - 2]]
        assert stale_runs and len(means) == stale_runs[0] + 1, means
    with small_ppo() as learner:
        with pytest.raises(_lib.InvalidArgumentError, match="EvalCallback"):
            learner.train(STEPS, callback=StopTrainingOnRewardThreshold(1.0))
        with pytest.raises(_lib.InvalidArgumentError, match="EvalCallback"):
            learner.train(STEPS, callback=[StopTrainingOnNoModelImprovement(1)])
        with pytest.raises(swiftpg.DTypeError, match="class"):
            learner.train(STEPS, callback=CSVLogger)
        with pytest.raises(_lib.InvalidArgumentError, match="directory"):
            learner.train(STEPS, checkpoint=os.getcwd())
        assert learner.total_env_steps == 0              # refused before any training


def test_stop_on_the_rolling_mean_of_finished_training_episodes():
    with small_ppo() as learner:
        history = learner.train(400 * STEPS, callback=StopTrainingOnEpisodeReturn(-1.0, window=30))
        counts = np.cumsum([s.episodes for s in history])
        # It stops at the first iteration by which 30 episodes have ended.
        assert counts[-1] >= 30 and (len(counts) == 1 or counts[-2] < 30)
    with small_ppo() as learner:
        history = learner.train(30 * STEPS, stop_at_return=1e9, stop_window=5)
        assert learner.total_env_steps == 30 * STEPS          # never reached: the whole budget


def test_checkpoints_are_the_latest_state_and_resume_exactly(tmp_path):
    with small_ppo(seed=3) as a:
        a.train(12 * STEPS)
        reference = a.policy.params.copy()
    with small_ppo(seed=3) as b:
        cp = CheckpointCallback(save_freq=4 * STEPS, save_path=tmp_path, keep_all=True, name_prefix="ppo")
        b.train(6 * STEPS, callback=cp)
        assert sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / "ppo_*"))) == [
            f"ppo_{4 * STEPS}_steps.swiftpg", f"ppo_{6 * STEPS}_steps.swiftpg"]   # and the end of training
    with PPO.load(tmp_path / "last.swiftpg") as resumed:
        assert resumed.total_env_steps == 6 * STEPS
        resumed.train(12 * STEPS)
        np.testing.assert_array_equal(resumed.policy.params, reference)
    with pytest.raises(_lib.InvalidArgumentError, match="not a directory"):
        CheckpointCallback(save_freq=1, save_path=tmp_path / "last.swiftpg")


def test_progress_bar_over_env_steps_and_a_clear_error_without_tqdm(capsys, monkeypatch):
    with small_ppo() as learner:
        learner.train(4 * STEPS, progress_bar=True)
    err = capsys.readouterr().err
    assert "256/256" in err, err
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(ImportError, match=r"swiftpg\[progress\]"):
        ProgressBarCallback()
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"swiftpg\[tensorboard\]"):
        TensorBoardLogger("unused")


def test_csv_logs_hold_every_iteration_and_every_episode(tmp_path):
    with REINFORCE("CartPole-v1", config=ReinforceConfig(seed=0, steps_per_iteration=500), num_envs=4) as learner:
        history = learner.train(3000, callback=CSVLogger(tmp_path))
        learner.train(4000, callback=CSVLogger(tmp_path))       # resumes: appended, one header
        history += learner.history[len(history):]
    with open(tmp_path / "progress.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["iteration"]) for r in rows] == [s.iteration for s in history]
    assert [float(r["mean_return"]) for r in rows] == pytest.approx([s.mean_return for s in history], nan_ok=True)
    with open(tmp_path / "episodes.csv") as f:
        episodes = list(csv.DictReader(f))
    expected = np.concatenate([s.episode_returns for s in history])
    assert len(episodes) == expected.size == sum(s.episodes for s in history)
    np.testing.assert_array_equal([float(e["return"]) for e in episodes], expected)
    assert {int(e["success"]) for e in episodes} == {-1}       # CartPole defines no success


def _tensorboard_scalars(log_dir) -> dict:
    """{tag: [(step, value)]} read from the event files (TFRecord framing,
    tensorboardX's protobuf Event), without TensorBoard itself."""
    from tensorboardX.proto import event_pb2
    out: dict = {}
    for path in sorted(glob.glob(os.path.join(log_dir, "events.out.tfevents.*"))):
        data = open(path, "rb").read()
        i = 0
        while i < len(data):
            (length,) = struct.unpack("<Q", data[i:i + 8])
            event = event_pb2.Event.FromString(data[i + 12:i + 12 + length])
            i += 12 + length + 4
            for v in event.summary.value:
                out.setdefault(v.tag, []).append((event.step, v.simple_value))
    return out


def test_tensorboard_event_files_hold_the_iterations_and_episodes(tmp_path):
    with small_ppo() as learner:
        history = learner.train(8 * STEPS, callback=TensorBoardLogger(tmp_path))
    scalars = _tensorboard_scalars(tmp_path)
    assert [step for step, _ in scalars["train/total_env_steps"]] == [s.total_env_steps for s in history]
    np.testing.assert_allclose([v for _, v in scalars["train/entropy"]], [s.entropy for s in history], rtol=1e-6)
    returns = np.concatenate([s.episode_returns for s in history])
    np.testing.assert_allclose([v for _, v in scalars["rollout/ep_return"]], returns, rtol=1e-6)
    assert len(scalars["rollout/ep_length"]) == returns.size > 0


def test_policy_search_trains_on_an_env_step_budget_with_callbacks():
    with PolicySearch("CartPole-v1", config=SearchConfig(method="cem", population_size=10, elite_count=3,
                                                        episodes_per_evaluation=2, seed=1)) as search:
        rec = Recorder()
        history = search.train(total_env_steps=5_000, callback=rec)
        assert search.total_env_steps >= 5_000 and history[-2].total_env_steps < 5_000
        assert len([e for e in rec.events if e[0] == "step"]) == len(history)
        assert len(search.train(2)) == 2                     # a budget of iterations still works
        with pytest.raises(_lib.InvalidArgumentError, match="budget"):
            search.train()
