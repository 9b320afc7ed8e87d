/* Every registered environment steps without heap allocation: malloc,
 * calloc and realloc are interposed (symbols of the executable take
 * precedence over libc's for libswiftpg.so too) and counted while stepping. */
#define _GNU_SOURCE
#include "swiftpg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static long allocations = 0;
void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { allocations++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }

static int check_env(const char *id, int N, int STEPS, int threads) {
  uint64_t env;
  long at_start = allocations;
  if (swiftpg_env_create(id, N, 1, &env) != SWIFTPG_OK) {
    fprintf(stderr, "%s: %s\n", id, swiftpg_last_error());
    return 1;
  }
  if (allocations == at_start) {
    /* Creating an environment allocates: if nothing was counted, the
     * interposition does not work and this test would prove nothing. */
    fprintf(stderr, "%s: allocation counting is not working\n", id);
    return 1;
  }
  swiftpg_env_set_threads(env, threads);
  swiftpg_env_info info;
  swiftpg_env_get_info(env, &info);
  size_t width = (size_t)info.observation_size;
  double *obs = calloc(N * width, sizeof(double)), *fin = calloc(N * width, sizeof(double));
  double *rew = calloc(N, sizeof(double)), *cont = calloc(N * (size_t)info.action_size, sizeof(double));
  uint8_t *te = calloc(N, 1), *tr = calloc(N, 1);
  int32_t *disc = calloc(N, sizeof(int32_t)), ended = 0;
  const void *actions = info.action_kind == SWIFTPG_ACTION_DISCRETE ? (const void *)disc : (const void *)cont;
  swiftpg_env_step(env, actions, obs, rew, te, tr, fin, &ended); /* warm up */
  long before = allocations;
  int failures = 0;
  for (int k = 0; k < STEPS; k++) {
    for (int i = 0; i < N; i++) {
      disc[i] = info.num_actions > 0 ? (k * 7 + i) % info.num_actions : 0;
      cont[i * info.action_size] = ((k + i) % 9) * 0.25 - 1.0;
    }
    if (swiftpg_env_step(env, actions, obs, rew, te, tr, fin, &ended) != SWIFTPG_OK) failures++;
  }
  long used = allocations - before;
  swiftpg_env_destroy(env);
  free(obs); free(fin); free(rew); free(cont); free(te); free(tr); free(disc);
  printf("%-26s %ld heap allocations in %d steps of %d instances on %d thread(s)%s\n", id, used, STEPS, N,
         threads, failures ? " (step failures!)" : "");
  return used != 0 || failures != 0;
}

/* Policies and value functions allocate nothing per call in steady state,
 * with float64 (bits 64) or float32 (bits 32) network arithmetic. */
static int check_policies(int32_t bits) {
  enum { B = 64, CALLS = 500 };
  int32_t hidden[2] = {64, 64};
  uint64_t softmax, gaussian, value;
  if (swiftpg_policy_create_softmax(4, 2, hidden, 2, SWIFTPG_ACTIVATION_TANH, 1.4142135623730951, 0.01, 0,
                                    &softmax) != SWIFTPG_OK ||
      swiftpg_policy_create_gaussian(4, 2, hidden, 2, SWIFTPG_ACTIVATION_TANH, 0, 0.0, 1.4142135623730951, 0.01,
                                     0, &gaussian) != SWIFTPG_OK ||
      swiftpg_value_create_mlp(4, hidden, 2, SWIFTPG_ACTIVATION_TANH, 0, &value) != SWIFTPG_OK) {
    fprintf(stderr, "create: %s\n", swiftpg_last_error());
    return 1;
  }
  if (swiftpg_policy_set_precision(softmax, bits) != SWIFTPG_OK ||
      swiftpg_policy_set_precision(gaussian, bits) != SWIFTPG_OK || swiftpg_value_set_precision(value, bits) != SWIFTPG_OK) {
    fprintf(stderr, "precision: %s\n", swiftpg_last_error());
    return 1;
  }
  swiftpg_policy_info info;
  swiftpg_policy_get_info(softmax, &info);
  int64_t np = info.num_params;
  static double obs[B * 4], out[B * 4], weights[B], grad[20000], cont[B * 2];
  static int32_t actions[B];
  for (int i = 0; i < B * 4; i++) obs[i] = (i % 7) * 0.1 - 0.3;
  for (int i = 0; i < B; i++) weights[i] = 1.0;
  int failures = 0;
  long before = 0;
  for (int round = 0; round < 2; round++) { /* round 0 warms the workspaces up */
    if (round == 1) before = allocations;
    for (int k = 0; k < CALLS; k++) {
      failures += swiftpg_policy_sample(softmax, obs, B, 0, actions) != SWIFTPG_OK;
      failures += swiftpg_policy_log_prob(softmax, obs, actions, B, out) != SWIFTPG_OK;
      failures += swiftpg_policy_score_gradient(softmax, obs, actions, weights, B, grad) != SWIFTPG_OK;
      failures += swiftpg_policy_fisher_vector_product(softmax, obs, B, grad, np, grad + 10000) != SWIFTPG_OK;
      failures += swiftpg_policy_sample(gaussian, obs, B, 0, cont) != SWIFTPG_OK;
      failures += swiftpg_policy_score_gradient(gaussian, obs, cont, weights, B, grad) != SWIFTPG_OK;
      failures += swiftpg_value_predict(value, obs, B, out) != SWIFTPG_OK;
      failures += swiftpg_value_gradient(value, obs, weights, B, grad) != SWIFTPG_OK;
    }
  }
  long used = allocations - before;
  printf("%-26s %ld heap allocations in %d rounds of 8 calls at batch %d (float%d)%s\n", "policies, value function",
         used, CALLS, B, bits, failures ? " (call failures!)" : "");
  swiftpg_policy_destroy(softmax);
  swiftpg_policy_destroy(gaussian);
  swiftpg_value_destroy(value);
  return used != 0 || failures != 0;
}

int main(void) {
  char ids[1024];
  size_t length;
  if (swiftpg_env_list(ids, sizeof ids, &length) != SWIFTPG_OK) return 1;
  int failed = 0, checked = 0;
  for (char *id = strtok(ids, "\n"); id != NULL; id = strtok(NULL, "\n")) {
    failed += check_env(id, 32, 3000, 1);
    checked++;
  }
  /* The parallel path (chunks run by the worker pool) allocates nothing either. */
  const char *parallel[] = {"CartPole-v1", "Acrobot-v1", "Pendulum-v1", "GridWorld-v0"};
  for (int k = 0; k < 4; k++) {
    failed += check_env(parallel[k], 8192, 100, 2);
    checked++;
  }
  failed += check_policies(64);
  failed += check_policies(32);
  checked += 2;
  printf("%d passed, %d failed\n", checked - failed, failed);
  return failed != 0;
}
