"""The rules every part of participation shares: who sees a process, who moderates it, which
actions its current phase allows, and who is taking part. No HTTP here.

Messages that citizens read are English source strings marked with ``N_`` (or a ``Message``
with values); the pages translate them where they are shown (``localise``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.participation.models import Phase, Process
from allmende.sdk import (
    Action,
    AllmendeError,
    Conflict,
    FieldError,
    Forbidden,
    Message,
    Municipality,
    NotFound,
    Principal,
    Unauthorized,
    can,
    require,
    sees,
    utcnow,
)

SCOPE = "participation"


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "translate where it is shown"
    return message


class Act(StrEnum):
    """What a phase may allow."""

    CONTRIBUTE = "contribute"
    COMMENT = "comment"
    SUPPORT = "support"
    SURVEY = "survey"
    RATE = "rate"


ACT_LABELS: dict[str, str] = {
    Act.CONTRIBUTE: N_("add contributions"),
    Act.COMMENT: N_("comment"),
    Act.SUPPORT: N_("support contributions"),
    Act.SURVEY: N_("answer surveys"),
    Act.RATE: N_("rate drafts"),
}


class Status(StrEnum):
    """Where a contribution stands, as moderators set it."""

    NEW = "new"
    UNDER_CONSIDERATION = "under_consideration"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IMPLEMENTED = "implemented"


STATUS_LABELS: dict[str, str] = {
    Status.NEW: N_("New"),
    Status.UNDER_CONSIDERATION: N_("Under consideration"),
    Status.ACCEPTED: N_("Accepted"),
    Status.REJECTED: N_("Rejected"),
    Status.IMPLEMENTED: N_("Implemented"),
}


class State(StrEnum):
    """Where a process stands in time."""

    UNPLANNED = "unplanned"  # no phases yet
    UPCOMING = "upcoming"
    RUNNING = "running"
    ENDED = "ended"


STATE_LABELS: dict[str, str] = {
    State.UNPLANNED: N_("In preparation"),
    State.UPCOMING: N_("Starts soon"),
    State.RUNNING: N_("Running"),
    State.ENDED: N_("Ended"),
}


@dataclass(frozen=True)
class Participant:
    """Who takes part: the caller, plus for anonymous callers the key that tells their browser
    apart (a keyed hash; see :mod:`.challenge`)."""

    principal: Principal
    voter_key: str | None = None
    name: str | None = None

    @property
    def user_id(self) -> int | None:
        return self.principal.user_id if self.principal.kind == "user" else None

    @property
    def is_anonymous(self) -> bool:
        return not self.principal.is_authenticated


# --- time -------------------------------------------------------------------------------------


def current_phase(process: Process, now: datetime | None = None) -> Phase | None:
    now = now or utcnow()
    for phase in process.phases:
        if phase.starts_at <= now < phase.ends_at:
            return phase
    return None


def state_of(process: Process, now: datetime | None = None) -> State:
    now = now or utcnow()
    if not process.phases:
        return State.UNPLANNED
    if now < min(p.starts_at for p in process.phases):
        return State.UPCOMING
    if now >= max(p.ends_at for p in process.phases):
        return State.ENDED
    return State.RUNNING


def allowed_actions(process: Process, now: datetime | None = None) -> frozenset[str]:
    phase = current_phase(process, now)
    return frozenset(phase.allows) if phase is not None else frozenset()


def check_action(process: Process, act: Act, *, now: datetime | None = None) -> None:
    """Refuse ``act`` unless the phase running now allows it (409, naming the phase)."""
    now = now or utcnow()
    phase = current_phase(process, now)
    if phase is not None and act.value in phase.allows:
        return
    state = state_of(process, now)
    if state is State.ENDED:
        reason: str = N_(
            "The process has ended. Everything stays visible, but nothing can be added."
        )
    elif phase is None:
        reason = Message(
            N_("No phase of the process is running now. Not possible: %(act)s."),
            act=ACT_LABELS[act],
        )
    else:
        reason = Message(
            N_("The current phase “%(phase)s” does not allow this: %(act)s."),
            phase=phase.title,
            act=ACT_LABELS[act],
        )
    raise Conflict(detail=reason, errors=[FieldError("phase", reason)])


# --- who sees and moderates -------------------------------------------------------------------


def get_process(session: Session, *, principal: Principal, process_id: int) -> Process:
    """The process if the caller may see it (published, or staff of its municipality).

    Loaded by its key, so that the further calls of one request's session (a page asks for the
    process, its contribution's and its details) take it from the session, not the database."""
    process = session.get(Process, process_id)
    if process is None or not sees(
        principal, municipality_id=process.municipality_id, public=process.public, scope=SCOPE
    ):
        raise NotFound(detail=f"No process {process_id}.")
    return process


def can_moderate(principal: Principal, process: Process) -> bool:
    return can(principal, Action.EDIT, municipality_id=process.municipality_id, scope=SCOPE)


def require_moderator(principal: Principal, process: Process) -> None:
    require(principal, Action.EDIT, municipality_id=process.municipality_id, scope=SCOPE)


def check_participant(participant: Participant, process: Process) -> None:
    """Anonymous callers only where the process allows it; keys need the participation scope."""
    principal = participant.principal
    if participant.is_anonymous:
        if not process.allow_anonymous:
            raise Unauthorized(
                detail=N_("Please sign in to take part in this process."),
                errors=[FieldError("account", N_("this process needs an account"))],
            )
        return
    require(principal, Action.CONTRIBUTE, municipality_id=process.municipality_id, scope=SCOPE)


def account_of(principal: Principal, reason: str) -> int:
    """The caller's user id; 401 without a credential, 403 for an API key (it is known, but
    what it asks for belongs to a person's account)."""
    if principal.kind == "user" and principal.user_id is not None:
        return principal.user_id
    if principal.is_authenticated:
        raise Forbidden(detail=f"{reason} An API key has no account.")
    raise Unauthorized(detail=reason)


def municipality_keys(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(Municipality.id, Municipality.key).where(Municipality.id.in_(sorted(ids)))
    )
    return {row.id: row.key for row in rows}


def refuse(error: type[AllmendeError], field: str, reason: str) -> AllmendeError:
    """An error naming one field, with the reason as its detail."""
    return error(detail=f"{field}: {reason}", errors=[FieldError(field, reason)])
