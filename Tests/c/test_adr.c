/* Automatic domain randomisation from C (issue 20): enable on CartPole's
 * pole length, step with an always-right "policy", read the state and the
 * last episodes; refusals change nothing; disable keeps the values. */
#include "check.h"

#include <math.h>
#include <string.h>

#define N 8

int main(void) {
  uint64_t env = 0;
  CHECK(swiftpg_env_create("CartPole-v1", N, 4, &env) == SWIFTPG_OK, "create");
  swiftpg_adr_stats stats;
  CHECK(swiftpg_env_adr_state(env, &stats, NULL, NULL, 0) == SWIFTPG_OK && stats.enabled == 0 &&
            stats.num_parameters == 0 && isnan(stats.entropy),
        "off");
  const double steps[2] = {0.05, 0.02}, lows[2] = {0.1, 0.02}, highs[2] = {2.0, 1.0};
  /* Refusals: unknown name, count mismatch, bad setting, NaN step. */
  CHECK(swiftpg_env_adr_enable(env, "length\nnope", NULL, steps, lows, highs, 2, 0.5, 5, 0.8, 0.4, 30) ==
            SWIFTPG_ERR_INVALID_ARGUMENT, "unknown name");
  CHECK(swiftpg_env_adr_enable(env, "length", NULL, steps, lows, highs, 2, 0.5, 5, 0.8, 0.4, 30) ==
            SWIFTPG_ERR_INVALID_ARGUMENT, "count");
  CHECK(swiftpg_env_adr_enable(env, "length", NULL, steps, lows, highs, 1, 0.0, 5, 0.8, 0.4, 30) ==
            SWIFTPG_ERR_INVALID_ARGUMENT, "p_b 0");
  CHECK(swiftpg_env_adr_enable(env, "length", NULL, steps, lows, highs, 1, 0.5, 5, 0.4, 0.8, 30) ==
            SWIFTPG_ERR_INVALID_ARGUMENT, "t_L > t_H");
  const double nan_step[1] = {NAN};
  CHECK(swiftpg_env_adr_enable(env, "length", NULL, nan_step, lows, highs, 1, 0.5, 5, 0.8, 0.4, 30) ==
            SWIFTPG_ERR_NOT_FINITE, "NaN step");
  CHECK(swiftpg_env_adr_enable(env, "length", NULL, NULL, lows, highs, 1, 0.5, 5, 0.8, 0.4, 30) == SWIFTPG_ERR_NULL_POINTER,
        "NULL steps");
  CHECK(swiftpg_env_adr_state(env, &stats, NULL, NULL, 0) == SWIFTPG_OK && stats.enabled == 0, "still off");

  CHECK(swiftpg_env_adr_enable(env, "length\nmasspole", NULL, steps, lows, highs, 2, 1.0, 3, 0.8, 0.4, 30) == SWIFTPG_OK,
        "enable");
  CHECK(swiftpg_env_set_parameter(env, "length", 0.7) == SWIFTPG_ERR_INVALID_ARGUMENT, "ADR's parameter");
  double obs[N * 4], final_obs[N * 4], rewards[N];
  uint8_t terminated[N], truncated[N];
  int32_t actions[N], tags[N];
  double returns[N];
  for (int i = 0; i < N; i++) actions[i] = 1;
  CHECK(swiftpg_env_reset(env, NULL, obs) == SWIFTPG_OK, "reset");
  int ended = 0, pinned = 0;
  for (int t = 0; t < 2000; t++) {
    CHECK(swiftpg_env_step(env, actions, obs, rewards, terminated, truncated, final_obs, NULL) == SWIFTPG_OK, "step");
    CHECK(swiftpg_env_last_episodes(env, tags, returns) == SWIFTPG_OK, "last episodes");
    for (int i = 0; i < N; i++) {
      if (!(terminated[i] || truncated[i])) continue;
      ended++;
      pinned += tags[i] >= 0;
      CHECK(tags[i] >= 0 && tags[i] < 4 && returns[i] > 0, "p_b = 1: every episode pins (tag %d)", tags[i]);
    }
  }
  double low[2], high[2];
  CHECK(swiftpg_env_adr_state(env, &stats, low, high, 1) == SWIFTPG_ERR_BUFFER_TOO_SMALL, "capacity 1 < 2");
  CHECK(swiftpg_env_adr_state(env, &stats, low, high, 2) == SWIFTPG_OK && stats.enabled == 1 &&
            stats.num_parameters == 2 && stats.episodes == ended && stats.boundary_episodes == pinned &&
            stats.decisions <= stats.boundary_episodes / 3 && stats.moves <= stats.decisions,
        "state: %lld episodes", (long long)stats.episodes);
  CHECK(low[0] <= 0.5 && high[0] >= 0.5 && low[1] <= 0.1 && high[1] >= 0.1, "ranges hold the nominal values");
  CHECK(swiftpg_env_adr_state(env, NULL, NULL, NULL, 0) == SWIFTPG_ERR_NULL_POINTER, "NULL stats");
  char names[64];
  size_t length = 0;
  CHECK(swiftpg_env_adr_parameter_names(env, names, sizeof names, &length) == SWIFTPG_OK &&
            strcmp(names, "length\nmasspole") == 0 && length == strlen(names),
        "names: %s", names);
  CHECK(swiftpg_env_adr_disable(env) == SWIFTPG_OK && swiftpg_env_adr_disable(env) == SWIFTPG_OK, "disable twice");
  CHECK(swiftpg_env_last_episodes(env, tags, returns) == SWIFTPG_OK && tags[0] == -1 && returns[0] == 0,
        "disable clears the episode records");
  CHECK(swiftpg_env_adr_parameter_names(env, names, sizeof names, &length) == SWIFTPG_OK && length == 0, "no names");
  /* Nominal values given: set in every instance at enable; a refused enable changes nothing. */
  const double nominals[2] = {0.6, 0.2};
  double values[N];
  CHECK(swiftpg_env_adr_enable(env, "length\nmasspole", nominals, steps, lows, highs, 2, 1.5, 3, 0.8, 0.4, 30) ==
            SWIFTPG_ERR_INVALID_ARGUMENT, "p_b 1.5");
  CHECK(swiftpg_env_get_parameter(env, "length", values) == SWIFTPG_OK && values[0] != 0.6, "refused: unchanged");
  CHECK(swiftpg_env_adr_enable(env, "length\nmasspole", nominals, steps, lows, highs, 2, 0.5, 3, 0.8, 0.4, 30) ==
            SWIFTPG_OK, "enable with nominals");
  CHECK(swiftpg_env_get_parameter(env, "length", values) == SWIFTPG_OK && values[0] == 0.6 && values[N - 1] == 0.6,
        "nominal set");
  CHECK(swiftpg_env_adr_state(env, &stats, low, high, 2) == SWIFTPG_OK && low[0] == 0.6 && high[1] == 0.2 &&
            stats.episodes == 0,
        "fresh ranges at the nominals");
  CHECK(swiftpg_env_adr_disable(env) == SWIFTPG_OK, "disable");
  CHECK(swiftpg_env_set_parameter(env, "length", 0.7) == SWIFTPG_OK, "the parameter is free again");
  CHECK(swiftpg_env_destroy(env) == SWIFTPG_OK, "destroy");
  CHECK(swiftpg_env_last_episodes(env, tags, returns) == SWIFTPG_ERR_BAD_HANDLE, "destroyed");
  /* Observation noise and action delay: the capacity sizes the state; bad values change nothing. */
  uint64_t pole = 0, corridor = 0;
  swiftpg_env_info info;
  int32_t capacity = -1;
  CHECK(swiftpg_env_create("CartPole-v1", 2, 1, &pole) == SWIFTPG_OK, "create");
  CHECK(swiftpg_env_set_parameter(pole, "action_delay", 1) == SWIFTPG_ERR_INVALID_ARGUMENT, "delay above capacity 0");
  CHECK(swiftpg_env_set_max_action_delay(pole, 65) == SWIFTPG_ERR_INVALID_ARGUMENT, "capacity 65");
  CHECK(swiftpg_env_set_max_action_delay(pole, 2) == SWIFTPG_OK, "capacity 2");
  CHECK(swiftpg_env_get_info(pole, &info) == SWIFTPG_OK && info.state_size == 7, "state 4 + 2 actions + flag: %d",
        info.state_size);
  CHECK(swiftpg_env_set_parameter(pole, "action_delay", 2) == SWIFTPG_OK, "delay 2");
  CHECK(swiftpg_env_set_max_action_delay(pole, 1) == SWIFTPG_ERR_INVALID_ARGUMENT, "below the delay in use");
  CHECK(swiftpg_env_get_max_action_delay(pole, &capacity) == SWIFTPG_OK && capacity == 2, "unchanged: %d", capacity);
  CHECK(swiftpg_env_get_max_action_delay(pole, NULL) == SWIFTPG_ERR_NULL_POINTER, "NULL out");
  CHECK(swiftpg_env_set_parameter(pole, "observation_noise", -0.5) == SWIFTPG_ERR_INVALID_ARGUMENT, "sigma < 0");
  CHECK(swiftpg_env_create("ShortCorridor-v0", 1, 1, &corridor) == SWIFTPG_OK, "create");
  CHECK(swiftpg_env_set_max_action_delay(corridor, 1) == SWIFTPG_ERR_NOT_SUPPORTED, "no effects");
  CHECK(swiftpg_env_destroy(pole) == SWIFTPG_OK && swiftpg_env_destroy(corridor) == SWIFTPG_OK, "destroy");
  CHECK(swiftpg_env_set_max_action_delay(pole, 1) == SWIFTPG_ERR_BAD_HANDLE, "destroyed");
  return report("test_adr");
}
