# Two commands on a fresh machine:  `make study` (the main job) and `make test`.
# Uses the active virtualenv/conda env if there is one, else creates .venv here.
ENV_DIR := $(or $(VIRTUAL_ENV),$(CONDA_PREFIX),$(CURDIR)/.venv)
PY := $(ENV_DIR)/bin/python
STAMP := $(ENV_DIR)/.reidlab-installed
# torch 2.14.1 + torchvision 0.29.1 are a matching pair on PyPI (the CUDA build also runs on CPU).
TORCH := torch==2.14.1 torchvision==0.29.1

.PHONY: install study book test book-check bench cpu-study gpu-study gpu-rehearse
install: $(STAMP)

$(PY):
	python3 -m venv $(ENV_DIR)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH) -e ".[dev,cluster]"
	touch $(STAMP)

PROFILE ?= smoke
study: install  ## the whole study at $(PROFILE) (real data if REIDLAB_DATA_ROOT is set, else a synthetic demo) + the books
	$(PY) -m reidlab prepare
	$(PY) -m reidlab book --profile $(PROFILE)
	$(PY) -m reidlab book --from-results

book: install  ## the real study's book, from the pages committed in results/ (no data, no training)
	$(PY) -m reidlab book --from-results

test: install  ## unit tests, then every notebook at the smoke profile on synthetic data (nbmake)
	$(PY) -m pytest -q tests
	REIDLAB_DATA_ROOT= $(PY) -m pytest -q notebooks --nbmake

CHECK_DIR ?= _build/screenshots
book-check: install  ## both books, every page checked in chromium: the demo (smoke, synthetic) and the real one
	REIDLAB_DATA_ROOT= $(PY) -m reidlab book --profile smoke --check $(CHECK_DIR)/demo
	$(PY) -m reidlab book --from-results --check $(CHECK_DIR)/real

bench: install
	$(PY) benchmarks/load_data.py
	$(PY) benchmarks/train_eval.py
	$(PY) benchmarks/schedules.py --runs 2 --epochs 1
	$(PY) benchmarks/conv_forms.py --runs 2 --pairs 2
	$(PY) benchmarks/cpu_layout.py --epochs 2
	$(PY) benchmarks/study_command.py

cpu-study: install  ## the CPU's share of the real study at the fast profile: two 1-thread readers of scripts/cpu_queue (a study per line, shell words), each skipping the runs the other trains
	@test -n "$$REIDLAB_DATA_ROOT" || { echo "set REIDLAB_DATA_ROOT to the folder holding PETA/ and CUHK01/" >&2; exit 2; }
	for reader in 1 2; do (while read -r args; do eval OMP_NUM_THREADS=1 $(PY) -m reidlab study "$$args" --profile fast --jobs 1 || exit; done < scripts/cpu_queue) & done; wait

gpu-rehearse:  ## after scripts/gpu_prepare.sh, before the call: one step of every group it would form, on this CPU, from what it carries; nothing stored
	REHEARSE=1 scripts/gpu_study.sh

gpu-study:  ## on a lent GPU machine: the study's pending queue to a deadline (scripts/gpu_study.sh)
	scripts/gpu_study.sh
