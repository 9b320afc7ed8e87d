"""swiftpg — policy-gradient reinforcement learning at compiled speed.

Environments, policies, estimators and training loops are implemented in
Swift (``libswiftpg.so``); this package drives them with numpy arrays.

Quick start::

    import swiftpg
    env = swiftpg.make_vec("CartPole-v1", num_envs=16, seed=0)
    obs, info = env.reset()
    obs, rew, terminated, truncated, info = env.step(env.action_space.sample())

    learner = swiftpg.algorithms.REINFORCE("CartPole-v1")
    learner.train(300_000, stop_at_return=475)
    returns, lengths = learner.evaluate(episodes=100)
"""

import importlib as _importlib
import sys as _sys

from . import _lib
from ._arrays import DTypeError
from ._lib import (
    BadFormatError,
    BadHandleError,
    CheckpointIOError,
    BusyError,
    CancelledError,
    ClosedError,
    NotSupportedError,
    InternalError,
    InvalidArgumentError,
    NotFiniteError,
    NumericalError,
    SwiftPGError,
    UnknownEnvironmentError,
    live_handles,
)
from ._gymnasium_hook import register_when_gymnasium_imports as _register_when_gymnasium_imports

__version__ = "0.1.0"
LIBRARY_PATH = _lib.LIBRARY_PATH

# Submodules, and the names taken from them, load on first use (PEP 562):
# `import swiftpg` costs the library and numpy, not Gymnasium, argparse or
# YAML. `swiftpg.make_vec(...)` imports `swiftpg.envs` (and Gymnasium) then.
_SUBMODULES = frozenset({"envs", "policies", "algorithms", "randomization", "estimators", "exact", "lab", "optim",
                         "callbacks", "trained", "cli", "rlhf", "rlhf_table", "games", "game_aec", "gnugo",
                         "sgf", "game_players", "sb3", "board_networks", "distributed", "ladder"})
_FROM_ENVS = frozenset({"make", "make_vec", "env_ids", "VectorEnv", "SwiftEnv"})


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = _importlib.import_module(f"{__name__}.{name}")
    elif name in _FROM_ENVS:
        module = getattr(_importlib.import_module(f"{__name__}.envs"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = module
    return module


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | _FROM_ENVS)


# `gymnasium.make("swiftpg/CartPole-v1")` works after `import swiftpg`, in
# either import order: registered now if Gymnasium is loaded, else the
# moment it is.
_register_when_gymnasium_imports()

__all__ = [
    "make", "make_vec", "env_ids", "VectorEnv", "SwiftEnv", "envs", "policies", "algorithms", "randomization",
    "estimators", "exact", "lab", "optim", "callbacks", "trained", "cli", "rlhf", "rlhf_table", "games", "game_aec",
    "gnugo", "sgf", "game_players", "sb3", "board_networks", "distributed", "ladder",
    "live_handles",
    "SwiftPGError", "InvalidArgumentError", "UnknownEnvironmentError", "NotFiniteError", "DTypeError",
    "BadHandleError", "ClosedError", "BusyError", "NumericalError", "InternalError", "LIBRARY_PATH",
    "BadFormatError", "CheckpointIOError", "CancelledError", "NotSupportedError",
]
