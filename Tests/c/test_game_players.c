/* Issue 17's players, arena, Elo fit and Connect-N solver from C: a
 * solver that finds the win, a match with per-colour records that replays
 * with its seed, refusals that write nothing (another game, a finished
 * game, bad sizes, wrong handles), the Elo closed form for two players,
 * and no handle left behind. */
#include "check.h"

#include <math.h>

int main(void) {
  uint64_t c3 = 0, ttt = 0, solver = 0, mcts = 0, random = 0;
  CHECK(swiftpg_game_create_connect_n(4, 5, 3, 1, 0, &c3) == SWIFTPG_OK, "create 4x5 connect-3");
  CHECK(swiftpg_game_create_tic_tac_toe(1, 0, &ttt) == SWIFTPG_OK, "create tic-tac-toe");
  CHECK(swiftpg_player_create_solver(c3, &solver) == SWIFTPG_OK, "solver");
  CHECK(swiftpg_player_create_mcts(c3, 50, 2.0, &mcts) == SWIFTPG_OK, "mcts");
  CHECK(swiftpg_player_create_random(c3, &random) == SWIFTPG_OK, "random");

  /* The empty 4x5 Connect-3 board: the first player wins (score 6). */
  int32_t score = -99, scores[5];
  CHECK(swiftpg_solver_score(solver, c3, 0, &score) == SWIFTPG_OK && score == 6, "score %d", score);
  CHECK(swiftpg_solver_column_scores(solver, c3, 0, scores) == SWIFTPG_OK, "column scores");
  int best = -100;
  for (int c = 0; c < 5; c++) best = scores[c] > best ? scores[c] : best;
  CHECK(best == 6, "best column score %d", best);
  int64_t nodes = -1;
  CHECK(swiftpg_solver_node_count(solver, &nodes) == SWIFTPG_OK && nodes > 0, "nodes");
  int32_t action = -1;
  CHECK(swiftpg_player_action(solver, c3, 0, 7, &action) == SWIFTPG_OK && scores[action] == 6, "solver move");

  /* A match: the solver never loses as first player; the same seed replays it. */
  int32_t record[9], again[9];
  CHECK(swiftpg_arena_play(c3, solver, random, 10, 3, record) == SWIFTPG_OK, "arena");
  CHECK(record[0] + record[1] + record[2] == 10 && record[3] == 5 && record[0] == record[3] + record[6],
        "record %d %d %d / %d %d %d", record[0], record[1], record[2], record[3], record[4], record[5]);
  CHECK(swiftpg_arena_play(c3, solver, random, 10, 3, again) == SWIFTPG_OK, "arena again");
  for (int k = 0; k < 9; k++) CHECK(record[k] == again[k], "replay %d", k);
  CHECK(swiftpg_arena_play(c3, mcts, mcts, 2, 0, record) == SWIFTPG_OK, "self-play");

  /* Refusals write nothing. */
  action = -7;
  CHECK(swiftpg_player_action(solver, ttt, 0, 0, &action) == SWIFTPG_ERR_INVALID_ARGUMENT && action == -7,
        "another game");
  CHECK(swiftpg_player_action(solver, c3, 1, 0, &action) == SWIFTPG_ERR_OUT_OF_RANGE && action == -7, "index");
  CHECK(swiftpg_player_action(c3, c3, 0, 0, &action) == SWIFTPG_ERR_BAD_HANDLE, "a game is not a player");
  CHECK(swiftpg_solver_score(mcts, c3, 0, &score) == SWIFTPG_ERR_NOT_SUPPORTED, "not a solver");
  CHECK(swiftpg_arena_play(ttt, solver, random, 2, 0, record) == SWIFTPG_ERR_INVALID_ARGUMENT, "arena game");
  CHECK(swiftpg_arena_play(c3, solver, random, 0, 0, record) == SWIFTPG_ERR_INVALID_ARGUMENT, "no games");
  CHECK(swiftpg_player_create_mcts(c3, 0, 2.0, &mcts) == SWIFTPG_ERR_INVALID_ARGUMENT, "no simulations");
  CHECK(swiftpg_player_create_mcts(c3, 10, NAN, &mcts) == SWIFTPG_ERR_INVALID_ARGUMENT, "NaN c");
  CHECK(swiftpg_player_create_minimax(c3, 65, NULL) == SWIFTPG_ERR_NULL_POINTER, "null output");
  const int32_t moves[6] = {0, 1, 0, 1, 0, 1};  /* x wins column 0 at its third stone */
  for (int m = 0; m < 5; m++) CHECK(swiftpg_game_step(c3, &moves[m], NULL, NULL, NULL, NULL) == SWIFTPG_OK, "move");
  CHECK(swiftpg_player_action(random, c3, 0, 0, &action) == SWIFTPG_ERR_INVALID_ARGUMENT, "finished game");

  /* Elo: 300 wins of 400 give 400 log10(3) (player 1 against player 0). */
  const int32_t records[12] = {0, 0, 0, 100, 0, 300, 0, 0, 0, 0, 0, 0};
  double ratings[2], errors[2];
  CHECK(swiftpg_elo_fit(records, 2, 0, 0.0, ratings, errors) == SWIFTPG_OK &&
            fabs(ratings[1] - 400 * log10(3.0)) < 1e-9 && ratings[0] == 0 && errors[1] > 0,
        "elo %f", ratings[1]);
  const int32_t negative[12] = {0, 0, 0, -1, 0, 3, 0, 0, 0, 0, 0, 0};
  ratings[1] = 5;
  CHECK(swiftpg_elo_fit(negative, 2, 0, 1.0, ratings, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT && ratings[1] == 5,
        "negative count");
  CHECK(swiftpg_elo_fit(records, 257, 0, 1.0, ratings, NULL) == SWIFTPG_ERR_TOO_LARGE, "too many players");

  CHECK(swiftpg_player_destroy(solver) == SWIFTPG_OK && swiftpg_player_destroy(solver) == SWIFTPG_ERR_BAD_HANDLE,
        "destroy twice");
  CHECK(swiftpg_player_destroy(mcts) == SWIFTPG_OK && swiftpg_player_destroy(random) == SWIFTPG_OK, "destroy");
  CHECK(swiftpg_game_destroy(c3) == SWIFTPG_OK && swiftpg_game_destroy(ttt) == SWIFTPG_OK, "destroy games");
  int64_t live = -1;
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_GAME_PLAYER, &live) == SWIFTPG_OK && live == 0, "no player left");
  return report("test_game_players");
}
