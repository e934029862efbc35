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

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

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


def utci(ta: ArrayLike, tmrt: ArrayLike, wind: ArrayLike, rh: ArrayLike) -> Array:
    """UTCI (°C, unrounded) of every element; the inputs broadcast against each other.

    ``wind`` is the wind speed 10 m above ground (m/s), ``rh`` the relative humidity (%).
    NaN outside the validity range (see the module's description).
    """
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (ta, tmrt, wind, rh)))
    shape = arrays[0].shape
    t, m, w, h = (np.ascontiguousarray(a).ravel() for a in arrays)
    from allmende.modules.heat.utci_kernel import run_kernel  # numba loads on first use

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
