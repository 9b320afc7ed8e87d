"""PettingZoo AEC environments over swiftpg's games (``swiftpg.games``).

``aec_env("connect_four", rows=6, columns=7)`` (also ``"tic_tac_toe"`` and
every other name of :func:`swiftpg.games.registered_names`, with the same
parameters) returns a PettingZoo ``AECEnv`` with the conventions of
PettingZoo's classic board games (``pettingzoo.classic.connect_four_v3``):

* agents ``"player_0"`` (moves first) and ``"player_1"``;
* ``observe(agent)`` is a dict: ``"observation"``, int8 ``[H, W, 2]`` from
  that agent's side (channel 0 its stones, channel 1 the opponent's; rows
  in the order of OpenSpiel's observation tensor, which for Connect-N puts
  the bottom row first), and ``"action_mask"``, int8 ``[num_actions]``
  (all zeros for the agent not to move and after the end);
* rewards +1 / −1 / 0 to both agents when the game ends (OpenSpiel's
  returns), then both agents are terminated; there is no truncation (a
  game's own move limit ends it as a terminal state).

An illegal action raises :class:`swiftpg.InvalidArgumentError` and changes
nothing, unlike PettingZoo's ``TerminateIllegalWrapper`` (an illegal move
is a bug in the caller, not a loss). The game in progress is the
attribute ``game_state`` (a :class:`swiftpg.games.State`; ``state()``, a
global state, is not implemented, as in PettingZoo's classic games).
``render_mode="ansi"`` returns
OpenSpiel's text of the board, ``"human"`` prints it.

Needs PettingZoo (``pip install pettingzoo``, or the ``games`` extra), imported when an
environment is first made. Checked with ``pettingzoo.test.api_test``.
"""

from __future__ import annotations

import numpy as np

from . import games
from ._arrays import DTypeError
from ._lib import InvalidArgumentError

__all__ = ["aec_env"]

#: The planes of OpenSpiel's observation tensor holding the stones of players 0
#: and 1 (tic-tac-toe's planes are empty, o, x; Connect-N's x, o, empty; Go's
#: black, white, empty, to-play).
_OWNER_PLANES = {"tic_tac_toe": (2, 1), "connect_four": (0, 1), "go": (0, 1)}


def _pettingzoo():
    try:
        import pettingzoo
        from gymnasium import spaces
    except ImportError as e:
        raise ImportError("swiftpg.game_aec needs PettingZoo: pip install pettingzoo") from e
    return pettingzoo, spaces


def aec_env(name: str, render_mode: str | None = None, **params):
    """A PettingZoo ``AECEnv`` playing game ``name`` with ``params`` (as
    :func:`swiftpg.games.load`). Raises ImportError naming PettingZoo when
    it is missing, InvalidArgumentError for an unknown game, parameter or
    render mode."""
    pettingzoo, spaces = _pettingzoo()
    game = games.load(name, **params)
    if name not in _OWNER_PLANES:
        raise InvalidArgumentError(f"no AEC observation layout for {name!r}")
    if render_mode is not None and not isinstance(render_mode, str):
        raise DTypeError(f"render_mode must be None, 'ansi' or 'human', got {render_mode!r:.100}")
    if render_mode not in (None, "ansi", "human"):
        raise InvalidArgumentError(f"render_mode must be None, 'ansi' or 'human', got {render_mode!r}")

    class GameAEC(pettingzoo.AECEnv):  # type: ignore[name-defined]  # PettingZoo is imported when called (an extra)
        metadata = {"render_modes": ["ansi", "human"], "name": f"swiftpg_{name}_v0", "is_parallelizable": False}

        def __init__(self):
            super().__init__()
            self.game = game
            self.render_mode = render_mode
            shape = game.observation_tensor_shape()
            self._board_shape = tuple(shape[1:])
            n = game.num_distinct_actions()
            self.possible_agents = ["player_0", "player_1"]
            self.agents = self.possible_agents[:]
            box = spaces.Box(low=0, high=1, shape=(*self._board_shape, 2), dtype=np.int8)
            mask = spaces.Box(low=0, high=1, shape=(n,), dtype=np.int8)
            self.observation_spaces = {a: spaces.Dict({"observation": box, "action_mask": mask})
                                       for a in self.possible_agents}
            self.action_spaces = {a: spaces.Discrete(n) for a in self.possible_agents}
            self.game_state = game.new_initial_state()

        def observation_space(self, agent):
            return self.observation_spaces[agent]

        def action_space(self, agent):
            return self.action_spaces[agent]

        def reset(self, seed=None, options=None):
            # The games have no chance nodes: the seed only seeds the action spaces.
            if seed is not None:
                for i, a in enumerate(self.possible_agents):
                    self.action_spaces[a].seed(seed + i)
            self.game_state = self.game.new_initial_state()
            self.agents = self.possible_agents[:]
            self.rewards = dict.fromkeys(self.agents, 0.0)
            self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
            self.terminations = dict.fromkeys(self.agents, False)
            self.truncations = dict.fromkeys(self.agents, False)
            self.infos: dict[str, dict] = {a: {} for a in self.agents}
            self.agent_selection = self.possible_agents[0]

        def observe(self, agent):
            me = self.possible_agents.index(agent)
            tensor = np.asarray(self.game_state.observation_tensor(0), dtype=np.float64)
            planes = tensor.reshape(-1, *self._board_shape)
            own = _OWNER_PLANES[name]
            board = np.stack([planes[own[me]], planes[own[1 - me]]], axis=-1).astype(np.int8)
            mask = np.zeros(self.game.num_distinct_actions(), np.int8)
            if not self.game_state.is_terminal() and self.game_state.current_player() == me:
                mask[self.game_state.legal_actions()] = 1
            return {"observation": board, "action_mask": mask}

        def step(self, action):
            agent = self.agent_selection
            if self.terminations[agent] or self.truncations[agent]:
                return self._was_dead_step(action)
            self.game_state.apply_action(action)  # InvalidArgumentError for an illegal move, nothing changed
            self._cumulative_rewards[agent] = 0.0
            if self.game_state.is_terminal():
                returns = self.game_state.returns()
                self.rewards = {a: float(returns[i]) for i, a in enumerate(self.possible_agents)}
                self.terminations = dict.fromkeys(self.agents, True)
            else:
                self.rewards = dict.fromkeys(self.agents, 0.0)
            self.agent_selection = self.possible_agents[1 - self.possible_agents.index(agent)]
            self._accumulate_rewards()
            if self.render_mode == "human":
                self.render()

        def render(self):
            if self.render_mode is None:
                return None
            text = str(self.game_state)
            if self.render_mode == "human":
                print(text)
                return None
            return text

        def close(self):
            pass

    return GameAEC()
