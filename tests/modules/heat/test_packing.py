"""Packed arrays come back from ``numpy.load`` exactly as they went in."""

from __future__ import annotations

import io
import zipfile

import numpy as np

from allmende.modules.heat import packing


def test_arrays_come_back_exactly_with_their_types() -> None:
    field = np.round(np.linspace(20.0, 40.0, 600).reshape(20, 30), 1).astype(np.float16)
    field[0, :5] = np.nan
    districts = np.arange(600, dtype=np.int64).reshape(20, 30)
    outdoor = districts % 3 == 0

    data = packing.pack({"utci": field, "districts": districts, "outdoor": outdoor})

    with np.load(io.BytesIO(data)) as stored:
        assert stored.files == ["utci", "districts", "outdoor"]
        assert stored["utci"].dtype == np.float16
        np.testing.assert_array_equal(stored["utci"], field)
        np.testing.assert_array_equal(stored["districts"], districts)
        np.testing.assert_array_equal(stored["outdoor"], outdoor)


def test_members_are_deflated() -> None:
    data = packing.pack({"zeros": np.zeros((100, 100), dtype=np.float32)})

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (member,) = archive.infolist()
    assert member.compress_type == zipfile.ZIP_DEFLATED
    assert member.compress_size < member.file_size // 10
