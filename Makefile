# The README's commands. `make run` serves the line on 127.0.0.1:5000 with the outbox worker
# beside it (requirements.txt only);
# `make test` runs the whole suite, `make test-fast` all but the tests marked slow (both with
# requirements-dev.txt, which includes requirements.txt).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PIP := $(BIN)/pip install --quiet --disable-pip-version-check
export FLASK_APP := wsgi

.PHONY: run test test-fast lint install bench clean

# Order-only: a new virtualenv interpreter must not make the stamps look out of date.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(PIP) -r requirements.txt
	touch $(STAMP)

# The development install covers the runtime one too, so it refreshes both stamps.
$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(PIP) -r requirements-dev.txt
	touch $(STAMP) $(DEV_STAMP)

install: $(DEV_STAMP)

# The outbox worker beside the server: a background job of this shell ignores Ctrl-C, so it
# gets SIGTERM when the server stops (Ctrl-C included).
run: $(STAMP)
	$(BIN)/flask --app wsgi init-db
	$(BIN)/flask --app wsgi demo-data
	$(BIN)/flask --app wsgi outbox work & worker=$$!; reader=; \
	if [ -n "$$IMAP_URL" ]; then $(BIN)/flask --app wsgi mailbox work & reader=$$!; fi; \
	trap 'kill $$worker $$reader 2>/dev/null; wait $$worker $$reader' EXIT; \
	trap 'exit 130' INT TERM; \
	GUNICORN_BIND=127.0.0.1:5000 $(BIN)/gunicorn -c gunicorn.conf.py

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-fast: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -m "not slow" $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

# Webhooks against a constant-TwiML baseline, SQLite and PostgreSQL, 1k and 1M cases (about 15
# minutes; BENCH_ARGS=--quick for a short run). Writes bench/RESULTS.md.
bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .hypothesis
