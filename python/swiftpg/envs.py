"""Batched environments stepped in Swift, as Gymnasium vector and single envs.

``make_vec(id, num_envs, seed, **parameters)`` returns a :class:`VectorEnv`
(a real ``gymnasium.vector.VectorEnv``) whose ``step`` is one call into Swift
for all instances. ``make(id, seed, **parameters)`` returns a
:class:`SwiftEnv`, a real ``gymnasium.Env`` that passes
``gymnasium.utils.env_checker.check_env``.

Seeding: instance ``i`` of an environment reset with seed ``s`` uses numpy's
``PCG64(SeedSequence(s + i))`` exactly as Gymnasium's ``env.reset(seed=s + i)``
does, so starting states match Gymnasium bit for bit, and so does every later
automatic reset (each instance continues its own stream).

Parameters: every environment has named scalar parameters (physical
constants, ``max_episode_steps``, ...). Each instance has its own values;
``randomize_parameter`` draws them per instance at every reset (domain
randomisation).
"""

from __future__ import annotations

import ctypes
import math
import secrets
import weakref
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from . import _lib
from ._arrays import (DTypeError, as_bool, as_c_string, as_choice, as_count, as_float, as_float64, as_seed, asarray,
                      check_elements)
from ._lib import ClosedError, InvalidArgumentError, NotFiniteError, ObjectLock, lib

__all__ = ["VectorEnv", "SwiftEnv", "make_vec", "make", "env_ids", "tabular", "gridworld", "bandit", "single"]

env_ids = _lib.env_ids
_INT32 = np.dtype(np.int32)
_FLOAT64 = np.dtype(np.float64)


def _destroy_env(handle: int) -> None:
    lib.swiftpg_env_destroy(handle)


def _check_number(name: str, value) -> float:
    return as_float(value, f"parameter {name}", allow_bool=True)


def _check_options(options) -> None:
    if options is None:
        return
    if not isinstance(options, dict):
        raise DTypeError(f"options must be a dict or None, got {type(options).__name__}")
    if options:
        raise InvalidArgumentError(f"unsupported reset options {sorted(map(str, options))}")


class VectorEnv(gymnasium.vector.VectorEnv):
    """``num_envs`` instances of a swiftpg environment, stepped together.

    Observations are float64 arrays ``[num_envs, obs_size]``; rewards float64
    ``[num_envs]``; ``terminated`` / ``truncated`` bool ``[num_envs]``.
    Discrete actions are integers ``[num_envs]``; continuous actions are
    floats ``[num_envs, action_size]``, used as float32 (the precision of
    Gymnasium's action spaces) and clipped as Gymnasium clips them.

    **Autoreset (same step).** An instance that terminates or is truncated is
    reset inside the same ``step``: the returned observation row is the first
    observation of its next episode, and its last observation is in
    ``info["final_obs"]`` (rows where ``info["_final_obs"]`` is True; other
    rows are 0). ``terminated`` means a terminal state (do not bootstrap);
    ``truncated`` means the time limit cut the episode (bootstrap from
    ``final_obs``). Both may be True together.

    ``copy=True`` (default) returns fresh arrays from ``reset``/``step``;
    ``copy=False`` returns the internal buffers, which the next call
    overwrites (faster; for loops that consume the arrays immediately).

    Tabular environments observe the one-hot encoding of the state index
    (``observation_kind == "one_hot"``); ``get_state()`` gives the index.

    **Observation noise and action delay** (the classic-control environments;
    OpenAI et al. 2019, "Solving Rubik's Cube with a Robot Hand", §5): two
    more parameters, 0 (off) by default and bit-identical to no effects then,
    set / randomised / ADR-controlled like the physical ones.
    ``observation_noise`` σ ≥ 0 (observation units) adds independent N(0, σ²)
    noise to every component of every observation the agent receives (not to
    the state; not clipped to the bounds). ``action_delay`` d: the action
    applied at step t of an episode is the one given min(⌊d⌋, t) steps before
    (the episode's first action is held until the delay has passed); ⌊d⌋ may
    not exceed ``max_action_delay`` K (0–64), a creation keyword
    (``make_vec("CartPole-v1", 8, max_action_delay=3, action_delay=2)``). The
    last K actions are hidden state: ``state_size`` grows by
    K × ``action_size`` + 1 (the flag below), and ``get_state`` /
    ``set_state``, pickling and files include them. A range ``randomize_parameter("action_delay", 0, K + 0.999)``
    draws each delay 0..K about equally often. Noisy observations can leave
    the (unchanged) observation space, so Gymnasium's passive checker warns
    under ``gymnasium.make`` when the noise is on. ``set_state`` at the
    start of an episode: the history's last entry is its started flag (0:
    the next step fills it), so a copied state continues identically.

    **Threads.** One environment used from two threads at once: the second
    call raises :class:`swiftpg.BusyError` (nothing is overwritten; each
    successful call returns its own results). Give each thread its own
    environment, or serialise the calls with a lock.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(self, env_id: str, num_envs: int = 1, seed: int | None = None, copy: bool = True,
                 num_threads: int = 1, autoreset_mode="same_step", render_mode: str | None = None, **parameters):
        name = as_c_string(env_id, "env_id")
        if render_mode is not None and not isinstance(render_mode, str):
            raise DTypeError(f"render_mode must be None or a str, got {type(render_mode).__name__}")
        modes = _vector_render_modes(env_id)
        if render_mode is not None and render_mode not in modes:
            raise InvalidArgumentError(
                f"a {env_id} vector env renders {' or '.join(map(repr, modes))}, not {render_mode!r} (a window "
                "per instance is not offered: watch one with swiftpg.make(..., render_mode='human'))")
        num_envs = as_count(num_envs, "num_envs", 1, 1 << 24)
        initial_seed = as_seed(seed) if seed is not None else secrets.randbits(63)
        num_threads = as_count(num_threads, "num_threads", 1, 64)
        copy = as_bool(copy, "copy")
        mode = _autoreset_mode(autoreset_mode)
        handle = ctypes.c_uint64()
        _lib.call("env_create", name, num_envs, initial_seed, ctypes.byref(handle))
        if mode == AutoresetMode.NEXT_STEP:
            try:
                _lib.call("env_set_autoreset_mode", handle.value, _lib.AUTORESET_NEXT_STEP)
            except BaseException:
                lib.swiftpg_env_destroy(handle.value)
                raise
        self._setup(handle.value, env_id, initial_seed, copy, parameters)
        self.num_threads = num_threads
        self.render_mode = render_mode

    @classmethod
    def _wrap(cls, handle: int, env_id: str, seed: int, copy: bool = True, parameters=None) -> "VectorEnv":
        """Wraps a handle made by another constructor (tabular MDPs, ...)."""
        self = cls.__new__(cls)
        self._setup(handle, env_id, seed, copy, parameters or {})
        return self

    @classmethod
    def _adopt_restored(cls, handle: int, env_id: str | None = None, copy: bool = True,
                        initial_seed: int = 0, seed_on_first_reset: bool = False,
                        num_threads: int | None = None) -> "VectorEnv":
        """Wraps an environment restored from a bundle (its episodes are in
        progress: the first ``reset()`` without a seed continues its streams
        unless ``seed_on_first_reset``). ``env_id``: the label (default: the
        library's id)."""
        try:
            label = env_id if env_id is not None else _lib.read_lines(lib.swiftpg_env_get_id, handle)[0]
        except BaseException:
            lib.swiftpg_env_destroy(handle)
            raise
        self = cls._wrap(handle, label, initial_seed, copy)       # owns the handle from here on
        self._seed_on_first_reset = seed_on_first_reset
        if num_threads is not None:
            self._num_threads = num_threads
        return self

    def __reduce__(self):
        """Pickling: the environment's bundle (definition, parameters,
        randomisation ranges, states, step counters and every generator), so
        the copy steps exactly as this one would. Raises ClosedError when
        closed."""
        with self._busy:
            data = _lib.read_bytes("env_serialize", self.handle)
        return _restore_env, (data, self.env_id, self.copy, self._initial_seed, self._seed_on_first_reset,
                              self._num_threads, self.render_mode)

    def spawn(self, num_envs: int | None = None, seed: int | None = None) -> "VectorEnv":
        """A fresh batch of the same environment — the same id, or the same
        tabular model, gridworld layout or bandit — with ``num_envs``
        instances (default: as many as this one) reset with ``seed``. Every
        parameter whose value is the same in all instances of this batch
        (``max_episode_steps`` included) is copied; randomised parameters
        keep the environment's defaults (their ranges are not copied).
        Learners evaluate on a spawned batch, so their training envs keep
        their episodes in progress."""
        n = self.num_envs if num_envs is None else as_count(num_envs, "num_envs", 1, 1 << 24)
        seed = _new_seed(seed)
        with self._busy:
            values = {name: self.get_parameter(name) for name in self.parameter_names}
            handle = ctypes.c_uint64()
            _lib.call("env_spawn", self.handle, n, seed, ctypes.byref(handle))
        env = VectorEnv._wrap(handle.value, self.env_id, seed)
        env.render_mode = self.render_mode
        try:
            for name, v in values.items():
                if np.all(v == v[0]):
                    env.set_parameter(name, float(v[0]))
        except BaseException:
            env.close()
            raise
        return env

    def _setup(self, handle: int, env_id: str, seed: int, copy: bool, parameters: dict) -> None:
        self._handle = handle
        self._finalizer = weakref.finalize(self, _destroy_env, handle)
        # Guards the cached buffers below: a second thread gets BusyError.
        self._busy = ObjectLock(f"{env_id} environment")
        self._initial_seed = seed
        self._seed_on_first_reset = True
        self._num_threads = 1
        parameters = dict(parameters)
        if "max_action_delay" in parameters:  # sizes the state: before the info is read
            delay = as_count(parameters.pop("max_action_delay"), "max_action_delay", 0, 64)
            _lib.call("env_set_max_action_delay", handle, delay)
        capacity = ctypes.c_int32()
        _lib.call("env_get_max_action_delay", handle, ctypes.byref(capacity))
        #: K: the most steps ``action_delay`` may take; the state holds the last K actions (see
        #: :meth:`set_parameter`; the ``max_action_delay`` keyword at creation, 0 by default).
        self.max_action_delay = capacity.value
        info = _lib.EnvInfo()
        _lib.call("env_get_info", handle, ctypes.byref(info))
        self.env_id = env_id
        self.num_envs = n = info.num_envs
        self.copy = as_bool(copy, "copy")
        self.observation_size = d = info.observation_size
        self.state_size = info.state_size
        self.observation_kind = "one_hot" if info.observation_kind == _lib.OBSERVATION_ONE_HOT else "vector"
        self.reward_threshold = None if np.isnan(info.reward_threshold) else info.reward_threshold
        self.discrete = info.action_kind == _lib.ACTION_DISCRETE
        self.parameter_names = tuple(_lib.read_lines(lib.swiftpg_env_parameter_names, handle))
        mode = ctypes.c_int32()
        _lib.call("env_get_autoreset_mode", handle, ctypes.byref(mode))
        self.autoreset_mode = AutoresetMode.NEXT_STEP if mode.value == _lib.AUTORESET_NEXT_STEP else \
            AutoresetMode.SAME_STEP
        self.metadata = dict(type(self).metadata, autoreset_mode=self.autoreset_mode,
                             render_modes=_vector_render_modes(env_id), render_fps=_RENDER_FPS.get(env_id, 4))
        self.render_mode = None
        self._renderer: Any = None                  # a Gymnasium renderer while rendering
        self._last_u: np.ndarray | None = None
        for name, value in parameters.items():
            self.set_parameter(name, value)

        low = np.empty(d)
        high = np.empty(d)
        _lib.call("env_observation_bounds", handle, low.ctypes.data, high.ctypes.data)
        self.observation_low, self.observation_high = low, high
        self.single_observation_space = spaces.Box(low, high, (d,), np.float64)
        if self.discrete:
            self.num_actions = info.num_actions
            self.action_size = 1
            self.single_action_space = spaces.Discrete(info.num_actions)
            self._actions = np.zeros(n, np.int32)
            self._action_dtype: np.dtype = _INT32
        else:
            self.num_actions = None
            k = self.action_size = info.action_size
            alow = np.empty(k)
            ahigh = np.empty(k)
            _lib.call("env_action_bounds", handle, alow.ctypes.data, ahigh.ctypes.data)
            self.action_low, self.action_high = alow, ahigh
            self.single_action_space = spaces.Box(alow.astype(np.float32), ahigh.astype(np.float32), (k,),
                                                  np.float32)
            self._actions = np.zeros((n, k), np.float64)
            self._action_dtype = _FLOAT64
        self.observation_space = batch_space(self.single_observation_space, n)
        self.action_space = batch_space(self.single_action_space, n)

        # Buffers owned by Python that Swift writes in place during a call (the
        # native side keeps no pointer to them between calls).
        self._obs = np.zeros((n, d), np.float64)
        self._rewards = np.zeros(n, np.float64)
        self._terminated = np.zeros(n, np.uint8)
        self._truncated = np.zeros(n, np.uint8)
        self._final = np.zeros((n, d), np.float64)
        self._ended = ctypes.c_int32(0)
        self._ptrs = (
            self._actions.ctypes.data,
            self._obs.ctypes.data,
            self._rewards.ctypes.data,
            self._terminated.ctypes.data,
            self._truncated.ctypes.data,
            self._final.ctypes.data,
        )
        # Hot path: every argument of the step call is fixed (actions are
        # copied into the cached buffer), so the ctypes objects are built once
        # and passed to a function pointer without per-call conversion.
        self._step_fn = _lib.raw_function("swiftpg_env_step")
        self._step_args = (ctypes.c_uint64(handle),) + tuple(
            ctypes.c_void_p(p) for p in self._ptrs) + (ctypes.byref(self._ended),)
        self._action_shape = self._actions.shape
        self._term_bool = self._terminated.view(np.bool_)
        self._trunc_bool = self._truncated.view(np.bool_)

    # -- helpers -------------------------------------------------------------
    @property
    def handle(self) -> int:
        """The native handle (raises if closed)."""
        if self.closed:
            raise ClosedError(f"this {self.env_id} environment is closed")
        return self._handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"num_envs={self.num_envs}"
        return f"swiftpg.VectorEnv({self.env_id!r}, {state})"

    @property
    def num_threads(self) -> int:
        """Threads used by ``step`` for large batches
        (default 1). Results do not depend on it."""
        return self._num_threads

    @num_threads.setter
    def num_threads(self, value: int) -> None:
        value = as_count(value, "num_threads", 1, 64)
        with self._busy:
            _lib.call("env_set_threads", self.handle, value)
            self._num_threads = value

    @property
    def max_episode_steps(self) -> int:
        """The time limit (of instance 0; 0 means none)."""
        return int(self.get_parameter("max_episode_steps")[0])

    # -- Gymnasium API ---------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Resets every instance. ``seed``: an int ``s`` reseeds instance i from
        ``s + i``; a list of ``num_envs`` ints or Nones (Gymnasium's per-env
        seeds) reseeds instance i from its int, as ``reset(seed=s_i)`` of a
        single environment, and leaves the streams of the Nones (which use the
        creation seed at the first reset); None continues each instance's
        stream (the first reset of an environment made with ``seed=s`` uses
        ``s``). Raises InvalidArgumentError for a list of another length and
        for seeds outside [0, 2^64)."""
        handle = self.handle
        _check_options(options)
        seeds = None
        if isinstance(seed, np.ndarray) and seed.ndim == 0:
            seed = seed.item()
        if isinstance(seed, (list, tuple, np.ndarray)):
            if len(seed) != self.num_envs:
                raise InvalidArgumentError(f"a list of seeds needs one per instance ({self.num_envs}), got {len(seed)}")
            seeds = [None if s is None else as_seed(s) for s in seed]
            seed = None
        elif seed is not None:
            seed = as_seed(seed)
        with self._busy:
            if seed is None and self._seed_on_first_reset:
                seed = self._initial_seed
            seed_ptr = ctypes.byref(ctypes.c_uint64(seed)) if seed is not None else None
            if seeds is not None:
                # The first reset's creation seeds first, then the given ones over them.
                if seed_ptr is not None:
                    _lib.call("env_reseed_instances", handle,
                              np.array([(seed + i) % 2**64 for i in range(self.num_envs)], np.uint64).ctypes.data, None)
                    seed_ptr = None
                values = np.array([0 if s is None else s for s in seeds], np.uint64)
                which = np.array([s is not None for s in seeds], np.uint8)
                _lib.call("env_reseed_instances", handle, values.ctypes.data, which.ctypes.data)
            _lib.call("env_reset", handle, seed_ptr, self._ptrs[1])
            self._seed_on_first_reset = False
            self._last_u = None
            super().reset(seed=seed if seeds is None else None)
            return (self._obs.copy() if self.copy else self._obs), {}

    def step(self, actions):
        """Steps every instance with ``actions``: integers ``[num_envs]``
        (discrete) or floats ``[num_envs, action_size]`` (continuous)."""
        a = actions
        if a.__class__ is not np.ndarray or a.dtype is not self._action_dtype or a.shape != self._action_shape:
            a = self._coerce_actions(a)
        # The whole step (write the cached action buffer, native call, read
        # the cached result buffers) holds the env's lock: a second thread
        # gets BusyError instead of overwriting validated actions or taking
        # this call's observations.
        busy = self._busy
        if not busy.lock.acquire(False):
            raise busy.error()
        try:
            self._actions[...] = a
            if self.render_mode == "rgb_array" and not self.discrete:  # Pendulum draws the last torque
                self._last_u = np.clip(self._actions, self.action_low, self.action_high)
            if busy.hook is not None:
                busy.hook("step")
            status = self._step_fn(*self._step_args)
            if status:
                if self.closed:
                    raise ClosedError(f"this {self.env_id} environment is closed")
                raise _lib.error_for(status)
            self._seed_on_first_reset = False
            if self._last_u is not None and self._ended.value:  # a new episode has no last torque yet
                self._last_u[self._term_bool | self._trunc_bool] = np.nan
            if self._ended.value and self.autoreset_mode == AutoresetMode.SAME_STEP:
                # Rows of instances that did not end are 0 (written natively).
                ended = self._term_bool | self._trunc_bool
                info = {"final_obs": self._final.copy() if self.copy else self._final, "_final_obs": ended,
                        "final_info": {}, "_final_info": ended.copy()}
            else:
                info = {}
            if self.copy:
                return (self._obs.copy(), self._rewards.copy(), self._term_bool.copy(),
                        self._trunc_bool.copy(), info)
            return self._obs, self._rewards, self._term_bool, self._trunc_bool, info
        finally:
            busy.lock.release()

    def _coerce_actions(self, actions) -> np.ndarray:
        if self.closed:
            raise ClosedError(f"this {self.env_id} environment is closed")
        a = asarray(actions, "actions", np.int32 if self.discrete else None)
        n = self.num_envs
        if self.discrete:
            if a.dtype.kind not in "iu":
                raise DTypeError(f"actions must be integers (int32 preferred), got dtype {a.dtype}")
            if a.shape != (n,):
                raise InvalidArgumentError(f"actions must have shape ({n},), got {a.shape}")
            bad = (a < 0) | (a >= self.num_actions)
            if bad.any():
                i = int(np.argmax(bad))
                raise InvalidArgumentError(
                    f"action {int(a[i])} of instance {i} is outside the action space "
                    f"{{0, ..., {self.num_actions - 1}}}"
                )
            return a
        k = self.action_size
        if a.dtype.kind not in "fiu" or (a.dtype.kind == "f" and a.dtype.itemsize > 8):
            raise DTypeError(f"actions must be real numbers (float64 or float32), got dtype {a.dtype}")
        if a.shape == (n,) and k == 1:
            a = a.reshape(n, 1)
        if a.shape != (n, k):
            raise InvalidArgumentError(f"actions must have shape ({n}, {k}), got {a.shape}")
        if not np.isfinite(a).all():
            i, j = np.argwhere(~np.isfinite(a))[0]
            raise NotFiniteError(f"action component {j} of instance {i} is {a[i, j]}; actions must be finite")
        return a

    def close_extras(self, **kwargs: Any) -> None:
        if getattr(self, "_renderer", None) is not None:
            self._renderer.close()
            self._renderer = None
        self._finalizer()

    @property
    def _physics_size(self) -> int:
        """Length of the physics part of a state (without the action history)."""
        return self.state_size - self.max_action_delay * self.action_size

    # -- physics state ------------------------------------------------------
    def get_state(self) -> np.ndarray:
        """The physics state of every instance, float64 ``[num_envs, state_size]``
        (CartPole: x, x_dot, theta, theta_dot; tabular: the state index)."""
        out = np.empty((self.num_envs, self.state_size))
        with self._busy:
            _lib.call("env_get_state", self.handle, out.ctypes.data)
        return out

    def set_state(self, states) -> np.ndarray:
        """Overwrites the physics state of every instance (finite values,
        shape ``[num_envs, state_size]``) and returns the new observations.
        Episode step counters are unchanged."""
        s = as_float64(states, "states", (self.num_envs, self.state_size))
        with self._busy:
            _lib.call("env_set_state", self.handle, s.ctypes.data, self._ptrs[1])
            return self._obs.copy()

    def get_elapsed_steps(self) -> np.ndarray:
        """Steps taken in the current episode of each instance."""
        out = np.empty(self.num_envs, np.int32)
        with self._busy:
            _lib.call("env_get_elapsed_steps", self.handle, out.ctypes.data)
        return out

    # -- parameters ---------------------------------------------------------
    def set_parameter(self, name: str, value: float) -> None:
        """Sets parameter ``name`` of every instance (now; reset to start from
        it) and stops randomising it."""
        key = as_c_string(name, "parameter name")
        value = _check_number(name, value)
        with self._busy:
            _lib.call("env_set_parameter", self.handle, key, value)

    def randomize_parameter(self, name: str, low: float, high: float) -> None:
        """Draws parameter ``name`` of each instance uniformly from
        ``[low, high]`` at every reset from now on (domain randomisation).
        Starting states are unaffected: the draws use a separate generator."""
        key = as_c_string(name, "parameter name")
        low, high = _check_number(name, low), _check_number(name, high)
        with self._busy:
            _lib.call("env_randomize_parameter", self.handle, key, low, high)

    def enable_adr(self, parameters: dict, *, success_return: float, boundary_probability: float = 0.5,
                   buffer_size: int = 10, upper_threshold: float = 0.8, lower_threshold: float = 0.4) -> None:
        """Starts automatic domain randomisation (ADR; OpenAI et al. 2019,
        "Solving Rubik's Cube with a Robot Hand", §5), run natively: every
        new episode draws each parameter from its range and, with
        probability ``boundary_probability`` (p_b), pins one of them to one
        of its boundaries; each pinned episode's success (undiscounted return
        ≥ ``success_return``) goes into that boundary's buffer, and a buffer
        of ``buffer_size`` (m) results moves the boundary outwards by the
        parameter's step when its success rate is ≥ ``upper_threshold``
        (t_H), inwards (never past the nominal value) when ≤
        ``lower_threshold`` (t_L). Works inside every learner's rollouts.

        ``parameters``: ``{name: (step, lower_limit, upper_limit)}`` or
        ``(step, lower_limit, upper_limit, nominal)``; each parameter is set to
        its nominal value (default: instance 0's current value) in every
        instance and its range starts there with zero width. Everything is
        checked before anything changes; the episode records
        (:meth:`last_episodes`) are cleared, here and by :meth:`disable_adr`. See :class:`swiftpg.randomization.ADR` for the history,
        entropy and plots. Raises InvalidArgumentError (unknown name, bad
        step/limits/settings; nothing changes), NotFiniteError."""
        if not isinstance(parameters, dict) or not parameters:
            raise DTypeError(f"parameters must be a non-empty dict name -> (step, lower_limit, upper_limit), got "
                             f"{parameters!r}")
        names, rows, nominals = [], [], []
        for name, spec in parameters.items():
            if not isinstance(name, str) or "\n" in name:
                raise DTypeError(f"parameter names must be str without newlines, got {name!r}")
            if not isinstance(spec, (tuple, list)) or len(spec) not in (3, 4):
                raise DTypeError(f"parameters[{name!r}] must be (step, lower_limit, upper_limit[, nominal]), got "
                                 f"{spec!r}")
            names.append(name)
            rows.append([as_float(v, f"parameters[{name!r}][{k}]") for k, v in enumerate(spec[:3])])
            nominals.append(as_float(spec[3], f"parameters[{name!r}][3]") if len(spec) == 4 else None)
        table = np.ascontiguousarray(np.array(rows, dtype=np.float64).T)  # [3, P]
        given = [v is not None for v in nominals]
        if any(given) and not all(given):  # the library takes all nominal values or none: fill in the current ones
            nominals = [v if v is not None else float(self.get_parameter(n)[0]) for n, v in zip(names, nominals)]
        nominal = np.array(nominals, dtype=np.float64) if any(given) else None
        settings = [as_float(v, k) for k, v in (("boundary_probability", boundary_probability),
                                                ("upper_threshold", upper_threshold),
                                                ("lower_threshold", lower_threshold),
                                                ("success_return", success_return))]
        m = as_count(buffer_size, "buffer_size", 1, 1 << 20)
        key = as_c_string("\n".join(names), "parameter names")
        with self._busy:
            _lib.call("env_adr_enable", self.handle, key, None if nominal is None else nominal.ctypes.data,
                      table[0].ctypes.data, table[1].ctypes.data, table[2].ctypes.data, len(names), settings[0], m,
                      settings[1], settings[2], settings[3])

    def disable_adr(self) -> None:
        """Stops ADR: its parameters keep their current values and are no
        longer randomised. Nothing happens when ADR is off."""
        with self._busy:
            _lib.call("env_adr_disable", self.handle)

    def adr_state(self) -> dict | None:
        """ADR's state, or None when it is off: ``ranges`` ({name: (low,
        high)}), ``entropy`` (mean log width, nats per dimension; None while
        a range has zero width), ``episodes``, ``boundary_episodes``,
        ``successes``, ``decisions`` and ``moves`` since enable_adr."""
        stats = _lib.ADRStatsC()
        with self._busy:  # the names, the count, then the ranges: one moment (the lock is held)
            names = [n for n in _lib.read_lines(lib.swiftpg_env_adr_parameter_names, self.handle) if n]
            low, high = np.zeros(max(1, len(names))), np.zeros(max(1, len(names)))
            _lib.call("env_adr_state", self.handle, ctypes.byref(stats), low.ctypes.data, high.ctypes.data,
                      len(low))
        if not stats.enabled:
            return None
        return {"ranges": {n: (float(low[k]), float(high[k])) for k, n in enumerate(names)},
                "entropy": None if math.isnan(stats.entropy) else float(stats.entropy),
                "episodes": stats.episodes, "boundary_episodes": stats.boundary_episodes,
                "successes": stats.successes, "decisions": stats.decisions, "moves": stats.moves}

    def last_episodes(self) -> tuple[np.ndarray, np.ndarray]:
        """Per instance, the ADR boundary tag (int32 ``[N]``: 2k / 2k + 1 the
        lower / upper boundary of ADR parameter k, -1 none) and the
        undiscounted return (float64 ``[N]``) of its last finished episode
        (-1 and 0 before any, and without ADR)."""
        tags, returns = np.empty(self.num_envs, np.int32), np.empty(self.num_envs)
        with self._busy:
            _lib.call("env_last_episodes", self.handle, tags.ctypes.data, returns.ctypes.data)
        return tags, returns

    def get_parameter(self, name: str) -> np.ndarray:
        """The current value of parameter ``name`` in each instance."""
        key = as_c_string(name, "parameter name")
        out = np.empty(self.num_envs)
        with self._busy:
            _lib.call("env_get_parameter", self.handle, key, out.ctypes.data)
        return out


    def render(self, instances=None):
        """Pictures of the instances ``instances`` (an int or a sequence of
        ints; default: all), as a tuple, like Gymnasium's vector envs: with
        ``render_mode="rgb_array"`` (classic control) uint8 ``[H, W, 3]``
        frames drawn by Gymnasium's own renderer from each instance's state
        and parameters (needs pygame: ``pip install 'swiftpg[render]'``);
        with ``"ansi"`` (the other environments) text. Without a render_mode
        it returns None, as Gymnasium does. Raises InvalidArgumentError for
        an instance outside [0, num_envs)."""
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode: create the vector env with (or set "
                                  f"its attribute) render_mode={' or '.join(map(repr, self.metadata['render_modes']))}")
            return None
        if instances is None:
            chosen: range | list[int] = range(self.num_envs)
        elif isinstance(instances, (int, np.integer)) and not isinstance(instances, (bool, np.bool_)):
            chosen = [as_count(instances, "instance", 0, self.num_envs - 1)]
        elif isinstance(instances, (list, tuple, range, np.ndarray)):
            chosen = [as_count(i, "instance", 0, self.num_envs - 1) for i in instances]
        else:
            raise DTypeError(f"instances must be None, an int or a sequence of ints, got {instances!r}")
        states = self.get_state()
        if self.render_mode not in self.metadata["render_modes"]:
            raise InvalidArgumentError(f"a {self.env_id} vector env renders "
                                       f"{' or '.join(map(repr, self.metadata['render_modes']))}, not "
                                       f"{self.render_mode!r}")
        if self.render_mode == "ansi":
            steps = self.get_elapsed_steps()
            return tuple(_ansi(self, i, states[i], int(steps[i]), current=True) for i in chosen)
        if self._renderer is None:
            self._renderer = _gymnasium_renderer(self.env_id, "rgb_array")
        values = {name: self.get_parameter(name) for name in self.parameter_names}
        return tuple(_draw(self._renderer, {n: v[i] for n, v in values.items()}, states[i, :self._physics_size],
                           None if self._last_u is None or np.isnan(self._last_u[i]).any() else self._last_u[i])
                     for i in chosen)

    # -- tabular environments ------------------------------------------------
    def render_text(self, instance: int = 0) -> str:
        """A text picture of one instance (gridworlds: the layout with 'A' at
        the agent)."""
        instance = as_count(instance, "instance", 0, self.num_envs - 1)
        with self._busy:
            return "\n".join(_lib.read_lines(lib.swiftpg_env_render_text, self.handle, instance))

    def tabular_sizes(self) -> tuple[int, int]:
        """``(num_states, num_actions)`` of a tabular environment (cheap:
        nothing is copied)."""
        s, a = ctypes.c_int32(), ctypes.c_int32()
        with self._busy:
            _lib.call("env_tabular_sizes", self.handle, ctypes.byref(s), ctypes.byref(a))
        return s.value, a.value

    def tabular_model(self) -> dict:
        """The finite MDP behind a tabular environment (tabular MDPs,
        gridworlds, ShortCorridor-v0): ``P`` [S, A, S], ``R`` [S, A, S],
        ``initial`` [S], ``terminal`` [S] (bool), ``horizon`` (None:
        discounted) and ``gamma``."""
        S, A = self.tabular_sizes()
        check_elements(2 * S * A * S, f"the dense model of this {S}-state, {A}-action MDP (P and R)")
        P = np.empty((S, A, S))
        R = np.empty((S, A, S))
        mu = np.empty(S)
        term = np.empty(S, np.uint8)
        horizon, gamma = ctypes.c_int32(), ctypes.c_double()
        with self._busy:
            _lib.call("env_get_tabular", self.handle, P.ctypes.data, R.ctypes.data, mu.ctypes.data,
                      term.ctypes.data, ctypes.byref(horizon), ctypes.byref(gamma))
        return {"P": P, "R": R, "initial": mu, "terminal": term.astype(bool),
                "horizon": horizon.value or None, "gamma": gamma.value}


def make_vec(env_id: str, num_envs: int = 1, seed: int | None = None, copy: bool = True,
             num_threads: int = 1, autoreset_mode="same_step", **parameters) -> VectorEnv:
    """Creates ``num_envs`` instances of ``env_id`` stepped together in Swift,
    with the given parameters (e.g. ``make_vec("Pendulum-v1", 8, g=9.81)``).
    ``num_threads > 1`` steps large batches (chunks of 128 to 2048 instances) on several
    threads (like EnvPool's ``num_threads``). ``autoreset_mode``:
    ``"same_step"`` (the default; the learners need it) or ``"next_step"``
    (Gymnasium 1.x's default), or gymnasium's ``AutoresetMode``; both run
    natively. See :class:`VectorEnv`."""
    return VectorEnv(env_id, num_envs, seed=seed, copy=copy, num_threads=num_threads,
                     autoreset_mode=autoreset_mode, **parameters)


def _autoreset_mode(mode) -> AutoresetMode:
    """Gymnasium's ``AutoresetMode.SAME_STEP`` (or ``"same_step"``; the
    default: the step that ends an episode returns the next episode's first
    observation, the final one in ``info["final_obs"]``) or ``NEXT_STEP``
    (``"next_step"``; Gymnasium 1.x's default: the ending step returns the
    final observation and the next step resets that instance, ignoring its
    action, with reward 0). Both are native; swiftpg's learners need
    same-step batches and refuse next-step ones (InvalidArgumentError).
    Raises InvalidArgumentError for another mode (Gymnasium's DISABLED is
    not supported)."""
    if isinstance(mode, AutoresetMode):
        value = mode
    elif isinstance(mode, str) and mode.lower() in ("same_step", "next_step"):
        value = AutoresetMode.SAME_STEP if mode.lower() == "same_step" else AutoresetMode.NEXT_STEP
    else:
        raise InvalidArgumentError(f"autoreset_mode must be 'same_step' or 'next_step' (or gymnasium's "
                                   f"AutoresetMode), got {mode!r}")
    if value not in (AutoresetMode.SAME_STEP, AutoresetMode.NEXT_STEP):
        raise InvalidArgumentError(f"autoreset_mode {value} is not supported: use SAME_STEP or NEXT_STEP")
    return value


def _gymnasium_vector(num_envs: int = 1, env_id: str = "", max_episode_steps: int | None = None,
                      autoreset_mode="same_step", seed: int | None = None, builtin_time_limit: bool = True,
                      **parameters) -> VectorEnv:
    """``gymnasium.make_vec("swiftpg/<id>", num_envs=N, ...)``'s vector entry
    point: the native batch (not a SyncVectorEnv of single envs). Keywords
    are environment parameters, ``autoreset_mode`` and ``seed``;
    ``max_episode_steps`` (Gymnasium passes the spec's) sets the batch's own
    time limit, ``-1`` removes it. The spec's ``builtin_time_limit=False``
    (which switches the single env's limit off under gymnasium.make's
    TimeLimit) does not apply to the batch, which has no TimeLimit wrapper."""
    as_bool(builtin_time_limit, "builtin_time_limit")
    if max_episode_steps is not None:
        parameters["max_episode_steps"] = 0 if max_episode_steps == -1 else max_episode_steps
    return VectorEnv(env_id, num_envs, seed=seed, autoreset_mode=autoreset_mode, **parameters)


class SwiftEnv(gymnasium.Env):
    """One swiftpg environment as a ``gymnasium.Env``.

    Observations are float32 (as Gymnasium's; tabular environments observe
    the state index in a ``Discrete`` space), the action space and the time
    limit are Gymnasium's, and ``reset(seed=s)`` gives exactly Gymnasium's
    starting state. The time limit is built in (``swiftpg.make``), or, in
    ``gymnasium.make("swiftpg/<id>")``, switched off in favour of the
    ``TimeLimit`` Gymnasium wraps from the spec's ``max_episode_steps``:
    either way it is applied once. Do not wrap ``swiftpg.make``'s env in
    another ``TimeLimit`` (a longer one would never be reached).

    Difference from Gymnasium: stepping after an episode ended (without
    ``reset``) raises ``gymnasium.error.ResetNeeded`` instead of continuing
    the physics with a warning.

    ``render_mode``: ``"rgb_array"`` or ``"human"`` for the classic-control
    environments (Gymnasium's renderer), ``"ansi"`` for the others; any of
    the three is accepted by every environment (Stable-Baselines3's
    ``make_vec_env`` passes ``"rgb_array"`` to all), with a warning, and
    ``render()`` raises for a mode the environment does not draw.

    ``action_bound=b`` (continuous actions): the action space becomes
    ``[-b, b]`` (within the environment's own bounds) and actions are clipped
    to it, as Gymnasium clips. SimpleRegulator-v0's actions are unbounded;
    Stable-Baselines3's ``check_env`` and its algorithms need a bounded box,
    e.g. ``gymnasium.make("swiftpg/SimpleRegulator-v0", action_bound=5.0)``.

    The reward is a Python float, except Pendulum-v1's, a ``numpy.float64``
    as Gymnasium's is (``check_environments_match`` compares the types).

    Threads: as :class:`VectorEnv` (it shares the lock of the batch it
    wraps): a call while another thread uses the env raises BusyError.
    """

    metadata = {"render_modes": ["human", "rgb_array", "ansi"], "render_fps": 50}

    def __init__(self, env_id: str = "CartPole-v1", seed: int | None = None, render_mode: str | None = None,
                 _vector: VectorEnv | None = None, action_bound: float | None = None, builtin_time_limit: bool = True,
                 **parameters):
        if render_mode is not None:
            if not isinstance(render_mode, str):
                raise DTypeError(f"render_mode must be None or a str, got {type(render_mode).__name__}")
            if render_mode not in self.metadata["render_modes"]:
                raise InvalidArgumentError(
                    f"render_mode must be None, 'human', 'rgb_array' or 'ansi', got {render_mode!r}")
        if _vector is not None and not isinstance(_vector, VectorEnv):
            raise DTypeError(f"_vector must be a swiftpg VectorEnv, got {type(_vector).__name__}")
        if not as_bool(builtin_time_limit, "builtin_time_limit"):  # gymnasium.make's TimeLimit applies instead
            parameters.setdefault("max_episode_steps", 0)
        self._vec = _vector if _vector is not None else VectorEnv(env_id, 1, seed=seed, copy=False, **parameters)
        self.env_id = self._vec.env_id
        self.render_mode = render_mode
        self._renderer = None
        self._last_u = None
        vec = self._vec
        # What this environment draws: Gymnasium's pictures for the classic-control
        # environments, text for the others (tabular, gridworld, textbook).
        modes = ["human", "rgb_array"] if self.env_id in _RENDER_FPS else ["ansi"]
        self.metadata = dict(self.metadata, render_modes=modes, render_fps=_RENDER_FPS.get(self.env_id, 4))
        if render_mode is not None and render_mode not in modes:
            # Accepted (Stable-Baselines3's make_vec_env passes render_mode="rgb_array"
            # to every environment) but only render() raises; Gymnasium's make warns alike.
            gymnasium.logger.warn(f"{self.env_id} renders only with render_mode {' or '.join(map(repr, modes))}; "
                                  f"render() will raise for render_mode={render_mode!r}")
        self._reward_type = np.float64 if self.env_id in _NUMPY_REWARD else float
        self._action_bound = None
        self._one_hot = vec.observation_kind == "one_hot"
        if self._one_hot:
            self.observation_space = spaces.Discrete(vec.observation_size)
        else:
            low = vec.observation_low.astype(np.float32)
            high = vec.observation_high.astype(np.float32)
            self.observation_space = spaces.Box(low, high, low.shape, np.float32)
        if vec.discrete:
            if action_bound is not None:
                raise InvalidArgumentError(f"action_bound is for continuous actions; {self.env_id} has discrete ones")
            self.action_space = spaces.Discrete(vec.num_actions)
        else:
            self.action_space = vec.single_action_space
            if action_bound is not None:
                b = as_float(action_bound, "action_bound")
                if not 0 < b < np.inf:
                    raise InvalidArgumentError(f"action_bound must be positive and finite, got {action_bound!r}")
                low = np.maximum(vec.action_low, -b)
                high = np.minimum(vec.action_high, b)
                self._action_bound = (low, high)
                self.action_space = spaces.Box(low.astype(np.float32), high.astype(np.float32), low.shape,
                                               np.float32)
        self._needs_reset = True
        self._autoreset_done = False

    def _observation(self, row: np.ndarray):
        if self._one_hot:
            return int(np.argmax(row))
        return row.astype(np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None:
            seed = as_seed(seed)
        _check_options(options)
        with self._vec._busy:
            super().reset(seed=seed)
            if seed is None and self._autoreset_done:
                # The instance already reset itself when the episode ended, drawing
                # from its stream exactly as Gymnasium's reset() would have.
                obs = self._vec._obs[0]
            else:
                obs = self._vec.reset(seed=seed)[0][0]
            self._needs_reset = False
            self._autoreset_done = False
            self._last_u = None
            result: tuple[Any, dict] = self._observation(obs), {}
        if self.render_mode == "human":
            self.render()
        return result

    def step(self, action):
        vec = self._vec
        if vec.discrete:
            if isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu":
                action = int(action)
            if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
                raise DTypeError(f"action must be an int in {{0, ..., {vec.num_actions - 1}}}, got {action!r}")
            if not 0 <= action < vec.num_actions:
                raise InvalidArgumentError(
                    f"action {int(action)} is outside the action space {{0, ..., {vec.num_actions - 1}}}")
            batch: np.ndarray = np.array([action], np.int32)
        else:
            a = asarray(action, "action")
            if a.dtype.kind not in "fiu" or (a.dtype.kind == "f" and a.dtype.itemsize > 8):
                raise DTypeError(f"action must be a float array of shape ({vec.action_size},), got {action!r}")
            if a.shape != (vec.action_size,):
                raise InvalidArgumentError(f"action must have shape ({vec.action_size},), got {a.shape}")
            batch = a.astype(np.float64)[None, :]
            if self._action_bound is not None:
                if not np.isfinite(batch).all():
                    raise NotFiniteError(f"action must be finite, got {action!r}")
                batch = np.clip(batch, *self._action_bound)
            if self.render_mode is not None:
                self._last_u = np.clip(batch[0], vec.action_low, vec.action_high)
        # The whole step holds the batch's lock (re-entered by vec.step), so
        # another thread cannot step between our step and our reading of the
        # shared buffers (vec.copy is False here).
        with vec._busy:
            vec.handle                  # a closed env raises ClosedError, whatever its episode state
            if self._needs_reset:
                raise gymnasium.error.ResetNeeded(
                    "call reset() before step() (at the start and after every episode end)"
                )
            obs, rew, term, trunc, info = vec.step(batch)
            terminated, truncated = bool(term[0]), bool(trunc[0])
            if terminated or truncated:
                obs = info["final_obs"]
                self._needs_reset = True
                self._autoreset_done = True
            result: tuple = self._observation(obs[0]), self._reward_type(rew[0]), terminated, truncated, {}
        if self.render_mode == "human":
            self.render()
        return result

    def render(self):
        """The current state as a picture.

        Classic-control environments (``metadata["render_modes"]`` is
        ``["human", "rgb_array"]``) are drawn by Gymnasium's own renderer of
        the same environment (``"rgb_array"``: a uint8 ``[H, W, 3]`` frame;
        ``"human"``: a window, drawn after every step and reset): the
        physics state, parameters (e.g. the pole length) and, for Pendulum,
        the last torque are copied into a Gymnasium env, so the frames are
        Gymnasium's frames. Needs pygame (``pip install 'swiftpg[render]'``,
        i.e. ``gymnasium[classic-control]``).

        The other environments (tabular, gridworld, textbook) render
        ``"ansi"``: a str (gridworlds: the layout with ``A`` at the agent).

        Without a ``render_mode`` it returns None, as Gymnasium's
        environments do; a mode the environment does not draw raises
        InvalidArgumentError."""
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode: create the env with "
                                  f"render_mode={' or '.join(map(repr, self.metadata['render_modes']))}")
            return None
        if self.render_mode not in self.metadata["render_modes"]:
            raise InvalidArgumentError(
                f"{self.env_id} does not render {self.render_mode!r}: it renders "
                f"{' or '.join(map(repr, self.metadata['render_modes']))} (only the Gymnasium-named "
                f"classic-control environments draw pictures, with Gymnasium's renderer)")
        if self.render_mode == "ansi":
            return self._render_ansi()
        if self._renderer is None:
            self._renderer = _gymnasium_renderer(self.env_id, self.render_mode)
        parameters = {name: self.get_parameter(name) for name in self.parameter_names}
        return _draw(self._renderer, parameters, self.get_state()[:self._vec._physics_size], self._last_u)

    def _render_ansi(self) -> str:
        vec = self._vec
        if self._ended_episode():
            state, steps = self._final_state()
            return _ansi(vec, 0, state, steps, current=False)
        return _ansi(vec, 0, vec.get_state()[0], int(vec.get_elapsed_steps()[0]), current=True)

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self._vec.close()

    def _ended_episode(self) -> bool:
        """True between a step that ended the episode and the next reset():
        the batch has already started the next episode (autoreset), but this
        Env reports the terminal state, as Gymnasium's ``unwrapped`` does."""
        return self._needs_reset and self._autoreset_done

    def _final_state(self):
        vec = self._vec
        states = np.empty((vec.num_envs, vec.state_size))
        steps = np.empty(vec.num_envs, np.int32)
        with vec._busy:
            _lib.call("env_get_final_state", vec.handle, states.ctypes.data, steps.ctypes.data)
        return states[0], int(steps[0])

    def get_state(self) -> np.ndarray:
        """The physics state, float64 ``[state_size]``. After a step that
        ended the episode and until ``reset()``: the terminal state that
        produced the returned observation (not the next episode's start)."""
        if self._ended_episode():
            return self._final_state()[0]
        return self._vec.get_state()[0]

    def set_state(self, state):
        """Sets the physics state and returns the observation; the episode
        continues from it (its step counter is unchanged)."""
        s = as_float64(state, "state", (self._vec.state_size,))[None, :]
        with self._vec._busy:
            obs = self._vec.set_state(s)[0]
            self._needs_reset = False
            self._autoreset_done = False
            return self._observation(obs)

    def set_parameter(self, name: str, value: float) -> None:
        self._vec.set_parameter(name, value)

    def get_parameter(self, name: str) -> float:
        return float(self._vec.get_parameter(name)[0])

    @property
    def parameter_names(self) -> tuple:
        return self._vec.parameter_names

    @property
    def elapsed_steps(self) -> int:
        """Steps of the current episode; after a step that ended it and until
        ``reset()``, the length of the episode that ended."""
        if self._ended_episode():
            return self._final_state()[1]
        return int(self._vec.get_elapsed_steps()[0])


def make(env_id: str, seed: int | None = None, render_mode: str | None = None, **parameters) -> SwiftEnv:
    """Creates one swiftpg environment as a ``gymnasium.Env``; the first
    ``reset()`` without a seed uses ``seed``. ``render_mode`` (``"rgb_array"``
    or ``"human"``) draws the classic-control environments with Gymnasium's
    renderer, ``"ansi"`` the others as text (see :meth:`SwiftEnv.render`);
    ``action_bound`` bounds continuous actions (see :class:`SwiftEnv`)."""
    return SwiftEnv(env_id, seed=seed, render_mode=render_mode, **parameters)


def _vector_render_modes(env_id) -> list:
    """What a vector env of ``env_id`` draws: Gymnasium's pictures for the
    classic-control environments, text for the others."""
    return ["rgb_array"] if env_id in _RENDER_FPS else ["ansi"]


#: The environments that render (through Gymnasium's renderer) and their frame rates.
_RENDER_FPS = {"CartPole-v1": 50, "Acrobot-v1": 15, "MountainCar-v0": 30, "MountainCarContinuous-v0": 30,
               "Pendulum-v1": 30}
def _gymnasium_renderer(env_id: str, render_mode: str):
    """Gymnasium's own environment ``env_id`` (unwrapped), to draw swiftpg's
    states with; needs pygame (raises ImportError naming the extra)."""
    try:
        import pygame  # noqa: F401
    except ImportError as error:
        raise ImportError("rendering needs pygame: pip install 'swiftpg[render]' "
                          "(or 'gymnasium[classic-control]')") from error
    renderer = gymnasium.make(env_id, render_mode=render_mode).unwrapped
    renderer.reset(seed=0)
    return renderer


def _ansi(vec: "VectorEnv", instance: int, state, steps: int, current: bool) -> str:
    """The text picture of instance ``instance`` of ``vec`` in ``state`` after
    ``steps`` steps (``current``: its present state, which gridworlds draw
    natively)."""
    if vec.env_id == "ShortCorridor-v0":
        # Sutton & Barto's Example 13.1: start S, the switched state, then G.
        cells = ["S", ".", ".", "G"]
        s = int(state[0])
        if 0 <= s < len(cells):
            cells[s] = "A"
        return " ".join(cells) + f"   (step {steps}; state 1 switches the actions)\n"
    if vec.observation_kind == "one_hot" and current:
        try:
            return vec.render_text(instance) + "\n"
        except InvalidArgumentError:
            pass                                    # no picture of this model: the state index below
    values = ", ".join(f"{v:.6g}" for v in state)
    return f"{vec.env_id}: step {steps}" + (f", state [{values}]" if len(state) else "") + "\n"


def _draw(renderer, parameters: dict, state, last_u):
    """Gymnasium's picture of one instance: its parameters (e.g. the pole
    length), physics state and, for Pendulum, last torque copied into the
    Gymnasium env ``renderer``, then its ``render()``."""
    for name, value in parameters.items():
        if hasattr(renderer, name) and isinstance(getattr(renderer, name), (int, float)):
            setattr(renderer, name, type(getattr(renderer, name))(value))
    renderer.state = np.array(state, np.float64)
    if hasattr(renderer, "last_u"):
        renderer.last_u = None if last_u is None else float(np.asarray(last_u).reshape(-1)[0])
    return renderer.render()


#: Environments whose single-env reward is a numpy.float64, as Gymnasium's is
#: (the others return a Python float, as theirs do).
_NUMPY_REWARD = {"Pendulum-v1"}


def _new_seed(seed) -> int:
    return as_seed(seed) if seed is not None else secrets.randbits(63)


def tabular(transitions, rewards, initial, *, horizon: int | None = None, gamma: float = 1.0, terminal=None,
            max_episode_steps: int | None = None, num_envs: int = 1, seed: int | None = None,
            copy: bool = True) -> VectorEnv:
    """A finite MDP from arrays: ``transitions`` P[s, a, s'] ``[S, A, S]``
    (rows sum to 1), ``rewards`` R[s, a] ``[S, A]`` or R[s, a, s']
    ``[S, A, S]``, ``initial`` μ ``[S]``, ``terminal`` ``[S]`` bools (None:
    no terminal states). ``horizon=H`` gives the finite-horizon objective
    (the H-th step terminates); otherwise the discounted one with ``gamma``
    and a time limit ``max_episode_steps`` (default 1000) that truncates.
    Observations are one-hot; ``get_state()`` gives the state index."""
    P = as_float64(transitions, "transitions", (None, None, None), finite=False)
    S, A = P.shape[0], P.shape[1]
    if P.shape != (S, A, S):
        raise InvalidArgumentError(f"transitions must have shape (S, A, S), got {P.shape}")
    R = as_float64(rewards, "rewards", finite=False)
    if R.shape not in ((S, A), (S, A, S)):
        raise InvalidArgumentError(f"rewards must have shape ({S}, {A}) or ({S}, {A}, {S}), got {R.shape}")
    mu = as_float64(initial, "initial", (S,), finite=False)
    term = None
    if terminal is not None:
        t = asarray(terminal, "terminal", np.uint8)
        if t.dtype.kind not in "biu" or t.shape != (S,):
            raise InvalidArgumentError(f"terminal must be {S} booleans, got dtype {t.dtype} shape {t.shape}")
        term = np.ascontiguousarray(t != 0, np.uint8)
    h = 0 if horizon is None else as_count(horizon, "horizon")
    limit = 0 if max_episode_steps is None else as_count(max_episode_steps, "max_episode_steps")
    n = as_count(num_envs, "num_envs", 1, 1 << 24)
    s = _new_seed(seed)
    handle = ctypes.c_uint64()
    _lib.call("env_create_tabular", n, s, S, A, P.ctypes.data, R.ctypes.data, int(R.ndim == 3), mu.ctypes.data,
              None if term is None else term.ctypes.data, h, _check_number("gamma", gamma), limit,
              ctypes.byref(handle))
    env = VectorEnv._wrap(handle.value, "TabularMDP", s, copy)
    return env


DEFAULT_GRID = """S..#...
.#.#.#.
.#...#G
...#.#.
.#.P..."""


def gridworld(layout: str = DEFAULT_GRID, *, slip: float = 0.1, step_reward: float = 0.0,
              goal_reward: float = 1.0, pit_reward: float = -1.0, gamma: float = 0.99,
              max_episode_steps: int = 100, num_envs: int = 1, seed: int | None = None,
              copy: bool = True) -> VectorEnv:
    """A gridworld built on the tabular MDP. ``layout``: rows of '.' free,
    '#' wall, 'S' start, 'G' goal, 'P' pit. Actions 0 up, 1 right, 2 down,
    3 left; with probability ``slip`` the agent moves to a perpendicular side
    instead (``slip/2`` each). ``render_text(i)`` draws instance i."""
    text = as_c_string(layout, "layout")
    n = as_count(num_envs, "num_envs", 1, 1 << 24)
    s = _new_seed(seed)
    handle = ctypes.c_uint64()
    _lib.call("env_create_gridworld", n, s, text, _check_number("slip", slip),
              _check_number("step_reward", step_reward), _check_number("goal_reward", goal_reward),
              _check_number("pit_reward", pit_reward), _check_number("gamma", gamma),
              as_count(max_episode_steps, "max_episode_steps", 0), ctypes.byref(handle))
    env = VectorEnv._wrap(handle.value, "GridWorld", s, copy)
    return env


def bandit(means, stds=None, *, kind: str = "gaussian", horizon: int = 1, num_envs: int = 1,
           seed: int | None = None, copy: bool = True) -> VectorEnv:
    """A multi-armed bandit: ``kind="gaussian"`` arms N(means[a], stds[a]²)
    (stds default 1) or ``kind="bernoulli"`` arms with success probability
    means[a]. An episode is ``horizon`` pulls."""
    kind_code = as_choice(kind, {"gaussian": 0, "bernoulli": 1}, "kind")
    m = as_float64(means, "means", (None,))
    if len(m) > 2**31 - 1:
        raise InvalidArgumentError(f"means has {len(m)} arms, more than 2**31 - 1")
    sd = None if stds is None else as_float64(stds, "stds", m.shape)
    n = as_count(num_envs, "num_envs", 1, 1 << 24)
    s = _new_seed(seed)
    handle = ctypes.c_uint64()
    _lib.call("env_create_bandit", n, s, kind_code, len(m), m.ctypes.data,
              None if sd is None else sd.ctypes.data, as_count(horizon, "horizon"), ctypes.byref(handle))
    env = VectorEnv._wrap(handle.value, f"Bandit({kind}, {len(m)} arms)", s, copy)
    return env


def _restore_env(data: bytes, env_id: str, copy: bool, initial_seed: int, seed_on_first_reset: bool,
                 num_threads: int, render_mode: str | None = None) -> VectorEnv:
    """Unpickles a :class:`VectorEnv` (see ``VectorEnv.__reduce__``); bad
    bytes raise BadFormatError."""
    handle = _lib.deserialize("env_deserialize", data, "an environment's bundle")
    env = VectorEnv._adopt_restored(handle, env_id, copy, initial_seed, seed_on_first_reset, num_threads)
    env.render_mode = render_mode
    return env


def single(vector_env: VectorEnv) -> SwiftEnv:
    """A one-instance :class:`VectorEnv` (e.g. from :func:`tabular`) as a
    ``gymnasium.Env``."""
    if not isinstance(vector_env, VectorEnv):
        raise DTypeError(f"single() needs a swiftpg VectorEnv with num_envs=1, got {type(vector_env).__name__}")
    if vector_env.num_envs != 1:
        raise InvalidArgumentError(f"single() needs a swiftpg VectorEnv with num_envs=1, got {vector_env.num_envs}")
    vector_env.copy = False
    return SwiftEnv(_vector=vector_env)
