"""Opponents for two-player games, matches between them, Elo ratings, and the
Connect-N solver from Python (issue 17).

Players (each usable with any game of :mod:`swiftpg.games` that has them):

* :class:`RandomPlayer` — a uniformly random legal move.
* :class:`MinimaxPlayer` ``(depth)`` — negamax with alpha–beta to ``depth``
  plies; at the horizon the heuristic "open lines weighted by stones"
  (n² for each line of ``x_in_row`` cells holding n stones of one player
  only, player 0's minus player 1's, squashed into (−1, 1)). Tic-tac-toe at
  depth 9 is exact.
* :class:`MCTSPlayer` ``(simulations, c)`` — UCT with random rollouts,
  ``simulations`` per move (OpenSpiel's evaluations compare budgets
  base·10^(n/2): :func:`mcts_budgets`), exploration constant ``c``
  (OpenSpiel's default 2).
* :class:`SolverPlayer` — the perfect player: Connect-N by a Pons-style
  bitboard solver (a column of the best exact score), tic-tac-toe by exact
  negamax over the whole game.
* any Python callable ``f(state) -> action`` (it gets a clone of the
  :class:`swiftpg.games.State`).

Every player breaks ties between equally good moves at random from the
seed it is given, so :func:`arena` and :func:`elo` replay exactly given
their seeds. Matches between native players run inside one native call
(Ctrl-C stops them, between moves or inside a player's search); a Python
callable makes the match a Python loop over :meth:`State.apply_action`.

Sources: UCT — Kocsis & Szepesvári, "Bandit based Monte-Carlo Planning"
(2006); the solver — Pascal Pons, "Solving Connect 4" (blog.gamesolver.org);
ratings — Bradley & Terry (1952), Elo (1978); score intervals — Wilson
(1927).
"""

from __future__ import annotations

import math
import threading
from ctypes import byref, c_int32, c_int64, c_uint64
from dataclasses import dataclass

import numpy as np

from . import _lib
from ._arrays import DTypeError, as_count, as_float, as_seed, asarray, c_array
from ._lib import InvalidArgumentError, NativeObject
from .games import Game, State, load

__all__ = ["Player", "RandomPlayer", "MinimaxPlayer", "MCTSPlayer", "SolverPlayer", "MatchRecord", "ArenaResult",
           "EloResult", "arena", "elo", "fit_elo", "mcts_budgets", "ConnectFourSolver", "connect_four_solver",
           "solve", "Solution"]

_MASK64 = 2**64 - 1


def _mix(seed: int, *values: int) -> int:
    """A 64-bit seed derived from ``seed`` and ``values`` (SplitMix64's
    finaliser over each in turn): different for every (seed, values)."""
    z = seed
    for v in values:
        z = (z + 0x9E3779B97F4A7C15 + v * 0xD1B54A32D192ED03) & _MASK64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        z ^= z >> 31
    return z


class _NativePlayer(NativeObject):
    """One native player handle, made for one game."""

    _kind_name = "game player"

    def __init__(self, create: str, game: Game, *args):
        handle = c_uint64()
        with game.new_batch(1) as batch:
            _lib.call(create, batch.handle, *args, byref(handle))
        self._adopt(handle.value, "swiftpg_player_destroy")


class Player:
    """Base of the native players: a description of a player, made native
    for each game it plays (one native handle per game, kept until
    :meth:`close`; a solver's table stays warm across calls). A player is
    for one thread at a time."""

    _create = ""

    def __init__(self):
        raise DTypeError("Player is an abstract base class; create RandomPlayer, MinimaxPlayer, MCTSPlayer or "
                         "SolverPlayer")

    def _init(self) -> None:
        self._natives: dict[Game, _NativePlayer] = {}
        self._lock = threading.Lock()

    def _args(self) -> tuple:
        return ()

    def native(self, game: Game) -> _NativePlayer:
        """The native handle of this player for ``game`` (made on first use).
        Raises NotSupportedError when the game has no such player (e.g. no
        solver for Connect-N with x_in_row = 1)."""
        if not isinstance(game, Game):
            raise DTypeError(f"game must be a swiftpg.games.Game, got {game!r}")
        with self._lock:
            player = self._natives.get(game)
            if player is None or player.closed:
                player = self._natives[game] = _NativePlayer(self._create, game, *self._args())
            return player

    def action(self, state: State, seed: int = 0) -> int:
        """This player's move in ``state`` (not finished), its random choices
        drawn from ``seed``: the same state and seed give the same move.
        Raises InvalidArgumentError for a finished game, CancelledError when
        stopped (Ctrl-C stops a long search)."""
        if not isinstance(state, State):
            raise DTypeError(f"state must be a swiftpg.games.State, got {state!r}")
        seed = as_seed(seed)
        player = self.native(state.game)
        out = c_int32()
        with player._busy, state._busy:
            _lib.call_interruptible("player_action", player.handle, player.handle, state.handle, 0, seed,
                                    byref(out))
        return out.value

    def __call__(self, state: State) -> int:
        return self.action(state)

    def close(self) -> None:
        """Frees the native handles; idempotent (the player can be used
        again: it makes new ones)."""
        with self._lock:
            for p in self._natives.values():
                p.close()
            self._natives.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __reduce__(self):
        return type(self)._restore, (self._args(),)

    @classmethod
    def _restore(cls, args):
        return cls(*args)


class RandomPlayer(Player):
    """A uniformly random legal move."""

    _create = "player_create_random"

    def __init__(self):
        self._init()

    def __repr__(self) -> str:
        return "RandomPlayer()"


class MinimaxPlayer(Player):
    """Negamax with alpha–beta pruning to ``depth`` plies (1 ≤ depth ≤ 64)
    and the game's heuristic at the horizon (open lines weighted by their
    stones, see the module). Cost grows as branching^depth per move: depth
    4 on Connect Four is a few milliseconds a move."""

    _create = "player_create_minimax"

    def __init__(self, depth: int = 4):
        self.depth = as_count(depth, "depth", 1, 64)
        self._init()

    def _args(self) -> tuple:
        return (self.depth,)

    def __repr__(self) -> str:
        return f"MinimaxPlayer(depth={self.depth})"


class MCTSPlayer(Player):
    """UCT with uniformly random rollouts: ``simulations`` (1 ≤ n ≤ 2^20)
    descents per move, exploration constant ``c`` (finite, ≥ 0), the most
    visited move played. Memory during a move: about simulations ×
    branching tree nodes."""

    _create = "player_create_mcts"

    def __init__(self, simulations: int = 1000, c: float = 2.0):
        self.simulations = as_count(simulations, "simulations", 1, 1 << 20)
        self.c = as_float(c, "c")
        if not (math.isfinite(self.c) and self.c >= 0):
            raise InvalidArgumentError(f"c must be finite and >= 0, got {self.c}")
        self._init()

    def _args(self) -> tuple:
        return (self.simulations, self.c)

    def __repr__(self) -> str:
        return f"MCTSPlayer(simulations={self.simulations}, c={self.c})"


class SolverPlayer(Player):
    """The perfect player: wins whenever the position is won (as fast as
    possible), else draws, else loses as late as possible. Connect-N needs
    x_in_row ≥ 2 (its table takes 75 MB on boards of 36 cells or more); on
    6×7 a move early in the game takes seconds to minutes."""

    _create = "player_create_solver"

    def __init__(self):
        self._init()

    def __repr__(self) -> str:
        return "SolverPlayer()"


def mcts_budgets(base: int = 10, count: int = 7) -> list[int]:
    """OpenSpiel's MCTS evaluation budgets ``base · 10^(n/2)`` for n = 0 ..
    count − 1, rounded: ``mcts_budgets(10, 5)`` is [10, 32, 100, 316, 1000]."""
    base = as_count(base, "base")
    count = as_count(count, "count", 1, 20)
    return [int(round(base * 10 ** (n / 2))) for n in range(count)]


@dataclass(frozen=True)
class MatchRecord:
    """Wins, draws and losses of one player against another."""

    wins: int = 0
    draws: int = 0
    losses: int = 0

    def __post_init__(self):
        for name in ("wins", "draws", "losses"):
            object.__setattr__(self, name, as_count(getattr(self, name), name, 0, 2**62))

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def score(self) -> float:
        """Mean score per game: a win 1, a draw ½, a loss 0 (0 with no games)."""
        return (self.wins + 0.5 * self.draws) / self.games if self.games else 0.0

    def interval(self, z: float = 1.959963984540054) -> tuple[float, float]:
        """The Wilson score interval of :attr:`score` (Wilson 1927), draws as
        half a win, at normal quantile ``z`` (1.96: 95 %); (0, 1) with no
        games. (The same formula as MatchRecord.scoreInterval in
        Sources/SwiftPG/Games/Ratings.swift.)"""
        z = as_float(z, "z")
        if not (math.isfinite(z) and z > 0):
            raise InvalidArgumentError(f"z must be finite and > 0, got {z}")
        n = self.games
        if n == 0:
            return (0.0, 1.0)
        p, z2 = self.score, z * z
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
        return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class ArenaResult:
    """A match from player A's side: :attr:`record` over all games,
    :attr:`as_first` over the games A moved first, :attr:`as_second` the
    others. ``wins``, ``draws``, ``losses``, ``games``, ``score`` and
    ``interval`` (95 % Wilson interval of the score) are the record's."""

    record: MatchRecord
    as_first: MatchRecord
    as_second: MatchRecord

    wins = property(lambda self: self.record.wins)
    draws = property(lambda self: self.record.draws)
    losses = property(lambda self: self.record.losses)
    games = property(lambda self: self.record.games)
    score = property(lambda self: self.record.score)
    interval = property(lambda self: self.record.interval())


def _as_player(p, name: str):
    if isinstance(p, Player) or callable(p):
        return p
    raise DTypeError(f"{name} must be a swiftpg.game_players.Player or a callable f(state) -> action, got {p!r}")


def _python_match(game: Game, a, b, games: int, seed: int) -> ArenaResult:
    """The match as a Python loop (some player is a Python callable)."""
    counts = {True: [0, 0, 0], False: [0, 0, 0]}
    for i in range(games):
        a_first = i % 2 == 0
        with game.new_initial_state() as state:
            ply = 0
            while not state.is_terminal():
                a_moves = (state.current_player() == 0) == a_first
                player = a if a_moves else b
                if isinstance(player, Player):
                    action = player.action(state, _mix(seed, i, ply))
                else:
                    with state.clone() as view:
                        action = player(view)
                    if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
                        raise DTypeError(f"player {'a' if a_moves else 'b'} returned {action!r}, not an int action")
                try:
                    state.apply_action(int(action))
                except InvalidArgumentError as e:
                    raise InvalidArgumentError(f"player {'a' if a_moves else 'b'} chose an illegal move: {e}") from None
                ply += 1
            r = state.returns()[0 if a_first else 1]
        counts[a_first][0 if r > 0 else (1 if r == 0 else 2)] += 1
    first, second = MatchRecord(*counts[True]), MatchRecord(*counts[False])
    total = MatchRecord(first.wins + second.wins, first.draws + second.draws, first.losses + second.losses)
    return ArenaResult(total, first, second)


def arena(game: Game, a, b, games: int = 100, seed: int = 0) -> ArenaResult:
    """Plays ``games`` games of ``game`` between players ``a`` and ``b``
    from the start, alternating colours: ``a`` moves first in games 0, 2,
    4, …. Returns an :class:`ArenaResult` from ``a``'s side (wins, draws,
    losses, score, 95 % interval, and per colour).

    ``a``, ``b``: :class:`Player` objects (the match runs in one native
    call; Ctrl-C stops it, also inside a search) or Python callables
    ``f(state) -> action`` (a Python loop). The same seed replays the
    match. Raises InvalidArgumentError for games outside [1, 2^24] or an
    illegal move of a callable (naming it), NotSupportedError for a player
    the game has none of."""
    if isinstance(game, str):
        game = load(game)
    if not isinstance(game, Game):
        raise DTypeError(f"game must be a swiftpg.games.Game or its name, got {game!r}")
    a, b = _as_player(a, "a"), _as_player(b, "b")
    games = as_count(games, "games", 1, 1 << 24)
    seed = as_seed(seed)
    if not (isinstance(a, Player) and isinstance(b, Player)):
        return _python_match(game, a, b, games, seed)
    pa, pb = a.native(game), b.native(game)
    out = (c_int32 * 9)()
    with game.new_batch(1) as batch, batch._busy:
        _lib.call_interruptible("arena_play", (batch.handle, pa.handle, pb.handle), batch.handle, pa.handle,
                                pb.handle, games, seed, out)
    r = [MatchRecord(*out[3 * k:3 * k + 3]) for k in range(3)]
    return ArenaResult(*r)


@dataclass(frozen=True)
class EloResult:
    """Elo ratings of a round robin: ``ratings`` float64 ``[n]`` (player
    ``anchor`` at 0), ``standard_errors`` float64 ``[n]`` (of each rating
    minus the anchor's), ``records`` int64 ``[n, n, 3]`` (wins, draws,
    losses of i against j from i's side)."""

    ratings: np.ndarray
    standard_errors: np.ndarray
    records: np.ndarray


def fit_elo(records, anchor: int = 0, prior_games: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Elo ratings from match records by the Bradley–Terry maximum-likelihood
    fit: P(i beats j) = 1 / (1 + 10^((R_j − R_i)/400)), a draw half a win.

    ``records``: integers ``[n, n, 3]`` (1 ≤ n ≤ 256), the wins, draws and
    losses of i against j from i's side (both (i, j) and (j, i) count; the
    diagonal must be 0). ``prior_games`` (≥ 0): virtual draws of each player
    against a 0-rated reference, which keeps a player who won or lost every
    game finite; 0 fits the plain maximum likelihood (NumericalError if a
    rating diverges). Returns ``(ratings, standard_errors)``, float64
    ``[n]``, ``ratings[anchor] = 0``. Raises InvalidArgumentError for
    negative counts, games on the diagonal or a player with no chain of
    games to the anchor."""
    r = asarray(records, "records", np.int32)
    if r.dtype.kind not in "iu":
        raise DTypeError(f"records must be an integer array, got dtype {r.dtype}")
    if r.ndim != 3 or r.shape[0] != r.shape[1] or r.shape[2] != 3 or not 1 <= r.shape[0] <= 256:
        raise InvalidArgumentError(f"records must have shape [n, n, 3] with 1 <= n <= 256, got {r.shape}")
    if r.size and (r.min() < 0 or r.max() > 2**31 - 1):
        raise InvalidArgumentError("records must hold counts in [0, 2^31)")
    n = r.shape[0]
    anchor = as_count(anchor, "anchor", 0, n - 1)
    prior = as_float(prior_games, "prior_games")
    r = c_array(r.astype(np.int32), np.int32)
    ratings, errors = np.zeros(n), np.zeros(n)
    _lib.call("elo_fit", r.ctypes.data, n, anchor, prior, ratings.ctypes.data, errors.ctypes.data)
    return ratings, errors


def elo(game: Game, players, games_per_pair: int = 100, seed: int = 0, prior_games: float = 1.0,
        anchor: int = 0) -> EloResult:
    """A round robin between ``players`` (2 to 64; :class:`Player` objects
    or callables), ``games_per_pair`` games per pair (colours alternating),
    then :func:`fit_elo`. Pair (i, j) plays with a seed derived from
    (seed, i, j). Returns an :class:`EloResult`."""
    if isinstance(players, (str, bytes)) or not hasattr(players, "__iter__"):
        raise DTypeError(f"players must be a list of players, got {players!r}")
    players = list(players)
    if not 2 <= len(players) <= 64:
        raise InvalidArgumentError(f"elo needs 2 to 64 players, got {len(players)}")
    for k, p in enumerate(players):
        _as_player(p, f"players[{k}]")
    games_per_pair = as_count(games_per_pair, "games_per_pair", 1, 1 << 24)
    seed = as_seed(seed)
    n = len(players)
    records = np.zeros((n, n, 3), np.int64)
    for i in range(n):
        for j in range(i + 1, n):
            r = arena(game, players[i], players[j], games_per_pair, _mix(seed, i, j))
            records[i, j] = (r.wins, r.draws, r.losses)
            records[j, i] = (r.losses, r.draws, r.wins)
    upper = np.triu(records.transpose(2, 0, 1)).transpose(1, 2, 0)  # each game once
    ratings, errors = fit_elo(upper, anchor=anchor, prior_games=prior_games)
    return EloResult(ratings, errors, records)


@dataclass(frozen=True)
class Solution:
    """Pons' score of a position for the player to move (0 a draw; a win
    (cells + 1 − m)/2 with m the stones before the winning one; a loss the
    same negated) and each column's score (None: a full column)."""

    score: int
    column_scores: list


class ConnectFourSolver:
    """The exact Connect-N solver (Pons' bitboard design: iterative
    null-window negamax, move ordering, transposition table) for boards
    with (rows + 1) · columns ≤ 64 and x_in_row ≥ 2. Its table stays warm
    between calls; :attr:`node_count` counts positions searched. The empty
    6×7 board scores +1 and takes minutes; positions with a dozen stones
    well under a second. Ctrl-C stops a search (KeyboardInterrupt)."""

    def __init__(self, rows: int = 6, columns: int = 7, x_in_row: int = 4):
        self.game = load("connect_four", rows=rows, columns=columns, x_in_row=x_in_row)
        self._player = SolverPlayer()
        self._native = self._player.native(self.game)
        try:
            self.node_count  # NotSupportedError unless the native solver is the Connect-N one (x_in_row >= 2)
        except BaseException:
            self._player.close()
            raise

    def _position(self, position) -> State:
        """A State of this solver's game from a State or a move sequence."""
        if isinstance(position, State):
            if position.game != self.game:
                raise InvalidArgumentError(f"the state is of {position.game!r}, the solver's game is {self.game!r}")
            return position.clone()
        if isinstance(position, str):
            raise DTypeError("position must be a State or a sequence of 0-based columns, not a str")
        try:
            moves = [int(m) if isinstance(m, (int, np.integer)) and not isinstance(m, (bool, np.bool_)) else None
                     for m in position]
        except TypeError:
            raise DTypeError(f"position must be a State or a sequence of 0-based columns, got {position!r}") from None
        if None in moves:
            raise DTypeError(f"moves must be ints (0-based columns), got {position!r}")
        state = self.game.new_initial_state()
        try:
            for k, m in enumerate(moves):
                try:
                    state.apply_action(m)
                except InvalidArgumentError as e:
                    raise InvalidArgumentError(f"move {k} ({m}): {e}") from None
        except BaseException:
            state.close()
            raise
        return state

    def _query(self, name: str, position, out) -> None:
        with self._position(position) as state, self._native._busy, state._busy:
            _lib.call_interruptible(name, self._native.handle, self._native.handle, state.handle, 0, out)

    def score(self, position) -> int:
        """Pons' score of ``position`` (a :class:`State` of this game or a
        sequence of 0-based columns) for the player to move. Raises
        InvalidArgumentError for a finished game or an illegal sequence."""
        out = c_int32()
        self._query("solver_score", position, byref(out))
        return out.value

    def column_scores(self, position) -> list:
        """Each column's score for the player to move (None: full column)."""
        out = (c_int32 * self.game.num_distinct_actions())()
        self._query("solver_column_scores", position, out)
        return [None if v == _lib.SOLVER_NO_SCORE else v for v in out]

    def solve(self, position) -> Solution:
        """:class:`Solution` of ``position``: its score and column scores."""
        scores = self.column_scores(position)
        return Solution(max(s for s in scores if s is not None), scores)

    @property
    def node_count(self) -> int:
        out = c_int64()
        with self._native._busy:
            _lib.call("solver_node_count", self._native.handle, byref(out))
        return out.value

    def close(self) -> None:
        self._player.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def connect_four_solver(rows: int = 6, columns: int = 7, x_in_row: int = 4) -> ConnectFourSolver:
    """A :class:`ConnectFourSolver` for the board (OpenSpiel's parameters)."""
    return ConnectFourSolver(rows, columns, x_in_row)


def solve(state: State) -> Solution:
    """The exact :class:`Solution` of a Connect-N ``state`` (not finished),
    by a solver made for this call (for many positions keep one
    :func:`connect_four_solver`: its table stays warm)."""
    if not isinstance(state, State):
        raise DTypeError(f"state must be a swiftpg.games.State, got {state!r}")
    if state.game.name != "connect_four":
        raise _lib.NotSupportedError(f"solve needs a connect_four state, got {state.game.name}")
    p = state.game.get_parameters()
    with ConnectFourSolver(p["rows"], p["columns"], p["x_in_row"]) as solver:
        return solver.solve(state)
