// Header-only target; this file exists because SwiftPM needs a source file.
#include "cmath_shims.h"
