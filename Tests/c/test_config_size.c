/* Config structs of another header version: every create function reads
 * the struct's leading uint32 size alone and refuses a size it does not
 * know before reading any other byte. Each struct here is an older,
 * smaller one placed at the very end of a readable page, followed by an
 * inaccessible page: reading sizeof(struct of this header) bytes from it
 * would fault, so a library that reads first and checks later dies here. */
#define _DEFAULT_SOURCE
#include "check.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>



static unsigned char *page_end;  /* one past the last readable byte */

/* A copy of the first `size` bytes of `full` ending at the guard page, its
 * size field set to `size`. */
static const void *older(const void *full, uint32_t size) {
  unsigned char *p = page_end - size;
  memcpy(p, full, size);
  memcpy(p, &size, sizeof size);
  return p;
}

#define REFUSED(call, what)                                                                  \
  do {                                                                                      \
    int32_t status = (call);                                                                \
    CHECK(status == SWIFTPG_ERR_INVALID_ARGUMENT && strstr(swiftpg_last_error(), "size"),   \
          "%s: status %d", what, status);                                                   \
  } while (0)

int main(void) {
  long page = sysconf(_SC_PAGESIZE);
  unsigned char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED || mprotect(map + page, page, PROT_NONE) != 0) {
    perror("mmap");
    return 1;
  }
  page_end = map + page;
  uint64_t out = 0;

  uint64_t env = 0, policy = 0;
  CHECK(swiftpg_env_create("CartPole-v1", 1, 0, &env) == SWIFTPG_OK, "env");
  int32_t hidden[1] = {8};
  CHECK(swiftpg_policy_create_softmax(4, 2, hidden, 1, SWIFTPG_ACTIVATION_TANH, 1.0, 0.01, 0, &policy) == SWIFTPG_OK,
        "policy");
  swiftpg_ppo_config ppo;
  CHECK(swiftpg_ppo_default_config(&ppo) == SWIFTPG_OK, "ppo default");
  REFUSED(swiftpg_ppo_create(env, policy, 0, older(&ppo, sizeof ppo - 8), &out), "ppo");
  swiftpg_reinforce_config reinforce;
  CHECK(swiftpg_reinforce_default_config(&reinforce) == SWIFTPG_OK, "reinforce default");
  REFUSED(swiftpg_reinforce_create(env, policy, 0, older(&reinforce, sizeof reinforce - 8), &out), "reinforce");
  swiftpg_search_config search;
  CHECK(swiftpg_search_default_config(&search) == SWIFTPG_OK && search.size == sizeof search, "search default");
  REFUSED(swiftpg_search_create(env, policy, older(&search, sizeof search - 8), &out), "search");

  swiftpg_summarise_config summarise;
  CHECK(swiftpg_summarise_default_config(&summarise) == SWIFTPG_OK, "summarise default");
  REFUSED(swiftpg_seq_task_create_summarise(older(&summarise, sizeof summarise - 8), &out), "summarise");
  swiftpg_length_bias_config bias;
  CHECK(swiftpg_length_bias_default_config(&bias) == SWIFTPG_OK, "length bias default");
  REFUSED(swiftpg_seq_task_create_length_bias(older(&bias, sizeof bias - 8), &out), "length bias");

  uint64_t seq = 0, ref = 0;
  CHECK(swiftpg_seq_policy_create_tabular(2, 2, 1, &seq) == SWIFTPG_OK, "seq policy");
  CHECK(swiftpg_seq_policy_copy(seq, &ref) == SWIFTPG_OK, "reference");
  swiftpg_sft_config sft;
  CHECK(swiftpg_sft_default_config(&sft) == SWIFTPG_OK, "sft default");
  REFUSED(swiftpg_sft_create(seq, older(&sft, sizeof sft - 8), &out), "sft");
  swiftpg_dpo_config dpo;
  CHECK(swiftpg_dpo_default_config(&dpo) == SWIFTPG_OK, "dpo default");
  REFUSED(swiftpg_dpo_create(seq, ref, older(&dpo, sizeof dpo - 8), &out), "dpo");

  /* A config of this header at the page end is accepted. */
  CHECK(swiftpg_seq_task_create_summarise(older(&summarise, sizeof summarise), &out) == SWIFTPG_OK, "exact size");
  CHECK(swiftpg_seq_task_destroy(out) == SWIFTPG_OK, "destroy");

  swiftpg_seq_policy_destroy(ref);
  swiftpg_seq_policy_destroy(seq);
  swiftpg_policy_destroy(policy);
  swiftpg_env_destroy(env);
  int64_t live = -1;
  CHECK(swiftpg_live_handles(0, &live) == SWIFTPG_OK && live == 0, "live handles %lld", (long long)live);
  return report("test_config_size");
}
