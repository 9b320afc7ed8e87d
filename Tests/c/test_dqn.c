/* DQN through the C ABI (issue 19): defaults, creation, iterations with a
 * short warm-up, Q-values and greedy actions that agree, an outside
 * update, a checkpoint that resumes exactly (opened from the file alone),
 * and refusals that change nothing: a config of another header version
 * (read at the end of a readable page), out-of-range fields, bad handles,
 * NULL pointers, wrong actions, non-finite observations, a policy-gradient
 * learner's file. Ends with no live handle left. */
#define _DEFAULT_SOURCE
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static swiftpg_dqn_config small_config(void) {
  swiftpg_dqn_config c;
  swiftpg_dqn_default_config(&c);
  c.total_env_steps = 2000;
  c.learning_starts = 100;
  c.train_freq = 64;
  c.gradient_steps = 8;
  c.num_hidden = 1;
  c.hidden[0] = 16;
  c.seed = 7;
  return c;
}

int main(void) {
  swiftpg_dqn_config c;
  CHECK(swiftpg_dqn_default_config(&c) == SWIFTPG_OK, "defaults");
  CHECK(c.size == sizeof c && c.batch_size == 64 && c.buffer_size == 100000 && c.learning_starts == 1000 &&
            c.target_update_interval == 10 && c.train_freq == 256 && c.gradient_steps == 128 &&
            c.num_hidden == 2 && c.hidden[0] == 256 && c.hidden[1] == 256 && c.loss == SWIFTPG_DQN_LOSS_HUBER &&
            c.target_update_unit == SWIFTPG_DQN_TARGET_ENV_STEPS && fabs(c.learning_rate - 2.3e-3) < 1e-15 &&
            fabs(c.exploration_final_eps - 0.04) < 1e-15 && c.double_q == 0 && c.precision == 32,
        "rl-zoo CartPole-v1 defaults");
  CHECK(swiftpg_dqn_default_config(NULL) == SWIFTPG_ERR_NULL_POINTER, "NULL config_out");

  uint64_t env = 0, learner = 0;
  CHECK(swiftpg_env_create("CartPole-v1", 2, 0, &env) == SWIFTPG_OK, "env");
  swiftpg_dqn_config s = small_config();

  /* Refusals: learner_out untouched. */
  uint64_t untouched = 12345;
  swiftpg_dqn_config bad = s;
  bad.gamma = 1.5;
  CHECK(swiftpg_dqn_create(env, &bad, &untouched) == SWIFTPG_ERR_INVALID_ARGUMENT && untouched == 12345, "gamma");
  bad = s;
  bad.num_hidden = SWIFTPG_DQN_MAX_HIDDEN + 1;
  CHECK(swiftpg_dqn_create(env, &bad, &untouched) == SWIFTPG_ERR_INVALID_ARGUMENT, "num_hidden");
  bad = s;
  bad.hidden[0] = 0;
  CHECK(swiftpg_dqn_create(env, &bad, &untouched) == SWIFTPG_ERR_INVALID_ARGUMENT, "hidden width 0");
  bad = s;
  bad.buffer_size = 1 << 26;
  CHECK(swiftpg_dqn_create(env, &bad, &untouched) == SWIFTPG_ERR_TOO_LARGE, "buffer over 2^24 values");
  bad = s;
  bad.double_q = 2;
  CHECK(swiftpg_dqn_create(env, &bad, &untouched) == SWIFTPG_ERR_INVALID_ARGUMENT, "double_q 2");
  bad = s;
  bad.learning_rate = NAN;
  CHECK(swiftpg_dqn_create(env, &bad, &untouched) == SWIFTPG_ERR_INVALID_ARGUMENT, "NaN learning rate");
  bad = s;
  bad.size = 8;
  CHECK(swiftpg_dqn_create(env, &bad, &untouched) == SWIFTPG_ERR_INVALID_ARGUMENT &&
            strstr(swiftpg_last_error(), "size"),
        "size of another header");
  CHECK(swiftpg_dqn_create(0, &s, &untouched) == SWIFTPG_ERR_BAD_HANDLE, "env 0");
  CHECK(swiftpg_dqn_create(env, NULL, &untouched) == SWIFTPG_ERR_NULL_POINTER, "NULL config");
  CHECK(untouched == 12345, "learner_out written by a failed create");
  /* An older, smaller struct at the end of a readable page: only its size is read. */
  long page = sysconf(_SC_PAGESIZE);
  unsigned char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map != MAP_FAILED && mprotect(map + page, page, PROT_NONE) == 0) {
    uint32_t older = 16;
    unsigned char *p = map + page - older;
    memcpy(p, &s, older);
    memcpy(p, &older, sizeof older);
    CHECK(swiftpg_dqn_create(env, (const swiftpg_dqn_config *)p, &untouched) == SWIFTPG_ERR_INVALID_ARGUMENT,
          "older struct");
  }

  CHECK(swiftpg_dqn_create(env, &s, &learner) == SWIFTPG_OK, "create");
  swiftpg_dqn_stats st;
  for (int i = 0; i < 4; i++) CHECK(swiftpg_dqn_iterate(learner, &st) == SWIFTPG_OK, "iterate %d", i);
  CHECK(st.size == sizeof st && st.iteration == 4 && st.total_env_steps == 4 * 64 * 2 && st.gradient_steps == 8 &&
            st.total_gradient_steps == 4 * 8 && isfinite(st.loss),
        "counts after 4 iterations: %lld steps, %lld gradient steps", (long long)st.total_env_steps,
        (long long)st.total_gradient_steps);
  int64_t count = -1;
  double returns[512];
  int32_t lengths[512];
  CHECK(swiftpg_dqn_episodes(learner, returns, lengths, 512, &count) == SWIFTPG_OK && count == st.episodes,
        "episodes");
  CHECK(swiftpg_dqn_iterate(learner, NULL) == SWIFTPG_ERR_NULL_POINTER, "NULL stats");
  CHECK(swiftpg_dqn_iterate(env, &st) == SWIFTPG_ERR_BAD_HANDLE, "an env handle");

  /* Q-values and greedy actions agree. */
  double obs[3 * 4] = {0, 0, 0, 0, 0.1, 0.5, -0.1, -0.5, -0.05, -0.3, 0.05, 0.4};
  double q[3 * 2];
  int32_t actions[3];
  CHECK(swiftpg_dqn_q_values(learner, obs, 3, q) == SWIFTPG_OK, "q_values");
  CHECK(swiftpg_dqn_predict(learner, obs, 3, actions) == SWIFTPG_OK, "predict");
  for (int i = 0; i < 3; i++)
    CHECK(actions[i] == (q[2 * i + 1] > q[2 * i] ? 1 : 0), "row %d: action %d, Q = %g, %g", i, actions[i],
          q[2 * i], q[2 * i + 1]);
  CHECK(swiftpg_dqn_predict(learner, obs, 0, actions) == SWIFTPG_ERR_INVALID_ARGUMENT, "batch 0");
  obs[5] = NAN;
  actions[0] = 77;
  CHECK(swiftpg_dqn_predict(learner, obs, 3, actions) == SWIFTPG_ERR_NOT_FINITE && actions[0] == 77, "NaN obs");
  obs[5] = 0.5;

  /* An outside update: a bad action changes nothing. */
  int64_t before[5], after[5];
  swiftpg_dqn_counters(learner, &before[0], &before[1], &before[2], &before[3], &before[4]);
  double rew[2] = {1, 1}, next[2 * 4] = {0};
  uint8_t term[2] = {0, 0}, trunc[2] = {0, 0};
  int32_t act[2] = {0, 2};
  CHECK(swiftpg_dqn_update(learner, 1, 2, obs, act, rew, term, trunc, NULL, next, &st) == SWIFTPG_ERR_OUT_OF_RANGE,
        "action 2");
  term[0] = 1;
  act[1] = 1;
  CHECK(swiftpg_dqn_update(learner, 1, 2, obs, act, rew, term, trunc, NULL, next, &st) == SWIFTPG_ERR_NULL_POINTER,
        "an ended row without final_observations");
  swiftpg_dqn_counters(learner, &after[0], &after[1], &after[2], &after[3], &after[4]);
  CHECK(memcmp(before, after, sizeof before) == 0, "a refused update changed the counters");
  CHECK(swiftpg_dqn_update(learner, 1, 2, obs, act, rew, term, trunc, obs, next, &st) == SWIFTPG_OK &&
            st.env_steps == 2,
        "update");

  /* Evaluation on another env; the training env is refused. */
  uint64_t eval_env = 0;
  CHECK(swiftpg_env_create("CartPole-v1", 3, 99, &eval_env) == SWIFTPG_OK, "eval env");
  CHECK(swiftpg_dqn_evaluate(learner, eval_env, 3, 1, 5, returns, lengths) == SWIFTPG_OK && returns[0] >= 1,
        "evaluate");
  CHECK(swiftpg_dqn_evaluate(learner, env, 3, 1, 5, returns, lengths) == SWIFTPG_ERR_INVALID_ARGUMENT,
        "evaluating on the training env");

  /* Save with the buffer, open from the file alone: the next iterations agree bit for bit. */
  const char *path = "Tests/c/build/dqn_test.swiftpg";
  CHECK(swiftpg_dqn_save(learner, path, 1) == SWIFTPG_OK, "save");
  CHECK(swiftpg_dqn_save(learner, path, 2) == SWIFTPG_ERR_INVALID_ARGUMENT, "include_buffer 2");
  uint64_t opened = 0, opened_env = 0;
  CHECK(swiftpg_dqn_open(path, &opened, &opened_env) == SWIFTPG_OK && opened && opened_env, "open");
  swiftpg_dqn_config got;
  CHECK(swiftpg_dqn_get_config(opened, &got) == SWIFTPG_OK && got.num_hidden == 1 && got.hidden[0] == 16 &&
            got.seed == 7 && got.learning_starts == 100 && got.train_freq == 64 && got.gradient_steps == 8 &&
            got.total_env_steps == 2000 && got.learning_rate == s.learning_rate && got.gamma == s.gamma,
        "the file's configuration");
  swiftpg_dqn_stats a, b;
  for (int i = 0; i < 2; i++) {
    CHECK(swiftpg_dqn_iterate(learner, &a) == SWIFTPG_OK && swiftpg_dqn_iterate(opened, &b) == SWIFTPG_OK, "resume");
    CHECK(a.loss == b.loss && a.mean_q == b.mean_q && a.total_env_steps == b.total_env_steps,
          "iteration %d after resuming: loss %.17g vs %.17g", i, a.loss, b.loss);
  }
  CHECK(swiftpg_dqn_load(opened, path) == SWIFTPG_OK, "load into a learner");

  /* A policy-gradient learner's file is refused by DQN, and DQN's by pg_open. */
  uint64_t policy = 0, value = 0, ppo = 0;
  int32_t hidden[1] = {8};
  swiftpg_policy_create_softmax(4, 2, hidden, 1, SWIFTPG_ACTIVATION_TANH, 1.0, 0.01, 0, &policy);
  swiftpg_value_create_mlp(4, hidden, 1, SWIFTPG_ACTIVATION_TANH, 0, &value);
  swiftpg_ppo_config pc;
  swiftpg_ppo_default_config(&pc);
  CHECK(swiftpg_ppo_create(env, policy, value, &pc, &ppo) == SWIFTPG_OK, "ppo");
  const char *ppo_path = "Tests/c/build/dqn_test_ppo.swiftpg";
  CHECK(swiftpg_pg_save(ppo, ppo_path) == SWIFTPG_OK, "ppo save");
  CHECK(swiftpg_dqn_load(opened, ppo_path) == SWIFTPG_ERR_BAD_FORMAT, "DQN load of a PPO file");
  uint64_t h[4] = {0};
  CHECK(swiftpg_pg_open(path, &h[0], &h[1], &h[2], &h[3]) == SWIFTPG_ERR_BAD_FORMAT, "pg_open of a DQN file");
  CHECK(swiftpg_dqn_load(opened, "Tests/c/build/no-such-file") == SWIFTPG_ERR_IO, "missing file");

  int64_t live = -1;
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_DQN, &live) == SWIFTPG_OK && live == 2, "two DQN handles");
  CHECK(swiftpg_cancel(learner, 1) == SWIFTPG_OK, "cancel request");
  CHECK(swiftpg_dqn_iterate(learner, &st) == SWIFTPG_ERR_CANCELLED, "a cancelled iteration");
  CHECK(swiftpg_dqn_iterate(learner, &st) == SWIFTPG_OK, "the request is consumed");
  CHECK(swiftpg_dqn_destroy(learner) == SWIFTPG_OK && swiftpg_dqn_destroy(learner) == SWIFTPG_ERR_BAD_HANDLE,
        "destroy twice");
  swiftpg_dqn_destroy(opened);
  swiftpg_algorithm_destroy(ppo);
  swiftpg_policy_destroy(policy);
  swiftpg_value_destroy(value);
  swiftpg_env_destroy(env);
  swiftpg_env_destroy(eval_env);
  swiftpg_env_destroy(opened_env);
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_ALL, &live) == SWIFTPG_OK && live == 0, "%lld live handles",
        (long long)live);
  return report("test_dqn");
}
