"""Integer codes that stand for model choices inside the numba kernels: the one home of them.

The NumPy model classes of ``backtest.sim.impact`` carry their code (``ImpactModel.code``);
``backtest.sim.kernels`` branches on the same codes as plain int constants derived from this
enum (numba folds a module-level int into the compiled code). Decay kernels need no code: the
kernel gets every one of them as exponential terms (``backtest.sim.decay``).
"""

from __future__ import annotations

from enum import IntEnum


class ImpactModelCode(IntEnum):
    """Which formula turns a day's flow into its log impact u (see ``backtest.sim.impact``).

    The lowercase member names are the ``[impact] model`` values of a study file.
    """

    LINEAR = 0  # u = λ·F
    SQRT = 1  # u = Y·σ·sign(F)·sqrt(|F|/V)
    MULTIPLIER = 2  # u = ln(1 + M·F/MC)

    @property
    def model_name(self) -> str:
        """The study-file name of the model (``"linear"``, ``"sqrt"``, ``"multiplier"``)."""
        return self.name.lower()


__all__ = ["ImpactModelCode"]
