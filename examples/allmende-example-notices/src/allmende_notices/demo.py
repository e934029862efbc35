"""Demo notices for the demo region."""

from __future__ import annotations

from allmende.sdk import DemoContext
from allmende_notices.models import Notice


def add_demo_notices(demo: DemoContext) -> None:
    for key, municipality in demo.municipalities.items():
        demo.session.add(
            Notice(
                municipality_id=municipality.id,
                title=f"Sprechzeiten im Rathaus {municipality.name}",
                body="Montag bis Freitag 8–12 Uhr, Donnerstag zusätzlich 14–18 Uhr.",
                public=True,
            )
        )
        demo.session.add(
            Notice(
                municipality_id=municipality.id,
                title="Dienstbesprechung Bauhof",
                body=f"Intern: Einsatzplanung {key} für die kommende Woche.",
                public=False,
            )
        )
