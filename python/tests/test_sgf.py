"""swiftpg.sgf: export and import of Go games round-trip (random games,
passes, superko draws, results from swiftpg's scoring), SGF written by
other programs (a hand-written game with comments, variations and names
as CGoban or GNU Go write them; GNU Go's own printsgf) reads correctly, and
bad input is a clear SgfError."""

from __future__ import annotations

import numpy as np
import pytest

import swiftpg
from swiftpg import games, gnugo
from swiftpg.sgf import SgfError, from_sgf, result_string, to_sgf


def random_game(size, komi, seed, pass_probability=0.05):
    rng = np.random.default_rng(seed)
    state = games.load("go", board_size=size, komi=komi).new_initial_state()
    while not state.is_terminal():
        legal = state.legal_actions()
        state.apply_action(int(rng.choice(legal[:-1])) if len(legal) > 1 and rng.random() > pass_probability
                           else legal[-1])
    return state


def test_random_games_round_trip():
    results = set()
    for seed in range(60):
        size, komi = (5, 7, 9)[seed % 3], (7.5, 0.5, 6.0, -2.5)[seed % 4]
        with random_game(size, komi, seed) as state:
            text = to_sgf(state)
            assert text.startswith(f"(;FF[4]GM[1]CA[UTF-8]AP[swiftpg]SZ[{size}]KM[")
            assert "RU[Chinese]" in text and f"RE[{result_string(state)}]" in text
            game, actions = from_sgf(text)
            assert game == state.game and actions == state.history()
            assert to_sgf(actions, board_size=size, komi=komi) == text
            results.add(result_string(state)[:2])
    assert {"B+", "W+"} <= results


def test_results_follow_swiftpg_scoring():
    game = games.load("go", board_size=5, komi=0.5)
    state = game.new_initial_state()
    assert result_string(state) == "?"
    state.apply_action(12)  # black c3, then two passes: black owns the board
    state.apply_action(25)
    state.apply_action(25)
    assert state.score_margin() == 24.5 and result_string(state) == "B+24.5"
    assert "B[cc];W[];B[]" in to_sgf(state)
    tie = games.load("go", board_size=5, komi=25).new_initial_state()
    for a in (12, 25, 25):
        tie.apply_action(a)
    assert result_string(tie) == "0"
    assert "RE[W+R]" in to_sgf([12], board_size=5, komi=0.5, result="W+R")


def test_a_superko_draw_round_trips():
    for seed in range(300):
        state = random_game(5, 0.5, seed, pass_probability=0.0)
        if state.returns() == [0.0, 0.0] and len(state.history()) < 50:
            break
    else:
        pytest.fail("no superko repetition in 300 random 5x5 games")
    text = to_sgf(state)
    assert "RE[0]" in text
    game, actions = from_sgf(text)
    assert actions == state.history()
    # One more move after the repetition ended the game is refused.
    with pytest.raises(SgfError, match="already over"):
        from_sgf(text.rstrip().rstrip(")") + f";{'BW'[len(actions) % 2]}[]" + ")")


# A 7x7 game as other programs write it: application and player names,
# a date, comments with escaped brackets, line breaks, a variation (only
# the first line counts) and the FF[3] pass "tt".
FOREIGN = r"""
(;GM[1]FF[4]CA[UTF-8]AP[CGoban:3]ST[2]
RU[Chinese]SZ[7]KM[6.50]
PW[White \[2k\]]PB[Black]DT[2024-05-01]RE[B+R]
C[A short 7x7 game; brackets \] escaped.]
;B[dd]C[tengen];W[cc]
;B[dc];W[cd]
;B[ce]
(;W[de]C[main line];B[ee];W[tt];B[])
(;W[be];B[de]))
"""


def test_ff3_property_names_with_lower_case_letters():
    game, actions = from_sgf("(;GaMe[1]SiZe[5]KoMi[2.5];Black[cc];White[tt])")
    assert game.get_parameters()["komi"] == 2.5 and actions == [12, 25]


def test_a_game_written_by_another_program_is_read():
    game, actions = from_sgf(FOREIGN)
    assert game.get_parameters()["board_size"] == 7 and game.get_parameters()["komi"] == 6.5
    n = 7

    def at(column, row):  # row 1 is the bottom row
        return (row - 1) * n + "ABCDEFG".index(column)
    # dd = D4 (centre), cc = C5, dc = D5, cd = C4, ce = C3, de = D3, ee = E3.
    assert actions == [at("D", 4), at("C", 5), at("D", 5), at("C", 4), at("C", 3), at("D", 3), at("E", 3), 49, 49]
    state = games.load("go", board_size=7, komi=6.5).new_initial_state()
    for a in actions:
        state.apply_action(a)
    assert state.is_terminal()


def has_gnugo() -> bool:
    try:
        gnugo.find_gnugo()
    except gnugo.GnuGoError:
        return False
    return True


@pytest.mark.skipif(not has_gnugo(), reason="GNU Go (apt-get install gnugo)")
def test_gnu_go_reads_our_sgf_to_the_same_position(tmp_path):
    # GNU Go's loadsgf replays the exported moves; its stones must be ours.
    with gnugo.GnuGoPlayer(level=0, board_size=7, komi=0.5) as player:
        for seed in range(3):
            state = random_game(7, 0.5, seed + 100)
            path = tmp_path / f"game{seed}.sgf"
            path.write_text(to_sgf(state))
            player.command_line(f"loadsgf {path}")
            board = np.asarray(state.observation_tensor()).reshape(4, 7, 7)
            for plane, colour in ((0, "black"), (1, "white")):
                theirs = sorted(gnugo.vertex_to_action(v, 7)
                                for v in player.command_line(f"list_stones {colour}").split())
                assert theirs == [int(p) for p in np.flatnonzero(board[plane].ravel())]


@pytest.mark.parametrize("text,message", [
    ("no sgf here", "no SGF game tree"),
    ("(;GM[2]SZ[5])", "not Go"),
    ("(;SZ[19];B[aa])", "5..9"),
    ("(;SZ[9:7])", "rectangular"),
    ("(;SZ[5]KM[x])", "not a number"),
    ("(;SZ[5]HA[2])", "handicap"),
    ("(;SZ[5]AB[aa])", "setup stones"),
    ("(;SZ[5];B[aa];B[bb])", "turn"),
    ("(;SZ[5];W[aa])", "turn"),
    ("(;SZ[5];B[af])", "off the"),
    ("(;SZ[5];B[a])", "not an SGF point"),
    ("(;SZ[5];B[aa];W[aa])", "illegal"),
    ("(;SZ[5];B[aa]", "not closed"),
    ("(;SZ[5];B[aa", "not closed"),
    ("(;SZ[5]C[x];B[aa]W)", "no value"),
    ("(;SZ[5];black[aa])", "no upper-case"),
    ("(;SZ[5]AddBlack[aa])", "setup stones"),
])
def test_bad_sgf_is_a_clear_error(text, message):
    with pytest.raises(SgfError, match=message):
        from_sgf(text)


def test_bad_exports_are_refused():
    with pytest.raises(swiftpg.InvalidArgumentError, match="move 2"):
        to_sgf([12, 12], board_size=5)
    with pytest.raises(ValueError):
        to_sgf(games.load("tic_tac_toe").new_initial_state())
    state = games.load("go", board_size=5).new_initial_state()
    with pytest.raises(ValueError, match="differs"):
        to_sgf(state, board_size=7)
