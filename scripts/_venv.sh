# Sourced by scripts/run and scripts/test: create or reuse .venv and install the project into it.
# Reinstalls only when pyproject.toml changed since the last install (a stamp file holds its hash).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${FLOWIMPACT_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "flowimpact needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
    exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
    echo "creating virtual environment in $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.flowimpact-installed"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)-${1:-}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "installing flowimpact and its dependencies into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT${1:+[$1]}"
    echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
