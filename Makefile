# The course's two commands:  `make lab`  and  `make test`  (CI adds  `make test-colab`).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.course-installed
# Where tests find the data: ../shared/datasets when it exists (CI), else the loader's defaults.
SHARED_DATA := $(abspath ../shared/datasets)
export COURSE_DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)/mnist),$(SHARED_DATA),)

.PHONY: chapters lab test test-unit test-notebooks test-browser test-colab test-grading bench data lint clean help

help:
	@echo "make lab    - set up .venv and open the course in JupyterLab (options: LAB_ARGS=\"--port 8890 --no-browser\")"
	@echo "make test   - set up .venv and run every test (unit + notebooks in smoke mode + browser; TEST_WORKERS=2)"
	@echo "make test-browser - only the JupyterLab-in-Chromium tests (needs: apt-get install chromium)"
	@echo "make test-colab - Google Colab's versions (requirements-colab.txt) in .venv-colab: widget tests + notebooks"
	@echo "make test-grading - .venv-instructor (nbgrader): the worked solutions under nbval + an autograde round trip"
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

# Google Colab's versions (requirements-colab.txt: its Python, TensorFlow, Keras, NumPy, ipywidgets 7.7, ...)
# in a second venv. The helpers go in with --no-deps, so nothing can upgrade a pin; pip check verifies the set.
COLAB_VENV  ?= .venv-colab
COLAB_PY    := $(COLAB_VENV)/bin/python
COLAB_STAMP := $(COLAB_VENV)/.course-installed
# Colab's Python minor: python3.13 from PATH, else pyenv's. Elsewhere: make test-colab COLAB_PYTHON=/path/to/python3.13
PYENV_DIR   := $(or $(PYENV_ROOT),$(HOME)/.pyenv)
COLAB_PYTHON ?= $(firstword $(foreach p,python3.13 $(wildcard $(PYENV_DIR)/versions/3.13*/bin/python3.13),\
	$(if $(shell $(p) -c pass 2>/dev/null && echo ok),$(p))))
# The widget unit tests, plus the quick tests of the Keras/NumPy-facing code and of the pins themselves.
COLAB_UNIT_TESTS := tests/test_ui_*.py tests/test_cache_control.py tests/test_colab_env.py tests/test_augment.py \
	tests/test_geometry.py tests/test_plots.py tests/test_runtime.py \
	tests/test_metrics.py::test_explorer_widget_state_follows_show

$(COLAB_STAMP): requirements-colab.txt pyproject.toml
	@test -n "$(COLAB_PYTHON)" || { echo "make test-colab: Colab's Python 3.13 not found (PATH, $(PYENV_DIR));" \
		"pass COLAB_PYTHON=/path/to/python3.13"; exit 1; }
	@start=$$(date +%s); set -e; \
	test -x $(COLAB_PY) || $(COLAB_PYTHON) -m venv $(COLAB_VENV); \
	$(COLAB_PY) -m pip install --quiet -r requirements-colab.txt; \
	$(COLAB_PY) -m pip install --quiet --no-deps -e .; \
	$(COLAB_PY) -m pip check; \
	echo "make test-colab: installed Colab's versions into $(COLAB_VENV) in $$(($$(date +%s)-start)) s"
	touch $(COLAB_STAMP)

# Own model store (COURSE_CACHE_DIR) so the notebooks train with Colab's Keras instead of loading .cache/'s models.
test-colab: $(COLAB_STAMP)
	@start=$$(date +%s); \
	versions=$$($(COLAB_PY) -c 'import sys, importlib.metadata as m; print("Python %d.%d.%d," % sys.version_info[:3],\
		", ".join(f"{p} {m.version(p)}" for p in ("tensorflow", "keras", "numpy", "ipywidgets")))'); \
	COURSE_MODE=smoke COURSE_COLAB_ENV=1 COURSE_CACHE_DIR="$(abspath $(COLAB_VENV))/course-cache" \
		PYDEVD_DISABLE_FILE_VALIDATION=1 $(COLAB_PY) -m pytest $(COLAB_UNIT_TESTS) chapters --nbval-lax \
		--nbval-current-env -p no:cacheprovider --durations=10; status=$$?; \
	echo "make test-colab: widget unit tests + notebooks (smoke mode) with Colab's versions ($$versions)" \
		"took $$(($$(date +%s)-start)) s, pytest exit $$status"; \
	exit $$status

# Instructors: nbgrader (requirements-instructor.txt) in a third venv, with the course's packages so that it
# can execute the notebooks; the learners' .venv never gets nbgrader's JupyterLab extensions.
INSTRUCTOR_VENV  ?= .venv-instructor
INSTRUCTOR_PY    := $(INSTRUCTOR_VENV)/bin/python
INSTRUCTOR_STAMP := $(INSTRUCTOR_VENV)/.course-installed

$(INSTRUCTOR_STAMP): requirements.txt requirements-instructor.txt pyproject.toml
	@start=$$(date +%s); set -e; \
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "make test-grading: nbgrader 0.9" \
		"needs Python >= 3.11; pass PYTHON=/path/to/python3.11"; exit 1; }; \
	test -x $(INSTRUCTOR_PY) || $(PYTHON) -m venv $(INSTRUCTOR_VENV); \
	$(INSTRUCTOR_PY) -m pip install --quiet --upgrade pip; \
	$(INSTRUCTOR_PY) -m pip install --quiet -r requirements.txt -r requirements-instructor.txt -e .; \
	$(INSTRUCTOR_PY) -m pip check; \
	echo "make test-grading: installed the course + nbgrader into $(INSTRUCTOR_VENV) in $$(($$(date +%s)-start)) s"
	touch $(INSTRUCTOR_STAMP)

# The instructor's material: every worked solution (solutions/) under nbval, then one autograde round trip
# (tests/grading, tools/grading.py): chapter 03 released with nbgrader, three submissions (solved, untouched,
# one mistake) autograded in smoke mode, their scores checked. make test runs the learner versions (chapters/).
test-grading: $(INSTRUCTOR_STAMP)
	@start=$$(date +%s); \
	version=$$($(INSTRUCTOR_PY) -c 'import importlib.metadata as m; print(m.version("nbgrader"))'); \
	COURSE_MODE=smoke $(INSTRUCTOR_PY) -m pytest solutions --nbval-lax -p no:cacheprovider --durations=5; \
	status=$$?; mid=$$(date +%s); \
	COURSE_MODE=smoke COURSE_REQUIRE_GRADING=1 $(INSTRUCTOR_PY) -m pytest tests/grading -m grading \
		-p no:cacheprovider --durations=5; gstatus=$$?; \
	echo "make test-grading: the worked solutions (smoke mode, nbval) took $$((mid-start)) s, pytest exit $$status;" \
		"nbgrader $$version autograde round trip took $$(($$(date +%s)-mid)) s, pytest exit $$gstatus"; \
	if [ $$status -ne 0 ]; then exit $$status; fi; exit $$gstatus

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

# make test's unit tests and notebooks run in TEST_WORKERS pytest-xdist processes (2: one per core of a small
# laptop or CI machine; more only with the memory for them, ~2.5 GB each); --dist loadscope keeps each notebook's
# cells, and each test module, in one process and in order. The notebooks come first, so that the longest units
# start first. make test TEST_WORKERS=0 runs everything in one process (for debugging).
TEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadscope)

test: $(STAMP) $(BROWSER_STAMP)
	@start=$$(date +%s); \
	COURSE_MODE=smoke $(PY) -m pytest chapters tests --nbval-lax -p no:cacheprovider -m "not browser and not grading" \
		$(XDIST) --durations=10; status=$$?; \
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
