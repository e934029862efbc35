"""Weather-normalised baselines after CalTRACK and ASHRAE Guideline 14.

* Daily: the CalTRACK change-point models (intercept only, heating degree days, cooling degree
  days, both), fitted by least squares over a grid of balance points; a candidate stays only if
  its degree-day coefficients are positive and significant (p < 0.1); the one with the highest
  adjusted R² wins.
* Hourly: time of week and temperature (TOWT): one coefficient per hour of the week and a
  piecewise-linear temperature response with knots, fitted separately for the occupied and the
  unoccupied hours of the week (an hour is occupied when usage sits above the temperature-only
  fit in more than 65 % of its weeks).

Goodness of fit: CV(RMSE) and NMBE with the degrees of freedom of Guideline 14; savings with the
fractional savings uncertainty of Guideline 14 (Annex B, corrected for autocorrelation).
Temperatures in °C, usage in any unit per day or per hour; numpy in, numpy out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

#: CalTRACK 2.0 searches balance points of 30–90 °F; the same range in °C, in 1 K steps.
BALANCE_POINTS = np.arange(-1.0, 32.5, 1.0)
#: CalTRACK's minimum: 90 % of the days of a 365-day baseline with data.
MIN_DAYS = 328
#: The hourly model needs at least this many hours (CalTRACK asks for 90 % of a year's hours
#: for a full model; a shorter baseline gives a model, and the fit statistics say how good).
MIN_HOURS = 24 * 7 * 8
#: Temperature knots of the TOWT model (CalTRACK's 30, 45, 55, 65, 75, 90 °F).
KNOTS = np.array([-1.1, 7.2, 12.8, 18.3, 23.9, 32.2])
#: ASHRAE Guideline 14-2014 calibration criteria (CV(RMSE), |NMBE|) in percent.
LIMITS = {"monthly": (15.0, 5.0), "daily": (25.0, 10.0), "hourly": (30.0, 10.0)}
SIGNIFICANCE = 0.1


class NotEnoughData(ValueError):
    """The data cannot carry a baseline; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Fit:
    """Goodness of fit of a model on its baseline."""

    n: int
    parameters: int
    cv_rmse: float
    nmbe: float
    r_squared: float
    autocorrelation: float

    def meets(self, resolution: str) -> bool:
        cv_limit, nmbe_limit = LIMITS[resolution]
        return self.cv_rmse <= cv_limit and abs(self.nmbe) <= nmbe_limit


def fit_statistics(observed: Array, predicted: Array, parameters: int) -> Fit:
    """CV(RMSE) and NMBE in percent as Guideline 14 defines them (n − p in the denominators)."""
    n = len(observed)
    residual = observed - predicted
    mean = float(np.mean(observed))
    dof = max(n - parameters, 1)
    cv = float(np.sqrt(np.sum(residual**2) / dof) / mean * 100.0)
    nmbe = float(np.sum(residual) / (dof * mean) * 100.0)
    total = float(np.sum((observed - mean) ** 2))
    r2 = 1.0 - float(np.sum(residual**2)) / total if total > 0 else 0.0
    rho = float(np.corrcoef(residual[:-1], residual[1:])[0, 1]) if n > 2 else 0.0
    return Fit(n, parameters, cv, nmbe, r2, 0.0 if np.isnan(rho) else rho)


# --- daily change-point models -----------------------------------------------------------------


@dataclass(frozen=True)
class DailyModel:
    """``usage = intercept + beta_hdd·max(0, t_hdd − T) + beta_cdd·max(0, T − t_cdd)``;
    a missing term has its coefficient 0 and its balance point None."""

    kind: str
    intercept: float
    beta_hdd: float
    beta_cdd: float
    heating_balance: float | None
    cooling_balance: float | None
    fit: Fit
    adjusted_r2: float
    p_values: dict[str, float] = field(default_factory=dict)

    def predict(self, temperature: Array) -> Array:
        t = np.asarray(temperature, dtype=float)
        out = np.full(t.shape, self.intercept)
        if self.heating_balance is not None:
            out += self.beta_hdd * np.clip(self.heating_balance - t, 0, None)
        if self.cooling_balance is not None:
            out += self.beta_cdd * np.clip(t - self.cooling_balance, 0, None)
        return out


def _ols(x: Array, y: Array) -> tuple[Array, Array, float]:
    """Coefficients, their two-sided p-values, and R²."""
    from scipy import stats  # here: a second of import time the app's start need not pay

    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ coef
    n, p = x.shape
    dof = max(n - p, 1)
    sigma2 = float(residual @ residual) / dof
    try:
        cov = sigma2 * np.linalg.inv(x.T @ x)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        se = np.full(p, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, coef / se, np.inf)
    p_values = 2 * stats.t.sf(np.abs(t), dof)
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(residual @ residual) / total if total > 0 else 0.0
    return np.asarray(coef, dtype=float), np.asarray(p_values, dtype=float), r2


def _adjusted(r2: float, n: int, p: int) -> float:
    return 1.0 - (1.0 - r2) * (n - 1) / max(n - p, 1)


def fit_daily(
    temperature: Array,
    usage: Array,
    *,
    min_days: int = MIN_DAYS,
    balance_points: Array = BALANCE_POINTS,
) -> DailyModel:
    """The CalTRACK daily model of mean daily temperature → daily usage. Days with a missing
    value (NaN) are left out; fewer than ``min_days`` days left raise :class:`NotEnoughData`."""
    t = np.asarray(temperature, dtype=float)
    y = np.asarray(usage, dtype=float)
    keep = np.isfinite(t) & np.isfinite(y)
    t, y = t[keep], y[keep]
    n = len(y)
    if n < min_days:
        raise NotEnoughData(
            f"{n} days with both usage and temperature; a baseline needs at least {min_days}"
        )
    if float(np.mean(y)) <= 0:
        raise NotEnoughData("the meter shows no consumption in the baseline period")
    ones = np.ones(n)
    candidates: list[DailyModel] = []

    def consider(kind: str, x: Array, hb: float | None, cb: float | None) -> None:
        coef, p, r2 = _ols(x, y)
        beta_h = coef[1] if hb is not None else 0.0
        beta_c = coef[-1] if cb is not None else 0.0
        terms = {"intercept": float(p[0])}
        if hb is not None:
            terms["hdd"] = float(p[1])
            if beta_h <= 0 or p[1] > SIGNIFICANCE:
                return
        if cb is not None:
            terms["cdd"] = float(p[-1])
            if beta_c <= 0 or p[-1] > SIGNIFICANCE:
                return
        predicted = x @ coef
        fit = fit_statistics(y, predicted, x.shape[1])
        candidates.append(
            DailyModel(
                kind,
                float(coef[0]),
                float(beta_h),
                float(beta_c),
                hb,
                cb,
                fit,
                _adjusted(r2, n, x.shape[1]),
                terms,
            )
        )

    consider("intercept_only", ones[:, None], None, None)
    for hb in balance_points:
        hdd = np.clip(hb - t, 0, None)
        if np.count_nonzero(hdd) >= 10:
            consider("hdd_only", np.column_stack([ones, hdd]), float(hb), None)
    for cb in balance_points:
        cdd = np.clip(t - cb, 0, None)
        if np.count_nonzero(cdd) >= 10:
            consider("cdd_only", np.column_stack([ones, cdd]), None, float(cb))
    for hb in balance_points:
        hdd = np.clip(hb - t, 0, None)
        if np.count_nonzero(hdd) < 10:
            continue
        for cb in balance_points[balance_points >= hb]:
            cdd = np.clip(t - cb, 0, None)
            if np.count_nonzero(cdd) >= 10:
                consider("hdd_cdd", np.column_stack([ones, hdd, cdd]), float(hb), float(cb))
    return max(candidates, key=lambda m: m.adjusted_r2)


# --- hourly time of week and temperature -------------------------------------------------------


def _segments(temperature: Array, knots: Array) -> Array:
    """The piecewise-linear basis: one column per interval between knots (and beyond them)."""
    t = np.asarray(temperature, dtype=float)
    edges = np.concatenate([[-np.inf], knots, [np.inf]])
    columns = []
    for i in range(len(edges) - 1):
        low, high = edges[i], edges[i + 1]
        if i == 0:
            columns.append(np.minimum(t, high))
        elif i == len(edges) - 2:
            columns.append(np.clip(t - low, 0, None))
        else:
            columns.append(np.clip(t, low, high) - low)
    return np.column_stack(columns)


@dataclass(frozen=True)
class HourlyModel:
    """TOWT: per hour of the week (0 = Monday 00:00) a constant, plus a temperature response per
    occupancy state."""

    occupied: NDArray[np.bool_]
    tow_coef: Array
    temp_coef_occupied: Array
    temp_coef_unoccupied: Array
    fit: Fit

    def predict(self, hour_of_week: NDArray[np.int_], temperature: Array) -> Array:
        how = np.asarray(hour_of_week) % 168
        basis = _segments(temperature, KNOTS)
        occupied = self.occupied[how]
        temp = np.where(
            occupied,
            basis @ self.temp_coef_occupied,
            basis @ self.temp_coef_unoccupied,
        )
        return np.asarray(self.tow_coef[how] + temp, dtype=float)


def fit_hourly(
    hour_of_week: NDArray[np.int_], temperature: Array, usage: Array, *, min_hours: int = MIN_HOURS
) -> HourlyModel:
    how = np.asarray(hour_of_week) % 168
    t = np.asarray(temperature, dtype=float)
    y = np.asarray(usage, dtype=float)
    keep = np.isfinite(t) & np.isfinite(y)
    how, t, y = how[keep], t[keep], y[keep]
    if len(y) < min_hours:
        raise NotEnoughData(
            f"{len(y)} hours with both usage and temperature; the hourly model needs at least "
            f"{min_hours} (eight weeks)"
        )
    basis = _segments(t, KNOTS)
    # Occupancy: usage above a temperature-only fit in more than 65 % of an hour's weeks.
    coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(y)), basis]), y, rcond=None)
    above = y > np.column_stack([np.ones(len(y)), basis]) @ coef
    share = np.bincount(how, weights=above, minlength=168) / np.maximum(
        np.bincount(how, minlength=168), 1
    )
    occupied = share > 0.65
    indicator = np.zeros((len(y), 168))
    indicator[np.arange(len(y)), how] = 1.0
    occ = occupied[how][:, None]
    x = np.column_stack([indicator, basis * occ, basis * ~occ])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    k = basis.shape[1]
    used = int(np.count_nonzero(np.bincount(how, minlength=168))) + 2 * k
    return HourlyModel(
        occupied=occupied,
        tow_coef=coef[:168],
        temp_coef_occupied=coef[168 : 168 + k],
        temp_coef_unoccupied=coef[168 + k :],
        fit=fit_statistics(y, x @ coef, used),
    )


# --- savings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Savings:
    """Avoided energy use over a reporting period: the baseline's prediction minus what was
    measured, and its uncertainty at ``confidence``."""

    baseline: float
    reported: float
    savings: float
    fraction: float
    uncertainty: float
    confidence: float

    @property
    def interval(self) -> tuple[float, float]:
        return self.savings - self.uncertainty, self.savings + self.uncertainty


def savings(fit: Fit, predicted: Array, reported: Array, *, confidence: float = 0.9) -> Savings:
    """ASHRAE Guideline 14 Annex B: ΔE = t · 1.26 · CV · E_baseline ·
    sqrt((n/n′)·(1 + 2/n)·(1/m)), with n′ = n·(1 − ρ)/(1 + ρ) for autocorrelated residuals."""
    predicted = np.asarray(predicted, dtype=float)
    reported = np.asarray(reported, dtype=float)
    keep = np.isfinite(predicted) & np.isfinite(reported)
    baseline_total = float(predicted[keep].sum())
    reported_total = float(reported[keep].sum())
    saved = baseline_total - reported_total
    m = int(keep.sum())
    n = fit.n
    rho = min(max(fit.autocorrelation, 0.0), 0.99)
    n_eff = n * (1 - rho) / (1 + rho)
    from scipy import stats

    t = float(stats.t.ppf(0.5 + confidence / 2, max(n - fit.parameters, 1)))
    uncertainty = (
        t
        * 1.26
        * fit.cv_rmse
        / 100.0
        * baseline_total
        * float(np.sqrt(n / max(n_eff, 1.0) * (1 + 2 / n) / max(m, 1)))
    )
    fraction = saved / baseline_total if baseline_total else 0.0
    return Savings(baseline_total, reported_total, saved, fraction, uncertainty, confidence)


def degree_days(daily_mean: Array, *, base: float, heating: bool = True) -> Array:
    """Degree days per day against ``base`` (heating: base − T when positive)."""
    t = np.asarray(daily_mean, dtype=float)
    return np.clip(base - t, 0, None) if heating else np.clip(t - base, 0, None)
