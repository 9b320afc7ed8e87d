"""Many learners in one call: the many-seeds study (K agents with the same
settings and different seeds) trained side by side in Swift, one thread per
learner, as JAX trains seeds with ``vmap``::

    from swiftpg.algorithms import PPO, PPOConfig, train_together

    learners = [PPO("CartPole-v1", config=PPOConfig(seed=s, total_env_steps=100_000)) for s in range(16)]
    train_together(learners, 100_000)            # threads: all cores
    finals = [l.evaluate(episodes=100)[0].mean() for l in learners]

Each learner ends bit-identical to ``learner.train(total_env_steps)`` alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from typing import Any

import numpy as np

from .. import _lib
from .._arrays import DTypeError, as_count
from ._learner import PolicyGradientLearner, TrainStats

__all__ = ["train_together"]


def _least_steps_per_iteration(learner: PolicyGradientLearner) -> int:
    """The fewest env steps one iteration of ``learner`` takes: a segment
    learner exactly steps_per_env × num_envs, an episodic one at least
    steps_per_iteration, any at least one step per environment."""
    per_iteration = learner.env.num_envs if learner.env is not None else 1
    steps_per_env = getattr(learner.config, "steps_per_env", None)
    if steps_per_env:
        return per_iteration * steps_per_env
    return max(per_iteration, getattr(learner.config, "steps_per_iteration", 0) or 0, 1)


#: Iterations recorded per learner and call, summed over the learners: a
#: long run is trained in several native calls (the same iterations, since
#: each learner trains to a total), so the statistics buffer stays small.
_RECORDED_PER_CALL = 1 << 16


def train_together(learners, total_env_steps: int, *, threads: int | None = None) -> list[list[TrainStats]]:
    """Trains independent policy-gradient ``learners`` side by side in one
    native call: each iterates until its ``total_env_steps`` counter reaches
    ``total_env_steps`` (a total, as :meth:`PolicyGradientLearner.train`
    counts), up to ``threads`` learners at a time (default: the machine's
    cores), one thread each. Every learner ends bit-identical to training it
    alone (its own seed, collection and updates in order); PPO's
    ``update_threads`` then runs each learner's passes on its own thread,
    which changes no result.

    Returns, per learner, the :class:`TrainStats` of the iterations it ran
    (also appended to its ``history``); they carry the summaries (mean
    return, losses, KL, ...) but not the per-episode arrays, and callbacks
    do not run: use :meth:`PolicyGradientLearner.train` for those.

    Raises ``DTypeError`` if an item is not a policy-gradient learner,
    :class:`swiftpg.InvalidArgumentError` if the list is empty or longer than
    4096, ``threads`` is outside [1, 64], or two learners share a learner,
    environment, policy or critic (nothing is trained); the error of the
    lowest-numbered learner that failed (e.g. :class:`swiftpg.NumericalError`,
    its message naming the learner — the others finish, and the failed one
    is left as before its failed iteration); ``KeyboardInterrupt`` on Ctrl-C,
    every learner stopped between iterations."""
    try:
        learners = list(learners)
    except TypeError:
        raise DTypeError(f"learners must be a list of policy-gradient learners, got {type(learners).__name__}") \
            from None
    if not learners:
        raise _lib.InvalidArgumentError("train_together needs at least one learner")
    if len(learners) > 4096:
        raise _lib.InvalidArgumentError(f"train_together takes at most 4096 learners, got {len(learners)}")
    for k, learner in enumerate(learners):
        if not isinstance(learner, PolicyGradientLearner):
            raise DTypeError(f"learners[{k}] must be a swiftpg policy-gradient learner, got {type(learner).__name__}")
    total = as_count(total_env_steps, "total_env_steps", 1, 2**62)
    threads = min(os.cpu_count() or 1, len(learners), 64) if threads is None else as_count(threads, "threads", 1, 64)
    per_iteration = [_least_steps_per_iteration(learner) for learner in learners]
    chunk = max(64, _RECORDED_PER_CALL // len(learners))
    out: list[list] = [[] for _ in learners]
    first_error: BaseException | None = None
    active = list(range(len(learners)))             # learners still training (not failed)
    with contextlib.ExitStack() as held:
        for learner in learners:
            held.enter_context(learner._busy)
        while active:
            done = [learners[k].total_env_steps for k in active]
            if min(done) >= total:
                break
            target = min(total, min(done) + chunk * min(per_iteration[k] for k in active))
            count = len(active)
            capacity = max(max(0, -(-(target - d) // per_iteration[k])) for k, d in zip(active, done))
            stats: Any = (_lib.TrainStatsC * (count * capacity))() if capacity > 0 else None  # read only when > 0
            iterations = np.zeros(count, np.int64)
            handles = (ctypes.c_uint64 * count)(*(learners[k].handle for k in active))
            try:
                _lib.call_interruptible("pg_train_together", learners[active[0]].handle, handles, count, target,
                                        threads, stats, capacity, iterations.ctypes.data)
            except _lib.SwiftPGError as error:
                # A learner failed (it is left as before its failed iteration); the others reached
                # the target. Carry on with those; the first error is raised at the end.
                if first_error is None:
                    first_error = error
            finally:
                # Written also when the call failed or was interrupted: what ran is recorded.
                for i, k in enumerate(active):
                    ran = [TrainStats.from_c(stats[i * capacity + j], learners[k].config._algorithm)
                           for j in range(min(int(iterations[i]), capacity))]
                    learners[k].history.extend(ran)
                    out[k].extend(ran)
            active = [k for k in active if learners[k].total_env_steps >= target]
    if first_error is not None:
        raise first_error
    return out
