"""The timing token: refused sooner than the installation's minimum after it was issued, or
after three hours; accepted in between (the minimum is the setting
``participation_min_form_seconds``)."""

from __future__ import annotations

import pytest

from allmende.core.settings import Mode, Settings
from allmende.modules.participation import challenge
from allmende.sdk import ValidationFailed

SECRET = "a-test-secret-of-the-installation"
ISSUED = 1_800_000_000.0


def test_the_default_minimum_is_three_seconds() -> None:
    assert Settings(mode=Mode.DEV).participation_min_form_seconds == 3


def test_a_token_sent_sooner_than_the_minimum_is_refused() -> None:
    token = challenge.issue(SECRET, now=ISSUED)
    with pytest.raises(ValidationFailed) as refused:
        challenge.verify(SECRET, token, min_seconds=3, now=ISSUED + 2.9)
    assert "too quickly" in refused.value.detail
    assert refused.value.errors[0].field == "body.challenge"
    challenge.verify(SECRET, token, min_seconds=3, now=ISSUED + 3)


def test_a_lower_minimum_accepts_a_quicker_form() -> None:
    token = challenge.issue(SECRET, now=ISSUED)
    challenge.verify(SECRET, token, min_seconds=0, now=ISSUED)
    with pytest.raises(ValidationFailed) as stale:
        challenge.verify(SECRET, token, min_seconds=0, now=ISSUED + challenge.MAX_AGE_SECONDS + 1)
    assert "expired" in stale.value.detail
