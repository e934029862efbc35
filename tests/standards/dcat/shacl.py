"""Offline validation against the official DCAT-AP.de 3.0 SHACL shapes (GovData's, with the
ontologies and code lists beside them). They live outside the repository (their licence is
not ours): ``../shared/dcat-ap-de`` from the checkout's root, or ``ALLMENDE_DCAT_AP_DE``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph, Namespace
from rdflib.namespace import RDF

from tests.support.missing import missing

SH = Namespace("http://www.w3.org/ns/shacl#")
ROOT = Path(__file__).resolve().parents[3]
#: The code lists beside the shapes are an incomplete copy of the EU tables; the real
#: file-type table has PARQUET (file-type/PARQUET, "Apache Parquet"), the copy has not.
MISSING_CONCEPTS = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://publications.europa.eu/resource/authority/file-type/PARQUET> a skos:Concept ;
    skos:inScheme <http://publications.europa.eu/resource/authority/file-type> .
"""
#: The only finding we accept: 2.0 harvesters read dcatde:politicalGeocodingURI, which 3.0
#: deprecates (a warning) in favour of dct:spatial (which the catalogue sets as well).
ACCEPTED_WARNING = "Deprecated: dcatde:politicalGeocodingURI soll nicht mehr verwendet werden."


def shapes_folder() -> Path:
    explicit = os.environ.get("ALLMENDE_DCAT_AP_DE")
    folder = Path(explicit) if explicit else ROOT.parent / "shared" / "dcat-ap-de"
    if not (folder / "v3.0").is_dir():
        missing(f"the DCAT-AP.de shapes are not at {folder} (set ALLMENDE_DCAT_AP_DE)")
    return folder


@dataclass(frozen=True)
class Finding:
    severity: str
    focus: str
    path: str
    message: str


@cache
def _shapes(folder: Path) -> tuple[Graph, Graph]:
    shapes = Graph()
    for path in sorted((folder / "v3.0").glob("*.ttl")):
        shapes.parse(path)
    ontologies = Graph()
    for path in sorted((folder / "ontologies").iterdir()):
        ontologies.parse(path)
    return shapes, ontologies


@cache
def _vocabularies(folder: Path) -> Graph:
    graph = Graph()
    for path in sorted((folder / "vocabularies").iterdir()):
        graph.parse(path)
    graph.parse(data=MISSING_CONCEPTS, format="turtle")
    return graph


def validate(catalog: bytes, media_type: str = "text/turtle") -> list[Finding]:
    """Every finding of the 3.0 profile (as GovData's validator configures it)."""
    from pyshacl import validate as run

    folder = shapes_folder()
    shapes, ontologies = _shapes(folder)
    data = Graph().parse(data=catalog, format=media_type)
    data += _vocabularies(folder)  # the vocabulary checks look the concepts up in the data
    _, report, _ = run(
        data,
        shacl_graph=shapes,
        ont_graph=ontologies,
        inference="none",
        allow_warnings=True,
    )
    assert isinstance(report, Graph)
    findings = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        findings.append(
            Finding(
                severity=str(severity).rsplit("#", 1)[-1],
                focus=str(report.value(result, SH.focusNode)),
                path=str(report.value(result, SH.resultPath)),
                message=str(report.value(result, SH.resultMessage)),
            )
        )
    return findings


def violations(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "Violation"]


def unexpected_warnings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity != "Violation" and f.message != ACCEPTED_WARNING]
