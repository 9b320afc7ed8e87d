// Debian's libopenblas-dev installs cblas.h under the multiarch include dir.
#include <cblas.h>
