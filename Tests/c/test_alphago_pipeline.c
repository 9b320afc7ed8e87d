/* Issue 18's self-play pipeline, mistake rate and ladder from C: a tiny
 * pipeline stepped to the end with its checkpoints and evaluation, the
 * solver's mistake rate 0 and its ladder, a pipeline player, refusals that
 * write nothing (bad config sizes and fields, sides, a small rung buffer,
 * wrong handles, another game), and no handle left behind. */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  uint64_t ttt = 0, c3 = 0, solver = 0, random = 0;
  CHECK(swiftpg_game_create_tic_tac_toe(1, 0, &ttt) == SWIFTPG_OK, "tic-tac-toe");
  CHECK(swiftpg_game_create_connect_n(4, 5, 3, 1, 0, &c3) == SWIFTPG_OK, "connect-3");
  CHECK(swiftpg_player_create_solver(ttt, &solver) == SWIFTPG_OK, "solver");
  CHECK(swiftpg_player_create_random(ttt, &random) == SWIFTPG_OK, "random");

  /* The solver makes no mistake; by-ply counts add up; as second player
   * it meets each of x's 9 openings at ply 1. */
  swiftpg_mistake_report r;
  int64_t by_ply[9], mistakes_by_ply[9];
  CHECK(swiftpg_mistake_rate(solver, ttt, 3, 1, &r, by_ply, mistakes_by_ply) == SWIFTPG_OK, "mistake rate");
  CHECK(r.size == sizeof r && r.max_ply == 9 && r.mistakes == 0 && r.rate == 0 && r.positions > 0, "solver %lld",
        (long long)r.mistakes);
  int64_t sum = 0;
  for (int k = 0; k < 9; k++) sum += by_ply[k];
  CHECK(sum == r.positions && r.positions == r.positions_first + r.positions_second, "sums");
  CHECK(by_ply[1] == 9 && by_ply[0] == 1, "openings %lld", (long long)by_ply[1]);
  CHECK(swiftpg_mistake_rate(random, ttt, 2, 1, &r, NULL, NULL) == SWIFTPG_OK, "random");
  CHECK(r.mistakes > 0 && r.positions_first == 0 && r.rate == (double)r.mistakes / (double)r.positions,
        "random blunders");

  /* The ladder: random, MCTS 10 and 32, minimax 9, the solver. */
  swiftpg_ladder_config lc;
  CHECK(swiftpg_ladder_default_config(&lc) == SWIFTPG_OK && lc.size == sizeof lc, "ladder defaults");
  lc.games_per_rung = 2;
  lc.mcts_rungs = 2;
  lc.num_minimax_depths = 1;
  lc.minimax_depths[0] = 9;
  swiftpg_ladder_rung rungs[SWIFTPG_LADDER_MAX_RUNGS];
  int32_t count = -1;
  CHECK(swiftpg_ladder_play(solver, ttt, &lc, rungs, SWIFTPG_LADDER_MAX_RUNGS, &count) == SWIFTPG_OK, "ladder");
  CHECK(count == 5, "rungs %d", count);
  CHECK(rungs[1].kind == SWIFTPG_LADDER_MCTS && rungs[1].parameter == 10 && rungs[2].parameter == 32, "mcts");
  CHECK(rungs[4].kind == SWIFTPG_LADDER_SOLVER && rungs[4].record[1] == 2, "solver draws itself");
  for (int i = 0; i < count; i++) CHECK(rungs[i].record[2] == 0, "rung %d: no loss", i);
  count = -1;
  CHECK(swiftpg_ladder_play(solver, ttt, &lc, rungs, 4, &count) == SWIFTPG_ERR_BUFFER_TOO_SMALL && count == -1,
        "capacity");

  /* A tiny pipeline to the end. */
  swiftpg_alphago_config c;
  CHECK(swiftpg_alphago_default_config(&c) == SWIFTPG_OK && c.size == sizeof c, "defaults");
  CHECK(c.num_hidden == 2 && c.hidden[0] == 128 && c.search_simulations == 200, "default values");
  c.num_hidden = 1;
  c.hidden[0] = 8;
  c.expert_games = 20;
  c.supervised_epochs = 1;
  c.selfplay_iterations = 1;
  c.selfplay_games = 2;
  c.evaluation_games = 2;
  c.value_games = 10;
  c.value_epochs = 1;
  c.search_simulations = 3;
  c.solver_games = 2;
  c.elo_games_per_pair = 1;
  c.seed = 4;
  char dir[128];
  snprintf(dir, sizeof dir, "/tmp/swiftpg-test-selfplay-%d", (int)getpid());
  uint64_t pipeline = 0;
  CHECK(swiftpg_alphago_create(ttt, &c, dir, &pipeline) == SWIFTPG_OK, "create");
  swiftpg_alphago_progress p;
  int steps = 0;
  do {
    CHECK(swiftpg_alphago_step(pipeline, &p) == SWIFTPG_OK, "step %d", steps);
    steps++;
  } while (!p.done && steps < 10);
  CHECK(steps == 4 && p.stage == SWIFTPG_ALPHAGO_EVALUATION, "steps %d stage %d", steps, p.stage);
  CHECK(swiftpg_alphago_step(pipeline, &p) == SWIFTPG_ERR_INVALID_ARGUMENT, "done");
  int32_t n = 0, info[3];
  CHECK(swiftpg_alphago_checkpoint_count(pipeline, &n) == SWIFTPG_OK && n == 3, "checkpoints %d", n);
  char path[4200];
  size_t length = 0;
  CHECK(swiftpg_alphago_checkpoint(pipeline, 0, path, sizeof path, &length, info) == SWIFTPG_OK, "checkpoint 0");
  CHECK(strstr(path, "sl_policy.spg") != NULL && length == strlen(path) && info[0] == 1 &&
            info[1] == SWIFTPG_ALPHAGO_SUPERVISED, "sl checkpoint %s", path);
  CHECK(swiftpg_alphago_checkpoint(pipeline, 3, path, sizeof path, &length, info) == SWIFTPG_ERR_OUT_OF_RANGE,
        "index");
  CHECK(swiftpg_alphago_checkpoint(pipeline, 0, path, 3, &length, NULL) == SWIFTPG_ERR_BUFFER_TOO_SMALL, "small");
  swiftpg_alphago_evaluation e;
  CHECK(swiftpg_alphago_evaluation_summary(pipeline, &e) == SWIFTPG_OK && e.evaluated == 1, "evaluation");
  CHECK(e.raw_vs_solver[0] + e.raw_vs_solver[1] + e.raw_vs_solver[2] == 2 && e.raw_positions > 0 &&
            e.num_ratings == 4, "summary %d", e.num_ratings);
  double rating = NAN, error = NAN;
  CHECK(swiftpg_alphago_rating(pipeline, 0, path, sizeof path, &length, &rating, &error) == SWIFTPG_OK &&
            strcmp(path, "random") == 0 && rating == 0, "rating");
  uint64_t agent = 0;
  CHECK(swiftpg_alphago_player(pipeline, 3, &agent) == SWIFTPG_OK, "player");
  CHECK(swiftpg_mistake_rate(agent, ttt, 1, 0, &r, NULL, NULL) == SWIFTPG_OK && r.positions_second == 0,
        "agent mistakes");
  CHECK(swiftpg_mistake_rate(agent, c3, 1, 0, &r, NULL, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT, "another game");

  /* Refusals. */
  uint64_t none = 77;
  swiftpg_alphago_config bad = c;
  bad.size = 8;
  CHECK(swiftpg_alphago_create(ttt, &bad, dir, &none) == SWIFTPG_ERR_INVALID_ARGUMENT && none == 77, "size");
  bad = c;
  bad.num_hidden = 9;
  CHECK(swiftpg_alphago_create(ttt, &bad, dir, &none) == SWIFTPG_ERR_INVALID_ARGUMENT && none == 77, "layers");
  bad = c;
  bad.supervised_learning_rate = NAN;
  CHECK(swiftpg_alphago_create(ttt, &bad, dir, &none) == SWIFTPG_ERR_NOT_FINITE, "NaN rate");
  bad = c;
  bad.measure_mistakes = 2;
  CHECK(swiftpg_alphago_create(ttt, &bad, dir, &none) == SWIFTPG_ERR_INVALID_ARGUMENT, "flag");
  CHECK(swiftpg_alphago_create(ttt, &c, "", &none) == SWIFTPG_ERR_INVALID_ARGUMENT, "empty directory");
  CHECK(swiftpg_alphago_create(ttt, &c, "/proc/none/x", &none) == SWIFTPG_ERR_IO && none == 77, "io");
  CHECK(swiftpg_alphago_create(ttt, NULL, dir, &none) == SWIFTPG_ERR_NULL_POINTER, "null config");
  CHECK(swiftpg_alphago_step(solver, &p) == SWIFTPG_ERR_BAD_HANDLE, "a player is not a pipeline");
  CHECK(swiftpg_mistake_rate(solver, ttt, 0, 0, &r, NULL, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT, "sides 0");
  CHECK(swiftpg_mistake_rate(solver, ttt, 4, 0, &r, NULL, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT, "sides 4");
  CHECK(swiftpg_mistake_rate(solver, ttt, 3, 0, NULL, NULL, NULL) == SWIFTPG_ERR_NULL_POINTER, "null report");
  swiftpg_ladder_config lbad = lc;
  lbad.num_minimax_depths = 9;
  CHECK(swiftpg_ladder_play(solver, ttt, &lbad, rungs, 26, &count) == SWIFTPG_ERR_INVALID_ARGUMENT, "depths");
  lbad = lc;
  lbad.games_per_rung = 0;
  CHECK(swiftpg_ladder_play(solver, ttt, &lbad, rungs, 26, &count) == SWIFTPG_ERR_INVALID_ARGUMENT, "games");
  uint64_t c3solver = 0;
  CHECK(swiftpg_player_create_solver(c3, &c3solver) == SWIFTPG_OK, "c3 solver");
  CHECK(swiftpg_ladder_play(c3solver, ttt, &lc, rungs, 26, &count) == SWIFTPG_ERR_INVALID_ARGUMENT, "ladder game");

  CHECK(swiftpg_alphago_destroy(pipeline) == SWIFTPG_OK, "destroy");
  CHECK(swiftpg_alphago_destroy(pipeline) == SWIFTPG_ERR_BAD_HANDLE, "destroy twice");
  CHECK(swiftpg_player_destroy(agent) == SWIFTPG_OK && swiftpg_player_destroy(c3solver) == SWIFTPG_OK, "players");
  CHECK(swiftpg_player_destroy(solver) == SWIFTPG_OK && swiftpg_player_destroy(random) == SWIFTPG_OK, "players");
  CHECK(swiftpg_game_destroy(ttt) == SWIFTPG_OK && swiftpg_game_destroy(c3) == SWIFTPG_OK, "games");
  int64_t live = -1;
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_ALL, &live) == SWIFTPG_OK && live == 0, "live %lld", (long long)live);
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_ALPHAGO_PIPELINE, &live) == SWIFTPG_OK && live == 0, "pipelines");
  return report("test_alphago_pipeline");
}
