/* The CHECK macro of the C tests: counts checks and failures, prints the
 * failed condition, a message and the library's last error. A test's main
 * ends with `return report("name");`. */
#ifndef SWIFTPG_TEST_CHECK_H
#define SWIFTPG_TEST_CHECK_H

#include <stdio.h>

#include "swiftpg.h"

static int checks = 0;
static int failures = 0;

#define CHECK(cond, ...)                                                     \
  do {                                                                       \
    checks++;                                                                \
    if (!(cond)) {                                                           \
      failures++;                                                            \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);        \
      fprintf(stderr, __VA_ARGS__);                                          \
      fprintf(stderr, " (last error: %s)\n", swiftpg_last_error());         \
    }                                                                        \
  } while (0)

/* Prints the summary line; the process exit status (0 when all passed). */
static inline int report(const char *name) {
  if (failures) {
    fprintf(stderr, "%s: %d of %d checks failed\n", name, failures, checks);
    return 1;
  }
  printf("%s: all %d checks passed\n", name, checks);
  return 0;
}

#endif
