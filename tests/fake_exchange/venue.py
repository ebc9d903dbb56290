"""What every fake venue reads from the server: the candles set for a symbol and timeframe."""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd

Answer = tuple[int, Any]  # HTTP status, JSON payload


class CandleSource(Protocol):
    def candles_for(self, symbol: str, timeframe: str) -> pd.DataFrame | None: ...

    def symbols(self) -> list[str]: ...


__all__ = ["Answer", "CandleSource"]
