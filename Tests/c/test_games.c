/* The two-player games of the C ABI (issue 17) from C: a Connect Four batch
 * with an inactive game, a vertical win, the refusals (illegal move,
 * finished game, bad flag) that change nothing, OpenSpiel's text and
 * observation, states, symmetries, auto-reset and playouts; Go's
 * parameters, score margin and encoded state. */
#include "check.h"

#include <string.h>

/* The encoded states of a batch of 2 Connect Four games (2 * 42 words). */
static void states(uint64_t game, int32_t *out) {
  CHECK(swiftpg_game_get_state(game, out) == SWIFTPG_OK, "get state");
}

int main(void) {
  uint64_t game = 0;
  CHECK(swiftpg_game_create_connect_n(6, 7, 4, 2, 0, &game) == SWIFTPG_OK, "create connect four");
  swiftpg_game_info info;
  CHECK(swiftpg_game_get_info(game, &info) == SWIFTPG_OK && info.num_games == 2 && info.num_actions == 7 &&
            info.board_height == 6 && info.board_width == 7 && info.observation_planes == 3 &&
            info.state_size == 42 && info.num_symmetries == 2 && info.auto_reset == 0,
        "info");

  /* Game 0: x plays column 0 four times, o column 1; game 1 sits out. */
  const int32_t moves[7] = {0, 1, 0, 1, 0, 1, 0};
  const uint8_t active[2] = {1, 0};
  uint8_t ended[2];
  double outcomes[2];
  int32_t count = -1;
  for (int m = 0; m < 7; m++) {
    const int32_t actions[2] = {moves[m], 99};
    CHECK(swiftpg_game_step(game, actions, active, ended, outcomes, &count) == SWIFTPG_OK, "move %d", m);
  }
  CHECK(ended[0] == 1 && outcomes[0] == 1.0 && ended[1] == 0 && outcomes[1] == 0.0 && count == 1, "x wins game 0");
  int32_t players[2];
  uint8_t terminal[2];
  double returns[4];
  CHECK(swiftpg_game_status(game, players, terminal, returns) == SWIFTPG_OK && players[0] == -4 &&
            players[1] == 0 && terminal[0] == 1 && terminal[1] == 0 && returns[0] == 1.0 && returns[1] == -1.0,
        "status");

  /* Refusals change nothing: a finished game, a full column, a bad flag. */
  int32_t before[84], after[84];
  states(game, before);
  const int32_t finished[2] = {2, 2};
  CHECK(swiftpg_game_step(game, finished, NULL, NULL, NULL, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT, "finished game");
  const uint8_t only1[2] = {0, 1}, bad_flag[2] = {0, 2};
  const int32_t out_of_range[2] = {0, 7};
  CHECK(swiftpg_game_step(game, out_of_range, only1, NULL, NULL, NULL) == SWIFTPG_ERR_OUT_OF_RANGE, "column 7");
  CHECK(swiftpg_game_step(game, finished, bad_flag, NULL, NULL, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT, "flag 2");
  states(game, after);
  CHECK(memcmp(before, after, sizeof before) == 0, "nothing changed");
  for (int m = 0; m < 6; m++) {
    const int32_t actions[2] = {0, 3};
    CHECK(swiftpg_game_step(game, actions, only1, NULL, NULL, NULL) == SWIFTPG_OK, "fill column 3");
  }
  const int32_t full[2] = {0, 3};
  CHECK(swiftpg_game_step(game, full, only1, NULL, NULL, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT, "full column");

  /* OpenSpiel's text and observation of game 0 (row 0 of the tensor is the bottom). */
  char text[64];
  size_t length = 0;
  CHECK(swiftpg_game_render_text(game, 0, text, sizeof text, &length) == SWIFTPG_OK &&
            strcmp(text, ".......\n.......\nx......\nxo.....\nxo.....\nxo.....\n") == 0 && length == 48,
        "text %s", text);
  double obs[2 * 126];
  CHECK(swiftpg_game_observation(game, obs) == SWIFTPG_OK && obs[0] == 1 && obs[3 * 7] == 1 && obs[42 + 1] == 1 &&
            obs[84 + 2] == 1 && obs[4 * 7] == 0,
        "observation");

  /* The mirror sends column 0 to column 6; states load all or nothing. */
  int32_t cells[42], columns[7];
  CHECK(swiftpg_game_symmetry(game, 1, cells, columns) == SWIFTPG_OK && columns[0] == 6 && cells[7] == 13,
        "mirror");
  CHECK(swiftpg_game_symmetry(game, 2, NULL, NULL) == SWIFTPG_ERR_OUT_OF_RANGE, "symmetry 2");
  states(game, before);
  before[42 + 20] = 1; /* a floating stone in game 1 */
  CHECK(swiftpg_game_set_state(game, before) == SWIFTPG_ERR_INVALID_ARGUMENT, "floating stone");
  states(game, after);
  CHECK(after[42 + 20] == 0, "unchanged");

  /* Playouts from the current states leave them alone. */
  double results[2 * 3];
  int32_t lengths[2 * 3];
  CHECK(swiftpg_game_playouts(game, 7, 3, results, lengths) == SWIFTPG_OK && results[0] == 1.0 && lengths[0] == 0 &&
            lengths[3] > 0,
        "playouts");
  CHECK(swiftpg_game_destroy(game) == SWIFTPG_OK, "destroy");

  /* Auto-reset: the step that ends a tic-tac-toe game restarts it. */
  uint64_t ttt = 0;
  CHECK(swiftpg_game_create_tic_tac_toe(1, 1, &ttt) == SWIFTPG_OK, "create tic-tac-toe");
  const int32_t line[5] = {0, 3, 1, 4, 2};
  for (int m = 0; m < 5; m++) {
    CHECK(swiftpg_game_step(ttt, &line[m], NULL, ended, outcomes, NULL) == SWIFTPG_OK, "ttt move %d", m);
  }
  int32_t board[9];
  CHECK(ended[0] == 1 && outcomes[0] == 1.0, "x wins");
  CHECK(swiftpg_game_get_state(ttt, board) == SWIFTPG_OK && board[0] == 0 && board[1] == 0, "back at the start");
  CHECK(swiftpg_game_create_connect_n(9, 7, 4, 1, 0, &game) == SWIFTPG_ERR_INVALID_ARGUMENT, "9 x 7 refused");
  CHECK(swiftpg_game_destroy(ttt) == SWIFTPG_OK, "destroy");

  /* Go 5x5, komi 0.5: black c3 and two passes; black owns the board. */
  uint64_t go = 0;
  CHECK(swiftpg_game_create_go(5, 0.5, 0, 1, 0, &go) == SWIFTPG_OK, "create go");
  CHECK(swiftpg_game_get_info(go, &info) == SWIFTPG_OK && info.num_actions == 26 && info.max_game_length == 50 &&
            info.observation_planes == 4 && info.num_planes == 7 && info.state_size == 25 + 5 + 100 &&
            info.num_symmetries == 8,
        "go info");
  int32_t go_state[130], go_after[130];
  const int32_t go_moves[3] = {12, 25, 25};
  for (int m = 0; m < 3; m++) {
    CHECK(swiftpg_game_step(go, &go_moves[m], NULL, ended, outcomes, NULL) == SWIFTPG_OK, "go move %d", m);
  }
  double margin = 0;
  CHECK(ended[0] == 1 && outcomes[0] == 1.0, "black wins");
  CHECK(swiftpg_game_score_margin(go, &margin) == SWIFTPG_OK && margin == 24.5, "margin 25 - 0.5");
  CHECK(swiftpg_game_get_state(go, go_state) == SWIFTPG_OK && go_state[12] == 1 && go_state[25] == 3 &&
            go_state[26] == 2 && go_state[27] == -1 && go_state[28] == 0 && go_state[29] == 1,
        "go state: c3, 3 moves, 2 passes, no ko, no superko, 1 placement");
  go_state[31] ^= 1; /* the last position no longer is the board */
  CHECK(swiftpg_game_set_state(go, go_state) == SWIFTPG_ERR_INVALID_ARGUMENT, "bad go history");
  CHECK(swiftpg_game_get_state(go, go_after) == SWIFTPG_OK && go_after[31] == (go_state[31] ^ 1), "unchanged");
  CHECK(swiftpg_game_score_margin(go, NULL) == SWIFTPG_ERR_NULL_POINTER, "NULL margins");
  CHECK(swiftpg_game_create_go(4, 7.5, 0, 1, 0, &game) == SWIFTPG_ERR_INVALID_ARGUMENT, "4 x 4 refused");
  CHECK(swiftpg_game_create_go(9, 7.5, 4097, 1, 0, &game) == SWIFTPG_ERR_INVALID_ARGUMENT, "length refused");
  CHECK(swiftpg_game_destroy(go) == SWIFTPG_OK, "destroy go");
  CHECK(swiftpg_game_create_tic_tac_toe(1, 0, &ttt) == SWIFTPG_OK, "create tic-tac-toe");
  CHECK(swiftpg_game_score_margin(ttt, &margin) == SWIFTPG_ERR_NOT_SUPPORTED, "no margin in tic-tac-toe");
  CHECK(swiftpg_game_destroy(ttt) == SWIFTPG_OK, "destroy");

  /* The per-move path: swiftpg_game_apply on one game of a batch, and a
   * clone that moves on its own. */
  uint64_t c4 = 0, copy = 0;
  CHECK(swiftpg_game_create_connect_n(6, 7, 4, 2, 0, &c4) == SWIFTPG_OK, "create connect four");
  uint8_t mask[7], done = 9;
  double outcome = 9;
  int32_t player = 9;
  for (int m = 0; m < 6; m++) { /* columns 3 / 4 three times each */
    CHECK(swiftpg_game_apply(c4, 1, 3 + m % 2, &done, &outcome, &player, mask) == SWIFTPG_OK, "apply %d", m);
    CHECK(done == 0 && outcome == 0 && player == (m + 1) % 2 && mask[3] == 1, "after move %d", m);
  }
  CHECK(swiftpg_game_clone(c4, 1, &copy) == SWIFTPG_OK, "clone game 1");
  CHECK(swiftpg_game_apply(c4, 1, 3, &done, &outcome, &player, mask) == SWIFTPG_OK && done == 1 && outcome == 1.0 &&
            player == SWIFTPG_GAME_TERMINAL_PLAYER && mask[0] == 0 && mask[3] == 0,
        "x wins in column 3");
  CHECK(swiftpg_game_apply(c4, 1, 0, NULL, NULL, NULL, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT, "finished game");
  CHECK(swiftpg_game_apply(c4, 2, 0, NULL, NULL, NULL, NULL) == SWIFTPG_ERR_OUT_OF_RANGE, "index 2 of 2");
  CHECK(swiftpg_game_apply(c4, 0, 7, NULL, NULL, NULL, NULL) == SWIFTPG_ERR_OUT_OF_RANGE, "column 7");
  CHECK(swiftpg_game_apply(c4, -1, 0, NULL, NULL, NULL, NULL) == SWIFTPG_ERR_OUT_OF_RANGE, "index -1");
  CHECK(swiftpg_game_get_info(copy, &info) == SWIFTPG_OK && info.num_games == 1 && info.auto_reset == 0, "clone info");
  CHECK(swiftpg_game_apply(copy, 0, 4, &done, &outcome, &player, mask) == SWIFTPG_OK && done == 0 && player == 1,
        "the clone blocks instead");
  CHECK(swiftpg_game_clone(c4, 5, &copy) == SWIFTPG_ERR_OUT_OF_RANGE, "clone index 5");
  CHECK(swiftpg_game_clone(c4, 0, NULL) == SWIFTPG_ERR_NULL_POINTER, "NULL game_out");
  CHECK(swiftpg_game_destroy(copy) == SWIFTPG_OK && swiftpg_game_destroy(c4) == SWIFTPG_OK, "destroy");
  CHECK(swiftpg_game_apply(c4, 0, 0, NULL, NULL, NULL, NULL) == SWIFTPG_ERR_BAD_HANDLE, "destroyed");

  int64_t live = -1;
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_GAME, &live) == SWIFTPG_OK && live == 0, "no game left");
  return report("test_games");
}
