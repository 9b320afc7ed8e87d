"""swiftpg.games against OpenSpiel (pyspiel, open_spiel 2.0.2): random games
step by step compare legal actions, terminal flags, returns, current player,
observation tensors and texts after every move; then the batched API, the
symmetries, the playouts and bad input (each error leaves everything
unchanged)."""

from __future__ import annotations

import copy
import pickle
import random
import time

import numpy as np
import pytest

import swiftpg
from swiftpg import _lib, games

pyspiel = pytest.importorskip("pyspiel", reason="the OpenSpiel reference (pip install open_spiel)")

#: (swiftpg / pyspiel name, parameters, random games compared).
VARIANTS = [
    ("tic_tac_toe", {}, 300),
    ("connect_four", {}, 300),
    ("connect_four", {"rows": 4, "columns": 5, "x_in_row": 3}, 300),
]


def reference(name: str, params: dict):
    return pyspiel.load_game(name, params)


def assert_same(ours: games.State, theirs) -> None:
    """Every observable of the two states is equal (action ids are the same
    numbers in both: tic-tac-toe's cell row * 3 + column, Connect-N's column)."""
    assert ours.current_player() == theirs.current_player()
    assert ours.is_terminal() == theirs.is_terminal()
    assert ours.legal_actions() == theirs.legal_actions()
    assert ours.legal_actions_mask() == theirs.legal_actions_mask(max(theirs.current_player(), 0)) \
        or theirs.is_terminal()
    assert ours.returns() == theirs.returns()
    for player in (0, 1):  # absolute: the same tensor for both players
        assert ours.observation_tensor(player) == theirs.observation_tensor(player)
    assert str(ours) == str(theirs)
    assert ours.is_chance_node() == theirs.is_chance_node()
    for player in (0, 1):
        names = [ours.action_to_string(player, a) for a in range(len(ours.legal_actions_mask()))]
        assert names == [theirs.action_to_string(player, a) for a in range(len(names))]


def play_random_games_against_openspiel(name: str, params: dict, count: int) -> set[float]:
    """Plays ``count`` random games in both libraries, comparing every
    observable after every move; returns the outcomes seen."""
    rng = np.random.default_rng(17)
    game, ref = games.load(name, **params), reference(name, params)
    assert game.num_distinct_actions() == ref.num_distinct_actions()
    assert game.max_game_length() == ref.max_game_length()
    assert game.observation_tensor_shape() == ref.observation_tensor_shape()
    outcomes = set()
    for _ in range(count):
        with game.new_initial_state() as ours:
            theirs = ref.new_initial_state()
            assert_same(ours, theirs)
            while not theirs.is_terminal():
                action = int(rng.choice(theirs.legal_actions()))
                ours.apply_action(action)
                theirs.apply_action(action)
                assert_same(ours, theirs)
            outcomes.add(theirs.returns()[0])
    return outcomes


@pytest.mark.parametrize("name,params,count", VARIANTS)
def test_random_games_move_by_move_equal_openspiel(name, params, count):
    outcomes = play_random_games_against_openspiel(name, params, count)
    assert outcomes == {-1.0, 0.0, 1.0} or name == "connect_four" and outcomes >= {-1.0, 1.0}


@pytest.mark.parametrize("params,count", [
    ({"rows": 4, "columns": 4, "x_in_row": 3}, 100),
    ({"rows": 7, "columns": 8, "x_in_row": 5}, 30),     # all 64 bits of the board
    ({"rows": 1, "columns": 3, "x_in_row": 2}, 20),     # one row
    ({"rows": 8, "columns": 2, "x_in_row": 8}, 20),     # only columns can win
    ({"rows": 2, "columns": 21, "x_in_row": 21}, 10),   # only draws
    ({"rows": 3, "columns": 2, "x_in_row": 1}, 3),      # the first stone wins
])
def test_unusual_connect_n_sizes_equal_openspiel(params, count):
    play_random_games_against_openspiel("connect_four", params, count)


def test_a_batch_steps_like_separate_openspiel_states():
    """64 Connect-N 4×5 games in one batch, stepped with legal random moves
    while some games sit out, equal 64 pyspiel states at every step."""
    params = {"rows": 4, "columns": 5, "x_in_row": 3}
    rng = np.random.default_rng(3)
    n = 64
    refs = [reference("connect_four", params).new_initial_state() for _ in range(n)]
    with games.load("connect_four", **params).new_batch(n) as batch:
        while not all(s.is_terminal() for s in refs):
            mask = batch.legal_mask()
            active = np.array([not s.is_terminal() and rng.random() < 0.8 for s in refs])
            actions = np.array([rng.choice(np.flatnonzero(m)) if a else 99 for m, a in zip(mask, active)], np.int32)
            ended, outcomes = batch.step(actions, active)
            for i, s in enumerate(refs):
                if active[i]:
                    s.apply_action(int(actions[i]))
                assert ended[i] == (active[i] and s.is_terminal())
                assert outcomes[i] == (s.returns()[0] if ended[i] else 0.0)
            assert batch.current_players().tolist() == [s.current_player() for s in refs]
            assert batch.is_terminal().tolist() == [s.is_terminal() for s in refs]
            assert batch.returns().tolist() == [s.returns() for s in refs]
            assert batch.observations().reshape(n, -1).tolist() == [s.observation_tensor(0) for s in refs]
        assert [batch.render(i) for i in range(n)] == [str(s) for s in refs]


def test_auto_reset_writes_the_outcome_and_restarts():
    game = games.load("tic_tac_toe")
    with game.new_batch(2, auto_reset=True) as batch:
        for a in [0, 3, 1, 4]:
            batch.step([a, a])
        ended, outcomes = batch.step([2, 5])  # game 0: x completes the top row; game 1 goes on
        assert ended.tolist() == [True, False] and outcomes.tolist() == [1.0, 0.0]
        assert batch.get_state()[0].tolist() == [0] * 9
        assert batch.current_players().tolist() == [0, 1]


def test_a_finished_game_stays_finished_and_cannot_be_stepped():
    game = games.load("tic_tac_toe")
    with game.new_batch(2) as batch:
        for a in [0, 3, 1, 4, 2]:
            batch.step([a, a])
        assert batch.is_terminal().tolist() == [True, True]
        assert batch.current_players().tolist() == [games.TERMINAL_PLAYER] * 2
        assert batch.legal_mask().sum() == 0
        before = batch.get_state()
        with pytest.raises(swiftpg.InvalidArgumentError, match="over"):
            batch.step([5, 5])
        batch.step([5, 5], active=[False, False])  # inactive games may be finished
        batch.reset(which=[True, False])
        assert batch.is_terminal().tolist() == [False, True]
        assert (batch.get_state()[1] == before[1]).all()


def test_one_illegal_move_fails_the_whole_call_and_changes_nothing():
    game = games.load("connect_four", rows=4, columns=5, x_in_row=3)
    with game.new_batch(3) as batch:
        for _ in range(4):
            batch.step([0, 1, 2])  # column 0 of game 0 is now full
        before, mask = batch.get_state(), batch.legal_mask()
        for actions, error in [([0, 1, 1], "illegal"), ([1, 5, 1], "outside"), ([1, -1, 1], "outside")]:
            with pytest.raises(swiftpg.InvalidArgumentError, match=error):
                batch.step(actions)
            assert (batch.get_state() == before).all() and (batch.legal_mask() == mask).all()
        state = game.new_initial_state()
        for _ in range(4):
            state.apply_action(0)
        text = str(state)
        with pytest.raises(swiftpg.InvalidArgumentError, match="illegal"):
            state.apply_action(0)
        assert str(state) == text
        state.close()


def test_bad_input_raises_clear_errors():
    with pytest.raises(swiftpg.InvalidArgumentError, match="unknown game"):
        games.load("chess")
    with pytest.raises(swiftpg.InvalidArgumentError, match="no parameter"):
        games.load("tic_tac_toe", rows=3)
    for params, message in [({"rows": 0}, "rows"), ({"columns": 0}, "columns"), ({"rows": 9, "columns": 7}, "64"),
                            ({"x_in_row": 0}, "x_in_row"), ({"x_in_row": 8}, "x_in_row")]:
        with pytest.raises(swiftpg.InvalidArgumentError, match=message):
            games.load("connect_four", **params)
    with pytest.raises(swiftpg.DTypeError):
        games.load("connect_four", rows=4.0)
    game = games.load("tic_tac_toe")
    with game.new_batch(2) as batch, game.new_initial_state() as state:
        with pytest.raises(swiftpg.DTypeError):
            batch.step([0.0, 1.0])
        with pytest.raises(swiftpg.InvalidArgumentError, match="shape"):
            batch.step([0, 1, 2])
        with pytest.raises(swiftpg.InvalidArgumentError):
            batch.step([0, 1], active=[1, 2])
        with pytest.raises(swiftpg.DTypeError):
            state.apply_action(True)
        with pytest.raises(swiftpg.DTypeError):
            state.apply_action("0")
        with pytest.raises(swiftpg.InvalidArgumentError):
            state.apply_action(2**40)
        with pytest.raises(swiftpg.InvalidArgumentError):
            batch.render(2)
        with pytest.raises(swiftpg.InvalidArgumentError):
            batch.symmetry(8)
        with pytest.raises(swiftpg.InvalidArgumentError):
            batch.playouts(0)
        with pytest.raises(swiftpg.InvalidArgumentError):
            games.GameBatch(game, 0)
        assert batch.get_state().sum() == 0 and state.get_state().sum() == 0
    state.close()
    with pytest.raises(swiftpg.ClosedError):
        state.apply_action(0)


@pytest.mark.parametrize("cells,message", [
    ([1, 1, 0, 0, 0, 0, 0, 0, 0], "stones"),                  # two x, no o
    ([3, 0, 0, 0, 0, 0, 0, 0, 0], "must be 0"),
    ([1, 1, 1, 2, 2, 2, 0, 0, 0], "both"),                    # both have a line
    ([1, 1, 1, 2, 2, 0, 2, 0, 0], "moved last"),              # x's line, but o moved after it
])
def test_set_state_refuses_unreachable_boards(cells, message):
    with games.load("tic_tac_toe").new_batch(2) as batch:
        good = [1, 0, 0, 0, 2, 0, 0, 0, 0]
        batch.set_state([good, good])
        with pytest.raises(swiftpg.InvalidArgumentError, match=message):
            batch.set_state([good, cells])
        assert batch.get_state().tolist() == [good, good]


def test_set_state_refuses_floating_connect_four_stones():
    with games.load("connect_four", rows=4, columns=5, x_in_row=3).new_initial_state() as state:
        cells = np.zeros(20, np.int32)
        cells[5] = 1  # row 1, column 0, above an empty cell
        with pytest.raises(swiftpg.InvalidArgumentError, match="above an empty cell"):
            state.set_state(cells)


def test_child_plays_on_a_copy():
    game = games.load("tic_tac_toe")
    with game.new_initial_state() as s:
        s.apply_action(4)
        with s.child(0) as c:
            assert str(c) == "o..\n.x.\n..." and c.current_player() == 0
        assert str(s) == "...\n.x.\n..." and s.current_player() == 1
        with pytest.raises(swiftpg.InvalidArgumentError, match="illegal"):
            s.child(4)
        with pytest.raises(swiftpg.InvalidArgumentError):
            s.action_to_string(2, 0)


def test_states_round_trip_through_get_set_clone_and_pickle():
    rng = np.random.default_rng(0)
    game = games.load("connect_four")
    ref = reference("connect_four", {})
    for _ in range(20):
        with game.new_initial_state() as s:
            theirs = ref.new_initial_state()
            for _ in range(int(rng.integers(0, 30))):
                if theirs.is_terminal():
                    break
                a = int(rng.choice(theirs.legal_actions()))
                s.apply_action(a)
                theirs.apply_action(a)
            for copied in (s.clone(), pickle.loads(pickle.dumps(s)), copy.deepcopy(s)):
                with copied:
                    assert_same(copied, theirs)
            with game.new_initial_state() as t:
                t.set_state(s.get_state())
                assert_same(t, theirs)
    assert pickle.loads(pickle.dumps(game)) == game
    with game.new_batch(3, auto_reset=True) as batch:
        batch.step([1, 2, 3])
        with pickle.loads(pickle.dumps(batch)) as other:
            assert (other.get_state() == batch.get_state()).all() and other.auto_reset


def test_planes_take_the_movers_perspective():
    with games.load("tic_tac_toe").new_initial_state() as s:
        s.apply_action(4)  # x in the centre; o to move
        p = s.planes()
        assert p.shape == (3, 3, 3)
        assert p[0].sum() == 0 and p[1][1, 1] == 1 and p[2].sum() == 0
        s.apply_action(0)  # x to move
        p = s.planes()
        assert p[0][1, 1] == 1 and p[1][0, 0] == 1 and (p[2] == 1).all()


@pytest.mark.parametrize("name,params", [("tic_tac_toe", {}), ("connect_four", {"rows": 4, "columns": 5})])
def test_symmetries_map_positions_to_positions(name, params):
    """Playing a game's moves through symmetry k's action map reaches the
    position whose planes, observations and legal mask are the originals
    moved by k."""
    rng = np.random.default_rng(1)
    game = games.load(name, **params)
    with game.new_batch(1) as batch:
        count = batch.info.num_symmetries
        assert count == (8 if name == "tic_tac_toe" else 2)
        maps = [batch.symmetry(k) for k in range(count)]
        assert len({tuple(c) for c, _ in maps}) == count
        s = game.new_initial_state()
        moves = []
        for _ in range(4):
            moves.append(int(rng.choice(s.legal_actions())))
            s.apply_action(moves[-1])
        for k, (_, actions) in enumerate(maps):
            with game.new_initial_state() as t:
                for m in moves:
                    t.apply_action(int(actions[m]))
                assert np.array_equal(batch.transform_planes(s.planes(), k), t.planes())
                obs = np.reshape(s.observation_tensor(), game.observation_tensor_shape())
                assert np.array_equal(batch.transform_planes(obs, k).ravel(), t.observation_tensor())
                assert np.array_equal(batch.transform_policy(np.array(s.legal_actions_mask()), k),
                                      t.legal_actions_mask())
        s.close()


def test_playouts_are_seeded_per_game_and_match_random_play_statistics():
    game = games.load("tic_tac_toe")
    with game.new_batch(4) as batch, game.new_batch(1) as one:
        a, la = batch.playouts(5, seed=9)
        b, _ = batch.playouts(5, seed=9)
        c, _ = batch.playouts(5, seed=10)
        d, _ = one.playouts(5, seed=9)
        assert np.array_equal(a, b) and not np.array_equal(a, c) and np.array_equal(a[0], d[0])
        assert ((la >= 5) & (la <= 9)).all()
        assert batch.get_state().sum() == 0  # the games did not move
    # Uniformly random tic-tac-toe from the empty board: x wins 737/1260
    # ≈ 0.585, o 0.288, draws 0.127 (exact enumeration of random play).
    # 20,000 playouts: standard errors ≤ 0.0035, tolerance 5 SE.
    with game.new_batch(200) as batch:
        outcomes, lengths = batch.playouts(100, seed=1)
    for value, p in [(1.0, 0.585), (-1.0, 0.288), (0.0, 0.127)]:
        assert abs((outcomes == value).mean() - p) < 0.0175
    # From a finished game a playout is its outcome, with no moves.
    with game.new_batch(1) as batch:
        for a in [0, 3, 1, 4, 2]:
            batch.step([a])
        outcomes, lengths = batch.playouts(3)
        assert outcomes.tolist() == [[1.0] * 3] and lengths.tolist() == [[0] * 3]


def test_playouts_can_be_cancelled():
    """swiftpg_cancel on the handle (what Ctrl-C does) stops the call with
    CancelledError; the request is consumed."""
    from swiftpg import _lib
    with games.load("connect_four").new_batch(2) as batch:
        _lib.check(_lib.lib.swiftpg_cancel(batch.handle, 1))
        with pytest.raises(swiftpg.CancelledError):
            batch.playouts(1)
        assert batch.playouts(1)[1].min() >= 7


def test_one_state_used_from_two_threads_raises_busy_and_keeps_its_player():
    """The per-move methods are C (swiftpg._gamestate) and hold the GIL for
    their whole native call, so two Python threads never interleave inside
    one; while another thread is inside a long native call on the same
    state (a player's search, which releases the GIL), the library answers
    BUSY: apply_action raises BusyError and changes nothing (a race had left
    current_player() at 5 in the ctypes version; review finding)."""
    import threading

    from swiftpg.game_players import MCTSPlayer

    state = games.load("connect_four").new_initial_state()
    searching, stop = threading.Event(), threading.Event()
    with MCTSPlayer(simulations=1 << 20) as slow:
        def search():
            searching.set()
            while True:
                try:
                    slow.action(state)
                    return
                except swiftpg.BusyError:  # the main thread's probe held the state at that moment: again
                    time.sleep(0.0005)
                except swiftpg.CancelledError:
                    return
        worker = threading.Thread(target=search)
        worker.start()
        searching.wait()
        # Probe with a read (nothing to undo) until the search holds the state.
        for _ in range(20000):
            try:
                state.legal_actions()
            except swiftpg.BusyError:
                break
            time.sleep(0.001)
        busy = 0
        try:
            state.apply_action(3)  # the search (2^20 simulations) is still running
        except swiftpg.BusyError:
            busy += 1
        _lib.lib.swiftpg_cancel(slow.native(state.game).handle, 1)  # stop the search (CancelledError)
        worker.join()
    assert busy == 1
    assert state.current_player() == 0 and not state.is_terminal()
    assert state.legal_actions() == list(range(7))
    state.close()
    # Two threads racing over one state: every outcome is a player in {0, 1, -4}.
    for _ in range(200):
        s = games.load("tic_tac_toe").new_initial_state()

        def play(s=s):
            for a in range(9):
                try:
                    s.apply_action(a)
                except (swiftpg.BusyError, swiftpg.InvalidArgumentError):
                    pass

        threads = [threading.Thread(target=play) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert s.current_player() in (0, 1, games.TERMINAL_PLAYER)
        assert s.is_terminal() == (s.current_player() == games.TERMINAL_PLAYER)
        s.close()


def test_huge_batch_reads_are_refused_before_allocating(monkeypatch):
    """observations() and planes() check their size against the library's
    element limit before allocating, as playouts do (review finding: 2^24
    Connect Four games asked for 15.8 GiB); here with the limit lowered."""
    import swiftpg._arrays

    monkeypatch.setattr(swiftpg._arrays, "MAX_ELEMENTS", 1000)
    with games.load("connect_four").new_batch(100) as batch:
        for read in (batch.observations, batch.planes):
            with pytest.raises(swiftpg.InvalidArgumentError, match="more than the limit"):
                read()
        assert batch.legal_mask().shape == (100, 7)


@pytest.mark.parametrize("name,params", [("tic_tac_toe", {}), ("connect_four", {}), ("go", dict(board_size=5))])
def test_utilities_rewards_and_player_returns_equal_openspiel(name, params):
    """The OpenSpiel methods beyond the core: utilities, tensor size,
    rewards and player_return after every move of seeded random games."""
    import random

    pyspiel = pytest.importorskip("pyspiel")
    ours, theirs = games.load(name, **params), pyspiel.load_game(name, params)
    assert (ours.max_utility(), ours.min_utility(), ours.utility_sum()) == (
        theirs.max_utility(), theirs.min_utility(), theirs.utility_sum())
    assert ours.observation_tensor_size() == theirs.observation_tensor_size()
    rng = random.Random(4)
    for _ in range(20):
        a, b = ours.new_initial_state(), theirs.new_initial_state()
        while True:
            assert a.rewards() == b.rewards()
            assert [a.player_return(p) for p in (0, 1)] == [b.player_return(p) for p in (0, 1)]
            if b.is_terminal():
                break
            move = rng.choice(b.legal_actions())
            a.apply_action(move)
            b.apply_action(move)
        a.close()
    with pytest.raises(swiftpg.InvalidArgumentError):
        ours.new_initial_state().player_return(2)


# -- the C per-move core (swiftpg._gamestate) ---------------------------------------------------------------------

def test_state_core_after_close_raises_closed_error_everywhere():
    state = games.load("connect_four").new_initial_state()
    state.apply_action(3)
    state.close()
    state.close()  # idempotent
    assert state.closed
    for call in (lambda: state.apply_action(0), state.legal_actions, lambda: state.legal_actions(0),
                 state.legal_actions_mask, state.is_terminal, state.current_player, state.returns, state.history,
                 state.clone, lambda: state.handle, state.observation_tensor, state.get_state):
        with pytest.raises(swiftpg.ClosedError):
            call()
    assert repr(state) == "<closed swiftpg.games.State>"


def test_state_core_refuses_bad_actions_and_changes_nothing():
    state = games.load("tic_tac_toe").new_initial_state()
    state.apply_action(np.int64(4))  # numpy integers are actions
    before = (state.get_state().tolist(), state.history(), state.legal_actions(), state.current_player())
    for bad, error in [(True, swiftpg.DTypeError), (1.0, swiftpg.DTypeError), ("1", swiftpg.DTypeError),
                       (None, swiftpg.DTypeError), (np.float32(2), swiftpg.DTypeError),
                       (np.bool_(True), swiftpg.DTypeError), (object(), swiftpg.DTypeError),
                       (-1, swiftpg.InvalidArgumentError), (9, swiftpg.InvalidArgumentError),
                       (2**31, swiftpg.InvalidArgumentError), (2**80, swiftpg.InvalidArgumentError),
                       (-(2**80), swiftpg.InvalidArgumentError), (4, swiftpg.InvalidArgumentError)]:
        with pytest.raises(error):
            state.apply_action(bad)
        assert (state.get_state().tolist(), state.history(), state.legal_actions(), state.current_player()) == before
    with pytest.raises(swiftpg.InvalidArgumentError, match="illegal.*legal actions: \\[0, 1, 2, 3, 5, 6, 7, 8\\]"):
        state.apply_action(4)
    with pytest.raises(swiftpg.InvalidArgumentError, match="outside 0..<9"):
        state.apply_action(2**80)

    class Column:  # any SupportsIndex is an action, as in pyspiel
        def __index__(self):
            return 0
    state.apply_action(Column())
    assert state.history() == [4, 0]
    with pytest.raises(ZeroDivisionError):  # an __index__ that raises: its error, nothing changed

        class Broken:
            def __index__(self):
                return 1 // 0
        state.apply_action(Broken())
    assert state.history() == [4, 0]


def test_state_core_legal_actions_player_argument():
    state = games.load("tic_tac_toe").new_initial_state()
    assert state.legal_actions(0) == state.legal_actions(player=0) == list(range(9))
    assert state.legal_actions(1) == state.legal_actions(player=np.int32(1)) == []
    assert state.legal_actions(None) == list(range(9))
    for outside in (2**31, 2**70, -(2**31) - 1):  # not a player id at all: refused, as before the C core
        with pytest.raises(swiftpg.InvalidArgumentError):
            state.legal_actions(outside)
    with pytest.raises(swiftpg.DTypeError):
        state.legal_actions("0")
    with pytest.raises(TypeError):
        state.legal_actions(0, 1)
    with pytest.raises(TypeError):
        state.legal_actions(who=0)
    for a in (0, 3, 1, 4, 2):  # x wins on the top row
        state.apply_action(a)
    assert state.is_terminal() and state.legal_actions() == [] and state.legal_actions(0) == []
    assert state.legal_actions_mask() == [0] * 9 and state.returns() == [1.0, -1.0]


def test_clone_and_new_initial_state_are_independent_copies():
    game = games.load("go", board_size=5)
    a = game.new_initial_state()
    for move in (12, 7, 25):
        a.apply_action(move)
    b = a.clone()
    assert b.game is game and b.history() == a.history() == [12, 7, 25]
    b.apply_action(13)
    assert a.history() == [12, 7, 25] and b.history() == [12, 7, 25, 13]
    assert a.get_state().tolist() != b.get_state().tolist() and a.current_player() == 1 - b.current_player()
    fresh = game.new_initial_state()  # the game's template did not move
    assert fresh.history() == [] and fresh.current_player() == 0 and len(fresh.legal_actions()) == 26
    fresh.apply_action(0)
    assert game.new_initial_state().history() == []
    assert a.score_margin() == pytest.approx(games.load("go", board_size=5).new_initial_state().child(12)
                                              .child(7).child(25).score_margin())


def test_games_and_states_free_their_native_games():
    import gc

    gc.collect()
    before = swiftpg.live_handles(_lib.KIND_GAME)
    game = games.load("connect_four", rows=4, columns=5, x_in_row=3)
    states = [game.new_initial_state() for _ in range(10)]
    states += [s.clone() for s in states]
    assert swiftpg.live_handles(_lib.KIND_GAME) == before + 21  # 20 states and the game's template
    del states
    assert swiftpg.live_handles(_lib.KIND_GAME) == before + 1
    del game  # no reference cycle: freed without the cycle collector
    assert swiftpg.live_handles(_lib.KIND_GAME) == before


def test_state_core_does_not_leak_memory():
    import tracemalloc

    game = games.load("connect_four")

    def playouts(n):
        rng = np.random.default_rng(0)
        for _ in range(n):
            s = game.new_initial_state()
            while not s.is_terminal():
                legal = s.legal_actions()
                s.legal_actions(1)
                s.returns()
                s.history()
                s = s.clone()
                s.apply_action(legal[int(rng.integers(len(legal)))])

    playouts(50)
    tracemalloc.start()
    playouts(100)
    first = tracemalloc.get_traced_memory()[0]
    playouts(1000)
    second = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert second - first < 50_000, (first, second)  # about 20k moves: a leak of one object per move shows


def test_a_bare_state_core_raises_instead_of_crashing():
    from swiftpg import _gamestate

    bare = _gamestate.StateCore()
    with pytest.raises(AttributeError):  # no handle: it asks for _failure, which only State has
        bare.apply_action(0)
    with pytest.raises(TypeError):
        _gamestate.new_state(object(), None, None)
    unopened = games.State.__new__(games.State)
    with pytest.raises(swiftpg.ClosedError):
        unopened.legal_actions()
    with pytest.raises(swiftpg.ClosedError):
        unopened.clone()


def test_games_without_the_compiled_core_name_the_fix():
    import subprocess
    import sys

    code = "import sys; sys.modules['swiftpg._gamestate'] = None\nfrom swiftpg import games"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "make lib" in proc.stderr and "swiftpg._gamestate" in proc.stderr


@pytest.mark.parametrize("name, params", [("tic_tac_toe", {}), ("connect_four", {"rows": 4, "columns": 5,
                                                                                 "x_in_row": 3})])
def test_openspiel_mcts_bot_plays_swiftpg_games_exactly_as_pyspiels(name, params):
    """get_type() and the node predicates let OpenSpiel's own Python MCTSBot
    run on swiftpg's games; with the same random stream it makes the same
    decisions as on pyspiel's game (same legal action order, returns and
    clones), game after game. (OpenSpiel's evaluate_bots cannot be used: it
    calls pyspiel.Bot.inform_action, C++ that takes only pyspiel states.)"""
    pyspiel = pytest.importorskip("pyspiel")
    from open_spiel.python.algorithms import mcts

    ours, ref = games.load(name, **params), pyspiel.load_game(name, params)
    assert ours.get_type() == ref.get_type() or ours.get_type().short_name == ref.get_type().short_name

    def play(game, seed):
        rng = np.random.RandomState(seed)
        bots = [mcts.MCTSBot(game, 2.0, 30, mcts.RandomRolloutEvaluator(2, rng), random_state=rng) for _ in range(2)]
        state = game.new_initial_state()
        while not state.is_terminal():
            state.apply_action(bots[state.current_player()].step(state))
        return list(state.returns()), state.history()

    for seed in range(3):
        assert play(ours, seed) == play(ref, seed)


def test_get_type_without_openspiel_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyspiel", None)
    with pytest.raises(swiftpg.NotSupportedError, match="games extra"):
        games.load("tic_tac_toe").get_type()


def test_multi_call_methods_are_atomic_for_the_per_move_methods_of_other_threads():
    """set_state and pickling hold the State's own lock (in its C core), so
    a clone or a copy made from another thread meanwhile raises BusyError or
    is consistent — never a new board with the old player (review finding:
    1,184 of 200,000 clones were inconsistent before)."""
    import threading

    game = games.load("tic_tac_toe")
    state = game.new_initial_state()
    boards = [np.zeros(9, np.int32), np.array([1] + [0] * 8, np.int32)]
    stop = threading.Event()

    def toggle():
        k = 0
        while not stop.is_set():
            try:
                state.set_state(boards[k % 2])
            except swiftpg.BusyError:
                pass
            k += 1

    worker = threading.Thread(target=toggle)
    worker.start()
    inconsistent = busy = 0
    try:
        for _ in range(20000):
            try:
                c = state.clone()
            except swiftpg.BusyError:
                busy += 1
                continue
            stones = int((c.get_state() != 0).sum())
            if c.current_player() != stones % 2 or len(c.legal_actions()) != 9 - stones:
                inconsistent += 1
            c.close()
    finally:
        stop.set()
        worker.join()
    assert inconsistent == 0

    # Pickling while another thread plays: the board and the history agree.
    c4 = games.load("connect_four")
    state = c4.new_initial_state()
    stop.clear()

    def play():
        rng = random.Random(0)
        while not stop.is_set():
            try:
                if state.is_terminal() or len(state.history()) > 30:
                    state.set_state(np.zeros(42, np.int32))
                    state._set_history([])
                else:
                    state.apply_action(rng.choice(state.legal_actions()))
            except swiftpg.BusyError:
                pass

    worker = threading.Thread(target=play)
    worker.start()
    try:
        for _ in range(3000):
            try:
                copy_ = pickle.loads(pickle.dumps(state))
            except swiftpg.BusyError:
                continue
            history = copy_.history()
            assert history is None or len(history) == int((copy_.get_state() != 0).sum())
    finally:
        stop.set()
        worker.join()


def test_state_core_misuse_is_refused_without_leaks_or_crashes():
    import gc

    from swiftpg import _gamestate

    game = games.load("tic_tac_toe")
    state = game.new_initial_state()
    gc.collect()
    before = swiftpg.live_handles(_lib.KIND_GAME)
    for _ in range(20):  # __init__ again: refused before anything is created
        with pytest.raises(swiftpg.SwiftPGError, match="already initialised"):
            state.__init__(game)
    assert swiftpg.live_handles(_lib.KIND_GAME) == before
    with pytest.raises(RuntimeError, match="already bound"):
        _gamestate.bind(1, 1, 1, 1, 1, 1, games.State)
    go = games.load("go", board_size=5)
    with pytest.raises(ValueError, match="not this game's"):
        _gamestate.new_state(go._template, game, game._info)
    with game.new_batch(64) as batch:  # a State holds one game of the game's actions
        fresh = games.State.__new__(games.State)
        with pytest.raises(ValueError, match="one game"):
            fresh._core_init(batch.handle, game, game._info, 9, [])
        with pytest.raises(ValueError, match="one game"):
            fresh._core_init(go._template.handle, game, game._info, 1, [])
        assert fresh.closed
    del go, fresh  # go's template goes with it
    assert swiftpg.live_handles(_lib.KIND_GAME) == before


def test_clone_of_a_subclass_is_a_state():
    class Annotated(games.State):
        pass

    s = Annotated(games.load("tic_tac_toe"))
    s.apply_action(4)
    c = s.clone()
    assert type(c) is games.State and c.history() == [4]
    assert type(pickle.loads(pickle.dumps(s))) is games.State
