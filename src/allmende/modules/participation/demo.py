"""Demo: the redesign of the market square of Auenstadt (running, with plans, contributions, a
survey and answers) and a finished playground process in Lindenbach (read only).

The square is linked to the object register by name and position for now. Everything comes
from ``DemoContext.rng`` and ``DemoContext.now``, so the demo is the same on every machine.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from shapely.geometry import Point, Polygon

from allmende.modules.participation.models import (
    Answer,
    Comment,
    Contribution,
    Draft,
    DraftRating,
    Event,
    FaqEntry,
    Phase,
    PlanLayer,
    Process,
    Question,
    Response,
    Support,
    Survey,
)
from allmende.modules.participation.service import Act
from allmende.sdk import DemoContext, Municipality

SQUARE_NAME = "Marktplatz Auenstadt"
#: The market square in the centre of Auenstadt (longitude, latitude), with its side streets.
SQUARE_AREA = Polygon(
    [
        (8.71835, 49.46935),
        (8.72165, 49.46930),
        (8.72175, 49.47065),
        (8.71995, 49.47080),
        (8.71830, 49.47070),
    ]
)
CATEGORIES = [
    "Grün und Klima",
    "Verkehr und Parken",
    "Aufenthalt und Spiel",
    "Markt und Gewerbe",
    "Barrierefreiheit",
]

DESCRIPTION = "\n\n".join(
    [
        (
            "Der Marktplatz ist das Herz von Auenstadt. Heute ist er vor allem ein Parkplatz: 38 "
            "Stellplätze, wenig Schatten, im Sommer heiß, und der Wochenmarkt hat zu wenig Platz."
        ),
        (
            "Der Gemeinderat hat beschlossen, den Platz neu zu gestalten. Bevor Planungsbüros "
            "Entwürfe zeichnen, wollen wir wissen: Was brauchen Sie auf dem Marktplatz? Was soll "
            "bleiben, was soll sich ändern?"
        ),
        (
            "Bis zum Ende der Ideensammlung können Sie Hinweise direkt auf der Karte setzen, die "
            "Beiträge anderer unterstützen und kommentieren und an der Umfrage teilnehmen. Danach"
            " stellen wir drei Entwürfe vor, die Sie vergleichen und bewerten können. Die "
            "Verwaltung beantwortet jeden Beitrag öffentlich. Am Ende entscheidet der "
            "Gemeinderat."
        ),
    ]
)

PHASES = [  # title, description, start (days from now), end, allowed actions
    ("Information", "Wir stellen das Vorhaben vor: Ziele, Rahmen, Kosten.", -40, -20, []),
    (
        "Ideensammlung",
        "Ihre Ideen und Hinweise auf der Karte, Kommentare, Unterstützung und die Umfrage.",
        -20,
        25,
        ["contribute", "comment", "support", "survey"],
    ),
    (
        "Entwürfe bewerten",
        "Drei Entwürfe im Vergleich: kommentieren und mit Sternen bewerten.",
        25,
        55,
        ["comment", "rate"],
    ),
    (
        "Auswertung",
        "Die Verwaltung wertet alle Beiträge aus und veröffentlicht das Ergebnis.",
        55,
        85,
        [],
    ),
    ("Beschluss", "Der Gemeinderat entscheidet in öffentlicher Sitzung.", 85, 100, []),
]

CONTRIBUTIONS = [  # title, text, category, answered (status, answer) or None
    (
        "Mehr Bäume auf der Südseite",
        (
            "Auf der Südseite gibt es im Sommer keinen Schatten. Große Bäume würden helfen, auch "
            "für die Marktstände."
        ),
        "Grün und Klima",
        (
            "accepted",
            (
                "Danke! Schatten ist auch für uns ein zentrales Ziel. Alle drei Entwürfe sehen "
                "neue Bäume auf der Südseite vor."
            ),
        ),
    ),
    (
        "Trinkbrunnen am Rathaus",
        "Ein Trinkbrunnen wäre im Sommer für alle gut, besonders für Kinder und ältere Menschen.",
        "Grün und Klima",
        ("under_consideration", "Wir prüfen mit den Stadtwerken den Wasseranschluss am Rathaus."),
    ),
    (
        "Parkplätze für den Einkauf erhalten",
        "Wer schwer trägt, braucht Parkplätze in der Nähe. Bitte nicht alle Stellplätze streichen.",
        "Verkehr und Parken",
        None,
    ),
    (
        "Sichere Fahrradständer",
        "Es fehlen überdachte Fahrradbügel, an denen man das Rad anschließen kann.",
        "Verkehr und Parken",
        (
            "accepted",
            "Überdachte Fahrradbügel sind in allen Entwürfen an der Kirchgasse vorgesehen.",
        ),
    ),
    (
        "Platz für den Wochenmarkt",
        "Der Markt braucht Strom- und Wasseranschlüsse und mehr Platz zwischen den Ständen.",
        "Markt und Gewerbe",
        None,
    ),
    (
        "Bänke mit Lehnen",
        "Bitte Bänke mit Rücken- und Armlehnen, damit auch ältere Menschen gut sitzen können.",
        "Barrierefreiheit",
        ("accepted", "Das nehmen wir in die Vorgaben für die Planungsbüros auf."),
    ),
    (
        "Ebener Belag statt Kopfsteinpflaster",
        (
            "Mit Rollator und Kinderwagen ist das Pflaster eine Qual. Ein ebener Weg quer über "
            "den Platz wäre wichtig."
        ),
        "Barrierefreiheit",
        None,
    ),
    (
        "Spielgeräte für kleine Kinder",
        (
            "Ein kleiner Spielbereich würde den Platz für Familien attraktiv machen, während die "
            "Eltern einkaufen."
        ),
        "Aufenthalt und Spiel",
        None,
    ),
    (
        "Wasserspiel im Sommer",
        "Bodendüsen, durch die Kinder laufen können, kühlen den Platz und machen Spaß.",
        "Aufenthalt und Spiel",
        (
            "under_consideration",
            "Ein Wasserspiel ist Teil von Entwurf B. Die Betriebskosten prüfen wir noch.",
        ),
    ),
    (
        "Lieferverkehr nur morgens",
        "Lieferwagen sollten nur bis 10 Uhr auf den Platz fahren dürfen.",
        "Verkehr und Parken",
        None,
    ),
    (
        "Außengastronomie ermöglichen",
        "Die Cafés am Platz brauchen Flächen für Tische in der Sonne und im Schatten.",
        "Markt und Gewerbe",
        None,
    ),
    (
        "Öffentliche Toilette",
        "Bei Markt und Festen fehlt eine barrierefreie öffentliche Toilette.",
        "Barrierefreiheit",
        (
            "rejected",
            (
                "Eine neue Toilette am Platz ist nicht möglich. Die Toilette im Rathaus wird "
                "barrierefrei umgebaut und an Markttagen geöffnet."
            ),
        ),
    ),
]

COMMENTS = [
    "Da stimme ich zu.",
    "Gute Idee, aber wer pflegt das?",
    "Im Sommer ist das wirklich nötig.",
    "Bitte auch an die Anwohnerinnen und Anwohner denken.",
    "Das gab es früher schon einmal, es hat gut funktioniert.",
]


def _point_in(rng: random.Random, area: Polygon) -> Point:
    minx, miny, maxx, maxy = area.bounds
    while True:
        point = Point(round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6))
        if area.buffer(-0.0001).contains(point):
            return point


def add_demo_process(demo: DemoContext) -> None:
    auenstadt = demo.municipalities.get("auenstadt")
    if auenstadt is not None:
        _market_square(demo, auenstadt)
    lindenbach = demo.municipalities.get("lindenbach")
    if lindenbach is not None:
        _finished_playground(demo, lindenbach)


def _market_square(demo: DemoContext, municipality: Municipality) -> None:
    rng, now, session = demo.rng, demo.now, demo.session

    def day(offset: int, hour: int = 0) -> datetime:
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start + timedelta(days=offset, hours=hour)

    process = Process(
        municipality_id=municipality.id,
        title="Neugestaltung des Marktplatzes",
        summary="Aus dem Parkplatz in der Ortsmitte soll ein Platz für alle werden: mit Schatten, "
        "Platz für den Wochenmarkt und Orten zum Verweilen. Machen Sie mit!",
        description=DESCRIPTION,
        object_name=SQUARE_NAME,
        categories=CATEGORIES,
        contact="Stadtplanungsamt Auenstadt, Frau Berger, Rathaus Zimmer 204. "
        "Sprechzeit: donnerstags 14–18 Uhr.",
        public=True,
        allow_anonymous=True,
        created_at=day(-45),
        updated_at=day(-20),
    )
    process.geom = SQUARE_AREA
    process.phases = [
        Phase(title=t, description=d, starts_at=day(a), ends_at=day(b), allows=sorted(acts))
        for t, d, a, b, acts in PHASES
    ]
    session.add(process)
    session.flush()

    events = [
        (
            "Informationsabend im Rathaus",
            "Vorstellung des Vorhabens mit Fragen und Antworten.",
            day(-30, 18),
            day(-30, 20),
            "Rathaus Auenstadt, Großer Saal",
            Point(8.72150, 49.47045),
        ),
        (
            "Platzbegehung mit der Stadtplanung",
            "Wir gehen gemeinsam über den Platz. Treffpunkt am Brunnen.",
            day(7, 16),
            day(7, 18),
            "Marktplatz, am alten Brunnen",
            Point(8.72000, 49.47000),
        ),
        (
            "Werkstatt: die drei Entwürfe",
            "Die Planungsbüros stellen ihre Entwürfe vor.",
            day(30, 18),
            day(30, 21),
            "Bürgerhaus Auenstadt",
            None,
        ),
    ]
    for title, text, start, end, place, point in events:
        event = Event(
            process_id=process.id,
            title=title,
            description=text,
            starts_at=start,
            ends_at=end,
            place=place,
        )
        if point is not None:
            event.geom = point
        session.add(event)

    session.add(
        PlanLayer(
            process_id=process.id,
            title="Bestand und Vorgaben",
            description="Was bleibt (Brunnen, Kirchgasse) und was die Stadt vorgibt "
            "(Marktzone, Feuerwehrzufahrt).",
            kind="geojson",
            data=_plan_features(),
            opacity=0.7,
        )
    )
    drafts = [
        Draft(
            process_id=process.id,
            position=0,
            title="Entwurf A: Grüner Platz",
            summary=(
                "Ein Baumhain auf der Südseite, Rasenflächen und Sitzstufen. Parken nur noch in "
                "der Tiefgarage am Bahnhof."
            ),
            facts={
                "Neue Bäume": "18",
                "Stellplätze": "0 (heute 38)",
                "Markt": "Nordseite, 40 Stände",
                "Kosten": "ca. 2,4 Mio. €",
            },
        ),
        Draft(
            process_id=process.id,
            position=1,
            title="Entwurf B: Platz mit Wasserspiel",
            summary=(
                "Ein offener Platz mit Wasserspiel in der Mitte, Bäume am Rand, wenige "
                "Kurzzeitparkplätze."
            ),
            facts={
                "Neue Bäume": "12",
                "Stellplätze": "8 (Kurzzeit)",
                "Markt": "ganzer Platz, 48 Stände",
                "Kosten": "ca. 2,9 Mio. €",
            },
        ),
        Draft(
            process_id=process.id,
            position=2,
            title="Entwurf C: Behutsame Erneuerung",
            summary=(
                "Neuer ebener Belag, Bäume auf der Südseite, die Hälfte der Stellplätze bleibt."
            ),
            facts={
                "Neue Bäume": "8",
                "Stellplätze": "19",
                "Markt": "wie heute, 32 Stände",
                "Kosten": "ca. 1,6 Mio. €",
            },
        ),
    ]
    session.add_all(drafts)
    faq = [
        (
            "Werden alle Parkplätze wegfallen?",
            (
                "Das ist noch nicht entschieden. Die drei Entwürfe zeigen verschiedene "
                "Möglichkeiten, von keinem bis zur Hälfte der heutigen Stellplätze."
            ),
        ),
        (
            "Wann wird gebaut?",
            (
                "Frühestens im übernächsten Jahr, nach dem Beschluss des Gemeinderats und der "
                "Ausschreibung. Der Wochenmarkt findet während der Bauzeit in der Kirchgasse "
                "statt."
            ),
        ),
        (
            "Was passiert mit meinem Beitrag?",
            (
                "Die Verwaltung liest jeden Beitrag, beantwortet ihn öffentlich und gibt die "
                "Ergebnisse an die Planungsbüros weiter. Sie sehen den Stand jedes Beitrags: neu,"
                " in Prüfung, aufgenommen, abgelehnt oder umgesetzt."
            ),
        ),
        (
            "Kann ich ohne Konto mitmachen?",
            (
                "Ja. Mit einem Konto können Sie zusätzlich dem Verfahren folgen und werden "
                "benachrichtigt, wenn die Stadt Ihren Beitrag beantwortet."
            ),
        ),
    ]
    session.add_all(
        FaqEntry(process_id=process.id, question=q, answer=a, position=i)
        for i, (q, a) in enumerate(faq)
    )
    session.flush()

    citizen = demo.users.get("citizen")
    staff = demo.users.get("staff:auenstadt")
    items: list[Contribution] = []
    for index, (title, text, category, answer) in enumerate(CONTRIBUTIONS):
        created = day(-19 + index, 9 + rng.randrange(10))
        item = Contribution(
            process_id=process.id,
            municipality_id=municipality.id,
            title=title,
            text=text,
            category=category,
            author_user_id=citizen.id if citizen is not None and index in (0, 6) else None,
            author_name=rng.choice([None, None, "Anwohnerin", "Marktbesucher", "K. Sommer"]),
            created_at=created,
            updated_at=created,
        )
        if index % 5 != 4:  # a few are about the whole square, without a location
            item.geom = _point_in(rng, SQUARE_AREA)
        else:
            item.place = "der ganze Platz"
        if answer is not None:
            item.status, item.answer = answer
            item.answered_at = created + timedelta(days=3)
            item.answered_by_id = staff.id if staff is not None else None
        items.append(item)
    session.add_all(items)
    session.flush()

    for item in items:
        supporters = rng.randrange(0, 25)
        session.add_all(
            Support(
                contribution_id=item.id, voter_key=f"demo-{item.id}-{n}", created_at=item.created_at
            )
            for n in range(supporters)
        )
        item.support_count = supporters
        thread: list[Comment] = []
        for n in range(rng.randrange(0, 4)):
            parent = rng.choice(thread) if thread and rng.random() < 0.4 else None
            comment = Comment(
                contribution_id=item.id,
                parent_id=parent.id if parent is not None else None,
                text=rng.choice(COMMENTS),
                created_at=item.created_at + timedelta(hours=5 + n * 7),
            )
            session.add(comment)
            session.flush()
            thread.append(comment)
        item.comment_count = len(thread)

    _survey(demo, process)
    # Drafts are rated only from the rating phase on (it lies ahead in the demo).
    rating_begun = any(Act.RATE in p.allows and p.starts_at <= now for p in process.phases)
    for draft in drafts if rating_begun else ():
        session.add_all(
            DraftRating(
                draft_id=draft.id, voter_key=f"demo-draft-{draft.id}-{n}", stars=rng.randint(2, 5)
            )
            for n in range(rng.randrange(3, 9))
        )
    demo.notes.append(
        "Participation: “Neugestaltung des Marktplatzes” in Auenstadt at /participation"
    )


def _plan_features() -> dict[str, Any]:
    def feature(geometry: dict[str, Any], name: str, description: str) -> dict[str, Any]:
        return {
            "type": "Feature",
            "geometry": geometry,
            "properties": {"name": name, "description": description},
        }

    return {
        "type": "FeatureCollection",
        "features": [
            feature(
                {"type": "Point", "coordinates": [8.72000, 49.47000]},
                "Alter Brunnen",
                "Bleibt erhalten (Denkmal).",
            ),
            feature(
                {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [8.71860, 49.47010],
                            [8.72140, 49.47010],
                            [8.72145, 49.47055],
                            [8.71860, 49.47055],
                            [8.71860, 49.47010],
                        ]
                    ],
                },
                "Marktzone",
                "Hier findet der Wochenmarkt statt (mittwochs und samstags).",
            ),
            feature(
                {"type": "LineString", "coordinates": [[8.71840, 49.46960], [8.72160, 49.46955]]},
                "Feuerwehrzufahrt",
                "Muss 3,5 m breit frei bleiben.",
            ),
            feature(
                {"type": "Point", "coordinates": [8.72150, 49.47045]},
                "Rathaus",
                "Eingang mit Rampe.",
            ),
        ],
    }


def _survey(demo: DemoContext, process: Process) -> None:
    rng, session = demo.rng, demo.session
    survey = Survey(
        process_id=process.id,
        title="Umfrage: Was ist Ihnen am Marktplatz wichtig?",
        description="Sechs kurze Fragen, etwa drei Minuten. Die Ergebnisse sind öffentlich.",
        results_public=True,
        created_at=process.created_at,
    )
    survey.questions = [
        Question(
            position=0,
            kind="single",
            prompt="Wie oft sind Sie auf dem Marktplatz?",
            required=True,
            options=["Täglich", "Mehrmals pro Woche", "Etwa einmal pro Woche", "Seltener"],
        ),
        Question(
            position=1,
            kind="multiple",
            prompt="Was fehlt Ihnen dort heute?",
            help="Sie können mehreres ankreuzen.",
            options=[
                "Schatten und Bäume",
                "Sitzgelegenheiten",
                "Trinkwasser",
                "Spielangebote",
                "Fahrradstellplätze",
                "Öffentliche Toilette",
            ],
        ),
        Question(
            position=2,
            kind="scale",
            prompt="Wie gern halten Sie sich heute auf dem Platz auf?",
            scale_min=1,
            scale_max=5,
            scale_min_label="gar nicht gern",
            scale_max_label="sehr gern",
        ),
        Question(
            position=3,
            kind="ranking",
            prompt="Was ist Ihnen am wichtigsten?",
            help="Geben Sie jedem Ziel einen Rang: 1 ist am wichtigsten.",
            options=[
                "Mehr Grün und Schatten",
                "Den Wochenmarkt stärken",
                "Parkplätze erhalten",
                "Platz für Feste und Veranstaltungen",
            ],
        ),
        Question(
            position=4,
            kind="location",
            prompt="Wo fehlt Ihnen am meisten Schatten?",
            help="Markieren Sie die Stelle auf der Karte oder beschreiben Sie sie.",
        ),
        Question(position=5, kind="text", prompt="Was möchten Sie uns noch mitgeben?"),
    ]
    session.add(survey)
    session.flush()
    q = survey.questions
    texts = [
        "Bitte den Markt nicht verkleinern.",
        "Mehr Licht am Abend.",
        "Weniger Autos, mehr Menschen.",
    ]
    for n in range(40):
        response = Response(
            survey_id=survey.id,
            voter_key=f"demo-survey-{n}",
            created_at=process.created_at + timedelta(days=26, minutes=37 * n),
        )
        session.add(response)
        session.flush()
        answers = [
            Answer(
                response_id=response.id,
                question_id=q[0].id,
                choices=[rng.choices(range(4), weights=[2, 4, 3, 1])[0]],
            ),
            Answer(
                response_id=response.id,
                question_id=q[1].id,
                choices=sorted(rng.sample(range(6), rng.randint(1, 3))),
            ),
            Answer(
                response_id=response.id,
                question_id=q[2].id,
                number=rng.choices(range(1, 6), weights=[3, 4, 3, 2, 1])[0],
            ),
            Answer(response_id=response.id, question_id=q[3].id, choices=rng.sample(range(4), 4)),
        ]
        if n % 3 == 0:
            shade = Answer(response_id=response.id, question_id=q[4].id)
            shade.geom = _point_in(rng, SQUARE_AREA)
            answers.append(shade)
        if n % 8 == 0:
            answers.append(
                Answer(response_id=response.id, question_id=q[5].id, text=rng.choice(texts))
            )
        session.add_all(answers)


def _finished_playground(demo: DemoContext, municipality: Municipality) -> None:
    now, session = demo.now, demo.session
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=400)
    process = Process(
        municipality_id=municipality.id,
        title="Neuer Spielplatz am Dorfanger",
        summary="Abgeschlossen: Kinder und Eltern haben den neuen Spielplatz mitgeplant. "
        "Er ist seit dem Frühjahr geöffnet.",
        description="Der alte Spielplatz am Dorfanger war in die Jahre gekommen. "
        "Gemeinsam mit Kindern, Eltern und dem Ortschaftsrat haben wir den neuen geplant.",
        object_name="Spielplatz Dorfanger",
        categories=["Spielgeräte", "Sicherheit"],
        public=True,
        allow_anonymous=True,
        created_at=start,
        updated_at=start,
    )
    centre = Point(8.8005, 49.5205)
    process.geom = centre.buffer(0.0006, quad_segs=4)
    process.phases = [
        Phase(
            title="Ideensammlung",
            starts_at=start,
            ends_at=start + timedelta(days=30),
            allows=["comment", "contribute", "support"],
        ),
        Phase(
            title="Beschluss und Bau",
            starts_at=start + timedelta(days=30),
            ends_at=start + timedelta(days=200),
            allows=[],
        ),
    ]
    session.add(process)
    session.flush()
    for index, (title, category) in enumerate(
        [
            ("Eine Seilbahn", "Spielgeräte"),
            ("Zaun zur Straße", "Sicherheit"),
            ("Sandkasten mit Wasserpumpe", "Spielgeräte"),
        ]
    ):
        item = Contribution(
            process_id=process.id,
            municipality_id=municipality.id,
            title=title,
            text=f"Wunsch aus der Kinderwerkstatt: {title}.",
            category=category,
            status="implemented",
            answer="Umgesetzt und seit dem Frühjahr in Betrieb.",
            created_at=start + timedelta(days=3 + index),
            answered_at=start + timedelta(days=180),
        )
        item.geom = Point(centre.x + 0.0002 * (index - 1), centre.y + 0.0001)
        session.add(item)
