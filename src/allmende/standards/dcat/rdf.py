"""The catalogue as an RDF graph after DCAT-AP.de 3.0 (rdflib serialises it).

URIs: the catalogue is ``<root>/catalog``, a dataset ``<root>/catalog/datasets/<id>`` (it
answers with its own description), its distributions ``…/<id>#<name>``, a municipality
``<root>/m/<key>`` (its page), the region's operator ``<root>/catalog#publisher``. Paging is
Hydra's: the page's URI is a ``hydra:PartialCollectionView`` (also typed
``hydra:PagedCollection`` with the older property names, which older harvesters read).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from allmende.core.geo import BBox
from allmende.core.settings import Settings
from allmende.standards.dcat.catalog import Entry, Page, Publisher
from allmende.standards.dcat.files import FILES
from allmende.standards.dcat.vocabulary import (
    ACCESS_PUBLIC,
    ADMS,
    AVAILABILITY_STABLE,
    DCAT,
    DCATAP,
    DCATDE,
    DCT,
    FOAF,
    GSP,
    HYDRA,
    LANGUAGE_DE,
    LEVEL_MUNICIPALITY,
    LOCN,
    MUNICIPALITY_KEY,
    VCARD,
    file_type,
    frequency,
    media_type,
    theme,
)

#: Makes an absolute URL of a path below the installation's root.
Absolute = Callable[[str], str]


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in (
        ("dcat", DCAT),
        ("dct", DCT),
        ("dcatde", DCATDE),
        ("dcatap", DCATAP),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("hydra", HYDRA),
        ("locn", LOCN),
        ("gsp", GSP),
        ("adms", ADMS),
    ):
        graph.bind(prefix, namespace)
    return graph


def dataset_uri(absolute: Absolute, dataset_id: str) -> URIRef:
    return URIRef(absolute(f"/catalog/datasets/{quote(dataset_id, safe='')}"))


def _de(text: str) -> Literal:
    return Literal(text, lang="de")


def _time(value: datetime) -> Literal:
    return Literal(value.astimezone(UTC).replace(microsecond=0), datatype=XSD.dateTime)


def catalog(
    graph: Graph,
    absolute: Absolute,
    settings: Settings,
    shown: Page,
    *,
    path: str,
    query: dict[str, str],
    modified: datetime | None,
) -> None:
    """The catalogue with one page of datasets; ``path`` and ``query`` make the page links
    (``/catalog.ttl`` keeps its suffix, the filter stays on every link)."""
    root = URIRef(absolute("/catalog"))
    operator = URIRef(absolute("/catalog#publisher"))
    graph.add((root, RDF.type, DCAT.Catalog))
    graph.add((root, DCT.title, _de(f"Offene Daten – {settings.region_name}")))
    graph.add(
        (
            root,
            DCT.description,
            _de(
                f"Die offenen Daten der Kommunen der {settings.region_name}: Messwerte, "
                "öffentliche Objekte, Beteiligung und Meldungen, als Download und über "
                "offene Schnittstellen."
            ),
        )
    )
    graph.add((root, DCT.publisher, operator))
    graph.add((root, FOAF.homepage, URIRef(absolute("/"))))
    graph.add((root, DCT.language, LANGUAGE_DE))
    graph.add((root, DCT.license, URIRef(settings.catalog_license)))
    if modified is not None:
        graph.add((root, DCT.modified, _time(modified)))
    _agent(graph, operator, settings.operator_name or settings.region_name)
    for entry in shown.entries:
        graph.add((root, DCAT.dataset, dataset(graph, absolute, settings, entry)))
    _paging(graph, absolute, shown, path, query)


def _agent(graph: Graph, uri: URIRef, name: str) -> None:
    graph.add((uri, RDF.type, FOAF.Organization))
    graph.add((uri, RDF.type, FOAF.Agent))
    graph.add((uri, FOAF.name, _de(name)))


def _publisher(graph: Graph, absolute: Absolute, publisher: Publisher) -> URIRef:
    uri = URIRef(absolute(f"/m/{publisher.key}"))
    _agent(graph, uri, publisher.label)
    if publisher.website:
        graph.add((uri, FOAF.homepage, URIRef(publisher.website)))
    return uri


def _contact(graph: Graph, absolute: Absolute, entry: Entry) -> BNode:
    node = BNode()
    graph.add((node, RDF.type, VCARD.Organization))
    graph.add((node, VCARD.fn, Literal(entry.publisher.label)))
    if entry.contact_email:
        graph.add((node, VCARD.hasEmail, URIRef(f"mailto:{entry.contact_email}")))
    else:
        page = entry.publisher.website or absolute(f"/m/{entry.publisher.key}")
        graph.add((node, VCARD.hasURL, URIRef(page)))
    return node


def _extent(data: BBox | None, municipality: BBox | None) -> BBox | None:
    """The data's bounding box, or the municipality's when the data's has no area (one
    station) or is unknown."""
    if data is not None and data[0] < data[2] and data[1] < data[3]:
        return data
    return municipality


def _box(minx: float, miny: float, maxx: float, maxy: float) -> str:
    corners = [(minx, miny), (maxx, miny), (maxx, maxy), (minx, maxy), (minx, miny)]
    return "POLYGON((" + ", ".join(f"{x:.6f} {y:.6f}" for x, y in corners) + "))"


def dataset(graph: Graph, absolute: Absolute, settings: Settings, entry: Entry) -> URIRef:
    """Describes one dataset with its distributions; returns its URI."""
    data = entry.dataset
    uri = dataset_uri(absolute, data.id)
    add = graph.add
    add((uri, RDF.type, DCAT.Dataset))
    add((uri, DCT.identifier, Literal(data.id)))
    add((uri, DCT.title, _de(data.title)))
    add((uri, DCT.description, _de(data.description)))
    add((uri, DCT.publisher, _publisher(graph, absolute, entry.publisher)))
    add((uri, DCAT.contactPoint, _contact(graph, absolute, entry)))
    add((uri, DCT.language, LANGUAGE_DE))
    add((uri, DCT.accessRights, ACCESS_PUBLIC))
    add((uri, DCT.accrualPeriodicity, frequency(data.frequency)))
    for keyword in data.keywords:
        add((uri, DCAT.keyword, _de(keyword)))
    for code in data.themes:
        add((uri, DCAT.theme, theme(code)))
    for reference in data.references:
        add((uri, DCT.references, URIRef(reference)))
    if data.issued is not None:
        add((uri, DCT.issued, _time(data.issued)))
    if data.modified is not None:
        add((uri, DCT.modified, _time(data.modified)))
    if data.landing_page:
        add((uri, DCAT.landingPage, URIRef(absolute(data.landing_page))))
    if entry.publisher.ags:
        # DCAT-AP.de 3.0 names the municipality in dct:spatial; 2.0 harvesters read the
        # (in 3.0 deprecated, a warning) dcatde:politicalGeocodingURI.
        geocoding = URIRef(MUNICIPALITY_KEY + entry.publisher.ags)
        add((uri, DCT.spatial, geocoding))
        add((geocoding, RDF.type, DCT.Location))
        add((uri, DCATDE.politicalGeocodingURI, geocoding))
        add((uri, DCATDE.politicalGeocodingLevelURI, LEVEL_MUNICIPALITY))
    if settings.catalog_contributor_id:
        add((uri, DCATDE.contributorID, URIRef(settings.catalog_contributor_id)))
    box = _extent(data.bbox, entry.publisher.bbox)
    if box is not None:
        place = BNode()
        add((uri, DCT.spatial, place))
        add((place, RDF.type, DCT.Location))
        add((place, DCAT.bbox, Literal(_box(*box), datatype=GSP.wktLiteral)))
    if data.temporal is not None and any(t is not None for t in data.temporal):
        period = BNode()
        add((uri, DCT.temporal, period))
        add((period, RDF.type, DCT.PeriodOfTime))
        start, end = data.temporal
        if start is not None:
            add((period, DCAT.startDate, _time(start)))
        if end is not None:
            add((period, DCAT.endDate, _time(end)))
    for distribution in _distributions(graph, absolute, entry, uri):
        add((uri, DCAT.distribution, distribution))
    return uri


def _distributions(graph: Graph, absolute: Absolute, entry: Entry, uri: URIRef) -> list[URIRef]:
    made: list[URIRef] = []

    def distribution(
        name: str,
        title: str,
        access: str,
        format_code: str,
        media: str,
        *,
        download: bool,
        conforms_to: str | None = None,
    ) -> None:
        node = URIRef(f"{uri}#{name}")
        graph.add((node, RDF.type, DCAT.Distribution))
        graph.add((node, DCT.title, _de(title)))
        graph.add((node, DCAT.accessURL, URIRef(access)))
        if download:
            graph.add((node, DCAT.downloadURL, URIRef(access)))
        if format_code:
            graph.add((node, DCT.format, file_type(format_code)))
        if media:
            graph.add((node, DCAT.mediaType, media_type(media)))
        if conforms_to:
            graph.add((node, DCT.conformsTo, URIRef(conforms_to)))
        graph.add((node, DCT.license, URIRef(entry.license)))
        if entry.attribution:
            graph.add((node, DCATDE.licenseAttributionByText, Literal(entry.attribution)))
        graph.add((node, DCATAP.availability, AVAILABILITY_STABLE))
        made.append(node)

    if entry.source is not None:
        base = f"/catalog/datasets/{quote(entry.dataset.id, safe='')}/"
        for file in FILES[entry.dataset.content]:
            distribution(
                file.name,
                f"{entry.dataset.title} ({file.title})",
                absolute(base + file.name),
                file.format,
                file.media_type,
                download=True,
            )
    for index, endpoint in enumerate(entry.dataset.endpoints, start=1):
        distribution(
            f"api-{index}",
            endpoint.title,
            absolute(endpoint.path),
            endpoint.format,
            endpoint.media_type,
            download=False,
            conforms_to=endpoint.conforms_to,
        )
    for index, link in enumerate(entry.links, start=1):
        distribution(
            f"link-{index}", link.title, link.url, link.format, link.media_type, download=True
        )
    return made


def _paging(
    graph: Graph, absolute: Absolute, shown: Page, path: str, query: dict[str, str]
) -> None:
    def link(number: int) -> URIRef:
        return URIRef(absolute(path) + "?" + urlencode({**query, "page": str(number)}))

    view = link(shown.number)
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, RDF.type, HYDRA.PagedCollection))
    graph.add((view, HYDRA.totalItems, Literal(shown.total, datatype=XSD.integer)))
    graph.add((view, HYDRA.itemsPerPage, Literal(shown.size, datatype=XSD.integer)))
    pages: Sequence[tuple[tuple[URIRef, URIRef], int]] = [
        ((HYDRA.first, HYDRA.firstPage), 1),
        ((HYDRA.last, HYDRA.lastPage), shown.last),
    ]
    if shown.number < shown.last:
        pages = [*pages, ((HYDRA.next, HYDRA.nextPage), shown.number + 1)]
    if shown.number > 1:
        pages = [*pages, ((HYDRA.previous, HYDRA.previousPage), min(shown.number, shown.last) - 1)]
    for predicates, number in pages:
        for predicate in predicates:
            graph.add((view, predicate, link(number)))
