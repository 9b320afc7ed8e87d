"""AlphaGo in miniature from Python: policy and value networks over board
planes, the supervised step, policy-gradient self-play against former
selves, value regression, PUCT search with both networks, and the AlphaZero
loop (issue 18). The Swift core does the work; every call is one native
call with numpy arrays in and out.

Networks (:class:`PolicyNetwork`, :class:`ValueNetwork`) read a game's
network planes, float64 ``[B, C, H, W]`` (``GameBatch.planes()``,
``State.planes()``: the mover's stones, the opponent's, a side-to-move
plane; Go has 7 planes), with an MLP trunk (the planes flattened) or a
small convolutional trunk (k × k convolutions, same padding, ReLU; im2col
+ BLAS). A policy network's π(a|s) is the softmax over the legal actions
only (legal masks ``[B, A]``, uint8/bool): an illegal action has
probability exactly 0. A value network's V(s) = tanh(z) ∈ [−1, 1] is the
expected outcome for the player to move.

The four steps of AlphaGo (Silver et al. 2016, "Mastering the game of Go
with deep neural networks and tree search") and AlphaZero (Silver et al.
2017, "Mastering the game of Go without human knowledge"; 2018, "A
general reinforcement learning algorithm that masters chess, shogi, and
Go through self-play"):

1. supervised policy: :func:`expert_moves` (positions labelled by a
   player, e.g. :class:`swiftpg.game_players.SolverPlayer`) then
   :meth:`PolicyNetwork.fit` (held-out top-1 accuracy);
2. policy-gradient self-play: :class:`SelfPlayReinforce` (REINFORCE
   against an opponent drawn uniformly from a pool of former selves);
3. value network: :func:`value_targets` (one position per self-play game)
   then :meth:`ValueNetwork.fit` (held-out MSE);
4. search: :class:`PUCTPlayer` (PUCT with the policy prior, leaf value
   (1 − λ)·V + λ·rollout), a :class:`swiftpg.game_players.Player`, so it
   plays in :func:`swiftpg.game_players.arena` and :func:`~swiftpg.game_players.elo`;
   :class:`PolicyPlayer` plays the raw policy network;

and :class:`AlphaZero` (search self-play, visit counts as policy targets,
outcomes as value targets) to compare with step 2.
"""

from __future__ import annotations

import math
from ctypes import byref, c_double, c_int64, c_uint64
from dataclasses import dataclass

import numpy as np

from . import _lib
from ._arrays import DTypeError, as_actions, as_count, as_flags, as_float, as_float64, as_path, as_seed, set_fields
from ._lib import InvalidArgumentError, NativeObject
from .game_players import Player, _NativePlayer
from .games import Game, GameBatch, State

__all__ = ["BoardNetwork", "PolicyNetwork", "ValueNetwork", "load_network", "expert_moves", "ExpertMoves",
           "value_targets", "PUCTPlayer", "PolicyPlayer", "SelfPlayReinforce", "SelfPlayStats", "AlphaZero",
           "AlphaZeroStats", "DEFAULT_C_PUCT"]

#: The default c_puct of :class:`PUCTPlayer` and :class:`AlphaZero`: 3. The
#: Swift core's 1.5 explores too little while the priors are near flat (a
#: fresh or weak network); on tic-tac-toe and Connect-3, c ≈ 3 played better.
DEFAULT_C_PUCT = 3.0

_TRUNKS = {"mlp": 1, "conv": 2}
_HEADS = {1: "policy", 2: "value"}


def _game_of(game) -> Game:
    if isinstance(game, str):
        from .games import load
        return load(game)
    if not isinstance(game, Game):
        raise DTypeError(f"game must be a swiftpg.games.Game or its name, got {game!r}")
    return game


def _sizes(sizes, trunk: str) -> np.ndarray:
    if isinstance(sizes, (int, np.integer)) and not isinstance(sizes, (bool, np.bool_)):
        sizes = (sizes,)
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise DTypeError(f"sizes must be a sequence of ints, got {sizes!r}")
    out = [as_count(s, "sizes[]", 1, 1 << 16) for s in sizes]
    if trunk == "conv" and not 1 <= len(out) <= 32:
        raise InvalidArgumentError(f"a conv trunk has 1 to 32 convolution layers, got {len(out)}")
    if trunk == "mlp" and len(out) > 64:
        raise InvalidArgumentError(f"an MLP trunk has at most 64 hidden layers, got {len(out)}")
    return np.array(out or [0], np.int32)


class BoardNetwork(NativeObject):
    """Base of :class:`PolicyNetwork` and :class:`ValueNetwork`: a network
    over the planes ``[C, H, W]`` of one game's positions. Parameters are
    one float64 vector (:attr:`params`); :meth:`save` / :func:`load_network`
    write and read checkpoints (bundle kind 8, every field checked on load);
    pickling copies the network exactly. One thread at a time."""

    _kind_name = "board network"
    _concrete_hint = "create a PolicyNetwork or a ValueNetwork"
    _head = 0

    def __init__(self, game, sizes=(64,), trunk: str = "mlp", kernel_size: int = 3, seed: int = 0):
        if self._head == 0:
            raise DTypeError(f"{type(self).__name__} is an abstract base class; {self._concrete_hint}")
        game = _game_of(game)
        if not isinstance(trunk, str):
            raise DTypeError(f"trunk must be 'mlp' or 'conv', got {trunk!r}")
        if trunk not in _TRUNKS:
            raise InvalidArgumentError(f"trunk must be 'mlp' or 'conv', got {trunk!r}")
        s = _sizes(sizes, trunk)
        n = 0 if (trunk == "mlp" and s[0] == 0) else len(s)
        kernel_size = as_count(kernel_size, "kernel_size", 1, 9)
        if trunk == "conv" and kernel_size % 2 == 0:
            raise InvalidArgumentError(f"kernel_size must be odd, got {kernel_size}")
        seed = as_seed(seed)
        handle = c_uint64()
        with game.new_batch(1) as batch:
            _lib.call("board_net_create", batch.handle, self._head, _TRUNKS[trunk], s.ctypes.data, n, kernel_size,
                      seed, byref(handle))
        self._init(handle.value, game)

    def _init(self, handle: int, game: Game | None) -> None:
        self._adopt(handle, "swiftpg_board_net_destroy")
        self.game = game
        self._info = self._read_info()

    @classmethod
    def _from_handle(cls, handle: int, game: Game | None = None) -> "BoardNetwork":
        info = _lib.BoardNetInfo()
        try:
            _lib.call("board_net_get_info", handle, byref(info))
        except BaseException:
            _lib.lib.swiftpg_board_net_destroy(handle)
            raise
        kind = PolicyNetwork if info.head == 1 else ValueNetwork
        obj = kind.__new__(kind)
        obj._init(handle, game)
        return obj

    def _read_info(self):
        info = _lib.BoardNetInfo()
        _lib.call("board_net_get_info", self.handle, byref(info))
        return info

    # -- description -------------------------------------------------------------------------------
    @property
    def plane_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the planes the network reads."""
        i = self._info
        return (i.num_planes, i.board_height, i.board_width)

    @property
    def trunk(self) -> str:
        """'mlp' or 'conv'."""
        return "mlp" if self._info.trunk == 1 else "conv"

    @property
    def num_params(self) -> int:
        return self._info.num_params

    @property
    def precision(self) -> int:
        """64 or 32: the arithmetic of the passes (parameters stay float64)."""
        with self._busy:
            return self._read_info().precision

    def set_precision(self, bits: int) -> None:
        """Runs the passes in float32 (``bits=32``, sgemm on a float copy of
        the weights) or float64 (64). Saved in checkpoints."""
        if isinstance(bits, (bool, np.bool_)) or not isinstance(bits, (int, np.integer)):
            raise DTypeError(f"bits must be the int 32 or 64, got {bits!r}")
        if bits not in (32, 64):
            raise InvalidArgumentError(f"bits must be 32 or 64, got {int(bits)}")
        with self._busy:
            _lib.call("board_net_set_precision", self.handle, int(bits))

    @property
    def params(self) -> np.ndarray:
        """A copy of the parameters, float64 ``[num_params]``."""
        out = np.zeros(self.num_params)
        with self._busy:
            _lib.call("board_net_get_params", self.handle, out.ctypes.data, out.size)
        return out

    @params.setter
    def params(self, values) -> None:
        v = as_float64(values, "params", shape=(self.num_params,))
        with self._busy:
            _lib.call("board_net_set_params", self.handle, v.ctypes.data, v.size)

    def _planes(self, planes, batch=None) -> np.ndarray:
        c, h, w = self.plane_shape
        p = as_float64(planes, "planes")
        if p.ndim == 3:
            p = p[None]
        if p.ndim != 4 or p.shape[1:] != (c, h, w) or (batch is not None and p.shape[0] != batch):
            want = f"[{'B' if batch is None else batch}, {c}, {h}, {w}]"
            raise InvalidArgumentError(f"planes must have shape {want} (or [{c}, {h}, {w}]), got {p.shape}")
        return p

    def _check_game(self, game: Game) -> None:
        if self.game is not None and game != self.game:
            raise InvalidArgumentError(f"the network was made for {self.game!r}, not {game!r}")

    def evaluate(self, states) -> np.ndarray | float:
        """The network on the current position of every game of a
        :class:`swiftpg.games.GameBatch` (or of one :class:`~swiftpg.games.State`):
        policy float64 ``[N, A]``, value ``[N]`` (``[A]`` / scalar for a
        State); rows of finished games are 0. Raises InvalidArgumentError
        when the game's planes (or actions) differ from the network's."""
        if isinstance(states, State):
            out = np.zeros(self._info.num_outputs)
            with self._busy, states._busy:
                _lib.call("board_net_evaluate_game", self.handle, states.handle, out.ctypes.data)
            return out if self._head == 1 else float(out[0])
        if not isinstance(states, GameBatch):
            raise DTypeError(f"states must be a swiftpg.games.GameBatch or State, got {states!r}")
        n = states.num_games
        out = np.zeros((n, self._info.num_outputs) if self._head == 1 else n)
        with self._busy, states._busy:
            _lib.call("board_net_evaluate_game", self.handle, states.handle, out.ctypes.data)
        return out

    # -- checkpoints ---------------------------------------------------------------------------------
    def save(self, path) -> None:
        """Writes the checkpoint to ``path`` (str or os.PathLike) atomically;
        raises CheckpointIOError when the file cannot be written."""
        p = as_path(path)
        with self._busy:
            _lib.call("board_net_save", self.handle, p)

    def to_bytes(self) -> bytes:
        """The checkpoint's bytes (what :meth:`save` writes)."""
        with self._busy:
            return _lib.read_bytes("board_net_serialize", self.handle)

    @staticmethod
    def from_bytes(data) -> "BoardNetwork":
        """The network of checkpoint bytes; BadFormatError for anything else."""
        return BoardNetwork._from_handle(_lib.deserialize("board_net_deserialize", data, "data"))

    def __reduce__(self):
        return (_restore_network, (self.to_bytes(), self.game))

    def __repr__(self) -> str:
        if self.closed:
            return f"{type(self).__name__}(closed)"
        c, h, w = self.plane_shape
        return f"{type(self).__name__}({self.trunk}, planes [{c}, {h}, {w}], {self.num_params} parameters)"


def _restore_network(data: bytes, game) -> BoardNetwork:
    net = BoardNetwork.from_bytes(data)
    net.game = game
    return net


def load_network(path, game=None) -> BoardNetwork:
    """The :class:`PolicyNetwork` or :class:`ValueNetwork` of a checkpoint
    file. Raises BadFormatError for a damaged, truncated or foreign file
    (every field is checked), CheckpointIOError for an unreadable one, and
    InvalidArgumentError when ``game`` (optional) has other planes."""
    p = as_path(path)
    handle = c_uint64()
    _lib.call("board_net_load", p, byref(handle))
    net = BoardNetwork._from_handle(handle.value)
    if game is not None:
        game = _game_of(game)
        _check_fits(net, game)
        net.game = game
    return net


def _check_fits(net: BoardNetwork, game: Game) -> None:
    with game.new_batch(1) as batch:
        c, h, w = net.plane_shape
        planes = batch.planes()
    if planes.shape[1:] != (c, h, w) or (net._head == 1 and net._info.num_outputs != game.num_distinct_actions()):
        raise InvalidArgumentError(
            f"the network reads planes [{c}, {h}, {w}] with {net._info.num_outputs} outputs; {game!r} has "
            f"planes {list(planes.shape[1:])} and {game.num_distinct_actions()} actions")


class PolicyNetwork(BoardNetwork):
    """π(a|s) over the legal actions of ``game`` (a :class:`swiftpg.games.Game`
    or its name): ``sizes`` the hidden widths of an MLP trunk
    (``trunk="mlp"``, ReLU, orthogonal initialisation) or the channels of a
    conv trunk (``trunk="conv"``, k × k kernels, ``kernel_size`` odd),
    initial parameters from ``seed`` (same seed, same network; the first
    policy is near uniform). Raises InvalidArgumentError for bad sizes,
    TooLargeError beyond the parameter limit."""

    _head = 1

    @property
    def num_actions(self) -> int:
        return self._info.num_outputs

    def _masks(self, masks, batch: int) -> np.ndarray:
        m = masks
        if isinstance(m, np.ndarray) and m.ndim == 1:
            m = m[None]
        return as_flags(m, "masks", (batch, self.num_actions))

    def probabilities(self, planes, masks) -> np.ndarray:
        """π(·|s) of each position: planes float64 ``[B, C, H, W]``, masks
        ``[B, A]`` (bool or 0/1; at least one legal action per row) →
        float64 ``[B, A]``, 0 on illegal actions, rows summing to 1. Raises
        InvalidArgumentError (shapes, a row with no legal action),
        NotFiniteError (planes)."""
        p = self._planes(planes)
        m = self._masks(masks, p.shape[0])
        if m.size and not m.reshape(p.shape[0], -1).any(axis=1).all():
            raise InvalidArgumentError(f"position {int(np.argmin(m.any(axis=1)))} has no legal action")
        out = np.zeros((p.shape[0], self.num_actions))
        with self._busy:
            _lib.call("board_net_forward", self.handle, p.ctypes.data, m.ctypes.data, p.shape[0], out.ctypes.data)
        return out

    __call__ = probabilities

    def log_probabilities(self, planes, masks) -> np.ndarray:
        """log π(·|s), float64 ``[B, A]``: −inf on illegal actions."""
        with np.errstate(divide="ignore"):
            return np.log(self.probabilities(planes, masks))

    def gradient(self, planes, masks, actions, weights=None) -> tuple[float, np.ndarray, np.ndarray]:
        """(Σᵢ wᵢ log π(aᵢ|sᵢ), its gradient float64 ``[num_params]``, log
        π(aᵢ|sᵢ) ``[B]``): the supervised log-likelihood gradient (w = 1)
        or REINFORCE's (w = G). actions int ``[B]``, each legal in its row
        (InvalidArgumentError otherwise); weights float64 ``[B]`` or None."""
        p = self._planes(planes)
        b = p.shape[0]
        m = self._masks(masks, b)
        a = as_actions(actions, "actions", self.num_actions, (b,))
        if b and not m[np.arange(b), a].all():
            i = int(np.argmin(m[np.arange(b), a]))
            raise InvalidArgumentError(f"actions[{i}] = {int(a[i])} is illegal in position {i}")
        w = None if weights is None else as_float64(weights, "weights", shape=(b,))
        grad = np.zeros(self.num_params)
        logs = np.zeros(b)
        total = c_double()
        with self._busy:
            _lib.call("board_net_policy_gradient", self.handle, p.ctypes.data, m.ctypes.data, a.ctypes.data,
                      None if w is None else w.ctypes.data, b, logs.ctypes.data, grad.ctypes.data, grad.size,
                      byref(total))
        return total.value, grad, logs

    def fit(self, planes, masks, actions, held_out=None, epochs: int = 10, minibatch_size: int = 64,
            learning_rate: float = 1e-3, weight_decay: float = 0.0, seed: int = 0) -> dict:
        """AlphaGo's supervised step: maximises log π(a|s) on expert moves
        (masked cross-entropy, Adam on shuffled minibatches, a fresh
        optimiser per call). ``held_out``: None or (planes, masks,
        actions). Returns a dict of float64 ``[epochs]`` arrays: ``loss``,
        ``accuracy`` (training, during the epoch), ``held_out_loss``,
        ``held_out_accuracy`` (top-1, after each epoch; NaN without a
        held-out set). All or nothing: on an error the parameters are as
        before. Raises InvalidArgumentError (shapes, an illegal action,
        config), NumericalError (a non-finite step)."""
        p = self._planes(planes)
        n = p.shape[0]
        if n < 1:
            raise InvalidArgumentError("fit needs at least one position")
        m = self._masks(masks, n)
        a = as_actions(actions, "actions", self.num_actions, (n,))
        if held_out is not None:
            if not isinstance(held_out, (tuple, list)) or len(held_out) != 3:
                raise DTypeError("held_out must be None or a (planes, masks, actions) tuple")
            hp = self._planes(held_out[0])
            hm = self._masks(held_out[1], hp.shape[0])
            ha = as_actions(held_out[2], "held_out actions", self.num_actions, (hp.shape[0],))
        else:
            hp = hm = ha = None  # type: ignore[assignment]  # no held-out set: NULL pointers below
        config = _sft_config(epochs, minibatch_size, learning_rate, weight_decay, seed)
        history = np.zeros((config.epochs, 4))
        with self._busy:
            _lib.call_interruptible(
                "board_net_fit_policy", self.handle, self.handle, p.ctypes.data, m.ctypes.data, a.ctypes.data, n,
                None if hp is None else hp.ctypes.data, None if hm is None else hm.ctypes.data,
                None if ha is None else ha.ctypes.data, 0 if hp is None else hp.shape[0], byref(config),
                history.ctypes.data)
        return {"loss": history[:, 0].copy(), "accuracy": history[:, 1].copy(),
                "held_out_loss": history[:, 2].copy(), "held_out_accuracy": history[:, 3].copy()}

    def accuracy(self, planes, masks, actions) -> float:
        """Top-1 move accuracy: the share of positions whose most probable
        legal move is ``actions[i]`` (ties count as misses unless the
        expert's move is the first of them); NaN for no positions."""
        probs = self.probabilities(planes, masks)
        a = as_actions(actions, "actions", self.num_actions, (probs.shape[0],))
        return float(np.mean(np.argmax(probs, axis=1) == a)) if len(a) else math.nan


def _check_outcomes(t: np.ndarray, name: str) -> None:
    """Value targets must be outcomes in [−1, 1] (V = tanh(z))."""
    bad = ~((t >= -1) & (t <= 1))
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidArgumentError(f"{name}[{i}] is {t[i]}; value targets are outcomes in [-1, 1] (V = tanh)")


class ValueNetwork(BoardNetwork):
    """V(s) ∈ [−1, 1] for the player to move in positions of ``game``
    (arguments as :class:`PolicyNetwork`; the first values are near 0)."""

    _head = 2

    def values(self, planes) -> np.ndarray:
        """V(s) of each position: planes float64 ``[B, C, H, W]`` → float64
        ``[B]`` in [−1, 1]."""
        p = self._planes(planes)
        out = np.zeros(p.shape[0])
        with self._busy:
            _lib.call("board_net_forward", self.handle, p.ctypes.data, None, p.shape[0], out.ctypes.data)
        return out

    __call__ = values

    def gradient(self, planes, targets, weights=None) -> tuple[float, np.ndarray, np.ndarray]:
        """(Σᵢ wᵢ ½(V(sᵢ) − Gᵢ)², its gradient float64 ``[num_params]``,
        V(sᵢ) ``[B]``); targets, weights float64 ``[B]`` (weights None: 1)."""
        p = self._planes(planes)
        b = p.shape[0]
        t = as_float64(targets, "targets", shape=(b,))
        w = None if weights is None else as_float64(weights, "weights", shape=(b,))
        grad = np.zeros(self.num_params)
        values = np.zeros(b)
        loss = c_double()
        with self._busy:
            _lib.call("board_net_value_gradient", self.handle, p.ctypes.data, t.ctypes.data,
                      None if w is None else w.ctypes.data, b, values.ctypes.data, grad.ctypes.data, grad.size,
                      byref(loss))
        return loss.value, grad, values

    def fit(self, planes, targets, held_out=None, epochs: int = 10, minibatch_size: int = 64,
            learning_rate: float = 1e-3, seed: int = 0) -> tuple[np.ndarray, float]:
        """AlphaGo's value regression: minimises ½(V(s) − G)² by Adam on
        shuffled minibatches. planes ``[M, C, H, W]``, targets float64
        ``[M]`` (outcomes −1, 0, +1 for the player to move); ``held_out``
        None or (planes, targets). Returns (mean training loss of each
        epoch, float64 ``[epochs]``; held-out MSE mean (V − G)² after
        training, NaN without a held-out set). Targets outside [−1, 1],
        which V = tanh(z) cannot reach, raise InvalidArgumentError. On an
        error the parameters are as before."""
        p = self._planes(planes)
        n = p.shape[0]
        if n < 1:
            raise InvalidArgumentError("fit needs at least one position")
        t = as_float64(targets, "targets", shape=(n,))
        _check_outcomes(t, "targets")
        if held_out is not None:
            if not isinstance(held_out, (tuple, list)) or len(held_out) != 2:
                raise DTypeError("held_out must be None or a (planes, targets) tuple")
            hp = self._planes(held_out[0])
            ht = as_float64(held_out[1], "held_out targets", shape=(hp.shape[0],))
            _check_outcomes(ht, "held_out targets")
        else:
            hp = ht = None  # type: ignore[assignment]  # no held-out set: NULL pointers below
        config = _sft_config(epochs, minibatch_size, learning_rate, 0.0, seed)
        losses = np.zeros(config.epochs)
        mse = c_double()
        with self._busy:
            _lib.call_interruptible(
                "board_net_fit_value", self.handle, self.handle, p.ctypes.data, t.ctypes.data, n,
                None if hp is None else hp.ctypes.data, None if ht is None else ht.ctypes.data,
                0 if hp is None else hp.shape[0], byref(config), losses.ctypes.data, byref(mse))
        return losses, mse.value


def _sft_config(epochs, minibatch_size, learning_rate, weight_decay, seed):
    c = _lib.SFTConfigC()
    _lib.call("sft_default_config", byref(c))
    c.epochs = as_count(epochs, "epochs", 1, 1 << 20)
    c.minibatch_size = as_count(minibatch_size, "minibatch_size", 1, 1 << 24)
    lr = as_float(learning_rate, "learning_rate")
    if not (math.isfinite(lr) and lr > 0):
        raise InvalidArgumentError(f"learning_rate must be finite and > 0, got {lr}")
    c.learning_rate = lr
    wd = as_float(weight_decay, "weight_decay")
    if not (math.isfinite(wd) and wd >= 0):
        raise InvalidArgumentError(f"weight_decay must be finite and >= 0, got {wd}")
    c.weight_decay = wd
    c.seed = as_seed(seed)
    return c


@dataclass(frozen=True)
class ExpertMoves:
    """Expert-labelled positions: training ``planes`` float64 ``[M, C, H,
    W]``, ``masks`` uint8 ``[M, A]``, ``actions`` int32 ``[M]``, and the
    held-out ``held_planes``, ``held_masks``, ``held_actions``."""

    planes: np.ndarray
    masks: np.ndarray
    actions: np.ndarray
    held_planes: np.ndarray
    held_masks: np.ndarray
    held_actions: np.ndarray

    @property
    def held_out(self) -> tuple:
        """(held_planes, held_masks, held_actions), for ``fit(held_out=...)``."""
        return (self.held_planes, self.held_masks, self.held_actions)


def expert_moves(game, expert: Player, num_games: int = 100, held_out_share: float = 0.2,
                 seed: int = 0) -> ExpertMoves:
    """The distinct unfinished positions met in ``num_games`` uniformly
    random games (1 … 2^20), each labelled with ``expert``'s move (a
    :class:`swiftpg.game_players.Player`: SolverPlayer on tic-tac-toe and
    small Connect-N, MCTSPlayer with a large budget, …), split by a seeded
    shuffle into training and held-out sets (``held_out_share`` in (0, 1)).
    Ctrl-C stops a slow expert. Raises InvalidArgumentError for bad
    arguments or a split with an empty side, NotSupportedError for an
    expert the game has none of."""
    game = _game_of(game)
    if not isinstance(expert, Player):
        raise DTypeError(f"expert must be a swiftpg.game_players.Player, got {expert!r}")
    num_games = as_count(num_games, "num_games", 1, 1 << 20)
    share = as_float(held_out_share, "held_out_share")
    if not 0 < share < 1:
        raise InvalidArgumentError(f"held_out_share must be in (0, 1), got {share}")
    seed = as_seed(seed)
    native = expert.native(game)
    cap = num_games * game.max_game_length()
    with game.new_batch(1) as batch:
        c, h, w = batch.planes().shape[1:]
        a = game.num_distinct_actions()
        planes = np.zeros((cap, c, h, w))
        masks = np.zeros((cap, a), np.uint8)
        actions = np.zeros(cap, np.int32)
        count, held = c_int64(), c_int64()
        with native._busy, batch._busy:
            _lib.call_interruptible("expert_moves", (native.handle, batch.handle), batch.handle, native.handle,
                                    num_games, share, seed, cap, planes.ctypes.data, masks.ctypes.data,
                                    actions.ctypes.data, byref(count), byref(held))
    n, k = count.value, held.value
    return ExpertMoves(planes[k:n].copy(), masks[k:n].copy(), actions[k:n].copy(), planes[:k].copy(),
                       masks[:k].copy(), actions[:k].copy())


def value_targets(policy: PolicyNetwork, num_games: int = 1000, seed: int = 0,
                  game=None) -> tuple[np.ndarray, np.ndarray]:
    """AlphaGo's value data: ``num_games`` games of ``policy`` against
    itself (both sides sample), one position drawn uniformly from each
    game (successive positions are correlated), with the game's outcome
    for the player to move there. Returns (planes float64 ``[num_games, C,
    H, W]``, targets float64 ``[num_games]`` in {−1, 0, +1}). ``game``
    defaults to the network's game. The games play as one batch through
    the network, so ``num_games`` × the sum of its layer widths must stay
    under 2^28 (TooLargeError otherwise: about 230 000 games for a 256-256
    MLP on Connect Four 6×7); for more, call it again with another seed."""
    if not isinstance(policy, PolicyNetwork):
        raise DTypeError(f"policy must be a PolicyNetwork, got {policy!r}")
    game = _game_of(game) if game is not None else policy.game
    if game is None:
        raise InvalidArgumentError("the network has no game (loaded from a file?): pass game=")
    num_games = as_count(num_games, "num_games", 1, 1 << 20)
    seed = as_seed(seed)
    planes = np.zeros((num_games, *policy.plane_shape))
    targets = np.zeros(num_games)
    with game.new_batch(1) as batch, policy._busy:
        _lib.call("value_targets", batch.handle, policy.handle, num_games, seed, planes.ctypes.data,
                  targets.ctypes.data)
    return planes, targets


class _NetworkPlayer(Player):
    """A player built from networks: the native player copies them when it
    is first used on a game (:meth:`close` drops the copies, so the next
    move copies the networks' current parameters)."""

    def _create_native(self, game_handle: int, out) -> None:
        """Creates the native player for a one-game batch into ``out`` (each subclass)."""
        raise NotImplementedError

    def _networks(self):
        raise NotImplementedError

    def native(self, game: Game) -> _NativePlayer:
        if not isinstance(game, Game):
            raise DTypeError(f"game must be a swiftpg.games.Game, got {game!r}")
        with self._lock:
            player = self._natives.get(game)
            if player is None or player.closed:
                player = self._natives[game] = self._make(game)
            return player

    def _make(self, game: Game) -> _NativePlayer:
        nets = [n for n in self._networks() if n is not None]
        handle = c_uint64()
        locks = [n._busy for n in nets]
        with game.new_batch(1) as batch:
            for lk in locks:
                lk.__enter__()
            try:
                self._create_native(batch.handle, handle)
            finally:
                for lk in reversed(locks):
                    lk.__exit__(None, None, None)
        p = _NativePlayer.__new__(_NativePlayer)
        p._adopt(handle.value, "swiftpg_player_destroy")
        return p

    def refresh(self) -> None:
        """Drops the native copies: the next move uses the networks' current
        parameters (e.g. after more training)."""
        self.close()


class PUCTPlayer(_NetworkPlayer):
    """PUCT search (Rosin 2011; AlphaGo's and AlphaZero's search): each of
    ``simulations`` descents takes the child maximising Q + c_puct·P·√N /
    (1 + N(a)), P from ``policy`` (uniform without one), leaves scored (1 −
    λ)·V + λ·z with V from ``value`` (0 without one) and z one random
    rollout (``rollout_weight`` λ; AlphaGo 0.5, AlphaZero 0); plays the most
    visited move (``temperature`` 0) or samples N(a)^(1/t).
    ``dirichlet_epsilon`` > 0 mixes Dirichlet(α) noise into the root's
    priors — for training only; keep 0 to play. Default ``c_puct`` 3
    (:data:`DEFAULT_C_PUCT`). A :class:`swiftpg.game_players.Player`: use it
    in :func:`~swiftpg.game_players.arena` and :func:`~swiftpg.game_players.elo`.
    Raises InvalidArgumentError for bad settings."""

    def __init__(self, policy: PolicyNetwork | None = None, value: ValueNetwork | None = None,
                 simulations: int = 100, c_puct: float = DEFAULT_C_PUCT, rollout_weight: float = 0.0,
                 dirichlet_alpha: float = 0.3, dirichlet_epsilon: float = 0.0, temperature: float = 0.0):
        if policy is not None and not isinstance(policy, PolicyNetwork):
            raise DTypeError(f"policy must be a PolicyNetwork or None, got {policy!r}")
        if value is not None and not isinstance(value, ValueNetwork):
            raise DTypeError(f"value must be a ValueNetwork or None, got {value!r}")
        self.policy, self.value = policy, value
        self.simulations = as_count(simulations, "simulations", 1, 1 << 20)
        self.c_puct = _positive(c_puct, "c_puct")
        self.rollout_weight = _unit(rollout_weight, "rollout_weight")
        self.dirichlet_alpha = _positive(dirichlet_alpha, "dirichlet_alpha")
        self.dirichlet_epsilon = _unit(dirichlet_epsilon, "dirichlet_epsilon")
        self.temperature = _temperature(temperature)
        self._init()

    def _networks(self):
        return (self.policy, self.value)

    def _config(self):
        c = _lib.PUCTConfigC()
        _lib.call("puct_default_config", byref(c))
        c.simulations, c.c_puct, c.rollout_weight = self.simulations, self.c_puct, self.rollout_weight
        c.dirichlet_alpha, c.dirichlet_epsilon, c.temperature = (self.dirichlet_alpha, self.dirichlet_epsilon,
                                                                 self.temperature)
        return c

    def _create_native(self, game_handle: int, out) -> None:
        c = self._config()
        _lib.call("player_create_puct", game_handle, 0 if self.policy is None else self.policy.handle,
                  0 if self.value is None else self.value.handle, byref(c), byref(out))

    def _settings(self) -> dict:
        return dict(simulations=self.simulations, c_puct=self.c_puct, rollout_weight=self.rollout_weight,
                    dirichlet_alpha=self.dirichlet_alpha, dirichlet_epsilon=self.dirichlet_epsilon,
                    temperature=self.temperature)

    def __reduce__(self):
        return (_restore_puct, (self.policy, self.value, self._settings()))

    def __repr__(self) -> str:
        s = ", ".join(f"{k}={v}" for k, v in self._settings().items())
        return f"PUCTPlayer(policy={self.policy!r}, value={self.value!r}, {s})"


def _restore_puct(policy, value, settings):
    return PUCTPlayer(policy, value, **settings)


class PolicyPlayer(_NetworkPlayer):
    """The raw policy network as a player: ``temperature`` 0 plays the most
    probable legal move (ties at random), t > 0 samples with probability ∝
    π(a|s)^(1/t) (1: π itself)."""

    def __init__(self, policy: PolicyNetwork, temperature: float = 0.0):
        if not isinstance(policy, PolicyNetwork):
            raise DTypeError(f"policy must be a PolicyNetwork, got {policy!r}")
        self.policy = policy
        self.temperature = _temperature(temperature)
        self._init()

    def _networks(self):
        return (self.policy,)

    def _create_native(self, game_handle: int, out) -> None:
        _lib.call("player_create_policy", game_handle, self.policy.handle, self.temperature, byref(out))

    def __reduce__(self):
        return (PolicyPlayer, (self.policy, self.temperature))

    def __repr__(self) -> str:
        return f"PolicyPlayer({self.policy!r}, temperature={self.temperature})"


def _positive(v, name: str) -> float:
    x = as_float(v, name)
    if not (math.isfinite(x) and x > 0):
        raise InvalidArgumentError(f"{name} must be finite and > 0, got {x}")
    return x


def _unit(v, name: str) -> float:
    x = as_float(v, name)
    if not 0 <= x <= 1:
        raise InvalidArgumentError(f"{name} must be in [0, 1], got {x}")
    return x


def _temperature(v) -> float:
    x = as_float(v, "temperature")
    if not (math.isfinite(x) and x >= 0):
        raise InvalidArgumentError(f"temperature must be finite and >= 0, got {x}")
    return x


@dataclass(frozen=True)
class SelfPlayStats:
    """One :meth:`SelfPlayReinforce.iterate`: the learner's ``wins``,
    ``draws``, ``losses`` against the drawn opponent (pool index
    ``opponent_index``, taken at iteration ``opponent_iteration``),
    ``score`` = (wins + draws/2)/games, the learner's ``moves`` in the
    gradient, ``value_loss`` (mean ½(V − G)², 0 without a value network),
    ``pool_size`` and ``iteration`` (this one included)."""

    wins: int
    draws: int
    losses: int
    games: int
    moves: int
    score: float
    value_loss: float
    opponent_index: int
    opponent_iteration: int
    pool_size: int
    iteration: int


@dataclass(frozen=True)
class AlphaZeroStats:
    """One :meth:`AlphaZero.iterate`: positions collected (``examples``)
    from ``games`` games, the last epoch's mean ``policy_loss``
    (cross-entropy to the visit distributions) and ``value_loss`` (½(V −
    z)²), the visit distributions' mean ``target_entropy`` (the least the
    policy loss can reach), and ``iteration``."""

    examples: int
    games: int
    policy_loss: float
    value_loss: float
    target_entropy: float
    iteration: int


class _BoardLearner(NativeObject):
    _kind_name = "board learner"
    _pickle_hint = "use its save and load methods instead"

    def _start(self, name: str, game, policy, value, config) -> None:
        game = _game_of(game)
        if not isinstance(policy, PolicyNetwork):
            raise DTypeError(f"policy must be a PolicyNetwork, got {policy!r}")
        if value is not None and not isinstance(value, ValueNetwork):
            raise DTypeError(f"value must be a ValueNetwork or None, got {value!r}")
        handle = c_uint64()
        with game.new_batch(1) as batch, policy._busy:
            if value is not None:
                with value._busy:
                    _lib.call(name, batch.handle, policy.handle, value.handle, byref(config), byref(handle))
            else:
                _lib.call(name, batch.handle, policy.handle, 0, byref(config), byref(handle))
        self._adopt(handle.value, "swiftpg_board_learner_destroy")
        self.game, self.policy, self.value = game, policy, value

    def save(self, path) -> None:
        """Writes the training state (the networks' parameters, the
        iteration, the opponent pool, the Adam moments; bundle kind 9) to
        ``path`` atomically, so that :meth:`load` continues the run exactly.
        The settings are not stored. Raises CheckpointIOError."""
        p = as_path(path)
        with self._busy:
            _lib.call("board_learner_save", self.handle, p)

    def load(self, path) -> None:
        """Restores a state written by :meth:`save` of a learner of the same
        kind and game whose networks have the same architectures (this
        learner's settings stay), setting its networks' parameters. Raises
        BadFormatError for a file that does not fit (nothing changes then),
        CheckpointIOError for an unreadable one."""
        p = as_path(path)
        with self._busy:
            _lib.call("board_learner_load", self.handle, p)

    def _iterate(self, name: str, stats):
        with self._busy:
            _lib.call_interruptible(name, self.handle, self.handle, byref(stats))
        return stats


def _config(struct, name: str, values: dict):
    c = struct()
    _lib.call(name + "_default_config", byref(c))
    set_fields(c, values, lambda v, key: as_count(v, key, 0 if key == "temperature_moves" else 1))
    return c


class SelfPlayReinforce(_BoardLearner):
    """AlphaGo's policy-gradient self-play (Silver et al. 2016, §"Reinforcement
    learning of policy networks"): each :meth:`iterate` plays
    ``games_per_iteration`` games of ``policy`` (half moving first) against
    an opponent drawn uniformly from a pool of its former selves (a
    snapshot every ``snapshot_interval`` iterations, at most
    ``pool_capacity``; the pool starts with the initial policy), both
    sampling; outcome G = ±1 / 0, γ = 1; Adam ascends (1/n) Σ ∇log π(a|s)·(G
    − b(s)) over the learner's moves, b = V(s) from ``value`` (fitted on
    the same positions) or 0. Trains the networks in place; reproducible
    from ``seed``. Ctrl-C stops an iteration before anything changes.
    :meth:`save` / :meth:`load` checkpoint the training state (it is not
    picklable)."""

    def __init__(self, game, policy: PolicyNetwork, value: ValueNetwork | None = None,
                 games_per_iteration: int = 64, learning_rate: float = 1e-3, value_learning_rate: float = 1e-3,
                 snapshot_interval: int = 10, pool_capacity: int = 64, seed: int = 0):
        config = _config(_lib.SelfPlayConfigC, "selfplay", dict(
            games_per_iteration=games_per_iteration, learning_rate=learning_rate,
            value_learning_rate=value_learning_rate, snapshot_interval=snapshot_interval,
            pool_capacity=pool_capacity, seed=seed))
        self._start("selfplay_create", game, policy, value, config)

    def iterate(self) -> SelfPlayStats:
        """One iteration; returns :class:`SelfPlayStats`. NumericalError: a
        non-finite step (nothing changes)."""
        s = self._iterate("selfplay_iterate", _lib.SelfPlayStatsC())
        return SelfPlayStats(s.wins, s.draws, s.losses, s.games, s.moves, s.score, s.value_loss, s.opponent_index,
                             s.opponent_iteration, s.pool_size, s.iteration)


class AlphaZero(_BoardLearner):
    """The AlphaZero loop (Silver et al. 2017, 2018): each :meth:`iterate`
    plays ``games_per_iteration`` games with PUCT search (``simulations``
    per move, ``c_puct``, root Dirichlet noise α / ε, moves sampled from
    the visits for ``temperature_moves`` plies then the most visited), then
    fits ``policy`` to the visit distributions (cross-entropy) and
    ``value`` to the outcomes (½(V − z)²) by Adam, ``epochs`` passes of
    ``minibatch_size``. Trains the networks in place; reproducible from
    ``seed``; Ctrl-C stops the search before any parameter changes."""

    def __init__(self, game, policy: PolicyNetwork, value: ValueNetwork, games_per_iteration: int = 32,
                 simulations: int = 50, c_puct: float = DEFAULT_C_PUCT, temperature_moves: int = 4,
                 epochs: int = 4, minibatch_size: int = 64, learning_rate: float = 1e-3,
                 rollout_weight: float = 0.0, dirichlet_alpha: float = 0.3, dirichlet_epsilon: float = 0.25,
                 seed: int = 0):
        if not isinstance(value, ValueNetwork):
            raise DTypeError(f"value must be a ValueNetwork, got {value!r}")
        config = _config(_lib.AlphaZeroConfigC, "alphazero", dict(
            games_per_iteration=games_per_iteration, simulations=simulations, c_puct=c_puct,
            temperature_moves=temperature_moves, epochs=epochs, minibatch_size=minibatch_size,
            learning_rate=learning_rate, rollout_weight=rollout_weight, dirichlet_alpha=dirichlet_alpha,
            dirichlet_epsilon=dirichlet_epsilon, seed=seed))
        self._start("alphazero_create", game, policy, value, config)

    def iterate(self) -> AlphaZeroStats:
        """One iteration; returns :class:`AlphaZeroStats`."""
        s = self._iterate("alphazero_iterate", _lib.AlphaZeroStatsC())
        return AlphaZeroStats(s.examples, s.games, s.policy_loss, s.value_loss, s.target_entropy, s.iteration)
