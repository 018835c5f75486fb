# SocialSignalBench — two commands on a fresh clone:  `make demo`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# torch is installed pinned first: a CPU build (a bare `torch` requirement may pull a multi-GB CUDA build).
TORCH_PIN ?= torch==2.13.0
DEMO_CONFIG ?= configs/demo.yaml
export SSB_PROGRESS ?= 1
# Quiet installs: `-qq` hides setuptools' informational build messages; pip still prints errors.
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install dev demo lab test lint sync-check nbtest nbtest-slow pytest docs-check readme bench bench-train clean

help:
	@echo "make demo   - create .venv, install, run the whole benchmark on the demo corpora (ssb --mode all): leaderboard + outputs/index.html"
	@echo "make lab    - JupyterLab on nbs/tutorials/explore.ipynb: browse runs, listen to clips, click the confusion matrix"
	@echo "make test   - .venv with dev extras, flake8, nbdev_clean/nbdev_export no-diff, nbdev_test, docs check, pytest"
	@echo "make docs   - the documentation site without Quarto: site/index.html (make docs-check also checks it)"
	@echo "make bench  - benchmarks/bench_preprocess.py and benchmarks/bench_pipeline.py"
	@echo "make bench-train - benchmarks/bench_train.py: audio CNN, eGeMAPS, logreg, face model, HOG on real data (long)"

$(PY):
	@echo "[make] creating $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -qq --upgrade pip

$(VENV)/.installed: $(PY) setup.py settings.ini
	@echo "[make] installing $(TORCH_PIN) and socialsignalbench (editable) into $(VENV)"
	@$(PY) -m pip install -qq "$(TORCH_PIN)"
	@$(PY) -m pip install -qq -e ".[lab]"
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	@echo "[make] installing the dev extras into $(VENV)"
	@$(PY) -m pip install -qq -e ".[dev,dask,lab,docs,mlflow]"
	@touch $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

# The whole benchmark on the embedded demo corpora (`ssb --mode all`): data, audio and face baselines with the logistic
# reference, fusion, gold slice, evaluation, comparison; ends with the leaderboard and the path of outputs/index.html.
DEMO_MODES ?= all
demo: install
	@$(BIN)/ssb --config $(DEMO_CONFIG) --mode $(DEMO_MODES)

# JupyterLab on the explorer tutorial (jupyterlab and ipywidgets come with the `lab` extra that `install` installs).
lab: install
	$(BIN)/jupyter lab nbs/tutorials/explore.ipynb

test: dev lint sync-check nbtest docs-check pytest

lint: dev
	$(BIN)/flake8 socialsignalbench tests scripts benchmarks examples setup.py

# nbdev_export / nbdev_clean must not change anything: the library is in sync with the notebooks and they are clean.
sync-check: dev
	$(PY) scripts/check_sync.py

# nbdev's tests, each notebook in a fresh interpreter (scripts/nbtest.py says why); warm_up.py compiles librosa's numba
# functions once first, so two notebooks never compile them into the disk cache at the same time.
nbtest: dev
	SSB_PROGRESS=0 $(PY) scripts/warm_up.py
	SSB_PROGRESS=0 $(PY) scripts/nbtest.py --timing

nbtest-slow: dev
	SSB_PROGRESS=0 $(PY) scripts/nbtest.py --flags "slow real" --timing

# The documentation site without Quarto (mkdocs + mkdocs-jupyter over nbdev's processed notebooks): site/index.html.
# Only notebooks changed since the last build are re-processed (FORCE=1 redoes all). `nbdev_docs` needs Quarto.
# The reports page links executed example reports of a tiny demo suite run once into _docs_example/ (a few minutes on
# the first build; delete _docs_example/ to rerun it, SSB_DOCS_EXAMPLES=0 to build without examples).
.PHONY: docs
docs: dev
	SSB_PROGRESS=0 $(PY) scripts/build_docs.py $(if $(FORCE),--force)

# Build it and fail on build errors, broken internal links/anchors, directive text, raw markup or front matter shown.
docs-check: dev
	SSB_PROGRESS=0 $(PY) scripts/check_docs.py

readme: dev
	$(PY) scripts/make_readme.py

pytest: dev
	SSB_PROGRESS=0 $(BIN)/pytest -q tests

bench: install
	$(PY) benchmarks/bench_preprocess.py
	$(PY) benchmarks/bench_pipeline.py

# Audio CNN recipe vs the logistic reference on real RAVDESS (../shared/data), 4-fold by actor: about 25 min.
bench-train: install
	$(PY) benchmarks/bench_train.py

clean:
	rm -rf _proc _docs site build *.egg-info .pytest_cache
