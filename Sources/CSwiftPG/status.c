// Status strings and the per-thread last-error message of the C ABI.
#include "swiftpg.h"
#include "swiftpg_internal.h"

#include <string.h>

static _Thread_local char last_error[1024];

const char *swiftpg_status_string(int32_t status) {
  switch (status) {
    case SWIFTPG_OK: return "ok";
    case SWIFTPG_ERR_INVALID_ARGUMENT: return "invalid argument";
    case SWIFTPG_ERR_NULL_POINTER: return "null pointer";
    case SWIFTPG_ERR_BAD_HANDLE: return "bad handle";
    case SWIFTPG_ERR_OUT_OF_RANGE: return "out of range";
    case SWIFTPG_ERR_UNKNOWN_ID: return "unknown id";
    case SWIFTPG_ERR_TOO_LARGE: return "too large";
    case SWIFTPG_ERR_BUSY: return "object busy in another thread";
    case SWIFTPG_ERR_NOT_FINITE: return "not finite";
    case SWIFTPG_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case SWIFTPG_ERR_NUMERICAL: return "numerical failure";
    case SWIFTPG_ERR_IO: return "input/output error";
    case SWIFTPG_ERR_BAD_FORMAT: return "bad file format";
    case SWIFTPG_ERR_CANCELLED: return "cancelled";
    case SWIFTPG_ERR_INTERNAL: return "internal error";
    default: return "unknown status code";
  }
}

const char *swiftpg_last_error(void) { return last_error; }

void spg_set_last_error(const char *message) {
  if (message == NULL) {
    last_error[0] = '\0';
    return;
  }
  size_t n = strlen(message);
  if (n >= sizeof last_error) n = sizeof last_error - 1;
  memcpy(last_error, message, n);
  last_error[n] = '\0';
}

void spg_clear_last_error(void) { last_error[0] = '\0'; }
