"""Before an account is deleted (``ModuleSpec.erase_account``): reports and booking requests
keep their content and lose who made them — contact details given with them are removed,
for the account and for its e-mail address used without signing in. Adoptions go with the
account; watering records stay without a name."""

from __future__ import annotations

from sqlalchemy import func, or_, update
from sqlalchemy.orm import Session

from allmende.modules.assets.models import Booking, Report


def erase_account(session: Session, user_id: int, email: str) -> None:
    address = email.strip().lower()
    session.execute(
        update(Report)
        .where(or_(Report.user_id == user_id, func.lower(Report.contact_email) == address))
        .values(
            user_id=None,
            contact_email=None,
            contact_phone=None,
            contact_first_name=None,
            contact_last_name=None,
            device_id=None,
            account_id=None,
        )
    )
    session.execute(
        update(Booking)
        .where(
            or_(Booking.applicant_user_id == user_id, func.lower(Booking.contact_email) == address)
        )
        .values(applicant_user_id=None, contact_email=None, organiser="")
    )
