"""Arrays to bytes for the database: an ``.npz`` archive that ``numpy.load`` reads.

Deflate at level 3 rather than ``numpy.savez_compressed``'s default (6): on the maps' rounded
float16 fields it is several times quicker for a few per cent more bytes (the demo writes over
a hundred hourly maps, the job one per hour).
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
from numpy.typing import NDArray

LEVEL = 3


def pack(arrays: dict[str, NDArray[np.generic]]) -> bytes:
    """``arrays`` as an ``.npz`` archive (one ``<name>.npy`` member each)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()
