"""Speed of swiftpg's Connect Four solver (Pons-style bitboard negamax) per
game stage.

Quick mode (default): positions from seeded uniformly random 6×7 games,
stopped at 8, 12, 16, 20, 24 and 30 stones (games that end earlier, or
positions whose player to move can win at once — scored without search —
are drawn again); each position is scored by a fresh solver (cold
transposition table). Prints per stage the median and largest time and the
median nodes searched. A position that takes longer than ``--limit``
seconds is stopped (the search is cancellable) and counted as timed out.

``--full``: also the empty 6×7 board (known value +1: the first player wins
with their last stone; Allis 1988) and the seven first moves (known −2, −1,
0, +1, 0, −1, −2 from the point of view of the player who made them, i.e.
minus the score of the position after it). By the board's left-right
symmetry only columns 0–3 are solved; columns 4–6 take their mirror's value
and the empty board's score is the best of the seven. This takes hours
(4-stone positions take one to two minutes on one core of the machine of
this change, and every stone fewer costs more); no time limit applies.

Usage: python bench/connect_four_solver.py [--full] [--positions N] [--seed S] [--limit SECONDS] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import time

from swiftpg import game_players, games

STAGES = (8, 12, 16, 20, 24, 30)
FIRST_MOVES = (-2, -1, 0, 1, 0, -1, -2)


def random_position(rng: random.Random, stones: int) -> list[int]:
    """A sequence of `stones` uniformly random legal moves of a game that
    has not ended, whose player to move cannot win at once."""
    game = games.load("connect_four")
    while True:
        with game.new_initial_state() as state:
            moves = []
            while len(moves) < stones and not state.is_terminal():
                a = rng.choice(state.legal_actions())
                state.apply_action(a)
                moves.append(a)
            if state.is_terminal() or len(moves) < stones:
                continue
            if any(_wins(state, a) for a in state.legal_actions()):
                continue
            return moves


def _wins(state, action: int) -> bool:
    """Whether `action` ends the game with a winner (only the mover can win)."""
    with state.child(action) as child:
        return child.is_terminal() and child.returns()[0] != 0


class _Timeout(Exception):
    pass


def timed_score(moves: list[int], limit: float | None) -> tuple[int | None, float, int]:
    """(score or None if stopped, seconds, nodes) with a fresh solver."""
    def alarm(*_):
        raise _Timeout

    with game_players.connect_four_solver() as solver:
        previous = signal.signal(signal.SIGALRM, alarm)
        if limit:
            signal.setitimer(signal.ITIMER_REAL, limit)
        start = time.perf_counter()
        try:
            score = solver.score(moves)
        except _Timeout:
            score = None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return score, time.perf_counter() - start, solver.node_count


def quick(positions: int, seed: int, limit: float) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for stones in STAGES:
        times, nodes, timeouts = [], [], 0
        for _ in range(positions):
            score, seconds, n = timed_score(random_position(rng, stones), limit)
            if score is None:
                timeouts += 1
            times.append(seconds)
            nodes.append(n)
        row = dict(stones=stones, positions=positions, median_ms=1000 * statistics.median(times),
                   max_ms=1000 * max(times), median_nodes=int(statistics.median(nodes)), timeouts=timeouts)
        rows.append(row)
        print(f"{stones:>6} {positions:>9} {row['median_ms']:>11.2f} {row['max_ms']:>10.1f} "
              f"{row['median_nodes']:>13,} {timeouts:>8}", flush=True)
    return rows


def full() -> dict:
    values = {}
    for column in range(4):
        score, seconds, nodes = timed_score([column], None)
        values[column] = -score
        print(f"first move {column}: {-score:+d} (known {FIRST_MOVES[column]:+d}) in {seconds:.1f} s, "
              f"{nodes:,} nodes", flush=True)
    moves = [values[min(c, 6 - c)] for c in range(7)]
    empty = max(moves)
    print(f"first moves: {moves} (known {list(FIRST_MOVES)}); empty board: {empty:+d} (known +1)")
    assert moves == list(FIRST_MOVES) and empty == 1, "the solver disagrees with the known values"
    return dict(first_moves=moves, empty_board=empty)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="also the empty board and the seven first moves")
    parser.add_argument("--positions", type=int, default=20, help="positions per stage (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds per quick-mode position (default 60)")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    args = parser.parse_args()
    print("Connect Four 6×7 solver, fresh table per position (8 388 593 entries, 75 MB)")
    print(f"{'stones':>6} {'positions':>9} {'median ms':>11} {'max ms':>10} {'median nodes':>13} {'timeouts':>8}")
    results = dict(stages=quick(args.positions, args.seed, args.limit))
    if args.full:
        results.update(full())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
