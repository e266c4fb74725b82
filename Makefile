# `make run` and `make test` create .venv on first use and install kfn with its test extras,
# pinned by requirements.lock (`make lock` rewrites it from a fresh venv).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run serve test gates lint format bench lock clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

# The app on the embedded backend; pass options with ARGS, e.g. `make run ARGS="--port 8100"`.
run: $(STAMP)
	$(BIN)/kfn $(ARGS)

serve: $(STAMP)
	$(BIN)/kfn serve $(ARGS)

# The gates, then the suite on every core. Each gate fails the build on its own.
test: gates
	$(BIN)/python -m pytest -q -n auto

gates: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

lint: gates

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/api.py
	$(BIN)/python bench/runtime.py
	$(BIN)/python bench/pivot.py
	$(BIN)/python bench/runaway.py
	$(BIN)/python bench/app.py

lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[test]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^kfn' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .lock-venv build *.egg-info
