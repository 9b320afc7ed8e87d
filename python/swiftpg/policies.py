"""Policies and value functions: a batch of observations in, a distribution
over actions (or values) out, with hand-written gradients.

Families (each a class below):

* :class:`SoftmaxPolicy` — categorical over MLP logits (``hidden_sizes=()``:
  the linear softmax θᵀφ(s, a) with φ = one-hot(a) ⊗ (s, 1));
* :class:`TabularSoftmaxPolicy` — π(a|s) = softmax(θ[s, ·]) over one-hot states;
* :class:`LinearSoftmaxPolicy` — π(a|s) ∝ exp(θᵀφ(s, a)) with your features;
* :class:`GaussianPolicy` — N(μ(s), diag σ²), free or state-dependent log σ;
* :class:`ClampPolicy` — π(L) = clamp(θ, 0, 1) of the two-action example;
* :class:`ValueFunction` — V(s), MLP/linear or tabular.

Parameters are one flat float64 vector (``policy.params``), copied in and out
of Swift. Every method validates its arrays and raises before calling Swift.
Discrete actions are integer arrays ``[batch]``; continuous ones float arrays
``[batch, action_size]``.

Threads: a policy or value function used by two threads at the same moment
raises :class:`swiftpg.BusyError` in the second (nothing is corrupted); give
each thread its own object or serialise the calls.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np

from . import _lib
from ._arrays import (DTypeError, as_actions, as_bool, as_choice, as_count, as_float, as_float64, as_path,
                      as_seed, asarray, check_elements)
from ._lib import InvalidArgumentError, NativeObject

__all__ = ["Policy", "SoftmaxPolicy", "FactoredSoftmaxPolicy", "encode_actions", "decode_actions", "TabularSoftmaxPolicy", "LinearSoftmaxPolicy", "GaussianPolicy",
           "ClampPolicy", "ValueFunction", "load", "load_value"]


def _activation(activation: str) -> int:
    return as_choice(activation, _lib.ACTIVATION, "activation")


#: Most hidden layers a network may have (the C argument is an int32 count;
#: the library bounds the total size).
MAX_HIDDEN_LAYERS = 64


def _hidden(hidden_sizes) -> tuple[np.ndarray, int]:
    """``(sizes as int32 [max(1, n)], n)`` from a tuple/list/1-D array of
    positive ints (a single int is one layer)."""
    if isinstance(hidden_sizes, np.ndarray) and hidden_sizes.ndim == 1:
        hidden_sizes = list(hidden_sizes)
    elif isinstance(hidden_sizes, (int, np.integer)) and not isinstance(hidden_sizes, (bool, np.bool_)):
        hidden_sizes = [hidden_sizes]
    if not isinstance(hidden_sizes, (list, tuple)):
        raise DTypeError(f"hidden_sizes must be a tuple of ints, got {hidden_sizes!r}")
    if len(hidden_sizes) > MAX_HIDDEN_LAYERS:
        raise InvalidArgumentError(f"hidden_sizes has {len(hidden_sizes)} layers, more than {MAX_HIDDEN_LAYERS}")
    hidden = [as_count(h, "hidden size", 1, 1 << 16) for h in hidden_sizes]
    return np.array(hidden or [0], np.int32), len(hidden)


def _finite(value, name: str) -> float:
    return as_float(value, name)


def _path(path) -> bytes:
    return as_path(path)


_PRECISIONS = {"float64": 64, "float32": 32}


def gymnasium_spaces(env):
    """``(observation_space, action_space, lanes)`` of a Gymnasium ``Env``,
    a Gymnasium ``VectorEnv`` (single-instance spaces) or a non-empty
    list/tuple of Gymnasium envs with identical spaces."""
    import gymnasium
    from gymnasium.vector import VectorEnv as GymVectorEnv

    if isinstance(env, GymVectorEnv):
        return env.single_observation_space, env.single_action_space, env.num_envs
    if isinstance(env, gymnasium.Env):
        return env.observation_space, env.action_space, 1
    if isinstance(env, (list, tuple)):
        if not env or not all(isinstance(e, gymnasium.Env) for e in env):
            raise DTypeError("envs must be a gymnasium.Env, a non-empty list of them, or a Gymnasium VectorEnv; "
                             f"got a {type(env).__name__} of {sorted({type(e).__name__ for e in env})}")
        first = env[0]
        for i, e in enumerate(env[1:], 1):
            if e.observation_space != first.observation_space or e.action_space != first.action_space:
                raise InvalidArgumentError(f"envs[{i}] has spaces {e.observation_space}, {e.action_space}; "
                                           f"envs[0] has {first.observation_space}, {first.action_space}")
        return first.observation_space, first.action_space, len(env)
    raise DTypeError("env must be a gymnasium.Env, a list of them, or a Gymnasium VectorEnv, got "
                     f"{type(env).__name__}")


#: Observation spaces the Gymnasium paths encode (``gymnasium.spaces.flatten``):
#: Box as is, Discrete / MultiDiscrete one-hot (as swiftpg's tabular envs
#: observe), MultiBinary as 0/1, Dict and Tuple flattened in Gymnasium's order.
_FLATTENED_SPACES = ("Box", "Discrete", "MultiDiscrete", "MultiBinary", "Dict", "Tuple")


def _flattenable(space) -> bool:
    from gymnasium import spaces

    if isinstance(space, (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)):
        return True
    if isinstance(space, spaces.Dict):
        return all(_flattenable(s) for s in space.spaces.values())
    if isinstance(space, spaces.Tuple):
        return all(_flattenable(s) for s in space.spaces)
    return False


def observation_width(space) -> int:
    """The number of float64 values a Gymnasium observation space becomes
    (``gymnasium.spaces.flatdim``): Box its size, Discrete(n) n (one-hot),
    MultiDiscrete the sum of its sizes (one-hot each), MultiBinary its size,
    Dict and Tuple the sum of their parts. InvalidArgumentError for other
    spaces (Text, Graph, Sequence, OneOf: no fixed width)."""
    from gymnasium import spaces

    if not _flattenable(space):
        raise InvalidArgumentError(f"observation space {space} has no fixed-width encoding; supported: "
                                   f"{', '.join(_FLATTENED_SPACES)} (nested)")
    return int(spaces.flatdim(space))


def action_factors(space):
    """``(factor_sizes, start, shape, dtype)`` of a Gymnasium MultiDiscrete
    (``nvec`` and ``start`` flattened in C order) or MultiBinary (all 2, start
    0) action space, the factors of :class:`FactoredSoftmaxPolicy`; None for
    other spaces. InvalidArgumentError if the joint action count exceeds
    2^31 − 1 or a factor has no action."""
    from gymnasium import spaces

    if isinstance(space, spaces.MultiDiscrete):
        sizes = np.asarray(space.nvec, np.int64).reshape(-1)
        start = np.asarray(getattr(space, "start", np.zeros_like(space.nvec)), np.int64).reshape(-1)
    elif isinstance(space, spaces.MultiBinary):
        sizes = np.full(int(np.prod(space.shape)), 2, np.int64)
        start = np.zeros_like(sizes)
    else:
        return None
    try:
        factors = _factor_sizes(sizes.tolist())
    except InvalidArgumentError as e:
        raise InvalidArgumentError(f"action space {space}: {e}") from None
    return factors, start, tuple(space.shape), space.dtype


def env_sizes(env) -> tuple[int, bool, int]:
    """``(observation_size, discrete, num_actions or action_size)`` of a
    swiftpg VectorEnv or of Gymnasium env(s) (see :func:`gymnasium_spaces`)."""
    from gymnasium import spaces

    from .envs import VectorEnv

    if isinstance(env, VectorEnv):
        return env.observation_size, env.discrete, env.num_actions if env.discrete else env.action_size
    obs_space, act_space, _ = gymnasium_spaces(env)
    d = observation_width(obs_space)
    if isinstance(act_space, spaces.Discrete):
        return d, True, int(act_space.n)
    if isinstance(act_space, spaces.Box):
        return d, False, int(np.prod(act_space.shape))
    factors = action_factors(act_space)
    if factors is not None:             # the joint index of the factors (FactoredSoftmaxPolicy)
        return d, True, math.prod(factors[0])
    raise InvalidArgumentError("only Discrete, Box, MultiDiscrete and MultiBinary action spaces are supported, "
                               f"got {act_space}")


class _Parameterised(NativeObject):
    """A native object with one flat parameter vector (``_prefix`` names its
    C functions: ``<prefix>_get_params``, ``<prefix>_set_params``, ``<prefix>_save``)."""

    _prefix = ""
    _concrete_hint = ("create a policy (SoftmaxPolicy, TabularSoftmaxPolicy, LinearSoftmaxPolicy, GaussianPolicy, "
                      "ClampPolicy) or a ValueFunction")
    # Read from the library when the object is made (declared for type checkers).
    num_params: int
    observation_size: int

    def get_params(self) -> np.ndarray:
        """A copy of the parameter vector (float64 ``[num_params]``)."""
        out = np.empty(self.num_params)
        with self._busy:
            _lib.call(f"{self._prefix}_get_params", self.handle, out.ctypes.data, self.num_params)
        return out

    def set_params(self, params) -> None:
        """Replaces the parameters (finite, shape ``[num_params]``)."""
        p = as_float64(params, "params", (self.num_params,))
        with self._busy:
            _lib.call(f"{self._prefix}_set_params", self.handle, p.ctypes.data, self.num_params)

    params = property(get_params, set_params, doc="The parameter vector (a copy; assign to set).")

    def _obs(self, observations) -> np.ndarray:
        obs = as_float64(observations, "observations")
        if obs.ndim == 1:
            obs = obs[None, :]
        if obs.ndim != 2 or obs.shape[1] != self.observation_size:
            raise InvalidArgumentError(
                f"observations must have shape (batch, {self.observation_size}), got {np.shape(observations)}"
            )
        return obs

    def _per_row(self, name: str, observations) -> np.ndarray:
        """``swiftpg_<name>(handle, observations, batch, out)``: one float64
        per observation row."""
        obs = self._obs(observations)
        out = np.empty(obs.shape[0])
        self._call(name, obs.ctypes.data, obs.shape[0], out.ctypes.data)
        return out

    def _call(self, name: str, *args) -> None:
        """``swiftpg_<name>(handle, *args)`` holding this object's lock
        (another thread using it at the same time gets BusyError)."""
        with self._busy:
            _lib.call(name, self.handle, *args)

    def set_precision(self, precision: str) -> None:
        """``"float64"`` (default) or ``"float32"``: the arithmetic of the
        network's layers. Parameters stay float64; float32 runs the layers in
        single precision (sgemm and a float tanh, about twice as fast), so
        outputs and gradients carry float rounding (relative ~1e-6). MLP
        policies and value functions only; checkpoints do not record it."""
        bits = as_choice(precision, _PRECISIONS, "precision")
        with self._busy:
            _lib.call(f"{self._prefix}_set_precision", self.handle, bits)
            self._precision = precision

    @property
    def precision(self) -> str:
        """The network arithmetic set by :meth:`set_precision`."""
        return getattr(self, "_precision", "float64")

    def save(self, path) -> None:
        """Saves kind, sizes and parameters to ``path``: a versioned binary
        with a checksum, written atomically (temporary file + rename)."""
        path = _path(path)
        with self._busy:
            _lib.call(f"{self._prefix}_save", self.handle, path)

    #: Python-side attributes pickled with the native state.
    _PICKLED_ATTRIBUTES: tuple[str, ...] = ("hidden_sizes", "activation", "feature_size")

    def __reduce__(self):
        """Pickling: the object's bundle (parameters and, for policies, the
        sampling generator, network precision and gSDE noise), so the copy
        computes and samples exactly what this one would. Raises ClosedError
        when closed."""
        with self._busy:
            data = _lib.read_bytes(f"{self._prefix}_serialize", self.handle)
        extras = {k: v for k, v in vars(self).items() if k in self._PICKLED_ATTRIBUTES}
        return (_restore_policy if self._prefix == "policy" else _restore_value), (data,), extras

    def _read_precision(self, handle: int) -> None:
        bits = ctypes.c_int32()
        _lib.call(f"{self._prefix}_get_precision", handle, ctypes.byref(bits))
        self._precision = "float32" if bits.value == 32 else "float64"


class Policy(_Parameterised):
    """Operations shared by every policy family (use a family class to create
    one, or :func:`load`)."""

    _kind_name = "policy"
    _prefix = "policy"
    _concrete_hint = ("create one of the policy families (SoftmaxPolicy, FactoredSoftmaxPolicy, TabularSoftmaxPolicy, "
                      "LinearSoftmaxPolicy, GaussianPolicy, ClampPolicy) or load one with swiftpg.policies.load")
    family: str
    discrete: bool
    num_actions: int | None                            # None for continuous actions
    action_size: int

    def _adopt_policy(self, handle: int) -> None:
        self._adopt(handle, "swiftpg_policy_destroy")
        info = _lib.PolicyInfo()
        _lib.call("policy_get_info", handle, ctypes.byref(info))
        self.family = _lib.POLICY_FAMILIES.get(info.family, f"family {info.family}")
        self.observation_size = info.observation_size
        self.discrete = info.action_kind == _lib.ACTION_DISCRETE
        self.num_actions = info.num_actions if self.discrete else None
        self.action_size = info.action_size
        self.num_params = info.num_params
        self._read_precision(handle)

    @staticmethod
    def _from_handle(handle: int) -> "Policy":
        info = _lib.PolicyInfo()
        _lib.call("policy_get_info", handle, ctypes.byref(info))
        cls: type[Policy] | None = {1: SoftmaxPolicy, 2: TabularSoftmaxPolicy, 3: LinearSoftmaxPolicy,
                                    4: GaussianPolicy, 5: ClampPolicy, 6: FactoredSoftmaxPolicy}.get(info.family)
        if cls is None:
            _lib.lib.swiftpg_policy_destroy(handle)
            raise _lib.InternalError(f"the library returned a policy of unknown family {info.family}")
        self = cls.__new__(cls)
        self._adopt_policy(handle)
        return self

    def __repr__(self) -> str:
        kind = f"num_actions={self.num_actions}" if self.discrete else f"action_size={self.action_size}"
        return (f"{type(self).__name__}(observation_size={self.observation_size}, {kind}, "
                f"num_params={self.num_params})")

    def seed(self, seed: int) -> None:
        """Reseeds the policy's own sampling generator."""
        self._call("policy_seed", as_seed(seed))

    # -- arrays -------------------------------------------------------------------
    def _actions(self, actions, batch: int) -> np.ndarray:
        if self.discrete:
            assert self.num_actions is not None        # set for discrete actions
            return as_actions(actions, "actions", self.num_actions, (batch,))
        a = as_float64(actions, "actions")
        if a.shape == (batch,) and self.action_size == 1:
            a = a.reshape(batch, 1)
        if a.shape != (batch, self.action_size):
            raise InvalidArgumentError(f"actions must have shape ({batch}, {self.action_size}), got {a.shape}")
        return a

    def _weights(self, weights, batch: int) -> np.ndarray:
        if weights is None:
            return np.ones(batch)
        return as_float64(weights, "weights", (batch,))

    def _old(self, old_params) -> np.ndarray:
        return as_float64(old_params, "old_params", (self.num_params,))

    # -- distribution -------------------------------------------------------------
    def sample(self, observations, greedy: bool = False) -> np.ndarray:
        """One action per observation row (int32 ``[batch]`` or float64
        ``[batch, action_size]``); ``greedy`` takes the mode. Gaussian samples
        are not clipped (clip them for the environment; log-probabilities
        refer to the sampled values)."""
        obs = self._obs(observations)
        b = obs.shape[0]
        out = np.empty(b, np.int32) if self.discrete else np.empty((b, self.action_size))
        self._call("policy_sample", obs.ctypes.data, b, int(as_bool(greedy, "greedy")), out.ctypes.data)
        return out

    def log_prob(self, observations, actions) -> np.ndarray:
        """log π(a_i|s_i), float64 ``[batch]``."""
        obs = self._obs(observations)
        act = self._actions(actions, obs.shape[0])
        out = np.empty(obs.shape[0])
        self._call("policy_log_prob", obs.ctypes.data, act.ctypes.data, obs.shape[0], out.ctypes.data)
        return out

    def entropy(self, observations) -> np.ndarray:
        """H(π(·|s_i)), float64 ``[batch]``."""
        return self._per_row("policy_entropy", observations)

    def kl(self, observations, old_params) -> np.ndarray:
        """KL(π_old(·|s_i) ‖ π(·|s_i)) where π_old has parameters ``old_params``."""
        obs = self._obs(observations)
        old = self._old(old_params)
        out = np.empty(obs.shape[0])
        self._call("policy_kl", obs.ctypes.data, obs.shape[0], old.ctypes.data, self.num_params,
                  out.ctypes.data)
        return out

    # -- gradients ------------------------------------------------------------------
    def score_gradient(self, observations, actions, weights) -> np.ndarray:
        """Σ_i w_i ∇θ log π(a_i|s_i), float64 ``[num_params]``."""
        obs = self._obs(observations)
        b = obs.shape[0]
        act = self._actions(actions, b)
        w = self._weights(weights, b)
        out = np.empty(self.num_params)
        self._call("policy_score_gradient", obs.ctypes.data, act.ctypes.data, w.ctypes.data, b,
                  out.ctypes.data)
        return out

    def score_vectors(self, observations, actions) -> np.ndarray:
        """Per-sample scores ∇θ log π(a_i|s_i), float64 ``[batch, num_params]``."""
        obs = self._obs(observations)
        b = obs.shape[0]
        act = self._actions(actions, b)
        out = np.empty((b, self.num_params))
        self._call("policy_score_vectors", obs.ctypes.data, act.ctypes.data, b, out.ctypes.data)
        return out

    def entropy_gradient(self, observations, weights=None) -> np.ndarray:
        """Σ_i w_i ∇θ H(π(·|s_i)) (weights default to 1)."""
        obs = self._obs(observations)
        b = obs.shape[0]
        w = self._weights(weights, b)
        out = np.empty(self.num_params)
        self._call("policy_entropy_gradient", obs.ctypes.data, w.ctypes.data, b, out.ctypes.data)
        return out

    def kl_gradient(self, observations, old_params, weights=None) -> np.ndarray:
        """Σ_i w_i ∇θ KL(π_old(·|s_i) ‖ π_θ(·|s_i)) (weights default to 1)."""
        obs = self._obs(observations)
        b = obs.shape[0]
        old = self._old(old_params)
        w = self._weights(weights, b)
        out = np.empty(self.num_params)
        self._call("policy_kl_gradient", obs.ctypes.data, old.ctypes.data, self.num_params,
                  w.ctypes.data, b, out.ctypes.data)
        return out

    def fisher_vector_product(self, observations, vector) -> np.ndarray:
        """(1/B) Σ_i F(s_i) v with F(s) = E_a[∇log π ∇log πᵀ] (the Hessian of
        the mean KL at the current parameters), for natural gradients / TRPO."""
        obs = self._obs(observations)
        v = as_float64(vector, "vector", (self.num_params,))
        out = np.empty(self.num_params)
        self._call("policy_fisher_vector_product", obs.ctypes.data, obs.shape[0], v.ctypes.data,
                  self.num_params, out.ctypes.data)
        return out

    def evaluate(self, env, episodes: int = 100, greedy: bool = True, seed: int = 0, num_envs: int = 16,
                 max_episode_steps: int | None = None):
        """Runs ``episodes`` whole episodes and returns ``(returns, lengths)``
        (float64 ``[episodes]``, int32 ``[episodes]``) in the order the
        episodes started. ``env`` is an environment id (a batch of
        ``num_envs`` is made and closed) or a :class:`swiftpg.VectorEnv`
        (reset with ``seed``).

        Memory does not grow with ``episodes`` (≤ 2^24): only returns and
        lengths are kept. An env without a time limit (``max_episode_steps``
        0) is refused with InvalidArgumentError, since an episode may never
        end; pass ``max_episode_steps`` to cap the steps per episode for this
        call (the env's own limit is restored afterwards). Ctrl-C stops the
        evaluation between steps and raises KeyboardInterrupt."""
        from .envs import VectorEnv

        episodes = as_count(episodes, "episodes", 1, 1 << 24)
        seed = as_seed(seed)
        own = isinstance(env, str)
        if own:
            env = VectorEnv(env, min(as_count(num_envs, "num_envs", 1, 1 << 24), episodes), seed=seed)
        elif not isinstance(env, VectorEnv):
            raise DTypeError(f"env must be an environment id or a swiftpg.VectorEnv, got {type(env).__name__}")
        cap = None if max_episode_steps is None else as_count(max_episode_steps, "max_episode_steps", 1, 2**31 - 1)
        try:
            returns = np.empty(episodes)
            lengths = np.empty(episodes, np.int32)
            with env._busy:          # the env's Python buffers are not used, but its state is
                previous = None
                if cap is not None:
                    previous = float(env.get_parameter("max_episode_steps")[0])
                    env.set_parameter("max_episode_steps", cap)
                try:
                    with self._busy:
                        _lib.call_interruptible("policy_evaluate", env.handle, self.handle, env.handle, episodes,
                                                int(as_bool(greedy, "greedy")), seed,
                                                returns.ctypes.data, lengths.ctypes.data)
                finally:
                    if previous is not None:
                        env.set_parameter("max_episode_steps", previous)
            return returns, lengths
        finally:
            if own:
                env.close()


class _Categorical(Policy):
    _concrete_hint = ("create a discrete policy (SoftmaxPolicy, FactoredSoftmaxPolicy, TabularSoftmaxPolicy, "
                      "LinearSoftmaxPolicy, ClampPolicy) or load one with swiftpg.policies.load")
    num_actions: int                                   # every categorical policy has discrete actions

    def probabilities(self, observations) -> np.ndarray:
        """π(·|s) for each row, float64 ``[batch, num_actions]`` (joint
        actions for :class:`FactoredSoftmaxPolicy`; InvalidArgumentError
        beyond ``swiftpg._arrays.MAX_ELEMENTS`` values)."""
        obs = self._obs(observations)
        check_elements(obs.shape[0] * self.num_actions, f"probabilities of {obs.shape[0]} rows × "
                                                        f"{self.num_actions} actions")
        out = np.empty((obs.shape[0], self.num_actions))
        self._call("policy_probabilities", obs.ctypes.data, obs.shape[0], out.ctypes.data)
        return out


def _create_mlp_categorical(self, function: str, leading: list, hidden_sizes, activation, hidden_gain, head_gain,
                            seed, precision) -> None:
    """Creates the native MLP categorical policy of ``self`` with
    ``swiftpg_<function>(*leading, hidden sizes, activation, gains, seed,
    out)`` and sets its precision."""
    sizes, n = _hidden(hidden_sizes)
    handle = ctypes.c_uint64()
    _lib.call(function, *leading, sizes.ctypes.data, n, _activation(activation), _finite(hidden_gain, "hidden_gain"),
              _finite(head_gain, "head_gain"), as_seed(seed), ctypes.byref(handle))
    self._adopt_policy(handle.value)
    self.hidden_sizes = tuple(int(h) for h in sizes[:n])
    self.activation = activation
    if as_choice(precision, _PRECISIONS, "precision") != 64:
        self.set_precision(precision)


class SoftmaxPolicy(_Categorical):
    """Categorical policy π(a|s) = softmax(f_θ(s))_a with f_θ a multilayer
    perceptron (``hidden_sizes``, ``activation``) and a linear output layer.
    ``hidden_sizes=()`` gives the linear softmax policy.

    Initialisation: orthogonal weights with gain ``hidden_gain`` (√2) for
    hidden layers and ``head_gain`` (0.01) for the logit layer; zero biases.
    Parameter layout: per layer the weight matrix ``[out, in]`` (row-major)
    then the bias ``[out]``.
    """

    def __init__(self, observation_size: int, num_actions: int, hidden_sizes=(64, 64), activation: str = "tanh",
                 head_gain: float = 0.01, seed: int = 0, hidden_gain: float = math.sqrt(2),
                 precision: str = "float64"):
        _create_mlp_categorical(self, "policy_create_softmax", [
            as_count(observation_size, "observation_size"), as_count(num_actions, "num_actions", 2)],
            hidden_sizes, activation, hidden_gain, head_gain, seed, precision)

    @classmethod
    def for_env(cls, env, **kwargs) -> "SoftmaxPolicy":
        """A policy sized for ``env``: a :class:`swiftpg.VectorEnv`, a
        Gymnasium ``Env`` or ``VectorEnv``, or a list of Gymnasium envs
        (discrete actions)."""
        d, discrete, k = env_sizes(env)
        if not discrete:
            raise InvalidArgumentError("SoftmaxPolicy needs discrete actions and this env's are continuous; "
                                       "use GaussianPolicy.for_env")
        return cls(d, k, **kwargs)


def _factor_sizes(factor_sizes) -> tuple[int, ...]:
    """Validated factor sizes: 1 to 64 integers in [1, 65536] whose product
    is in [2, 2^31 − 1]."""
    if isinstance(factor_sizes, (str, bytes)) or not hasattr(factor_sizes, "__len__"):
        raise DTypeError(f"factor_sizes must be a sequence of integers, got {type(factor_sizes).__name__}")
    sizes = tuple(as_count(n, f"factor_sizes[{k}]", 1, 65536) for k, n in enumerate(factor_sizes))
    if not 1 <= len(sizes) <= 64:
        raise InvalidArgumentError(f"factor_sizes must hold 1 to 64 sizes, got {len(sizes)}")
    joint = math.prod(sizes)
    if joint > 2**31 - 1:
        raise InvalidArgumentError(f"the joint action count {' × '.join(map(str, sizes))} = {joint} exceeds 2^31 − 1")
    if joint < 2:
        raise InvalidArgumentError(f"factor_sizes {sizes} give {joint} joint action; at least 2 are needed")
    return sizes


def encode_actions(components, factor_sizes) -> np.ndarray:
    """Joint action indices of per-factor actions: ``components`` int
    ``[..., K]`` with ``0 <= components[..., k] < factor_sizes[k]`` →
    int32 ``[...]``, a = Σ_k a_k · Π_{j<k} n_j (mixed radix, factor 0 least
    significant; the encoding of :class:`FactoredSoftmaxPolicy`). Raises
    DTypeError (not integers), InvalidArgumentError (wrong last axis, a
    component out of range, bad factor sizes)."""
    sizes = _factor_sizes(factor_sizes)
    c = asarray(components, "components")
    if c.dtype.kind not in "iub":
        raise DTypeError(f"components must be integers, got dtype {c.dtype}")
    if c.ndim == 0 or c.shape[-1] != len(sizes):
        raise InvalidArgumentError(f"components must have shape (..., {len(sizes)}), got {c.shape}")
    c = c.astype(np.int64)
    if c.size and ((c < 0).any() or (c >= np.asarray(sizes)).any()):
        raise InvalidArgumentError(f"components must lie in 0 ..< factor_sizes {sizes} per factor")
    strides = np.cumprod((1,) + sizes[:-1], dtype=np.int64)
    return (c @ strides).astype(np.int32)


def decode_actions(actions, factor_sizes) -> np.ndarray:
    """Per-factor actions of joint indices (the inverse of
    :func:`encode_actions`): int ``[...]`` in ``0 ..< Π factor_sizes`` →
    int64 ``[..., K]``. Raises DTypeError / InvalidArgumentError."""
    sizes = _factor_sizes(factor_sizes)
    a = asarray(actions, "actions")
    if a.dtype.kind not in "iub":
        raise DTypeError(f"actions must be integers, got dtype {a.dtype}")
    a = a.astype(np.int64)
    joint = math.prod(sizes)
    if a.size and ((a < 0).any() or (a >= joint).any()):
        raise InvalidArgumentError(f"actions must lie in 0 ..< {joint} (the joint actions of {sizes})")
    strides = np.cumprod((1,) + sizes[:-1], dtype=np.int64)
    return (a[..., None] // strides) % np.asarray(sizes, np.int64)


class FactoredSoftmaxPolicy(_Categorical):
    """Factored categorical policy for MultiDiscrete / MultiBinary actions:
    an MLP (``hidden_sizes``, ``activation``; ``()`` gives a linear map)
    emits Σ_k n_k logits, n_k = ``factor_sizes[k]``, segment k being the
    logits z_k of factor k, and π(a|s) = Π_k softmax(z_k(s))[a_k], the
    factors independent given s (Stable-Baselines3's
    MultiCategoricalDistribution; OpenAI Baselines' MultiCategoricalPd).

    Actions: every method (``sample``, ``log_prob``, gradients, the
    learners' updates) takes and returns the joint index, int32 ``[batch]``,
    a = Σ_k a_k · Π_{j<k} n_j in ``0 ..< num_actions = Π_k n_k`` (factor 0
    least significant); :meth:`decode` / :meth:`encode` (or
    :func:`decode_actions` / :func:`encode_actions`) convert to and from
    per-factor actions ``[batch, K]``. log π, entropy and KL are sums over
    the factors; sampling draws each factor; ``probabilities`` gives the
    joint ``[batch, Π_k n_k]`` (refused beyond 2^28 values). With one factor
    it computes bit for bit what :class:`SoftmaxPolicy` of the same
    arguments does. Initialisation and parameter layout as SoftmaxPolicy
    (the logit layer has Σ_k n_k rows, factor by factor).

    Errors: DTypeError (non-integer sizes), InvalidArgumentError (no
    factors or more than 64, a size < 1 or > 65536, fewer than 2 joint
    actions or Π_k n_k > 2^31 − 1, the library's TOO_LARGE)."""

    _PICKLED_ATTRIBUTES = _Categorical._PICKLED_ATTRIBUTES + ("factor_sizes",)

    def __init__(self, observation_size: int, factor_sizes, hidden_sizes=(64, 64), activation: str = "tanh",
                 head_gain: float = 0.01, seed: int = 0, hidden_gain: float = math.sqrt(2),
                 precision: str = "float64"):
        factors = _factor_sizes(factor_sizes)
        f = np.asarray(factors, np.int32)
        _create_mlp_categorical(self, "policy_create_factored_softmax", [
            as_count(observation_size, "observation_size"), f.ctypes.data, len(factors)],
            hidden_sizes, activation, hidden_gain, head_gain, seed, precision)

    def _adopt_policy(self, handle: int) -> None:
        super()._adopt_policy(handle)
        count = ctypes.c_int32()
        _lib.call("policy_get_factor_sizes", handle, None, 0, ctypes.byref(count))
        out = np.zeros(count.value, np.int32)
        _lib.call("policy_get_factor_sizes", handle, out.ctypes.data, count.value, ctypes.byref(count))
        self.factor_sizes = tuple(int(n) for n in out)

    @classmethod
    def for_env(cls, env, **kwargs) -> "FactoredSoftmaxPolicy":
        """A policy sized for Gymnasium env(s) with a MultiDiscrete or
        MultiBinary action space (factors ``nvec`` flattened, or one of 2 per
        bit), or a Discrete one (one factor)."""
        from gymnasium import spaces

        d, discrete, k = env_sizes(env)
        space = gymnasium_spaces(env)[1]
        factors = action_factors(space)
        if factors is None:
            if not isinstance(space, spaces.Discrete):
                raise InvalidArgumentError(f"FactoredSoftmaxPolicy needs MultiDiscrete, MultiBinary or Discrete "
                                           f"actions, got {space}")
            return cls(d, (k,), **kwargs)
        return cls(d, factors[0], **kwargs)

    def decode(self, actions) -> np.ndarray:
        """Per-factor actions int64 ``[..., K]`` of joint actions int ``[...]``."""
        return decode_actions(actions, self.factor_sizes)

    def encode(self, components) -> np.ndarray:
        """Joint actions int32 ``[...]`` of per-factor actions ``[..., K]``."""
        return encode_actions(components, self.factor_sizes)

    def __repr__(self) -> str:
        return (f"FactoredSoftmaxPolicy(observation_size={self.observation_size}, "
                f"factor_sizes={self.factor_sizes}, num_params={self.num_params})")


class TabularSoftmaxPolicy(_Categorical):
    """π(a|s) = softmax(θ[s, ·]) for one-hot state observations (as the
    tabular environments produce); θ starts at 0 (uniform). ``params`` is
    θ flattened ``[num_states * num_actions]``."""

    def __init__(self, num_states: int, num_actions: int, seed: int = 0):
        handle = ctypes.c_uint64()
        _lib.call("policy_create_tabular", as_count(num_states, "num_states"),
                  as_count(num_actions, "num_actions", 2), as_seed(seed), ctypes.byref(handle))
        self._adopt_policy(handle.value)


class LinearSoftmaxPolicy(_Categorical):
    """π(a|s) ∝ exp(θᵀφ(s, a)) with features you compute: observations are
    ``[batch, num_actions, feature_size]`` arrays of φ(s, a) (or rows of
    length ``num_actions * feature_size``). θ starts at 0."""

    def __init__(self, feature_size: int, num_actions: int, seed: int = 0):
        handle = ctypes.c_uint64()
        _lib.call("policy_create_linear_features", as_count(feature_size, "feature_size"),
                  as_count(num_actions, "num_actions", 2), as_seed(seed), ctypes.byref(handle))
        self._adopt_policy(handle.value)
        self.feature_size = int(feature_size)

    def _obs(self, observations) -> np.ndarray:
        obs = as_float64(observations, "features")
        if obs.ndim == 3:
            if obs.shape[1:] != (self.num_actions, self.feature_size):
                raise InvalidArgumentError(
                    f"features must have shape (batch, {self.num_actions}, {self.feature_size}) or "
                    f"(batch, {self.observation_size}), got {obs.shape}")
            obs = obs.reshape(obs.shape[0], self.observation_size)     # (not -1: the batch may be empty)
        return super()._obs(obs)


class GaussianPolicy(Policy):
    """Diagonal Gaussian N(μ(s), diag σ²) for continuous actions: μ is an MLP
    (linear with ``hidden_sizes=()``); log σ is a free vector starting at
    ``initial_log_std`` (``state_dependent_std=False``, PPO's choice) or a
    second head of the MLP. Samples are not clipped; clip what you send to
    the environment (swiftpg's continuous environments clip as Gymnasium's do).

    ``gsde=True``: generalized state-dependent exploration (Raffin et al.
    2021, SB3's ``use_sde``). σ_j(s)² = Σ_i φ_i(s)² e^{2L_ij} + 10⁻⁶ with φ
    the last hidden layer (the observation without hidden layers) and L a
    parameter matrix starting at ``initial_log_std``; sampling holds a noise
    matrix for ``noise_interval`` calls (SB3's ``sde_sample_freq``), so the
    actions of a segment vary smoothly with the state while each one is
    distributed N(μ(s), σ(s)²). φ is treated as a constant in σ, as SB3 does
    by default: gradients reach the hidden layers only through μ."""

    def __init__(self, observation_size: int, action_size: int, hidden_sizes=(64, 64), activation: str = "tanh",
                 state_dependent_std: bool = False, initial_log_std: float = 0.0, head_gain: float = 0.01,
                 seed: int = 0, hidden_gain: float = math.sqrt(2), gsde: bool = False, noise_interval: int = 4,
                 precision: str = "float64"):
        sizes, n = _hidden(hidden_sizes)
        handle = ctypes.c_uint64()
        common = (as_count(observation_size, "observation_size"), as_count(action_size, "action_size"),
                  sizes.ctypes.data, n, _activation(activation))
        if as_bool(gsde, "gsde"):
            if as_bool(state_dependent_std, "state_dependent_std"):
                raise InvalidArgumentError("gsde and state_dependent_std are alternatives; choose one")
            _lib.call("policy_create_gsde", *common, _finite(initial_log_std, "initial_log_std"),
                      as_count(noise_interval, "noise_interval", 1, 2**30), _finite(hidden_gain, "hidden_gain"),
                      _finite(head_gain, "head_gain"), as_seed(seed), ctypes.byref(handle))
        else:
            _lib.call("policy_create_gaussian", *common, int(as_bool(state_dependent_std, "state_dependent_std")),
                      _finite(initial_log_std, "initial_log_std"), _finite(hidden_gain, "hidden_gain"),
                      _finite(head_gain, "head_gain"), as_seed(seed), ctypes.byref(handle))
        self._adopt_policy(handle.value)
        if as_choice(precision, _PRECISIONS, "precision") != 64:
            self.set_precision(precision)

    @classmethod
    def for_env(cls, env, **kwargs) -> "GaussianPolicy":
        """A policy sized for ``env`` (as :meth:`SoftmaxPolicy.for_env`;
        continuous actions)."""
        d, discrete, k = env_sizes(env)
        if discrete:
            raise InvalidArgumentError("GaussianPolicy needs continuous actions and this env's are discrete; "
                                       "use SoftmaxPolicy.for_env")
        return cls(d, k, **kwargs)

    def sample_clipped(self, observations, low, high, greedy: bool = False):
        """``(actions, clipped)``: samples (what ``log_prob`` refers to) and
        the same clipped to ``[low, high]`` (what the environment receives).
        ``low``/``high`` broadcast against ``[batch, action_size]``, e.g.
        ``env.action_low`` / ``env.action_high``."""
        lo = as_float64(low, "low", finite=False)
        hi = as_float64(high, "high", finite=False)
        obs = self._obs(observations)
        shape = (obs.shape[0], self.action_size)
        for name, bound in (("low", lo), ("high", hi)):
            if np.isnan(bound).any():
                raise _lib.NotFiniteError(f"{name} contains NaN")
            try:
                broadcast = np.broadcast_shapes(bound.shape, shape)
            except ValueError:
                raise InvalidArgumentError(f"{name} of shape {bound.shape} does not broadcast against the actions "
                                           f"{shape}") from None
            if broadcast != shape:
                raise InvalidArgumentError(f"{name} of shape {bound.shape} would broadcast the actions {shape} to "
                                           f"the larger shape {broadcast}")
        if np.any(lo > hi):
            raise InvalidArgumentError("low must be <= high")
        actions = self.sample(obs, greedy=greedy)
        return actions, np.clip(actions, lo, hi)


class ClampPolicy(_Categorical):
    """The two-action lecture policy: π(L) = clamp(θ, 0, 1), π(R) =
    clamp(1 − θ, 0, 1); action 0 is L. Observations have one (ignored)
    value. Outside 0 < θ < 1 the gradient is the subgradient 0."""

    def __init__(self, theta: float = 0.5, seed: int = 0):
        handle = ctypes.c_uint64()
        _lib.call("policy_create_clamp", _finite(theta, "theta"), as_seed(seed), ctypes.byref(handle))
        self._adopt_policy(handle.value)


def load(path, seed: int = 0) -> Policy:
    """Loads a policy saved with ``policy.save(path)`` (any family), or the
    policy of a learner checkpoint (``learner.save``); its sampling generator
    is seeded with ``seed``. A truncated, corrupted, wrong-version or
    value-function file raises :class:`swiftpg.BadFormatError`; a missing
    file :class:`CheckpointIOError`."""
    handle = ctypes.c_uint64()
    _lib.call("policy_load", _path(path), as_seed(seed), ctypes.byref(handle))
    return Policy._from_handle(handle.value)


class ValueFunction(_Parameterised):
    """A state-value function V(s): an MLP (linear with ``hidden_sizes=()``;
    orthogonal init, gain √2 hidden and 1 output) or, with
    :meth:`tabular`, a table over one-hot states."""

    _kind_name = "value function"
    _prefix = "value"

    def __init__(self, observation_size: int, hidden_sizes=(64, 64), activation: str = "tanh", seed: int = 0,
                 precision: str = "float64"):
        sizes, n = _hidden(hidden_sizes)
        handle = ctypes.c_uint64()
        _lib.call("value_create_mlp", as_count(observation_size, "observation_size"), sizes.ctypes.data, n,
                  _activation(activation), as_seed(seed), ctypes.byref(handle))
        self._setup(handle.value)
        if as_choice(precision, _PRECISIONS, "precision") != 64:
            self.set_precision(precision)

    @classmethod
    def tabular(cls, num_states: int) -> "ValueFunction":
        """V(s) = θ[s] over one-hot observations (θ starts at 0)."""
        handle = ctypes.c_uint64()
        _lib.call("value_create_tabular", as_count(num_states, "num_states"), ctypes.byref(handle))
        self = cls.__new__(cls)
        self._setup(handle.value)
        return self

    @classmethod
    def _from_handle(cls, handle: int) -> "ValueFunction":
        self = cls.__new__(cls)
        self._setup(handle)
        return self

    def _setup(self, handle: int) -> None:
        self._adopt(handle, "swiftpg_value_destroy")
        size, count = ctypes.c_int32(), ctypes.c_int64()
        _lib.call("value_get_sizes", handle, ctypes.byref(size), ctypes.byref(count))
        self.observation_size = size.value
        self.num_params = count.value
        self._read_precision(handle)

    def __repr__(self) -> str:
        return f"ValueFunction(observation_size={self.observation_size}, num_params={self.num_params})"

    def predict(self, observations) -> np.ndarray:
        """V(s_i), float64 ``[batch]``."""
        return self._per_row("value_predict", observations)

    def gradient(self, observations, weights) -> np.ndarray:
        """Σ_i w_i ∇θ V(s_i), float64 ``[num_params]``. For the squared error
        ½ Σ (V(s_i) − y_i)², pass ``weights = V(s) − y``."""
        obs = self._obs(observations)
        w = as_float64(weights, "weights", (obs.shape[0],))
        out = np.empty(self.num_params)
        self._call("value_gradient", obs.ctypes.data, w.ctypes.data, obs.shape[0], out.ctypes.data)
        return out


def _restore_policy(data: bytes) -> Policy:
    """Unpickles a policy (see ``_Parameterised.__reduce__``); bad bytes
    raise BadFormatError."""
    return Policy._from_handle(_lib.deserialize("policy_deserialize", data, "a bundle"))


def _restore_value(data: bytes) -> "ValueFunction":
    """Unpickles a value function; bad bytes raise BadFormatError."""
    return ValueFunction._from_handle(_lib.deserialize("value_deserialize", data, "a bundle"))


def load_value(path) -> ValueFunction:
    """Loads a value function saved with ``value.save(path)``, or the critic
    of a learner checkpoint (``learner.save``). A truncated, corrupted,
    wrong-version or policy file raises :class:`swiftpg.BadFormatError`; a
    missing file :class:`CheckpointIOError`."""
    handle = ctypes.c_uint64()
    _lib.call("value_load", _path(path), ctypes.byref(handle))
    return ValueFunction._from_handle(handle.value)
