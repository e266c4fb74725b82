# `make run` and `make test` create .venv on first use and install kfn with its test extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run serve test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The app on the embedded backend; pass options with ARGS, e.g. `make run ARGS="--port 8100"`.
run: $(STAMP)
	$(BIN)/kfn $(ARGS)

serve: $(STAMP)
	$(BIN)/kfn serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/api.py
	$(BIN)/python bench/runtime.py
	$(BIN)/python bench/tui.py

clean:
	rm -rf $(VENV) build *.egg-info
