# Two commands do all the set-up on a fresh machine with Python 3.11 and git:
#   make demo   virtual environment, jiesu installed, a demo store built and its reports rendered
#   make test   the same environment, then the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-store

# Property tests: `ci` is derandomized (every run checks the same examples); `explore` draws new ones.
HYPOTHESIS_PROFILE ?= ci
export HYPOTHESIS_PROFILE

.PHONY: demo test test-fast lint example clean bench

$(BIN)/.installed: setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "jiesu needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

demo: $(BIN)/.installed
	rm -rf $(DEMO)
	$(BIN)/jiesu demo $(DEMO)

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q -p no:cacheprovider; code=$$?; \
	if [ $$code -eq 5 ]; then echo "error: pytest collected no tests" >&2; exit 1; fi; exit $$code

test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow"

lint: $(BIN)/.installed
	$(BIN)/ruff check --select E,F,W,I --ignore E501 jiesu tests bench tools

example: $(BIN)/.installed
	$(BIN)/python tests/make_example.py

bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(DEMO) .jiesu build *.egg-info
