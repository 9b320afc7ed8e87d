"""``python -m swiftpg play GAME``: a person plays a two-player game in the
terminal against one of swiftpg's players (issue 17).

    python -m swiftpg play connect_four --opponent solver --first
    python -m swiftpg play connect_four --rows 4 --columns 5 --x_in_row 3 --opponent mcts --simulations 2000
    python -m swiftpg play tic_tac_toe --opponent minimax --depth 9
    python -m swiftpg play go --board-size 5 --opponent mcts --simulations 500
    python -m swiftpg play connect_four --opponent policy.swiftpg --value value.swiftpg --search 400

``--opponent`` is a built-in player (solver, mcts, minimax, random) or the
path of a saved board policy network (``PolicyNetwork.save``, issue 18): it
plays its most probable move, or with ``--search N`` a PUCT search of N
simulations with the network as prior and, with ``--value PATH``, a saved
value network scoring the leaves, mixed with random rollouts by
``--rollout-weight`` λ (default 0.5, AlphaGo's; ``--c-puct``, default 3). The network
must have been trained for the game and board chosen here.

The board is OpenSpiel's text (``x`` moves first, ``o`` second; Connect-N's
bottom row last) with the action numbers beside it; the person types an
action (a Connect-N column 0 .. columns − 1, a tic-tac-toe cell 0 .. 8,
row-major from the top left; a Go point such as ``c3`` or ``pass``).
Anything else, or an illegal move, asks
again. End of input (Ctrl-D) exits with status 0, Ctrl-C with 130; a
finished game exits 0. The opponent's random choices follow ``--seed``.

The solver plays perfectly whenever it finishes within ``--think``
seconds (default 20): on 6×7 positions with a dozen stones or more it
takes well under a second, but the first few moves take minutes, so a
search that runs out of time is stopped and minimax (depth 6) picks that
move — the game prints a note each time (``--think 0``: wait for the
exact answer).
"""

from __future__ import annotations

import sys

from . import _lib

OPPONENTS = ("solver", "mcts", "minimax", "random")


def add_parser(sub) -> None:
    p = sub.add_parser("play", help="play a board game in the terminal against a swiftpg player")
    p.add_argument("game", choices=("connect_four", "tic_tac_toe", "go"))
    p.add_argument("--opponent", default="solver", metavar="{solver,mcts,minimax,random,PATH}",
                   help="solver (perfect play), mcts, minimax, random (default solver), or the path of a saved board "
                        "policy network")
    p.add_argument("--value", default=None, metavar="PATH",
                   help="with a network opponent: a saved board value network for its search's leaves")
    p.add_argument("--search", type=int, default=0, metavar="N",
                   help="with a network opponent: PUCT simulations per move (default 0: the raw policy network)")
    p.add_argument("--c-puct", "--c_puct", type=float, default=3.0, dest="c_puct",
                   help="with a network opponent and --search: the PUCT exploration constant (default 3)")
    p.add_argument("--rollout-weight", "--rollout_weight", type=float, default=0.5, dest="rollout_weight",
                   metavar="LAMBDA",
                   help="with --value: a leaf's value is (1 - LAMBDA)·V + LAMBDA·(a random rollout's outcome), "
                        "AlphaGo's mixing (default 0.5, as the recommended pipeline settings and the benchmarks; "
                        "0: the value network alone, as AlphaZero)")
    p.add_argument("--first", action="store_true", help="you move first (x); otherwise the opponent does")
    p.add_argument("--rows", type=int, default=6, help="connect_four rows (default 6)")
    p.add_argument("--columns", type=int, default=7, help="connect_four columns (default 7)")
    p.add_argument("--x_in_row", "--x-in-row", type=int, default=4, dest="x_in_row",
                   help="connect_four stones in a row that win (default 4)")
    p.add_argument("--board-size", "--board_size", type=int, default=5, dest="board_size",
                   help="go: the board's side, 5 to 9 (default 5)")
    p.add_argument("--komi", type=float, default=7.5, help="go: komi (default 7.5)")
    p.add_argument("--simulations", type=int, default=2000, help="MCTS simulations per move (default 2000)")
    p.add_argument("--depth", type=int, default=5, help="minimax depth (default 5)")
    p.add_argument("--seed", type=int, default=0, help="the opponent's random choices (default 0)")
    p.add_argument("--think", type=float, default=20.0, metavar="SECONDS",
                   help="the solver's time per move (default 20; 0: unlimited). On 6x7 the first few moves take "
                        "minutes to solve exactly; a search that runs out of time is stopped and minimax (depth 6) "
                        "chooses that move instead, and the game says so")
    p.set_defaults(fn=play_command)


def _network_opponent(args, game):
    """The player of a saved network (``--opponent PATH``)."""
    from . import board_networks as B
    policy = B.load_network(args.opponent, game)
    if not isinstance(policy, B.PolicyNetwork):
        raise ValueError(f"{args.opponent} holds a value network; --opponent needs a policy network (pass the value "
                         "network with --value)")
    value = None
    if args.value is not None:
        loaded = B.load_network(args.value, game)
        if not isinstance(loaded, B.ValueNetwork):
            raise ValueError(f"{args.value} holds a policy network; --value needs a value network")
        value = loaded
    if args.search < 0:
        raise ValueError(f"--search must be >= 0, got {args.search}")
    if args.search == 0:
        if value is not None:
            raise ValueError("--value needs --search N (a search uses the value network)")
        return B.PolicyPlayer(policy)
    return B.PUCTPlayer(policy, value, simulations=args.search, c_puct=args.c_puct,
                        rollout_weight=args.rollout_weight if value is not None else 0.0)


def _opponent(args, game=None):
    from . import game_players as P
    if args.opponent not in OPPONENTS:
        return _network_opponent(args, game)
    if args.value is not None or args.search:
        raise ValueError("--value and --search apply to a network opponent (--opponent PATH)")
    if args.opponent == "solver":
        return P.SolverPlayer()
    if args.opponent == "mcts":
        return P.MCTSPlayer(args.simulations)
    if args.opponent == "minimax":
        return P.MinimaxPlayer(args.depth)
    return P.RandomPlayer()


def _board(state) -> str:
    """OpenSpiel's text with the action numbers: under the columns for
    Connect-N, a key grid beside tic-tac-toe."""
    text = str(state).rstrip("\n")
    if state.game.name == "go":
        return text
    if state.game.name == "connect_four":
        columns = state.game.num_distinct_actions()
        labels = "".join(str(c % 10) for c in range(columns))
        return f"{text}\n{labels}"
    rows = text.split("\n")
    return "\n".join(f"{row}   {''.join(str(3 * r + c) for c in range(3))}" for r, row in enumerate(rows))


def _go_moves(state) -> dict:
    """Go: {"c3": action, ..., "pass": action} of the legal moves."""
    return {state.action_to_string(state.current_player(), a).split()[-1].lower(): a for a in state.legal_actions()}


def _read_go_action(state, out) -> int | None:
    """The person's Go move as a point ("c3") or "pass"; None at end of input."""
    moves = _go_moves(state)
    while True:
        out.write(f"your move ({'BW'[state.current_player()]}), a point such as c3, or pass: ")
        out.flush()
        line = sys.stdin.readline()
        if not line:
            return None
        if not sys.stdin.isatty():
            out.write(line if line.endswith("\n") else line + "\n")  # echo piped input
        text = line.strip().lower()
        if text in moves:
            return moves[text]
        out.write(f"'{text}' is not a legal move here; legal: {' '.join(sorted(moves))}\n")


def _read_action(state, out) -> int | None:
    """The person's legal action, asking again after bad input; None at end
    of input."""
    if state.game.name == "go":
        return _read_go_action(state, out)
    legal = state.legal_actions()
    what = "column" if state.game.name == "connect_four" else "cell"
    while True:
        out.write(f"your move ({'xo'[state.current_player()]}), a {what} of {legal}: ")
        out.flush()
        line = sys.stdin.readline()
        if not line:
            return None
        if not sys.stdin.isatty():
            out.write(line if line.endswith("\n") else line + "\n")  # echo piped input
        text = line.strip()
        try:
            action = int(text)
        except ValueError:
            out.write(f"'{text}' is not a number; type a {what} of {legal}\n")
            continue
        if action not in legal:
            out.write(f"{action} is not a legal {what} here; legal: {legal}\n")
            continue
        return action


class _OutOfTime(Exception):
    pass


def _timed_action(solver, state, seed: int, seconds: float) -> tuple[int, bool]:
    """The solver's move within ``seconds`` (the search is cancelled by a
    SIGALRM), else minimax depth 6's; and whether the solver chose."""
    import signal

    from .game_players import MinimaxPlayer

    def alarm(*_):
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return solver.action(state, seed=seed), True
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _OutOfTime:
        pass
    finally:
        signal.signal(signal.SIGALRM, previous)
    with MinimaxPlayer(6) as fallback:
        return fallback.action(state, seed=seed), False


def play_command(args) -> int:
    from . import games
    from ._lib import SwiftPGError
    from .game_players import _mix
    out = sys.stdout
    if not (args.think >= 0 and args.think < float("inf")):
        print(f"python -m swiftpg play: error: --think must be a finite number of seconds >= 0, got {args.think}",
              file=sys.stderr)
        return 2
    try:
        if args.game == "connect_four":
            game = games.load("connect_four", rows=args.rows, columns=args.columns, x_in_row=args.x_in_row)
        elif args.game == "go":
            game = games.load("go", board_size=args.board_size, komi=args.komi)
        else:
            game = games.load("tic_tac_toe")
        opponent = _opponent(args, game)
        opponent.native(game)  # refuses now what the game has no player for
    except (SwiftPGError, ValueError) as e:
        print(f"python -m swiftpg play: error: {e}", file=sys.stderr)
        return 2
    me = 0 if args.first else 1
    ply = 0
    try:
        with opponent, game.new_initial_state() as state:
            name = args.opponent if args.opponent in OPPONENTS else "network"
            marks = "BW" if args.game == "go" else "xo"
            out.write(f"{args.game}: you play {marks[me]}, the {name} player {marks[1 - me]}\n")
            while not state.is_terminal():
                out.write(_board(state) + "\n")
                if state.current_player() == me:
                    action = _read_action(state, out)
                    if action is None:
                        out.write("\nbye\n")
                        return 0
                else:
                    seed = _mix(args.seed % 2**64, ply)
                    if args.opponent == "solver" and args.think > 0:
                        action, exact = _timed_action(opponent, state, seed, args.think)
                        if not exact:
                            out.write(f"(the solver did not finish in {args.think:g} s; minimax depth 6 chose)\n")
                    else:
                        action = opponent.action(state, seed=seed)
                    shown = state.action_to_string(state.current_player(), action).split()[-1] \
                        if args.game == "go" else action
                    out.write(f"the {name} player plays {shown}\n")
                state.apply_action(action)
                ply += 1
            out.write(_board(state) + "\n")
            r = state.returns()[me]
            out.write("you win\n" if r > 0 else ("you lose\n" if r < 0 else "draw\n"))
            return 0
    except KeyboardInterrupt:
        out.write("\ninterrupted\n")
        return 130
    except _lib.SwiftPGError as e:
        print(f"python -m swiftpg play: error: {e}", file=sys.stderr)
        return 1

