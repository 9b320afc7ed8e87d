#!/bin/sh
# Random Go playouts per second: swiftpg's GoState (native, swiftc -O, one
# thread) beside pyspiel's Python loop. Run from the repository root.
set -e
out="${TMPDIR:-/tmp}/swiftpg_go_playouts"
swiftc -O -parse-as-library -module-name GoPlayouts \
  Sources/SwiftPG/Games/Go.swift Sources/SwiftPG/Games/GoSymmetry.swift \
  Sources/SwiftPG/Core/Errors.swift Sources/SwiftPG/Core/Random.swift \
  tools/games/go_playouts.swift -o "$out"
"$out"
python3 tools/games/go_speed.py
