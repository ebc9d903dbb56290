"""Commands of this family are registered on ``backtest.cli._app.cli`` here."""

from __future__ import annotations
