"""swiftpg.games' Go against OpenSpiel's ``go`` (pyspiel, open_spiel 2.0.2):
random games on 5x5, 7x7 and 9x9 with several komis compared move by move
(legal actions, terminal flag, returns, current player, observation tensor,
text); the score margin against an area count written here; the encoded
state (history included) through clone, pickle and set_state; batches,
symmetries and playouts.

Action ids are the same numbers in both libraries: point ``row * N +
column`` with row 0 the bottom row, ``N * N`` pass (checked below through
``action_to_string``, whose names carry the coordinates)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import swiftpg
from swiftpg import games

pyspiel = pytest.importorskip("pyspiel", reason="the OpenSpiel reference (pip install open_spiel)")

#: (board size, komi, random games compared).
VARIANTS = [(5, 7.5, 400), (5, 0.0, 200), (7, 6.5, 200), (7, -3.0, 100), (9, 7.5, 150), (9, 5.0, 50)]


def assert_same(ours: games.State, theirs) -> None:
    assert ours.current_player() == theirs.current_player()
    assert ours.is_terminal() == theirs.is_terminal()
    assert ours.legal_actions() == theirs.legal_actions()
    assert ours.returns() == theirs.returns()
    assert ours.observation_tensor(0) == theirs.observation_tensor(0)
    assert str(ours) == str(theirs)


def area_margin(observation: list[float], size: int, komi: float) -> float:
    """Black's area minus white's minus komi from OpenSpiel's observation
    tensor (planes black, white, empty): stones, plus empty regions that
    border one colour only (a flood fill, independent of the library)."""
    board = np.asarray(observation).reshape(4, size, size)
    colour = np.where(board[0] == 1, 1, np.where(board[1] == 1, 2, 0))
    margin, seen = 0, np.zeros((size, size), bool)
    margin += int((colour == 1).sum()) - int((colour == 2).sum())
    for r in range(size):
        for c in range(size):
            if colour[r, c] or seen[r, c]:
                continue
            region, borders, stack = 0, set(), [(r, c)]
            seen[r, c] = True
            while stack:
                y, x = stack.pop()
                region += 1
                for v, u in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                    if 0 <= v < size and 0 <= u < size:
                        if colour[v, u]:
                            borders.add(int(colour[v, u]))
                        elif not seen[v, u]:
                            seen[v, u] = True
                            stack.append((v, u))
            if borders == {1}:
                margin += region
            elif borders == {2}:
                margin -= region
    return margin - komi


@pytest.mark.parametrize("size,komi,count", VARIANTS)
def test_random_go_games_move_by_move_equal_openspiel(size, komi, count):
    rng = np.random.default_rng(size * 100 + int(komi * 2) + 7)
    params = {"board_size": size, "komi": komi}
    game, ref = games.load("go", **params), pyspiel.load_game("go", params)
    assert game.num_distinct_actions() == ref.num_distinct_actions() == size * size + 1
    assert game.max_game_length() == ref.max_game_length()
    assert game.observation_tensor_shape() == ref.observation_tensor_shape()
    assert game.get_parameters() == ref.get_parameters()
    outcomes, superko_draws, passes = set(), 0, 0
    for _ in range(count):
        with game.new_initial_state() as ours:
            theirs = ref.new_initial_state()
            assert_same(ours, theirs)
            while not theirs.is_terminal():
                legal = theirs.legal_actions()
                # Passes are drawn less often so games fill the board.
                action = int(rng.choice(legal[:-1])) if len(legal) > 1 and rng.random() < 0.97 else legal[-1]
                passes += action == size * size
                ours.apply_action(action)
                theirs.apply_action(action)
                assert_same(ours, theirs)
            assert ours.history() == theirs.history()
            margin = ours.score_margin()
            assert margin == area_margin(theirs.observation_tensor(0), size, komi)
            r = theirs.returns()[0]
            outcomes.add(r)
            if r != np.sign(margin):
                superko_draws += 1
                assert r == 0.0 and len(theirs.history()) < ref.max_game_length()
    assert outcomes >= {-1.0, 1.0} and passes > 0
    if size == 5 and count >= 200:
        assert superko_draws > 0  # the repetition rule was exercised


def test_action_names_and_ids_match_openspiel():
    for size in (5, 9):
        ours = games.load("go", board_size=size).new_initial_state()
        theirs = pyspiel.load_game("go", {"board_size": size}).new_initial_state()
        for player in (0, 1):
            for a in range(size * size + 1):
                assert ours.action_to_string(player, a) == theirs.action_to_string(player, a)


def test_parameters_are_checked():
    for bad in ({"board_size": 4}, {"board_size": 10}, {"komi": float("nan")}, {"max_game_length": 0},
                {"max_game_length": 4097}, {"handicap": 2}):
        with pytest.raises(swiftpg.InvalidArgumentError):
            games.load("go", **bad)
    with pytest.raises(swiftpg.DTypeError):
        games.load("go", komi="7.5")
    assert games.load("go", komi=6).get_parameters()["komi"] == 6.0
    with pytest.raises(swiftpg.NotSupportedError):
        games.load("tic_tac_toe").new_initial_state().score_margin()


def random_state(size=5, moves=30, seed=3) -> games.State:
    rng = np.random.default_rng(seed)
    state = games.load("go", board_size=size, komi=0.5).new_initial_state()
    for _ in range(moves):
        if state.is_terminal():
            break
        legal = state.legal_actions()
        state.apply_action(int(rng.choice(legal[:-1] if len(legal) > 1 else legal)))
    return state


def test_encoded_states_clone_pickle_and_refuse_corruption():
    state = random_state()
    words = state.get_state()
    assert words.shape == (25 + 5 + 2 * 50,)
    for copy in (state.clone(), pickle.loads(pickle.dumps(state))):
        assert copy.history() == state.history() and str(copy) == str(state)
        assert copy.legal_actions() == state.legal_actions() and (copy.get_state() == words).all()
    other = games.load("go", board_size=5, komi=0.5).new_initial_state()
    other.set_state(words)
    assert other.history() is None and other.legal_actions() == state.legal_actions()
    assert other.current_player() == state.current_player() and other.score_margin() == state.score_margin()
    before = other.get_state()
    last = 30 + 2 * (words[29] - 1)  # the low word of the last position's hash
    changes = ((25, -1), (26, 3), (28, 2), (29, 0), (last, words[last] ^ 1), (last + 2, 1), (len(words) - 1, 5),
               (0, 3))
    for index, value in changes:
        bad = words.copy()
        bad[index] = value
        with pytest.raises(swiftpg.InvalidArgumentError):
            other.set_state(bad)
        assert (other.get_state() == before).all()


def test_batches_symmetries_and_playouts():
    game = games.load("go", board_size=7, komi=7.5)
    rng = np.random.default_rng(5)
    with game.new_batch(4) as batch, game.new_batch(4) as turned:
        for _ in range(40):
            mask = batch.legal_mask()
            actions = np.array([rng.choice(np.flatnonzero(m[:-1])) if m[:-1].any() else 49 for m in mask], np.int32)
            active = ~batch.is_terminal()
            batch.step(actions, active)
            _, amap = turned.symmetry(3)
            turned.step(amap[actions], active)
            # The rules commute with the symmetry: legal moves and planes turn with the board.
            assert (turned.legal_mask() == batch.transform_policy(batch.legal_mask(), 3)).all()
            assert (turned.planes() == batch.transform_planes(batch.planes(), 3)).all()
            assert (turned.score_margins() == batch.score_margins()).all()
        assert batch.info.num_symmetries == 8 and batch.planes().shape == (4, 7, 7, 7)
        before = batch.get_state()
        outcomes, lengths = batch.playouts(3, seed=1)
        assert (batch.get_state() == before).all()
        assert set(np.unique(outcomes)) <= {-1.0, 0.0, 1.0} and (lengths >= 0).all()
        again, _ = batch.playouts(3, seed=1)
        assert (again == outcomes).all()
        with pickle.loads(pickle.dumps(batch)) as copy:
            assert (copy.get_state() == before).all() and (copy.legal_mask() == batch.legal_mask()).all()


def test_child_keeps_the_history_and_the_parent():
    state = random_state(moves=6)
    legal = state.legal_actions()
    with state.child(legal[0]) as child:
        assert child.history() == state.history() + [legal[0]] and len(state.history()) == 6
