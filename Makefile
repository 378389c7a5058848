# The course's two commands:  `make lab`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.course-installed
# Where tests find the data: ../shared/datasets when it exists (CI), else the loader's defaults.
SHARED_DATA := $(abspath ../shared/datasets)
export COURSE_DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)/mnist),$(SHARED_DATA),)

.PHONY: lab test test-unit test-notebooks test-browser bench data lint clean help

help:
	@echo "make lab    - set up .venv and open the course in JupyterLab"
	@echo "make test   - set up .venv and run every test (unit + notebooks in smoke mode + browser)"
	@echo "make data   - show where the datasets are found and verify them"
	@echo "make bench  - 300-second CPU benchmark of every course model (writes benchmarks/)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -e .
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab chapters/00_start_here.ipynb

data: $(STAMP)
	$(PY) -m helpers data

test: $(STAMP)
	@start=$$(date +%s); \
	COURSE_MODE=smoke $(PY) -m pytest tests chapters --nbval-lax -p no:cacheprovider -m "not browser" \
		--durations=10; status=$$?; \
	end=$$(date +%s); \
	echo "make test: unit tests + notebooks (smoke mode) took $$((end-start)) s, pytest exit $$status"; \
	exit $$status

bench: $(STAMP)
	$(PY) -m helpers bench --seconds 300

lint: $(STAMP)
	$(PY) -m ruff check helpers tests

clean:
	rm -rf .cache test-artifacts .pytest_cache
