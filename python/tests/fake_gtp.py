"""A stand-in for GNU Go in test_gnugo.py: a GTP program that misbehaves on
``genmove`` as its first argument says (the options after it, GNU Go's,
are ignored).

Modes: ``crash`` (exits with code 3), ``garbage`` (prints a line that is no
GTP response), ``sleep`` (never answers), ``endless`` (prints without ever
ending the response), ``occupied`` (proposes the first point played, or
A1 on an empty board), ``resign``, ``offboard`` (proposes Z99),
``fine`` (passes), ``propose=V`` (proposes vertex V)."""

import sys
import time

mode = sys.argv[1]
played = []
for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    ident, command, args = parts[0], parts[1], parts[2:]
    if command == "play" and args[1].lower() != "pass":
        played.append(args[1])
    if command == "clear_board":
        played.clear()
    answer = "2" if command == "protocol_version" else ""
    if command == "quit":
        print(f"={ident}\n", flush=True)
        break
    if command == "genmove":
        if mode == "crash":
            sys.exit(3)
        if mode == "garbage":
            print("Segmentation fault? no, just garbage\n", flush=True)
            continue
        if mode == "sleep":
            time.sleep(3600)
        if mode == "endless":
            while True:
                sys.stdout.write("=" * 4096)
                sys.stdout.flush()
        if mode.startswith("propose="):
            print(f"={ident} {mode[8:]}\n", flush=True)
            continue
        answer = {"occupied": played[0] if played else "A1", "resign": "resign", "offboard": "Z99",
                  "fine": "pass"}[mode]
    print(f"={ident} {answer}\n", flush=True)
