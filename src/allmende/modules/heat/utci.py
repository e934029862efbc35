"""The Universal Thermal Climate Index (UTCI) as a numba kernel.

UTCI is the air temperature of a reference environment (50 % relative humidity up to 20 hPa
vapour pressure, calm air, mean radiant temperature equal to air temperature) that strains the
body as much as the actual environment does. It is computed with the sixth-order polynomial
of Bröde et al. (2012), "Deriving the operational procedure for the Universal Thermal Climate
Index (UTCI)", Int. J. Biometeorol. 56:481-494, with the 210 coefficients that the UTCI
reference program ``UTCI_a002.f90`` publishes. It is not the German weather service's
"Gefühlte Temperatur" (the Klima-Michel model), which is a different, closed model.

Inputs: air temperature Ta (°C), mean radiant temperature Tmrt (°C), wind speed 10 m above
ground (m/s) and relative humidity (%). Outside the validity range of the polynomial the
result is NaN, exactly where the reference program and pythermalcomfort (``limit_inputs=True``)
refuse: Ta −50…50 °C, Tmrt − Ta −30…70 K, wind 0.5…17 m/s, relative humidity 0…100 % and
water vapour pressure 0…5 kPa, all bounds included. A NaN input gives NaN.

The kernel evaluates the polynomial as nested Horner schemes written out in full (straight-line
code, so that the compiler turns the loop over cells into SIMD instructions) and spreads the
cells over the cores.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

#: LLVM's fast-math flags without ``nnan``/``ninf``: those would let the compiler assume that
#: no NaN exists and drop the validity checks that produce NaN (``fastmath=True`` sets them).
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}

#: Upper edges (°C, included) of the UTCI assessment scale's classes, from cold to hot.
CATEGORY_EDGES = np.array([-40.0, -27.0, -13.0, 0.0, 9.0, 26.0, 32.0, 38.0, 46.0])
#: Class names in the order of :func:`stress_category`'s codes 0…9.
CATEGORIES = (
    "extreme cold stress",
    "very strong cold stress",
    "strong cold stress",
    "moderate cold stress",
    "slight cold stress",
    "no thermal stress",
    "moderate heat stress",
    "strong heat stress",
    "very strong heat stress",
    "extreme heat stress",
)


@njit(fastmath=FASTMATH, cache=True, inline="always")
def vapour_pressure_kpa(ta: float, rh: float) -> float:
    """Water vapour pressure (kPa) as the UTCI program computes it: saturation over water
    after Hardy (1998, ITS-90), ln(es/Pa) = 2.7150305 ln T + Σ g_i T^(i−2), times rh/100."""
    k = ta + 273.15
    ln_es = (
        2.7150305 * np.log(k)
        - 2836.5744 / (k * k)
        - 6028.076559 / k
        + 19.54263612
        + k * (-0.02737830188 + k * (0.000016261698 + k * (7.0229056e-10 - k * 1.8680009e-13)))
    )
    return float(np.exp(ln_es) * rh * 1e-5)


@njit(fastmath=FASTMATH, cache=True, inline="always")
def _offset(t: float, w: float, d: float, p: float) -> float:
    """UTCI − Ta for Ta ``t`` (°C), wind ``w`` (m/s), Tmrt − Ta ``d`` (K), vapour pressure
    ``p`` (kPa)."""
    # fmt: off
    # Polynomials in Ta, one per exponent (wind, Tmrt − Ta, vapour pressure): a<w><d><p>
    a000 = (6.07562052e-01 + t * (-2.27712343e-02 + t * (8.06470249e-04 + t * (
        -1.54271372e-04 + t * (-3.24651735e-06 + t * (7.32602852e-08 + t * 1.35959073e-09))))))
    a100 = (-2.25836520e+00 + t * (8.80326035e-02 + t * (2.16844454e-03 + t * (
        -1.53347087e-05 + t * (-5.72983704e-07 + t * -2.55090145e-09)))))
    a200 = (-7.51269505e-01 + t * (-4.08350271e-03 + t * (-5.21670675e-05 + t * (
        1.94544667e-06 + t * 1.14099531e-08))))
    a300 = (1.58137256e-01 + t * (-6.57263143e-05 + t * (2.22697524e-07 + t *
        -4.16117031e-08)))
    a400 = (-1.27762753e-02 + t * (9.66891875e-06 + t * 2.52785852e-09))
    a500 = (4.56306672e-04 + t * -1.74202546e-07)
    a600 = -5.91491269e-06
    a010 = (3.98374029e-01 + t * (1.83945314e-04 + t * (-1.73754510e-04 + t * (
        -7.60781159e-07 + t * (3.77830287e-08 + t * 5.43079673e-10)))))
    a110 = (-2.00518269e-02 + t * (8.92859837e-04 + t * (3.45433048e-06 + t * (
        -3.77925774e-07 + t * -1.69699377e-09))))
    a210 = (1.69992415e-04 + t * (-4.99204314e-05 + t * (2.47417178e-07 + t *
        1.07596466e-08)))
    a310 = (8.49242932e-05 + t * (1.35191328e-06 + t * -6.21531254e-09))
    a410 = (-4.99410301e-06 + t * -1.89489258e-08)
    a510 = 8.15300114e-08
    a020 = (7.55043090e-04 + t * (-5.65095215e-05 + t * (-4.52166564e-07 + t * (
        2.46688878e-08 + t * 2.42674348e-10))))
    a120 = (1.54547250e-04 + t * (5.24110970e-06 + t * (-8.75874982e-08 + t *
        -1.50743064e-09)))
    a220 = (-1.56236307e-05 + t * (-1.33895614e-07 + t * 2.49709824e-09))
    a320 = (6.51711721e-07 + t * 1.94960053e-09)
    a420 = -1.00361113e-08
    a030 = (-1.21206673e-05 + t * (-2.18203660e-07 + t * (7.51269482e-09 + t *
        9.79063848e-11)))
    a130 = (1.25006734e-06 + t * (-1.81584736e-09 + t * -3.52197671e-10))
    a230 = (-3.36514630e-08 + t * 1.35908359e-10)
    a330 = 4.17032620e-10
    a040 = (-1.30369025e-09 + t * (4.13908461e-10 + t * 9.22652254e-12))
    a140 = (-5.08220384e-09 + t * -2.24730961e-11)
    a240 = 1.17139133e-10
    a050 = (6.62154879e-10 + t * 4.03863260e-13)
    a150 = 1.95087203e-12
    a060 = -4.73602469e-12
    a001 = (5.12733497e+00 + t * (-3.12788561e-01 + t * (-1.96701861e-02 + t * (
        9.99690870e-04 + t * (9.51738512e-06 + t * -4.66426341e-07)))))
    a101 = (5.48050612e-01 + t * (-3.30552823e-03 + t * (-1.64119440e-03 + t * (
        -5.16670694e-06 + t * 9.52692432e-07))))
    a201 = (-4.29223622e-02 + t * (5.00845667e-03 + t * (1.00601257e-06 + t *
        -1.81748644e-06)))
    a301 = (-1.25813502e-03 + t * (-1.79330391e-04 + t * 2.34994441e-06))
    a401 = (1.29735808e-04 + t * 1.29064870e-06)
    a501 = -2.28558686e-06
    a011 = (-3.69476348e-02 + t * (1.62325322e-03 + t * (-3.14279680e-05 + t * (
        2.59835559e-06 + t * -4.77136523e-08))))
    a111 = (8.64203390e-03 + t * (-6.87405181e-04 + t * (-9.13863872e-06 + t *
        5.15916806e-07)))
    a211 = (-3.59217476e-05 + t * (3.28696511e-05 + t * -7.10542454e-07))
    a311 = (-1.24382300e-05 + t * -7.38584400e-09)
    a411 = 2.20609296e-07
    a021 = (-7.32469180e-04 + t * (-1.87381964e-05 + t * (4.80925239e-06 + t *
        -8.75492040e-08)))
    a121 = (2.77862930e-05 + t * (-5.06004592e-06 + t * 1.14325367e-07))
    a221 = (2.53016723e-06 + t * -1.72857035e-08)
    a321 = -3.95079398e-08
    a031 = (-3.59413173e-07 + t * (7.04388046e-07 + t * -1.89309167e-08))
    a131 = (-4.79768731e-07 + t * 7.96079978e-09)
    a231 = 1.62897058e-09
    a041 = (3.94367674e-08 + t * -1.18566247e-09)
    a141 = 3.34678041e-10
    a051 = -1.15606447e-10
    a002 = (-2.80626406e+00 + t * (5.48712484e-01 + t * (-3.99428410e-03 + t * (
        -9.54009191e-04 + t * 1.93090978e-05))))
    a102 = (-3.08806365e-01 + t * (1.16952364e-02 + t * (4.95271903e-04 + t *
        -1.90710882e-05)))
    a202 = (2.10787756e-03 + t * (-6.98445738e-04 + t * 2.30109073e-05))
    a302 = (4.17856590e-04 + t * -1.27043871e-05)
    a402 = -3.04620472e-06
    a012 = (5.14507424e-02 + t * (-4.32510997e-03 + t * (8.99281156e-05 + t *
        -7.14663943e-07)))
    a112 = (-2.66016305e-04 + t * (2.63789586e-04 + t * -7.01199003e-06))
    a212 = (-1.06823306e-04 + t * 3.61341136e-06)
    a312 = 2.29748967e-07
    a022 = (3.04788893e-04 + t * (-6.42070836e-05 + t * 1.16257971e-06))
    a122 = (7.68023384e-06 + t * -5.47446896e-07)
    a222 = -3.59937910e-08
    a032 = (-4.36497725e-06 + t * 1.68737969e-07)
    a132 = 2.67489271e-08
    a042 = 3.23926897e-09
    a003 = (-3.53874123e-02 + t * (-2.21201190e-01 + t * (1.55126038e-02 + t *
        -2.63917279e-04)))
    a103 = (4.53433455e-02 + t * (-4.32943862e-03 + t * 1.45389826e-04))
    a203 = (2.17508610e-04 + t * -6.66724702e-05)
    a303 = 3.33217140e-05
    a013 = (-2.26921615e-03 + t * (3.80261982e-04 + t * -5.45314314e-09))
    a113 = (-7.96355448e-04 + t * 2.53458034e-05)
    a213 = -6.31223658e-06
    a023 = (3.02122035e-04 + t * -4.77403547e-06)
    a123 = 1.73825715e-06
    a033 = -4.09087898e-07
    a004 = (6.14155345e-01 + t * (-6.16755931e-02 + t * 1.33374846e-03))
    a104 = (3.55375387e-03 + t * -5.13027851e-04)
    a204 = 1.02449757e-04
    a014 = (-1.48526421e-03 + t * -4.11469183e-05)
    a114 = -6.80434415e-06
    a024 = -9.77675906e-06
    a005 = (8.82773108e-02 + t * -3.01859306e-03)
    a105 = 1.04452989e-03
    a015 = 2.47090539e-04
    a006 = 1.48348065e-03
    # Horner in wind (b<d><p>), in Tmrt − Ta (c<p>), in vapour pressure
    b00 = (a000 + w * (a100 + w * (a200 + w * (a300 + w * (a400 + w * (a500 + w * a600))))))
    b10 = (a010 + w * (a110 + w * (a210 + w * (a310 + w * (a410 + w * a510)))))
    b20 = (a020 + w * (a120 + w * (a220 + w * (a320 + w * a420))))
    b30 = (a030 + w * (a130 + w * (a230 + w * a330)))
    b40 = (a040 + w * (a140 + w * a240))
    b50 = (a050 + w * a150)
    b60 = a060
    b01 = (a001 + w * (a101 + w * (a201 + w * (a301 + w * (a401 + w * a501)))))
    b11 = (a011 + w * (a111 + w * (a211 + w * (a311 + w * a411))))
    b21 = (a021 + w * (a121 + w * (a221 + w * a321)))
    b31 = (a031 + w * (a131 + w * a231))
    b41 = (a041 + w * a141)
    b51 = a051
    b02 = (a002 + w * (a102 + w * (a202 + w * (a302 + w * a402))))
    b12 = (a012 + w * (a112 + w * (a212 + w * a312)))
    b22 = (a022 + w * (a122 + w * a222))
    b32 = (a032 + w * a132)
    b42 = a042
    b03 = (a003 + w * (a103 + w * (a203 + w * a303)))
    b13 = (a013 + w * (a113 + w * a213))
    b23 = (a023 + w * a123)
    b33 = a033
    b04 = (a004 + w * (a104 + w * a204))
    b14 = (a014 + w * a114)
    b24 = a024
    b05 = (a005 + w * a105)
    b15 = a015
    b06 = a006
    c0 = (b00 + d * (b10 + d * (b20 + d * (b30 + d * (b40 + d * (b50 + d * b60))))))
    c1 = (b01 + d * (b11 + d * (b21 + d * (b31 + d * (b41 + d * b51)))))
    c2 = (b02 + d * (b12 + d * (b22 + d * (b32 + d * b42))))
    c3 = (b03 + d * (b13 + d * (b23 + d * b33)))
    c4 = (b04 + d * (b14 + d * b24))
    c5 = (b05 + d * b15)
    c6 = b06
    offset = (c0 + p * (c1 + p * (c2 + p * (c3 + p * (c4 + p * (c5 + p * c6))))))
    # fmt: on
    return float(offset)


@njit(fastmath=FASTMATH, parallel=True, cache=True)
def _kernel(ta: Array, tmrt: Array, wind: Array, rh: Array, out: Array) -> None:
    for i in prange(ta.size):
        t, w, h = ta[i], wind[i], rh[i]
        d = tmrt[i] - t
        p = vapour_pressure_kpa(t, h)
        valid = (
            t >= -50.0
            and t <= 50.0
            and d >= -30.0
            and d <= 70.0
            and w >= 0.5
            and w <= 17.0
            and h >= 0.0
            and h <= 100.0
            and p >= 0.0
            and p <= 5.0
        )
        out[i] = t + _offset(t, w, d, p) if valid else np.nan


#: The compiled kernel as the type checker should see it (numba's dispatcher hides the call).
run_kernel: Callable[[Array, Array, Array, Array, Array], None] = _kernel


def utci(ta: ArrayLike, tmrt: ArrayLike, wind: ArrayLike, rh: ArrayLike) -> Array:
    """UTCI (°C, unrounded) of every element; the inputs broadcast against each other.

    ``wind`` is the wind speed 10 m above ground (m/s), ``rh`` the relative humidity (%).
    NaN outside the validity range (see the module's description).
    """
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (ta, tmrt, wind, rh)))
    shape = arrays[0].shape
    t, m, w, h = (np.ascontiguousarray(a).ravel() for a in arrays)
    out = np.empty(t.size)
    run_kernel(t, m, w, h, out)
    return out.reshape(shape)


def stress_category(value: ArrayLike) -> NDArray[np.int8]:
    """Class of the UTCI assessment scale (0 extreme cold … 9 extreme heat); −1 for NaN.

    Classes include their upper edge: 32.0 °C is moderate, 32.01 °C strong heat stress.
    """
    values = np.asarray(value, dtype=np.float64)
    codes = np.searchsorted(CATEGORY_EDGES, values, side="left").astype(np.int8)
    return np.where(np.isnan(values), np.int8(-1), codes)
