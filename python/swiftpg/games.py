"""Two-player board games with OpenSpiel's rules and API, in Swift.

``load(name, **params)`` returns a :class:`Game` (OpenSpiel's
``pyspiel.load_game``); ``game.new_initial_state()`` a :class:`State` with
OpenSpiel's per-move methods, and ``game.new_batch(n)`` a :class:`GameBatch`
of n games stepped together with numpy arrays (masks, actions, active flags,
outcomes, observations, network planes) and whole random playouts in one
native call.

Games (names and parameters as OpenSpiel's):

* ``"tic_tac_toe"`` — no parameters.
* ``"connect_four"`` — ``rows`` (6), ``columns`` (7), ``x_in_row`` (4);
  requires (rows + 1) * columns <= 64 and 1 <= x_in_row <= max(rows, columns).
* ``"go"`` — ``board_size`` (9; 5 to 9, where OpenSpiel's default is 19),
  ``komi`` (7.5), ``max_game_length`` (``board_size**2 * 2``; at most 4096),
  ``handicap`` (0 only). Player 0 is black; action ``row * board_size +
  column`` (row 0 the bottom row "1", column 0 "A"), ``board_size**2`` is
  pass. A placement that repeats an earlier board position ends the game
  as a draw (OpenSpiel's rule). ``State.score_margin()`` is black's area
  minus white's minus komi. ``swiftpg.sgf`` writes and reads its games,
  ``swiftpg.gnugo`` plays it against GNU Go.

Conventions (OpenSpiel's): players 0 and 1, player 0 (``x``) moves first;
``current_player()`` is -4 once the game is over; returns are +1 / -1 / 0.
Action ids: tic-tac-toe the cell ``row * 3 + column`` (row 0 on top),
Connect-N the column, Go the point or pass. ``observation_tensor()``
equals pyspiel's (absolute, not egocentric). An illegal move raises :class:`swiftpg.InvalidArgumentError`
and changes nothing — never a silent loss.

Source: the rules are checked move by move against pyspiel (open_spiel
2.0.2) in ``python/tests/test_games.py``.
"""

from __future__ import annotations

import ctypes
from ctypes import byref, c_double, c_uint64
from typing import Any

import numpy as np

from . import _lib
from ._arrays import (DTypeError, as_bool, as_count, as_flags, as_float64, as_seed, asarray, c_array, check_elements,
                      check_shape, first_bad)
from ._lib import InvalidArgumentError, NativeObject, lib

__all__ = ["load", "registered_names", "Game", "State", "GameBatch", "TERMINAL_PLAYER"]

#: OpenSpiel's kTerminalPlayerId: ``current_player()`` of a finished game.
TERMINAL_PLAYER = _lib.GAME_TERMINAL_PLAYER

#: Each game's parameters and their defaults (OpenSpiel's names).
_PARAMETERS: dict[str, dict[str, Any]] = {
    "tic_tac_toe": {},
    "connect_four": {"rows": 6, "columns": 7, "x_in_row": 4},
    "go": {"board_size": 9, "handicap": 0, "komi": 7.5, "max_game_length": None},
}

#: Parameters that are real numbers (the others are ints).
_REAL_PARAMETERS = {"komi"}

try:
    from . import _gamestate
except ImportError as e:  # built beside libswiftpg.so by `make lib`
    raise ImportError("swiftpg._gamestate, the compiled per-move core of swiftpg.games, is missing or does not load "
                      f"({e}); build it with `make lib` in the swiftpg checkout") from e
if _gamestate.ABI_VERSION != _lib.ABI_VERSION:
    raise ImportError(f"swiftpg._gamestate was built for ABI {_gamestate.ABI_VERSION}, the library is ABI "
                      f"{_lib.ABI_VERSION}; rebuild it with `make lib`")


def registered_names() -> list[str]:
    """The names :func:`load` accepts (OpenSpiel's ``registered_names``)."""
    return sorted(_PARAMETERS)


def _as_int(value, name: str, low: int = -(2**31), high: int = 2**31 - 1) -> int:
    """An int in [low, high] (DTypeError for a non-int, InvalidArgumentError
    outside the range)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise DTypeError(f"{name} must be an int, got {value!r}")
    if not low <= value <= high:
        raise InvalidArgumentError(f"{name} must be in [{low}, {high}], got {int(value)}")
    return int(value)


def _as_real(value, name: str) -> float:
    """A finite float (DTypeError for a non-number, InvalidArgumentError for
    nan or infinity)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise DTypeError(f"{name} must be a real number, got {value!r}")
    if not np.isfinite(value):
        raise InvalidArgumentError(f"{name} must be finite, got {value!r}")
    return float(value)


def _parameters(name: str, params: dict) -> dict:
    """The parameters of game ``name`` with defaults filled in, typed."""
    out: dict[str, Any] = {}
    for k, default in _PARAMETERS[name].items():
        value = params.get(k, default)
        if k == "max_game_length" and value is None:
            if not 5 <= out["board_size"] <= 9:
                raise InvalidArgumentError(f"go: board_size must be in 5...9, got {out['board_size']}")
            value = out["board_size"] ** 2 * 2
        # (max_game_length 0 would mean the default to the C function)
        low = 1 if k == "max_game_length" else -(2**31)
        out[k] = _as_real(value, k) if k in _REAL_PARAMETERS else _as_int(value, k, low)
    if name == "go" and out["handicap"] != 0:
        raise InvalidArgumentError(f"go: handicap {out['handicap']} is not supported (only 0)")
    return out


def load(name: str, **params) -> "Game":
    """The game ``name`` with OpenSpiel's parameters (pyspiel's
    ``load_game(name, params)``), e.g. ``load("connect_four", rows=4,
    columns=5, x_in_row=3)``; missing parameters take OpenSpiel's defaults.

    Raises InvalidArgumentError for an unknown name or parameter, or a value
    outside the game's range (with the range); DTypeError for a non-str name
    or a non-int value."""
    return Game(name, params)


class Game:
    """A game and its parameters (plain data: picklable, comparable);
    ``Game(name, params)`` is ``load(name, **params)``.

    OpenSpiel's ``Game`` methods: :meth:`new_initial_state`,
    :meth:`num_distinct_actions`, :meth:`num_players`,
    :meth:`max_game_length`, :meth:`observation_tensor_shape`,
    :meth:`get_parameters`; plus :meth:`new_batch` for batched play."""

    def __init__(self, name: str, params: dict | None = None):
        if not isinstance(name, str):
            raise DTypeError(f"name must be a str, got {name!r}")
        if name not in _PARAMETERS:
            raise InvalidArgumentError(f"unknown game {name!r}; known: {', '.join(registered_names())}")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise DTypeError(f"params must be a dict of OpenSpiel's parameters, got {params!r}")
        known = _PARAMETERS[name]
        unknown = sorted(map(str, set(params) - set(known)))
        if unknown:
            raise InvalidArgumentError(f"{name} has no parameter {unknown[0]!r}; its parameters: "
                                       f"{', '.join(known) or 'none'}")
        self.name = name
        self._params = _parameters(name, params)
        # The library checks the values. The game at the start stays as the
        # template that new_initial_state copies natively; it refers to no
        # Game (no reference cycle) and is freed with this one.
        handle = self._create(1, False)
        template = State.__new__(State)
        try:
            self._info = _lib.GameInfo()
            _lib.call("game_get_info", handle, byref(self._info))
            template._core_init(handle, None, None, self._info.num_actions, [])
        except BaseException:
            if template.closed:
                lib.swiftpg_game_destroy(handle)
            raise
        self._template = template

    def __repr__(self) -> str:
        args = "".join(f", {k}={v}" for k, v in self._params.items())
        return f"swiftpg.games.load({self.name!r}{args})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Game) and (self.name, self._params) == (other.name, other._params)

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self._params.items()))))

    def __reduce__(self):
        return Game, (self.name, self._params)

    def get_parameters(self) -> dict:
        """The parameters, defaults included (``{"rows": 6, ...}``)."""
        return dict(self._params)

    def num_players(self) -> int:
        return 2

    def num_distinct_actions(self) -> int:
        return self._info.num_actions

    def max_game_length(self) -> int:
        return self._info.max_game_length

    def observation_tensor_shape(self) -> list[int]:
        """OpenSpiel's ``[planes, rows, columns]``."""
        i = self._info
        return [i.observation_planes, i.board_height, i.board_width]

    def observation_tensor_size(self) -> int:
        """The number of values of ``observation_tensor()`` (OpenSpiel's)."""
        i = self._info
        return i.observation_planes * i.board_height * i.board_width

    def get_type(self):
        """OpenSpiel's ``pyspiel.GameType`` of this game (sequential, zero-sum,
        perfect information, terminal rewards), taken from pyspiel itself so
        OpenSpiel's Python algorithms accept swiftpg's games — e.g.
        ``open_spiel.python.algorithms.mcts.MCTSBot(game, ...)`` and
        ``evaluate_bots`` play on them unchanged. Needs OpenSpiel (the
        ``games`` extra: ``pip install open_spiel``; NotSupportedError names
        it when missing)."""
        if self.__dict__.get("_type") is None:
            try:
                import pyspiel
            except ImportError as e:
                raise _lib.NotSupportedError("Game.get_type() returns OpenSpiel's pyspiel.GameType: install the "
                                             "games extra (pip install 'swiftpg[games]' or pip install open_spiel)"
                                             ) from e
            params = {k: v for k, v in self._params.items() if v is not None}
            self._type = pyspiel.load_game(self.name, params).get_type()
        return self._type

    def max_utility(self) -> float:
        """The largest return, 1.0 (a win), as OpenSpiel's."""
        return 1.0

    def min_utility(self) -> float:
        """The smallest return, -1.0 (a loss), as OpenSpiel's."""
        return -1.0

    def utility_sum(self) -> float:
        """0.0: every game here is zero-sum (OpenSpiel's ``utility_sum``)."""
        return 0.0

    def _create(self, num_games: int, auto_reset: bool) -> int:
        handle = c_uint64()
        p = self._params
        if self.name == "tic_tac_toe":
            _lib.call("game_create_tic_tac_toe", num_games, int(auto_reset), byref(handle))
        elif self.name == "go":
            _lib.call("game_create_go", p["board_size"], p["komi"], p["max_game_length"], num_games, int(auto_reset),
                      byref(handle))
        else:
            _lib.call("game_create_connect_n", p["rows"], p["columns"], p["x_in_row"], num_games, int(auto_reset),
                      byref(handle))
        return handle.value

    def new_initial_state(self) -> "State":
        """A game at its start (OpenSpiel's ``new_initial_state``): a native
        copy of this game's template, made without a Python-level call."""
        return _gamestate.new_state(self._template, self, self._info)

    def new_batch(self, num_games: int, auto_reset: bool = False) -> "GameBatch":
        """``num_games`` games at the start, stepped together (see
        :class:`GameBatch`). ``auto_reset``: the step that ends a game puts
        it back at the start (its outcome is in the step's result);
        otherwise a finished game stays finished until :meth:`GameBatch.reset`."""
        return GameBatch(self, num_games, auto_reset)


class _Handle(NativeObject):
    """A native batch of games (shared by State and GameBatch)."""

    _kind_name = "game"

    def _open(self, game: Game, num_games: int, auto_reset: bool, info=None) -> None:
        """Creates the native batch; ``info``: its GameInfo if known."""
        if not isinstance(game, Game):
            raise DTypeError(f"game must be a swiftpg.games.Game (from swiftpg.games.load), got {game!r}")
        self.game = game
        self._adopt(game._create(num_games, auto_reset), "swiftpg_game_destroy")
        self._h = c_uint64(self._handle)
        if info is None:
            info = _lib.GameInfo()
            _lib.call("game_get_info", self._handle, byref(info))
        self.info = info
        self.num_games = info.num_games
        self.num_actions = info.num_actions

    def _fail(self, status: int):
        """The exception of a failed raw call (ClosedError once closed)."""
        if self.closed:
            return _lib.ClosedError(f"this {type(self).__name__} is closed")
        return _lib.error_for(status)

    def _read(self, name: str, shape, dtype) -> np.ndarray:
        check_elements(int(np.prod(shape, dtype=np.int64)), f"{name.removeprefix('game_')} {list(shape)}")
        out = np.zeros(shape, dtype=dtype)
        with self._busy:
            _lib.call(name, self.handle, out.ctypes.data)
        return out

    def _state_array(self) -> np.ndarray:
        return self._read("game_get_state", (self.num_games, self.info.state_size), np.int32)

    def _load_states(self, states, shape) -> None:
        a = asarray(states, "state", np.int32, shape)
        if a.dtype.kind not in "iu":
            raise DTypeError(f"state must be an integer array, got dtype {a.dtype}")
        check_shape(a, shape, "state")
        cells = self.info.board_height * self.info.board_width  # Go's further words are checked natively
        bad = (a[..., :cells] < 0) | (a[..., :cells] > 2)
        if bad.any():
            raise InvalidArgumentError(f"{first_bad('state', a[..., :cells], bad)}; cells must be 0 (empty), "
                                       "1 (player 0) or 2 (player 1)")
        a = c_array(a, np.int32)
        with self._busy:
            _lib.call("game_set_state", self.handle, a.ctypes.data)

    def _text(self, index: int) -> str:
        with self._busy:
            return "\n".join(_lib.read_lines(lib.swiftpg_game_render_text, self.handle, index))


class State(_gamestate.StateCore, _Handle):
    """One game in progress, with OpenSpiel's ``State`` methods.

    ``clone()`` copies it; pickling and ``copy.deepcopy`` copy it by value
    (the game and the board). Raises InvalidArgumentError for an illegal or
    out-of-range action (nothing changes) and ClosedError once closed.

    The per-move methods (``apply_action``, ``legal_actions``,
    ``legal_actions_mask``, ``is_terminal``, ``current_player``,
    ``returns``, ``history``, ``clone``) are the C core
    ``swiftpg._gamestate.StateCore``: one native call per move
    (``swiftpg_game_apply`` returns the new legal mask and player with the
    move), the rest read what that call returned — so they are as cheap as
    pyspiel's. A state is for one thread at a time (overlapping native calls
    raise BusyError; give each thread its own clone). The native game is
    freed with the object or by :meth:`close`.

    :meth:`history` lists the actions played (OpenSpiel's ``history()``);
    after :meth:`set_state` it is unknown (None)."""

    #: A State is one game.
    num_games = 1

    def __init__(self, game: Game, _cells=None, _history=()):
        if not isinstance(game, Game):
            raise DTypeError(f"game must be a swiftpg.games.Game (from swiftpg.games.load), got {game!r}")
        if not self.closed:
            raise _lib.SwiftPGError("this State is already initialised")
        handle = game._create(1, False)
        try:
            self._core_init(handle, game, game._info, game._info.num_actions, [])
        except BaseException:
            if self.closed:  # not adopted
                lib.swiftpg_game_destroy(handle)
            raise
        if _cells is not None:
            self.set_state(np.reshape(asarray(_cells, "state", np.int32), -1))
        self._set_history(None if _history is None else
                          [_as_int(a, "history action", 0, self.num_actions - 1) for a in _history])

    @property
    def _busy(self) -> _StateLock:  # type: ignore[override]  # NativeObject's lock attribute, made per call here
        """The lock of the Python-level native calls (see :class:`_StateLock`)."""
        return _StateLock(self)

    def _coerce_action(self, action) -> int:
        """What the C core asks about an action that is neither an int nor
        an integer with ``__index__`` (numpy integers): bool, numpy.bool_,
        float, str, ... raise DTypeError."""
        raise DTypeError(f"action must be an int, got {action!r}")

    def _as_player(self, player) -> int:
        return _as_int(player, "player")

    def _failure(self, action, status: int) -> Exception:
        """The exception the C core raises for a failed call."""
        if status == _lib.ERR_OUT_OF_RANGE and action is not None:
            return InvalidArgumentError(f"action {action} is outside 0..<{self.num_actions} of {self.game.name}",
                                        status)
        return self._illegal(action, status)

    def __reduce__(self):
        with self._busy:  # the board and the history of one moment
            return State, (self.game, self._state_array(), self.history())

    def score_margin(self) -> float:
        """Go: black's area (stones and empty regions bordering black only)
        minus white's, minus komi, in any state; at the end its sign is the
        result (except after a superko repetition, a draw).
        NotSupportedError for the other games."""
        margin = c_double()
        with self._busy:
            _lib.call("game_score_margin", self.handle, byref(margin))
        return margin.value

    def child(self, action: int) -> "State":
        """A copy of this state with ``action`` played (this state is
        unchanged)."""
        state = self.clone()
        try:
            state.apply_action(action)
        except BaseException:
            state.close()
            raise
        return state

    def action_to_string(self, player: int, action: int) -> str:
        """OpenSpiel's name of ``action`` played by ``player`` (0 or 1):
        tic-tac-toe ``"x(row,column)"``, Connect-N ``"x3"`` (``o`` for player
        1), Go ``"B c3"`` / ``"W PASS"``."""
        player = _as_int(player, "player", 0, 1)
        action = _as_int(action, "action", 0, self.num_actions - 1)
        mark = "xo"[player]
        if self.game.name == "go":
            size = self.game.get_parameters()["board_size"]
            if action == size * size:
                return f"{'BW'[player]} PASS"
            return f"{'BW'[player]} {'abcdefghjklmnopqrst'[action % size]}{action // size + 1}"
        if self.game.name == "tic_tac_toe":
            return f"{mark}({action // 3},{action % 3})"
        return f"{mark}{action}"

    def is_chance_node(self) -> bool:
        """Always False: these games have no chance moves."""
        return False

    def is_simultaneous_node(self) -> bool:
        """Always False: the players move in turn."""
        return False

    def is_player_node(self) -> bool:
        """True until the game is over (OpenSpiel's: a player is to move)."""
        return not self.is_terminal()

    def chance_outcomes(self) -> list:
        """Always empty: these games have no chance moves (OpenSpiel's
        ``chance_outcomes``)."""
        return []

    def _illegal(self, action: int, status: int):
        """The exception of a refused move, in this state's terms."""
        if status != _lib.ERR_INVALID_ARGUMENT or self.closed:
            return self._fail(status)
        if self.is_terminal():
            return InvalidArgumentError(f"the game is over ({self.game.name}): no action is legal", status)
        return InvalidArgumentError(f"action {action} is illegal in this {self.game.name} position; legal actions: "
                                    f"{self.legal_actions()}", status)

    def rewards(self) -> list[float]:
        """The rewards of the last move, ``[r0, r1]`` (OpenSpiel's): the
        returns once the game is over, zeros before (the only reward comes
        at the end)."""
        return self.returns()

    def player_return(self, player: int) -> float:
        """The return of ``player`` (0 or 1; InvalidArgumentError otherwise)."""
        return self.returns()[_as_int(player, "player", 0, 1)]

    def observation_tensor(self, player: int | None = None) -> list[float]:
        """OpenSpiel's flat observation tensor (the same for both players:
        absolute, planes by player; ``player`` is checked as an int and
        otherwise ignored)."""
        if player is not None:
            _as_int(player, "player")
        return self._read("game_observation", self.game.observation_tensor_shape(), np.float64).ravel().tolist()

    def planes(self) -> np.ndarray:
        """Network input planes, float64 ``[C, H, W]``, from the player to
        move's perspective. Tic-tac-toe and Connect-N (C = 3): own stones,
        opponent's stones, all ones when player 0 moves (zeros for player
        1). Go (C = 7): own stones, opponent's, empty points, legal
        placements, own stones in atari, opponent's in atari, all ones when
        black moves."""
        i = self.info
        return self._read("game_planes", (i.num_planes, i.board_height, i.board_width), np.float64)

    def get_state(self) -> np.ndarray:
        """The encoded state, int32 ``[state_size]``: tic-tac-toe and
        Connect-N the board ``[H * W]`` (0 empty, 1 player 0, 2 player 1),
        cells in the observation tensor's order; Go the board, then its
        counters, ko point and position history (see
        ``swiftpg_game_create_go`` in swiftpg.h)."""
        return self._state_array()[0]

    def set_state(self, cells) -> None:
        """Sets the state from :meth:`get_state`'s encoding. Cell values,
        stone counts, gravity and lines are checked (InvalidArgumentError,
        nothing changed; see ``swiftpg_game_set_state`` in swiftpg.h): these
        are necessary conditions, so a board no move order reaches can pass
        them. The history becomes unknown (:meth:`history` returns None)."""
        with self._busy:
            self._load_states(cells, (self.info.state_size,))
            self._set_history(None)
            self._refresh()

    def __str__(self) -> str:
        """OpenSpiel's ``ToString()``."""
        return self._text(0)

    def __repr__(self) -> str:
        return "<closed swiftpg.games.State>" if self.closed else str(self)


_gamestate.bind(*(ctypes.cast(lib[f"swiftpg_game_{name}"], ctypes.c_void_p).value
                  for name in ("apply", "clone", "destroy", "legal_mask", "status", "get_info")), State)


class _StateLock:
    """``with state._busy:`` — the State's own lock (in its C core): taken
    without waiting, re-entrant for the thread that holds it; another
    thread's attempt raises BusyError, and so do its per-move calls while
    it is held, so none sees a half-made change (set_state, pickling)."""

    __slots__ = ("state",)

    def __init__(self, state):
        self.state = state

    def __enter__(self):
        if not self.state._acquire():
            raise _lib.ObjectLock("game").error()
        return self

    def __exit__(self, *exc):
        self.state._release()


class GameBatch(_Handle):
    """``num_games`` games of one kind stepped together.

    Arrays are numpy: actions ``int32 [N]``, flags ``bool [N]``, masks
    ``uint8 [N, A]``, outcomes ``float64 [N]`` (player 0's return). One bad
    action anywhere (out of range, illegal, or a finished game while
    ``auto_reset`` is off) raises InvalidArgumentError and no game moves.
    Pickling copies the batch by value."""

    def __init__(self, game: Game, num_games: int, auto_reset: bool = False):
        self.auto_reset = as_bool(auto_reset, "auto_reset")
        self._open(game, as_count(num_games, "num_games", maximum=1 << 24), self.auto_reset)

    def __reduce__(self):
        return _restore_batch, (self.game, self.num_games, self.auto_reset, self.get_state())

    def reset(self, which=None) -> None:
        """Puts the games with ``which[i]`` true (``which`` None: all) back at
        the start. ``which``: bool ``[N]``."""
        flags = None if which is None else as_flags(which, "which", (self.num_games,))
        with self._busy:
            _lib.call("game_reset", self.handle, None if flags is None else flags.ctypes.data)

    def step(self, actions, active=None) -> tuple[np.ndarray, np.ndarray]:
        """Plays ``actions[i]`` (int ``[N]``) in every game with ``active[i]``
        (bool ``[N]``; None: all); inactive games and their actions are
        ignored.

        Returns ``(ended, outcomes)``: bool ``[N]`` true where this step
        ended the game, float64 ``[N]`` player 0's return there (+1, -1, 0)
        and 0 elsewhere. With ``auto_reset`` the ended games are already
        back at the start."""
        n = self.num_games
        a = asarray(actions, "actions", np.int32, (n,))
        if a.dtype.kind not in "iu":
            raise DTypeError(f"actions must be an integer array, got dtype {a.dtype}")
        check_shape(a, (n,), "actions")
        flags = None if active is None else as_flags(active, "active", (n,))
        moving = a if flags is None else a[flags.view(bool)]
        if moving.size and (moving.min() < 0 or moving.max() >= self.num_actions):
            bad = int(moving.min()) if moving.min() < 0 else int(moving.max())
            raise InvalidArgumentError(f"actions contains {bad}, outside 0..<{self.num_actions} of {self.game.name}")
        a = c_array(a, np.int32)
        ended = np.zeros(n, dtype=np.uint8)
        outcomes = np.zeros(n, dtype=np.float64)
        with self._busy:
            _lib.call("game_step", self.handle, a.ctypes.data, None if flags is None else flags.ctypes.data,
                      ended.ctypes.data, outcomes.ctypes.data, None)
        return ended.view(bool), outcomes

    def legal_mask(self) -> np.ndarray:
        """uint8 ``[N, A]``: 1 for each legal action (all 0 in a finished game)."""
        return self._read("game_legal_mask", (self.num_games, self.num_actions), np.uint8)

    def _status_arrays(self):
        n = self.num_games
        players, terminal, returns = np.zeros(n, np.int32), np.zeros(n, np.uint8), np.zeros((n, 2))
        with self._busy:
            _lib.call("game_status", self.handle, players.ctypes.data, terminal.ctypes.data, returns.ctypes.data)
        return players, terminal.view(bool), returns

    def current_players(self) -> np.ndarray:
        """int32 ``[N]``: 0, 1, or -4 for a finished game."""
        return self._status_arrays()[0]

    def is_terminal(self) -> np.ndarray:
        """bool ``[N]``."""
        return self._status_arrays()[1]

    def returns(self) -> np.ndarray:
        """float64 ``[N, 2]``: the returns of players 0 and 1."""
        return self._status_arrays()[2]

    def score_margins(self) -> np.ndarray:
        """Go: float64 ``[N]``, each game's :meth:`State.score_margin`."""
        return self._read("game_score_margin", (self.num_games,), np.float64)

    def observations(self) -> np.ndarray:
        """float64 ``[N, *observation_tensor_shape]``: OpenSpiel's tensors."""
        return self._read("game_observation", (self.num_games, *self.game.observation_tensor_shape()), np.float64)

    def planes(self) -> np.ndarray:
        """float64 ``[N, C, H, W]``: network input planes from each player to
        move's perspective (see :meth:`State.planes`)."""
        i = self.info
        return self._read("game_planes", (self.num_games, i.num_planes, i.board_height, i.board_width), np.float64)

    def get_state(self) -> np.ndarray:
        """int32 ``[N, state_size]``: every encoded state (see
        :meth:`State.get_state`)."""
        return self._state_array()

    def set_state(self, states) -> None:
        """Sets every state (``[N, state_size]`` as :meth:`get_state`); all are
        checked first, as :meth:`State.set_state` checks one: a refused board
        raises InvalidArgumentError naming it, and nothing changes."""
        self._load_states(states, (self.num_games, self.info.state_size))

    def render(self, index: int = 0) -> str:
        """OpenSpiel's ``ToString()`` of game ``index``."""
        return self._text(_as_int(index, "index", 0, self.num_games - 1))

    def symmetry(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Symmetry ``k`` (0 ..< ``info.num_symmetries``; 0 the identity;
        tic-tac-toe and Go 8, Connect-N 2) as int32 maps ``(cells [H * W],
        actions [A])`` giving the image of each cell and action."""
        k = _as_int(k, "k", 0, self.info.num_symmetries - 1)
        cells = np.zeros(self.info.board_height * self.info.board_width, np.int32)
        actions = np.zeros(self.num_actions, np.int32)
        with self._busy:
            _lib.call("game_symmetry", self.handle, k, cells.ctypes.data, actions.ctypes.data)
        return cells, actions

    def transform_planes(self, planes, k: int) -> np.ndarray:
        """Planes ``[..., C, H, W]`` (real numbers) moved by symmetry ``k``, as
        float64."""
        cells, _ = self.symmetry(k)
        p = as_float64(planes, "planes", finite=False)
        h, w = self.info.board_height, self.info.board_width
        if p.ndim < 2 or p.shape[-2:] != (h, w):
            raise InvalidArgumentError(f"planes must end with the board's shape ({h}, {w}), got {p.shape}")
        flat = p.reshape(*p.shape[:-2], h * w)
        out = np.empty_like(flat)
        out[..., cells] = flat
        return out.reshape(p.shape)

    def transform_policy(self, policy, k: int) -> np.ndarray:
        """A vector over actions ``[..., A]`` (a policy, visit counts; real
        numbers) moved by symmetry ``k``, as float64."""
        _, actions = self.symmetry(k)
        p = as_float64(policy, "policy", finite=False)
        if p.ndim < 1 or p.shape[-1] != self.num_actions:
            raise InvalidArgumentError(f"policy must end with {self.num_actions} actions, got shape {p.shape}")
        out = np.empty_like(p)
        out[..., actions] = p
        return out

    def playouts(self, playouts_per_game: int = 1, seed: int = 0, num_threads: int = 1
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Uniformly random playouts from every game's current state, all in
        one native call; the games do not change.

        Returns ``(outcomes, lengths)``: float64 and int32 ``[N, P]``, player
        0's final return and the moves played. Playout j of game i depends
        only on (seed, i, j), so ``num_threads`` (1 … 64: chunks of games on
        a pool of threads) changes the speed, not the results. Ctrl-C stops
        the call within 256 playouts (KeyboardInterrupt)."""
        p = as_count(playouts_per_game, "playouts_per_game")
        threads = as_count(num_threads, "num_threads", 1, 64)
        check_elements(self.num_games * p, "playouts [N, P]")
        outcomes = np.zeros((self.num_games, p))
        lengths = np.zeros((self.num_games, p), np.int32)
        with self._busy:  # Ctrl-C stops the native call within 256 playouts (KeyboardInterrupt)
            _lib.call("game_set_threads", self.handle, threads)
            _lib.call_interruptible("game_playouts", self.handle, self.handle, as_seed(seed), p,
                                    outcomes.ctypes.data, lengths.ctypes.data)
        return outcomes, lengths


def _restore_batch(game: Game, num_games: int, auto_reset: bool, states) -> GameBatch:
    batch = GameBatch(game, num_games, auto_reset)
    batch.set_state(states)
    return batch
