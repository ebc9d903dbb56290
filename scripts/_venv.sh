# Sourced by scripts/run and scripts/test. Defines ensure_venv [EXTRAS]: create or reuse .venv
# and install the project into it (with the optional extras, e.g. "dev"). It reinstalls only
# when pyproject.toml changed since the last install with those extras: a stamp file per
# extras holds the hash (an install with "dev" also serves a plain one).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${FLOWIMPACT_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

ensure_venv() {
    local extras="${1:-}"
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "flowimpact needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
        exit 2
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        echo "creating virtual environment in $VENV" >&2
        "$PYTHON" -m venv "$VENV"
    fi
    local stamp="$VENV/.flowimpact-installed${extras:+-$extras}"
    local want
    want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
    if [ -z "$extras" ] && [ "$(cat "$VENV/.flowimpact-installed-dev" 2>/dev/null)" = "$want" ]; then
        stamp="$VENV/.flowimpact-installed-dev"
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "installing flowimpact and its dependencies into $VENV" >&2
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e "$ROOT${extras:+[$extras]}"
        echo "$want" > "$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}
