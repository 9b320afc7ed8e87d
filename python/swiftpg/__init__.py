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
from . import envs
from .envs import SwiftEnv, VectorEnv, env_ids, make, make_vec
from . import algorithms, callbacks, cli, estimators, exact, lab, optim, policies, randomization, trained  # noqa: E402
from .envs import _register_with_gymnasium

__version__ = "0.1.0"
LIBRARY_PATH = _lib.LIBRARY_PATH

_register_with_gymnasium()

__all__ = [
    "make", "make_vec", "env_ids", "VectorEnv", "SwiftEnv", "envs", "policies", "algorithms", "randomization",
    "estimators", "exact", "lab", "optim", "callbacks", "trained", "cli",
    "live_handles",
    "SwiftPGError", "InvalidArgumentError", "UnknownEnvironmentError", "NotFiniteError", "DTypeError",
    "BadHandleError", "ClosedError", "BusyError", "NumericalError", "InternalError", "LIBRARY_PATH",
    "BadFormatError", "CheckpointIOError", "CancelledError", "NotSupportedError",
]
