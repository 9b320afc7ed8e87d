"""swiftpg.gnugo: a real GTP exchange with GNU Go (Debian ``gnugo``) in short
5x5 games against random moves, every GNU Go move legal in swiftpg or
replaced by the documented rule; and a fake GTP program that crashes,
answers garbage, never answers or proposes illegal moves, each giving a
clear error (or a recorded replacement) within the timeout."""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest

from swiftpg import games, gnugo
from swiftpg.gnugo import GnuGoError, GnuGoPlayer

FAKE = os.path.join(os.path.dirname(__file__), "fake_gtp.py")


def has_gnugo() -> bool:
    try:
        gnugo.find_gnugo()
    except GnuGoError:
        return False
    return True


def play(black, white, game, max_moves=None):
    """Plays one game between two callables; returns the final state."""
    state = game.new_initial_state()
    while not state.is_terminal() and (max_moves is None or len(state.history()) < max_moves):
        player = (black, white)[state.current_player()]
        action = player(state)
        assert action in state.legal_actions()
        state.apply_action(action)
    return state


def random_player(seed):
    rng = np.random.default_rng(seed)

    def act(state):
        legal = state.legal_actions()
        # Rarely pass, so the games have captures and fights.
        return int(rng.choice(legal[:-1])) if len(legal) > 1 and rng.random() < 0.9 else legal[-1]
    return act


def test_vertices_round_trip_and_skip_i():
    assert gnugo.action_to_vertex(0, 9) == "A1" and gnugo.action_to_vertex(8, 9) == "J1"
    assert gnugo.action_to_vertex(80, 9) == "J9" and gnugo.action_to_vertex(81, 9) == "pass"
    for n in (5, 9):
        assert [gnugo.vertex_to_action(gnugo.action_to_vertex(a, n), n) for a in range(n * n + 1)] \
            == list(range(n * n + 1))
    for bad in ("I1", "A0", "A10", "F1", "", "A", "1A", "resign"):
        with pytest.raises(ValueError):
            gnugo.vertex_to_action(bad, 5)


@pytest.mark.skipif(not has_gnugo(), reason="GNU Go (apt-get install gnugo)")
def test_real_gnugo_plays_legal_moves_and_beats_random_play():
    game = games.load("go", board_size=5, komi=0.5)
    wins = 0
    with GnuGoPlayer(level=0, board_size=5, komi=0.5, timeout=20) as player:
        for i in range(4):
            # GNU Go plays black in even games, white in odd ones.
            seats = (player, random_player(i)) if i % 2 == 0 else (random_player(i), player)
            with play(*seats, game) as final:
                ours = i % 2
                wins += final.returns()[ours] == 1.0
                assert final.is_terminal()
        # Every GNU Go move was legal or recorded as replaced with a reason.
        assert all(r.reason for r in player.replacements)
        # A state of another game (a fresh board) resynchronises GNU Go.
        state = game.new_initial_state()
        state.apply_action(12)
        assert player(state) in state.legal_actions()
    assert wins >= 3  # GNU Go beats uniformly random moves
    assert player.closed and player._process.poll() is not None


@pytest.mark.skipif(not has_gnugo(), reason="GNU Go (apt-get install gnugo)")
def test_real_gnugo_refuses_a_state_of_another_game():
    with GnuGoPlayer(level=0, board_size=5, komi=0.5) as player:
        for other in (games.load("go", board_size=7, komi=0.5), games.load("go", board_size=5, komi=7.5),
                      games.load("tic_tac_toe")):
            with pytest.raises(ValueError):
                player(other.new_initial_state())
        with pytest.raises(GnuGoError, match="refused"):
            player.command_line("no_such_command")
        with pytest.raises(ValueError, match="one non-empty line"):
            player.command_line("name\nquit")  # no second command slips in
        assert player.command_line("name") == "GNU Go"


def fake(mode, timeout=1.0, **kw) -> GnuGoPlayer:
    return GnuGoPlayer(board_size=5, komi=0.5, timeout=timeout, executable=[sys.executable, FAKE, mode], **kw)


@pytest.mark.parametrize("mode,message", [("crash", "exited"), ("garbage", "not a GTP response"),
                                          ("sleep", "did not answer"), ("endless", "exceeds"),
                                          ("offboard", "not a vertex")])
def test_a_misbehaving_gtp_program_is_a_clear_error_within_the_timeout(mode, message):
    player = fake(mode)
    state = games.load("go", board_size=5, komi=0.5).new_initial_state()
    start = time.monotonic()
    with pytest.raises(GnuGoError, match=message):
        player(state)
    assert time.monotonic() - start < 1.0 + 1.0
    assert player.closed and player._process.poll() is not None  # killed, not left behind
    with pytest.raises(GnuGoError, match="closed"):
        player(state)


@pytest.mark.parametrize("mode,reason", [("occupied", "illegal"), ("resign", "resigned")])
def test_a_forbidden_proposal_becomes_a_recorded_pass(mode, reason):
    with fake(mode) as player:
        state = games.load("go", board_size=5, komi=0.5).new_initial_state()
        state.apply_action(0)  # black A1: the fake proposes A1 for white
        assert player(state) == 25
        assert len(player.replacements) == 1 and reason in player.replacements[0].reason
        assert player.replacements[0].move_number == 1
        state.apply_action(25)
        state.apply_action(6)
        assert player(state) == 25 and len(player.replacements) == 2


def test_a_proposed_superko_repetition_becomes_a_recorded_pass():
    # A random 5x5 game that a repetition ended; the fake proposes its last move.
    game = games.load("go", board_size=5, komi=0.5)
    for seed in range(300):
        final = play(random_player(seed), random_player(seed + 1000), game)
        history = final.history()
        if final.returns() == [0.0, 0.0] and len(history) < 50 and history[-1] != 25:
            break
    else:
        pytest.fail("no superko repetition in 300 random games")
    state = game.new_initial_state()
    for a in history[:-1]:
        state.apply_action(a)
    with fake("propose=" + gnugo.action_to_vertex(history[-1], 5)) as player:
        assert player(state) == 25
        assert "repeats an earlier position" in player.replacements[0].reason
        assert player.replacements[0].move_number == len(history) - 1


def test_missing_program_and_bad_arguments():
    with pytest.raises(GnuGoError, match="apt-get install gnugo"):
        gnugo.find_gnugo("/nonexistent/gnugo")
    for kw in ({"level": 11}, {"board_size": 4}, {"komi": float("nan")}, {"timeout": 0}):
        with pytest.raises(ValueError):
            GnuGoPlayer(executable=[sys.executable, FAKE, "fine"], **kw)


def gnugo_margin(player: GnuGoPlayer, history) -> tuple[float, list[str]]:
    """GNU Go's ``final_score`` of the position after ``history`` as black's
    margin, and the stones it calls dead (``final_status_list dead``)."""
    player.command_line("clear_board")
    for k, a in enumerate(history):
        player.command_line(f"play {'BW'[k % 2]} {gnugo.action_to_vertex(a, player.board_size)}")
    text = player.command_line("final_score").upper()
    assert text == "0" or text[:2] in ("B+", "W+"), text
    margin = 0.0 if text == "0" else float(text[2:]) * (1 if text.startswith("B+") else -1)
    return margin, player.command_line("final_status_list dead").split()


def dame(state) -> int:
    """The empty points of a go state in regions that touch both colours."""
    n = state.game.get_parameters()["board_size"]
    planes = np.asarray(state.observation_tensor(), dtype=float).reshape(4, n, n)
    colour = np.where(planes[0] > 0, 0, np.where(planes[1] > 0, 1, -1))
    seen, count = set(), 0
    for start in zip(*np.nonzero(colour < 0)):
        if start in seen:
            continue
        region, touches, stack = [], set(), [start]
        seen.add(start)
        while stack:
            r, c = stack.pop()
            region.append((r, c))
            for q in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                if 0 <= q[0] < n and 0 <= q[1] < n:
                    if colour[q] >= 0:
                        touches.add(int(colour[q]))
                    elif q not in seen:
                        seen.add(q)
                        stack.append(q)
        count += len(region) if len(touches) == 2 else 0
    return count


@pytest.mark.skipif(not has_gnugo(), reason="GNU Go (apt-get install gnugo)")
def test_swiftpg_and_gnugo_score_finished_games_alike():
    # Area scoring with komi: swiftpg's score_margin (OpenSpiel's rules: the board as it stands)
    # equals GNU Go's final_score (Chinese rules) on every finished board without stones GNU Go
    # calls dead and without dame (empty regions touching both colours). Where they remain the two
    # differ by design: GNU Go removes the stones it judges dead, and its final_score of a board
    # with dame is not the board's (black B1-B5 against white D1-D5, komi 0.5: W+0.5 as the board
    # stands, B+0.5 from GNU Go 3.8, as if the dame were filled alternately, black first).
    game = games.load("go", board_size=5, komi=0.5)
    walls = [2, 3, 7, 8, 12, 13, 17, 18, 22, 23]          # black C1-C5, white D1-D5
    hand_made = {"walls": walls + [25, 25], "capture": walls + [1, 0, 5, 25, 25]}  # white A1 taken by A2
    checked = 0
    with GnuGoPlayer(level=0, board_size=5, komi=0.5, timeout=20) as player:
        for name, moves in hand_made.items():
            state = game.new_initial_state()
            for a in moves:
                state.apply_action(a)
            assert state.is_terminal(), name
            theirs, dead = gnugo_margin(player, moves)
            assert dead == [] and dame(state) == 0 and state.score_margin() == 4.5 == theirs, (name, theirs, dead)
        state = game.new_initial_state()
        for a in [1, 3, 6, 8, 11, 13, 16, 18, 21, 23, 25, 25]:  # black B1-B5, white D1-D5: column C is dame
            state.apply_action(a)
        assert dame(state) == 5 and state.score_margin() == -0.5
        for i in range(3):  # GNU Go against random moves (it captures every dead stone before passing)
            seats = (player, random_player(i)) if i % 2 == 0 else (random_player(i), player)
            with play(*seats, game) as final:
                history = final.history()
                theirs, dead = gnugo_margin(player, history)
                if dead or dame(final) or history[-2:] != [25, 25]:
                    continue  # GNU Go's judgement and dame filling, or no two passes
                assert final.score_margin() == theirs, (history, final.score_margin(), theirs)
                assert np.sign(final.returns()[0]) == np.sign(theirs)
                checked += 1
    assert checked >= 2
