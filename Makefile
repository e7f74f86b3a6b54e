# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench venv clean browser fonts lab

# The studio's browser tests drive Debian's Chromium; install it where missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Create the virtual environment and install fcnet with every extra, once:
# the stamp is rebuilt only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[backends,studio,dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP) fonts
	$(VENV)/bin/fcnet demo

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests examples benchmarks
	$(VENV)/bin/ruff format --check src tests examples benchmarks
	$(VENV)/bin/mypy

browser:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }

# Chinese figures (fcnet.fonts) need a CJK font; Debian's Noto CJK where none is installed.
fonts:
	@fc-list :lang=zh family 2>/dev/null | grep -q . || { $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q fonts-noto-cjk; }

# Two test workers on two cores, one BLAS/OpenMP thread each: a second thread per worker
# would only wait for a core (and spinning OpenMP threads collapse on a busy machine).
test: lint browser fonts
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(VENV)/bin/pytest -n 2 -q

# The exercises' notebooks (notebooks/, Chinese in notebooks/zh/) in JupyterLab, served on
# this machine only (127.0.0.1). JupyterLab (pinned in pyproject.toml's "lab" extra) is
# installed into .venv on the first `make lab`, not by `make demo` or `make test`.
lab: $(STAMP)
	@test -x $(VENV)/bin/jupyter-lab || $(PY) -m pip install --quiet -e '.[lab]'
	$(VENV)/bin/jupyter-lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks

bench: $(STAMP)
	$(PY) -m benchmarks $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
