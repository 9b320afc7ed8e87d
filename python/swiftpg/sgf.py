"""SGF (Smart Game Format, FF[4]) export and import of Go games.

``to_sgf(state)`` (a ``go`` :class:`swiftpg.games.State` with its history)
or ``to_sgf(actions, board_size=9, komi=7.5)`` writes one game::

    (;FF[4]GM[1]CA[UTF-8]AP[swiftpg]SZ[9]KM[7.5]RU[Chinese]RE[B+3.5];B[ee];W[]...)

Moves alternate from black; a pass is an empty value (``B[]``). Points are
SGF's letter pairs, column then row, ``a`` the left column and the *top*
row (swiftpg's row 0 is the bottom row). ``RE`` comes from swiftpg's own
(OpenSpiel-equal) scoring: ``B+<margin>`` / ``W+<margin>`` with the area
margin, ``0`` for a draw (a tie or a superko repetition), ``?`` for an
unfinished game; ``result=`` overrides it. Every move is replayed through
swiftpg first, so an illegal one raises.

``from_sgf(text)`` reads the main line of the first game of an SGF file
(from any program: other properties, comments with escaped ``\\]``,
variations and line breaks are allowed; variations after the first are
ignored; FF[3]'s lower-case letters in property names, as in ``AddBlack``,
are dropped; ``RU`` and ``RE`` are not used: swiftpg's rules replay the
moves) and returns ``(game, actions)``: the ``go`` game of its ``SZ`` and
``KM`` (komi 0 when ``KM`` is absent) and the action ids. It raises
:class:`SgfError` (a ValueError) naming the problem for text that is not
SGF, ``GM`` other than 1, a board size outside 5..9 or not square, setup
stones or handicap (``AB``, ``AW``, ``AE``, ``HA`` > 0, which OpenSpiel's go
cannot start from), a move of the wrong colour (moves must alternate,
black first), a point off the board, and a move illegal in swiftpg (or
after the end of the game).
"""

from __future__ import annotations

import math

from . import games
from ._arrays import DTypeError
from ._lib import InvalidArgumentError

__all__ = ["to_sgf", "from_sgf", "SgfError", "result_string"]


class SgfError(InvalidArgumentError):
    """SGF text that is malformed or describes a game swiftpg cannot replay."""


def _point(action: int, size: int) -> str:
    if action == size * size:
        return ""
    row, column = divmod(action, size)
    return chr(ord("a") + column) + chr(ord("a") + size - 1 - row)


def _action(value: str, size: int, where: str) -> int:
    if value == "" or (value == "tt" and size <= 19):
        return size * size
    if len(value) != 2 or not all("a" <= ch <= "z" for ch in value):
        raise SgfError(f"{where}: {value!r} is not an SGF point (two letters a..z) or a pass ([])")
    column, top_row = ord(value[0]) - ord("a"), ord(value[1]) - ord("a")
    if column >= size or top_row >= size:
        raise SgfError(f"{where}: point {value!r} is off the {size}x{size} board")
    return (size - 1 - top_row) * size + column


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def result_string(state: games.State) -> str:
    """SGF's ``RE`` of a ``go`` state by swiftpg's scoring: ``B+margin``,
    ``W+margin``, ``0`` (a draw: tie or superko repetition), ``?`` before the
    end."""
    if not isinstance(state, games.State) or state.game.name != "go":
        raise DTypeError(f"state must be a swiftpg.games.State of go, got {state!r:.100}")
    if not state.is_terminal():
        return "?"
    black = state.returns()[0]
    margin = state.score_margin()
    if black == 0:
        return "0"
    return f"B+{_number(margin)}" if black > 0 else f"W+{_number(-margin)}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("]", "\\]")


def to_sgf(source, board_size: int | None = None, komi: float | None = None, result: str | None = None,
           black: str | None = None, white: str | None = None) -> str:
    """The SGF text of a Go game: ``source`` a ``go`` State (its history,
    board size and komi; ``board_size`` and ``komi`` must then be None or
    equal) or a sequence of action ids (``board_size`` default 9, ``komi``
    7.5). ``result`` overrides ``RE`` (default: swiftpg's scoring, see
    :func:`result_string`); ``black`` / ``white`` are the players' names
    (``PB``, ``PW``). Raises ValueError for a state of another game or
    without history, and InvalidArgumentError for an illegal move."""
    if isinstance(source, games.State):
        if source.game.name != "go":
            raise InvalidArgumentError(f"to_sgf writes Go games, got a {source.game.name} state")
        params = source.game.get_parameters()
        for name, given in (("board_size", board_size), ("komi", komi)):
            if given is not None and given != params[name]:
                raise InvalidArgumentError(f"{name}={given!r} differs from the state's {params[name]!r}")
        actions = source.history()
        if actions is None:
            raise InvalidArgumentError("the state has no history (it was set by set_state); pass the actions instead")
        game = source.game
    else:
        game = games.load("go", board_size=9 if board_size is None else board_size,
                          komi=7.5 if komi is None else komi)
        if isinstance(source, (str, bytes)) or not hasattr(source, "__iter__"):
            raise DTypeError(f"source must be a go State or a sequence of action ids, got {source!r:.100}")
        actions = list(source)
    size, komi = game.get_parameters()["board_size"], game.get_parameters()["komi"]
    with game.new_initial_state() as state:
        for i, action in enumerate(actions):
            try:
                state.apply_action(action)
            except InvalidArgumentError as e:
                raise InvalidArgumentError(f"move {i + 1} ({action!r}): {e}") from e
        re = result_string(state) if result is None else str(result)
    header = f"(;FF[4]GM[1]CA[UTF-8]AP[swiftpg]SZ[{size}]KM[{_number(komi)}]RU[Chinese]RE[{_escape(re)}]"
    if black is not None:
        header += f"PB[{_escape(black)}]"
    if white is not None:
        header += f"PW[{_escape(white)}]"
    moves = "".join(f";{'BW'[i % 2]}[{_point(a, size)}]" + ("\n" if i % 10 == 9 else "")
                    for i, a in enumerate(actions))
    return header + "\n" + moves + ")\n"


def _parse_nodes(text: str) -> list[list[tuple[str, list[str]]]]:
    """The nodes of the main line of the first game tree: each node a list
    of (property, values)."""
    if not isinstance(text, str):
        raise DTypeError(f"SGF text must be a str, got {type(text).__name__}")
    start = text.find("(")
    if start < 0 or text.find(";", start) < 0:
        raise SgfError("no SGF game tree: expected '(;' ...")
    nodes: list[list[tuple[str, list[str]]]] = []
    i, n, depth = start + 1, len(text), 1
    done_main = False
    while i < n and depth > 0:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            # The first variation continues the main line; later ones are skipped.
            depth += 1
            i += 1
        elif ch == ")":
            depth -= 1
            done_main = True  # the main line ends with its first closing parenthesis
            i += 1
            if depth > 0:
                # Skip the remaining sibling variations.
                i = _skip_trees(text, i)
        elif ch == ";":
            if done_main:
                break
            nodes.append([])
            i += 1
        elif ch.isascii() and ch.isalpha():
            if not nodes:
                raise SgfError(f"property at offset {i} before the first node ';'")
            j = i
            while j < n and text[j].isascii() and text[j].isalpha():
                j += 1
            name = "".join(c for c in text[i:j] if c.isupper())
            if not name:
                raise SgfError(f"property {text[i:j]!r} at offset {i} has no upper-case letter")
            values = []
            while True:
                while j < n and text[j].isspace():
                    j += 1
                if j >= n or text[j] != "[":
                    break
                j, value = _value(text, j + 1)
                values.append(value)
            if not values:
                raise SgfError(f"property {name} at offset {i} has no value")
            nodes[-1].append((name, values))
            i = j
        else:
            raise SgfError(f"unexpected {ch!r} at offset {i} of the SGF text")
    if depth > 0 and not done_main:
        raise SgfError("the SGF game tree is not closed (missing ')')")
    return nodes


def _skip_trees(text: str, i: int) -> int:
    """The offset after the sibling game trees starting at ``i`` (values skipped)."""
    n, depth = len(text), 0
    while i < n:
        ch = text[i]
        if ch == "[":
            i, _ = _value(text, i + 1)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return i


def _value(text: str, i: int) -> tuple[int, str]:
    """(offset after the closing ']', the unescaped value) of a value starting at ``i``."""
    out = []
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
        elif ch == "]":
            return i + 1, "".join(out)
        else:
            out.append(ch)
            i += 1
    raise SgfError("a property value is not closed (missing ']')")


def from_sgf(text: str) -> tuple[games.Game, list[int]]:
    """``(game, actions)`` of the SGF text's main line (see the module's
    docstring for what is accepted and the SgfError raised)."""
    nodes = _parse_nodes(text)
    if not nodes:
        raise SgfError("the SGF game tree has no node")
    root = dict(nodes[0])
    if root.get("GM", ["1"])[0].strip() != "1":
        raise SgfError(f"GM[{root['GM'][0]}] is not Go (GM[1])")
    size_text = root.get("SZ", ["19"])[0].strip()
    if ":" in size_text:
        raise SgfError(f"SZ[{size_text}]: rectangular boards are not supported")
    if not size_text.isdigit() or not 5 <= int(size_text) <= 9:
        raise SgfError(f"SZ[{size_text}]: the board size must be 5..9 (SGF's default is 19)")
    size = int(size_text)
    komi_text = root.get("KM", ["0"])[0].strip() or "0"
    try:
        komi = float(komi_text)
    except ValueError:
        raise SgfError(f"KM[{komi_text}] is not a number") from None
    if not math.isfinite(komi) or abs(komi) > 1000:
        raise SgfError(f"KM[{komi_text}] must be finite with |komi| <= 1000")
    handicap = root.get("HA", ["0"])[0].strip() or "0"
    if handicap not in ("0",):
        raise SgfError(f"HA[{handicap}]: handicap games are not supported (OpenSpiel's go starts empty)")
    game = games.load("go", board_size=size, komi=komi)
    actions: list[int] = []
    with game.new_initial_state() as state:
        for k, node in enumerate(nodes):
            for name, values in node:
                if name in ("AB", "AW", "AE"):
                    raise SgfError(f"node {k}: setup stones ({name}) are not supported (OpenSpiel's go starts "
                                   "empty)")
                if name not in ("B", "W"):
                    continue
                where = f"node {k} ({name}[{values[0]}])"
                colour = "BW".index(name)
                if len(values) != 1:
                    raise SgfError(f"{where}: a move has one value, got {len(values)}")
                if state.is_terminal():
                    raise SgfError(f"{where}: the game is already over after {len(actions)} moves")
                if colour != state.current_player():
                    raise SgfError(f"{where}: it is {'BW'[state.current_player()]}'s turn (moves alternate, "
                                   "black first)")
                action = _action(values[0].strip(), size, where)
                try:
                    state.apply_action(action)
                except InvalidArgumentError as e:
                    raise SgfError(f"{where}: illegal in swiftpg's go: {e}") from None
                actions.append(action)
    return game, actions
