"""GNU Go as a Go opponent, spoken to over GTP (the Go Text Protocol).

``GnuGoPlayer(level=..., board_size=..., komi=...)`` starts GNU Go (Debian
package ``gnugo``; Debian installs it in ``/usr/games``, which is often not
on PATH, so that directory is searched too) as a subprocess::

    gnugo --mode gtp --level L --boardsize N --komi K --chinese-rules
          --capture-all-dead --positional-superko

and ``player.action(state)`` (or ``player(state)``) returns its move in a
:class:`swiftpg.games.State` of ``go``: a callable ``f(state) -> action``
like every other player. Before each ``genmove`` the player brings GNU Go's
board to the state's history (the moves played since its last call with
``play``, or ``clear_board`` and the whole history when the state is
another game).

**swiftpg decides.** GNU Go's own score is never asked for: swiftpg's
OpenSpiel-equal rules and area scoring give the result.

**The replacement rule.** A move GNU Go proposes that swiftpg would not
play as an ordinary move is replaced by a pass, and the replacement is
recorded in :attr:`GnuGoPlayer.replacements` (``Replacement(move_number,
proposed, reason)``). This covers a move illegal in swiftpg (an occupied
point, a ko retake, suicide), a placement that repeats an earlier board
position (legal in OpenSpiel's go but it ends the game as a draw at once;
GNU Go itself runs with positional superko, so it should not propose one),
and ``resign`` (OpenSpiel's go has no resignation; the game goes on and is
scored). After a replacement GNU Go's board is rebuilt from the history at
the next call.

**Failures are exceptions, never hangs.** Every read has a deadline
(``timeout`` seconds per GTP response); GNU Go missing, exiting, answering
something that is not a GTP response, refusing a move swiftpg allows, or
not answering in time raises :class:`GnuGoError` (the process is then
killed). ``close()`` (also by ``with`` and at garbage collection) ends the
process: ``quit``, then a kill if it has not exited within a second.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import tempfile
import time
import weakref
from dataclasses import dataclass

from ._arrays import DTypeError
from ._lib import InvalidArgumentError, SwiftPGError
from .games import Game, State, _as_int, _as_real

__all__ = ["GnuGoPlayer", "GnuGoError", "Replacement", "find_gnugo", "action_to_vertex", "vertex_to_action"]

#: GTP's column letters (no "I").
COLUMNS = "ABCDEFGHJKLMNOPQRST"

#: Largest GTP response accepted (bytes): anything longer is garbage.
MAX_RESPONSE = 1 << 20


class GnuGoError(SwiftPGError, RuntimeError):
    """GNU Go is missing, exited, answered garbage, refused a move, or did
    not answer within the timeout."""


@dataclass(frozen=True)
class Replacement:
    """A GNU Go move replaced by a pass (see the module's replacement rule):
    ``move_number`` the index in the history the pass took, ``proposed`` GNU
    Go's answer as it sent it (``"C3"``, ``"resign"``), ``reason`` why."""

    move_number: int
    proposed: str
    reason: str


def find_gnugo(executable: str | None = None) -> str:
    """The path of the GNU Go program: ``executable`` if given, else
    ``gnugo`` on PATH, else ``/usr/games/gnugo``. Raises GnuGoError naming
    the Debian package when none exists."""
    candidates = [executable] if executable else [shutil.which("gnugo"), "/usr/games/gnugo"]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise GnuGoError(f"GNU Go not found (looked for {executable or 'gnugo on PATH and /usr/games/gnugo'}); "
                     "install it with: apt-get install gnugo")


def action_to_vertex(action: int, board_size: int) -> str:
    """GTP's vertex of a Go action: ``"C3"`` for row 2, column 2 (row 0 the
    bottom row "1"), ``"pass"`` for ``board_size**2``. InvalidArgumentError
    (a ValueError) outside the board; DTypeError for a non-int."""
    board_size = _as_int(board_size, "board_size", 1, len(COLUMNS))
    action = _as_int(action, "action", 0, board_size * board_size)
    if action == board_size * board_size:
        return "pass"
    return f"{COLUMNS[action % board_size]}{action // board_size + 1}"


def vertex_to_action(vertex: str, board_size: int) -> int:
    """The Go action of a GTP vertex (case-insensitive; ``"pass"`` is
    ``board_size**2``). Raises ValueError for anything that is not a point
    of the board (InvalidArgumentError), DTypeError for a non-str."""
    board_size = _as_int(board_size, "board_size", 1, len(COLUMNS))
    if not isinstance(vertex, str):
        raise DTypeError(f"vertex must be a str, got {vertex!r}")
    v = vertex.strip().upper()
    if v == "PASS":
        return board_size * board_size
    column = COLUMNS.find(v[:1]) if v[:1] else -1
    if column < 0 or column >= board_size or not v[1:].isdigit():
        raise InvalidArgumentError(f"{vertex!r} is not a vertex of a {board_size}x{board_size} board")
    row = int(v[1:]) - 1
    if not 0 <= row < board_size:
        raise InvalidArgumentError(f"{vertex!r} is not a vertex of a {board_size}x{board_size} board")
    return row * board_size + column


def _stop(process: subprocess.Popen, stderr, kill: list) -> None:
    """Ends the process (quit, then kill after a second; at once when
    ``kill[0]``) and closes its files."""
    assert process.stdin is not None and process.stdout is not None  # started with both piped
    if kill[0] and process.poll() is None:
        process.kill()
        process.wait()
    if process.poll() is None:
        try:
            process.stdin.write(b"quit\n")
            process.stdin.flush()
        except OSError:
            pass
        try:
            process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for f in (process.stdin, process.stdout, stderr):
        try:
            f.close()
        except OSError:
            pass


class GnuGoPlayer:
    """GNU Go playing Go through GTP; ``player(state)`` is its move.

    Parameters: ``level`` GNU Go's strength 0..10 (its ``--level``);
    ``board_size`` 5..9 and ``komi`` those of the games it plays (a state of
    another board size or komi raises InvalidArgumentError); ``timeout`` seconds to
    wait for each GTP response (``genmove`` included); ``executable`` the
    GNU Go program (default: :func:`find_gnugo`), or a list (a program and
    its first arguments, e.g. a test double). The options after it are
    always the ones in the module's docstring.

    One player is for one thread at a time. See the module's docstring for
    the replacement rule and the errors."""

    def __init__(self, level: int = 1, board_size: int = 9, komi: float = 7.5, timeout: float = 30.0,
                 executable: str | list[str] | None = None):
        level, board_size = _as_int(level, "level", 0, 10), _as_int(board_size, "board_size", 5, 9)
        komi, timeout = _as_real(komi, "komi"), _as_real(timeout, "timeout")
        if abs(komi) > 1000:
            raise InvalidArgumentError(f"komi must satisfy |komi| <= 1000, got {komi!r}")
        if not 0 < timeout <= 1e6:
            raise InvalidArgumentError(f"timeout must be a positive number of seconds (at most 1e6), got {timeout!r}")
        self.level, self.board_size, self.komi, self.timeout = level, board_size, komi, timeout
        self.game = Game("go", {"board_size": board_size, "komi": self.komi})
        #: GNU Go moves replaced by passes, in order (see the module's docstring).
        self.replacements: list[Replacement] = []
        if isinstance(executable, (list, tuple)):
            prefix = list(executable)
            if not prefix or not all(isinstance(p, str) for p in prefix):
                raise DTypeError(f"executable must be a path or a non-empty list of str, got {executable!r}")
        elif executable is None or isinstance(executable, str):
            prefix = [find_gnugo(executable)]
        else:
            raise DTypeError(f"executable must be a path or a non-empty list of str, got {executable!r}")
        self.command = prefix + ["--mode", "gtp", "--level", str(level), "--boardsize", str(board_size),
                                 "--komi", repr(self.komi), "--chinese-rules", "--capture-all-dead",
                                 "--positional-superko"]
        self._stderr = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=self._stderr)
        except OSError as e:
            self._stderr.close()
            raise GnuGoError(f"could not start GNU Go ({' '.join(self.command)}): {e}") from e
        self._kill = [False]  # set on a failure: no polite quit
        self._finalizer = weakref.finalize(self, _stop, self._process, self._stderr, self._kill)
        self._selector = selectors.DefaultSelector()
        assert self._process.stdin is not None and self._process.stdout is not None  # piped
        self._selector.register(self._process.stdout, selectors.EVENT_READ)
        self._buffer = b""
        self._id = 0
        self._sent: list[int] | None = None  # the moves on GNU Go's board, None: unknown
        try:
            version = self._command("protocol_version")
            if version.strip() != "2":
                raise GnuGoError(f"GNU Go speaks GTP version {version.strip()!r}, expected 2")
            self._command(f"boardsize {board_size}")
            self._command(f"komi {self.komi!r}")
            self._reset_board()
        except BaseException:
            self.close()
            raise

    # -- process and protocol ------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Ends GNU Go (idempotent)."""
        if self._finalizer.alive:
            self._selector.close()
            self._finalizer()

    def __enter__(self) -> "GnuGoPlayer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"pid {self._process.pid}"
        return f"GnuGoPlayer(level={self.level}, board_size={self.board_size}, komi={self.komi}) ({state})"

    def _fail(self, message: str) -> GnuGoError:
        """Kills GNU Go and returns the error to raise (with its stderr's tail)."""
        self._kill[0] = True
        self.close()
        try:
            self._stderr.seek(0)
        except (OSError, ValueError):
            tail = ""
        else:
            tail = self._stderr.read()[-500:].decode(errors="replace").strip()
        return GnuGoError(message + (f"; its stderr ends: {tail}" if tail else ""))

    def command_line(self, command: str) -> str:
        """Sends one GTP command (e.g. ``"showboard"``, ``"loadsgf f.sgf"``)
        and returns the answer of a success (``=``), raising GnuGoError for
        a failure (``?``), garbage, an exit or a timeout (the last three
        also end the process). The next :meth:`action` rebuilds GNU Go's
        board, which the command may have changed. One line of printable
        ASCII (InvalidArgumentError otherwise: no second command slips in)."""
        if not isinstance(command, str):
            raise DTypeError(f"command must be a str, got {command!r}")
        if not command.strip() or not all(" " <= ch <= "~" for ch in command):
            raise InvalidArgumentError(f"command must be one non-empty line of printable ASCII, got {command!r}")
        self._sent = None
        return self._command(command)

    def _command(self, command: str) -> str:
        if self.closed:
            raise GnuGoError("this GnuGoPlayer is closed")
        self._id += 1
        assert self._process.stdin is not None         # piped
        try:
            self._process.stdin.write(f"{self._id} {command}\n".encode())
            self._process.stdin.flush()
        except OSError as e:
            raise self._fail(f"GNU Go stopped reading commands ({e}); exit code {self._process.poll()}") from e
        text = self._response(command)
        status, _, rest = text.partition(" ") if " " in text else (text, "", "")
        if status == f"={self._id}":
            return rest.strip()
        if status == f"?{self._id}":
            raise GnuGoError(f"GNU Go refused {command!r}: {rest.strip()}")
        raise self._fail(f"GNU Go answered {command!r} with something that is not a GTP response: {text[:200]!r}")

    def _response(self, command: str) -> str:
        """The next response (up to the blank line that ends it), within the timeout."""
        deadline = time.monotonic() + self.timeout
        while b"\n\n" not in self._buffer.replace(b"\r", b""):
            if len(self._buffer) > MAX_RESPONSE:
                raise self._fail(f"GNU Go's answer to {command!r} exceeds {MAX_RESPONSE} bytes without ending")
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                raise self._fail(f"GNU Go did not answer {command!r} within {self.timeout:g} s")
            assert self._process.stdout is not None    # piped
            chunk = os.read(self._process.stdout.fileno(), 65536)
            if not chunk:
                code = self._process.wait()
                raise self._fail(f"GNU Go exited (code {code}) while answering {command!r}")
            self._buffer += chunk
        data = self._buffer.replace(b"\r", b"")
        end = data.index(b"\n\n")
        self._buffer = data[end + 2:]
        return data[:end].decode(errors="replace").strip()

    # -- playing -------------------------------------------------------------------------------

    def _reset_board(self) -> None:
        self._command("clear_board")
        self._sent = []

    def _sync(self, history: list[int]) -> None:
        """Brings GNU Go's board to ``history`` (the moves since the last
        call, or the whole history on a cleared board)."""
        if self._sent is None or history[:len(self._sent)] != self._sent:
            self._reset_board()
        assert self._sent is not None                  # [] after _reset_board
        for i in range(len(self._sent), len(history)):
            colour = "BW"[i % 2]
            vertex = action_to_vertex(history[i], self.board_size)
            try:
                self._command(f"play {colour} {vertex}")
            except GnuGoError as e:
                self._sent = None
                raise GnuGoError(f"GNU Go refused move {i} ({colour} {vertex}) that swiftpg allows: {e}") from e
            self._sent.append(history[i])

    def action(self, state: State) -> int:
        """GNU Go's move in ``state`` (a ``go`` State of this player's board
        size and komi, not finished, with a known history), an action id
        legal in ``state``; see the replacement rule."""
        params = state.game.get_parameters() if isinstance(state, State) and state.game.name == "go" else {}
        if not isinstance(state, State):
            raise DTypeError(f"state must be a swiftpg.games.State of go, got {state!r:.100}")
        if (params.get("board_size"), params.get("komi")) != (self.board_size, self.komi):
            raise InvalidArgumentError(f"GnuGoPlayer plays go with board_size={self.board_size}, komi={self.komi}; got "
                             f"{getattr(state, 'game', state)!r}")
        if state.is_terminal():
            raise InvalidArgumentError("the game is over: GNU Go has no move to make")
        history = state.history()
        if history is None:
            raise InvalidArgumentError("GnuGoPlayer needs the state's history (a state set by set_state has none)")
        self._sync(history)
        colour = "BW"[state.current_player()]
        answer = self._command(f"genmove {colour}")
        passing = self.board_size * self.board_size
        reason = None
        if answer.lower() == "resign":
            reason = "GNU Go resigned (OpenSpiel's go has no resignation)"
        else:
            try:
                action = vertex_to_action(answer, self.board_size)
            except InvalidArgumentError:
                raise self._fail(f"GNU Go answered genmove with {answer!r}, not a vertex") from None
            if action not in state.legal_actions():
                reason = "illegal in swiftpg"
            elif action != passing:
                with state.child(action) as after:
                    # A placement ends the game only by a repetition or at the move limit; at the
                    # limit a repetition shows as a draw despite a nonzero margin (with a zero
                    # margin the two endings are the same draw).
                    if after.is_terminal() and (len(history) + 1 < self.game.max_game_length() or (
                            after.returns()[0] == 0 and after.score_margin() != 0)):
                        reason = "it repeats an earlier position (the game would end as a draw)"
        if reason is not None:
            self.replacements.append(Replacement(len(history), answer, reason))
            self._sent = None  # GNU Go's board has its own move: rebuild it next time
            return passing
        assert self._sent is not None                  # set by _sync
        self._sent.append(action)
        return action

    __call__ = action
