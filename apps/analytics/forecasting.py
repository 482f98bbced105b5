"""Demand forecasting as pure functions over a list of daily values (no database).

Two methods, chosen per series by a 28-day back-test (DOMAIN.md):
- seasonal naive, m = 7: tomorrow is the same weekday last week;
- Holt-Winters (statsmodels ExponentialSmoothing: additive damped trend, additive weekly
  season), fitted only when the training part holds at least two seasons (initial states by
  the heuristic from four seasons on, see `holt_winters`).
Each method is fitted on all but the last 28 days and scored by MAPE on those 28 (days whose
actual is 0 are left out of the MAPE); the lower MAPE wins, a tie goes to the simpler seasonal
naive. The winner is refitted on the whole history and forecasts `horizon` days. The 80 %
interval is forecast ± 1.2816 × the standard deviation of the winner's 28 back-test errors,
floored at 0 (an honest out-of-sample spread rather than a model's own assumption).
"""

import math
import statistics
import warnings
from dataclasses import dataclass

SEASON = 7
HOLDOUT = 28
HORIZON = 14
HEURISTIC_SEASONS = 4
Z80 = 1.2816  # two-sided 80 %: the 10th and 90th percentiles of the normal
SEASONAL_NAIVE = "seasonal_naive"
HOLT_WINTERS = "holt_winters"


@dataclass(frozen=True)
class Forecast:
    method: str
    mape: float | None
    values: list[float]
    lower: list[float]
    upper: list[float]


def seasonal_naive(history: list[float], horizon: int, m: int = SEASON) -> list[float]:
    """ŷ(T+h) = y(T + h − m·⌈h/m⌉): the same weekday of the last full season."""
    if len(history) < m:
        raise ValueError("seasonal naive needs one full season")
    last_season = history[-m:]
    return [last_season[(h - 1) % m] for h in range(1, horizon + 1)]


def holt_winters(history: list[float], horizon: int, m: int = SEASON) -> list[float]:
    if len(history) < 2 * m:
        raise ValueError("Holt-Winters needs two full seasons")
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    # Speed (bench/analytics_bench.py: 500 series): with four seasons or more the initial
    # level, trend and season come from the classic heuristic (a decomposition of the first
    # seasons) and only the four smoothing parameters are optimised, by SLSQP without the
    # brute-force start grid: ~50× faster than estimating all 12 by default, SSE within ~1 %.
    # Shorter series estimate their initial states (the heuristic needs the seasons).
    heuristic = len(history) >= HEURISTIC_SEASONS * m
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short or flat series
        model = ExponentialSmoothing(
            [float(v) for v in history],
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=m,
            initialization_method="heuristic" if heuristic else "estimated",
        )
        fitted = model.fit(method="SLSQP", use_brute=False) if heuristic else model.fit()
    return [float(v) for v in fitted.forecast(horizon)]


def mape(actual: list[float], predicted: list[float]) -> float | None:
    """Mean absolute percentage error as a share (0.12 = 12 %), over days with actual ≠ 0."""
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a != 0]
    if not pairs:
        return None
    return sum(abs(a - p) / abs(a) for a, p in pairs) / len(pairs)


METHODS = {SEASONAL_NAIVE: (seasonal_naive, SEASON), HOLT_WINTERS: (holt_winters, 2 * SEASON)}


def has_enough_history(history: list[float]) -> bool:
    return len(history) >= HOLDOUT + SEASON and any(history[-HOLDOUT:])


def forecast_choose(history: list[float], horizon: int = HORIZON) -> Forecast:
    """Back-test each method that fits, keep the lowest MAPE, forecast `horizon` days."""
    if not has_enough_history(history):
        raise ValueError("not enough history")
    train, test = history[:-HOLDOUT], history[-HOLDOUT:]
    scored = []
    for order, (name, (method, needs)) in enumerate(METHODS.items()):
        if len(train) < needs:
            continue
        predicted = method(train, HOLDOUT)
        score = mape(test, predicted)
        errors = [a - p for a, p in zip(test, predicted, strict=True)]
        scored.append((math.inf if score is None else score, order, name, score, errors))
    _, _, name, score, errors = min(scored)
    method, _ = METHODS[name]
    values = [max(v, 0.0) for v in method(history, horizon)]
    spread = Z80 * statistics.pstdev(errors)
    return Forecast(
        method=name,
        mape=score,
        values=values,
        lower=[max(v - spread, 0.0) for v in values],
        upper=[v + spread for v in values],
    )
