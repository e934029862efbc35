"""What participants hear by e-mail: the answer on their contribution; as followers, the
official answers of the process and each new phase, once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from allmende.core.timeutil import utcnow
from allmende.delivery import mailer
from allmende.delivery.models import MailMessage
from allmende.identity import service
from allmende.modules.participation import contributions, mails, moderation, notifications
from allmende.modules.participation.schemas import ContributionCreate, FeedbackIn
from allmende.modules.participation.service import Participant
from allmende.storage.database import Database
from allmende.web.mail import MailTemplates
from tests.support.region import People, Region
from tests.support.smtp import SmtpServer, links_in, text_of

pytestmark = pytest.mark.integration


def _mails(database: Database) -> list[MailMessage]:
    with database.session() as session:
        return list(session.scalars(select(MailMessage).order_by(MailMessage.id)))


def _follow(database: Database, people: People, process_id: int, who: str = "admin") -> None:
    database.write(
        lambda s: notifications.follow(
            s, principal=getattr(people, who), process_id=process_id, following=True
        )
    )


def test_the_answer_reaches_the_author_and_the_followers(
    database: Database,
    region: Region,
    people: People,
    process_id: int,
    app: Any,
    settings: Any,
) -> None:
    _follow(database, people, process_id, "staff_b")
    data = ContributionCreate(title="Trinkbrunnen", text="Am Rathaus", category="Grün")
    item = database.write(
        lambda s: contributions.create_contribution(
            s, participant=Participant(people.citizen), process_id=process_id, data=data
        )
    ).id
    for _ in range(2):  # the same answer twice: one mail each
        database.write(
            lambda s: moderation.give_feedback(
                s,
                principal=people.staff_a,
                contribution_id=item,
                data=FeedbackIn(status="accepted", answer="Wird umgesetzt."),
            )
        )
    assert [(m.to_address, m.kind) for m in _mails(database)] == [
        (region.citizen_email, "participation.answer"),
        (region.staff_b_email, "participation.contribution.answered"),
    ]
    mailer.send_round(database, settings, app.state.allmende.service(MailTemplates))
    author, follower = _mails(database)
    assert author.subject == "Die Kommune hat Ihren Beitrag beantwortet"
    assert "„Trinkbrunnen“" in (author.body or "") and "Aufgenommen" in (author.body or "")
    assert follower.subject == "Neue Antwort in „Neugestaltung“"
    assert "Wird umgesetzt." in (follower.body or "")
    assert f"/participation/contributions/{item}" in (follower.body or "")


def test_followers_get_one_mail_per_new_phase(
    database: Database, region: Region, people: People, process_id: int
) -> None:
    _follow(database, people, process_id)
    now = utcnow()
    assert database.write(lambda s: mails.new_phases(s, now=now)) == 0  # began before following
    evaluation = now + timedelta(days=10, minutes=1)  # the timeline's next phase has begun
    assert database.write(lambda s: mails.new_phases(s, now=evaluation)) == 1
    assert database.write(lambda s: mails.new_phases(s, now=evaluation)) == 0
    [mail] = _mails(database)
    assert (mail.to_address, mail.kind) == (region.admin_email, "participation.phase.started")
    assert mail.context["phase"] == "Evaluation"


def test_a_follower_reads_the_new_phase_in_their_language_over_smtp(
    database: Database,
    region: Region,
    people: People,
    process_id: int,
    app: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    def english(session: Any) -> None:
        service.user_by_email(session, email=region.admin_email).locale = "en"

    database.write(english)
    _follow(database, people, process_id)
    evaluation = utcnow() + timedelta(days=10, minutes=1)
    assert database.write(lambda s: mails.new_phases(s, now=evaluation)) == 1
    server = SmtpServer(tmp_path).start()
    try:
        configured = settings.model_copy(update=server.settings())
        mailer.send_round(database, configured, app.state.allmende.service(MailTemplates))
        server.wait_for(1)
    finally:
        server.stop()
    [message] = server.to(region.admin_email)
    assert str(message["Subject"]) == "“Neugestaltung”: Evaluation has begun"
    assert "A new phase began in “Neugestaltung”: Evaluation." in text_of(message)
    assert any(f"/participation/{process_id}" in link for link in links_in(message))
    assert message["List-Unsubscribe"] is not None
