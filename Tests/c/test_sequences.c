/* The sequences-and-preferences section of the C ABI (issue 15) from C:
 * a task, a tabular policy, sampling, teacher forcing, exact enumeration,
 * KL to a frozen copy, a labeller and the refusals of bad input; and the
 * additions of ABI 11: checkpoints of sequence policies and reward models,
 * next-token distributions, the KL-regularised reward and a task's
 * reference policy. */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The exact log-probabilities of prompt `prompt` (40 responses). */
static int exact40(uint64_t policy, int32_t prompt, double *lp) {
  int64_t count = 0;
  return swiftpg_seq_policy_exact_log_probs(policy, prompt, lp, 40, &count) == SWIFTPG_OK && count == 40;
}

/* Sequence-policy checkpoints: bytes and files round-trip bit for bit;
 * truncated, flipped and other-kind bytes are BAD_FORMAT and create
 * nothing. `policy`: tabular V = 3, L = 3, P = 2. */
static void sequence_policy_checkpoints(uint64_t policy, const char *path) {
  double theta[104], a[40], b[40];
  for (int i = 0; i < 104; i++) theta[i] = sin(1.0 + i);
  CHECK(swiftpg_seq_policy_set_params(policy, theta, 104) == SWIFTPG_OK, "set params");
  int64_t size = -1, live = -1, live_after = -1;
  CHECK(swiftpg_seq_policy_serialize(policy, NULL, 0, &size) == SWIFTPG_ERR_BUFFER_TOO_SMALL && size > 104 * 8,
        "size query %lld", (long long)size);
  uint8_t *bytes = malloc((size_t)size);
  int64_t small = -1;
  CHECK(swiftpg_seq_policy_serialize(policy, bytes, size - 1, &small) == SWIFTPG_ERR_BUFFER_TOO_SMALL && small == size,
        "capacity one short");
  CHECK(swiftpg_seq_policy_serialize(policy, bytes, size, &size) == SWIFTPG_OK, "serialize");
  uint64_t restored = 0, loaded = 0;
  CHECK(swiftpg_seq_policy_deserialize(bytes, size, &restored) == SWIFTPG_OK, "deserialize");
  CHECK(exact40(policy, 1, a) && exact40(restored, 1, b) && memcmp(a, b, sizeof a) == 0, "bit-identical log-probs");
  CHECK(swiftpg_seq_policy_save(policy, path) == SWIFTPG_OK && swiftpg_seq_policy_load(path, &loaded) == SWIFTPG_OK,
        "save and load");
  CHECK(exact40(loaded, 0, a) && exact40(policy, 0, b) && memcmp(a, b, sizeof a) == 0, "loaded log-probs");
  swiftpg_live_handles(SWIFTPG_KIND_ALL, &live);
  uint64_t none = 0;
  CHECK(swiftpg_seq_policy_deserialize(bytes, size - 1, &none) == SWIFTPG_ERR_BAD_FORMAT && none == 0, "truncated");
  CHECK(swiftpg_seq_policy_deserialize(bytes, 20, &none) == SWIFTPG_ERR_BAD_FORMAT && none == 0, "header only");
  bytes[size / 2] ^= 0x20;
  CHECK(swiftpg_seq_policy_deserialize(bytes, size, &none) == SWIFTPG_ERR_BAD_FORMAT && none == 0, "flipped");
  CHECK(swiftpg_reward_model_deserialize(bytes, size, &none) == SWIFTPG_ERR_BAD_FORMAT, "flipped as a reward model");
  bytes[size / 2] ^= 0x20;
  CHECK(swiftpg_reward_model_deserialize(bytes, size, &none) == SWIFTPG_ERR_BAD_FORMAT && none == 0,
        "a sequence policy is not a reward model");
  CHECK(strstr(swiftpg_last_error(), "not a reward model") != NULL, "message: %s", swiftpg_last_error());
  CHECK(swiftpg_reward_model_load(path, &none) == SWIFTPG_ERR_BAD_FORMAT && none == 0, "file of another kind");
  CHECK(swiftpg_policy_load(path, 0, &none) == SWIFTPG_ERR_BAD_FORMAT, "not a policy");
  CHECK(swiftpg_seq_policy_deserialize(bytes, -1, &none) == SWIFTPG_ERR_INVALID_ARGUMENT, "negative size");
  CHECK(swiftpg_seq_policy_deserialize(NULL, 8, &none) == SWIFTPG_ERR_NULL_POINTER, "NULL bytes");
  CHECK(swiftpg_seq_policy_load("/nonexistent/dir/file", &none) == SWIFTPG_ERR_IO && none == 0, "missing file");
  CHECK(swiftpg_seq_policy_save(policy, "/nonexistent/dir/file") == SWIFTPG_ERR_IO, "unwritable path");
  CHECK(swiftpg_seq_policy_save(policy, NULL) == SWIFTPG_ERR_NULL_POINTER, "NULL path");
  swiftpg_live_handles(SWIFTPG_KIND_ALL, &live_after);
  CHECK(live_after == live, "failed loads created handles: %lld -> %lld", (long long)live, (long long)live_after);
  free(bytes);
  swiftpg_seq_policy_destroy(restored);
  swiftpg_seq_policy_destroy(loaded);
}

/* Next-token distributions equal the teacher-forced ones; bad contexts are
 * refused and write nothing. */
static void next_tokens(uint64_t policy, const int32_t *prompts, const int32_t *tokens, const int32_t *lengths,
                        const double *forced) {
  int32_t p[12], positions[12], cells[12];
  int n = 0;
  for (int b = 0; b < 4; b++) {
    for (int t = 0; t < lengths[b]; t++) {
      p[n] = prompts[b];
      positions[n] = t;
      cells[n] = b * 3 + t;
      n++;
    }
  }
  int32_t rows[12 * 3];
  for (int i = 0; i < n; i++) memcpy(rows + 3 * i, tokens + (cells[i] / 3) * 3, 3 * sizeof(int32_t));
  double out[12 * 4];
  CHECK(swiftpg_seq_policy_next_token_log_probs(policy, p, rows, positions, n, out) == SWIFTPG_OK, "next tokens");
  for (int i = 0; i < n; i++) {
    double total = 0;
    for (int k = 0; k < 4; k++) total += exp(out[4 * i + k]);
    CHECK(fabs(total - 1) < 1e-12, "row %d sums to %.17g", i, total);
    CHECK(fabs(out[4 * i + tokens[cells[i]]] - forced[cells[i]]) < 1e-12, "context %d: teacher-forced", i);
  }
  int32_t bad_position[1] = {3}, eos_prefix[3] = {3, 0, 0}, two[1] = {2};
  double untouched[4] = {7, 7, 7, 7};
  CHECK(swiftpg_seq_policy_next_token_log_probs(policy, p, rows, bad_position, 1, untouched) ==
            SWIFTPG_ERR_OUT_OF_RANGE,
        "position L");
  CHECK(swiftpg_seq_policy_next_token_log_probs(policy, p, eos_prefix, two, 1, untouched) ==
            SWIFTPG_ERR_INVALID_ARGUMENT,
        "EOS in the prefix");
  CHECK(swiftpg_seq_policy_next_token_log_probs(policy, p, rows, positions, -1, untouched) ==
            SWIFTPG_ERR_INVALID_ARGUMENT,
        "negative count");
  CHECK(untouched[0] == 7 && untouched[3] == 7, "a failed call wrote its output");
}

/* The KL-regularised reward: golden penalties, token rewards summing to
 * the sequence rewards, refusals. */
static void kl_rewards(void) {
  /* Two responses, L = 2: lengths 1 and 2; entries beyond a length are NaN. */
  double lp[4] = {-1, NAN, -2, -0.5}, lq[4] = {-2, NAN, -1, -0.5}, pen[4], seq[2], tok[4];
  int32_t lengths[2] = {1, 2};
  CHECK(swiftpg_kl_penalties(2, 2, lp, lq, lengths, SWIFTPG_KL_K1, pen) == SWIFTPG_OK && pen[0] == 1 && pen[1] == 0 &&
            pen[2] == -1 && pen[3] == 0,
        "k1 %g %g %g %g", pen[0], pen[1], pen[2], pen[3]);
  CHECK(swiftpg_kl_penalties(2, 2, lp, lq, lengths, SWIFTPG_KL_K2, pen) == SWIFTPG_OK && pen[0] == 0.5 &&
            pen[2] == 0.5,
        "k2");
  CHECK(swiftpg_kl_penalties(2, 2, lp, lq, lengths, SWIFTPG_KL_K3, pen) == SWIFTPG_OK &&
            fabs(pen[0] - exp(-1.0)) < 1e-15 && fabs(pen[2] - (exp(1.0) - 2)) < 1e-15 && pen[3] == 0,
        "k3 %.17g %.17g", pen[0], pen[2]);
  double rewards[2] = {1.0, -2.0};
  CHECK(swiftpg_kl_regularized_rewards(2, 2, rewards, pen, lengths, 0.5, 0, seq) == SWIFTPG_OK &&
            swiftpg_kl_regularized_rewards(2, 2, rewards, pen, lengths, 0.5, 1, tok) == SWIFTPG_OK,
        "rewards");
  CHECK(fabs(seq[0] - (1 - 0.5 * exp(-1.0))) < 1e-15 && tok[1] == 0 && fabs(tok[0] - seq[0]) < 1e-15 &&
            fabs(tok[2] + tok[3] - seq[1]) < 1e-15 && tok[3] == -2.0,
        "sequence and token rewards %g %g | %g %g %g %g", seq[0], seq[1], tok[0], tok[1], tok[2], tok[3]);
  double keep[4] = {9, 9, 9, 9};
  int32_t zero[2] = {0, 1};
  CHECK(swiftpg_kl_penalties(2, 2, lp, lq, lengths, 4, keep) == SWIFTPG_ERR_INVALID_ARGUMENT, "estimator 4");
  CHECK(swiftpg_kl_penalties(2, 2, lp, lq, zero, 1, keep) == SWIFTPG_ERR_INVALID_ARGUMENT, "length 0");
  CHECK(swiftpg_kl_penalties(2, 0, lp, lq, lengths, 1, keep) == SWIFTPG_ERR_INVALID_ARGUMENT, "max_length 0");
  lp[3] = INFINITY;
  CHECK(swiftpg_kl_penalties(2, 2, lp, lq, lengths, 1, keep) == SWIFTPG_ERR_NOT_FINITE, "infinite log-prob");
  CHECK(swiftpg_kl_regularized_rewards(2, 2, rewards, pen, lengths, -0.5, 0, keep) == SWIFTPG_ERR_INVALID_ARGUMENT,
        "beta < 0");
  CHECK(swiftpg_kl_regularized_rewards(2, 2, rewards, pen, lengths, 0.5, 2, keep) == SWIFTPG_ERR_INVALID_ARGUMENT,
        "per_token 2");
  CHECK(swiftpg_kl_regularized_rewards(2, 2, NULL, pen, lengths, 0.5, 0, keep) == SWIFTPG_ERR_NULL_POINTER,
        "NULL rewards");
  CHECK(keep[0] == 9 && keep[3] == 9, "a failed call wrote its output");
}

/* Reward-model checkpoints: a standardised MLP predicts bit for bit after
 * serialize / deserialize and save / load; its hidden sizes are readable. */
static void reward_model_checkpoints(const char *path) {
  uint64_t model = 0, restored = 0, loaded = 0;
  int32_t hidden[1] = {3}, sizes[1] = {0};
  swiftpg_reward_model_fit_config fit;
  double chosen[6] = {10, 0, 20, 1, 30, -5}, rejected[6] = {0, 5, -10, 2, 4, 4}, a[3], b[3];
  CHECK(swiftpg_reward_model_create(2, hidden, 1, SWIFTPG_ACTIVATION_TANH, 3, &model) == SWIFTPG_OK &&
            swiftpg_reward_model_fit_default_config(&fit) == SWIFTPG_OK,
        "create");
  fit.standardize = 1;
  fit.epochs = 2;
  swiftpg_reward_model_info info;
  CHECK(swiftpg_reward_model_fit_pairs(model, chosen, rejected, NULL, 3, &fit, NULL, NULL) == SWIFTPG_OK &&
            swiftpg_reward_model_get_info(model, &info) == SWIFTPG_OK && info.standardized == 1,
        "fit with standardisation");
  CHECK(swiftpg_reward_model_hidden_sizes(model, sizes) == SWIFTPG_OK && sizes[0] == 3, "hidden sizes");
  CHECK(swiftpg_reward_model_hidden_sizes(model, NULL) == SWIFTPG_ERR_NULL_POINTER, "NULL sizes_out");
  uint8_t bytes[4096];
  int64_t size = 0;
  CHECK(swiftpg_reward_model_serialize(model, bytes, sizeof bytes, &size) == SWIFTPG_OK &&
            swiftpg_reward_model_deserialize(bytes, size, &restored) == SWIFTPG_OK,
        "serialize and deserialize");
  CHECK(swiftpg_reward_model_save(model, path) == SWIFTPG_OK && swiftpg_reward_model_load(path, &loaded) == SWIFTPG_OK,
        "save and load");
  CHECK(swiftpg_reward_model_predict(model, chosen, 3, a) == SWIFTPG_OK, "predict");
  CHECK(swiftpg_reward_model_predict(restored, chosen, 3, b) == SWIFTPG_OK && memcmp(a, b, sizeof a) == 0,
        "deserialized predicts bit for bit");
  CHECK(swiftpg_reward_model_predict(loaded, chosen, 3, b) == SWIFTPG_OK && memcmp(a, b, sizeof a) == 0,
        "loaded predicts bit for bit");
  uint64_t none = 0;
  CHECK(swiftpg_seq_policy_load(path, &none) == SWIFTPG_ERR_BAD_FORMAT && none == 0, "not a sequence policy");
  CHECK(swiftpg_reward_model_deserialize(bytes, size - 8, &none) == SWIFTPG_ERR_BAD_FORMAT && none == 0, "truncated");
  swiftpg_reward_model_destroy(model);
  swiftpg_reward_model_destroy(restored);
  swiftpg_reward_model_destroy(loaded);
}

/* The didactic bandit's reference policy is its formula; a task without
 * one is NOT_SUPPORTED. */
static void reference_policies(uint64_t summarise) {
  uint64_t bandit = 0, ref = 0, none = 0;
  CHECK(swiftpg_seq_task_create_didactic_bandit(9, SWIFTPG_PLACEMENT_LOW_PROBABILITY, &bandit) == SWIFTPG_OK &&
            swiftpg_seq_task_reference_policy(bandit, &ref) == SWIFTPG_OK,
        "reference policy");
  swiftpg_seq_policy_info info;
  CHECK(swiftpg_seq_policy_get_info(ref, &info) == SWIFTPG_OK && info.vocab_size == 9 && info.max_length == 1 &&
            info.num_prompts == 1 && info.family == SWIFTPG_SEQ_FAMILY_TABULAR,
        "reference sizes");
  double lp[10], z[10], total = 0;
  int64_t count = 0;
  for (int a = 0; a < 10; a++) {
    z[a] = -0.5 * pow((a - 6) / 1.35, 2);
    total += exp(z[a]);
  }
  CHECK(swiftpg_seq_policy_exact_log_probs(ref, 0, lp, 10, &count) == SWIFTPG_OK && count == 10, "exact");
  /* Canonical order: the empty response (arm EOS = 9) first, then arms 0 ... 8. */
  for (int a = 0; a < 10; a++) {
    double want = z[a] - log(total);
    CHECK(fabs(lp[a == 9 ? 0 : a + 1] - want) < 1e-12, "arm %d: %.17g vs %.17g", a, lp[a == 9 ? 0 : a + 1], want);
  }
  CHECK(swiftpg_seq_task_reference_policy(summarise, &none) == SWIFTPG_ERR_NOT_SUPPORTED && none == 0,
        "Summarise has no reference");
  CHECK(swiftpg_seq_task_reference_policy(ref, &none) == SWIFTPG_ERR_BAD_HANDLE, "a policy handle is not a task");
  CHECK(swiftpg_seq_task_reference_policy(bandit, NULL) == SWIFTPG_ERR_NULL_POINTER, "NULL output");
  swiftpg_seq_policy_destroy(ref);
  swiftpg_seq_task_destroy(bandit);
}

/* Issue 16: an RLOO learner on the task (gold reward) raises the exact
 * objective; an external update; the optimum sums to 1; bad configs. */
static void online_learners(uint64_t task, uint64_t reference, const char *path) {
  uint64_t policy = 0, learner = 0;
  CHECK(swiftpg_seq_policy_copy(reference, &policy) == SWIFTPG_OK, "copy");
  swiftpg_rlhf_config config;
  CHECK(swiftpg_rlhf_default_config(SWIFTPG_RLHF_RLOO, &config) == SWIFTPG_OK && config.size == sizeof config &&
            config.samples_per_prompt == 4 && config.algorithm == SWIFTPG_RLHF_RLOO &&
            config.kl_estimator == SWIFTPG_KL_K1 && config.missing_eos_penalty == 0,
        "RLOO defaults");
  config.kl_estimator = SWIFTPG_KL_K2;
  CHECK(swiftpg_rlhf_create(policy, reference, task, 0, 0, 0, &config, &learner) == SWIFTPG_ERR_INVALID_ARGUMENT &&
            strstr(swiftpg_last_error(), "kl_estimator"),
        "k2 is not an option of the learners");
  config.kl_estimator = SWIFTPG_KL_K1;
  config.beta = 0.5;
  config.learning_rate = 0.05;
  config.samples_per_prompt = 1;
  CHECK(swiftpg_rlhf_create(policy, reference, task, 0, 0, 0, &config, &learner) == SWIFTPG_ERR_INVALID_ARGUMENT &&
            learner == 0 && strstr(swiftpg_last_error(), "k >= 2"),
        "RLOO refuses k = 1");
  config.samples_per_prompt = 4;
  CHECK(swiftpg_rlhf_create(policy, policy, task, 0, 0, 0, &config, &learner) == SWIFTPG_ERR_INVALID_ARGUMENT,
        "the reference is not the policy");
  CHECK(swiftpg_rlhf_create(policy, reference, task, 0, 0, 0, &config, &learner) == SWIFTPG_OK, "create");
  double before = 0, after = 0;
  CHECK(swiftpg_rlhf_exact_objective(policy, reference, task, 0, 0, 0.5, &before, NULL, 0) == SWIFTPG_OK, "J");
  swiftpg_rlhf_stats stats;
  for (int i = 0; i < 30; i++) CHECK(swiftpg_rlhf_iterate(learner, &stats) == SWIFTPG_OK, "iterate %d", i);
  CHECK(stats.size == sizeof stats && stats.iteration == 30 && stats.samples == 64 * 4 &&
            stats.mean_gold_reward == stats.mean_reward,
        "stats (trained on the gold reward)");
  CHECK(swiftpg_rlhf_exact_objective(policy, reference, task, 0, 0, 0.5, &after, NULL, 0) == SWIFTPG_OK &&
            after > before,
        "J rises: %g -> %g", before, after);
  int32_t algorithm = -1;
  int64_t iteration = -1, samples = -1;
  CHECK(swiftpg_rlhf_get_info(learner, &algorithm, &iteration, &samples) == SWIFTPG_OK &&
            algorithm == SWIFTPG_RLHF_RLOO && iteration == 30 && samples == 30 * 256,
        "info");
  /* An external update: two groups of two (k = 2 here, whatever the config's k). */
  int32_t prompts[4] = {0, 0, 1, 1}, tokens[4 * 3] = {0, 3, 3, 1, 3, 3, 2, 2, 3, 0, 0, 0}, lengths[4] = {2, 2, 3, 3};
  double rewards[4] = {1, 0, 0.5, -1}, bad[4] = {1, NAN, 0, 0};
  CHECK(swiftpg_rlhf_update(learner, prompts, tokens, lengths, bad, 4, 2, &stats) == SWIFTPG_ERR_NOT_FINITE, "NaN");
  CHECK(swiftpg_rlhf_update(learner, prompts, tokens, lengths, rewards, 4, 2, &stats) == SWIFTPG_OK &&
            stats.samples == 4 && stats.iteration == 31,
        "update: %s", swiftpg_last_error());
  CHECK(isfinite(stats.mean_gold_reward) && stats.clamped_tokens == 0 && stats.value_loss == 0, "the new statistics");
  /* The gradient estimate of the same samples changes nothing. */
  swiftpg_seq_policy_info info;
  CHECK(swiftpg_seq_policy_get_info(policy, &info) == SWIFTPG_OK, "info");
  double *grad = calloc((size_t)info.num_params, sizeof(double));
  double *theta = calloc((size_t)info.num_params, sizeof(double)), *theta2 = calloc((size_t)info.num_params, sizeof(double));
  CHECK(grad && theta && theta2 && swiftpg_seq_policy_get_params(policy, theta, info.num_params) == SWIFTPG_OK, "alloc");
  CHECK(swiftpg_rlhf_gradient_estimate(learner, prompts, tokens, lengths, rewards, 4, 2, grad, info.num_params) ==
            SWIFTPG_OK,
        "gradient estimate: %s", swiftpg_last_error());
  double norm = 0;
  for (int64_t i = 0; i < info.num_params; i++) norm += grad[i] * grad[i];
  CHECK(norm > 0, "a nonzero estimate");
  CHECK(swiftpg_rlhf_gradient_estimate(learner, prompts, tokens, lengths, rewards, 4, 2, grad, info.num_params + 1) ==
            SWIFTPG_ERR_INVALID_ARGUMENT,
        "gradient_count");
  /* A checkpoint: the state after 31 updates, restored into the learner after another iteration. */
  CHECK(swiftpg_rlhf_save(learner, path) == SWIFTPG_OK, "save: %s", swiftpg_last_error());
  CHECK(swiftpg_rlhf_iterate(learner, &stats) == SWIFTPG_OK && stats.iteration == 32, "iterate");
  CHECK(swiftpg_rlhf_load(learner, path) == SWIFTPG_OK && swiftpg_rlhf_get_info(learner, &algorithm, &iteration,
                                                                               &samples) == SWIFTPG_OK &&
            iteration == 31,
        "load: %s", swiftpg_last_error());
  CHECK(swiftpg_seq_policy_get_params(policy, theta2, info.num_params) == SWIFTPG_OK &&
            memcmp(theta, theta2, (size_t)info.num_params * sizeof(double)) == 0,
        "the policy is restored");
  CHECK(swiftpg_seq_policy_save(policy, path) == SWIFTPG_OK && swiftpg_rlhf_load(learner, path) == SWIFTPG_ERR_BAD_FORMAT,
        "a policy file is not a learner");
  CHECK(swiftpg_rlhf_save(learner, NULL) == SWIFTPG_ERR_NULL_POINTER, "NULL path");
  free(grad);
  free(theta);
  free(theta2);
  double star[64];
  int64_t n = 0;
  CHECK(swiftpg_rlhf_exact_optimum(reference, task, 0, 0, 0.5, 1, star, 64, &n) == SWIFTPG_OK && n == 40, "optimum");
  double total = 0;
  for (int64_t i = 0; i < n; i++) total += exp(star[i]);
  CHECK(fabs(total - 1) < 1e-12, "pi* sums to %g", total);
  CHECK(swiftpg_rlhf_destroy(learner) == SWIFTPG_OK && swiftpg_rlhf_iterate(learner, &stats) == SWIFTPG_ERR_BAD_HANDLE,
        "destroyed");
  int64_t live = -1;
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_RLHF_LEARNER, &live) == SWIFTPG_OK && live == 0, "live learners");
  swiftpg_seq_policy_destroy(policy);
}

int main(void) {
  /* A small Summarise task: V = 3, L = 3, P = 2 (40 responses per prompt). */
  swiftpg_summarise_config config;
  CHECK(swiftpg_summarise_default_config(&config) == SWIFTPG_OK, "default config");
  CHECK(config.size == sizeof config && config.vocab_size == 6, "defaults");
  config.vocab_size = 3;
  config.max_length = 3;
  config.num_prompts = 2;
  config.post_length = 3;
  config.salient_count = 1;
  uint64_t task = 0;
  CHECK(swiftpg_seq_task_create_summarise(&config, &task) == SWIFTPG_OK, "create summarise");
  swiftpg_seq_task_info info;
  CHECK(swiftpg_seq_task_get_info(task, &info) == SWIFTPG_OK, "task info");
  CHECK(info.vocab_size == 3 && info.max_length == 3 && info.num_prompts == 2 && info.num_features == 3 &&
            info.num_responses == 40,
        "task sizes %d %d %d %d %lld", info.vocab_size, info.max_length, info.num_prompts, info.num_features,
        (long long)info.num_responses);
  char name[32];
  size_t length = 0;
  CHECK(swiftpg_seq_task_feature_name(task, 1, name, sizeof name, &length) == SWIFTPG_OK &&
            strcmp(name, "content_length") == 0 && length == 14,
        "feature name");

  uint64_t policy = 0, frozen = 0;
  CHECK(swiftpg_seq_policy_create_tabular(3, 3, 2, &policy) == SWIFTPG_OK, "create policy");
  swiftpg_seq_policy_info pinfo;
  CHECK(swiftpg_seq_policy_get_info(policy, &pinfo) == SWIFTPG_OK && pinfo.family == SWIFTPG_SEQ_FAMILY_TABULAR &&
            pinfo.num_params == 2 * 13 * 4,
        "policy info");
  CHECK(swiftpg_seq_policy_copy(policy, &frozen) == SWIFTPG_OK, "copy");

  /* Sample 4 responses; the sampler's log-probabilities equal teacher forcing. */
  int32_t prompts[4] = {0, 1, 1, 0}, tokens[4 * 3], lengths[4];
  double sampled[4 * 3], forced[4 * 3], sums[4], rewards[4];
  CHECK(swiftpg_seq_policy_sample(policy, prompts, 4, 1.0, 7, 0, tokens, lengths, sampled) == SWIFTPG_OK, "sample");
  CHECK(swiftpg_seq_policy_log_probs(policy, prompts, tokens, lengths, 4, forced, sums) == SWIFTPG_OK, "log probs");
  for (int i = 0; i < 12; i++) CHECK(sampled[i] == forced[i], "log-prob %d", i);
  for (int b = 0; b < 4; b++) CHECK(fabs(sums[b] + lengths[b] * log(4.0)) < 1e-12, "uniform log-prob %d", b);
  CHECK(swiftpg_seq_task_rewards(task, 0, prompts, tokens, lengths, 4, rewards) == SWIFTPG_OK, "gold rewards");

  /* Exact enumeration sums to 1; the KL to the frozen copy is 0. */
  double lp[40], kl[12], k3[12];
  int64_t count = 0;
  CHECK(swiftpg_seq_policy_exact_log_probs(policy, 1, lp, 40, &count) == SWIFTPG_OK && count == 40, "exact");
  double total = 0;
  for (int i = 0; i < 40; i++) total += exp(lp[i]);
  CHECK(fabs(total - 1) < 1e-12, "exact sum %.17g", total);
  CHECK(swiftpg_seq_policy_exact_log_probs(policy, 1, lp, 10, &count) == SWIFTPG_ERR_BUFFER_TOO_SMALL && count == 40,
        "capacity");
  CHECK(swiftpg_seq_policy_kl(policy, frozen, prompts, tokens, lengths, 4, kl, NULL, NULL, k3) == SWIFTPG_OK, "kl");
  for (int i = 0; i < 12; i++) CHECK(kl[i] == 0 && k3[i] == 0, "kl %d", i);
  double win = 0;
  CHECK(swiftpg_exact_win_rate(40, lp, lp, lp, &win) == SWIFTPG_OK && win == 0.5, "win rate %g", win);

  /* A labeller. */
  double pair_rewards[4] = {2.0, 1.0, 0.0, 3.0};
  int32_t preferred[2] = {-1, -1};
  CHECK(swiftpg_labeller_compare_pairs(2, pair_rewards, 0.0, 1, 0, preferred) == SWIFTPG_OK && preferred[0] == 0 &&
            preferred[1] == 1,
        "compare pairs");

  /* Refusals: a token out of range, EOS inside a response, a bad prompt, a
   * negative temperature; the outputs stay unchanged. */
  int32_t bad_tokens[3] = {4, 3, 3}, eos_inside[3] = {3, 0, 3}, bad_prompt[1] = {2}, one[1] = {0};
  int32_t len3[1] = {3}, len1[1] = {1};
  double out[3] = {42, 42, 42};
  CHECK(swiftpg_seq_policy_entropies(policy, one, bad_tokens, len1, 1, out) == SWIFTPG_ERR_INVALID_ARGUMENT,
        "token out of range");
  CHECK(swiftpg_seq_policy_entropies(policy, one, eos_inside, len3, 1, out) == SWIFTPG_ERR_INVALID_ARGUMENT,
        "EOS inside");
  CHECK(swiftpg_seq_policy_entropies(policy, bad_prompt, tokens, lengths, 1, out) == SWIFTPG_ERR_OUT_OF_RANGE,
        "prompt out of range");
  CHECK(out[0] == 42 && out[1] == 42 && out[2] == 42, "outputs changed by a failed call");
  CHECK(swiftpg_seq_policy_sample(policy, one, 1, -1.0, 0, 0, tokens, lengths, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT,
        "negative temperature");
  CHECK(swiftpg_seq_policy_kl(policy, task, prompts, tokens, lengths, 4, kl, NULL, NULL, NULL) ==
            SWIFTPG_ERR_BAD_HANDLE,
        "a task handle as the reference");

  /* Preference losses, best-of-n, a reward model and the trainers. */
  double chosen[2] = {1.0, 0.0}, rejected[2] = {0.0, 0.0}, d_chosen[2], d_rejected[2];
  swiftpg_pairwise_stats pairwise;
  CHECK(swiftpg_bradley_terry_loss(2, chosen, rejected, NULL, 0.0, &pairwise, d_chosen, d_rejected) == SWIFTPG_OK &&
            fabs(pairwise.accuracy - 0.75) < 1e-12 && d_chosen[0] < 0 && d_rejected[0] > 0,
        "Bradley-Terry");
  swiftpg_direct_stats direct = {0};
  CHECK(swiftpg_direct_loss(SWIFTPG_DIRECT_DPO, 2, chosen, rejected, rejected, rejected, 0.0, 0.0, NULL, &direct,
                            NULL, NULL) == SWIFTPG_ERR_INVALID_ARGUMENT && direct.loss == 0,
        "beta = 0 refused, stats unchanged");
  double base[3] = {0.2, 0.3, 0.5}, scores[3] = {1, 2, 0}, bon[3], kl_bon = -1, bound = -1;
  CHECK(swiftpg_best_of_n_distribution(3, base, scores, 4, bon) == SWIFTPG_OK &&
            fabs(bon[0] + bon[1] + bon[2] - 1) < 1e-12,
        "best-of-n distribution");
  CHECK(swiftpg_best_of_n_kl(3, base, scores, 4, &kl_bon) == SWIFTPG_OK &&
            swiftpg_best_of_n_kl_bound(4, &bound) == SWIFTPG_OK && kl_bon <= bound,
        "best-of-n KL <= bound");
  uint64_t model = 0;
  swiftpg_reward_model_fit_config fit;
  double features[4] = {1, 0, 0, 1}, fit_loss[20], predicted[2];
  CHECK(swiftpg_reward_model_create(2, NULL, 0, SWIFTPG_ACTIVATION_TANH, 0, &model) == SWIFTPG_OK &&
            swiftpg_reward_model_fit_default_config(&fit) == SWIFTPG_OK,
        "reward model");
  CHECK(swiftpg_reward_model_fit_pairs(model, features, features + 2, NULL, 1, &fit, fit_loss, NULL) ==
                SWIFTPG_OK &&
            swiftpg_reward_model_predict(model, features, 2, predicted) == SWIFTPG_OK && predicted[0] > predicted[1],
        "fitted reward model orders the pair");
  swiftpg_reward_model_destroy(model);
  swiftpg_sft_config sft_config;
  swiftpg_dpo_config dpo_config;
  uint64_t sft = 0, dpo = 0;
  double sft_loss = -1, sft_accuracy = -1;
  CHECK(swiftpg_sft_default_config(&sft_config) == SWIFTPG_OK &&
            swiftpg_sft_create(policy, &sft_config, &sft) == SWIFTPG_OK &&
            swiftpg_sft_evaluate(sft, prompts, tokens, lengths, 4, &sft_loss, &sft_accuracy) == SWIFTPG_OK &&
            sft_loss > 0,
        "SFT evaluate");
  CHECK(swiftpg_dpo_default_config(&dpo_config) == SWIFTPG_OK &&
            swiftpg_dpo_create(policy, policy, &dpo_config, &dpo) == SWIFTPG_ERR_INVALID_ARGUMENT && dpo == 0,
        "DPO refuses policy == reference");
  CHECK(swiftpg_dpo_create(policy, frozen, &dpo_config, &dpo) == SWIFTPG_OK &&
            swiftpg_dpo_evaluate(dpo, prompts, tokens, lengths, tokens, lengths, 4, NULL, &direct) == SWIFTPG_OK &&
            fabs(direct.loss - log(2.0)) < 1e-12,
        "DPO at the reference: loss log 2");
  swiftpg_pref_trainer_destroy(dpo);
  swiftpg_pref_trainer_destroy(sft);

  /* ABI 11. */
  next_tokens(policy, prompts, tokens, lengths, forced);
  kl_rewards();
  reference_policies(task);
  char path[] = "/tmp/swiftpg_c_sequences_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0, "temporary file");
  close(fd);
  sequence_policy_checkpoints(policy, path);
  reward_model_checkpoints(path);
  unlink(path);
  online_learners(task, frozen, path);

  int64_t live = -1;
  swiftpg_seq_policy_destroy(frozen);
  swiftpg_seq_policy_destroy(policy);
  swiftpg_seq_task_destroy(task);
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_SEQ_POLICY, &live) == SWIFTPG_OK && live == 0, "live policies %lld",
        (long long)live);
  CHECK(swiftpg_seq_task_get_info(task, &info) == SWIFTPG_ERR_BAD_HANDLE, "destroyed task");
  return report("test_sequences");
}
