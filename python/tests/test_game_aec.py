"""swiftpg.game_aec: the PettingZoo AEC adapter passes pettingzoo.test.api_test,
plays Connect Four exactly as PettingZoo's own connect_four_v3 (observations,
masks, rewards, terminations, move by move over seeded random games), refuses
illegal moves without changing anything, and names PettingZoo when missing."""

import subprocess
import sys

import numpy as np
import pytest

import swiftpg
from swiftpg.game_aec import aec_env

pettingzoo = pytest.importorskip("pettingzoo", reason="tools/setup.sh installs pettingzoo for the tests")


@pytest.mark.parametrize("name,params", [("tic_tac_toe", {}), ("connect_four", {}),
                                         ("connect_four", dict(rows=4, columns=5, x_in_row=3))])
def test_api_test_passes(name, params):
    from pettingzoo.test import api_test

    api_test(aec_env(name, **params), num_cycles=300, verbose_progress=False)


def test_connect_four_plays_as_pettingzoos_own():
    from pettingzoo.classic import connect_four_v3

    rng = np.random.default_rng(3)
    ours, theirs = aec_env("connect_four"), connect_four_v3.env()
    games = 0
    for _ in range(60):
        ours.reset()
        theirs.reset()
        while theirs.agents:
            assert ours.agent_selection == theirs.agent_selection and ours.agents == theirs.agents
            agent = theirs.agent_selection
            o, r, term, trunc, _ = ours.last()
            to, tr, tterm, ttrunc, _ = theirs.last()
            # PettingZoo's board has the top row first, OpenSpiel's the bottom row.
            np.testing.assert_array_equal(o["observation"][::-1], to["observation"])
            if tterm:  # PettingZoo still lists the open columns after the end; the adapter none
                assert not o["action_mask"].any()
            else:
                np.testing.assert_array_equal(o["action_mask"], to["action_mask"])
            assert (r, term, trunc) == (tr, tterm, ttrunc)
            for a in ours.agents:
                np.testing.assert_array_equal(ours.observe(a)["observation"][::-1], theirs.observe(a)["observation"])
            action = None if term else int(rng.choice(np.flatnonzero(to["action_mask"])))
            ours.step(action)
            theirs.step(action)
        assert not ours.agents
        games += 1
    assert games == 60


@pytest.mark.parametrize("name,params", [("tic_tac_toe", {}), ("connect_four", {}),
                                         ("connect_four", dict(rows=4, columns=5, x_in_row=3))])
def test_channels_hold_the_observers_and_the_opponents_stones(name, params):
    """Channel 0 is the observing agent's stones, channel 1 the opponent's,
    against the board of ``get_state`` (0 empty, 1 player 0, 2 player 1, in
    the observation tensor's cell order)."""
    rng = np.random.default_rng(5)
    env = aec_env(name, **params)
    checked = 0
    for _ in range(20):
        env.reset()
        while env.agents:
            obs, _, term, _, _ = env.last()
            board = env.game_state.get_state()[:obs["observation"][..., 0].size].reshape(obs["observation"].shape[:2])
            for i, agent in enumerate(env.possible_agents):
                o = env.observe(agent)["observation"]
                np.testing.assert_array_equal(o[..., 0], board == i + 1)
                np.testing.assert_array_equal(o[..., 1], board == 2 - i)
                checked += int(o.any())
            env.step(None if term else int(rng.choice(np.flatnonzero(obs["action_mask"]))))
    assert checked > 100


def test_state_is_not_implemented():
    env = aec_env("tic_tac_toe")
    env.reset()
    with pytest.raises(NotImplementedError):
        env.state()


def test_illegal_moves_raise_and_change_nothing():
    env = aec_env("tic_tac_toe", render_mode="ansi")
    env.reset(seed=0)
    env.step(4)
    before = env.render()
    with pytest.raises(swiftpg.InvalidArgumentError):
        env.step(4)
    assert env.render() == before and env.agent_selection == "player_1"
    assert env.observe("player_1")["action_mask"].sum() == 8
    assert env.observe("player_0")["action_mask"].sum() == 0
    with pytest.raises(swiftpg.InvalidArgumentError):
        aec_env("tic_tac_toe", render_mode="rgb_array")
    with pytest.raises(swiftpg.InvalidArgumentError):
        aec_env("chess")


def test_missing_pettingzoo_is_named():
    code = ("import sys; sys.modules['pettingzoo'] = None\n"
            "from swiftpg.game_aec import aec_env\n"
            "try:\n    aec_env('tic_tac_toe')\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install pettingzoo" in out.stdout, out.stderr
