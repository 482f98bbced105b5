# Tianjian: `make run` serves the demo site, `make test` runs the whole suite.
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist); each gets its own test database. TEST_WORKERS=0 runs in one.
TEST_WORKERS ?= 2

.PHONY: run test venv migrate seed worker beat lint check format bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@PYTHON_BIN=$$(scripts/find-python.sh) || exit 1; \
	  if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	    echo "Creating $(VENV) with $$PYTHON_BIN"; rm -rf $(VENV); $$PYTHON_BIN -m venv $(VENV); fi
	@echo "Installing the dependencies into $(VENV) (requirements-dev.txt; the first time takes a minute or two)..."
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --progress-bar off -r requirements-dev.txt
	@echo "Dependencies installed."
	@touch $@

venv: $(VENV)/.installed

migrate: venv
	@echo "Applying database migrations..."
	$(PY) manage.py migrate --noinput

seed: migrate
	@echo "Loading the demo county (stores, products, lots; skipped where already there)..."
	$(PY) manage.py seed_demo

run: seed
	@echo "Serving Tianjian on http://$(HOST):$(PORT)/ (admin: /admin/; Ctrl-C stops)"
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: venv
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: venv
	$(VENV)/bin/celery -A config beat --loglevel=INFO

test: venv
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# What CI checks before the tests: ruff, formatting, missing migrations, the import contract.
check: venv
	scripts/check.sh $(VENV)

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: venv
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) db.sqlite3 media .pytest_media staticfiles
