"""The analogs and the calibration inside a study run (work in progress: wired next)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from backtest.study import Study


def run_analogs(study: Study, prices: dict[str, pd.DataFrame], data_dir: Path) -> Any:
    return None
