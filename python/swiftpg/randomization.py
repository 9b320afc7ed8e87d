"""Automatic domain randomisation (ADR) for swiftpg environments.

In the style of OpenAI et al. (2019), "Solving Rubik's Cube with a Robot
Hand": each randomised parameter has a range [low, high] around a nominal
value. After every ``window`` episodes the recent success rate decides:
above ``widen_above`` the range grows by ``step`` on both sides (up to the
parameter's hard ``limits``), below ``narrow_below`` it shrinks by ``step``
(never past the nominal value), otherwise it stays. The environment draws
each instance's value uniformly from the current range at every reset.

Usage during training::

    env = swiftpg.make_vec("CartPole-v1", 64, seed=0)
    adr = swiftpg.randomization.ADR(env, {"length": ParameterSchedule(0.5, step=0.05, limits=(0.2, 1.5))})
    ...
    for each finished episode: adr.record(success=episode_return >= 475)
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from ._arrays import DTypeError, as_bool, as_count, as_float
from ._lib import InvalidArgumentError, ObjectLock


@dataclass
class ParameterSchedule:
    """How ADR moves one parameter's range."""

    #: The value the range starts from and never shrinks past.
    nominal: float
    #: How much each side moves per widening or narrowing.
    step: float
    #: Hard limits of the range (the parameter's physically sensible values).
    limits: tuple[float, float]
    low: float = field(init=False)
    high: float = field(init=False)

    def __post_init__(self):
        self.nominal = as_float(self.nominal, "nominal")
        self.step = as_float(self.step, "step")
        if not isinstance(self.limits, (tuple, list)) or len(self.limits) != 2:
            raise DTypeError(f"limits must be a (low, high) pair of numbers, got {self.limits!r}")
        lo, hi = as_float(self.limits[0], "limits[0]"), as_float(self.limits[1], "limits[1]")
        if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(self.step)):
            raise InvalidArgumentError(f"limits {self.limits} and step {self.step} must be finite")
        self.limits = (lo, hi)
        if not (lo <= self.nominal <= hi):
            raise InvalidArgumentError(f"nominal {self.nominal} is outside the limits {self.limits}")
        if not self.step > 0:
            raise InvalidArgumentError(f"step must be > 0, got {self.step}")
        self.low = self.high = float(self.nominal)

    def widen(self) -> None:
        self.low = max(self.limits[0], self.low - self.step)
        self.high = min(self.limits[1], self.high + self.step)

    def narrow(self) -> None:
        self.low = min(self.nominal, self.low + self.step)
        self.high = max(self.nominal, self.high - self.step)


class ADR:
    """Automatic domain randomisation over named parameters of a
    :class:`swiftpg.VectorEnv`. Call :meth:`record` once per finished episode
    with whether it succeeded; ranges are updated every ``window`` episodes
    and applied to the environment (they take effect at each instance's next
    reset)."""

    def __init__(self, env, schedules: dict, *, window: int = 50, widen_above: float = 0.8,
                 narrow_below: float = 0.5):
        from .envs import VectorEnv

        if not isinstance(env, VectorEnv):
            raise DTypeError(f"env must be a swiftpg VectorEnv, got {type(env).__name__}")
        if not isinstance(schedules, dict):
            raise DTypeError(f"schedules must be a dict of parameter name -> ParameterSchedule, got "
                             f"{type(schedules).__name__}")
        if not schedules:
            raise InvalidArgumentError("ADR needs at least one parameter schedule")
        for name, schedule in schedules.items():
            if not isinstance(name, str) or not isinstance(schedule, ParameterSchedule):
                raise DTypeError(f"schedules must map parameter names to ParameterSchedule, got {name!r}: "
                                 f"{type(schedule).__name__}")
        widen_above = as_float(widen_above, "widen_above")
        narrow_below = as_float(narrow_below, "narrow_below")
        if not (0 <= narrow_below <= widen_above <= 1):
            raise InvalidArgumentError("need 0 <= narrow_below <= widen_above <= 1")
        window = as_count(window, "window", 1, 1 << 24)
        unknown = set(schedules) - set(env.parameter_names)
        if unknown:
            raise InvalidArgumentError(f"{env.env_id} has no parameter(s) {sorted(unknown)}; "
                                       f"known: {', '.join(env.parameter_names)}")
        self.env = env
        self.schedules = dict(schedules)
        self.window = window
        self.widen_above = widen_above
        self.narrow_below = narrow_below
        self._recent: deque = deque(maxlen=window)
        self.history: list[dict] = []
        self._busy = ObjectLock("ADR")
        self._apply()

    def _apply(self) -> None:
        for name, s in self.schedules.items():
            self.env.randomize_parameter(name, s.low, s.high)

    @property
    def ranges(self) -> dict:
        """The current range of each parameter."""
        return {name: (s.low, s.high) for name, s in self.schedules.items()}

    def record(self, success: bool) -> str | None:
        """Records one finished episode; every ``window`` episodes updates
        the ranges and returns "widen", "narrow" or "hold"."""
        success = as_bool(success, "success")
        with self._busy:
            return self._record(success)

    def _record(self, success: bool) -> str | None:
        self._recent.append(success)
        if len(self._recent) < self.window:
            return None
        rate = sum(self._recent) / len(self._recent)
        self._recent.clear()
        if rate > self.widen_above:
            decision = "widen"
            for s in self.schedules.values():
                s.widen()
        elif rate < self.narrow_below:
            decision = "narrow"
            for s in self.schedules.values():
                s.narrow()
        else:
            decision = "hold"
        self._apply()
        self.history.append({"success_rate": rate, "decision": decision, "ranges": self.ranges})
        return decision
