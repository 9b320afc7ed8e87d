// Internal helpers shared by the Swift entry points; not part of the ABI
// (hidden visibility: not exported from libswiftpg.so).
#ifndef SWIFTPG_INTERNAL_H
#define SWIFTPG_INTERNAL_H
#include <stddef.h>

// Stores a copy of `message` (truncated to 1023 bytes) as this thread's
// last error.
__attribute__((visibility("hidden"))) void spg_set_last_error(const char *message);
__attribute__((visibility("hidden"))) void spg_clear_last_error(void);

#endif
