# swiftpg — the two commands of the README:
#   make demo   set everything up and train CartPole-v1 with REINFORCE from Python
#   make test   set everything up and run every test suite (Swift, C, Python)
# Other targets: make lib (the shipped library), make bench, make clean.

PYTHON ?= python3
SO := python/swiftpg/libswiftpg.so
BUILD := .build/release
# Static Swift runtime for the shipped library (only here: it breaks `swift test`),
# and export only the swiftpg_* C ABI.
SO_FLAGS := -c release --product swiftpg -Xswiftc -static-stdlib \
	-Xlinker --version-script=$(CURDIR)/Sources/SwiftPGCAPI/exports.map

# PyTorch for the SB3 anchor: the CPU wheel this machine's pip configuration
# finds (find-links /opt/wheels); unpinned, pip takes a newer CUDA build from
# PyPI with gigabytes of dependencies.
TORCH_CPU := torch==2.13.0+cpu
# The JAX anchor's venv (make bench): versions that work together.
JAX_BENCH_PINS := "jax[cpu]==0.10.2" jaxlib==0.10.2 flax==0.12.8 optax==0.2.8 gymnax==0.0.9 six==1.17.0 \
	gymnasium==1.4.0 numpy==2.4.6

.PHONY: all setup lib install demo test test-swift test-c test-python bench fuzz sanitize docs clean wheel test-sgemm-clones test-training-clones fuzz-training-kernels repro-tanh-nan

all: lib

# The core for the demo and the library; `make test` and its parts also
# install what the tests need (tools/setup.sh --tests).
setup:
	@PYTHON=$(PYTHON) tools/setup.sh $(SETUP_ARGS)
test test-swift test-c test-python: SETUP_ARGS = --tests

# swift build is incremental, so it always runs; the copy happens when the
# library changed.
lib: setup
	swift build $(SO_FLAGS)
	@# Copy then rename: overwriting the file in place would corrupt it under running processes.
	@cmp -s $(BUILD)/libswiftpg.so $(SO) || { cp $(BUILD)/libswiftpg.so $(SO).new && mv -f $(SO).new $(SO) && \
		echo "updated $(SO)"; }
	@$(MAKE) --no-print-directory $(GAMESTATE)

# The compiled per-move core of swiftpg.games.State (python/swiftpg/_gamestate.c:
# a CPython extension over the C ABI; ctypes alone is slower per call than
# pyspiel). Rebuilt when its source or the header changes.
EXT_SUFFIX := $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
PY_INCLUDE := $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_paths()['include'])")
GAMESTATE := python/swiftpg/_gamestate$(EXT_SUFFIX)

$(GAMESTATE): python/swiftpg/_gamestate.c Include/swiftpg.h
	cc -std=c11 -O2 -shared -fPIC -Wall -Wextra -Werror -IInclude -I$(PY_INCLUDE) $< -o $@.new && mv -f $@.new $@

# Editable install of the Python package (skipped when already installed here).
install: lib
	@if $(PYTHON) -c "import swiftpg, os, sys; sys.exit(0 if os.path.realpath(swiftpg.__file__).startswith(os.path.realpath('python')) else 1)" 2>/dev/null; then \
		echo "swiftpg: editable install already in place"; \
	else \
		echo "pip install -e python"; \
		$(PYTHON) -m pip install -q --disable-pip-version-check --no-build-isolation -e python; \
	fi

# A manylinux wheel in dist/ that bundles OpenBLAS (tools/build_wheel.sh).
wheel: lib
	@PYTHON=$(PYTHON) tools/build_wheel.sh dist

demo: install
	@mkdir -p out
	$(PYTHON) -m swiftpg train CartPole-v1 --algo reinforce --seed 0 --plot out/cartpole_reinforce.png

# The Swift tests (a debug build in their own scratch folder, so SwiftPM's
# lock on .build does not serialise them behind the library) run beside the
# library build and the C and Python tests: two jobs on two cores, each
# job's output printed whole when it ends.
test: setup
	@echo "make test: the Swift tests run beside the library, C and Python tests; each prints when it ends"
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-swift test-c test-python

test-swift: setup
	swift test --scratch-path .build-tests

# Each C test program is built against the shipped library and run; every one
# links libm and pthreads (those that do not need them lose nothing).
C_TESTS := test_cartpole test_no_alloc test_config_size test_sequences test_games test_game_players test_adr test_dqn test_board_networks test_alphago_pipeline

test-c: lib
	@mkdir -p Tests/c/build
	@set -e; for t in $(C_TESTS); do \
		echo "cc Tests/c/$$t.c && Tests/c/build/$$t"; \
		cc -std=c11 -Wall -Wextra -Werror -IInclude Tests/c/$$t.c -Lpython/swiftpg -lswiftpg \
			-Wl,-rpath,$(CURDIR)/python/swiftpg -lm -pthread -o Tests/c/build/$$t; \
		Tests/c/build/$$t; \
	done
	@$(MAKE) --no-print-directory test-sgemm-clones
	@$(MAKE) --no-print-directory test-training-clones
	@$(MAKE) --no-print-directory repro-tanh-nan

# Two pytest workers (pytest-xdist): the suite is mostly single-threaded.
# --dist loadgroup keeps the tests of one xdist_group on one worker (the Ray
# tests share one local Ray instance); ungrouped tests are spread as before.
test-python: install
	$(PYTHON) -m pytest -q -n 2 --dist loadgroup python/tests

# EnvPool is an anchor of the benchmarks only (not needed by the tests).
bench: install
	@$(PYTHON) -c "import envpool" 2>/dev/null || { echo "pip install envpool"; \
		$(PYTHON) -m pip install -q --disable-pip-version-check envpool || echo "EnvPool not installable: benchmarks run without it"; }
	$(PYTHON) bench/env_throughput.py
	$(PYTHON) bench/policy_inference.py
	$(PYTHON) bench/reinforce_cartpole.py
	@$(PYTHON) -c "import rlax" 2>/dev/null || { echo "pip install jax rlax"; \
		$(PYTHON) -m pip install -q --disable-pip-version-check "jax[cpu]" rlax || echo "rlax not installable: the estimator benchmark runs without it"; }
	$(PYTHON) bench/estimators.py
	$(PYTHON) examples/estimator_lab.py
	$(PYTHON) bench/pg_results.py
	$(PYTHON) bench/cli_defaults.py
	@# SB3 + PyTorch (several GB) go into their own venv, not the user's environment.
	@.bench-venv/bin/python -c "import stable_baselines3" 2>/dev/null || { echo "pip install stable-baselines3 into .bench-venv"; \
		$(PYTHON) -m venv .bench-venv && .bench-venv/bin/python -m pip install -q --disable-pip-version-check \
		"$(TORCH_CPU)" stable-baselines3 || echo "stable-baselines3 not installable: the PPO comparison runs without it"; }
	$(PYTHON) bench/ppo_vs_sb3.py $$(.bench-venv/bin/python -c "import stable_baselines3" 2>/dev/null && \
		echo --sb3-python .bench-venv/bin/python)
	@# Issue 21: SB3's check_env on every registered env, make_vec_env, the SB3 VecEnv adapter's
	@# transitions against DummyVecEnv, and SB3 PPO trained through it (this checkout's package).
	@if .bench-venv/bin/python -c "import stable_baselines3" 2>/dev/null; then \
		PYTHONPATH=$(CURDIR)/python .bench-venv/bin/python bench/sb3_interop.py; \
	else echo "stable-baselines3 not installed: bench/sb3_interop.py skipped"; fi
	@# Issue 19: DQN against SB3's DQN at the zoo's settings (one torch thread), then DQN vs REINFORCE vs PPO over 5 seeds.
	$(PYTHON) bench/dqn_vs_sb3.py $$(.bench-venv/bin/python -c "import stable_baselines3" 2>/dev/null && \
		echo --sb3-python .bench-venv/bin/python)
	$(PYTHON) bench/dqn_vs_pg_cartpole.py
	@# Issue 15: sequence sampling, SFT and reward-model fitting against the same models in PyTorch.
	$(PYTHON) bench/preferences_vs_torch.py
	@# Issue 16: the miniature RLHF table over 10 seeds and the over-optimisation curves (a few minutes).
	$(PYTHON) bench/rlhf_table.py
	@# Issue 16: one RLOO (k = 4) training run on the summarise task against the same update in PyTorch.
	$(PYTHON) bench/rloo_vs_torch.py $$(.bench-venv/bin/python -c "import torch" 2>/dev/null && \
		echo --torch-python .bench-venv/bin/python)
	@# JAX + gymnax for the PureJaxRL-style PPO anchor (bench/jax_ppo_cartpole.py), also in their
	@# own venv, pinned to a set that installs and runs together (gymnax 0.0.9 imports six without
	@# declaring it).
	@.bench-jax-venv/bin/python -c "import jax, flax, optax, gymnax" 2>/dev/null || { echo "pip install jax gymnax flax optax into .bench-jax-venv"; \
		$(PYTHON) -m venv .bench-jax-venv && .bench-jax-venv/bin/python -m pip install -q --disable-pip-version-check \
		$(JAX_BENCH_PINS) || echo "JAX/gymnax not installable: the benchmarks run without the JAX anchor"; }
	@# swiftpg's default PPO against the JAX anchor and SB3 in one run (the issue-14 table), and the roofline.
	$(PYTHON) bench/ppo_anchors.py
	$(PYTHON) bench/roofline.py
	@# Rollouts with the policy in the loop: in-Swift collect, the Python-driven loop and a JAX scan.
	$(PYTHON) bench/rollouts.py
	@# Issue 17: random playouts against OpenSpiel (pyspiel), after 2,000 games per variant aligned move by move,
	@# then PettingZoo's classic envs and pgx (in the JAX venv).
	@.bench-jax-venv/bin/python -c "import pgx" 2>/dev/null || { echo "pip install pgx into .bench-jax-venv"; \
		.bench-jax-venv/bin/python -m pip install -q --disable-pip-version-check pgx==2.6.0 || echo "pgx not installable: no pgx rows"; }
	$(PYTHON) bench/games_vs_openspiel.py --align 2000 $$(.bench-jax-venv/bin/python -c "import pgx" 2>/dev/null && \
		echo --pgx-python .bench-jax-venv/bin/python)
	@# Issue 17: the Connect Four solver per game stage, then the empty board and the seven first moves (long).
	$(PYTHON) bench/connect_four_solver.py --full
	@# Issue 20: PPO without randomisation, with ADR and with uniform randomisation over ADR's range, on a
	@# held-out 5 x 5 grid of pole lengths and masses and one unseen system (3 seeds, about 2 minutes).
	$(PYTHON) bench/adr_transfer.py --json bench/results/adr_transfer.json --plot bench/results/adr_transfer.png
	$(PYTHON) examples/short_corridor_reinforce.py
	$(PYTHON) examples/simple_regulator_gradients.py
	@# Issue 18: UCT and PUCT simulations per second against pyspiel's MCTSBot, self-play games per second
	@# against OpenSpiel's (JAX) AlphaZero in the JAX venv; then the small-game results (perfect play, ~15 min).
	@.bench-jax-venv/bin/python -c "from open_spiel.python.algorithms.alpha_zero import model_nnx" 2>/dev/null || { \
		echo "pip install open_spiel chex orbax-checkpoint into .bench-jax-venv"; \
		.bench-jax-venv/bin/python -m pip install -q --disable-pip-version-check open_spiel chex orbax-checkpoint \
		$(JAX_BENCH_PINS) || echo "OpenSpiel's AlphaZero not installable: no AlphaZero row"; }
	$(PYTHON) bench/alphago_throughput.py --json bench/results/alphago_throughput.json \
		$$(.bench-jax-venv/bin/python -c "from open_spiel.python.algorithms.alpha_zero import model_nnx" 2>/dev/null \
		&& echo --openspiel-az-python .bench-jax-venv/bin/python)
	$(PYTHON) bench/alphago_small_games.py
	@# Issue 18: small Go (5x5, 7x7) against random and GNU Go at level 0 (about 35 min); GNU Go from apt.
	@command -v gnugo >/dev/null 2>&1 || [ -x /usr/games/gnugo ] || { echo "apt-get install gnugo"; \
		{ if [ "$$(id -u)" -eq 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnugo; \
		else sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnugo; fi; } >/dev/null \
		|| echo "GNU Go not installable here (needs root or sudo; apt-get install gnugo): bench/alphago_go.py runs without the GNU Go games"; }
	$(PYTHON) bench/alphago_go.py
	@# Issue 22: Ray rollout workers, 1 and 2 workers against the single-process learner, and the scaling model.
	$(PYTHON) bench/ray_scaling.py
	@# Issue 18: Connect Four 6x7, the four steps at 8 minutes each and the ablation (SL, + self-play, + value,
	@# + search) against UCT and minimax, with mistake rates by stage (about an hour; checkpoints in runs/).
	$(PYTHON) bench/alphago_connect_four.py

# API documentation from the docstrings (pdoc), into docs/site/index.html.
docs: install
	@$(PYTHON) -c "import pdoc" 2>/dev/null || { echo "pip install pdoc"; $(PYTHON) -m pip install -q --disable-pip-version-check pdoc; }
	$(PYTHON) -m pdoc swiftpg -o docs/site
	@echo "open docs/site/index.html"

# Long fuzzing (tools/fuzz/README.md): the seed corpus, then FUZZ_SECONDS of
# each fuzzer with a fresh seed (printed; replay with --seed).
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= $(shell date +%s)
fuzz: install
	@status=0; \
	$(PYTHON) tools/fuzz/corpus.py || status=1; \
	$(PYTHON) tools/fuzz/fuzz_c.py --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) --threads || status=1; \
	$(PYTHON) tools/fuzz/fuzz_python.py --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) || status=1; \
	exit $$status

# Sanitizers (not part of `make test`; each in its own build folder):
#  1. the Swift tests under AddressSanitizer;
#  2. the Python tests against an AddressSanitizer build of the library
#     (the ASan runtime preloaded into Python; leak checking off, since the
#     interpreter itself keeps memory until exit);
#  3. the Swift tests under ThreadSanitizer (the C kernels are built without
#     their instruction-set dispatch there, see Sources/CMathShims);
#  4. the training kernels' fuzz harness under ASan + UBSan (fuzz-training-kernels).
SWIFT_LIB_DIR := $(dir $(shell command -v swift 2>/dev/null))../lib
ASAN_RUNTIME := $(firstword $(wildcard $(SWIFT_LIB_DIR)/clang/*/lib/linux/libclang_rt.asan-x86_64.so))
sanitize: install
	LSAN_OPTIONS=suppressions=$(CURDIR)/tools/sanitize/lsan.supp swift test --sanitize=address --build-path .build-asan
	swift build -c release --product swiftpg --sanitize=address --build-path .build-asan-lib \
		-Xlinker --version-script=$(CURDIR)/Sources/SwiftPGCAPI/exports.map
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 LD_PRELOAD=$(ASAN_RUNTIME) \
		LD_LIBRARY_PATH=$(SWIFT_LIB_DIR)/swift/linux SWIFTPG_LIBRARY=$(CURDIR)/.build-asan-lib/release/libswiftpg.so \
		SWIFTPG_SANITIZER=address $(PYTHON) -m pytest -q -p no:cacheprovider python/tests
	TSAN_OPTIONS=halt_on_error=1 swift test --sanitize=thread --build-path .build-tsan
	@$(MAKE) --no-print-directory fuzz-training-kernels

clean:
	rm -rf docs/site .build .build-tests .build-asan .build-asan-lib .build-tsan Tests/c/build $(SO) out

# spg_sgemm's three instruction-set variants, compiled apart, against the
# scalar loop bit for bit (the library runs only the variant of this CPU).
test-sgemm-clones:
	@mkdir -p Tests/c/build
	@for v in avx512:-mavx512f avx2:-mavx2 base:-mno-avx; do \
		clang -O2 $${v#*:} -ISources/CMathShims/include -DSPG_GEMM_NO_DISPATCH=1 \
			-Dspg_sgemm=sg_$${v%%:*} -Dspg_to_float_transposed=tr_$${v%%:*} \
			-c Sources/CMathShims/sgemm.c -o Tests/c/build/sgemm_$${v%%:*}.o || exit 1; \
	done
	clang -O2 -ISources/CMathShims/include -c Sources/CMathShims/sgemm.c -o Tests/c/build/sgemm_dispatch.o
	clang -O2 -Dsg512=sg_avx512 -Dsg2=sg_avx2 -Dsg0=sg_base Tests/c/sgemm_clones.c Tests/c/build/sgemm_*.o \
		-lm -o Tests/c/build/sgemm_clones
	Tests/c/build/sgemm_clones

# The float64 training kernels (training.c) and the tanh of cmath_shims.c:
# each instruction-set variant compiled apart, against the scalar arithmetic
# and each other.
SHIM_SYMBOLS := spg_adam_step spg_add_float spg_all_finite spg_backward_row spg_sum_squares spg_tanh_inplace \
	spg_tanhf_inplace spg_to_double spg_to_float spg_sum_rows spg_sum_rows_f spg_tanh_backward spg_tanh_backward_f
test-training-clones:
	@mkdir -p Tests/c/build
	@for v in avx512:-mavx512f avx2:-mavx2:-mfma base:-mno-avx; do \
		n=$${v%%:*}; f=$$(echo $${v#*:} | tr ':' ' '); \
		clang -O2 $$f -ISources/CMathShims/include -DSPG_TRAIN_NO_DISPATCH=1 -Wno-psabi \
			-Dspg_dgemm=dg_$$n -Dspg_exp_nonpositive=ex_$$n -Dspg_softmax_cross_entropy=xe_$$n \
			-Dspg_fma_project=fp_$$n -Dspg_gather_rows=gr_$$n -Dspg_scatter_rows=sr_$$n \
			-Dspg_scatter_finish=sf_$$n -c Sources/CMathShims/training.c -o Tests/c/build/training_$$n.o || exit 1; \
	done
	@for v in avx512:-mavx512f avx2:-mavx2:-mfma base:-mno-avx; do \
		n=$${v%%:*}; f=$$(echo $${v#*:} | tr ':' ' '); \
		clang -O2 $$f -ISources/CMathShims/include -DSPG_NO_DISPATCH=1 \
			$(foreach s,$(SHIM_SYMBOLS),-D$(s)=$(s)_$$n) \
			-c Sources/CMathShims/cmath_shims.c -o Tests/c/build/training_shims_$$n.o || exit 1; \
	done
	clang -O2 -ISources/CMathShims/include -c Sources/CMathShims/training.c -o Tests/c/build/training_dispatch.o
	clang -O2 -ISources/CMathShims/include -c Sources/CMathShims/cmath_shims.c -o Tests/c/build/training_shims_dispatch.o
	clang -O2 Tests/c/training_clones.c Tests/c/build/training_*.o -lm -o Tests/c/build/training_clones
	Tests/c/build/training_clones

# Fuzz harness of the training kernels under ASan + UBSan (not part of `make
# test`): each instruction-set variant compiled apart (-mavx512f; -mfma, the
# library's "fma" clone; -mavx2 -mfma; -mno-avx, the baseline with libm fma)
# and the dispatched build, every operand allocated to its exact size.
# FUZZ_TRAINING_SECONDS of random dgemm shapes after the fixed grid.
FUZZ_TRAINING_SECONDS ?= 60
FUZZ_TRAINING_SEED ?= 0x9e3779b97f4a7c15
# Another source in its place (a mutated copy, to check the harness catches a planted bug).
FUZZ_TRAINING_SRC ?= Sources/CMathShims/training.c
FUZZ_TRAINING_BUILD ?= Tests/c/build/fuzz
FUZZ_TRAINING_CFLAGS := -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wno-psabi -ISources/CMathShims/include
TRAINING_SYMBOLS := spg_dgemm spg_exp_nonpositive spg_softmax_cross_entropy spg_fma_project spg_gather_rows \
	spg_scatter_rows spg_scatter_finish
fuzz-training-kernels:
	@mkdir -p $(FUZZ_TRAINING_BUILD)
	@for v in v512:-mavx512f vfma:-mfma vavx2:-mavx2:-mfma vbase:-mno-avx; do \
		n=$${v%%:*}; f=$$(echo $${v#*:} | tr ':' ' '); \
		clang $(FUZZ_TRAINING_CFLAGS) $$f -DSPG_TRAIN_NO_DISPATCH=1 $(foreach s,$(TRAINING_SYMBOLS),-D$(s)=$(s)_$$n) \
			-c $(FUZZ_TRAINING_SRC) -o $(FUZZ_TRAINING_BUILD)/training_$$n.o || exit 1; \
		clang $(FUZZ_TRAINING_CFLAGS) $$f -DSPG_NO_DISPATCH=1 $(foreach s,$(SHIM_SYMBOLS),-D$(s)=$(s)_$$n) \
			-c Sources/CMathShims/cmath_shims.c -o $(FUZZ_TRAINING_BUILD)/shims_$$n.o || exit 1; \
	done
	clang $(FUZZ_TRAINING_CFLAGS) -c $(FUZZ_TRAINING_SRC) -o $(FUZZ_TRAINING_BUILD)/training_dispatch.o
	clang $(FUZZ_TRAINING_CFLAGS) -c Sources/CMathShims/cmath_shims.c -o $(FUZZ_TRAINING_BUILD)/shims_dispatch.o
	clang $(FUZZ_TRAINING_CFLAGS) -fuse-ld=lld Tests/c/fuzz_training_kernels.c $(FUZZ_TRAINING_BUILD)/*.o -lm \
		-o $(FUZZ_TRAINING_BUILD)/fuzz_training_kernels
	ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(FUZZ_TRAINING_BUILD)/fuzz_training_kernels $(FUZZ_TRAINING_SECONDS) $(FUZZ_TRAINING_SEED)
	@# The clone each resolver picks for forced CPU feature words (none, FMA, AVX-512F, both), and the same bits.
	@mkdir -p $(FUZZ_TRAINING_BUILD)/o2
	@clang -O2 -ISources/CMathShims/include -c $(FUZZ_TRAINING_SRC) -o $(FUZZ_TRAINING_BUILD)/o2/training.o
	@clang -O2 -ISources/CMathShims/include -c Sources/CMathShims/cmath_shims.c -o $(FUZZ_TRAINING_BUILD)/o2/shims.o
	@for w in 0 0x4000 0x8000 0xc000; do \
		clang -O2 -DFEATURES=$$w Tests/c/training_dispatch.c $(FUZZ_TRAINING_BUILD)/o2/training.o \
			$(FUZZ_TRAINING_BUILD)/o2/shims.o -lm -o $(FUZZ_TRAINING_BUILD)/o2/training_dispatch_$$w || exit 1; \
		$(FUZZ_TRAINING_BUILD)/o2/training_dispatch_$$w || exit 1; \
	done

# Reproducer: tanh of NaN is NaN in every variant of the tanh kernels.
repro-tanh-nan:
	@mkdir -p Tests/c/build/repro
	@for v in v512:-mavx512f vfma:-mfma vbase:-mno-avx; do \
		n=$${v%%:*}; \
		clang -O2 $${v#*:} -ISources/CMathShims/include -DSPG_NO_DISPATCH=1 \
			$(foreach s,$(SHIM_SYMBOLS),-D$(s)=$(s)_$$n) \
			-c Sources/CMathShims/cmath_shims.c -o Tests/c/build/repro/shims_$$n.o || exit 1; \
	done
	clang -O2 -ISources/CMathShims/include -c Sources/CMathShims/cmath_shims.c -o Tests/c/build/repro/shims_dispatch.o
	clang -O2 Tests/c/repro_tanh_nan.c Tests/c/build/repro/shims_*.o -lm -o Tests/c/build/repro/repro_tanh_nan
	Tests/c/build/repro/repro_tanh_nan
