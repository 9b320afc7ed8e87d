/* Issue 18's board networks from C: a policy network's masked softmax and
 * its score gradient against central finite differences through the C
 * path, a value network's loss gradient likewise, checkpoint round trip
 * and a corrupted file refused, refusals that change nothing (shapes,
 * foreign handles, a network of another game), reproducibility by seed,
 * the PUCT and policy players in the arena, one self-play and one
 * AlphaZero iteration, and no handle left behind. */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A 9
#define P 27 /* 3 planes x 3 x 3 */

int main(void) {
  uint64_t ttt = 0, c3 = 0, policy = 0, value = 0, conv = 0, again = 0, other = 0;
  CHECK(swiftpg_game_create_tic_tac_toe(2, 0, &ttt) == SWIFTPG_OK, "tic-tac-toe");
  CHECK(swiftpg_game_create_connect_n(4, 5, 3, 1, 0, &c3) == SWIFTPG_OK, "connect-3");
  const int32_t hidden[1] = {16};
  const int32_t channels[2] = {4, 4};
  CHECK(swiftpg_board_net_create(ttt, SWIFTPG_BOARD_POLICY, SWIFTPG_BOARD_TRUNK_MLP, hidden, 1, 0, 7, &policy) ==
            SWIFTPG_OK, "policy");
  CHECK(swiftpg_board_net_create(ttt, SWIFTPG_BOARD_VALUE, SWIFTPG_BOARD_TRUNK_CONV, channels, 2, 3, 7, &value) ==
            SWIFTPG_OK, "value");
  CHECK(swiftpg_board_net_create(ttt, SWIFTPG_BOARD_POLICY, SWIFTPG_BOARD_TRUNK_CONV, channels, 2, 3, 3, &conv) ==
            SWIFTPG_OK, "conv policy");
  CHECK(swiftpg_board_net_create(ttt, SWIFTPG_BOARD_POLICY, SWIFTPG_BOARD_TRUNK_MLP, hidden, 1, 0, 7, &again) ==
            SWIFTPG_OK, "same seed");
  CHECK(swiftpg_board_net_create(c3, SWIFTPG_BOARD_POLICY, SWIFTPG_BOARD_TRUNK_MLP, hidden, 1, 0, 7, &other) ==
            SWIFTPG_OK, "connect-3 policy");
  swiftpg_board_net_info info;
  CHECK(swiftpg_board_net_get_info(policy, &info) == SWIFTPG_OK && info.head == SWIFTPG_BOARD_POLICY &&
            info.num_planes == 3 && info.board_height == 3 && info.num_outputs == A && info.precision == 64 &&
            info.num_params == (P * 16 + 16) + (16 * A + A),
        "info %lld", (long long)info.num_params);
  int64_t np = info.num_params;

  /* Reproducible by seed: the same seed gives the same parameters. */
  double *theta = malloc(sizeof(double) * np), *theta2 = malloc(sizeof(double) * np);
  CHECK(swiftpg_board_net_get_params(policy, theta, np) == SWIFTPG_OK, "params");
  CHECK(swiftpg_board_net_get_params(again, theta2, np) == SWIFTPG_OK, "params again");
  CHECK(memcmp(theta, theta2, sizeof(double) * np) == 0, "same seed, same network");
  /* Larger weights so that the policy is far from uniform (a sharper test). */
  for (int64_t i = 0; i < np; i++) theta[i] = 0.3 * sin(1.7 * (double)i + 0.4);
  CHECK(swiftpg_board_net_set_params(policy, theta, np) == SWIFTPG_OK, "set params");

  /* Two positions: the start and one after x in the centre, o in a corner. */
  double planes[2 * P];
  uint8_t masks[2 * A];
  int32_t acts[2] = {4, 0};
  CHECK(swiftpg_game_step(ttt, acts, NULL, NULL, NULL, NULL) == SWIFTPG_OK, "step 1");
  int32_t acts2[2] = {0, 8};
  CHECK(swiftpg_game_step(ttt, acts2, NULL, NULL, NULL, NULL) == SWIFTPG_OK, "step 2");
  CHECK(swiftpg_game_planes(ttt, planes) == SWIFTPG_OK && swiftpg_game_legal_mask(ttt, masks) == SWIFTPG_OK, "arrays");
  double probs[2 * A], viaGame[2 * A];
  CHECK(swiftpg_board_net_forward(policy, planes, masks, 2, probs) == SWIFTPG_OK, "forward");
  CHECK(swiftpg_board_net_evaluate_game(policy, ttt, viaGame) == SWIFTPG_OK, "evaluate game");
  for (int i = 0; i < 2; i++) {
    double sum = 0;
    for (int a = 0; a < A; a++) {
      sum += probs[i * A + a];
      if (!masks[i * A + a]) CHECK(probs[i * A + a] == 0.0, "illegal action %d of row %d has probability", a, i);
      CHECK(probs[i * A + a] == viaGame[i * A + a], "evaluate_game equals forward");
    }
    CHECK(fabs(sum - 1) < 1e-12, "row %d sums to %f", i, sum);
  }

  /* Score gradient vs central differences of sum_i w_i log pi(a_i|s_i). */
  const int32_t chosen[2] = {1, 5};
  const double w[2] = {1.0, -0.7};
  double *grad = malloc(sizeof(double) * np), obj = 0, logp[2];
  CHECK(swiftpg_board_net_policy_gradient(policy, planes, masks, chosen, w, 2, logp, grad, np, &obj) == SWIFTPG_OK,
        "policy gradient");
  CHECK(fabs(logp[0] - log(probs[1])) < 1e-12 && fabs(logp[1] - log(probs[A + 5])) < 1e-12, "log probs");
  double worst = 0;
  for (int64_t i = 0; i < np; i += 7) {
    double *t = theta2, hi = 0, lo = 0, g[1];
    memcpy(t, theta, sizeof(double) * np);
    const double h = 1e-6;
    t[i] += h;
    swiftpg_board_net_set_params(policy, t, np);
    double *scratch = malloc(sizeof(double) * np);
    swiftpg_board_net_policy_gradient(policy, planes, masks, chosen, w, 2, NULL, scratch, np, &hi);
    t[i] -= 2 * h;
    swiftpg_board_net_set_params(policy, t, np);
    swiftpg_board_net_policy_gradient(policy, planes, masks, chosen, w, 2, NULL, scratch, np, &lo);
    free(scratch);
    g[0] = (hi - lo) / (2 * h);
    double err = fabs(g[0] - grad[i]) / (1e-6 + fabs(g[0]) + fabs(grad[i]));
    if (err > worst) worst = err;
  }
  CHECK(worst < 1e-5, "policy gradient vs finite differences: worst relative error %g", worst);
  swiftpg_board_net_set_params(policy, theta, np);

  /* An illegal or out-of-range action is refused and nothing is written. */
  const int32_t illegal[2] = {4, 5}; /* 4 is taken in both positions */
  double keep = grad[0];
  CHECK(swiftpg_board_net_policy_gradient(policy, planes, masks, illegal, NULL, 2, NULL, grad, np, &obj) ==
            SWIFTPG_ERR_INVALID_ARGUMENT && grad[0] == keep, "illegal action");
  const int32_t outside[2] = {9, 1};
  CHECK(swiftpg_board_net_policy_gradient(policy, planes, masks, outside, NULL, 2, NULL, grad, np, &obj) ==
            SWIFTPG_ERR_OUT_OF_RANGE, "action outside");
  CHECK(swiftpg_board_net_policy_gradient(policy, planes, masks, chosen, NULL, 2, NULL, grad, np - 1, &obj) ==
            SWIFTPG_ERR_INVALID_ARGUMENT, "num_params");
  uint8_t noLegal[2 * A];
  memset(noLegal, 0, sizeof noLegal);
  probs[0] = -5;
  CHECK(swiftpg_board_net_forward(policy, planes, noLegal, 2, probs) == SWIFTPG_ERR_INVALID_ARGUMENT &&
            probs[0] == -5, "a row without a legal action writes nothing");
  CHECK(swiftpg_board_net_forward(policy, planes, NULL, 2, probs) == SWIFTPG_ERR_NULL_POINTER, "masks NULL");
  CHECK(swiftpg_board_net_forward(ttt, planes, masks, 2, probs) == SWIFTPG_ERR_BAD_HANDLE, "foreign handle");
  CHECK(swiftpg_board_net_evaluate_game(other, ttt, probs) == SWIFTPG_ERR_INVALID_ARGUMENT && probs[0] == -5,
        "a connect-3 network on tic-tac-toe");
  CHECK(swiftpg_board_net_forward(policy, planes, masks, -1, probs) == SWIFTPG_ERR_INVALID_ARGUMENT, "batch -1");
  double nanPlanes[P];
  memcpy(nanPlanes, planes, sizeof nanPlanes);
  nanPlanes[3] = NAN;
  CHECK(swiftpg_board_net_forward(policy, nanPlanes, masks, 1, probs) == SWIFTPG_ERR_NOT_FINITE, "NaN plane");
  CHECK(swiftpg_board_net_set_params(policy, theta, np + 1) == SWIFTPG_ERR_INVALID_ARGUMENT, "count");
  CHECK(swiftpg_board_net_get_params(policy, theta2, np) == SWIFTPG_OK && memcmp(theta, theta2, 8 * np) == 0,
        "refusals left the parameters unchanged");
  CHECK(swiftpg_board_net_create(ttt, 3, SWIFTPG_BOARD_TRUNK_MLP, hidden, 1, 0, 0, &again) ==
            SWIFTPG_ERR_INVALID_ARGUMENT, "head");
  CHECK(swiftpg_board_net_create(ttt, SWIFTPG_BOARD_POLICY, SWIFTPG_BOARD_TRUNK_CONV, channels, 2, 4, 0, &again) ==
            SWIFTPG_ERR_INVALID_ARGUMENT, "even kernel");
  CHECK(swiftpg_board_net_value_gradient(policy, planes, w, NULL, 2, NULL, grad, np, &obj) ==
            SWIFTPG_ERR_INVALID_ARGUMENT, "a policy is not a value network");

  /* The supervised fit: its history, then a cancelled fit that changes nothing. */
  swiftpg_sft_config fit;
  CHECK(swiftpg_sft_default_config(&fit) == SWIFTPG_OK, "fit defaults");
  fit.epochs = 3;
  fit.minibatch_size = 2;
  double history[12];
  CHECK(swiftpg_board_net_fit_policy(policy, planes, masks, chosen, 2, planes, masks, chosen, 2, &fit, history) ==
            SWIFTPG_OK && history[8] < history[0] && history[11] >= 0 && history[11] <= 1,
        "fit: loss %f -> %f", history[0], history[8]);
  CHECK(swiftpg_board_net_get_params(policy, theta, np) == SWIFTPG_OK, "fitted params");
  CHECK(swiftpg_cancel(policy, 1) == SWIFTPG_OK, "cancel the network");
  CHECK(swiftpg_board_net_fit_policy(policy, planes, masks, chosen, 2, NULL, NULL, NULL, 0, &fit, history) ==
            SWIFTPG_ERR_CANCELLED, "cancelled fit");
  CHECK(swiftpg_board_net_get_params(policy, theta2, np) == SWIFTPG_OK && memcmp(theta, theta2, 8 * np) == 0,
        "a cancelled fit changes nothing");

  /* The value network's loss gradient vs central differences. */
  swiftpg_board_net_info vinfo;
  CHECK(swiftpg_board_net_get_info(value, &vinfo) == SWIFTPG_OK && vinfo.trunk == SWIFTPG_BOARD_TRUNK_CONV, "vinfo");
  int64_t nv = vinfo.num_params;
  double *phi = malloc(sizeof(double) * nv), *vgrad = malloc(sizeof(double) * nv), *vs = malloc(sizeof(double) * nv);
  for (int64_t i = 0; i < nv; i++) phi[i] = 0.4 * cos(0.9 * (double)i + 0.2);
  CHECK(swiftpg_board_net_set_params(value, phi, nv) == SWIFTPG_OK, "set value params");
  const double targets[2] = {1.0, -1.0};
  double vals[2], loss = 0;
  CHECK(swiftpg_board_net_value_gradient(value, planes, targets, NULL, 2, vals, vgrad, nv, &loss) == SWIFTPG_OK,
        "value gradient");
  CHECK(fabs(vals[0]) <= 1 && fabs(vals[1]) <= 1, "values in [-1, 1]");
  worst = 0;
  for (int64_t i = 0; i < nv; i += 5) {
    double hi = 0, lo = 0;
    const double h = 1e-6;
    memcpy(vs, phi, sizeof(double) * nv);
    vs[i] += h;
    swiftpg_board_net_set_params(value, vs, nv);
    double *scratch = malloc(sizeof(double) * nv);
    swiftpg_board_net_value_gradient(value, planes, targets, NULL, 2, NULL, scratch, nv, &hi);
    vs[i] -= 2 * h;
    swiftpg_board_net_set_params(value, vs, nv);
    swiftpg_board_net_value_gradient(value, planes, targets, NULL, 2, NULL, scratch, nv, &lo);
    free(scratch);
    double g = (hi - lo) / (2 * h);
    double err = fabs(g - vgrad[i]) / (1e-6 + fabs(g) + fabs(vgrad[i]));
    if (err > worst) worst = err;
  }
  CHECK(worst < 1e-5, "value gradient vs finite differences: worst relative error %g", worst);
  swiftpg_board_net_set_params(value, phi, nv);

  /* Checkpoint round trip, then a corrupted file. */
  const char *path = "Tests/c/build/board_policy.swiftpg";
  uint64_t loaded = 0;
  CHECK(swiftpg_board_net_save(policy, path) == SWIFTPG_OK, "save");
  CHECK(swiftpg_board_net_load(path, &loaded) == SWIFTPG_OK, "load");
  double probs2[2 * A];
  CHECK(swiftpg_board_net_forward(loaded, planes, masks, 2, probs2) == SWIFTPG_OK, "forward loaded");
  swiftpg_board_net_forward(policy, planes, masks, 2, probs);
  CHECK(memcmp(probs, probs2, sizeof probs) == 0, "the loaded network computes the same");
  FILE *f = fopen(path, "r+b");
  CHECK(f != NULL, "open checkpoint");
  if (f) {
    fseek(f, 40, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 40, SEEK_SET);
    fputc(c ^ 0x5a, f);
    fclose(f);
  }
  uint64_t bad = 99;
  CHECK(swiftpg_board_net_load(path, &bad) == SWIFTPG_ERR_BAD_FORMAT && bad == 99, "corrupted checkpoint");
  CHECK(swiftpg_board_net_load("Tests/c/build/no_such_file", &bad) == SWIFTPG_ERR_IO, "missing file");

  /* Players: the raw policy and PUCT (uniform priors + rollouts beats random). */
  uint64_t puct = 0, raw = 0, random = 0, mismatch = 0;
  swiftpg_puct_config pc;
  CHECK(swiftpg_puct_default_config(&pc) == SWIFTPG_OK && pc.c_puct == 3.0 && pc.dirichlet_epsilon == 0,
        "puct defaults");
  pc.simulations = 200;
  pc.rollout_weight = 1.0;
  CHECK(swiftpg_player_create_puct(ttt, 0, 0, &pc, &puct) == SWIFTPG_OK, "puct");
  CHECK(swiftpg_player_create_policy(ttt, policy, 0.0, &raw) == SWIFTPG_OK, "policy player");
  CHECK(swiftpg_player_create_random(ttt, &random) == SWIFTPG_OK, "random");
  CHECK(swiftpg_player_create_policy(ttt, value, 0.0, &mismatch) == SWIFTPG_ERR_INVALID_ARGUMENT, "value as policy");
  CHECK(swiftpg_player_create_puct(ttt, other, 0, &pc, &mismatch) == SWIFTPG_ERR_INVALID_ARGUMENT, "other game");
  pc.size = 8;
  CHECK(swiftpg_player_create_puct(ttt, 0, 0, &pc, &mismatch) == SWIFTPG_ERR_INVALID_ARGUMENT, "config size");
  int32_t record[9];
  CHECK(swiftpg_arena_play(ttt, puct, random, 20, 1, record) == SWIFTPG_OK, "arena puct");
  CHECK(record[2] == 0 && record[0] >= 12, "PUCT vs random: %d wins %d draws %d losses", record[0], record[1],
        record[2]);
  CHECK(swiftpg_arena_play(ttt, raw, random, 4, 1, record) == SWIFTPG_OK, "arena policy player");

  /* One self-play iteration and one AlphaZero iteration. */
  uint64_t sp = 0, az = 0;
  swiftpg_selfplay_config sc;
  CHECK(swiftpg_selfplay_default_config(&sc) == SWIFTPG_OK && sc.games_per_iteration == 64, "selfplay defaults");
  sc.games_per_iteration = 8;
  CHECK(swiftpg_selfplay_create(ttt, policy, 0, &sc, &sp) == SWIFTPG_OK, "selfplay");
  swiftpg_selfplay_stats ss;
  CHECK(swiftpg_selfplay_iterate(sp, &ss) == SWIFTPG_OK && ss.games == 8 && ss.wins + ss.draws + ss.losses == 8 &&
            ss.iteration == 1 && ss.moves > 0, "selfplay iterate");
  /* Save, two more iterations, load, the same two iterations again: the same parameters. */
  const char *lpath = "Tests/c/build/board_learner.swiftpg";
  CHECK(swiftpg_board_learner_save(sp, lpath) == SWIFTPG_OK, "learner save");
  CHECK(swiftpg_selfplay_iterate(sp, &ss) == SWIFTPG_OK && swiftpg_selfplay_iterate(sp, &ss) == SWIFTPG_OK, "2 more");
  double *after = malloc(sizeof(double) * np), *replay = malloc(sizeof(double) * np);
  swiftpg_board_net_get_params(policy, after, np);
  CHECK(swiftpg_board_learner_load(sp, lpath) == SWIFTPG_OK, "learner load");
  CHECK(swiftpg_selfplay_iterate(sp, &ss) == SWIFTPG_OK && ss.iteration == 2, "iteration restored: %lld",
        (long long)ss.iteration);
  CHECK(swiftpg_selfplay_iterate(sp, &ss) == SWIFTPG_OK, "again");
  swiftpg_board_net_get_params(policy, replay, np);
  CHECK(memcmp(after, replay, sizeof(double) * np) == 0, "the run continues exactly after load");
  f = fopen(lpath, "r+b");
  if (f) {
    fseek(f, 60, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 60, SEEK_SET);
    fputc(c ^ 0x11, f);
    fclose(f);
  }
  CHECK(swiftpg_board_learner_load(sp, lpath) == SWIFTPG_ERR_BAD_FORMAT, "corrupted learner file");
  CHECK(swiftpg_board_learner_load(sp, path) == SWIFTPG_ERR_BAD_FORMAT, "a network file is not a learner");
  swiftpg_board_net_get_params(policy, replay, np);
  CHECK(memcmp(after, replay, sizeof(double) * np) == 0, "a refused load changes nothing");
  free(after);
  free(replay);
  remove(lpath);
  swiftpg_alphazero_stats as;
  CHECK(swiftpg_alphazero_iterate(sp, &as) == SWIFTPG_ERR_BAD_HANDLE, "not an AlphaZero learner");
  CHECK(swiftpg_selfplay_create(ttt, value, 0, &sc, &az) == SWIFTPG_ERR_INVALID_ARGUMENT, "value as policy");
  swiftpg_alphazero_config ac;
  CHECK(swiftpg_alphazero_default_config(&ac) == SWIFTPG_OK && ac.dirichlet_epsilon == 0.25, "az defaults");
  ac.games_per_iteration = 2;
  ac.simulations = 8;
  ac.epochs = 1;
  CHECK(swiftpg_alphazero_create(ttt, conv, 0, &ac, &az) == SWIFTPG_ERR_BAD_HANDLE, "AlphaZero needs a value net");
  CHECK(swiftpg_alphazero_create(ttt, conv, value, &ac, &az) == SWIFTPG_OK, "alphazero");
  CHECK(swiftpg_alphazero_iterate(az, &as) == SWIFTPG_OK && as.games == 2 && as.examples >= 10 && as.iteration == 1,
        "alphazero iterate");
  CHECK(swiftpg_cancel(az, 1) == SWIFTPG_OK, "cancel");
  CHECK(swiftpg_alphazero_iterate(az, &as) == SWIFTPG_ERR_CANCELLED && as.iteration == 1, "cancelled iteration");

  CHECK(swiftpg_board_learner_destroy(sp) == SWIFTPG_OK && swiftpg_board_learner_destroy(az) == SWIFTPG_OK,
        "destroy learners");
  CHECK(swiftpg_board_learner_destroy(sp) == SWIFTPG_ERR_BAD_HANDLE, "destroy twice");
  uint64_t nets[6] = {policy, value, conv, again, other, loaded};
  for (int i = 0; i < 6; i++) CHECK(swiftpg_board_net_destroy(nets[i]) == SWIFTPG_OK, "destroy net %d", i);
  CHECK(swiftpg_player_destroy(puct) == SWIFTPG_OK && swiftpg_player_destroy(raw) == SWIFTPG_OK &&
            swiftpg_player_destroy(random) == SWIFTPG_OK, "destroy players");
  CHECK(swiftpg_game_destroy(ttt) == SWIFTPG_OK && swiftpg_game_destroy(c3) == SWIFTPG_OK, "destroy games");
  int64_t live = -1;
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_ALL, &live) == SWIFTPG_OK && live == 0, "no handle left: %lld",
        (long long)live);
  free(theta);
  free(theta2);
  free(grad);
  free(phi);
  free(vgrad);
  free(vs);
  remove(path);
  return report("test_board_networks");
}
