"""Batched environments stepped in Swift, as Gymnasium vector and single envs.

``make_vec(id, num_envs, seed)`` returns a :class:`VectorEnv` (a real
``gymnasium.vector.VectorEnv``) whose ``step`` is one call into Swift for all
instances. ``make(id, seed)`` returns a :class:`SwiftEnv`, a real
``gymnasium.Env`` that passes ``gymnasium.utils.env_checker.check_env``.

Seeding: instance ``i`` of an environment reset with seed ``s`` uses numpy's
``PCG64(SeedSequence(s + i))`` exactly as Gymnasium's ``env.reset(seed=s + i)``
does, so starting states match Gymnasium bit for bit, and so does every later
automatic reset (each instance continues its own stream).
"""

from __future__ import annotations

import ctypes
import secrets
import weakref
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from . import _lib
from ._arrays import DTypeError, as_count, as_float64, as_seed
from ._lib import ClosedError, InvalidArgumentError, lib

__all__ = ["VectorEnv", "SwiftEnv", "make_vec", "make", "env_ids"]

env_ids = _lib.env_ids
_INT32 = np.dtype(np.int32)


def _destroy_env(handle: int) -> None:
    lib.swiftpg_env_destroy(handle)


class VectorEnv(gymnasium.vector.VectorEnv):
    """``num_envs`` instances of a swiftpg environment, stepped together.

    Observations are float64 arrays ``[num_envs, obs_size]``; rewards float64
    ``[num_envs]``; ``terminated`` / ``truncated`` bool ``[num_envs]``.

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
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(self, env_id: str, num_envs: int = 1, seed: int | None = None, copy: bool = True):
        if not isinstance(env_id, str):
            raise DTypeError(f"env_id must be a str, got {env_id!r}")
        num_envs = as_count(num_envs, "num_envs", 1, 1 << 24)
        self._initial_seed = as_seed(seed) if seed is not None else secrets.randbits(63)
        self._seed_on_first_reset = True
        handle = ctypes.c_uint64()
        _lib.call("env_create", env_id.encode(), num_envs, self._initial_seed, ctypes.byref(handle))
        self._handle = handle.value
        self._finalizer = weakref.finalize(self, _destroy_env, self._handle)

        info = _lib.EnvInfo()
        _lib.call("env_get_info", self._handle, ctypes.byref(info))
        self.env_id = env_id
        self.num_envs = num_envs
        self.copy = bool(copy)
        self.observation_size = info.observation_size
        self.state_size = info.state_size
        self.max_episode_steps = info.max_episode_steps
        self.reward_threshold = None if np.isnan(info.reward_threshold) else info.reward_threshold
        self._discrete = info.action_kind == _lib.ACTION_DISCRETE
        d = self.observation_size

        low = np.empty(d)
        high = np.empty(d)
        _lib.call("env_observation_bounds", self._handle, low.ctypes.data, high.ctypes.data)
        self.observation_low, self.observation_high = low, high
        self.single_observation_space = spaces.Box(low, high, (d,), np.float64)
        if self._discrete:
            self.num_actions = info.num_actions
            self.single_action_space = spaces.Discrete(info.num_actions)
            self._actions = np.zeros(num_envs, np.int32)
        else:  # continuous environments arrive with the environments issue
            raise NotImplementedError(f"{env_id}: continuous action spaces are not supported yet")
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)

        # Buffers owned by Python that Swift writes in place during a call (the
        # native side keeps no pointer to them between calls).
        self._obs = np.zeros((num_envs, d), np.float64)
        self._rewards = np.zeros(num_envs, np.float64)
        self._terminated = np.zeros(num_envs, np.uint8)
        self._truncated = np.zeros(num_envs, np.uint8)
        self._final = np.zeros((num_envs, d), np.float64)
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
        self._step_args = (ctypes.c_uint64(self._handle),) + tuple(
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

    # -- Gymnasium API ---------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Resets every instance. ``seed``: an int ``s`` reseeds instance i from
        ``s + i``; None continues each instance's stream (the first reset of an
        environment made with ``seed=s`` uses ``s``)."""
        handle = self.handle
        if options:
            raise InvalidArgumentError(f"unsupported reset options {sorted(options)}")
        if seed is not None:
            seed = as_seed(seed)
        elif self._seed_on_first_reset:
            seed = self._initial_seed
        self._seed_on_first_reset = False
        super().reset(seed=seed)
        seed_ptr = ctypes.byref(ctypes.c_uint64(seed)) if seed is not None else None
        _lib.call("env_reset", handle, seed_ptr, self._ptrs[1])
        return (self._obs.copy() if self.copy else self._obs), {}

    def step(self, actions):
        """Steps every instance with ``actions`` (``[num_envs]`` integers)."""
        a = actions
        if a.__class__ is not np.ndarray or a.dtype is not _INT32 or a.shape != self._action_shape:
            a = self._coerce_actions(a)
        self._actions[...] = a
        status = self._step_fn(*self._step_args)
        if status:
            if self.closed:
                raise ClosedError(f"this {self.env_id} environment is closed")
            raise _lib.error_for(status)
        self._seed_on_first_reset = False
        if self._ended.value:
            # Rows of instances that did not end are 0 (written natively).
            info = {"final_obs": self._final.copy() if self.copy else self._final,
                    "_final_obs": self._term_bool | self._trunc_bool}
        else:
            info = {}
        if self.copy:
            return (self._obs.copy(), self._rewards.copy(), self._term_bool.copy(),
                    self._trunc_bool.copy(), info)
        return self._obs, self._rewards, self._term_bool, self._trunc_bool, info

    def _coerce_actions(self, actions) -> np.ndarray:
        if self.closed:
            raise ClosedError(f"this {self.env_id} environment is closed")
        a = np.asarray(actions)
        if a.dtype.kind not in "iu":
            raise DTypeError(f"actions must be integers (int32 preferred), got dtype {a.dtype}")
        if a.shape != (self.num_envs,):
            raise InvalidArgumentError(f"actions must have shape ({self.num_envs},), got {a.shape}")
        lo, hi = a.min(), a.max()
        if lo < 0 or hi >= self.num_actions:
            i = int(np.argmax((a < 0) | (a >= self.num_actions)))
            raise InvalidArgumentError(
                f"action {int(a[i])} of instance {i} is outside the action space "
                f"{{0, ..., {self.num_actions - 1}}}"
            )
        return a

    def close_extras(self, **kwargs: Any) -> None:
        self._finalizer()

    # -- physics state ------------------------------------------------------
    def get_state(self) -> np.ndarray:
        """The physics state of every instance, float64 ``[num_envs, state_size]``
        (CartPole: x, x_dot, theta, theta_dot)."""
        out = np.empty((self.num_envs, self.state_size))
        _lib.call("env_get_state", self.handle, out.ctypes.data)
        return out

    def set_state(self, states) -> np.ndarray:
        """Overwrites the physics state of every instance (finite values,
        shape ``[num_envs, state_size]``) and returns the new observations.
        Episode step counters are unchanged."""
        s = as_float64(states, "states", (self.num_envs, self.state_size))
        _lib.call("env_set_state", self.handle, s.ctypes.data, self._ptrs[1])
        return self._obs.copy()

    def get_elapsed_steps(self) -> np.ndarray:
        """Steps taken in the current episode of each instance."""
        out = np.empty(self.num_envs, np.int32)
        _lib.call("env_get_elapsed_steps", self.handle, out.ctypes.data)
        return out


def make_vec(env_id: str, num_envs: int = 1, seed: int | None = None, copy: bool = True) -> VectorEnv:
    """Creates ``num_envs`` instances of ``env_id`` stepped together in Swift.
    See :class:`VectorEnv`."""
    return VectorEnv(env_id, num_envs, seed=seed, copy=copy)


class SwiftEnv(gymnasium.Env):
    """One swiftpg environment as a ``gymnasium.Env``.

    Observations are float32 (as Gymnasium's), the action space and the
    time limit are Gymnasium's, and ``reset(seed=s)`` gives exactly
    Gymnasium's starting state. The time limit is built in: do not wrap it in
    another ``TimeLimit``.

    Difference from Gymnasium: stepping after an episode ended (without
    ``reset``) raises ``gymnasium.error.ResetNeeded`` instead of continuing
    the physics with a warning.
    """

    metadata = {"render_modes": []}

    def __init__(self, env_id: str = "CartPole-v1", seed: int | None = None, render_mode: str | None = None):
        if render_mode is not None:
            raise InvalidArgumentError(f"swiftpg environments do not render; got render_mode={render_mode!r}")
        self._vec = VectorEnv(env_id, 1, seed=seed, copy=False)
        self.env_id = env_id
        self.render_mode = None
        low = self._vec.observation_low.astype(np.float32)
        high = self._vec.observation_high.astype(np.float32)
        self.observation_space = spaces.Box(low, high, low.shape, np.float32)
        self.action_space = spaces.Discrete(self._vec.num_actions)
        self._needs_reset = True
        self._autoreset_done = False

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if options:
            raise InvalidArgumentError(f"unsupported reset options {sorted(options)}")
        if seed is None and self._autoreset_done:
            # The instance already reset itself when the episode ended, drawing
            # from its stream exactly as Gymnasium's reset() would have.
            obs = self._vec._obs[0]
        else:
            obs = self._vec.reset(seed=seed)[0][0]
        self._needs_reset = False
        self._autoreset_done = False
        return obs.astype(np.float32), {}

    def step(self, action):
        if self._needs_reset:
            raise gymnasium.error.ResetNeeded(
                "call reset() before step() (at the start and after every episode end)"
            )
        if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
            if isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu":
                action = int(action)
            else:
                raise DTypeError(f"action must be an int in {{0, ..., {self.action_space.n - 1}}}, got {action!r}")
        obs, rew, term, trunc, info = self._vec.step(np.array([action], np.int64))
        terminated, truncated = bool(term[0]), bool(trunc[0])
        if terminated or truncated:
            obs = info["final_obs"]
            self._needs_reset = True
            self._autoreset_done = True
        return obs[0].astype(np.float32), float(rew[0]), terminated, truncated, {}

    def close(self):
        self._vec.close()

    def get_state(self) -> np.ndarray:
        """The physics state, float64 ``[state_size]``."""
        return self._vec.get_state()[0]

    def set_state(self, state) -> np.ndarray:
        """Sets the physics state and returns the float32 observation; the
        episode continues from it (its step counter is unchanged)."""
        obs = self._vec.set_state(as_float64(state, "state", (self._vec.state_size,))[None, :])[0]
        self._needs_reset = False
        self._autoreset_done = False
        return obs.astype(np.float32)

    @property
    def elapsed_steps(self) -> int:
        return int(self._vec.get_elapsed_steps()[0])


def make(env_id: str, seed: int | None = None) -> SwiftEnv:
    """Creates one swiftpg environment as a ``gymnasium.Env``; the first
    ``reset()`` without a seed uses ``seed``."""
    return SwiftEnv(env_id, seed=seed)


def _register_with_gymnasium() -> None:
    """Registers ``swiftpg/<id>`` so ``gymnasium.make("swiftpg/CartPole-v1")``
    works (no extra TimeLimit: the limit is built into the environment)."""
    for env_id in env_ids():
        name = f"swiftpg/{env_id}"
        if name not in gymnasium.registry:
            gymnasium.register(id=name, entry_point="swiftpg.envs:SwiftEnv", kwargs={"env_id": env_id})
