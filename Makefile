# memxbar set-up and everyday commands. Every target is idempotent and self-sufficient.
#   make demo   install everything (ngspice with KLU, .venv) and run the main job
#   make test   install everything and run the test suite
#   make bench  side-by-side benchmark (memxbar, CrossSim 3.2.0, aihwkit 1.1.0, badcrossbar 1.1.0, ngspice) -> benchmarks/results/
SHELL := /bin/sh
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.memxbar-installed
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.memxbar-bench-installed
BENCH_ARGS ?=
# CrossSim 3.2.0 is not on PyPI: its source (a folder or .tar.gz with pyproject.toml and simulator/)
# is taken from the steering layout's shared/peers/ if present, else from CROSSSIM_SRC=PATH.
CROSSSIM_SRC ?= $(wildcard ../shared/peers/crosssim-3.2.0-src.tar.gz)
OUT := out

.PHONY: demo test setup system clean netlists bench bench-crosssim bench-aihwkit

demo: setup
	@mkdir -p $(OUT)
	$(BIN)/memxbar doctor
	$(BIN)/memxbar compare --rows 64 --cols 64 --r-wl 2 --r-bl 2 --seed 1 \
		--json $(OUT)/demo-compare.json --plot $(OUT)/demo-compare.png --force
	$(BIN)/memxbar simulate --rows 64 --cols 64 --r-wl 2 --r-bl 2 --seed 1 \
		--json $(OUT)/demo-simulate.json --plot $(OUT)/demo-simulate.png --force
	@echo "demo: figures and plots written to $(OUT)/ (files there are rewritten by each demo run)"

test: setup
	$(BIN)/python -m pytest -q

setup: system $(STAMP)

# ngspice >= 42 built with KLU, and its shared library. Debian 12 ships 39.3 without KLU,
# so there it comes from bookworm-backports; other Debian/Ubuntu releases use their own.
system:
	@if ngspice --version 2>/dev/null | grep -q "Compiled with KLU" \
	    && ls /usr/lib/*/libngspice.so* /usr/lib/libngspice.so* /usr/lib64/libngspice.so* \
	       /usr/local/lib/libngspice.so* 2>/dev/null | grep -q . \
	    && $(PYTHON) -c "import venv, ensurepip" 2>/dev/null; then \
	  echo "system: ngspice with KLU, libngspice and Python venv present"; exit 0; fi; \
	if ! grep -qiE '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release 2>/dev/null; then \
	  echo "system: not Debian/Ubuntu. Install ngspice >= 42 built with KLU and its shared library"; \
	  echo "        (e.g. conda install -c conda-forge ngspice-lib), set NGSPICE_LIBRARY_PATH to"; \
	  echo "        libngspice.so, then run make again."; exit 1; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
	  echo "system: need root to install ngspice. As root run:"; \
	  echo "        apt-get install -y ngspice libngspice0 python3-venv (Debian 12: from bookworm-backports)"; \
	  exit 1; fi; \
	. /etc/os-release; \
	if [ "$$VERSION_CODENAME" = bookworm ]; then \
	  grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ || \
	  echo "deb http://deb.debian.org/debian bookworm-backports main" \
	    | $$SUDO tee /etc/apt/sources.list.d/memxbar-bookworm-backports.list >/dev/null; \
	  TARGET="-t bookworm-backports"; else TARGET=; fi; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq python3-venv python3-pip && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$TARGET ngspice libngspice0 && \
	if ! ngspice --version 2>/dev/null | grep -q "Compiled with KLU"; then \
	  echo "system: installed ngspice lacks KLU ($$(ngspice --version | grep -o 'ngspice-[0-9]*' | head -1));"; \
	  echo "        install ngspice >= 42 with KLU from your distribution's backports or conda-forge."; exit 1; fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "setup: installing memxbar and its dependencies into $(VENV) (1-3 minutes on a fresh machine)"
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,speed,verilog-a,nn]'
	touch $(STAMP)

# The whole benchmark takes about an hour on a busy 2-core machine; pass options with e.g. BENCH_ARGS=--quick.
bench: system $(BENCH_STAMP) bench-crosssim bench-aihwkit
	$(BENCH_VENV)/bin/python benchmarks/run.py $(BENCH_ARGS)

# CrossSim into the benchmark's venv, once; without its source the benchmark skips it and says why.
bench-crosssim: $(BENCH_STAMP)
	@if $(BENCH_VENV)/bin/python -c "from simulator.circuits.array import NoninterleavedInputSourceArray" \
	    2>/dev/null; then echo "bench: CrossSim installed"; \
	elif [ -n "$(CROSSSIM_SRC)" ] && [ -e "$(CROSSSIM_SRC)" ]; then \
	  $(BENCH_VENV)/bin/python -m pip install -q "$(CROSSSIM_SRC)"; \
	else echo "bench: CrossSim source not found (not in ../shared/peers/, no CROSSSIM_SRC=PATH given); the"; \
	  echo "       benchmark runs without it. CrossSim 3.2.0 is public (Sandia National Laboratories, BSD-3)"; \
	  echo "       but not on PyPI: get its source and run make bench CROSSSIM_SRC=/path/to/it"; fi

# aihwkit into the benchmark's venv, once: 1.1.0, the last release with a CPython 3.11 wheel (1.2.0 is
# source only and needs a C++/BLAS build), beside the CPU build of torch 2.13.0 (a plain torch
# requirement would pull a CUDA build of several GB). If it cannot be installed, the benchmark skips it.
bench-aihwkit: $(BENCH_STAMP)
	@if $(BENCH_VENV)/bin/python -c "import aihwkit.simulator.configs" 2>/dev/null; then \
	  echo "bench: aihwkit installed"; \
	elif $(BENCH_VENV)/bin/python -m pip install -q --only-binary :all: torch==2.13.0 aihwkit==1.1.0 \
	    >$(BENCH_VENV)/aihwkit-install.log 2>&1 \
	  && $(BENCH_VENV)/bin/python -c "import aihwkit.simulator.configs" 2>/dev/null; then \
	  echo "bench: aihwkit 1.1.0 installed"; \
	else echo "bench: aihwkit could not be installed (see $(BENCH_VENV)/aihwkit-install.log); the benchmark runs without it"; fi

# The benchmark has a venv of its own: badcrossbar installs a top-level package named `tests`
# that would shadow memxbar's. It is installed without its dependencies, because its plotting
# extra (pycairo) needs the cairo C library; its computing part needs only these.
$(BENCH_STAMP): pyproject.toml
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -e '.[speed]'
	$(BENCH_VENV)/bin/python -m pip install -q --no-deps badcrossbar==1.1.0
	$(BENCH_VENV)/bin/python -m pip install -q pathvalidate sigfig
	touch $(BENCH_STAMP)

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(OUT) *.egg-info

# Regenerate the example netlists after an intended change of the netlist format.
netlists: setup
	@cd netlists && ../$(BIN)/python -c "import json, subprocess; \
	[subprocess.run(['../$(BIN)/memxbar', 'netlist', *a, '-o', f, '--force'], check=True) \
	 for f, a in json.load(open('examples.json')).items()]"
