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
