#!/usr/bin/env bash
# Install everything the app needs and start it. On an empty database the app loads
# the demo data (and says so on every page). Open http://localhost:8501
#
# Local mode (no [auth] section in .streamlit/secrets.toml): nobody signs in, so the app
# listens on this computer only (127.0.0.1). With sign-in configured, the address is left
# to the deployment (pass --server.address, e.g. 0.0.0.0 behind a reverse proxy).
source "$(dirname "$0")/_python_env.sh"
ensure_venv requirements.txt
cd "$ROOT"
SECRETS="$ROOT/.streamlit/secrets.toml"
SIGN_IN=0
if [ -f "$SECRETS" ] && grep -Eq '^[[:space:]]*\[auth(\.[^]]*)?\][[:space:]]*(#.*)?$' "$SECRETS"; then
    SIGN_IN=1
fi
# Where partners can come (sign-in, or YJ_ROLE=partner), prepare their protected view before the server
# starts, so the first partner does not wait; it is kept in the database, so later starts only check it.
ROLE="$(printf '%s' "${YJ_ROLE:-manager}" | tr '[:upper:]' '[:lower:]' | tr -d '[:space:]')"
if [ "$SIGN_IN" = 1 ] || [ "$ROLE" = partner ]; then
    "$ROOT/.venv/bin/python" -m yj_metrics protect --demo-if-empty \
        || echo "Could not prepare the partner view now: the app prepares it when first needed." >&2
fi
if [ "$SIGN_IN" = 1 ]; then
    exec "$ROOT/.venv/bin/python" -m streamlit run app.py "$@"
fi
echo "Local mode: no sign-in is configured, so the dashboard listens on this computer only (127.0.0.1)." >&2
exec "$ROOT/.venv/bin/python" -m streamlit run app.py --server.address 127.0.0.1 "$@"
