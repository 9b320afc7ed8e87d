/* The sequences-and-preferences section of the C ABI (issue 15) from C:
 * a task, a tabular policy, sampling, teacher forcing, exact enumeration,
 * KL to a frozen copy, a labeller and the refusals of bad input. */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>



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

  int64_t live = -1;
  swiftpg_seq_policy_destroy(frozen);
  swiftpg_seq_policy_destroy(policy);
  swiftpg_seq_task_destroy(task);
  CHECK(swiftpg_live_handles(SWIFTPG_KIND_SEQ_POLICY, &live) == SWIFTPG_OK && live == 0, "live policies %lld",
        (long long)live);
  CHECK(swiftpg_seq_task_get_info(task, &info) == SWIFTPG_ERR_BAD_HANDLE, "destroyed task");
  return report("test_sequences");
}
