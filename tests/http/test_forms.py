"""The form-post helpers: a form shown again holds what was typed, never the CSRF token or
an upload."""

from __future__ import annotations

import io

import pytest
from starlette.datastructures import FormData, UploadFile

from allmende.http.forms import form_strings

pytestmark = pytest.mark.unit


def test_form_strings_keep_the_typed_fields_only() -> None:
    form = FormData(
        [("name", "Rathaus"), ("csrf_token", "secret"), ("file", UploadFile(io.BytesIO(b"x")))]
    )
    assert form_strings(form) == {"name": "Rathaus"}
