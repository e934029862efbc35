"""Model predictive control of one building as a linear programme solved by HiGHS.

Over a horizon of ``N`` steps (15 minutes each, 24–48 hours) the plan chooses heating and
cooling power that keep the air temperature of the 5R1C model inside the comfort band of the
occupancy schedule, within the plant's capacity, at least cost or CO2:

    minimise   Σ_k Δt · (w_cost·cost_k + w_co2·co2_k) + penalties
    subject to t_m[k+1] = a·t_m[k] + b·u[k]            (the zone, exact for its time step)
               low[k] ≤ t_air[k] ≤ high[k]             (comfort; soft during a demand event)
               0 ≤ heat[k] ≤ heat_max[k], 0 ≤ cool[k] ≤ cool_max[k]
               import[k] ≥ base[k] − pv[k] + heat[k]/COP[k] + cool[k]/EER   (electric plant)
               import[k] ≤ limit[k]                    (an import capacity limit, if any)

Heating by a heat pump draws electricity at the dynamic price and the grid's CO2 intensity;
heating by gas or district heat buys fuel at a fixed price and emission factor. A horizon whose
comfort band cannot be held with the capacity at hand is infeasible: the result says so, and the
caller falls back to the schedule.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from allmende.modules.energy import rc

Array = NDArray[np.float64]
STEP_SECONDS = 900.0
#: €/Kh (or kg/Kh) for leaving the comfort band during a demand-response event.
DISCOMFORT_PENALTY = 2.0
#: €/kWh for importing above a capacity limit the plant cannot keep.
LIMIT_PENALTY = 100.0
#: The room temperature the emitters' rating refers to, °C.
ROOM = 20.0
#: Linear pieces of a heat pump's electricity over its heat in the LP.
SEGMENTS = 8


@dataclass(frozen=True)
class Plant:
    """The building's heating and cooling plant (powers in kW, thermal).

    ``heating_carrier`` is ``"electricity"`` (a heat pump) or a fuel (``"gas"``,
    ``"district_heat"``, ``"oil"``) burnt at ``efficiency`` and bought at ``fuel_price`` €/kWh
    with ``fuel_co2`` kg/kWh.

    A heat pump's COP is a share (``carnot_quality``) of the Carnot COP between the supply
    temperature and the outside air, bounded to 1.5–6. The supply temperature follows the
    load: the emitters (radiators) give the full capacity at ``design_supply``/``design_return``
    with the room at 20 °C, and at part load the supply falls along their characteristic
    (EN 442: output ∝ (mean water − room temperature)^n at constant flow), never below
    ``min_supply``. Full power after a setback therefore costs more electricity per kWh of heat
    than the same heat spread over more hours — for the thermostat and the plan alike."""

    heating_kw: float
    cooling_kw: float = 0.0
    heating_carrier: str = "electricity"
    efficiency: float = 0.92
    fuel_price: float = 0.11
    fuel_co2: float = 0.201
    eer: float = 3.5
    design_supply: float = 55.0
    design_return: float = 45.0
    emitter_exponent: float = 1.3
    min_supply: float = 25.0
    carnot_quality: float = 0.45

    @property
    def electric(self) -> bool:
        return self.heating_carrier == "electricity"

    def supply_temperature(self, heat_kw: Array) -> Array:
        """The supply water temperature (°C) that delivers ``heat_kw`` into a 20 °C room."""
        load = np.clip(np.asarray(heat_kw, dtype=float) / max(self.heating_kw, 1e-9), 0, 1)
        mean_excess = (self.design_supply + self.design_return) / 2 - ROOM
        spread = self.design_supply - self.design_return
        supply = ROOM + mean_excess * load ** (1 / self.emitter_exponent) + spread * load / 2
        return np.asarray(np.maximum(supply, self.min_supply), dtype=np.float64)

    def cop(self, t_out: Array, heat_kw: Array) -> Array:
        """The heat pump's COP delivering ``heat_kw`` at outside air ``t_out``."""
        supply = self.supply_temperature(heat_kw)
        lift = np.maximum(supply - np.asarray(t_out, dtype=float), 10.0)
        return np.asarray(
            np.clip(self.carnot_quality * (supply + 273.15) / lift, 1.5, 6.0), dtype=np.float64
        )

    def electricity(self, heat_kw: Array, t_out: Array) -> Array:
        """Electric power (kW) a heat pump draws for ``heat_kw``; zero for a fuel plant."""
        heat = np.clip(np.asarray(heat_kw, dtype=float), 0, None)
        if not self.electric:
            return np.zeros_like(heat)
        return np.asarray(heat / self.cop(t_out, heat), dtype=np.float64)

    def fuel(self, heat_kw: Array) -> Array:
        """Fuel power (kW final energy) a boiler or district-heat station needs for ``heat_kw``."""
        heat = np.clip(np.asarray(heat_kw, dtype=float), 0, None)
        if self.electric:
            return np.zeros_like(heat)
        return np.asarray(heat / self.efficiency, dtype=np.float64)

    def segments(self, t_out: Array, count: int = SEGMENTS) -> tuple[Array, Array]:
        """The electricity a heat pump draws as a piecewise-linear function of its heat, for
        the LP: ``count`` equal widths (kW) and per step the slope of each (kW electric per kW
        heat), non-decreasing so that the LP fills the cheap part first; it never
        underestimates the electricity between the breakpoints (the function is convex)."""
        t = np.asarray(t_out, dtype=float)
        edges = np.linspace(0.0, self.heating_kw, count + 1)
        if not self.electric or self.heating_kw <= 0:
            return np.diff(edges), np.zeros((count, len(t)))
        drawn = np.stack([self.electricity(np.full(len(t), q), t) for q in edges])
        slopes = np.diff(drawn, axis=0) / np.diff(edges)[:, None]
        return np.diff(edges), np.maximum.accumulate(slopes, axis=0)


@dataclass(frozen=True)
class Forecast:
    """Per step of the horizon: outside air °C, internal and solar gains W, the comfort band
    °C, electricity price €/kWh, grid CO2 intensity kg/kWh, other electric load and PV yield in
    kW, and an optional import limit in kW (inf: none)."""

    t_out: Array
    internal_gains: Array
    solar_gains: Array
    low: Array
    high: Array
    price: Array
    co2: Array
    base_load: Array
    pv: Array
    limit: Array | None = None

    def __len__(self) -> int:
        return len(self.t_out)


@dataclass(frozen=True)
class Plan:
    status: str  # "optimal" | "infeasible" | "error"
    heating_kw: Array
    cooling_kw: Array
    t_air: Array
    t_m: Array
    import_kw: Array
    cost: float
    co2: float
    discomfort_kh: float
    limit_excess_kwh: float
    message: str = ""
    seconds: float = 0.0
    details: dict[str, float] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return self.status == "optimal"

    @property
    def setpoints(self) -> Array:
        """The air temperature the plan reaches in each step: what goes to the thermostat."""
        return np.round(self.t_air, 1)


def plan(
    zone: rc.Zone,
    plant: Plant,
    forecast: Forecast,
    *,
    t_m0: float,
    weight_cost: float = 1.0,
    weight_co2: float = 0.0,
    soft_comfort: bool = False,
    step_seconds: float = STEP_SECONDS,
) -> Plan:
    """Solve the horizon of ``forecast``. ``soft_comfort`` lets the band be left at a penalty
    (demand-response events); otherwise a band the plant cannot hold makes the plan infeasible
    (the upper edge only with cooling: a heated-only building cannot act on it).
    """
    import highspy  # here: the solver's import time is paid by the jobs that plan
    from scipy import sparse

    started = time.perf_counter()
    n = len(forecast)
    dt_h = step_seconds / 3600.0
    a, b, c, _ = rc.state_space(zone, step_seconds=step_seconds)
    t_out = np.asarray(forecast.t_out, dtype=float)
    gains = np.asarray(forecast.internal_gains, dtype=float)
    sun = np.asarray(forecast.solar_gains, dtype=float)
    ext = (b[0] + b[1]) * t_out + b[2] * gains + b[3] * sun
    air_ext = (c[1] + c[2]) * t_out + c[3] * gains + c[4] * sun
    b_hc = b[4] * 1000.0  # per kW
    c_m, c_hc = c[0], c[5] * 1000.0
    widths, slopes = plant.segments(t_out)
    pieces = len(widths)
    limit = np.full(n, np.inf) if forecast.limit is None else np.asarray(forecast.limit, float)

    # Columns: t_m[0..n], heat in pieces[pieces·n], cool[n], import[n], below[n], above[n],
    # excess[n]
    tm, heat = 0, n + 1
    cool = heat + pieces * n
    imp, below, above, excess = cool + n, cool + 2 * n, cool + 3 * n, cool + 4 * n
    ncol = cool + 5 * n
    k = np.arange(n)
    rows: list[NDArray[Any]] = []
    cols: list[NDArray[Any]] = []
    vals: list[Array] = []

    def put(r: NDArray[Any], col: NDArray[Any], v: NDArray[Any] | float) -> None:
        rows.append(np.asarray(r, dtype=np.int64))
        cols.append(np.asarray(col, dtype=np.int64))
        vals.append(np.broadcast_to(np.asarray(v, dtype=float), np.shape(r)).copy())

    # 1. dynamics, rows 0..n-1: t_m[k+1] − a·t_m[k] − b_hc·(Σ heat − cool) = ext
    put(k, tm + k + 1, 1.0)
    put(k, tm + k, -a)
    put(k, cool + k, b_hc)
    # 2. comfort, rows n..2n-1: c_m·t_m + c_hc·(Σ heat − cool) + below − above ∈ [low, high]
    put(n + k, tm + k, c_m)
    put(n + k, cool + k, -c_hc)
    put(n + k, below + k, 1.0)
    put(n + k, above + k, -1.0)
    # 3. import, rows 2n..3n-1: import − Σ slope·heat − cool/EER ≥ base − pv
    put(2 * n + k, imp + k, 1.0)
    put(2 * n + k, cool + k, -1.0 / plant.eer)
    for piece in range(pieces):
        column = heat + piece * n + k
        put(k, column, -b_hc)
        put(n + k, column, c_hc)
        put(2 * n + k, column, -slopes[piece])
    # 4. limit, rows 3n..4n-1: import − excess ≤ limit
    put(3 * n + k, imp + k, 1.0)
    put(3 * n + k, excess + k, -1.0)
    nrow = 4 * n
    matrix = sparse.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nrow, ncol)
    )
    matrix.sum_duplicates()

    inf = highspy.kHighsInf
    row_lower = np.concatenate(
        [
            ext,
            np.asarray(forecast.low, dtype=float) - air_ext,
            np.asarray(forecast.base_load, float) - np.asarray(forecast.pv, float),
            np.full(n, -inf),
        ]
    )
    row_upper = np.concatenate(
        [
            ext,
            np.asarray(forecast.high, dtype=float) - air_ext,
            np.full(n, inf),
            np.where(np.isfinite(limit), limit, inf),
        ]
    )
    col_lower = np.zeros(ncol)
    col_upper = np.full(ncol, inf)
    col_lower[tm : tm + n + 1] = -inf
    col_lower[tm], col_upper[tm] = t_m0, t_m0
    col_upper[heat:cool] = np.repeat(widths, n)
    col_upper[cool : cool + n] = plant.cooling_kw
    if not soft_comfort:
        col_upper[below : below + n] = 0.0
        if plant.cooling_kw > 0:
            # Without cooling the upper edge is the weather's, not the plan's: left soft there.
            col_upper[above : above + n] = 0.0

    price = np.asarray(forecast.price, dtype=float)
    co2 = np.asarray(forecast.co2, dtype=float)
    cost = np.zeros(ncol)
    cost[imp : imp + n] = dt_h * (weight_cost * price + weight_co2 * co2)
    if not plant.electric:
        cost[heat:cool] = (
            dt_h * (weight_cost * plant.fuel_price + weight_co2 * plant.fuel_co2) / plant.efficiency
        )
    scale = max(weight_cost, weight_co2, 1e-9)
    cost[below : below + n] = dt_h * DISCOMFORT_PENALTY * scale
    cost[above : above + n] = dt_h * DISCOMFORT_PENALTY * scale
    cost[excess : excess + n] = dt_h * LIMIT_PENALTY * scale

    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = nrow
    lp.col_cost_ = cost
    lp.col_lower_ = col_lower
    lp.col_upper_ = col_upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    solver = _solver()
    solver.passModel(lp)
    solver.run()
    status = solver.getModelStatus()
    seconds = time.perf_counter() - started
    if status != highspy.HighsModelStatus.kOptimal:
        infeasible = status in (
            highspy.HighsModelStatus.kInfeasible,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        )
        empty = np.zeros(n)
        return Plan(
            status="infeasible" if infeasible else "error",
            heating_kw=empty,
            cooling_kw=empty,
            t_air=np.full(n, np.nan),
            t_m=np.full(n + 1, np.nan),
            import_kw=empty,
            cost=float("nan"),
            co2=float("nan"),
            discomfort_kh=float("nan"),
            limit_excess_kwh=float("nan"),
            message=(
                "the comfort band cannot be held with the heating and cooling capacity"
                if infeasible
                else f"the solver stopped: {solver.modelStatusToString(status)}"
            ),
            seconds=seconds,
        )
    x = np.asarray(solver.getSolution().col_value)
    t_m = x[tm : tm + n + 1]
    h = x[heat:cool].reshape(pieces, n).sum(axis=0)
    cl, i = x[cool : cool + n], x[imp : imp + n]
    t_air = c_m * t_m[:-1] + c_hc * (h - cl) + air_ext
    energy_cost = float(np.sum(price * i) * dt_h)
    energy_co2 = float(np.sum(co2 * i) * dt_h)
    if not plant.electric:
        fuel = float(np.sum(h) * dt_h / plant.efficiency)
        energy_cost += fuel * plant.fuel_price
        energy_co2 += fuel * plant.fuel_co2
    return Plan(
        status="optimal",
        heating_kw=h,
        cooling_kw=cl,
        t_air=t_air,
        t_m=t_m,
        import_kw=i,
        cost=energy_cost,
        co2=energy_co2,
        discomfort_kh=float(np.sum(x[below : below + n] + x[above : above + n]) * dt_h),
        limit_excess_kwh=float(np.sum(x[excess : excess + n]) * dt_h),
        seconds=seconds,
    )


def _solver() -> Any:
    """A HiGHS instance that prints nothing. The core object, not ``highspy.Highs``: that
    wrapper installs its callbacks on construction, and HiGHS logs its banner at that moment,
    before any option could be set; here ``output_flag`` is off before anything runs.

    Without presolve: the horizon's LP (a few hundred rows) has nothing presolve could remove,
    and skipping it saves a sixth of each solve with the same plan."""
    from highspy import _core

    solver = _core._Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", 1)
    solver.setOptionValue("presolve", "off")
    return solver
