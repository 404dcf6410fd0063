# Two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run demo test test-citus lint openapi client bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml clients/python/setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]' -e clients/python
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/tierline serve

# A sample workspace (two years of history, schemes, a segment, a CLV model), then the API
# and its console at http://127.0.0.1:8000/console.
# A made-up past for the console to show, in the database `make run` serves (running or not).
demo: $(STAMP)
	$(BIN)/tierline demo

lint: $(DEV_STAMP)
	$(BIN)/ruff check app tests migrations bench clients/generate.py
	$(BIN)/ruff format --check app tests migrations bench clients/generate.py
	$(BIN)/mypy app tests bench clients/generate.py
	$(BIN)/lint-imports --no-cache  # the layer contracts in pyproject.toml

test: lint
	$(BIN)/pytest -n 2 --dist loadfile

# The whole suite on a local Citus cluster (../shared/tools/citus-cluster; left running after).
test-citus: $(DEV_STAMP)
	url=$$(../shared/tools/citus-cluster start) && \
		TIERLINE_TEST_DATABASE_URL=$$url $(BIN)/pytest -n 2 --dist loadfile

openapi: $(STAMP)
	$(BIN)/tierline openapi

# The Python client (clients/python), regenerated from openapi/openapi.json.
client: $(DEV_STAMP)
	$(BIN)/python clients/generate.py

bench: $(DEV_STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
