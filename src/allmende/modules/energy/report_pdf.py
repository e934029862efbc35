"""The annual energy report as a PDF, made on the server with fpdf2 (pure Python).

It carries what the printable HTML page carries: the summary, one row per building with the
weather-corrected heat against its benchmark, and the method. It uses the PDF standard font
(Helvetica, Latin-1) so that no font file is needed: ä, ö, ü, ß and ² print as they are,
"€" is written "EUR", typographic dashes and quotes become their plain forms, and any other
character outside Latin-1 a "?".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from allmende.modules.energy import catalogue
from allmende.modules.energy.catalogue import N_
from allmende.modules.energy.service import BuildingYear
from allmende.sdk import formatting

if TYPE_CHECKING:
    from fpdf import FPDF

#: Characters outside Latin-1 that have a plain equivalent.
PLAIN = str.maketrans(
    {
        "€": "EUR",
        "–": "-",
        "—": "-",
        "‘": "'",
        "’": "'",
        "‚": ",",
        "“": '"',
        "”": '"',
        "„": '"',
        "…": "...",
        "₂": "2",
        "\u202f": " ",
        "\u00a0": " ",
    }
)


def latin1(text: str) -> str:
    return text.translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class Report:
    """The report's texts, already in the reader's language, and its table."""

    title: str
    summary: Sequence[tuple[str, str]]
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    notes: Sequence[str]
    method: Sequence[str]
    footer: str


#: Relative widths of the columns (the building's name gets the most room).
WIDTHS = (3.2, 2.6, 1.1, 1.1, 1.1, 1.3, 1.3, 1.3, 1.2, 1.0)


def _document(footer_text: str) -> FPDF:
    """A landscape A4 page with the report's footer and the page number (fpdf is imported
    here, by the reports: it costs every server start a second)."""
    from fpdf import FPDF

    class Document(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("helvetica", size=8)
            self.cell(0, 5, f"{footer_text} - {self.page_no()}", align="C")

    return Document(orientation="L", unit="mm", format="A4")


def render(report: Report) -> bytes:
    from fpdf.enums import XPos, YPos

    pdf = _document(latin1(report.footer))
    pdf.set_title(latin1(report.title))
    pdf.set_creator("Allmende")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("helvetica", style="B", size=16)
    pdf.multi_cell(0, 8, latin1(report.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("helvetica", size=10)
    for label, value in report.summary:
        pdf.cell(60, 6, latin1(label))
        pdf.cell(0, 6, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font("helvetica", size=8)
    total = sum(WIDTHS[: len(report.columns)])
    widths = [pdf.epw * w / total for w in WIDTHS[: len(report.columns)]]
    with pdf.table(
        col_widths=widths,
        text_align=["LEFT", "LEFT"] + ["RIGHT"] * (len(report.columns) - 2),
        line_height=4.5,
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for column in report.columns:
            heading.cell(latin1(column))
        for values in report.rows:
            row = table.row()
            for value in values:
                row.cell(latin1(value))
    pdf.ln(3)
    for note in report.notes:
        pdf.multi_cell(0, 4.5, latin1(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("helvetica", size=9)
    for paragraph in report.method:
        pdf.multi_cell(0, 4.5, latin1(paragraph), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    return bytes(pdf.output())


COLUMNS = (
    N_("Building"),
    N_("Category"),
    N_("Floor area m²"),
    N_("Heat MWh"),
    N_("Degree days"),
    N_("Heat kWh/m²a (corrected)"),
    N_("Benchmark kWh/m²a"),
    N_("Electricity kWh/m²a"),
    N_("Cost €"),
    N_("CO2 t"),
)


def annual_report(
    rows: Sequence[BuildingYear],
    *,
    place: str,
    year: int,
    language: str,
    gettext: Callable[[str], str],
    made: str,
) -> Report:
    """The report of ``rows`` (the municipality's buildings in ``year``) in ``language``."""

    def number(value: float | None, decimals: int = 0) -> str:
        if value is None or not math.isfinite(value):
            return "-"
        return formatting.fixed(value, language, decimals)

    area = sum(r.building.floor_area for r in rows)
    summary = [
        (gettext(N_("Buildings")), f"{len(rows)} ({number(area)} m²)"),
        (gettext(N_("Heat")), f"{number(sum(r.heat_kwh for r in rows) / 1000, 1)} MWh"),
        (
            gettext(N_("Electricity")),
            f"{number(sum(r.electricity_kwh for r in rows) / 1000, 1)} MWh",
        ),
        (gettext(N_("Energy cost")), f"{number(sum(r.cost for r in rows))} EUR"),
        (gettext(N_("CO2 emissions")), f"{number(sum(r.co2_kg for r in rows) / 1000, 1)} t"),
    ]
    table = [
        [
            r.building.name,
            catalogue.USE_BY_KEY[r.building.use].category,
            number(r.building.floor_area),
            number(r.heat_kwh / 1000, 1),
            number(r.degree_days),
            number(r.heat_corrected_per_m2),
            number(r.benchmark_heat),
            number(r.electricity_per_m2),
            number(r.cost),
            number(r.co2_kg / 1000, 1),
        ]
        for r in rows
    ]
    notes = [f"{r.building.name}: {note}" for r in rows for note in r.notes]
    method = [
        gettext(
            N_(
                "Heat is corrected to the long-term degree days (G20/15, VDI 3807) of %(dd)s Kd "
                "with the outdoor temperature of the municipality's weather station. Costs and "
                "CO2 use the carriers' prices and emission factors (GEG 2020, Anlage 9)."
            )
        )
        % {"dd": number(catalogue.REFERENCE_DEGREE_DAYS)},
        gettext(N_("Benchmark values:")) + " " + catalogue.BENCHMARK_SOURCE,
    ]
    return Report(
        title=gettext(N_("Annual energy report %(year)s")) % {"year": year} + f": {place}",
        summary=summary,
        columns=[gettext(c) for c in COLUMNS],
        rows=table,
        notes=notes,
        method=method,
        footer=f"Allmende, {made}",
    )
