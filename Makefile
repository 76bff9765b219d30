# newsbrief: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch first, pinned, from PyTorch's CPU-only wheel index: the default index would resolve the
# CUDA build and its nvidia wheels (gigabytes). Another index: `make run TORCH_INDEX=URL`;
# pip's default index: `make run TORCH_INDEX=`. --index-url replaces the default index only:
# extra indexes and find-links set in pip's own configuration still count.
TORCH := torch==2.13.0
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
export NO_PROXY := 127.0.0.1,localhost,::1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test install install-dev lint typecheck pytest clean locales locale

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) $(TORCH)
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/newsbrief run

lint: install-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/pytest -q

test: lint typecheck pytest

# The bot's words: extract them, merge them into every catalogue, compile the shipped .mo files
# (README "Languages"). `make locale LANG_CODE=pt` starts a catalogue for a new language.
LOCALES := bot/locale
BABEL := $(BIN)/pybabel

locales: install-dev
	$(BABEL) extract -F babel.cfg --no-location --sort-output --project newsbrief \
		-o $(LOCALES)/messages.pot .
	$(BABEL) update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages --no-fuzzy-matching \
		--ignore-obsolete
	$(BABEL) compile -d $(LOCALES) -D messages --statistics

locale: install-dev
	$(BABEL) init -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages -l $(LANG_CODE)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
