#!/usr/bin/env bash
# Install everything the tests need (Python packages, Chromium, PostgreSQL, LibreOffice)
# and run every test. Extra arguments go to pytest, e.g. `bash scripts/test.sh -k store`.
source "$(dirname "$0")/_python_env.sh"

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
# Impress converts the board pack to PDF for the layout tests (tests/test_pack_layout.py)
[ -e /usr/lib/libreoffice/program/libslideshowlo.so ] || need+=(libreoffice-impress-nogui)
# the projector test runs Chromium with these fonts only, as on a laptop without the test machine's fonts
ls /usr/share/fonts/truetype/liberation*/LiberationSans-Regular.ttf >/dev/null 2>&1 || need+=(fonts-liberation2)
if [ ${#need[@]} -gt 0 ]; then
  echo "==> Installing system packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

ensure_venv requirements-dev.txt
cd "$ROOT"
mkdir -p artifacts
exec "$ROOT/.venv/bin/python" -m pytest "$@"
