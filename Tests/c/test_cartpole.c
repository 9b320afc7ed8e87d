/* A C program that uses only Include/swiftpg.h and libswiftpg.so: creates a
 * CartPole batch, steps it, reads results, checks errors, destroys it. */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include "check.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 4

static void test_env(void) {
  int32_t version = 0;
  CHECK(swiftpg_abi_version(&version) == SWIFTPG_OK && version == SWIFTPG_ABI_VERSION, "abi %d", version);

  size_t length = 0;
  char ids[256];
  CHECK(swiftpg_env_list(ids, sizeof ids, &length) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(strstr(ids, "CartPole-v1") != NULL, "ids: %s", ids);
  CHECK(swiftpg_env_list(ids, 3, &length) == SWIFTPG_ERR_BUFFER_TOO_SMALL, "small buffer");

  uint64_t env = 0;
  CHECK(swiftpg_env_create("CartPole-v1", N, 0, &env) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(env != 0, "handle");
  swiftpg_env_info info;
  CHECK(swiftpg_env_get_info(env, &info) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(info.num_envs == N && info.observation_size == 4 && info.state_size == 4, "sizes");
  CHECK(info.action_kind == SWIFTPG_ACTION_DISCRETE && info.num_actions == 2, "action space");
  CHECK(info.max_episode_steps == 500 && info.reward_threshold == 475.0, "limits");

  double obs[N * 4], final_obs[N * 4], rewards[N];
  uint8_t terminated[N], truncated[N];
  int32_t actions[N];
  uint64_t seed = 0;
  CHECK(swiftpg_env_reset(env, &seed, obs) == SWIFTPG_OK, "%s", swiftpg_last_error());
  /* Gymnasium's CartPole-v1 reset(seed=0), bit for bit. */
  CHECK(obs[0] == 0.013696168732145436 && obs[3] == -0.04834723644714709, "reset obs %.17g", obs[0]);

  int episodes = 0, step_failures = 0, out_of_bounds = 0, ended_total = 0;
  int32_t ended = 0;
  double total_reward = 0;
  for (int t = 0; t < 2000; t++) {
    for (int i = 0; i < N; i++) actions[i] = (t + i) % 2;
    if (swiftpg_env_step(env, actions, obs, rewards, terminated, truncated, final_obs, &ended) != SWIFTPG_OK)
      step_failures++;
    ended_total += ended;
    for (int i = 0; i < N; i++) {
      total_reward += rewards[i];
      if (terminated[i] || truncated[i]) episodes++;
      if (fabs(obs[4 * i]) > 4.8) out_of_bounds++;
    }
  }
  CHECK(step_failures == 0, "%d steps failed: %s", step_failures, swiftpg_last_error());
  CHECK(out_of_bounds == 0, "%d observations out of bounds", out_of_bounds);
  CHECK(total_reward == 2000.0 * N, "reward is 1 per step, got %g", total_reward);
  CHECK(episodes > 0 && ended_total == episodes, "episodes ended: %d, counted %d", episodes, ended_total);

  /* Physics state round trip. */
  double states[N * 4] = {0};
  states[2] = 0.01;
  CHECK(swiftpg_env_set_state(env, states, obs) == SWIFTPG_OK, "%s", swiftpg_last_error());
  actions[0] = 1;
  CHECK(swiftpg_env_step(env, actions, obs, rewards, terminated, truncated, NULL, NULL) == SWIFTPG_OK, "step");
  CHECK(swiftpg_env_get_state(env, states) == SWIFTPG_OK, "get state");
  CHECK(fabs(states[1] - 0.19497711953185476) < 1e-15, "golden x_dot %.17g", states[1]);

  /* Bad input is refused with a status and a message, never a crash. */
  actions[1] = 2;
  CHECK(swiftpg_env_step(env, actions, obs, rewards, terminated, truncated, NULL, NULL) == SWIFTPG_ERR_OUT_OF_RANGE,
        "action 2");
  CHECK(strstr(swiftpg_last_error(), "instance 1") != NULL, "message: %s", swiftpg_last_error());
  actions[1] = 0;
  CHECK(swiftpg_env_step(env, NULL, obs, rewards, terminated, truncated, NULL, NULL) == SWIFTPG_ERR_NULL_POINTER,
        "null actions");
  states[5] = NAN;
  CHECK(swiftpg_env_set_state(env, states, NULL) == SWIFTPG_ERR_NOT_FINITE, "nan state");
  CHECK(swiftpg_env_create("CartPole-v1", 0, 0, &env) == SWIFTPG_ERR_INVALID_ARGUMENT, "zero envs");
  CHECK(swiftpg_env_create("NoSuchEnv-v0", 1, 0, &env) == SWIFTPG_ERR_UNKNOWN_ID, "unknown id");
  CHECK(strcmp(swiftpg_status_string(SWIFTPG_ERR_BAD_HANDLE), "bad handle") == 0, "status string");

  int64_t live = -1;
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_ENV, &live) == SWIFTPG_OK && live == 1, "live %lld", (long long)live);
  CHECK(swiftpg_env_destroy(env) == SWIFTPG_OK, "destroy");
  CHECK(swiftpg_env_step(env, actions, obs, rewards, terminated, truncated, NULL, NULL) == SWIFTPG_ERR_BAD_HANDLE,
        "destroyed handle");
  CHECK(swiftpg_env_destroy(env) == SWIFTPG_ERR_BAD_HANDLE, "double destroy");
  CHECK(swiftpg_env_destroy(0) == SWIFTPG_ERR_BAD_HANDLE, "zero handle");
  CHECK(swiftpg_env_destroy(0x0123456789abcdefULL) == SWIFTPG_ERR_BAD_HANDLE, "garbage handle");
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_ALL, &live) == SWIFTPG_OK && live == 0, "no leaks");
}

static void test_reinforce(void) {
  uint64_t env = 0, policy = 0, algo = 0;
  CHECK(swiftpg_env_create("CartPole-v1", 8, 1, &env) == SWIFTPG_OK, "%s", swiftpg_last_error());
  int32_t hidden[2] = {32, 32};
  CHECK(swiftpg_policy_create_softmax(4, 2, hidden, 2, SWIFTPG_ACTIVATION_TANH, 1.4142135623730951, 0.01, 1, &policy) == SWIFTPG_OK,
        "%s", swiftpg_last_error());
  /* A policy handle is not an environment handle. */
  CHECK(swiftpg_env_destroy(policy) == SWIFTPG_ERR_BAD_HANDLE, "wrong kind");
  swiftpg_reinforce_config config;
  CHECK(swiftpg_reinforce_default_config(&config) == SWIFTPG_OK, "defaults");
  CHECK(config.size == sizeof config, "size %u", config.size);
  config.gamma = 2.0;
  CHECK(swiftpg_reinforce_create(env, policy, 0, &config, &algo) == SWIFTPG_ERR_INVALID_ARGUMENT, "gamma 2");
  config.gamma = 0.99;
  config.steps_per_iteration = 2000;
  /* A struct of another layout (its size) is refused before any field is read. */
  config.size = sizeof config - 8;
  CHECK(swiftpg_reinforce_create(env, policy, 0, &config, &algo) == SWIFTPG_ERR_INVALID_ARGUMENT, "size");
  config.size = sizeof config;
  CHECK(swiftpg_reinforce_create(env, policy, 0, &config, &algo) == SWIFTPG_OK, "%s", swiftpg_last_error());
  int32_t kind = -1;
  CHECK(swiftpg_pg_algorithm(algo, &kind) == SWIFTPG_OK && kind == SWIFTPG_ALGO_REINFORCE, "kind %d", kind);
  swiftpg_train_stats stats;
  double first = 0;
  int iterate_failures = 0;
  for (int k = 0; k < 20; k++) {
    if (swiftpg_pg_iterate(algo, &stats) != SWIFTPG_OK) iterate_failures++;
    if (k == 0) first = stats.mean_return;
  }
  CHECK(iterate_failures == 0, "%s", swiftpg_last_error());
  CHECK(stats.size == sizeof stats, "stats size %u", stats.size);
  CHECK(stats.mean_return > 2 * first, "learning: %g -> %g", first, stats.mean_return);
  /* The last iteration's episodes, one by one: their mean is the stats' mean. */
  double episode_returns[4096];
  int32_t episode_lengths[4096];
  int8_t successes[4096];
  int64_t count = 0;
  CHECK(swiftpg_pg_episodes(algo, episode_returns, episode_lengths, successes, 4096, &count) == SWIFTPG_OK,
        "%s", swiftpg_last_error());
  CHECK(count == stats.episodes && count > 0, "episodes %lld vs %d", (long long)count, stats.episodes);
  double total = 0;
  for (int64_t k = 0; k < count; k++) total += episode_returns[k];
  CHECK(fabs(total / (double)count - stats.mean_return) < 1e-9 * fabs(stats.mean_return), "episode mean");
  CHECK(successes[0] == -1 && isnan(stats.success_rate), "CartPole defines no success");
  CHECK(swiftpg_pg_episodes(algo, episode_returns, NULL, NULL, count - 1, &count) == SWIFTPG_ERR_BUFFER_TOO_SMALL,
        "capacity");
  double returns[5];
  int32_t lengths[5];
  CHECK(swiftpg_policy_evaluate(policy, env, 5, 1, 7, returns, lengths) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(returns[0] == (double)lengths[0], "return equals length on CartPole");
  /* The learner keeps the env and policy alive after their handles go. */
  CHECK(swiftpg_env_destroy(env) == SWIFTPG_OK && swiftpg_policy_destroy(policy) == SWIFTPG_OK, "destroy");
  CHECK(swiftpg_pg_iterate(algo, &stats) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(swiftpg_algorithm_destroy(algo) == SWIFTPG_OK, "destroy algo");
  int64_t live = -1;
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_ALL, &live) == SWIFTPG_OK && live == 0, "no leaks: %lld", (long long)live);
}

/* Entry points added with the algorithms: gSDE policies, Kochenderfer's
 * gradient scaling/clipping, and search checkpoints (exact resume). */
static void test_algorithm_extras(void) {
  double g[3] = {3.0, -4.0, 0.0}, out[3], norm = 0;
  int64_t clipped = -1;
  CHECK(swiftpg_scale_gradient(3, g, 1.0, out, &norm) == SWIFTPG_OK && norm == 5.0 &&
            fabs(out[0] - 0.6) < 1e-15 && fabs(out[1] + 0.8) < 1e-15, "scale_gradient");
  CHECK(swiftpg_clip_gradient(3, g, -1.0, 1.0, g, &clipped) == SWIFTPG_OK && clipped == 2 && g[0] == 1.0 &&
            g[1] == -1.0, "clip_gradient in place");
  CHECK(swiftpg_scale_gradient(3, g, -1.0, out, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT, "negative max_norm");
  CHECK(swiftpg_clip_gradient(0, g, -1.0, 1.0, out, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT, "empty gradient");

  uint64_t pi = 0;
  int32_t hidden[1] = {8};
  CHECK(swiftpg_policy_create_gsde(3, 1, hidden, 1, SWIFTPG_ACTIVATION_TANH, -1.0, 4, 1.4142135623730951, 0.01, 5,
                                   &pi) == SWIFTPG_OK, "%s", swiftpg_last_error());
  int32_t obs_size = 0, actions = -1;
  int64_t params = 0;
  CHECK(swiftpg_policy_get_sizes(pi, &obs_size, &actions, &params) == SWIFTPG_OK && obs_size == 3 && actions == 0 &&
            params == (3 * 8 + 8) + (8 + 1) + 8, "gSDE sizes: %lld", (long long)params);
  double obs[6] = {0.1, -0.2, 0.3, 0.5, 0.0, -1.0}, a1[2], a2[2];
  CHECK(swiftpg_policy_sample(pi, obs, 2, 0, a1) == SWIFTPG_OK && swiftpg_policy_sample(pi, obs, 2, 0, a2) == SWIFTPG_OK,
        "gSDE sampling");
  CHECK(fabs(a1[0] - a2[0]) < 0.01 && fabs(a1[1] - a2[1]) < 0.01, "held noise: %g %g", a1[0], a2[0]);
  uint64_t bad = 0;
  CHECK(swiftpg_policy_create_gsde(3, 1, hidden, 1, SWIFTPG_ACTIVATION_TANH, -1.0, 0, 1.4, 0.01, 5, &bad) ==
            SWIFTPG_ERR_INVALID_ARGUMENT, "noise interval 0");
  CHECK(swiftpg_policy_destroy(pi) == SWIFTPG_OK, "destroy gSDE policy");

  uint64_t env = 0, policy = 0, search = 0, again = 0;
  CHECK(swiftpg_env_create("CartPole-v1", 3, 1, &env) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(swiftpg_policy_create_softmax(4, 2, NULL, 0, SWIFTPG_ACTIVATION_TANH, 1.0, 1.0, 2, &policy) == SWIFTPG_OK,
        "%s", swiftpg_last_error());
  swiftpg_search_config config;
  CHECK(swiftpg_search_default_config(&config) == SWIFTPG_OK, "search defaults");
  config.population_size = 8;
  config.elite_count = 2;
  config.episodes_per_evaluation = 3;
  CHECK(swiftpg_search_create(env, policy, &config, &search) == SWIFTPG_OK, "%s", swiftpg_last_error());
  swiftpg_search_stats stats, resumed;
  CHECK(swiftpg_search_iterate(search, &stats) == SWIFTPG_OK, "%s", swiftpg_last_error());
  char path[] = "/tmp/swiftpg_c_search_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0, "temporary file");
  close(fd);
  CHECK(swiftpg_search_save(search, path) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(swiftpg_search_iterate(search, &stats) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(swiftpg_search_create(env, policy, &config, &again) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(swiftpg_search_load(again, path) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(swiftpg_search_iterate(again, &resumed) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(resumed.iteration == 2 && resumed.best_utility == stats.best_utility &&
            resumed.total_env_steps == stats.total_env_steps, "exact resume: %g vs %g", resumed.best_utility,
        stats.best_utility);
  CHECK(swiftpg_search_load(again, "/nonexistent/dir/file") != SWIFTPG_OK, "missing file");
  CHECK(swiftpg_pg_load(again, path) == SWIFTPG_ERR_INVALID_ARGUMENT, "a search is not a pg learner");
  unlink(path);
  CHECK(swiftpg_algorithm_destroy(search) == SWIFTPG_OK && swiftpg_algorithm_destroy(again) == SWIFTPG_OK,
        "destroy searches");
  CHECK(swiftpg_env_destroy(env) == SWIFTPG_OK && swiftpg_policy_destroy(policy) == SWIFTPG_OK, "destroy");
  int64_t live = -1;
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_ALL, &live) == SWIFTPG_OK && live == 0, "no leaks: %lld", (long long)live);
}

/* Issue 11: a long call stopped from another thread, the terminal state
 * until reset, and saving that never replaces what is at the path. */
struct cancel_args { uint64_t env; };

static void *cancel_later(void *p) {
  struct cancel_args *a = p;
  struct timespec pause = {0, 200 * 1000 * 1000};
  nanosleep(&pause, NULL);
  /* The env is busy in the evaluation: cancel must not need it free. */
  swiftpg_cancel(a->env, 1);
  return NULL;
}

static void test_hardening(void) {
  uint64_t env = 0, policy = 0;
  int32_t hidden[1] = {8};
  CHECK(swiftpg_env_create("CartPole-v1", 8, 0, &env) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(swiftpg_policy_create_softmax(4, 2, hidden, 1, SWIFTPG_ACTIVATION_TANH, 1.41, 0.01, 0, &policy) == SWIFTPG_OK,
        "%s", swiftpg_last_error());
  /* 2^24 episodes would take minutes: cancelled after 0.2 s. */
  static double returns[1 << 24];
  pthread_t thread;
  struct cancel_args args = {env};
  pthread_create(&thread, NULL, cancel_later, &args);
  int32_t status = swiftpg_policy_evaluate(policy, env, 1 << 24, 0, 0, returns, NULL);
  pthread_join(thread, NULL);
  CHECK(status == SWIFTPG_ERR_CANCELLED, "cancelled evaluation: %d %s", status, swiftpg_last_error());
  CHECK(strcmp(swiftpg_status_string(SWIFTPG_ERR_CANCELLED), "cancelled") == 0, "status string");
  CHECK(swiftpg_policy_evaluate(policy, env, 4, 1, 0, returns, NULL) == SWIFTPG_OK, "request consumed: %s",
        swiftpg_last_error());
  CHECK(swiftpg_cancel(env, 2) == SWIFTPG_ERR_INVALID_ARGUMENT, "requested must be 0 or 1");
  CHECK(swiftpg_cancel(0, 1) == SWIFTPG_ERR_BAD_HANDLE, "handle 0");

  /* No time limit: episodic evaluation is refused, not run forever. */
  CHECK(swiftpg_env_set_parameter(env, "max_episode_steps", 0) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(swiftpg_policy_evaluate(policy, env, 1, 1, 0, returns, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT,
        "no time limit refused");
  CHECK(strstr(swiftpg_last_error(), "max_episode_steps") != NULL, "message: %s", swiftpg_last_error());

  /* The terminal state: step until instance 0 ends, then compare. */
  uint64_t one = 0;
  CHECK(swiftpg_env_create("CartPole-v1", 1, 5, &one) == SWIFTPG_OK, "%s", swiftpg_last_error());
  double obs[4], reward, final_obs[4], state[4];
  uint8_t term = 0, trunc = 0;
  int32_t action = 1, steps = -1, ended = 0;
  for (int t = 0; t < 500 && !term && !trunc; t++) {
    swiftpg_env_step(one, &action, obs, &reward, &term, &trunc, final_obs, &ended);
  }
  CHECK(term == 1, "pushing right ends the episode");
  CHECK(swiftpg_env_get_final_state(one, state, &steps) == SWIFTPG_OK, "%s", swiftpg_last_error());
  CHECK(state[0] == final_obs[0] && state[2] == final_obs[2] && steps > 0, "final state = final observation");
  CHECK(fabs(state[2]) > 0.2094, "the pole angle past the threshold: %g", state[2]);

  /* Saving: a directory at the path is refused and kept. */
  char dir[] = "/tmp/swiftpg_c_dir_XXXXXX";
  CHECK(mkdtemp(dir) != NULL, "mkdtemp");
  CHECK(swiftpg_policy_save(policy, dir) == SWIFTPG_ERR_IO, "a directory is not replaced");
  struct stat info;
  CHECK(stat(dir, &info) == 0 && S_ISDIR(info.st_mode), "the directory is still there");
  rmdir(dir);

  CHECK(swiftpg_env_destroy(env) == SWIFTPG_OK && swiftpg_env_destroy(one) == SWIFTPG_OK, "destroy envs");
  CHECK(swiftpg_policy_destroy(policy) == SWIFTPG_OK, "destroy policy");
  CHECK(swiftpg_cancel(env, 1) == SWIFTPG_ERR_BAD_HANDLE, "a destroyed handle");
}

int main(void) {
  test_env();
  test_hardening();
  test_reinforce();
  test_algorithm_extras();
  return report("test_cartpole");
}
