"""The namespaces and code lists the catalogue uses (DCAT-AP.de 3.0 and the EU vocabularies)."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS

from allmende.core.geo import GEOJSON_MEDIA_TYPE

DCAT = Namespace("http://www.w3.org/ns/dcat#")
#: rdflib's closed namespace: ``title`` and ``format`` would be ``str`` methods of a Namespace.
DCT = DCTERMS
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
ADMS = Namespace("http://www.w3.org/ns/adms#")

EU = "http://publications.europa.eu/resource/authority/"
LANGUAGE_DE = URIRef(EU + "language/DEU")
ACCESS_PUBLIC = URIRef(EU + "access-right/PUBLIC")
AVAILABILITY_STABLE = URIRef(EU + "planned-availability/STABLE")
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
LICENSES = "http://dcat-ap.de/def/licenses/"
DEFAULT_LICENSE = LICENSES + "dl-by-de/2.0"
CONTRIBUTORS = "http://dcat-ap.de/def/contributors/"
MUNICIPALITY_KEY = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/"
LEVEL_MUNICIPALITY = URIRef("http://dcat-ap.de/def/politicalGeocoding/Level/municipality")
MUSTERDATENKATALOG = "https://musterdatenkatalog.de/def/musterdatensatz/"


def file_type(code: str) -> URIRef:
    return URIRef(f"{EU}file-type/{code}")


def theme(code: str) -> URIRef:
    return URIRef(f"{EU}data-theme/{code}")


def frequency(code: str) -> URIRef:
    return URIRef(f"{EU}frequency/{code}")


def media_type(name: str) -> URIRef:
    return URIRef(MEDIA_TYPES + name.split(";")[0].strip())


#: Licences of the dcat-ap.de vocabulary that staff may choose, with whether the licence asks
#: for attribution (then ``dcatde:licenseAttributionByText`` is set).
LICENSE_CHOICES: dict[str, tuple[str, bool]] = {
    LICENSES + "dl-by-de/2.0": ("Datenlizenz Deutschland – Namensnennung – Version 2.0", True),
    LICENSES + "dl-zero-de/2.0": ("Datenlizenz Deutschland – Zero – Version 2.0", False),
    LICENSES + "cc-by/4.0": ("Creative Commons Namensnennung 4.0 International", True),
    LICENSES + "cc-by-sa/4.0": (
        "Creative Commons Namensnennung – Weitergabe unter gleichen Bedingungen 4.0 International",
        True,
    ),
    LICENSES + "cc-zero": ("Creative Commons CC Zero", False),
    LICENSES + "odbl": ("Open Data Commons Open Database License (ODbL)", True),
}
#: EU data themes (the code list's German labels).
THEMES: dict[str, str] = {
    "AGRI": "Landwirtschaft, Fischerei, Forstwirtschaft und Nahrungsmittel",
    "ECON": "Wirtschaft und Finanzen",
    "EDUC": "Bildung, Kultur und Sport",
    "ENER": "Energie",
    "ENVI": "Umwelt",
    "GOVE": "Regierung und öffentlicher Sektor",
    "HEAL": "Gesundheit",
    "INTR": "Internationale Themen",
    "JUST": "Justiz, Rechtssystem und öffentliche Sicherheit",
    "REGI": "Regionen und Städte",
    "SOCI": "Bevölkerung und Gesellschaft",
    "TECH": "Wissenschaft und Technologie",
    "TRAN": "Verkehr",
}
#: EU frequencies staff may choose.
FREQUENCIES: dict[str, str] = {
    "UPDATE_CONT": "laufend aktualisiert",
    "CONT": "kontinuierlich",
    "HOURLY": "stündlich",
    "DAILY": "täglich",
    "WEEKLY": "wöchentlich",
    "MONTHLY": "monatlich",
    "QUARTERLY": "vierteljährlich",
    "ANNUAL": "jährlich",
    "IRREG": "unregelmäßig",
    "NEVER": "nie",
    "UNKNOWN": "unbekannt",
}
#: EU file types staff may give their own distributions (code → media type).
LINK_FORMATS: dict[str, str] = {
    "CSV": "text/csv",
    "JSON": "application/json",
    "GEOJSON": GEOJSON_MEDIA_TYPE,
    "XML": "application/xml",
    "PDF": "application/pdf",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ODS": "application/vnd.oasis.opendocument.spreadsheet",
    "ZIP": "application/zip",
    "HTML": "text/html",
    "WMS_SRVC": "application/xml",
    "WFS_SRVC": "application/xml",
    "SHP": "application/zip",
    "GPKG": "application/geopackage+sqlite3",
}
