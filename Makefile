# The course's two commands:  `make lab`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.course-installed
# Where tests find the data: ../shared/datasets when it exists (CI), else the loader's defaults.
SHARED_DATA := $(abspath ../shared/datasets)
export COURSE_DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)/mnist),$(SHARED_DATA),)

.PHONY: chapters lab test test-unit test-notebooks test-browser bench data lint clean help

help:
	@echo "make lab    - set up .venv and open the course in JupyterLab (options: LAB_ARGS=\"--port 8890 --no-browser\")"
	@echo "make test   - set up .venv and run every test (unit + notebooks in smoke mode + browser)"
	@echo "make test-browser - only the JupyterLab-in-Chromium tests (needs: apt-get install chromium)"
	@echo "make chapters - rebuild chapters/ (learner) and solutions/ from source/ (edit source/, never chapters/)"
	@echo "make data   - show where the datasets are found and verify them"
	@echo "make bench  - 300-second CPU benchmark of every course model (writes benchmarks/; BENCH_ARGS=--resume continues one)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -e .
	touch $(STAMP)

# Browser tests (tests/browser): Playwright in the same venv, driving the system Chromium.
BROWSER_STAMP := $(VENV)/.course-browser-installed
BROWSER_TESTS := COURSE_MODE=smoke $(PY) -m pytest tests/browser -m browser -p no:cacheprovider --durations=5

$(BROWSER_STAMP): requirements-browser.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements-browser.txt
	touch $(BROWSER_STAMP)

# JupyterLab rooted at the repository, opening chapter 00; --allow-root only when run as root (containers,
# cloud VMs). Extra JupyterLab options go through LAB_ARGS, e.g. make lab LAB_ARGS="--port 8890 --no-browser".
LAB_ARGS ?=
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/chapters/00_start_here.ipynb $(ALLOW_ROOT) $(LAB_ARGS)

# chapters/ and solutions/ are generated from source/ (nbgrader markers; see tools/build_chapters.py).
chapters: $(STAMP)
	$(PY) tools/build_chapters.py

data: $(STAMP)
	$(PY) -m helpers data

test: $(STAMP) $(BROWSER_STAMP)
	@start=$$(date +%s); \
	COURSE_MODE=smoke $(PY) -m pytest tests chapters solutions --nbval-lax -p no:cacheprovider -m "not browser" \
		--durations=10; status=$$?; \
	mid=$$(date +%s); \
	$(BROWSER_TESTS); bstatus=$$?; \
	end=$$(date +%s); \
	echo "make test: unit tests + notebooks (smoke mode) took $$((mid-start)) s, pytest exit $$status;" \
		"browser tests (JupyterLab + Chromium) took $$((end-mid)) s, pytest exit $$bstatus"; \
	if [ $$status -ne 0 ]; then exit $$status; fi; exit $$bstatus

test-browser: $(STAMP) $(BROWSER_STAMP)
	@start=$$(date +%s); \
	$(BROWSER_TESTS); status=$$?; \
	echo "make test-browser: browser tests (JupyterLab + Chromium) took $$(($$(date +%s)-start)) s, pytest exit $$status"; \
	exit $$status

bench: $(STAMP)  # after an interrupted run: make bench BENCH_ARGS=--resume
	$(PY) -m helpers bench --seconds 300 $(BENCH_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check helpers tests tools

clean:
	rm -rf .cache test-artifacts .pytest_cache
