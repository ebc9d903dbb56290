"""The public API of ``backtest``: every exported name resolves, importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import backtest


def test_every_exported_name_resolves() -> None:
    for name in backtest.__all__:
        assert getattr(backtest, name) is not None, name


def test_load_study_imports_no_exchange_scheduler_or_plotting_library() -> None:
    code = (
        "import sys; from backtest import load_study; load_study(); "
        "heavy = ('ccxt', 'apscheduler', 'sqlalchemy', 'vectorbt', 'plotly', 'numba'); "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
