"""AlphaGo in miniature, end to end, and the evaluation ladder up to perfect
play (issue 18).

* :class:`SelfPlayPipeline` runs AlphaGo's four steps (Silver et al. 2016,
  "Mastering the game of Go with deep neural networks and tree search") on
  a small game, one native call per step so progress shows and Ctrl-C
  works: (1) a supervised (SL) policy network on expert moves — the exact
  solver for tic-tac-toe and Connect-N, UCT with a large budget otherwise —
  with held-out top-1 accuracy; (2) REINFORCE self-play against a pool of
  former selves, with the RL policy's score against the SL policy; (3) a
  value network on one position per self-play game (held-out MSE, and MSE
  against the exact outcomes where a solver exists); optionally the
  AlphaZero loop (Silver et al. 2017); (4) PUCT with both networks,
  evaluated against the solver with the mistake rate and an Elo fit of the
  checkpoints. Configure it with :class:`SelfPlayConfig`.
* :func:`mistake_rate` — the share of a player's moves whose exact outcome
  (win / draw / loss under perfect play) is worse than the best move's,
  over **all** positions reachable when it plays a seat against any
  opponent (every opponent move is followed; at the player's turn the move
  it chooses, one fixed choice per position). A slower win is not a
  mistake. By seat and by game stage (stones on the board).
* :func:`ladder` — matches against uniformly random, UCT with random
  rollouts at budgets base·10^(n/2) (OpenSpiel's MCTS evaluations), minimax
  at given depths, and the solver.

Example (tic-tac-toe reaches perfect play in seconds)::

    from swiftpg import games, ladder
    g = games.load("tic_tac_toe")
    with ladder.SelfPlayPipeline(g, "runs/ttt", ladder.SelfPlayConfig(seed=1)) as p:
        p.run(callback=print)
        agent = p.player(simulations=200)
        print(ladder.mistake_rate(g, agent).rate)      # 0.0
        for rung in ladder.ladder(g, agent):
            print(rung.label, rung.result.record)

Sources: Silver et al. (2016, 2017); UCT — Kocsis & Szepesvári (2006);
PUCT — Rosin (2011); Elo/Bradley–Terry ratings — Elo (1978), Bradley &
Terry (1952); the Connect-N solver — Pascal Pons, "Solving Connect 4".
"""

from __future__ import annotations

import dataclasses
import math
import os
from ctypes import byref, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint64, create_string_buffer
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import _lib
from ._arrays import DTypeError, as_bool, as_count, as_seed
from ._lib import InvalidArgumentError, NativeObject
from .game_players import ArenaResult, MatchRecord, Player, _NativePlayer
from .games import Game

__all__ = ["SelfPlayConfig", "recommended_config", "SelfPlayPipeline", "Progress", "Checkpoint", "Evaluation", "Rating",
           "PipelinePlayer", "MistakeReport", "mistake_rate", "LadderConfig", "Rung", "ladder", "STAGES"]

#: Stage numbers of :class:`Progress` and :class:`Checkpoint` and their names.
STAGES = {1: "supervised", 2: "self_play", 3: "value", 4: "alphazero", 5: "evaluation", 6: "done"}


def _doc(default, text: str):
    return field(default=default, metadata={"doc": text})


@dataclass
class SelfPlayConfig:
    """Settings of :class:`SelfPlayPipeline` (``swiftpg_alphago_config``).
    The defaults are the library's; :func:`recommended_config` gives the
    settings measured to reach perfect play on tic-tac-toe and Connect-3
    (4×4, 4×5) (``bench/alphago_small_games.py``). ``describe()`` prints
    every field; a test compares the defaults with the library's."""

    hidden: tuple = _doc((128, 128), "MLP hidden widths of both networks (at most 8 layers, 1–1024 each)")
    conv_channels: tuple = _doc((), "3×3 convolution channels, 1–256 each (non-empty: ConvNet trunks instead of the MLP)")
    expert_games: int = _doc(3000, "random games whose distinct positions the expert labels (step 1)")
    expert_simulations: int = _doc(2000, "UCT budget of the expert for games without an exact solver or with "
                                         "more than 25 cells")
    held_out_share: float = _doc(0.1, "share of the expert positions held out for top-1 accuracy")
    supervised_epochs: int = _doc(40, "SL epochs (one step each)")
    supervised_minibatch: int = _doc(64, "SL minibatch size")
    supervised_learning_rate: float = _doc(3e-3, "SL Adam step size")
    selfplay_iterations: int = _doc(50, "REINFORCE self-play iterations (step 2; 0 skips it)")
    selfplay_games: int = _doc(64, "games per self-play iteration (half with the learner first)")
    selfplay_learning_rate: float = _doc(1e-4, "self-play Adam step size (ascent)")
    snapshot_interval: int = _doc(10, "a pool snapshot and a checkpoint every k iterations")
    pool_capacity: int = _doc(64, "former selves kept in the opponent pool")
    evaluation_games: int = _doc(200, "RL-vs-SL games (both sampling) at each snapshot (0: none)")
    value_games: int = _doc(4000, "self-play games of the RL policy, one position kept from each (step 3; one "
                                  "batch: games × the network's summed widths must stay under 2^28)")
    value_epochs: int = _doc(30, "value-network epochs")
    value_minibatch: int = _doc(64, "value-network minibatch size")
    value_learning_rate: float = _doc(1e-3, "value-network Adam step size")
    value_held_out_share: float = _doc(0.1, "share of the value positions held out for the MSE")
    alphazero_iterations: int = _doc(0, "AlphaZero iterations after step 3 (0: none)")
    alphazero_games: int = _doc(32, "search self-play games per AlphaZero iteration")
    alphazero_temperature_moves: int = _doc(4, "plies per game sampled from the visit counts")
    alphazero_epochs: int = _doc(4, "AlphaZero passes over each iteration's positions")
    alphazero_minibatch: int = _doc(64, "AlphaZero minibatch size")
    alphazero_learning_rate: float = _doc(1e-3, "AlphaZero Adam step size (both networks)")
    alphazero_simulations: int = _doc(50, "PUCT simulations per AlphaZero self-play move")
    alphazero_c_puct: float = _doc(1.5, "c_puct of the AlphaZero search")
    alphazero_dirichlet_alpha: float = _doc(0.3, "Dirichlet α of the root noise")
    alphazero_dirichlet_epsilon: float = _doc(0.25, "share ε of the root noise")
    search_simulations: int = _doc(200, "PUCT simulations of the evaluated search (step 4)")
    search_c_puct: float = _doc(1.5, "c_puct of the evaluated search")
    search_rollout_weight: float = _doc(0.0, "λ: leaf value (1 − λ)·V + λ·(random rollout outcome)")
    solver_games: int = _doc(20, "games of the raw policy and of the search against the solver (0: none; only "
                                 "on boards of at most 25 cells)")
    measure_mistakes: bool = _doc(True, "measure the mistake rates in the evaluation (games with a solver)")
    elo_games_per_pair: int = _doc(0, "round-robin games per pair for the Elo fit of the checkpoints (0: none)")
    seed: int = _doc(0, "seeds networks, data, games and shuffles: the same seed replays the run")

    def replace(self, **changes) -> "SelfPlayConfig":
        """A copy with ``changes``; unknown fields raise InvalidArgumentError."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise InvalidArgumentError(f"unknown SelfPlayConfig field(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    @classmethod
    def describe(cls) -> str:
        """One line per field: name, default, meaning."""
        return "\n".join(f"{f.name} = {f.default!r}: {f.metadata['doc']}" for f in dataclasses.fields(cls))

    def to_c(self) -> _lib.AlphaGoConfigC:
        """The C struct; raises DTypeError / InvalidArgumentError for a field
        of the wrong type or outside the struct (the library checks ranges)."""
        c = _lib.AlphaGoConfigC()
        _lib.call("alphago_default_config", byref(c))
        for name, key in (("hidden", "hidden"), ("conv_channels", "conv_channels")):
            layers = getattr(self, name)
            if not isinstance(layers, (tuple, list)):
                raise DTypeError(f"{name} must be a tuple of ints, got {layers!r}")
            if len(layers) > _lib.SELFPLAY_MAX_LAYERS:
                raise InvalidArgumentError(f"{name} has {len(layers)} layers; at most {_lib.SELFPLAY_MAX_LAYERS}")
            arr = getattr(c, key)
            for i in range(_lib.SELFPLAY_MAX_LAYERS):
                arr[i] = as_count(layers[i], f"{name}[{i}]", 1, 2**31 - 1) if i < len(layers) else 0
            setattr(c, "num_hidden" if name == "hidden" else "num_conv", len(layers))
        for f in dataclasses.fields(self):
            if f.name in ("hidden", "conv_channels"):
                continue
            v = getattr(self, f.name)
            if f.name == "seed":
                c.seed = as_seed(v)
            elif f.name == "measure_mistakes":
                c.measure_mistakes = int(as_bool(v, f.name))
            elif isinstance(f.default, float):
                if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                    raise DTypeError(f"{f.name} must be a float, got {v!r}")
                setattr(c, f.name, float(v))
            else:
                setattr(c, f.name, as_count(v, f.name, 0, 2**31 - 1))
        return c

    @classmethod
    def library_defaults(cls) -> "SelfPlayConfig":
        """The defaults the library reports (``swiftpg_alphago_default_config``)."""
        c = _lib.AlphaGoConfigC()
        _lib.call("alphago_default_config", byref(c))
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name == "hidden":
                values[f.name] = tuple(c.hidden[i] for i in range(c.num_hidden))
            elif f.name == "conv_channels":
                values[f.name] = tuple(c.conv_channels[i] for i in range(c.num_conv))
            elif f.name == "measure_mistakes":
                values[f.name] = bool(c.measure_mistakes)
            else:
                values[f.name] = getattr(c, f.name)
        return cls(**values)


def recommended_config(game: Game) -> SelfPlayConfig:
    """The settings measured with ``bench/alphago_small_games.py`` on a
    2-core machine: tic-tac-toe, and Connect-3 on boards of at most 20
    cells (4×4, 4×5), where the pipeline trains in minutes (4×5, seed 0,
    quiet machine: 207 s) and its search makes no or almost no mistakes
    (4×5: 0–1 of about 2,000 positions at 800 simulations), its raw policy
    below 1 % (0.5–0.7 %); the library's defaults for any other game."""
    if not isinstance(game, Game):
        raise DTypeError(f"game must be a swiftpg.games.Game, got {game!r}")
    if game.name == "tic_tac_toe":
        return SelfPlayConfig(**_RECOMMENDED["tic_tac_toe"])
    p = game.get_parameters()
    if game.name == "connect_four" and p.get("x_in_row") == 3 and p.get("rows", 6) * p.get("columns", 7) <= 20:
        return SelfPlayConfig(**_RECOMMENDED["connect3_small"])
    return SelfPlayConfig()


#: The measured settings behind :func:`recommended_config`. Connect-3: the
#: 2^20 random games meet most of the board's positions (4×5 has 308,455
#: unfinished ones), each labelled by the solver, nearly all trained on; 60
#: epochs of the 256×256 MLP bring the raw policy's mistake rate on 4×5 below
#: 1 % (60,000 games and 60 epochs left 2.5–3.6 %, 40 epochs 0.5–1.7 %).
_RECOMMENDED: dict[str, dict[str, Any]] = {
    "tic_tac_toe": dict(expert_games=20000, held_out_share=0.01, supervised_epochs=100, search_simulations=200,
                        search_rollout_weight=0.5),
    "connect3_small": dict(hidden=(256, 256), expert_games=1 << 20, held_out_share=0.001, supervised_epochs=60,
                           search_simulations=800, search_rollout_weight=0.5),
}


@dataclass(frozen=True)
class Progress:
    """What one :meth:`SelfPlayPipeline.step` did. Metrics the step did not
    measure are NaN. ``stage`` is a name of :data:`STAGES`."""

    stage: str
    iteration: int
    iterations: int
    num_checkpoints: int
    done: bool
    seconds: float
    train_accuracy: float
    held_out_accuracy: float
    held_out_loss: float
    score_vs_opponent: float
    score_vs_supervised: float
    value_train_mse: float
    value_held_out_mse: float
    value_exact_mse: float
    policy_loss: float
    value_loss: float

    def __str__(self) -> str:
        parts = [f"{self.stage} {self.iteration}/{self.iterations}", f"{self.seconds:.1f}s"]
        for name in ("held_out_accuracy", "score_vs_opponent", "score_vs_supervised", "value_held_out_mse",
                     "value_exact_mse", "policy_loss", "value_loss"):
            v = getattr(self, name)
            if not math.isnan(v):
                parts.append(f"{name} {v:.4f}")
        return "  ".join(parts)


@dataclass(frozen=True)
class Checkpoint:
    """A file the pipeline wrote: a board policy or value network."""

    path: str
    is_policy: bool
    stage: str
    iteration: int


@dataclass(frozen=True)
class Rating:
    """An Elo rating of the evaluation's round robin (random anchored at 0)."""

    label: str
    rating: float
    error: float


def _record(values) -> ArenaResult | None:
    v = list(values)
    if v[0] < 0:
        return None
    return ArenaResult(MatchRecord(*v[0:3]), MatchRecord(*v[3:6]), MatchRecord(*v[6:9]))


@dataclass(frozen=True)
class Evaluation:
    """The pipeline's final evaluation: the raw policy (greedy) and the
    search against the solver (None when not played), their mistake counts
    (None when not measured) and the Elo ratings."""

    raw_vs_solver: ArenaResult | None
    search_vs_solver: ArenaResult | None
    raw_positions: int | None
    raw_mistakes: int | None
    search_positions: int | None
    search_mistakes: int | None
    ratings: list = field(default_factory=list)

    @property
    def raw_mistake_rate(self) -> float:
        return self.raw_mistakes / self.raw_positions if self.raw_positions and self.raw_mistakes is not None \
            else math.nan

    @property
    def search_mistake_rate(self) -> float:
        return self.search_mistakes / self.search_positions \
            if self.search_positions and self.search_mistakes is not None else math.nan


class PipelinePlayer(Player):
    """A player made from a pipeline's networks (:meth:`SelfPlayPipeline.player`):
    usable with :func:`swiftpg.game_players.arena`, :func:`ladder` and
    :func:`mistake_rate` on the pipeline's game only."""

    def __init__(self, native: _NativePlayer, game: Game, label: str):
        self._init()
        self._natives[game] = native
        self._game = game
        self._label = label

    def native(self, game: Game) -> _NativePlayer:
        if not isinstance(game, Game):
            raise DTypeError(f"game must be a swiftpg.games.Game, got {game!r}")
        if game != self._game:
            raise InvalidArgumentError(f"this player was made for {self._game!r}, not {game!r}")
        return self._natives[self._game]

    def close(self) -> None:
        """Frees the native player; idempotent (it cannot be used afterwards)."""
        with self._lock:
            for p in self._natives.values():
                p.close()

    def __reduce__(self):
        raise TypeError("a PipelinePlayer holds native networks; save the pipeline's checkpoints instead")

    def __repr__(self) -> str:
        return f"PipelinePlayer({self._label})"


class SelfPlayPipeline(NativeObject):
    """AlphaGo's four steps on ``game`` (a :class:`swiftpg.games.Game`),
    checkpoints written into ``directory`` (created with its parents if missing).

    Each :meth:`step` is one native call: an SL epoch, a self-play or
    AlphaZero iteration, the value fit, or the final evaluation; Ctrl-C
    stops the step now running (``CancelledError``'s parent
    KeyboardInterrupt is raised; the pipeline stays at that step).
    Raises DTypeError / InvalidArgumentError for a bad argument before any
    native object is made; IOError-like :class:`swiftpg.SwiftPGError` when
    the directory cannot be created."""

    _kind_name = "self-play pipeline"

    def __init__(self, game: Game, directory: str | os.PathLike, config: SelfPlayConfig | None = None):
        if not isinstance(game, Game):
            raise DTypeError(f"game must be a swiftpg.games.Game, got {game!r}")
        if config is None:
            config = SelfPlayConfig()
        if not isinstance(config, SelfPlayConfig):
            raise DTypeError(f"config must be a SelfPlayConfig, got {config!r}")
        if not isinstance(directory, (str, os.PathLike)):
            raise DTypeError(f"directory must be a path, got {directory!r}")
        path = os.fsencode(directory)
        if not path or len(path) > 4096 or b"\0" in path:
            raise InvalidArgumentError("directory must be a path of 1 to 4096 bytes without NUL")
        c = config.to_c()
        self.game = game
        self.config = config
        handle = c_uint64()
        with game.new_batch(1) as batch:
            _lib.call("alphago_create", batch.handle, byref(c), path, byref(handle))
        self._adopt(handle.value, "swiftpg_alphago_destroy")
        self.done = False

    def step(self) -> Progress:
        """Runs the next step; raises InvalidArgumentError once done."""
        out = _lib.AlphaGoProgressC()
        with self._busy:
            _lib.call_interruptible("alphago_step", self.handle, self.handle, byref(out))
        self.done = bool(out.done)
        return Progress(STAGES.get(out.stage, str(out.stage)), out.iteration, out.iterations, out.num_checkpoints,
                        bool(out.done), out.seconds, out.train_accuracy, out.held_out_accuracy, out.held_out_loss,
                        out.score_vs_opponent, out.score_vs_supervised, out.value_train_mse,
                        out.value_held_out_mse, out.value_exact_mse, out.policy_loss, out.value_loss)

    def run(self, callback: Callable[[Progress], object] | None = None) -> list[Progress]:
        """Runs every remaining step, calling ``callback(progress)`` after
        each (a return value of False stops early). Returns the progress list."""
        if callback is not None and not callable(callback):
            raise DTypeError(f"callback must be callable, got {callback!r}")
        out = []
        while not self.done:
            p = self.step()
            out.append(p)
            if callback is not None and callback(p) is False:
                break
        return out

    @property
    def checkpoints(self) -> list[Checkpoint]:
        """The checkpoints written so far, in order."""
        n = c_int32()
        with self._busy:
            _lib.call("alphago_checkpoint_count", self.handle, byref(n))
            out = []
            for i in range(n.value):
                length = c_size_t()
                info = (c_int32 * 3)()
                buf = create_string_buffer(4097)
                _lib.call("alphago_checkpoint", self.handle, i, buf, 4097, byref(length), info)
                out.append(Checkpoint(os.fsdecode(buf.value), bool(info[0]), STAGES.get(info[1], str(info[1])),
                                      info[2]))
        return out

    def evaluation(self) -> Evaluation | None:
        """The final evaluation, or None before the evaluation stage ran."""
        e = _lib.AlphaGoEvaluationC()
        with self._busy:
            _lib.call("alphago_evaluation_summary", self.handle, byref(e))
            if not e.evaluated:
                return None
            ratings = []
            for i in range(e.num_ratings):
                length = c_size_t()
                buf = create_string_buffer(4097)
                r, s = c_double(), c_double()
                _lib.call("alphago_rating", self.handle, i, buf, 4097, byref(length), byref(r), byref(s))
                ratings.append(Rating(buf.value.decode(), r.value, s.value))

        def count(v):
            return None if v < 0 else int(v)

        return Evaluation(_record(e.raw_vs_solver), _record(e.search_vs_solver), count(e.raw_positions),
                          count(e.raw_mistakes), count(e.search_positions), count(e.search_mistakes), ratings)

    def player(self, simulations: int = 1) -> PipelinePlayer:
        """A player from copies of the current networks: ``simulations`` 1,
        the raw policy's most probable move; more, PUCT with both networks
        (the config's c_puct and λ), most visited move."""
        simulations = as_count(simulations, "simulations", 1, 2**20)
        handle = c_uint64()
        with self._busy:
            _lib.call("alphago_player", self.handle, simulations, byref(handle))
        native = _NativePlayer.__new__(_NativePlayer)
        native._adopt(handle.value, "swiftpg_player_destroy")
        label = "raw policy" if simulations == 1 else f"puct({simulations})"
        return PipelinePlayer(native, self.game, label)


@dataclass(frozen=True)
class MistakeReport:
    """Counts of :func:`mistake_rate`. ``positions_by_ply[k]`` /
    ``mistakes_by_ply[k]`` (int64 arrays [max_game_length]) count the
    positions with k stones on the board."""

    positions: int
    mistakes: int
    lost_wins: int
    lost_draws: int
    positions_first: int
    mistakes_first: int
    positions_second: int
    mistakes_second: int
    positions_by_ply: np.ndarray
    mistakes_by_ply: np.ndarray

    @property
    def rate(self) -> float:
        """mistakes / positions (0 without positions)."""
        return self.mistakes / self.positions if self.positions else 0.0

    def rate_by_stage(self, stages: int = 3) -> list[float]:
        """Mistake rates over ``stages`` equal ranges of plies (opening,
        middle game, endgame for 3); NaN for a range without positions."""
        stages = as_count(stages, "stages", 1, len(self.positions_by_ply))
        edges = np.linspace(0, len(self.positions_by_ply), stages + 1).round().astype(int)
        out = []
        for a, b in zip(edges[:-1], edges[1:]):
            p = int(self.positions_by_ply[a:b].sum())
            out.append(int(self.mistakes_by_ply[a:b].sum()) / p if p else math.nan)
        return out


_SIDES = {"first": 1, "second": 2, "both": 3}


def _player_native(game: Game, player) -> _NativePlayer:
    if not isinstance(game, Game):
        raise DTypeError(f"game must be a swiftpg.games.Game, got {game!r}")
    if not isinstance(player, Player):
        raise DTypeError(f"player must be a swiftpg.game_players.Player (native), got {player!r}")
    return player.native(game)


def mistake_rate(game: Game, player, sides: str = "both", seed: int = 0) -> MistakeReport:
    """The mistake rate of ``player`` on ``game`` (tic-tac-toe or Connect-N
    with x_in_row ≥ 2): the share of its moves whose exact outcome is worse
    than the best move's, over all distinct positions reachable when it
    plays ``sides`` ("first", "second" or "both") against any opponent. Its
    random choices at a position come from (``seed``, the position), so it
    makes one fixed choice per position; a sampling player is measured on
    one sample per position. Ctrl-C stops it. Raises NotSupportedError for
    a game without an exact solver, DTypeError / InvalidArgumentError for
    bad arguments."""
    native = _player_native(game, player)
    if not isinstance(sides, str):
        raise DTypeError(f"sides must be 'first', 'second' or 'both', got {sides!r:.100}")
    if sides not in _SIDES:
        raise InvalidArgumentError(f"sides must be 'first', 'second' or 'both', got {sides!r}")
    seed = as_seed(seed)
    n = game.max_game_length()
    by_ply = np.zeros(n, dtype=np.int64)
    mistakes = np.zeros(n, dtype=np.int64)
    r = _lib.MistakeReportC()
    with game.new_batch(1) as batch, native._busy:
        _lib.call_interruptible("mistake_rate", (batch.handle, native.handle), native.handle, batch.handle,
                                _SIDES[sides], seed, byref(r), by_ply.ctypes.data, mistakes.ctypes.data)
    return MistakeReport(r.positions, r.mistakes, r.lost_wins, r.lost_draws, r.positions_first, r.mistakes_first,
                         r.positions_second, r.mistakes_second, by_ply, mistakes)


@dataclass
class LadderConfig:
    """The rungs of :func:`ladder` (``swiftpg_ladder_config``)."""

    games_per_rung: int = _doc(20, "games against each opponent, half from each seat")
    random: bool = _doc(True, "include the uniformly random player")
    mcts_base: int = _doc(10, "b of the UCT budgets b·10^(n/2)")
    mcts_rungs: int = _doc(4, "n = 0 … mcts_rungs − 1 (0: no MCTS rung)")
    mcts_c: float = _doc(2.0, "UCT's exploration constant (OpenSpiel's default 2)")
    minimax_depths: tuple = _doc((1, 2, 4), "minimax depths (at most 8, each 1–64)")
    solver: bool = _doc(True, "include the perfect solver (skipped for a game without one)")
    seed: int = _doc(0, "rung k plays with the k-th draw of SplitMix64(seed)")

    def to_c(self) -> _lib.LadderConfigC:
        c = _lib.LadderConfigC()
        _lib.call("ladder_default_config", byref(c))
        c.games_per_rung = as_count(self.games_per_rung, "games_per_rung", 1, 2**20)
        c.random = int(as_bool(self.random, "random"))
        c.mcts_base = as_count(self.mcts_base, "mcts_base", 1, 2**20)
        c.mcts_rungs = as_count(self.mcts_rungs, "mcts_rungs", 0, 16)
        if isinstance(self.mcts_c, bool) or not isinstance(self.mcts_c, (int, float, np.integer, np.floating)):
            raise DTypeError(f"mcts_c must be a float, got {self.mcts_c!r}")
        c.mcts_c = float(self.mcts_c)
        depths = self.minimax_depths
        if not isinstance(depths, (tuple, list)):
            raise DTypeError(f"minimax_depths must be a tuple of ints, got {depths!r}")
        if len(depths) > 8:
            raise InvalidArgumentError(f"at most 8 minimax depths, got {len(depths)}")
        c.num_minimax_depths = len(depths)
        for i in range(8):
            c.minimax_depths[i] = as_count(depths[i], f"minimax_depths[{i}]", 1, 64) if i < len(depths) else 0
        c.solver = int(as_bool(self.solver, "solver"))
        c.seed = as_seed(self.seed)
        return c

    @classmethod
    def library_defaults(cls) -> "LadderConfig":
        """The defaults the library reports (``swiftpg_ladder_default_config``)."""
        c = _lib.LadderConfigC()
        _lib.call("ladder_default_config", byref(c))
        return cls(c.games_per_rung, bool(c.random), c.mcts_base, c.mcts_rungs, c.mcts_c,
                   tuple(c.minimax_depths[i] for i in range(c.num_minimax_depths)), bool(c.solver), c.seed)


_RUNG_KINDS = {0: "random", 1: "mcts", 2: "minimax", 3: "solver"}


@dataclass(frozen=True)
class Rung:
    """One opponent of the ladder — ``kind`` "random", "mcts" (``parameter``
    simulations), "minimax" (``parameter`` depth) or "solver" — and the
    player's results against it (from the player's side)."""

    kind: str
    parameter: int
    result: ArenaResult

    @property
    def label(self) -> str:
        if self.kind == "mcts":
            return f"mcts({self.parameter})"
        if self.kind == "minimax":
            return f"minimax({self.parameter})"
        return self.kind


def ladder(game: Game, player, config: LadderConfig | None = None) -> list[Rung]:
    """Plays ``player`` (a native :class:`swiftpg.game_players.Player`)
    against the rungs of ``config`` on ``game``: random, UCT at
    ``mcts_base``·10^(n/2) simulations, minimax at each depth, the solver —
    in one native call (Ctrl-C stops it). Raises DTypeError /
    InvalidArgumentError for bad arguments."""
    native = _player_native(game, player)
    if config is None:
        config = LadderConfig()
    if not isinstance(config, LadderConfig):
        raise DTypeError(f"config must be a LadderConfig, got {config!r}")
    c = config.to_c()
    rungs = (_lib.LadderRungC * _lib.LADDER_MAX_RUNGS)()
    n = c_int32()
    with game.new_batch(1) as batch, native._busy:
        _lib.call_interruptible("ladder_play", (batch.handle, native.handle), native.handle, batch.handle, byref(c),
                                rungs, _lib.LADDER_MAX_RUNGS, byref(n))
    # Every rung the native ladder reports was played (a record without games is not reported).
    return [Rung(_RUNG_KINDS[r.kind], r.parameter, result) for r in rungs[:n.value]
            if (result := _record(r.record)) is not None]
