#!/usr/bin/env bash
# The house-style checks CI runs before the tests (`make check`): lint, format, migrations in
# step with the models, and the one-way app dependencies. Every check runs; each failure says
# what is wrong and how to fix it; the exit status is 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-.venv}/bin"
failed=()

run() {  # run <title> <how to fix> <command...>
  local title=$1 fix=$2
  shift 2
  echo "== $title: $*"
  if ! "$@"; then
    echo "CHECK FAILED: $title. $fix" >&2
    failed+=("$title")
  fi
}

run "ruff check (lint)" "Fix the errors above ('make format' fixes the fixable ones)." \
  "$BIN/ruff" check .
run "ruff format (formatting)" "Run 'make format' and commit the result." \
  "$BIN/ruff" format --check .
run "migrations match the models" \
  "A model changed without a migration: run 'python manage.py makemigrations <app> --name <what_changed>' and commit it." \
  "$BIN/python" manage.py makemigrations --check --dry-run
run "apps depend one way (import-linter)" \
  "An app imports a higher app or a sibling (contract in pyproject.toml): announce the fact with a signal of the lower app, or move the code up." \
  "$BIN/lint-imports" --no-cache --no-logo

if ((${#failed[@]})); then
  echo >&2
  echo "${#failed[@]} check(s) failed:" >&2
  printf '  - %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "All checks passed."
