# Sourced by run_app.sh and test.sh: create .venv and install a requirements file into it,
# skipping the install when that file has not changed since the last one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
ensure_venv() {
  local req="$1"
  if [ ! -x "$ROOT/.venv/bin/python" ]; then
    echo "==> Creating Python environment in .venv"
    "$PY" -m venv "$ROOT/.venv"
  fi
  local stamp="$ROOT/.venv/.installed-$(basename "$req")"
  local want
  want="$(cat "$ROOT/requirements.txt" "$ROOT/$req" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> Installing Python packages from $req"
    "$ROOT/.venv/bin/python" -m pip install --quiet --upgrade pip
    "$ROOT/.venv/bin/python" -m pip install --quiet -r "$ROOT/$req"
    echo "$want" > "$stamp"
  fi
}
