# gr-neuralmimo: set-up, build, test, demo.
#   make demo   everything needed, then the hardware-free loopback demo
#   make test   everything needed, then ctest (C++ and GNU Radio QA) and pytest
# Every step is idempotent: a second run only rebuilds what changed.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := $(CURDIR)/.venv
PY       := $(VENV)/bin/python
BUILD    := $(CURDIR)/build
JOBS     ?= $(shell nproc)
APT_PKGS := gnuradio gnuradio-dev pybind11-dev python3-pybind11 cmake g++ make \
            libspdlog-dev libgmp-dev libboost-test-dev python3-venv python3-yaml \
            python3-pyqtgraph gir1.2-gtk-3.0 xvfb xauth
GRCC     := $(PY) /usr/bin/grcc

.PHONY: help setup deps venv build demo test test-cpp test-py bench grc gui-loopback gui-replay gui-usrp screenshots \
        models fuzz fuzz-py soak clean distclean

help:
	@echo "make demo   set up everything and run the hardware-free demo"
	@echo "make test   set up everything and run every test"
	@echo "make bench  throughput benchmark (figures for docs/results.md)"
	@echo "make soak   10-minute OFDM loopback soak run (SOAK_SECONDS=600)"
	@echo "make fuzz-py  fuzz the file readers with FUZZ_EXAMPLES=2000 examples per property"
	@echo "make grc    open the examples in GNU Radio Companion"
	@echo "make gui-loopback | gui-replay | gui-usrp   the live Qt GUI flowgraphs (ARGS=... their options)"
	@echo "make screenshots  docs/figures/gui_*.png from the GUI flowgraphs on a virtual display (Xvfb)"
	@echo "make models re-export the shipped ONNX models"
	@echo "make fuzz   libFuzzer on the C++ kernels (FUZZ_SECONDS=60 per harness)"

# --- system packages (Debian bookworm) -------------------------------------
deps:
	@if dpkg -s $(APT_PKGS) >/dev/null 2>&1; then \
	  echo "deps: Debian packages present"; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(APT_PKGS); \
	fi

# --- Python venv (sees Debian's GNU Radio; numpy < 2) ------------------------
$(VENV)/.installed: requirements.txt constraints.txt | deps
	@test -x $(PY) || /usr/bin/python3 -m venv --system-site-packages $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -r requirements.txt
	@touch $@

venv: $(VENV)/.installed

# --- C++ library, bindings, Python package: built and installed into the venv
build: venv
	@if [ ! -f $(BUILD)/CMakeCache.txt ]; then \
	  SITE=$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
	  cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(VENV) \
	    -DGR_PYTHON_DIR=$$SITE -DPYTHON_EXECUTABLE=$(PY) >/dev/null; \
	fi
	@# GrPybind's docstring stamp does not depend on the templates: a block added since the last
	@# build (a cached build folder) would miss its generated docstring header.
	@STAMP=$(BUILD)/python/neuralmimo/bindings/docstring_status; \
	  if [ -f $$STAMP ] && [ -n "$$(find python/neuralmimo/bindings/docstrings -newer $$STAMP)" ]; then rm -f $$STAMP; fi
	@set -o pipefail; env -u MAKEFLAGS -u MAKELEVEL cmake --build $(BUILD) -j$(JOBS) \
	  | { grep -v -E '^\[ *[0-9]+%\] (Built|Copying|Generating)' || true; } \
	  || { echo "build failed"; exit 1; }
	@test -f $(BUILD)/lib/libgnuradio-neuralmimo.so || { echo "build failed"; exit 1; }
	@# A module deleted or moved in the source tree must not linger in the venv (it would hide a
	@# stale import): the installed package is replaced whole.
	@rm -rf "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/neuralmimo"
	@cmake --install $(BUILD) | grep -v -E 'Up-to-date|Installing|Set runtime path' || true
	@$(PY) -c "from gnuradio import neuralmimo; import neuralmimo; neuralmimo.lmmse_detector; neuralmimo.ofdm_rx" \
	  || { echo "install check failed"; exit 1; }

setup: build

# --- the two commands of the README ----------------------------------------
demo: setup
	$(PY) -m neuralmimo.cli.demo

test: setup
	$(MAKE) --no-print-directory test-cpp test-py

test-cpp:
	cd $(BUILD) && ctest --output-on-failure

# The algorithm tests run on the source tree; the C++ receiver's comparison and the C++ MMNet
# and soft-bit kernels' need the installed package (the source tree has no compiled module), so they run
# without PYTHONPATH.
test-py:
	PYTHONPATH=$(CURDIR)/python $(PY) -m pytest -q tests --ignore=tests/test_ofdm_rx_cpp.py \
	  --ignore=tests/test_mmnet_kernel.py --ignore=tests/test_softbit_kernel.py \
	  -k "not test_split_path_equals_the_whole_graph or not cpp"
	NEURALMIMO_REQUIRE_CPP=1 $(PY) -m pytest -q -p no:cacheprovider tests/test_ofdm_rx_cpp.py tests/test_mmnet_kernel.py \
	  tests/test_softbit_kernel.py tests/test_hypermimo.py \
	  -k "test_mmnet_kernel or test_ofdm_rx_cpp or test_softbit_kernel or (test_split_path_equals_the_whole_graph and cpp)"

# --- extras -----------------------------------------------------------------
# The benchmarks are python/neuralmimo/bench/ (and bench/ for the C++ kernels, built by `make build`).
bench: setup
	$(PY) -m neuralmimo.cli.bench
	$(PY) -m neuralmimo.cli.bench detectors
	$(PY) -m neuralmimo.cli.bench cg
	$(PY) -m neuralmimo.cli.bench cg --order ofdm --hold 12
	$(PY) -m neuralmimo.cli.bench ofdm

# Fuzzing of the file readers (SigMF, manifests, models) with many more examples than make test
# runs (FUZZ_EXAMPLES per property; tests/test_loader_fuzz.py).
FUZZ_EXAMPLES ?= 2000
fuzz-py: setup
	NEURALMIMO_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) PYTHONPATH=$(CURDIR)/python $(PY) -m pytest -q -p no:cacheprovider \
	  --hypothesis-show-statistics tests/test_loader_fuzz.py

# Soak run (minutes, not in make test): the OFDM loopback flowgraph with the C++ and an ONNX
# detector for SOAK_SECONDS; memory, BER drift, items in = items out (neuralmimo.bench.soak).
SOAK_SECONDS ?= 600
soak: setup
	$(PY) -m neuralmimo.bench.soak --seconds $(SOAK_SECONDS)

grc: setup
	GRC_BLOCKS_PATH=$(CURDIR)/grc $(PY) /usr/bin/gnuradio-companion examples/*.grc

# The Qt GUI examples, compiled with grcc into build/examples and run (ARGS: their command-line
# options, e.g. make gui-replay ARGS="--recording my.sigmf-meta", make gui-usrp ARGS="--nchan 4").
# One OpenBLAS thread: GNU Radio runs a thread per block, and numpy's OpenBLAS worker, started by
# the channel simulator's small products, otherwise spin-waits on a core of its own.
GUI_DIR := $(BUILD)/examples
GUI_ENV := OPENBLAS_NUM_THREADS=$${OPENBLAS_NUM_THREADS:-1}
$(GUI_DIR)/%.py: examples/%.grc | setup
	@mkdir -p $(GUI_DIR)
	@GRC_BLOCKS_PATH=$(CURDIR)/grc $(GRCC) -o $(GUI_DIR) $< >/dev/null || { echo "grcc failed on $<"; exit 1; }
gui-loopback: $(GUI_DIR)/ofdm_loopback_gui.py
	$(GUI_ENV) $(PY) $< $(ARGS)
gui-replay: $(GUI_DIR)/replay_gui.py
	$(GUI_ENV) $(PY) $< $(ARGS)
gui-usrp: $(GUI_DIR)/usrp_rx_gui.py
	$(GUI_ENV) $(PY) $< $(ARGS)

# Screenshots for the docs: each GUI flowgraph for 8 s on a virtual display (the GUI tests' tool),
# usrp_rx_gui with the shipped recording standing in for the radio.
SHOT = $(GUI_ENV) xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) -m neuralmimo.cli.gui_shot --seconds 8
screenshots: $(GUI_DIR)/ofdm_loopback_gui.py $(GUI_DIR)/replay_gui.py $(GUI_DIR)/usrp_rx_gui.py
	$(SHOT) $(GUI_DIR)/ofdm_loopback_gui.py --out $(BUILD)/shots/loopback
	$(SHOT) $(GUI_DIR)/replay_gui.py --out $(BUILD)/shots/replay
	$(SHOT) $(GUI_DIR)/usrp_rx_gui.py --out $(BUILD)/shots/usrp --radio-from tests/data/ofdm_loopback_2x2.sigmf-meta \
	  --set samp_rate=100e3
	cp $(BUILD)/shots/loopback/window.png docs/figures/gui_loopback.png
	cp $(BUILD)/shots/replay/window.png docs/figures/gui_replay.png
	cp $(BUILD)/shots/usrp/window.png docs/figures/gui_usrp_rx.png

# Shipped trained models (config:model): the LcgNetV ones, the 2x2 DetNet of the OFDM link and the
# RE-MIMO model for Nt = 1..4 at Nr = 4, trained from their CPU-default configs (about 40 minutes
# in all on 2 cores), then exported
# with their manifests. The checkpoints stay in runs/.
TRAINED_MODELS := lcgnetv_32x64_bpsk:lcgnetv_bpsk_32x64 lcgnetv_4x4_qam16:lcgnetv_qam16_4x4 \
                  lcgnetv_8x8_qam16:lcgnetv_qam16_8x8 wesnet_2x2_qam16:wesnet_qam16_2x2 \
                  remimo_4x4_qam16:remimo_qam16_4x4 hypermimo_12x6_qpsk:hypermimo_qpsk_12x6 \
                  hypermimo_2x4_qam16:hypermimo_qam16_2x4 eqnet_2x2_qam64:eqnet_qam64_2x2 \
                  eqnet_4x4_qam16:eqnet_qam16_4x4

models: setup
	$(PY) -m neuralmimo.cli.export lmmse --nt 4 --nr 4 --constellation qam16 --out models/lmmse_qam16_4x4.onnx
	@# DetNet and WeSNet-L-50 %, 30x60 BPSK: two of the WeSNet study's variants, with the overrides of
	@# papers/wesnet_variants.py (tests/test_wesnet.py checks the shipped manifests against them)
	@for pair in "detnet_bpsk_30x60:" "wesnet_l50_bpsk_30x60:--set model.profile=linear --set model.keep=0.5"; do \
	  name=$${pair%%:*}; sets=$${pair#*:}; \
	  PYTHONPATH=$(CURDIR)/python $(PY) -m neuralmimo.cli.train python/neuralmimo/train/configs/wesnet_30x60_bpsk.toml \
	    $$sets --out runs/$$name --overwrite --quiet && \
	  PYTHONPATH=$(CURDIR)/python $(PY) -m neuralmimo.cli.export runs/$$name/final.pt --out models/$$name.onnx \
	  || exit 1; \
	done
	@# The soft-bit fronthaul's 3-bit LLR quantisers (examples/softbit_fronthaul.grc, cli/fronthaul.py):
	@# max-MI and uniform designed on flat-Rayleigh LMMSE LLRs of the link's 2x4 16QAM, and max-MI
	@# designed on the coded OFDM loopback's own LLRs (another channel seed than the fronthaul table's).
	@for kind in maxmi uniform; do \
	  $(PY) -m neuralmimo.cli.quantizer design --detector lmmse --nt 2 --nr 4 --constellation qam16 \
	    --snr-db 5 15 --snr-convention rx --channel rayleigh --bits 3 --kind $$kind --vectors 50000 --seed 1 \
	    --out models/quantizer_$${kind}3_qam16_2x4.json || exit 1; \
	done
	$(PY) -m neuralmimo.cli.quantizer design --source ofdm --detector cpp:lmmse --nt 2 --nr 4 --constellation qam16 \
	  --snr-db 8 10 --bits 3 --kind maxmi --frames 30 --seed 7 --out models/quantizer_maxmi3_qam16_2x4_link.json
	@for pair in $(TRAINED_MODELS); do \
	  cfg=$${pair%%:*}; name=$${pair##*:}; \
	  PYTHONPATH=$(CURDIR)/python $(PY) -m neuralmimo.cli.train python/neuralmimo/train/configs/$$cfg.toml \
	    --out runs/$$cfg --overwrite --quiet && \
	  PYTHONPATH=$(CURDIR)/python $(PY) -m neuralmimo.cli.export runs/$$cfg/final.pt --out models/$$name.onnx \
	  || exit 1; \
	done

# Coverage-guided fuzzing of the C++ kernels (fuzz/README.md): bounded time, not part of
# `make test` (which replays fuzz/regressions/ through the same harnesses).
FUZZ_SECONDS ?= 60
fuzz: deps
	@if ! command -v clang++ >/dev/null || ! dpkg -s libclang-rt-14-dev >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev; \
	fi
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run_fuzz.sh

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf $(VENV)
