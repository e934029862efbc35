"""Scheduled work: mail the followers of processes whose next phase has begun."""

from __future__ import annotations

from typing import Any

from allmende.modules.participation import mails
from allmende.sdk import JobSpec


def mail_new_phases(context: Any) -> None:
    context.database.write(lambda s: mails.new_phases(s, now=context.now))


JOBS = (JobSpec("participation.phase_mail", 900, mail_new_phases),)
