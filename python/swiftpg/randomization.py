"""Automatic domain randomisation (ADR) for swiftpg environments.

As OpenAI et al. (2019) used it ("Solving Rubik's Cube with a Robot Hand",
§5 and Algorithm 1): every randomised parameter λᵢ has a range [φᵢᴸ, φᵢᴴ]
that starts at its nominal value. For each new episode, with probability
p_b one parameter (chosen uniformly) is pinned to one of its two boundaries
(chosen uniformly) while the others are drawn uniformly from their ranges.
The episode's success (its undiscounted return reaching the environment's
success return, see :data:`SUCCESS_RETURNS`) goes into the buffer of the
boundary it tested; when a buffer holds m results, its success rate is
compared with t_H and t_L to move that boundary outwards or inwards by Δᵢ,
and the buffer is cleared. The ADR entropy — the mean over parameters of
log(φᵢᴴ − φᵢᴸ), in nats per dimension — measures how much randomisation the
policy copes with; it is undefined while a range has zero width (the widths
are always reported).

The boundary sampling and the bookkeeping run inside the environment
(``VectorEnv.enable_adr``), at every automatic reset, so ADR works inside
any learner's rollouts; :class:`ADR` configures it and, passed as a
callback to ``learn``, records its ranges and entropy after every
iteration (:attr:`ADR.history`, :meth:`ADR.plot`)::

    env = swiftpg.make_vec("CartPole-v1", 16, seed=0)
    adr = ADR(env, {"length": ParameterSchedule(0.5, step=0.05, limits=(0.1, 2.0))})
    learner = swiftpg.algorithms.PPO(env)
    learner.learn(200_000, callback=adr)
    adr.ranges, adr.entropy, adr.history

Defaults (documented): p_b = 0.5 (OpenAI's), m = 10, t_H = 0.8, t_L = 0.4.

Parameters given by name only (``ADR(env, ["length", "action_delay"])``) get
:meth:`ParameterSchedule.default`: the nominal value is the environment's
current value, and a physical parameter (nominal v ≠ 0) moves by Δ = 0.05·|v|
within hard limits [0.2·v, 3·v] (ordered); ``observation_noise`` moves by 0.01
within [0, max(0.5, v)] (observation units); ``action_delay`` (nominal ⌊v⌋)
moves by 1 step within [0, the environment's ``max_action_delay``].
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ._arrays import DTypeError, as_float
from ._lib import InvalidArgumentError
from .callbacks import BaseCallback

__all__ = ["ADR", "ParameterSchedule", "SUCCESS_RETURNS"]

#: What counts as a successful episode (undiscounted return at least this),
#: per environment: Gymnasium's reward thresholds, and for Pendulum-v1
#: (which has none) -200 (upright for most of the 200 steps).
SUCCESS_RETURNS = {"CartPole-v1": 475.0, "CartPole-v0": 195.0, "Pendulum-v1": -200.0, "Acrobot-v1": -100.0,
                   "MountainCarContinuous-v0": 90.0, "MountainCar-v0": -110.0}


@dataclass
class ParameterSchedule:
    """How ADR moves one parameter's range: it starts at ``nominal`` (set in
    every instance when ADR starts) with zero width; each decision moves a
    boundary by ``step`` (Δ), within the hard ``limits`` (low, high), never
    inwards past ``nominal``."""

    nominal: float
    step: float
    limits: tuple[float, float]

    def __post_init__(self):
        self.nominal = as_float(self.nominal, "nominal")
        self.step = as_float(self.step, "step")
        if not isinstance(self.limits, (tuple, list)) or len(self.limits) != 2:
            raise DTypeError(f"limits must be a (low, high) pair of numbers, got {self.limits!r}")
        lo, hi = as_float(self.limits[0], "limits[0]"), as_float(self.limits[1], "limits[1]")
        if not all(math.isfinite(v) for v in (lo, hi, self.step, self.nominal)):
            raise InvalidArgumentError(f"nominal {self.nominal}, limits {self.limits} and step {self.step} must be "
                                       "finite")
        self.limits = (lo, hi)
        if not lo <= self.nominal <= hi:
            raise InvalidArgumentError(f"nominal {self.nominal} is outside the limits {self.limits}")
        if not self.step > 0:
            raise InvalidArgumentError(f"step must be > 0, got {self.step}")

    @classmethod
    def default(cls, env, name: str) -> "ParameterSchedule":
        """The default schedule of parameter ``name`` of ``env`` (a
        :class:`swiftpg.VectorEnv`; see the module docstring): nominal = the
        current value v of instance 0 (``action_delay``: ⌊v⌋); a physical
        parameter v ≠ 0 gets step 0.05·|v| and limits [0.2·v, 3·v];
        ``observation_noise`` step 0.01, limits [0, max(0.5, v)];
        ``action_delay`` step 1, limits [0, max_action_delay].
        Raises InvalidArgumentError for an unknown name, ``max_episode_steps``,
        a parameter whose value is 0 (no scale to derive a step from: give its
        schedule), or ``action_delay`` in an environment with
        ``max_action_delay`` 0; DTypeError for a name that is not a string."""
        from .envs import VectorEnv

        if not isinstance(env, VectorEnv):
            raise DTypeError(f"env must be a swiftpg VectorEnv, got {type(env).__name__}")
        if not isinstance(name, str):
            raise DTypeError(f"parameter name must be a string, got {type(name).__name__}")
        if name not in env.parameter_names or name == "max_episode_steps":
            raise InvalidArgumentError(f"{env.env_id} has no randomisable parameter {name!r}; known: "
                                       f"{', '.join(n for n in env.parameter_names if n != 'max_episode_steps')}")
        value = float(env.get_parameter(name)[0])
        if name == "observation_noise":
            return cls(value, step=0.01, limits=(0.0, max(0.5, value)))
        if name == "action_delay":
            if env.max_action_delay == 0:
                raise InvalidArgumentError(f"{env.env_id} was created with max_action_delay=0: create it with "
                                           "max_action_delay=K to let ADR widen the delay up to K steps")
            return cls(float(math.floor(value)), step=1.0, limits=(0.0, float(env.max_action_delay)))
        if value == 0:
            raise InvalidArgumentError(f"{name} is 0 in {env.env_id}: there is no scale for a default step; pass "
                                       "a ParameterSchedule")
        low, high = sorted((0.2 * value, 3.0 * value))
        return cls(value, step=0.05 * abs(value), limits=(low, high))


class ADR(BaseCallback):
    """Automatic domain randomisation over named parameters of a
    :class:`swiftpg.VectorEnv`, run natively by the environment (see the
    module docstring). Pass it as ``callback=`` to a learner's ``learn`` /
    ``train`` to record :attr:`history` after every iteration, or call
    :meth:`snapshot` yourself.

    ``schedules`` maps parameter names to :class:`ParameterSchedule`, or is a
    list of names that get :meth:`ParameterSchedule.default`.
    ``success_return`` defaults to :data:`SUCCESS_RETURNS` of the
    environment (InvalidArgumentError for an environment without one).
    Raises DTypeError / InvalidArgumentError for bad schedules or settings
    (nothing changes)."""

    def __init__(self, env, schedules: dict, *, success_return: float | None = None,
                 boundary_probability: float = 0.5, buffer_size: int = 10, upper_threshold: float = 0.8,
                 lower_threshold: float = 0.4):
        super().__init__()
        from .envs import VectorEnv

        if not isinstance(env, VectorEnv):
            raise DTypeError(f"env must be a swiftpg VectorEnv, got {type(env).__name__}")
        if isinstance(schedules, (list, tuple)) and schedules and all(isinstance(n, str) for n in schedules):
            schedules = {name: ParameterSchedule.default(env, name) for name in schedules}
        if not isinstance(schedules, dict) or not schedules:
            raise DTypeError("schedules must be a non-empty dict of parameter name -> ParameterSchedule, or a "
                             "list of parameter names (default schedules)")
        for name, schedule in schedules.items():
            if not isinstance(name, str) or not isinstance(schedule, ParameterSchedule):
                raise DTypeError(f"schedules must map parameter names to ParameterSchedule, got {name!r}: "
                                 f"{type(schedule).__name__}")
        unknown = set(schedules) - set(env.parameter_names)
        if unknown:
            raise InvalidArgumentError(f"{env.env_id} has no parameter(s) {sorted(unknown)}; "
                                       f"known: {', '.join(env.parameter_names)}")
        if success_return is None:
            if env.env_id not in SUCCESS_RETURNS:
                raise InvalidArgumentError(f"{env.env_id} has no default success return; pass success_return")
            success_return = SUCCESS_RETURNS[env.env_id]
        self.success_return = as_float(success_return, "success_return")
        if env.adr_state() is not None:
            raise InvalidArgumentError("ADR already runs on this environment: close() that ADR (or call "
                                       "env.disable_adr()) before starting another")
        self.env = env
        self.schedules = dict(schedules)
        # All checked natively before anything changes (nominal values set, ranges replaced).
        env.enable_adr({name: (s.step, *s.limits, s.nominal) for name, s in self.schedules.items()},
                       success_return=self.success_return, boundary_probability=boundary_probability,
                       buffer_size=buffer_size, upper_threshold=upper_threshold, lower_threshold=lower_threshold)
        self.settings = {"boundary_probability": boundary_probability, "buffer_size": buffer_size,
                         "upper_threshold": upper_threshold, "lower_threshold": lower_threshold,
                         "success_return": self.success_return}
        #: One record per :meth:`snapshot`: iteration, env_steps, ranges,
        #: widths, entropy and the episode counters.
        self.history: list[dict] = []

    def _mine(self, state) -> bool:
        """Whether the environment's ADR is (still) this one's parameters."""
        return state is not None and list(state["ranges"]) == list(self.schedules)

    def _state(self) -> dict:
        state = self.env.adr_state()
        if state is None or not self._mine(state):
            raise InvalidArgumentError("this ADR no longer runs on its environment (disable_adr was called, or "
                                       "another ADR replaced it)")
        return state

    @property
    def ranges(self) -> dict:
        """The current range ``(low, high)`` of each parameter."""
        return self._state()["ranges"]

    @property
    def entropy(self) -> float | None:
        """Mean log range width, nats per dimension; None while a range
        has zero width."""
        return self._state()["entropy"]

    def snapshot(self, iteration: int | None = None, env_steps: int | None = None) -> dict:
        """Records (and returns) the current ranges, widths, entropy and
        counters in :attr:`history`."""
        state = self._state()
        record = {"iteration": iteration, "env_steps": env_steps, "ranges": state["ranges"],
                  "widths": {n: hi - lo for n, (lo, hi) in state["ranges"].items()},
                  **{k: state[k] for k in ("entropy", "episodes", "boundary_episodes", "successes", "decisions",
                                           "moves")}}
        self.history.append(record)
        return record

    def _on_step(self) -> bool:
        self.snapshot(getattr(self.stats, "iteration", self.n_calls), self.num_timesteps)
        return True

    def plot(self, path: str | None = None):
        """The ranges (one panel per parameter) and the entropy over
        :attr:`history`, with matplotlib (the ``plot`` extra); saved to
        ``path`` if given (a str or os.PathLike; DTypeError otherwise, before
        anything is drawn). Returns the figure."""
        from .callbacks import _optional_module

        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise DTypeError(f"path must be None, a str or an os.PathLike, got {path!r:.100}")

        plt = _optional_module("matplotlib.pyplot", "plot", "ADR plots")
        if not self.history:
            raise InvalidArgumentError("no history yet: pass the ADR as a callback or call snapshot()")
        x = [h["env_steps"] if h["env_steps"] is not None else k for k, h in enumerate(self.history)]
        names = list(self.schedules)
        fig, axes = plt.subplots(len(names) + 1, 1, figsize=(6, 2.2 * (len(names) + 1)), sharex=True)
        for ax, name in zip(axes, names):
            lo = [h["ranges"][name][0] for h in self.history]
            hi = [h["ranges"][name][1] for h in self.history]
            ax.fill_between(x, lo, hi, alpha=0.4)
            ax.axhline(self.schedules[name].nominal, color="k", lw=0.8)
            ax.set_ylabel(name)
        axes[-1].plot(x, [h["entropy"] if h["entropy"] is not None else float("nan") for h in self.history])
        axes[-1].set_ylabel("ADR entropy (nats/dim)")
        axes[-1].set_xlabel("environment steps")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path)
        return fig

    def close(self) -> None:
        """Stops ADR on the environment (its parameters keep their values);
        nothing to do once the environment is closed."""
        if not self.env.closed and self._mine(self.env.adr_state()):  # never another ADR's
            self.env.disable_adr()
