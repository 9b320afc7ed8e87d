"""Callbacks that steer training, in the style of Stable-Baselines3's
(``stable_baselines3.common.callbacks``): pass one, or a list, as
``learner.train(..., callback=...)``.

Every learner (the policy-gradient learners and :class:`PolicySearch`) runs
the same loop (:func:`run_training`): one call into Swift per iteration, then
``on_step`` of each callback. A callback's ``_on_step`` returns ``False`` to
stop training (SB3's convention); the iteration it saw is complete, so the
learner is in a consistent state that :meth:`save` can write.

Frequencies (``eval_freq``, ``save_freq``) count **environment steps**
(transitions), not iterations: a callback acts after the first iteration
that reaches or passes each multiple of its frequency.

Provided:

- :class:`EvalCallback`: greedy (or stochastic) evaluation episodes every
  ``eval_freq`` env steps; saves the best learner (``best.swiftpg``) and the
  evaluation history (``evaluations.npz``, SB3's keys); can stop on a
  reward threshold or on no improvement (``callback_on_new_best`` /
  ``callback_after_eval``).
- :class:`CheckpointCallback`: an atomic ``last.swiftpg`` every
  ``save_freq`` env steps (always the latest state, for ``--resume``),
  optionally a numbered copy of each.
- :class:`StopTrainingOnRewardThreshold`, :class:`StopTrainingOnNoModelImprovement`:
  for :class:`EvalCallback`, as in SB3.
- :class:`StopTrainingOnEpisodeReturn`: stops once the rolling mean return
  of the last ``window`` finished *training* episodes reaches a threshold.
- :class:`ProgressBarCallback`: a tqdm bar over the env-step budget
  (``train(progress_bar=True)``); needs ``tqdm`` (extra ``swiftpg[progress]``).
- :class:`CSVLogger`, :class:`TensorBoardLogger`: every iteration's
  statistics and every finished episode, as CSV files or as TensorBoard
  event files (the latter needs ``tensorboardX``, extra
  ``swiftpg[tensorboard]``).
- :class:`CallbackList`, :class:`FunctionCallback` (wraps a plain function
  ``f(stats)``; a truthy return stops, the convention of swiftpg 0.1).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
import time
from collections import deque
from typing import Any

import numpy as np

from ._arrays import DTypeError, as_bool, as_count, as_float, as_path, as_seed
from ._lib import CheckpointIOError, InvalidArgumentError

__all__ = [
    "BaseCallback", "CallbackList", "FunctionCallback", "EvalCallback", "CheckpointCallback",
    "StopTrainingOnRewardThreshold", "StopTrainingOnNoModelImprovement", "StopTrainingOnEpisodeReturn",
    "ProgressBarCallback", "CSVLogger", "TensorBoardLogger", "run_training", "as_callback_object",
]


def _optional_module(module: str, extra: str, purpose: str):
    """Imports an optional dependency, or raises ImportError naming the extra."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"{purpose} needs the optional package '{module}': pip install 'swiftpg[{extra}]' "
                          f"(or pip install {module})") from error


class BaseCallback:
    """Base class of the callbacks (SB3's ``BaseCallback`` interface).

    Attributes set by the training loop: ``learner`` (also ``model``, SB3's
    name), ``num_timesteps`` (the learner's ``total_env_steps``), ``n_calls``
    (iterations seen), ``stats`` (the last iteration's statistics:
    :class:`TrainStats` or :class:`SearchStats`), ``total_env_steps`` (this
    call's budget) and ``parent`` (the :class:`EvalCallback` that called a
    child callback). Override ``_on_training_start``, ``_on_step`` (return
    ``False`` to stop) and ``_on_training_end``."""

    def __init__(self, verbose: int = 0):
        self.verbose = as_count(verbose, "verbose", 0)
        self.learner: Any = None                  # any swiftpg learner (duck-typed: run_training checks it)
        self.n_calls = 0
        self.num_timesteps = 0
        self.stats: Any = None                    # TrainStats or SearchStats
        self.total_env_steps: int | None = 0
        self.max_iterations: int | None = None
        self.parent: BaseCallback | None = None

    @property
    def model(self):
        """The learner (SB3's name for it)."""
        return self.learner

    def init_callback(self, learner) -> None:
        """Binds the callback to ``learner`` (called once per ``train``)."""
        self.learner = learner
        self._init_callback()

    def _init_callback(self) -> None:
        pass

    def _bound(self):
        """The learner of ``init_callback``; InvalidArgumentError before
        it (the training loop binds it; a hook called by hand must too)."""
        if self.learner is None:
            raise InvalidArgumentError(f"{type(self).__name__} is not bound to a learner: call init_callback(learner) "
                                       "first (train() does)")
        return self.learner

    def on_training_start(self, total_env_steps: int | None, max_iterations: int | None = None) -> None:
        learner = self._bound()
        self.total_env_steps = total_env_steps
        self.max_iterations = max_iterations
        self.num_timesteps = learner.total_env_steps
        self._on_training_start()

    def _on_training_start(self) -> None:
        pass

    def on_step(self, stats=None) -> bool:
        """Called after each iteration; ``False`` stops training."""
        learner = self._bound()
        self.n_calls += 1
        self.num_timesteps = learner.total_env_steps
        if stats is not None:
            self.stats = stats
        return self._on_step() is not False

    def _on_step(self) -> bool:
        return True

    def on_training_end(self) -> None:
        self._on_training_end()

    def _on_training_end(self) -> None:
        pass


class CallbackList(BaseCallback):
    """Runs several callbacks in order; training stops when any returns False
    (the others of that iteration still run, so a logger records it)."""

    def __init__(self, callbacks):
        super().__init__()
        if not isinstance(callbacks, (list, tuple)):
            raise DTypeError(f"callbacks must be a list of callbacks, got {type(callbacks).__name__}")
        self.callbacks: list[BaseCallback] = [c for c in map(as_callback_object, callbacks) if c is not None]
        if len(self.callbacks) != len(callbacks):
            raise DTypeError("a CallbackList holds callbacks, not None")

    def _init_callback(self) -> None:
        for c in self.callbacks:
            c.parent = self.parent
            c.init_callback(self.learner)

    def _on_training_start(self) -> None:
        for c in self.callbacks:
            c.on_training_start(self.total_env_steps, self.max_iterations)

    def _on_step(self) -> bool:
        go = True
        for c in self.callbacks:
            go = c.on_step(self.stats) and go
        return go

    def _on_training_end(self) -> None:
        for c in self.callbacks:
            c.on_training_end()


class FunctionCallback(BaseCallback):
    """Wraps a plain function ``f(stats)`` run after each iteration; a truthy
    return stops training (swiftpg's convention for plain functions)."""

    def __init__(self, function):
        super().__init__()
        if not callable(function):
            raise DTypeError(f"callback must be callable, got {type(function).__name__}")
        self.function = function

    def _on_step(self) -> bool:
        return not self.function(self.stats)


def as_callback_object(callback) -> BaseCallback | None:
    """``None``, a :class:`BaseCallback`, a list of them (a
    :class:`CallbackList`) or a plain function (a :class:`FunctionCallback`);
    anything else raises DTypeError."""
    if callback is None or isinstance(callback, BaseCallback):
        return callback
    if isinstance(callback, type):
        raise DTypeError(f"callback must be a callback object, got the class {callback.__name__} (create one: "
                         f"{callback.__name__}(...))")
    if isinstance(callback, (list, tuple)):
        return CallbackList(callback)
    if callable(callback):
        return FunctionCallback(callback)
    raise DTypeError(f"callback must be a swiftpg.callbacks.BaseCallback, a list of them, a function or None, "
                     f"got {type(callback).__name__}")


def saving_then(learner, checkpoint, callback) -> list:
    """The callbacks of ``train(checkpoint=..., callback=...)``: save
    ``learner`` to ``checkpoint`` (a path, or None) after every iteration,
    then the user's callback (checked here, before any training)."""
    callbacks: list[BaseCallback] = []
    if checkpoint is not None:
        if os.path.isdir(os.fsdecode(as_path(checkpoint, "checkpoint"))):
            raise InvalidArgumentError(f"checkpoint {checkpoint!r} is a directory; give a file path "
                                       "(or use CheckpointCallback for a folder)")
        callbacks.append(FunctionCallback(lambda stats: learner.save(checkpoint)))
    user = as_callback_object(callback)
    if user is not None:
        callbacks.append(user)
    return callbacks


def _episode_returns(stats) -> list:
    """The returns of the episodes that ended in an iteration (none for a search)."""
    return np.asarray(getattr(stats, "episode_returns", ()), dtype=float).tolist()


def _crossed(before: int, now: int, freq: int) -> bool:
    """Whether a multiple of ``freq`` lies in ``(before, now]``."""
    return now // freq > before // freq


def _directory(path, name: str) -> str:
    """``path`` as a str, created as a directory (InvalidArgumentError when a
    file stands there)."""
    path = os.fsdecode(as_path(path, name))
    if os.path.exists(path) and not os.path.isdir(path):
        raise InvalidArgumentError(f"{name} {path!r} exists and is not a directory")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise CheckpointIOError(f"cannot create the {name} directory {path!r}: {error.strerror or error}") from None
    return path


class StopTrainingOnRewardThreshold(BaseCallback):
    """For :class:`EvalCallback` (``callback_on_new_best``): stops training
    once the best mean evaluation return reaches ``reward_threshold``."""

    def __init__(self, reward_threshold: float, verbose: int = 0):
        super().__init__(verbose)
        self.reward_threshold = as_float(reward_threshold, "reward_threshold")
        if math.isnan(self.reward_threshold):
            raise InvalidArgumentError("reward_threshold must not be NaN")

    def _init_callback(self) -> None:
        if not isinstance(self.parent, EvalCallback):
            raise InvalidArgumentError("StopTrainingOnRewardThreshold must be an EvalCallback's callback_on_new_best "
                                       "(use StopTrainingOnEpisodeReturn to stop on training episodes)")

    def _on_step(self) -> bool:
        parent = self.parent
        assert isinstance(parent, EvalCallback)   # checked by _init_callback
        reached = parent.best_mean_reward >= self.reward_threshold
        if reached and self.verbose:
            print(f"Stopping: the best mean evaluation return {parent.best_mean_reward:.2f} reached "
                  f"{self.reward_threshold:g}")
        return not reached


class StopTrainingOnNoModelImprovement(BaseCallback):
    """For :class:`EvalCallback` (``callback_after_eval``): stops once
    ``max_no_improvement_evals`` evaluations in a row did not improve the
    best mean return, counting only after ``min_evals`` evaluations."""

    def __init__(self, max_no_improvement_evals: int, min_evals: int = 0, verbose: int = 0):
        super().__init__(verbose)
        self.max_no_improvement_evals = as_count(max_no_improvement_evals, "max_no_improvement_evals")
        self.min_evals = as_count(min_evals, "min_evals", 0)
        self.last_best = -math.inf
        self.no_improvement_evals = 0

    def _init_callback(self) -> None:
        if not isinstance(self.parent, EvalCallback):
            raise InvalidArgumentError("StopTrainingOnNoModelImprovement must be an EvalCallback's "
                                       "callback_after_eval")

    def _on_step(self) -> bool:
        parent = self.parent
        assert isinstance(parent, EvalCallback)   # checked by _init_callback
        if self.n_calls > self.min_evals:
            if parent.best_mean_reward > self.last_best:
                self.no_improvement_evals = 0
            else:
                self.no_improvement_evals += 1
        self.last_best = parent.best_mean_reward
        stop = self.no_improvement_evals > self.max_no_improvement_evals
        if stop and self.verbose:
            print(f"Stopping: no improvement in the last {self.no_improvement_evals} evaluations")
        return not stop


class StopTrainingOnEpisodeReturn(BaseCallback):
    """Stops once the mean return of the last ``window`` finished training
    episodes (a rolling mean over episodes, not iterations) reaches
    ``threshold``; nothing happens before ``window`` episodes have ended."""

    def __init__(self, threshold: float, window: int = 100, verbose: int = 0):
        super().__init__(verbose)
        self.threshold = as_float(threshold, "threshold")
        if math.isnan(self.threshold):
            raise InvalidArgumentError("threshold must not be NaN")
        self.window = as_count(window, "window")
        self.returns: deque = deque(maxlen=self.window)

    def _on_step(self) -> bool:
        self.returns.extend(_episode_returns(self.stats))
        if len(self.returns) < self.window:
            return True
        mean = float(np.mean(self.returns))
        if mean >= self.threshold and self.verbose:
            print(f"Stopping: the mean return of the last {self.window} episodes is {mean:.2f}")
        return mean < self.threshold


class EvalCallback(BaseCallback):
    """Evaluates the policy every ``eval_freq`` env steps on
    ``n_eval_episodes`` fresh episodes (``learner.evaluate``: a new batch of
    the training env with the learner's frozen observation normalisation;
    ``deterministic`` takes the mode of each action distribution).

    ``best_model_save_path``: a directory where the learner is saved as
    ``best.swiftpg`` whenever the mean evaluation return improves.
    ``log_path``: a directory where ``evaluations.npz`` is written after each
    evaluation (arrays ``timesteps`` [n], ``results`` [n, episodes] and
    ``ep_lengths`` [n, episodes], as SB3's). ``callback_on_new_best`` runs
    after an improvement, ``callback_after_eval`` after every evaluation; if
    either returns False, training stops. After training, ``evaluations_*``
    hold the same arrays, ``best_mean_reward`` and ``last_mean_reward`` the
    best and the latest mean return (−inf before the first evaluation).
    ``eval_seed``: the evaluation episodes' seed (the same episodes each
    time, so evaluations compare policies, not luck).
    """

    def __init__(self, eval_freq: int = 10_000, n_eval_episodes: int = 10, deterministic: bool = True,
                 best_model_save_path=None, log_path=None, callback_on_new_best: BaseCallback | None = None,
                 callback_after_eval: BaseCallback | None = None, eval_seed: int = 12345, verbose: int = 1,
                 eval_at_start: bool = False):
        super().__init__(verbose)
        self.eval_freq = as_count(eval_freq, "eval_freq")
        self.n_eval_episodes = as_count(n_eval_episodes, "n_eval_episodes", 1, 1 << 24)
        self.deterministic = as_bool(deterministic, "deterministic")
        self.eval_seed = as_seed(eval_seed, "eval_seed")
        self.eval_at_start = as_bool(eval_at_start, "eval_at_start")
        self.best_model_save_path = (None if best_model_save_path is None
                                     else _directory(best_model_save_path, "best_model_save_path"))
        self.log_path = None if log_path is None else _directory(log_path, "log_path")
        for name, c in (("callback_on_new_best", callback_on_new_best), ("callback_after_eval", callback_after_eval)):
            if c is not None and not isinstance(c, BaseCallback):
                raise DTypeError(f"{name} must be a swiftpg.callbacks.BaseCallback, got {type(c).__name__}")
        self.callback_on_new_best = callback_on_new_best
        self.callback_after_eval = callback_after_eval
        self.best_mean_reward = -math.inf
        self.last_mean_reward = -math.inf
        self.evaluations_timesteps: list[int] = []
        self.evaluations_results: list[np.ndarray] = []
        self.evaluations_length: list[np.ndarray] = []
        self._last_time_trigger = 0

    def _init_callback(self) -> None:
        if getattr(self.learner, "env", None) is None:
            raise InvalidArgumentError("EvalCallback needs a learner with a swiftpg environment (this one trains on "
                                       "a Gymnasium env: evaluate its policy there)")
        for c in (self.callback_on_new_best, self.callback_after_eval):
            if c is not None:
                c.parent = self
                c.init_callback(self.learner)

    def _on_training_start(self) -> None:
        self._last_time_trigger = self.num_timesteps
        if self.eval_at_start:
            self._evaluate()

    def _evaluate(self) -> bool:
        returns, lengths = self.learner.evaluate(episodes=self.n_eval_episodes, greedy=self.deterministic,
                                                 seed=self.eval_seed)
        self.evaluations_timesteps.append(self.num_timesteps)
        self.evaluations_results.append(returns)
        self.evaluations_length.append(lengths)
        if self.log_path is not None:
            np.savez(os.path.join(self.log_path, "evaluations.npz"), timesteps=np.array(self.evaluations_timesteps),
                     results=np.array(self.evaluations_results), ep_lengths=np.array(self.evaluations_length))
        mean, std = float(np.mean(returns)), float(np.std(returns))
        self.last_mean_reward = mean
        if self.verbose:
            print(f"Eval num_timesteps={self.num_timesteps}, episode_reward={mean:.2f} +/- {std:.2f}, "
                  f"episode_length={np.mean(lengths):.1f}")
        go = True
        if mean > self.best_mean_reward:
            self.best_mean_reward = mean
            if self.best_model_save_path is not None:
                self.learner.save(os.path.join(self.best_model_save_path, "best.swiftpg"))
            if self.callback_on_new_best is not None:
                go = self.callback_on_new_best.on_step(self.stats)
        if self.callback_after_eval is not None:
            go = self.callback_after_eval.on_step(self.stats) and go
        return go

    def _on_step(self) -> bool:
        if _crossed(self._last_time_trigger, self.num_timesteps, self.eval_freq):
            self._last_time_trigger = self.num_timesteps
            return self._evaluate()
        return True

    @property
    def evaluations(self) -> dict:
        """The evaluation history as arrays (SB3's ``evaluations.npz`` keys)."""
        return dict(timesteps=np.array(self.evaluations_timesteps), results=np.array(self.evaluations_results),
                    ep_lengths=np.array(self.evaluations_length))


class CheckpointCallback(BaseCallback):
    """Saves the learner every ``save_freq`` env steps to
    ``save_path/last.swiftpg`` (atomically: a temporary file renamed, so the
    file is always a complete, resumable state) and, with ``keep_all``, also
    to ``save_path/{name_prefix}_{steps}_steps.swiftpg`` (SB3's names). With
    ``save_at_end`` the final state is written when training ends."""

    def __init__(self, save_freq: int, save_path, name_prefix: str = "rl_model", keep_all: bool = False,
                 save_at_end: bool = True, verbose: int = 0):
        super().__init__(verbose)
        self.save_freq = as_count(save_freq, "save_freq")
        self.save_path = _directory(save_path, "save_path")
        if not isinstance(name_prefix, str) or not name_prefix or os.sep in name_prefix:
            raise InvalidArgumentError(f"name_prefix must be a non-empty file name prefix, got {name_prefix!r}")
        self.name_prefix = name_prefix
        self.keep_all = as_bool(keep_all, "keep_all")
        self.save_at_end = as_bool(save_at_end, "save_at_end")
        self.last_path = os.path.join(self.save_path, "last.swiftpg")
        self._last_time_trigger = 0

    def _on_training_start(self) -> None:
        self._last_time_trigger = self.num_timesteps

    def _save(self) -> None:
        self.learner.save(self.last_path)
        if self.keep_all:
            self.learner.save(os.path.join(self.save_path, f"{self.name_prefix}_{self.num_timesteps}_steps.swiftpg"))
        if self.verbose:
            print(f"Saved a checkpoint at {self.num_timesteps} env steps to {self.last_path}")

    def _on_step(self) -> bool:
        if _crossed(self._last_time_trigger, self.num_timesteps, self.save_freq):
            self._last_time_trigger = self.num_timesteps
            self._save()
        return True

    def _on_training_end(self) -> None:
        if self.save_at_end and self.n_calls > 0:
            self._save()


class ProgressBarCallback(BaseCallback):
    """A tqdm progress bar over this call's env-step budget, showing the
    rolling mean return of the last 100 finished episodes. Needs ``tqdm``
    (``pip install 'swiftpg[progress]'``); ImportError naming it otherwise."""

    def __init__(self, window: int = 100, **tqdm_kwargs):
        super().__init__()
        self._tqdm = _optional_module("tqdm", "progress", "the progress bar").tqdm
        self.window = as_count(window, "window")
        self.tqdm_kwargs = tqdm_kwargs
        self.returns: deque = deque(maxlen=self.window)
        self.bar = None
        self._start = 0

    def _on_training_start(self) -> None:
        self._start = self.num_timesteps
        if self.total_env_steps is None:          # a budget of iterations (PolicySearch.train(iterations))
            self.bar = self._tqdm(total=self.max_iterations, unit="it", **self.tqdm_kwargs)
        else:
            self.bar = self._tqdm(total=max(self.total_env_steps - self._start, 0), unit="step", unit_scale=True,
                                  **self.tqdm_kwargs)

    def _on_step(self) -> bool:
        self.returns.extend(_episode_returns(self.stats))
        if self.bar is not None:
            done = (self.n_calls if self.total_env_steps is None
                    else min(self.num_timesteps, self.total_env_steps) - self._start)
            self.bar.update(max(0, done - self.bar.n))
            if self.returns:
                self.bar.set_postfix(mean_return=f"{np.mean(self.returns):.1f}", refresh=False)
        return True

    def _on_training_end(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _scalars(stats) -> dict:
    """The scalar fields of a stats dataclass (numbers only, in order)."""
    out = {}
    for f in dataclasses.fields(stats):
        v = getattr(stats, f.name)
        if isinstance(v, (bool, int, float, np.integer, np.floating)):
            out[f.name] = float(v) if isinstance(v, (float, np.floating)) else int(v)
    return out


class CSVLogger(BaseCallback):
    """Writes ``log_dir/progress.csv`` (one row per iteration: every scalar
    field of the stats, plus ``time_elapsed`` in seconds since training
    started) and ``log_dir/episodes.csv`` (one row per finished training
    episode: ``total_env_steps`` at the end of its iteration, ``iteration``,
    ``return``, ``length``, ``success`` with −1 where the env defines none).
    Files are flushed after each iteration and appended to when training
    resumes in the same directory (the header is written once)."""

    _progress: Any                                     # the csv writers while training, else None
    _episodes: Any

    def __init__(self, log_dir):
        super().__init__()
        self.log_dir = _directory(log_dir, "log_dir")
        self.progress_path = os.path.join(self.log_dir, "progress.csv")
        self.episodes_path = os.path.join(self.log_dir, "episodes.csv")
        self._files = []
        self._progress = self._episodes = None
        self._fields = None
        self._t0 = 0.0

    def _open(self, path: str):
        new = not os.path.exists(path) or os.path.getsize(path) == 0
        f = open(path, "a", newline="")
        self._files.append(f)
        return f, new

    def _on_training_start(self) -> None:
        self._t0 = time.perf_counter()

    def _on_step(self) -> bool:
        row = _scalars(self.stats)
        row["time_elapsed"] = time.perf_counter() - self._t0
        if self._progress is None:
            f, new = self._open(self.progress_path)
            self._fields = list(row)
            self._progress = csv.DictWriter(f, fieldnames=self._fields, extrasaction="ignore")
            if new:
                self._progress.writeheader()
            f2, new2 = self._open(self.episodes_path)
            self._episodes = csv.writer(f2)
            if new2:
                self._episodes.writerow(["total_env_steps", "iteration", "return", "length", "success"])
        self._progress.writerow(row)
        returns = np.asarray(getattr(self.stats, "episode_returns", ()), dtype=float)
        lengths = np.asarray(getattr(self.stats, "episode_lengths", ()), dtype=int)
        successes = np.asarray(getattr(self.stats, "episode_successes", ()), dtype=int)
        for i in range(returns.size):
            self._episodes.writerow([self.num_timesteps, self.stats.iteration, repr(float(returns[i])),
                                     int(lengths[i]) if i < lengths.size else "",
                                     int(successes[i]) if i < successes.size else -1])
        for f in self._files:
            f.flush()
        return True

    def _on_training_end(self) -> None:
        for f in self._files:
            f.close()
        self._files = []
        self._progress = self._episodes = None


class TensorBoardLogger(BaseCallback):
    """Writes TensorBoard event files to ``log_dir`` with the ``tensorboardX``
    writer (``pip install 'swiftpg[tensorboard]'``): every scalar field of
    each iteration's stats as ``train/<field>`` (finite values only: NaN
    marks a statistic without episodes) and each finished episode's
    return and length as ``rollout/ep_return`` / ``rollout/ep_length``, all
    at global step = the learner's ``total_env_steps``; plus
    ``rollout/ep_return_mean`` over the last 100 episodes (SB3's
    ``ep_rew_mean``). Open with ``tensorboard --logdir log_dir``."""

    def __init__(self, log_dir, window: int = 100):
        super().__init__()
        self._module = _optional_module("tensorboardX", "tensorboard", "TensorBoard logging")
        self.log_dir = _directory(log_dir, "log_dir")
        self.returns: deque = deque(maxlen=as_count(window, "window"))
        self.writer: Any = None                   # a tensorboardX SummaryWriter while training

    def _on_training_start(self) -> None:
        if self.writer is None:
            self.writer = self._module.SummaryWriter(logdir=self.log_dir)

    def _on_step(self) -> bool:
        step = self.num_timesteps
        for name, value in _scalars(self.stats).items():
            if math.isfinite(value):        # NaN marks "undefined" (no episode ended): nothing to draw
                self.writer.add_scalar(f"train/{name}", value, step)
        returns = np.asarray(getattr(self.stats, "episode_returns", ()), dtype=float)
        lengths = np.asarray(getattr(self.stats, "episode_lengths", ()), dtype=float)
        for i in range(returns.size):
            self.writer.add_scalar("rollout/ep_return", returns[i], step)
            if i < lengths.size:
                self.writer.add_scalar("rollout/ep_length", lengths[i], step)
        self.returns.extend(returns.tolist())
        if self.returns:
            self.writer.add_scalar("rollout/ep_return_mean", float(np.mean(self.returns)), step)
        self.writer.flush()
        return True

    def _on_training_end(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def run_training(learner, total_env_steps: int | None, callback=None, progress_bar: bool = False,
                 stop=lambda stats: False, max_iterations: int | None = None) -> list:
    """The training loop every learner's ``train`` runs: iterate until the
    learner's ``total_env_steps`` reaches ``total_env_steps`` (a total, as
    in SB3's ``reset_num_timesteps=False``: a resumed learner trains only
    the remainder), ``max_iterations`` iterations were run (when given), a
    callback returns False, or ``stop(stats)`` is true.
    Returns the statistics of the iterations run. Callbacks are bound and
    checked before the first iteration, so a bad callback fails before any
    training; ``on_training_end`` runs even when an iteration raises (files
    are closed, the bar is cleared) — the exception then propagates."""
    if total_env_steps is not None:
        total_env_steps = as_count(total_env_steps, "total_env_steps", 1, 2**62)
    if max_iterations is not None:
        max_iterations = as_count(max_iterations, "iterations")
    if not all(hasattr(learner, a) for a in ("iterate", "history", "total_env_steps", "evaluate", "save")):
        raise DTypeError(f"learner must be a swiftpg learner, got {type(learner).__name__}")
    if total_env_steps is None and max_iterations is None:
        raise InvalidArgumentError("training needs a budget: total_env_steps or iterations")
    if not callable(stop):
        raise DTypeError(f"stop must be a callable stop(stats) -> bool, got {type(stop).__name__}")
    callbacks: list[BaseCallback] = []
    if progress_bar is not None and as_bool(progress_bar, "progress_bar"):
        callbacks.append(ProgressBarCallback())
    user = as_callback_object(callback)
    if user is not None:
        callbacks.append(user)
    root = CallbackList(callbacks)
    root.init_callback(learner)
    start = len(learner.history)
    root.on_training_start(total_env_steps, max_iterations)
    iterations = 0
    try:
        while ((total_env_steps is None or learner.total_env_steps < total_env_steps)
               and (max_iterations is None or iterations < max_iterations)):
            stats = learner.iterate()
            iterations += 1
            if not root.on_step(stats) or stop(stats):
                break
    finally:
        root.on_training_end()
    return learner.history[start:]
