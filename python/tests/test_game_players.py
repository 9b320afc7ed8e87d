"""swiftpg.game_players: the players, the arena (native and Python loops),
Elo ratings, the Connect-N solver from Python, and ``python -m swiftpg
play`` fed through stdin. Statistical checks use fixed seeds and
tolerances of four standard errors; exact values come from enumeration
(random tic-tac-toe) and from the solver's known values."""

from __future__ import annotations

import math
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import swiftpg
from swiftpg import _lib, games
from swiftpg import game_players as P

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def random_tic_tac_toe() -> tuple[float, float]:
    """P(first player wins), P(draw) of uniformly random tic-tac-toe, by
    exact enumeration over pyspiel-independent plain Python rules."""
    lines = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]

    def walk(board, mover):
        for a, b, c in lines:
            if board[a] and board[a] == board[b] == board[c]:
                return (1.0, 0.0) if board[a] == 1 else (0.0, 0.0)
        empty = [i for i in range(9) if not board[i]]
        if not empty:
            return 0.0, 1.0
        win = draw = 0.0
        for i in empty:
            board[i] = mover
            w, d = walk(board, 3 - mover)
            board[i] = 0
            win, draw = win + w / len(empty), draw + d / len(empty)
        return win, draw

    return walk([0] * 9, 1)


def within(count: int, n: int, p: float) -> bool:
    return abs(count / n - p) <= 4 * math.sqrt(p * (1 - p) / n)


def test_random_against_random_tic_tac_toe_matches_the_enumeration():
    win, draw = random_tic_tac_toe()
    assert abs(win - 0.5849) < 1e-3 and abs(draw - 0.1270) < 1e-3
    r = P.arena(games.load("tic_tac_toe"), P.RandomPlayer(), P.RandomPlayer(), 20000, seed=3)
    assert r.as_first.games == r.as_second.games == 10000 and r.games == 20000
    assert within(r.as_first.wins, 10000, win) and within(r.as_first.draws, 10000, draw)
    assert within(r.as_second.losses, 10000, win) and within(r.as_second.draws, 10000, draw)
    assert (r.wins, r.draws, r.losses) == (r.as_first.wins + r.as_second.wins, r.as_first.draws + r.as_second.draws,
                                           r.as_first.losses + r.as_second.losses)


def test_results_replay_with_the_seed_and_change_without():
    g = games.load("connect_four", rows=4, columns=5, x_in_row=3)
    a, b = P.MCTSPlayer(30), P.RandomPlayer()
    first = P.arena(g, a, b, 30, seed=5)
    assert P.arena(g, a, b, 30, seed=5) == first
    assert P.arena(g, P.RandomPlayer(), P.RandomPlayer(), 30, seed=6) != P.arena(g, P.RandomPlayer(),
                                                                                 P.RandomPlayer(), 30, seed=7)
    state = g.new_initial_state()
    assert {P.RandomPlayer().action(state, seed=s) for s in range(40)} == set(range(5))
    assert len({a.action(state, seed=9) for _ in range(3)}) == 1
    state.close()


def test_solvers_never_lose_and_beat_random():
    ttt = games.load("tic_tac_toe")
    with P.SolverPlayer() as solver:
        r = P.arena(ttt, solver, P.RandomPlayer(), 200, seed=1)
        assert r.losses == 0 and r.wins > 150
        assert P.arena(ttt, solver, P.MinimaxPlayer(9), 10, seed=1).draws == 10
        c3 = games.load("connect_four", rows=4, columns=5, x_in_row=3)  # a first-player win
        r = P.arena(c3, solver, P.RandomPlayer(), 60, seed=2)
        assert r.as_first.wins == 30 and r.score > 0.95


def test_minimax_depth_four_beats_random_at_connect_four():
    r = P.arena(games.load("connect_four"), P.MinimaxPlayer(4), P.RandomPlayer(), 100, seed=4)
    assert r.score > 0.9 and r.interval[0] > 0.9 - 0.05


def test_more_simulations_beat_fewer():
    g = games.load("connect_four", rows=4, columns=5, x_in_row=3)
    r = P.arena(g, P.MCTSPlayer(400), P.MCTSPlayer(10), 60, seed=8)
    assert r.interval[0] > 0.55, r


def test_python_callables_play_through_a_python_loop():
    g = games.load("tic_tac_toe")
    seen = []

    def first_legal(state):
        seen.append(str(state))
        return state.legal_actions()[0]

    r = P.arena(g, P.SolverPlayer(), first_legal, 6, seed=1)
    assert r.losses == 0 and r.games == 6 and seen
    r = P.arena(g, first_legal, first_legal, 2, seed=0)      # x takes the top row in both games
    assert (r.as_first.wins, r.as_second.losses) == (1, 1)
    with pytest.raises(swiftpg.InvalidArgumentError, match="player b chose an illegal move"):
        P.arena(g, P.RandomPlayer(), lambda s: 99, 1)
    with pytest.raises(swiftpg.DTypeError):
        P.arena(g, P.RandomPlayer(), lambda s: "4", 1)
    with pytest.raises(swiftpg.DTypeError):
        P.arena(g, P.RandomPlayer(), 3, 1)


def test_elo_orders_the_players_and_fits_records():
    g = games.load("tic_tac_toe")
    e = P.elo(g, [P.RandomPlayer(), P.MCTSPlayer(60), P.SolverPlayer()], games_per_pair=80, seed=2)
    assert e.ratings[0] == 0 and 0 < e.ratings[1] < e.ratings[2]
    assert e.standard_errors[0] == 0 and (e.standard_errors[1:] > 0).all()
    assert (e.records[0, 2, 0] == 0) and (e.records[:, :, :].sum() == 2 * 3 * 80)
    np.testing.assert_array_equal(e.records[1, 0], e.records[0, 1][::-1])
    # Two players, 300 wins of 400: 400·log10(3) with the closed-form error.
    ratings, errors = P.fit_elo([[[0, 0, 0], [100, 0, 300]], [[0, 0, 0], [0, 0, 0]]], prior_games=0)
    assert abs(ratings[1] - 400 * math.log10(3)) < 1e-9
    assert abs(errors[1] - 400 / math.log(10) / math.sqrt(400 * 0.75 * 0.25)) < 1e-9
    with pytest.raises(swiftpg.NumericalError):
        P.fit_elo([[[0, 0, 0], [0, 0, 5]], [[5, 0, 0], [0, 0, 0]]], prior_games=0)
    with pytest.raises(swiftpg.InvalidArgumentError):
        P.fit_elo([[[1, 0, 0]]])                               # games against itself
    with pytest.raises(swiftpg.InvalidArgumentError):
        P.fit_elo(np.zeros((2, 2, 2), np.int32))


def test_connect_four_solver_scores():
    with P.connect_four_solver() as s:
        # Twelve stones down (well under a second): check score and column scores agree.
        sol = s.solve([3, 3, 3, 3, 2, 2, 2, 4, 4, 4, 1, 1])
        assert sol.score == max(v for v in sol.column_scores if v is not None)
        assert sol.score == s.score([3, 3, 3, 3, 2, 2, 2, 4, 4, 4, 1, 1]) == 15
        assert s.node_count > 0
        with pytest.raises(swiftpg.InvalidArgumentError, match="move 6"):
            s.score([0] * 7)                                   # column 0 is full after six
    small = P.connect_four_solver(4, 5, 3)
    assert small.score([]) == 6                                # the first player wins 4×5 Connect-3
    state = small.game.new_initial_state()
    for a in (2, 2, 1):
        state.apply_action(a)
    assert P.solve(state) == small.solve(state) == small.solve([2, 2, 1])
    full = small.game.new_initial_state()
    for a in (0, 1, 0, 1, 0, 1, 0):
        if not full.is_terminal():
            full.apply_action(a)
    assert small.column_scores([0, 0, 0, 0])[0] is None                  # a full column
    with pytest.raises(swiftpg.InvalidArgumentError):
        small.score(full)                                      # the game is over
    with pytest.raises(swiftpg.InvalidArgumentError):
        small.score(games.load("connect_four").new_initial_state())   # another board
    with pytest.raises(swiftpg.NotSupportedError):
        P.solve(games.load("tic_tac_toe").new_initial_state())
    with pytest.raises(swiftpg.NotSupportedError):
        P.connect_four_solver(3, 3, 1)
    state.close()
    full.close()
    small.close()


def test_bad_input_raises_and_changes_nothing():
    g = games.load("tic_tac_toe")
    for bad in (lambda: P.MinimaxPlayer(0), lambda: P.MinimaxPlayer(65), lambda: P.MCTSPlayer(0),
                lambda: P.MCTSPlayer(10, c=float("nan")), lambda: P.MCTSPlayer(10, c=-1),
                lambda: P.arena(g, P.RandomPlayer(), P.RandomPlayer(), 0),
                lambda: P.arena(g, P.RandomPlayer(), P.RandomPlayer(), 1, seed=-1)):
        with pytest.raises(swiftpg.InvalidArgumentError):
            bad()
    with pytest.raises(swiftpg.DTypeError):
        P.MinimaxPlayer(2.5)
    with pytest.raises(swiftpg.DTypeError):
        P.Player()
    state = g.new_initial_state()
    for a in (0, 3, 1, 4, 2):
        state.apply_action(a)
    before = state.get_state().copy()
    for p in (P.RandomPlayer(), P.MinimaxPlayer(2), P.MCTSPlayer(5), P.SolverPlayer()):
        with pytest.raises(swiftpg.InvalidArgumentError, match="over"):
            p.action(state)
        p.close()
    np.testing.assert_array_equal(state.get_state(), before)
    state.close()


def test_players_in_the_c_abi_check_games_and_handles():
    import ctypes
    L = _lib.lib
    c4, ttt = games.load("connect_four"), games.load("tic_tac_toe")
    with c4.new_batch(1) as b4, ttt.new_batch(2) as bt:
        player = ctypes.c_uint64()
        _lib.check(L.swiftpg_player_create_random(bt.handle, ctypes.byref(player)))
        assert swiftpg.live_handles(_lib.KIND_GAME_PLAYER) >= 1
        out = ctypes.c_int32(-7)
        assert L.swiftpg_player_action(player.value, b4.handle, 0, 0, ctypes.byref(out)) == _lib.ERR_INVALID_ARGUMENT
        assert L.swiftpg_player_action(player.value, bt.handle, 2, 0, ctypes.byref(out)) == _lib.ERR_OUT_OF_RANGE
        assert L.swiftpg_player_action(player.value, bt.handle, 0, 0, None) == _lib.ERR_NULL_POINTER
        assert L.swiftpg_player_action(bt.handle, bt.handle, 0, 0, ctypes.byref(out)) == _lib.ERR_BAD_HANDLE
        assert out.value == -7                                          # failed calls write nothing
        record = (ctypes.c_int32 * 9)()
        assert L.swiftpg_arena_play(b4.handle, player.value, player.value, 2, 0, record) == _lib.ERR_INVALID_ARGUMENT
        assert L.swiftpg_solver_score(player.value, bt.handle, 0, ctypes.byref(out)) == _lib.ERR_NOT_SUPPORTED
        _lib.check(L.swiftpg_arena_play(bt.handle, player.value, player.value, 4, 1, record))   # self-play
        assert sum(record[:3]) == 4 and list(record[:3]) == [a + b for a, b in zip(record[3:6], record[6:9])]
        _lib.check(L.swiftpg_cancel(player.value, 1))
        _lib.check(L.swiftpg_cancel(player.value, 0))
        _lib.check(L.swiftpg_player_destroy(player.value))
        assert L.swiftpg_player_destroy(player.value) == _lib.ERR_BAD_HANDLE
        assert L.swiftpg_player_create_minimax(bt.handle, 0, ctypes.byref(player)) == _lib.ERR_INVALID_ARGUMENT
        assert L.swiftpg_player_create_solver(b4.handle, None) == _lib.ERR_NULL_POINTER


def test_wilson_intervals_match_published_values():
    # 0 of 10 and 5 of 10 at 95 %: (0, 0.2775) and (0.2366, 0.7634) (Wilson 1927; Agresti & Coull 1998).
    low, high = P.MatchRecord(losses=10).interval()
    assert low == 0 and abs(high - 0.27753) < 1e-5
    low, high = P.MatchRecord(wins=5, losses=5).interval()
    assert abs(low - 0.23659) < 1e-5 and abs(high - 0.76341) < 1e-5
    assert P.MatchRecord(draws=10).interval() == (low, high) and P.MatchRecord().interval() == (0.0, 1.0)


def test_pickling_a_player_makes_a_fresh_one():
    p = pickle.loads(pickle.dumps(P.MCTSPlayer(17, c=1.5)))
    assert (p.simulations, p.c) == (17, 1.5) and repr(p) == "MCTSPlayer(simulations=17, c=1.5)"
    assert P.mcts_budgets(10, 5) == [10, 32, 100, 316, 1000]


def play(*args: str, stdin: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    return subprocess.run([sys.executable, "-m", "swiftpg", "play", *args], input=stdin, capture_output=True,
                          text=True, timeout=60, env=env)


def test_play_in_the_terminal():
    # Bad input and an illegal move ask again; the solver (o) then wins or draws; end of input exits 0.
    p = play("tic_tac_toe", "--opponent", "solver", "--first", stdin="nine\n9\n0\n0\n1\n2\n3\n5\n6\n7\n8\n")
    assert p.returncode == 0, p.stderr
    assert "'nine' is not a number" in p.stdout and "9 is not a legal cell" in p.stdout
    assert "0 is not a legal cell" in p.stdout
    assert "you win" not in p.stdout and ("you lose" in p.stdout or "draw" in p.stdout or "bye" in p.stdout)
    assert "Traceback" not in p.stderr
    # Connect-3 on 4×5 against the solver, moving second: the solver (x) wins.
    p = play("connect_four", "--rows", "4", "--columns", "5", "--x_in_row", "3", "--opponent", "solver",
             stdin="0\n1\n2\n3\n4\n0\n1\n2\n3\n4\n" * 2)
    assert p.returncode == 0 and "you lose" in p.stdout, p.stdout
    assert ".....\n01234" in p.stdout                           # OpenSpiel's rows and the column labels
    # On 6×7 the solver's first reply cannot be solved in 0.2 s: minimax chooses, and the game says so.
    p = play("connect_four", "--opponent", "solver", "--first", "--think", "0.2", stdin="3\n")
    assert p.returncode == 0 and "did not finish in 0.2 s; minimax depth 6 chose" in p.stdout, p.stdout
    p = play("connect_four", "--opponent", "random", stdin="")
    assert p.returncode == 0 and "bye" in p.stdout
    p = play("connect_four", "--rows", "9", "--opponent", "random", stdin="")
    assert p.returncode == 2 and "rows" in p.stderr
    p = play("tic_tac_toe", "--think", "-1", stdin="")
    assert p.returncode == 2 and "--think" in p.stderr


def test_a_long_match_stops_on_an_exception_in_the_main_thread():
    """Ctrl-C (here: an exception raised by a SIGALRM handler) stops a match
    inside a player's search; the players work afterwards."""
    import signal
    import time

    class Stop(Exception):
        pass

    def alarm(*_):
        raise Stop

    g = games.load("connect_four")
    slow, fast = P.MCTSPlayer(1 << 20), P.RandomPlayer()
    previous = signal.signal(signal.SIGALRM, alarm)
    start = time.perf_counter()
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(Stop):
            P.arena(g, fast, slow, 4, seed=0)        # the MCTS player's first move alone takes many seconds
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.perf_counter() - start < 5
    assert P.arena(g, fast, fast, 2, seed=0).games == 2
    small = P.MCTSPlayer(20)
    with g.new_initial_state() as state:
        assert 0 <= small.action(state) < 7


def test_play_leaves_cleanly_on_ctrl_c():
    import signal
    import time

    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    proc = subprocess.Popen([sys.executable, "-m", "swiftpg", "play", "tic_tac_toe", "--first"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.time() + 30
        seen = ""
        while "your move" not in seen and time.time() < deadline:
            seen += proc.stdout.read(1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "interrupted" in out and "Traceback" not in err, (out, err)
