"""What CKAN's DCAT harvester makes of a catalogue page, after the DCAT-AP(.de) → CKAN mapping
of ckanext-dcat's ``euro_dcat_ap`` profile and ckanext-dcatde (ckanext-dcat itself needs a
whole CKAN to import). Written from the profiles' documented mapping, with rdflib."""

from __future__ import annotations

from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from allmende.standards.dcat.vocabulary import DCAT, DCATDE, DCT, HYDRA


def _text(graph: Graph, subject: Any, predicate: URIRef) -> str | None:
    value = graph.value(subject, predicate)
    return None if value is None else str(value)


def next_page(graph: Graph) -> str | None:
    """Like the harvester: ``hydra:next`` (or the older ``hydra:nextPage``) of the view."""
    for design in (HYDRA.PartialCollectionView, HYDRA.PagedCollection):
        for view in graph.subjects(RDF.type, design):
            for predicate in (HYDRA.next, HYDRA.nextPage):
                found = graph.value(view, predicate)
                if found is not None:
                    return str(found)
    return None


def packages(graph: Graph) -> list[dict[str, Any]]:
    """One CKAN package dict per ``dcat:Dataset``."""
    found = []
    for dataset in graph.subjects(RDF.type, DCAT.Dataset):
        resources = []
        licenses = set()
        for distribution in graph.objects(dataset, DCAT.distribution):
            license_uri = _text(graph, distribution, DCT.license)
            if license_uri:
                licenses.add(license_uri)
            file_type = _text(graph, distribution, DCT["format"]) or ""
            resources.append(
                {
                    "name": _text(graph, distribution, DCT.title),
                    "url": _text(graph, distribution, DCAT.downloadURL)
                    or _text(graph, distribution, DCAT.accessURL),
                    "access_url": _text(graph, distribution, DCAT.accessURL),
                    "download_url": _text(graph, distribution, DCAT.downloadURL),
                    "format": file_type.rsplit("/", 1)[-1],
                    "mimetype": _text(graph, distribution, DCAT.mediaType),
                    "license": license_uri,
                    "licenseAttributionByText": _text(
                        graph, distribution, DCATDE.licenseAttributionByText
                    ),
                }
            )
        found.append(
            {
                "uri": str(dataset),
                "title": _text(graph, dataset, DCT.title),
                "notes": _text(graph, dataset, DCT.description),
                "identifier": _text(graph, dataset, DCT.identifier),
                "modified": _text(graph, dataset, DCT.modified),
                # ckanext-dcat takes the licence of the distributions when they agree
                "license_id": licenses.pop() if len(licenses) == 1 else None,
                "tags": sorted(str(k) for k in graph.objects(dataset, DCAT.keyword)),
                "contributorID": _text(graph, dataset, DCATDE.contributorID),
                "politicalGeocodingURI": _text(graph, dataset, DCATDE.politicalGeocodingURI),
                "publisher_uri": _text(graph, dataset, DCT.publisher),
                "resources": resources,
            }
        )
    return found
