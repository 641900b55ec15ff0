#!/usr/bin/env bash
# Print speed figures for the main calculations on the default demo data.
source "$(dirname "$0")/_python_env.sh"
ensure_venv requirements.txt
cd "$ROOT"
for b in benchmarks/bench_*.py; do
  echo "== $b"
  PYTHONPATH="$ROOT" "$ROOT/.venv/bin/python" "$b"
done
