"""DQN (Mnih et al. 2015, "Human-level control through deep reinforcement
learning", Algorithm 1) with Double DQN as an option (van Hasselt, Guez &
Silver 2016, "Deep Reinforcement Learning with Double Q-learning"):
Sources/SwiftPG/Algorithms/DQN.swift.

DQN is the value-based contrast to the policy-gradient learners of this
package. It fits Q_θ(s, a) by regression towards a bootstrapped target,

    θ ← θ − η ∇θ (1/|B|) Σ_(s,a,r,s′)∈B ℓ(Q_θ(s, a) − r − γ (1 − terminated) max_a′ Q_θ̃(s′, a′)),

over minibatches B drawn uniformly from a replay buffer, with a target
network θ̃ refreshed from θ every ``target_update_interval`` steps. It does
not optimise the expected return J(θ) directly (a policy gradient does:
∇J = E[∇ log π(a|s) A(s, a)]); its policy is whatever is greedy in the
fitted Q. With function approximation, bootstrapping and off-policy data
together (the "deadly triad", Sutton & Barto §11.3) such updates can
diverge: see ``examples/dqn_vs_policy_gradients.py`` and Baird's
counterexample (Sources/SwiftPG/Environments/BairdCounterexample.swift).

The defaults of :class:`DQNConfig` are rl-baselines3-zoo's tuned
CartPole-v1 settings (``hyperparams/dqn.yml``) on top of
Stable-Baselines3's ``DQN`` defaults.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _lib
from .._arrays import (DTypeError, as_actions, as_bool, as_choice, as_count, as_flags, as_float, as_float64,
                       as_optional_number, as_path, as_seed)
from .._lib import InvalidArgumentError, NativeObject
from ..envs import VectorEnv
from ._learner import _ClassOrInstanceMethod, _Replaceable, _set_int, doc

__all__ = ["DQNConfig", "DQNStats", "DQN"]

_PRECISION = {"float64": 64, "float32": 32}
_INT_FIELDS = ("batch_size", "total_env_steps", "buffer_size", "learning_starts", "target_update_interval",
               "train_freq", "gradient_steps")
_FLOAT_FIELDS = ("learning_rate", "adam_epsilon", "gamma", "tau", "exploration_fraction",
                 "exploration_initial_eps", "exploration_final_eps", "max_grad_norm")


@dataclass
class DQNConfig(_Replaceable):
    """Configuration of :class:`DQN`. The defaults are rl-baselines3-zoo's
    CartPole-v1 settings (n_timesteps 5e4, learning_rate 2.3e-3, batch_size
    64, buffer_size 100000, learning_starts 1000, gamma 0.99,
    target_update_interval 10, train_freq 256, gradient_steps 128,
    exploration_fraction 0.16, exploration_final_eps 0.04, net_arch [256,
    256]) with Stable-Baselines3's other DQN defaults (tau 1,
    exploration_initial_eps 1, max_grad_norm 10, Huber loss, ReLU, Adam ε
    1e-8). ``describe()`` prints every field with its meaning; a test
    compares the defaults with the library's (``library_defaults()``)."""

    _label = "DQN config"

    total_env_steps: int = doc(50_000, "env steps the run is planned for (SB3 total_timesteps): the horizon of "
                                       "the ε schedule; also the default budget of train()")
    learning_rate: float = doc(2.3e-3, "Adam's step size η")
    adam_epsilon: float = doc(1e-8, "Adam's ε (torch's default)")
    batch_size: int = doc(64, "transitions per gradient step |B|, 1–65536")
    buffer_size: int = doc(100_000, "replay capacity (the oldest transitions are overwritten)")
    learning_starts: int = doc(1000, "steps of uniformly random actions before learning starts (warm-up)")
    gamma: float = doc(0.99, "discount γ")
    target_update_interval: int = doc(10, "refresh θ̃ every this many target_update_unit (the lecture's C)")
    target_update_unit: str = doc("env_steps", '"env_steps" (SB3: summed over lanes) or "gradient_steps"')
    tau: float = doc(1.0, "Polyak coefficient of a refresh θ̃ ← τθ + (1 − τ)θ̃ (1: the hard copy)")
    train_freq: int = doc(256, "steps of each lane collected per iteration")
    gradient_steps: int = doc(128, "gradient steps per iteration once learning has started")
    exploration_fraction: float = doc(0.16, "fraction of total_env_steps over which ε falls linearly")
    exploration_initial_eps: float = doc(1.0, "ε at step 0")
    exploration_final_eps: float = doc(0.04, "ε after the decay")
    hidden_sizes: tuple = doc((256, 256), "hidden layer widths of the Q-network (net_arch), at most 8 layers")
    activation: str = doc("relu", '"relu" or "tanh" hidden activation')
    precision: str = doc("float32", '"float32" or "float64" network passes (parameters and Adam stay float64)')
    loss: str = doc("huber", '"huber" (smooth L1, β = 1: SB3) or "mse" regression of Q(s, a) towards y')
    max_grad_norm: float = doc(10.0, "rescale the gradient to this global L2 norm when longer (0: off)")
    double_q: bool = doc(False, "Double DQN targets Q̃(s′, argmax_a Q(s′, a)) (van Hasselt et al. 2016)")
    seed: int = doc(0, "seeds the network initialisation, exploration, minibatches and the env reset")

    def to_c(self) -> _lib.DQNConfigC:
        """The C struct ``swiftpg_dqn_config`` (raises DTypeError /
        InvalidArgumentError for a field of the wrong type or range; the
        library checks the rest when the learner is created)."""
        c = _lib.DQNConfigC()
        _lib.call("dqn_default_config", ctypes.byref(c))
        for name in _INT_FIELDS:
            _set_int(c, name, getattr(self, name))
        for name in _FLOAT_FIELDS:
            setattr(c, name, as_float(getattr(self, name), name))
        c.target_update_unit = as_choice(self.target_update_unit, _lib.DQN_TARGET_UNIT, "target_update_unit")
        c.loss = as_choice(self.loss, _lib.DQN_LOSS, "loss")
        c.activation = as_choice(self.activation, _lib.ACTIVATION, "activation")
        c.precision = as_choice(self.precision, _PRECISION, "precision")
        c.double_q = int(as_bool(self.double_q, "double_q"))
        c.seed = as_seed(self.seed)
        hidden = self.hidden_sizes
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__len__"):
            raise DTypeError(f"hidden_sizes must be a sequence of ints, got {hidden!r}")
        if len(hidden) > _lib.DQN_MAX_HIDDEN:
            raise InvalidArgumentError(f"hidden_sizes has {len(hidden)} layers, at most {_lib.DQN_MAX_HIDDEN}")
        c.num_hidden = len(hidden)
        for k, width in enumerate(hidden):
            if isinstance(width, (bool, np.bool_)) or not isinstance(width, (int, np.integer)):
                raise DTypeError(f"hidden_sizes[{k}] must be an int, got {width!r}")
            if not 1 <= int(width) <= 65536:
                raise InvalidArgumentError(f"hidden_sizes[{k}] must be in [1, 65536], got {int(width)}")
            c.hidden[k] = int(width)
        return c

    @classmethod
    def _from_c(cls, c: _lib.DQNConfigC) -> "DQNConfig":
        values: dict[str, Any] = {name: int(getattr(c, name)) for name in _INT_FIELDS}
        values.update({name: float(getattr(c, name)) for name in _FLOAT_FIELDS})
        values.update(
            target_update_unit=next(k for k, v in _lib.DQN_TARGET_UNIT.items() if v == c.target_update_unit),
            loss=next(k for k, v in _lib.DQN_LOSS.items() if v == c.loss),
            activation=next(k for k, v in _lib.ACTIVATION.items() if v == c.activation),
            precision=next(k for k, v in _PRECISION.items() if v == c.precision),
            double_q=bool(c.double_q), seed=int(c.seed),
            hidden_sizes=tuple(int(c.hidden[k]) for k in range(c.num_hidden)))
        return cls(**values)

    @classmethod
    def library_defaults(cls) -> dict:
        """The defaults the library reports (``swiftpg_dqn_default_config``)."""
        c = _lib.DQNConfigC()
        _lib.call("dqn_default_config", ctypes.byref(c))
        return dataclasses.asdict(cls._from_c(c))


_NO_EPISODES = np.zeros(0)


@dataclass
class DQNStats:
    """What one :meth:`DQN.iterate` (or :meth:`DQN.update`) did.
    ``episode_returns`` / ``episode_lengths`` (float64 / int32
    ``[episodes]``) hold the episodes that ended during its collection;
    ``mean_return``/``mean_length`` are NaN when none ended. ``loss``,
    ``mean_q`` and ``grad_norm`` are means over the call's gradient steps
    (0 during the warm-up)."""

    iteration: int
    env_steps: int
    total_env_steps: int
    #: Gradient steps of this call (0 during the warm-up).
    gradient_steps: int
    total_gradient_steps: int
    episodes: int
    mean_return: float
    mean_length: float
    #: ε after the collection.
    epsilon: float
    #: Mean over the gradient steps of the loss before each step.
    loss: float
    #: Mean over the gradient steps of the minibatch's mean Q(s, a).
    mean_q: float
    #: Mean over the gradient steps of ‖∇L‖ before clipping.
    grad_norm: float
    seconds: float
    steps_per_second: float = 0.0
    algorithm: str = "dqn"
    episode_returns: np.ndarray = field(default_factory=lambda: _NO_EPISODES)
    episode_lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def as_dict(self) -> dict:
        """The fields as a dict (episode arrays as lists), e.g. for JSON logs."""
        d = dataclasses.asdict(self)
        for k in ("episode_returns", "episode_lengths"):
            d[k] = np.asarray(d[k]).tolist()
        return d


class DQN(NativeObject):
    """Deep Q-learning in Swift (Mnih et al. 2015): a uniform replay buffer
    with a warm-up of random actions, ε-greedy exploration on a linear
    schedule, a target network refreshed every ``target_update_interval``
    steps (hard, or Polyak with ``tau`` < 1), Huber or MSE loss, global
    gradient-norm clipping, Adam, and optionally Double DQN targets (van
    Hasselt et al. 2016). Terminated and truncated steps are kept apart: a
    step cut by the time limit bootstraps from its final observation.

    ``env``: an environment id or a :class:`swiftpg.VectorEnv` with discrete
    actions (``num_envs`` lanes for an id; rl-zoo uses 1). ``config``: a
    :class:`DQNConfig` (defaults: rl-zoo's CartPole-v1 settings).
    Each :meth:`iterate` is one call into Swift: ``train_freq`` steps of
    every lane, then ``gradient_steps`` gradient steps.

    Raises InvalidArgumentError (a config field out of range, continuous
    actions), DTypeError (wrong argument types), TooLargeError (a buffer,
    batch or network over the library's limits). Threads: a learner used by
    two threads at once raises BusyError in the second."""

    _kind_name = "DQN learner"

    def __init__(self, env="CartPole-v1", config: DQNConfig | None = None, *, num_envs: int = 1):
        config = DQNConfig() if config is None else config
        if not isinstance(config, DQNConfig):
            raise DTypeError(f"config must be a DQNConfig, got {type(config).__name__}")
        cfg = config.to_c()
        if isinstance(env, str):
            env = VectorEnv(env, as_count(num_envs, "num_envs", 1, 4096), seed=cfg.seed)
        elif not isinstance(env, VectorEnv):
            raise DTypeError(f"env must be an environment id or a swiftpg.VectorEnv, got {type(env).__name__}")
        if not env.discrete:
            raise InvalidArgumentError(f"DQN needs discrete actions; {env.env_id} has continuous ones")
        handle = ctypes.c_uint64()
        _lib.call("dqn_create", env.handle, ctypes.byref(cfg), ctypes.byref(handle))
        self._adopt(handle.value, "swiftpg_dqn_destroy")
        self._setup(env, config)

    def _setup(self, env: VectorEnv, config: DQNConfig) -> None:
        self.env = env
        self.config = config
        self.history: list[DQNStats] = []
        self.observation_size = env.observation_size
        self.num_actions = env.num_actions
        self._rng = np.random.default_rng(config.seed)

    # -- counters ------------------------------------------------------------------------------
    def counters(self) -> dict:
        """``iteration``, ``total_env_steps``, ``total_gradient_steps``,
        ``target_updates`` and ``buffer_count`` (transitions in the replay
        buffer) as ints, read from the library (restored by :meth:`load`)."""
        outs = [ctypes.c_int64() for _ in range(5)]
        with self._busy:
            _lib.call("dqn_counters", self.handle, *(ctypes.byref(o) for o in outs))
        names = ("iteration", "total_env_steps", "total_gradient_steps", "target_updates", "buffer_count")
        return {n: o.value for n, o in zip(names, outs)}

    @property
    def total_env_steps(self) -> int:
        """Env steps taken (and transitions stored) since creation."""
        return self.counters()["total_env_steps"]

    @property
    def num_timesteps(self) -> int:
        """SB3's name for :attr:`total_env_steps`."""
        return self.total_env_steps

    @property
    def iteration(self) -> int:
        """Iterations and updates since creation."""
        return self.counters()["iteration"]

    # -- training ------------------------------------------------------------------------------
    def _stats(self, c: _lib.DQNStatsC) -> DQNStats:
        values = {f.name: getattr(c, f.name) for f in dataclasses.fields(DQNStats)
                  if f.name not in ("steps_per_second", "algorithm", "episode_returns", "episode_lengths")}
        stats = DQNStats(**values)
        stats.steps_per_second = stats.env_steps / stats.seconds if stats.seconds > 0 else math.inf
        if stats.episodes > 0:
            returns, lengths = np.empty(stats.episodes), np.empty(stats.episodes, np.int32)
            count = ctypes.c_int64()
            _lib.call("dqn_episodes", self.handle, returns.ctypes.data, lengths.ctypes.data, stats.episodes,
                      ctypes.byref(count))
            stats.episode_returns, stats.episode_lengths = returns, lengths
        self.history.append(stats)
        return stats

    def iterate(self) -> DQNStats:
        """One iteration in Swift: ``train_freq`` steps of every lane into the
        replay buffer (random actions during the warm-up, ε-greedy after),
        then ``gradient_steps`` gradient steps. Raises NumericalError if
        training diverges to non-finite values (the networks keep the last
        good step); Ctrl-C stops it between steps (KeyboardInterrupt; the
        steps already taken are kept)."""
        c = _lib.DQNStatsC()
        with self._busy:
            _lib.call_interruptible("dqn_iterate", self.handle, self.handle, ctypes.byref(c))
            return self._stats(c)

    def update(self, observations, actions, rewards, terminated, truncated, next_observations,
               final_observations=None) -> DQNStats:
        """Adds transitions collected elsewhere (e.g. from a Gymnasium env),
        time-major: ``observations`` float64 ``[T, N, obs]``, ``actions``
        int ``[T, N]`` in ``0..num_actions-1``, ``rewards`` ``[T, N]``,
        ``terminated``/``truncated`` bool ``[T, N]``, ``next_observations``
        ``[N, obs]`` (after the last step) and ``final_observations``
        ``[T, N, obs]`` (read on rows that ended; required when any did),
        then trains as :meth:`iterate` does. s′ of row (t, i) is row (t+1,
        i), the final observation where the episode ended. Everything is
        checked before anything changes (InvalidArgumentError,
        NotFiniteError, OutOfRangeError)."""
        d = self.observation_size
        obs = as_float64(observations, "observations", (None, None, d))
        t, n, _ = obs.shape
        if t < 1 or n < 1:
            raise InvalidArgumentError(f"observations must hold at least one step of one lane, got {obs.shape}")
        act = as_actions(actions, "actions", self.num_actions, (t, n))
        rew = as_float64(rewards, "rewards", (t, n))
        term = as_flags(terminated, "terminated", (t, n))
        trunc = as_flags(truncated, "truncated", (t, n))
        nxt = as_float64(next_observations, "next_observations", (n, d))
        fin = None if final_observations is None else as_float64(final_observations, "final_observations",
                                                                  (t, n, d), finite=False)
        dp, u8 = ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_uint8)
        c = _lib.DQNStatsC()
        with self._busy:
            _lib.call("dqn_update", self.handle, t, n, obs.ctypes.data_as(dp),
                      act.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), rew.ctypes.data_as(dp),
                      term.ctypes.data_as(u8), trunc.ctypes.data_as(u8),
                      None if fin is None else fin.ctypes.data_as(dp), nxt.ctypes.data_as(dp), ctypes.byref(c))
            return self._stats(c)

    def train(self, total_env_steps: int | None = None, callback=None, stop_at_return: float | None = None,
              checkpoint: str | None = None, stop_window: int = 100, progress_bar: bool = False) -> list[DQNStats]:
        """Iterates until the learner has taken ``total_env_steps`` env steps
        in all (default: ``config.total_env_steps``; a loaded learner trains
        only the remainder) and returns the statistics of the iterations
        run. ``callback``, ``stop_at_return``, ``stop_window``,
        ``checkpoint`` and ``progress_bar`` as in
        :meth:`PolicyGradientLearner.train` (e.g.
        ``EvalCallback(eval_freq=..., best_model_save_path=...)`` keeps the
        best checkpoint by periodic evaluation, as rl-zoo does)."""
        from ..callbacks import StopTrainingOnEpisodeReturn, run_training, saving_then
        total = self.config.total_env_steps if total_env_steps is None else total_env_steps
        stop_window = as_count(stop_window, "stop_window")
        stop_at_return = as_optional_number(stop_at_return, "stop_at_return")
        callbacks = saving_then(self, checkpoint, callback)
        if stop_at_return is not None:
            callbacks.append(StopTrainingOnEpisodeReturn(stop_at_return, stop_window))
        return run_training(self, total, callbacks, progress_bar)

    def learn(self, total_timesteps: int | None = None, callback=None, progress_bar: bool = False) -> "DQN":
        """SB3's ``learn``: :meth:`train` for ``total_timesteps`` env steps in
        all (default ``config.total_env_steps``); returns the learner."""
        self.train(total_timesteps, callback=callback, progress_bar=progress_bar)
        return self

    # -- acting --------------------------------------------------------------------------------
    def _observations(self, observation) -> tuple[np.ndarray, bool]:
        d = self.observation_size
        obs = as_float64(observation, "observation")
        single = obs.ndim == 1
        if single:
            obs = obs.reshape(1, -1)
        if obs.ndim != 2 or obs.shape[1] != d or obs.shape[0] < 1:
            raise InvalidArgumentError(f"observation must have shape [{d}] or [batch, {d}] with batch >= 1, "
                                       f"got {observation if np.ndim(observation) == 0 else np.shape(observation)}")
        return np.ascontiguousarray(obs), single

    def q_values(self, observation) -> np.ndarray:
        """Q(s, ·) of the online network: float64 ``[num_actions]`` for one
        observation ``[obs]``, ``[B, num_actions]`` for a batch ``[B, obs]``.
        Raises InvalidArgumentError (shape) or NotFiniteError."""
        obs, single = self._observations(observation)
        q = np.empty((obs.shape[0], self.num_actions))
        with self._busy:
            _lib.call("dqn_q_values", self.handle, obs.ctypes.data, obs.shape[0], q.ctypes.data)
        return q[0] if single else q

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        """``(actions, None)`` as SB3's ``predict``: argmax_a Q(s, a) (lowest
        index on ties) for one observation ``[obs]`` (an int64 scalar) or a
        batch ``[B, obs]`` (int64 ``[B]``); with ``deterministic=False``,
        ε-greedy at ``config.exploration_final_eps`` drawn from the
        learner's own numpy generator (seeded from ``config.seed``).
        ``state`` and ``episode_start`` exist for SB3 compatibility."""
        obs, single = self._observations(observation)
        actions = np.empty(obs.shape[0], np.int32)
        with self._busy:
            _lib.call("dqn_predict", self.handle, obs.ctypes.data, obs.shape[0], actions.ctypes.data)
        actions = actions.astype(np.int64)
        if not as_bool(deterministic, "deterministic"):
            explore = self._rng.random(actions.shape[0]) < self.config.exploration_final_eps
            actions[explore] = self._rng.integers(0, self.num_actions, int(explore.sum()))
        return (actions[0] if single else actions), None

    def evaluate(self, episodes: int = 100, greedy: bool = True, seed: int = 12345, num_envs: int = 16):
        """``(returns, lengths)`` (float64 / int32 ``[episodes]``) of
        ``episodes`` fresh episodes on a new batch of the training env
        (``VectorEnv.spawn``), acting greedily in Q (``greedy``) or
        ε-greedily at the current ε. Ctrl-C stops it (KeyboardInterrupt)."""
        episodes = as_count(episodes, "episodes", 1, 1 << 24)
        seed = as_seed(seed)
        greedy = as_bool(greedy, "greedy")
        env = self.env.spawn(min(as_count(num_envs, "num_envs", 1, 1 << 24), episodes), seed=seed)
        try:
            returns, lengths = np.empty(episodes), np.empty(episodes, np.int32)
            with self._busy:
                _lib.call_interruptible("dqn_evaluate", self.handle, self.handle, env.handle, episodes, int(greedy),
                                        seed, returns.ctypes.data, lengths.ctypes.data)
            return returns, lengths
        finally:
            env.close()

    # -- checkpoints ---------------------------------------------------------------------------
    def __reduce__(self):
        """Pickling (and ``copy.deepcopy``): the learner's file as :meth:`save`
        writes it, replay buffer included, and its ``history``; the copy has
        its own environment and continues exactly as this learner would.
        Raises ClosedError when closed."""
        return _restore_dqn, (_lib.file_bytes(self.save), list(self.history))

    def save(self, path, include_buffer: bool = True) -> None:
        """Writes the learner atomically to ``path``: its configuration, the
        environment (definition and exact state), both networks, Adam's
        moments, the counters, the generator, the episodes in progress and,
        with ``include_buffer``, the replay buffer (without it the file is
        small; a learner loaded from it resumes from an empty buffer).
        Raises CheckpointIOError when the file cannot be written."""
        path = as_path(path)
        include = int(as_bool(include_buffer, "include_buffer"))
        with self._busy:
            _lib.call("dqn_save", self.handle, path, include)

    def _load_into(self, path) -> None:
        """``learner.load(path)``: see :meth:`load`."""
        path = as_path(path)
        with self._busy:
            _lib.call("dqn_load", self.handle, path)
            self.history = []

    @classmethod
    def _open(cls, path) -> "DQN":
        """``DQN.load(path)``: see :meth:`load`."""
        path = as_path(path)
        learner_h, env_h = ctypes.c_uint64(), ctypes.c_uint64()
        _lib.call("dqn_open", path, ctypes.byref(learner_h), ctypes.byref(env_h))
        try:
            env = VectorEnv._adopt_restored(env_h.value)
        except BaseException:
            _lib.lib.swiftpg_dqn_destroy(learner_h.value)
            _lib.lib.swiftpg_env_destroy(env_h.value)
            raise
        self = cls.__new__(cls)
        self._adopt(learner_h.value, "swiftpg_dqn_destroy")
        c = _lib.DQNConfigC()
        c.size = ctypes.sizeof(c)
        _lib.call("dqn_get_config", self.handle, ctypes.byref(c))
        self._setup(env, DQNConfig._from_c(c))
        return self

    load = _ClassOrInstanceMethod(_open, _load_into, """\
``DQN.load(path)`` (on the class) returns the learner saved at ``path``
with its configuration and environment, rebuilt from the file alone; it
continues exactly as the saved learner would have (from an empty replay
buffer when it was saved without one).

``learner.load(path)`` (on a learner) restores a checkpoint into this
learner, which keeps its configuration: the file must hold a DQN with the
same Q-network shape, replay capacity and environment (id, definition,
instance count). ``history`` is cleared.

Raises BadFormatError for a damaged, foreign (a policy-gradient learner's
included) or older file, naming what is wrong (nothing changes), and
CheckpointIOError when the file cannot be read.""")

    def close(self) -> None:
        """Frees the native learner (not its env); idempotent."""
        super().close()


def _restore_dqn(data: bytes, history: list) -> DQN:
    """Unpickling a :class:`DQN` (see ``DQN.__reduce__``)."""
    learner = _lib.from_file_bytes(data, DQN.load)
    learner.history = list(history)
    return learner
