"""The ISO 13790 Annex C five-resistance, one-capacity (5R1C) thermal model of a zone.

Nodes: indoor air (``t_air``), internal surfaces (``t_s``) and the building mass (``t_m``), the
only state. Conductances in W/K: ventilation ``h_ve`` (air ↔ supply air), windows ``h_tr_w``
(surface ↔ outside), air ↔ surface ``h_tr_is``, surface ↔ mass ``h_tr_ms``, mass ↔ outside
``h_tr_em``; the mass holds ``c_m`` J/K. Each step updates the mass temperature by the
Crank–Nicolson scheme of the standard (C.4–C.11) and, as in C.4.2, finds the heating or cooling
power delivered to the air node that holds the air temperature at the nearer set point, limited
by the plant's capacity.

The time loop is compiled by numba on first use (importing numba takes a second or more, which
a process that only serves pages should not pay at start-up): one zone, 8 760 hours in well
under a millisecond. Inputs and outputs are numpy arrays; no session, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

#: ISO 13790 7.2.2.2: heat transfer coefficient between the air and the surface node, W/(m²K).
H_IS = 3.45
#: ISO 13790 12.2.2: heat transfer coefficient between the mass and the surface node, W/(m²K).
H_MS = 9.1
#: Volumetric heat capacity of air at sea level, J/(m³K) (ISO 13790 9.3.1: ρ·c = 1200).
RHO_C_AIR = 1200.0


@dataclass(frozen=True)
class Zone:
    """The parameters of one thermal zone.

    ``a_m`` (effective mass area) and ``a_t`` (area of all surfaces facing the zone) split the
    gains between the nodes (C.1–C.3); ``floor_area`` only scales the test load of C.4.2.
    """

    h_ve: float
    h_tr_w: float
    h_tr_em: float
    h_tr_is: float
    h_tr_ms: float
    c_m: float
    a_m: float
    a_t: float
    floor_area: float

    @classmethod
    def from_building(
        cls,
        *,
        floor_area: float,
        volume: float,
        window_area: float,
        opaque_area: float,
        u_window: float,
        u_opaque: float,
        air_changes: float,
        heat_capacity_per_floor_area: float = 165_000.0,
        mass_area_factor: float = 2.5,
        internal_area_factor: float = 4.5,
        heat_recovery: float = 0.0,
    ) -> Zone:
        """The zone from a building's size and envelope with the standard's defaults: a medium
        mass class (Table 12: C_m = 165 kJ/(m²K)·A_f, A_m = 2.5·A_f), A_t = 4.5·A_f, and the
        opaque conductance split so that mass ↔ outside in series with mass ↔ surface gives it.
        """
        a_m = mass_area_factor * floor_area
        h_tr_ms = H_MS * a_m
        h_tr_op = u_opaque * opaque_area
        h_tr_em = 1.0 / (1.0 / h_tr_op - 1.0 / h_tr_ms)
        return cls(
            h_ve=RHO_C_AIR * volume * air_changes / 3600.0 * (1.0 - heat_recovery),
            h_tr_w=u_window * window_area,
            h_tr_em=h_tr_em,
            h_tr_is=H_IS * internal_area_factor * floor_area,
            h_tr_ms=h_tr_ms,
            c_m=heat_capacity_per_floor_area * floor_area,
            a_m=a_m,
            a_t=internal_area_factor * floor_area,
            floor_area=floor_area,
        )

    @property
    def heat_loss_coefficient(self) -> float:
        """Steady-state conductance from the air to the outside, W/K."""
        h_tr_op = 1.0 / (1.0 / self.h_tr_em + 1.0 / self.h_tr_ms)
        return self.h_ve + 1.0 / (1.0 / (self.h_tr_w + h_tr_op) + 1.0 / self.h_tr_is)

    def params(self) -> Array:
        return np.array(
            [
                self.h_ve,
                self.h_tr_w,
                self.h_tr_em,
                self.h_tr_is,
                self.h_tr_ms,
                self.c_m,
                self.a_m,
                self.a_t,
                self.floor_area,
            ]
        )


@dataclass(frozen=True)
class Result:
    """Per step: air, surface and (mean) mass temperature in °C, the mass temperature at the
    step's end, and the heating (+) or cooling (−) power delivered to the air in W."""

    t_air: Array
    t_s: Array
    t_m: Array
    t_m_end: Array
    phi_hc: Array

    @property
    def t_operative(self) -> Array:
        """ISO 13790 C.12: 0.3·air + 0.7·surface."""
        return 0.3 * self.t_air + 0.7 * self.t_s


def _full(value: float | Array, n: int) -> Array:
    out = np.asarray(value, dtype=np.float64)
    return np.full(n, float(out)) if out.ndim == 0 else np.ascontiguousarray(out)


def simulate(
    zone: Zone,
    *,
    t_out: Array,
    internal_gains: float | Array,
    solar_gains: float | Array,
    t_set_heating: float | Array,
    t_set_cooling: float | Array,
    max_heating: float | Array = np.inf,
    max_cooling: float | Array = np.inf,
    t_m0: float = 20.0,
    step_seconds: float = 3600.0,
    t_supply: Array | None = None,
    air_gains: float | Array = 0.0,
) -> Result:
    """Run the zone over ``len(t_out)`` steps of ``step_seconds``.

    Gains in W; the set points and capacity limits (W, both positive) may vary per step;
    ``t_supply`` is the ventilation supply air (the outside air unless given). A set point of
    ±inf switches heating or cooling off. ``air_gains`` (W) go straight to the air node, as a
    measured heating power does when the model is calibrated against a heat meter.
    """
    n = len(t_out)
    out = np.empty((5, n))
    _compile()
    _run(
        zone.params(),
        _full(t_out, n),
        _full(t_out if t_supply is None else t_supply, n),
        _full(internal_gains, n),
        _full(solar_gains, n),
        _full(air_gains, n),
        _full(t_set_heating, n),
        _full(t_set_cooling, n),
        _full(max_heating, n),
        _full(max_cooling, n),
        float(t_m0),
        float(step_seconds),
        out,
    )
    return Result(t_air=out[0], t_s=out[1], t_m=out[2], t_m_end=out[3], phi_hc=out[4])


@cache
def _compile() -> None:
    """Replace the two kernels by their numba-compiled versions, the inner one first: the
    outer one calls it, and numba resolves that call when it compiles."""
    global _node_temperatures, _run
    from numba import njit

    _node_temperatures = njit(cache=True, fastmath=False)(_node_temperatures)
    _run = njit(cache=True, fastmath=False)(_run)


def _node_temperatures(
    p: Array,
    t_out: float,
    t_sup: float,
    phi_int: float,
    phi_sol: float,
    phi_hc: float,
    t_m_prev: float,
    dt: float,
) -> tuple[float, float, float, float]:
    h_ve, h_tr_w, h_tr_em, h_tr_is, h_tr_ms, c_m, a_m, a_t = (
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
        p[5],
        p[6],
        p[7],
    )
    # C.1–C.3: half the internal gains to the air, the rest and the solar gains split
    # between the surface and the mass; the heating/cooling power goes to the air.
    phi_ia = 0.5 * phi_int + phi_hc
    radiant = 0.5 * phi_int + phi_sol
    phi_m = a_m / a_t * radiant
    phi_st = (1.0 - a_m / a_t - h_tr_w / (H_MS * a_t)) * radiant
    h_tr_1 = 1.0 / (1.0 / h_ve + 1.0 / h_tr_is)
    h_tr_2 = h_tr_1 + h_tr_w
    h_tr_3 = 1.0 / (1.0 / h_tr_2 + 1.0 / h_tr_ms)
    # C.5, C.4, C.9
    phi_m_tot = (
        phi_m
        + h_tr_em * t_out
        + h_tr_3 * (phi_st + h_tr_w * t_out + h_tr_1 * (phi_ia / h_ve + t_sup)) / h_tr_2
    )
    cap = c_m / dt
    t_m_end = (t_m_prev * (cap - 0.5 * (h_tr_3 + h_tr_em)) + phi_m_tot) / (
        cap + 0.5 * (h_tr_3 + h_tr_em)
    )
    t_m = 0.5 * (t_m_end + t_m_prev)
    # C.10, C.11
    t_s = (h_tr_ms * t_m + phi_st + h_tr_w * t_out + h_tr_1 * (t_sup + phi_ia / h_ve)) / (
        h_tr_ms + h_tr_w + h_tr_1
    )
    t_air = (h_tr_is * t_s + h_ve * t_sup + phi_ia) / (h_tr_is + h_ve)
    return t_air, t_s, t_m, t_m_end


def _run(
    p: Array,
    t_out: Array,
    t_sup: Array,
    phi_int: Array,
    phi_sol: Array,
    phi_air: Array,
    t_heat: Array,
    t_cool: Array,
    max_heat: Array,
    max_cool: Array,
    t_m0: float,
    dt: float,
    out: Array,
) -> None:
    t_m_prev = t_m0
    test_load = 10.0 * p[8]  # C.4.2 step 2: 10 W per m² of floor
    for k in range(t_out.shape[0]):
        extra = phi_air[k]
        t_air_0, t_s, t_m, t_m_end = _node_temperatures(
            p, t_out[k], t_sup[k], phi_int[k], phi_sol[k], extra, t_m_prev, dt
        )
        phi_hc = 0.0
        if t_air_0 < t_heat[k] or t_air_0 > t_cool[k]:
            target = t_heat[k] if t_air_0 < t_heat[k] else t_cool[k]
            t_air_10 = _node_temperatures(
                p, t_out[k], t_sup[k], phi_int[k], phi_sol[k], extra + test_load, t_m_prev, dt
            )[0]
            phi_hc = test_load * (target - t_air_0) / (t_air_10 - t_air_0)
            phi_hc = min(max(phi_hc, -max_cool[k]), max_heat[k])
        t_air, t_s, t_m, t_m_end = _node_temperatures(
            p, t_out[k], t_sup[k], phi_int[k], phi_sol[k], extra + phi_hc, t_m_prev, dt
        )
        out[0, k] = t_air
        out[1, k] = t_s
        out[2, k] = t_m
        out[3, k] = t_m_end
        out[4, k] = phi_hc
        t_m_prev = t_m_end


def state_space(zone: Zone, *, step_seconds: float) -> tuple[float, Array, Array, Array]:
    """The model as an affine map per step, for the optimiser and the calibration.

    Returns ``(a, b, c, d)`` with ``t_m_end = a·t_m_prev + b·u`` and
    ``t_air = c[0]·t_m_prev + c[1:]·u``, ``t_s = d[0]·t_m_prev + d[1:]·u``, where
    ``u = (t_out, t_supply, internal gains, solar gains, phi_hc)``. Exact, because every
    node temperature is affine in the state and the inputs.
    """
    p = zone.params()
    base = np.zeros(5)
    rows = np.zeros((6, 4))  # response to t_m_prev and each input
    _compile()
    rows[0] = _node_temperatures(p, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, step_seconds)
    for i in range(5):
        u = base.copy()
        u[i] = 1.0
        rows[i + 1] = _node_temperatures(p, u[0], u[1], u[2], u[3], u[4], 0.0, step_seconds)
    a = float(rows[0, 3])
    b = rows[1:, 3].copy()
    c = rows[:, 0].copy()
    d = rows[:, 1].copy()
    return a, b, c, d
