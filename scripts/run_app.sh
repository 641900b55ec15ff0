#!/usr/bin/env bash
# Install everything the app needs and start it. On an empty database the app loads
# the demo data (and says so on every page). Open http://localhost:8501
source "$(dirname "$0")/_python_env.sh"
ensure_venv requirements.txt
cd "$ROOT"
exec "$ROOT/.venv/bin/python" -m streamlit run app.py "$@"
