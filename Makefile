# Two commands do all the set-up on a fresh machine with Python 3.11 and git:
#   make demo   virtual environment, jiesu installed, a demo store built and its reports rendered
#   make test   the same environment, then the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-store

# The message catalogs (see README, "Languages / 语言"): `make messages` extracts the words from the
# code into jiesu.pot and merges them into every .po; the .mo files are compiled here, never committed.
POT := jiesu/locale/jiesu.pot
MO := jiesu/locale/zh_CN/LC_MESSAGES/jiesu.mo

# Property tests: `ci` is derandomized (every run checks the same examples); `explore` draws new ones.
HYPOTHESIS_PROFILE ?= ci
export HYPOTHESIS_PROFILE

.PHONY: demo test test-fast lint example clean bench bytecode

# Every command starts faster with jiesu's modules compiled ahead: where PYTHONDONTWRITEBYTECODE
# is set (CI runners, read-only installs, cron environments) Python would otherwise compile every
# module from source on every run. compileall skips what is up to date, so this costs nothing twice.
bytecode: $(BIN)/.installed
	@$(BIN)/python -m compileall -q jiesu

$(BIN)/.installed: setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "jiesu needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

demo: $(BIN)/.installed $(MO) bytecode
	rm -rf $(DEMO)
	$(BIN)/jiesu demo $(DEMO)

test: $(BIN)/.installed $(MO) bytecode
	$(BIN)/python -m pytest -q -p no:cacheprovider; code=$$?; \
	if [ $$code -eq 5 ]; then echo "error: pytest collected no tests" >&2; exit 1; fi; exit $$code

test-fast: $(BIN)/.installed $(MO) bytecode
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow"

lint: $(BIN)/.installed
	$(BIN)/ruff check --select E,F,W,I --ignore E501 jiesu tests bench tools

example: $(BIN)/.installed
	$(BIN)/python tests/make_example.py

bench: $(BIN)/.installed bytecode
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(DEMO) .jiesu build *.egg-info $(MO)

EXTRACT = $(BIN)/pybabel extract -F babel.cfg -k N_ -k NP_:1c,2 --no-location --sort-output \
	--project jiesu --copyright-holder "jiesu authors" --msgid-bugs-address "" -o $(POT) .

.PHONY: messages
messages: $(BIN)/.installed
	$(EXTRACT)
	$(BIN)/pybabel update -i $(POT) -d jiesu/locale -D jiesu --ignore-obsolete
	@# jiesu formats with str.format, never %: a "95%" is no placeholder
	sed -i '/^#, python-format$$/d' $(POT) jiesu/locale/*/LC_MESSAGES/jiesu.po

$(MO): jiesu/locale/zh_CN/LC_MESSAGES/jiesu.po $(BIN)/.installed
	$(BIN)/pybabel compile -d jiesu/locale -D jiesu --statistics
