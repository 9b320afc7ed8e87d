"""Registers swiftpg's environments with Gymnasium without importing it.

``import swiftpg`` does not import Gymnasium (most of what an import of
swiftpg would otherwise cost). So that ``gymnasium.make("swiftpg/<id>")``
works in either import order, :func:`register_when_gymnasium_imports`
registers now if Gymnasium is already loaded, and otherwise puts a finder
on ``sys.meta_path`` that registers right after Gymnasium's own import
finishes (and then removes itself). Nothing else is intercepted: the
finder answers for the name ``gymnasium`` only, by wrapping the loader the
other finders return.
"""

from __future__ import annotations

import importlib.abc
import sys
import threading

_lock = threading.Lock()


#: Environments whose ``max_episode_steps`` is a horizon that *terminates* the
#: episode (part of the problem, as in Kochenderfer's regulator and the
#: two-action example), not a time limit that truncates it: their specs have
#: no ``max_episode_steps``, so Gymnasium adds no TimeLimit.
HORIZON_ENVS = frozenset({"SimpleRegulator-v0", "TwoAction-v0"})


def env_spec_values(env_id: str) -> tuple[int | None, float | None]:
    """``(max_episode_steps, reward_threshold)`` of a swiftpg environment as
    its Gymnasium spec carries them (None: none), read from the library."""
    import ctypes
    import math

    from . import _lib

    handle = ctypes.c_uint64()
    _lib.call("env_create", env_id.encode(), 1, 0, ctypes.byref(handle))
    try:
        info = _lib.EnvInfo()
        _lib.call("env_get_info", handle.value, ctypes.byref(info))
    finally:
        _lib.lib.swiftpg_env_destroy(handle.value)
    limit = None if info.max_episode_steps <= 0 or env_id in HORIZON_ENVS else int(info.max_episode_steps)
    threshold = None if math.isnan(info.reward_threshold) else float(info.reward_threshold)
    return limit, threshold


def register_envs() -> None:
    """Registers ``swiftpg/<id>`` so ``gymnasium.make("swiftpg/CartPole-v1")``
    works. The specs carry ``max_episode_steps`` and ``reward_threshold`` as
    Gymnasium's do. The time limit is applied once: ``gymnasium.make`` wraps
    Gymnasium's ``TimeLimit`` (which ``TimeAwareObservation`` and
    ``make(..., max_episode_steps=M)`` rely on) and the environment's own
    limit is switched off (the spec's kwargs hold ``builtin_time_limit=False``),
    so episodes end exactly as Gymnasium's, ``max_episode_steps=M`` gives
    M-step episodes and ``-1`` none. The entry point is a string, so this
    needs neither ``swiftpg.envs`` (which may be the module importing
    Gymnasium right now) nor its classes."""
    import gymnasium

    from ._lib import env_ids

    for env_id in env_ids():
        name = f"swiftpg/{env_id}"
        if name not in gymnasium.registry:
            limit, threshold = env_spec_values(env_id)
            kwargs: dict[str, object] = {"env_id": env_id}
            if limit is not None:
                kwargs["builtin_time_limit"] = False
            gymnasium.register(id=name, entry_point="swiftpg.envs:SwiftEnv", kwargs=kwargs,
                               vector_entry_point="swiftpg.envs:_gymnasium_vector",
                               max_episode_steps=limit, reward_threshold=threshold)


class _LoaderThenRegister(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        try:
            self._loader.exec_module(module)
        except BaseException:
            # Gymnasium's import failed: watch for the next attempt.
            register_when_gymnasium_imports()
            raise
        # Gymnasium is complete (it is in sys.modules and executed): register.
        register_envs()

    def __getattr__(self, name):  # get_source, is_package, ... of the real loader
        if name == "_loader":  # not set (a copy made without __init__): no recursion
            raise AttributeError(name)
        return getattr(self._loader, name)


class _GymnasiumFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != "gymnasium":
            return None
        _remove_finder()
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _LoaderThenRegister(spec.loader)
                return spec
        return None


_FINDER = _GymnasiumFinder()


def _remove_finder() -> None:
    with _lock:
        if _FINDER in sys.meta_path:
            sys.meta_path.remove(_FINDER)


def register_when_gymnasium_imports() -> None:
    """Registers ``swiftpg/<id>`` with Gymnasium now if it is imported,
    else as soon as it is."""
    with _lock:
        if "gymnasium" not in sys.modules:
            if _FINDER not in sys.meta_path:
                sys.meta_path.insert(0, _FINDER)
            return
    register_envs()
