"""Stable-Baselines3's ``VecEnv`` over swiftpg's native batched environment.

``vec_env("CartPole-v1", num_envs=8, seed=0)`` returns a
``SwiftVecEnv``, a real ``stable_baselines3.common.vec_env.VecEnv``
whose ``step`` is one call into Swift for all instances, so SB3's algorithms,
``VecNormalize``, ``VecMonitor`` and ``VecFrameStack`` run on it::

    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecMonitor
    from swiftpg.sb3 import vec_env

    env = VecMonitor(vec_env("CartPole-v1", num_envs=8, seed=0))
    PPO("MlpPolicy", env, seed=0).learn(50_000)

SB3 semantics, as its ``DummyVecEnv`` over Gymnasium's own environments
with the same seeds (the transitions are equal, a test checks it):

- ``reset()`` returns the observations only; the seeds set by
  ``seed(s)`` (instance i: ``s + i``) apply at the next ``reset()``;
  without them each instance continues its own random stream.
- ``step(actions)`` returns ``(obs, rewards, dones, infos)``: float32
  rewards, ``dones = terminated | truncated``, and an instance that ended
  is reset in the same call (automatic reset): ``obs[i]`` is the first
  observation of its next episode, ``infos[i]["terminal_observation"]`` the
  last one of the episode that ended, and every ``infos[i]`` has
  ``"TimeLimit.truncated"`` (truncated and not terminated: bootstrap from the
  terminal observation).
- Spaces and dtypes are those of the single Gymnasium environment
  (``swiftpg.make``): float32 observations, a ``Discrete`` space for
  tabular environments (observations are state indices).

Episode statistics (``infos[i]["episode"]``, which SB3's logger reads) come
from wrapping it in SB3's ``VecMonitor``.

:class:`VecEnvCore` is the same adapter without SB3's base class: it needs
no SB3 (tests check the contract with it). Stable-Baselines3 itself is the
optional extra ``sb3`` (``pip install 'swiftpg[sb3]'``; it needs PyTorch —
on this kind of machine install the CPU wheel, ``torch==2.13.0+cpu``, first).
"""

from __future__ import annotations

import warnings
from copy import deepcopy
from typing import Any, Sequence

import numpy as np
from gymnasium import spaces

from ._arrays import DTypeError, as_float, as_seed
from ._lib import InvalidArgumentError, NotSupportedError
from .envs import _RENDER_FPS, VectorEnv, _draw, _gymnasium_renderer

# SwiftVecEnv (the SB3 subclass) is built on first use: not in __all__, so
# `from swiftpg.sb3 import *` works without SB3.
__all__ = ["vec_env", "VecEnvCore"]

_INSTALL = ("pip install 'swiftpg[sb3]' (Stable-Baselines3; install PyTorch's CPU wheel "
            "torch==2.13.0+cpu first, a plain `pip install torch` pulls a CUDA build)")


def _indices(indices, n: int) -> list[int]:
    if indices is None:
        return list(range(n))
    if isinstance(indices, (int, np.integer)) and not isinstance(indices, bool):
        indices = [indices]
    if not isinstance(indices, (list, tuple, range, np.ndarray)):
        raise DTypeError(f"indices must be None, an int or a sequence of ints, got {type(indices).__name__}")
    out = []
    for i in indices:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise DTypeError(f"indices must be ints, got {i!r}")
        if not -n <= i < n:
            raise InvalidArgumentError(f"index {int(i)} is outside 0..{n - 1}")
        out.append(int(i) % n)
    return out


def _tile(images: list) -> np.ndarray:
    """Frames ``[H, W, 3]`` tiled in a near-square grid (as SB3's ``tile_images``)."""
    frames = np.asarray(images)
    n, h, w, c = frames.shape
    rows = int(np.ceil(np.sqrt(n)))
    cols = int(np.ceil(n / rows))
    frames = np.concatenate([frames, np.zeros((rows * cols - n, h, w, c), frames.dtype)])
    return frames.reshape(rows, cols, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, c)


class VecEnvCore:
    """SB3's ``VecEnv`` interface over a swiftpg :class:`~swiftpg.envs.VectorEnv`,
    without SB3's base class (see the module doc for the semantics).

    ``env``: an environment id (then ``num_envs``, ``seed`` and the named
    ``parameters`` make the batch) or a swiftpg ``VectorEnv`` to adopt (the
    adapter closes it when closed). ``render_mode``: None or ``"rgb_array"``
    (classic-control environments: each instance drawn by Gymnasium's
    renderer; ``render()`` tiles them). ``action_bound=b``: continuous
    actions in ``[-b, b]`` (clipped), for SimpleRegulator-v0, whose actions
    are unbounded while SB3 needs a bounded box.
    """

    def __init__(self, env: str | VectorEnv = "CartPole-v1", num_envs: int = 1, seed: int | None = None, *,
                 render_mode: str | None = None, action_bound: float | None = None, **parameters):
        if isinstance(env, VectorEnv):
            if parameters or seed is not None or num_envs not in (1, env.num_envs):
                raise InvalidArgumentError("num_envs, seed and parameters are for an environment id; "
                                           "a VectorEnv already has them")
            vec = env
            vec.copy = False
        elif isinstance(env, str):
            vec = VectorEnv(env, num_envs, seed=seed, copy=False, **parameters)
        else:
            raise DTypeError(f"env must be an environment id or a swiftpg VectorEnv, got {type(env).__name__}")
        self._vec = vec
        try:
            self._setup(render_mode, action_bound)
        except BaseException:
            if not isinstance(env, VectorEnv):
                vec.close()
            raise

    def _setup(self, render_mode, action_bound) -> None:
        vec = self._vec
        n = self.num_envs = vec.num_envs
        if render_mode is not None:
            if render_mode != "rgb_array":
                raise InvalidArgumentError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
            if vec.env_id not in _RENDER_FPS:
                raise InvalidArgumentError(f"{vec.env_id} does not draw pictures: only {', '.join(_RENDER_FPS)} do")
        self.render_mode = render_mode
        self.metadata = {"render_modes": ["rgb_array"] if render_mode else [],
                         "render_fps": _RENDER_FPS.get(vec.env_id, 4)}
        self._one_hot = vec.observation_kind == "one_hot"
        if self._one_hot:
            self.observation_space: spaces.Space = spaces.Discrete(vec.observation_size)
        else:
            low, high = vec.observation_low.astype(np.float32), vec.observation_high.astype(np.float32)
            self.observation_space = spaces.Box(low, high, low.shape, np.float32)
        self._bounds = None
        if vec.discrete:
            if action_bound is not None:
                raise InvalidArgumentError(f"action_bound is for continuous actions; {vec.env_id} has discrete ones")
            self.action_space: spaces.Space = spaces.Discrete(vec.num_actions)
        elif action_bound is not None:
            b = as_float(action_bound, "action_bound")
            if not 0 < b < np.inf:
                raise InvalidArgumentError(f"action_bound must be positive and finite, got {action_bound!r}")
            low, high = np.maximum(vec.action_low, -b), np.minimum(vec.action_high, b)
            self._bounds = (low, high)
            self.action_space = spaces.Box(low.astype(np.float32), high.astype(np.float32), low.shape, np.float32)
        else:
            self.action_space = vec.single_action_space
        self.reset_infos: list[dict[str, Any]] = [{} for _ in range(n)]
        self._seeds: list[int | None] = [None] * n
        self._options: list[dict[str, Any]] = [{} for _ in range(n)]
        self._actions: np.ndarray | None = None
        self._last_u: np.ndarray | None = None
        self._renderer = None

    # -- what SB3 calls ----------------------------------------------------------
    @property
    def vector_env(self) -> VectorEnv:
        """The swiftpg batch underneath (parameters, physics state, ...)."""
        return self._vec

    @property
    def unwrapped(self):
        return self

    def _observations(self, rows: np.ndarray) -> np.ndarray:
        if self._one_hot:
            return np.argmax(rows, axis=1).astype(np.int64)
        return rows.astype(np.float32)

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seeds for the next ``reset()``: instance i gets ``seed + i`` (a
        random seed when None), as SB3's ``VecEnv.seed``."""
        if seed is None:
            seed = int(np.random.randint(0, np.iinfo(np.uint32).max, dtype=np.uint32))
        seed = as_seed(seed)
        self._seeds = [seed + i for i in range(self.num_envs)]
        return self._seeds

    def set_options(self, options: list[dict] | dict | None = None) -> None:
        """Reset options for the next ``reset()`` (swiftpg's environments take
        none: a non-empty one makes that ``reset()`` raise)."""
        if options is None:
            options = {}
        if isinstance(options, dict):
            options = [options] * self.num_envs
        if not isinstance(options, (list, tuple)) or len(options) != self.num_envs or \
                not all(isinstance(o, dict) for o in options):
            raise DTypeError(f"options must be None, a dict or a list of {self.num_envs} dicts, got {options!r}")
        self._options = deepcopy(list(options))

    def reset(self) -> np.ndarray:
        """Resets every instance (with the seeds of ``seed()``, once) and
        returns the observations."""
        seeds, options = self._seeds, self._options
        self._seeds = [None] * self.num_envs
        self._options = [{} for _ in range(self.num_envs)]
        if any(options):
            raise NotSupportedError(f"swiftpg environments take no reset options, got {options}")
        if all(s is None for s in seeds):
            seed = None
        elif seeds[0] is not None and seeds == [seeds[0] + i for i in range(self.num_envs)]:
            seed = seeds[0]
        else:
            raise NotSupportedError(f"instance i is seeded with seed + i; per-instance seeds {seeds} are not")
        obs, _ = self._vec.reset(seed=seed)
        self.reset_infos = [{} for _ in range(self.num_envs)]
        self._last_u = None
        return self._observations(obs)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self):
        """Steps every instance with the actions of ``step_async``:
        ``(obs, rewards float32, dones bool, infos)``."""
        actions, self._actions = self._actions, None
        if actions is None:
            raise InvalidArgumentError("step_wait() without step_async(actions)")
        vec = self._vec
        if not vec.discrete:
            actions = np.asarray(actions)
            if actions.dtype.kind in "fiu" and actions.shape == (self.num_envs,) and vec.action_size == 1:
                actions = actions.reshape(self.num_envs, 1)
            if self._bounds is not None and actions.dtype.kind in "fiu":
                if not np.isfinite(actions).all():
                    raise InvalidArgumentError("actions must be finite")
                actions = np.clip(actions, *self._bounds)
        obs, rewards, terminated, truncated, info = vec.step(actions)
        if self.render_mode is not None and not vec.discrete:
            # Pendulum's picture shows the torque applied (the validated, clipped actions).
            self._last_u = np.clip(vec._actions, vec.action_low, vec.action_high)
        dones = terminated | truncated
        infos: list[dict[str, Any]] = [{"TimeLimit.truncated": bool(truncated[i] and not terminated[i])}
                                       for i in range(self.num_envs)]
        if info:
            final = self._observations(info["final_obs"])
            for i in np.flatnonzero(dones):
                infos[i]["terminal_observation"] = final[i]
                self.reset_infos[i] = {}
                if self._last_u is not None:
                    self._last_u[i] = np.nan
        return self._observations(obs), rewards.astype(np.float32), dones.copy(), infos

    def step(self, actions: np.ndarray):
        """``step_async(actions)`` then ``step_wait()``."""
        self.step_async(actions)
        return self.step_wait()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self._vec.close()

    @property
    def closed(self) -> bool:
        return self._vec.closed

    # -- attributes and methods of the instances -------------------------------------
    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        """An attribute per instance: an environment parameter (its value in
        each instance), or an attribute of the single environment
        (``render_mode``, ``observation_space``, ...) or of the batch
        (``env_id``, ``max_episode_steps``, ...). AttributeError otherwise."""
        if not isinstance(attr_name, str):
            raise DTypeError(f"attr_name must be a str, got {type(attr_name).__name__}")
        idx = _indices(indices, self.num_envs)
        if attr_name in self._vec.parameter_names:
            values = self._vec.get_parameter(attr_name)
            return [float(values[i]) for i in idx]
        if attr_name in ("render_mode", "observation_space", "action_space", "metadata", "num_envs"):
            return [getattr(self, attr_name)] * len(idx)
        if attr_name.startswith("_") or not hasattr(self._vec, attr_name):
            raise AttributeError(f"{self._vec.env_id} has no attribute {attr_name!r}")
        value = getattr(self._vec, attr_name)
        return [value] * len(idx)

    def has_attr(self, attr_name: str) -> bool:
        try:
            self.get_attr(attr_name, indices=[0])
            return True
        except AttributeError:
            return False

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        """Sets an environment parameter (in every instance: swiftpg's
        parameters are set for the whole batch); other attributes raise."""
        if not isinstance(attr_name, str):
            raise DTypeError(f"attr_name must be a str, got {type(attr_name).__name__}")
        if attr_name not in self._vec.parameter_names:
            raise NotSupportedError(f"only environment parameters can be set ({', '.join(self._vec.parameter_names)}), "
                                    f"not {attr_name!r}")
        if sorted(_indices(indices, self.num_envs)) != list(range(self.num_envs)):
            raise NotSupportedError("parameters are set in every instance at once (indices=None)")
        self._vec.set_parameter(attr_name, value)

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list[Any]:
        """Calls a method per instance: ``render`` (the frame of each) and
        ``get_state`` (each physics state) are supported."""
        if not isinstance(method_name, str):
            raise DTypeError(f"method_name must be a str, got {method_name!r:.100}")
        idx = _indices(indices, self.num_envs)
        if method_name == "render":
            images = self.get_images()
            return [images[i] for i in idx]
        if method_name == "get_state":
            states = self._vec.get_state()
            return [states[i] for i in idx]
        raise NotSupportedError(f"env_method supports 'render' and 'get_state', not {method_name!r}")

    def env_is_wrapped(self, wrapper_class: type, indices=None) -> list[bool]:
        """False for every instance: no Gymnasium wrapper is inside (wrap the
        whole adapter in SB3's ``VecMonitor`` instead of ``Monitor``)."""
        return [False] * len(_indices(indices, self.num_envs))

    # -- rendering ---------------------------------------------------------------------
    def get_images(self) -> list:
        """Each instance's current state drawn by Gymnasium's renderer
        (``render_mode="rgb_array"``; otherwise a warning and Nones, as SB3's)."""
        if self.render_mode != "rgb_array":
            warnings.warn(f"The render mode is {self.render_mode}, but get_images() needs 'rgb_array'")
            return [None] * self.num_envs
        if self._renderer is None:
            self._renderer = _gymnasium_renderer(self._vec.env_id, "rgb_array")
        vec = self._vec
        states = vec.get_state()
        values = {name: vec.get_parameter(name) for name in vec.parameter_names}
        frames = []
        for i in range(self.num_envs):
            u = None if self._last_u is None or np.isnan(self._last_u[i]).any() else self._last_u[i]
            frames.append(_draw(self._renderer, {k: v[i] for k, v in values.items()}, states[i], u).copy())
        return frames

    def render(self, mode: str | None = None):
        """The instances' frames tiled into one image (``"rgb_array"``)."""
        if mode is not None and not isinstance(mode, str):
            raise DTypeError(f"mode must be None or a str, got {type(mode).__name__}")
        mode = self.render_mode if mode is None else mode
        if mode != "rgb_array":
            raise NotSupportedError(f"render mode {mode!r}: this adapter draws 'rgb_array' "
                                    "(create it with render_mode='rgb_array')")
        if self.render_mode != "rgb_array":
            raise NotSupportedError("create the adapter with render_mode='rgb_array' to render")
        return _tile(self.get_images())

    def __repr__(self) -> str:
        return f"swiftpg.sb3.{type(self).__name__}({self._vec!r})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_SWIFT_VEC_ENV = None


def _sb3_class():
    global _SWIFT_VEC_ENV
    if _SWIFT_VEC_ENV is None:
        try:
            from stable_baselines3.common.vec_env import VecEnv
        except ImportError as error:
            raise ImportError(f"swiftpg.sb3 needs Stable-Baselines3: {_INSTALL}") from error

        class SwiftVecEnv(VecEnvCore, VecEnv):
            """:class:`VecEnvCore` as a ``stable_baselines3.common.vec_env.VecEnv``
            (so SB3's algorithms and VecEnv wrappers accept it)."""

        SwiftVecEnv.__module__ = __name__
        SwiftVecEnv.__qualname__ = "SwiftVecEnv"
        _SWIFT_VEC_ENV = SwiftVecEnv
    return _SWIFT_VEC_ENV


def vec_env(env: str | VectorEnv = "CartPole-v1", num_envs: int = 1, seed: int | None = None, *,
            render_mode: str | None = None, action_bound: float | None = None, **parameters):
    """A Stable-Baselines3 ``VecEnv`` (``SwiftVecEnv``) of ``num_envs``
    instances of ``env`` stepped together in Swift; the arguments are
    :class:`VecEnvCore`'s. Raises ImportError naming the extra when SB3 is
    not installed."""
    return _sb3_class()(env, num_envs, seed, render_mode=render_mode, action_bound=action_bound, **parameters)


def __getattr__(name: str):
    if name == "SwiftVecEnv":
        return _sb3_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
