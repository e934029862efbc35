"""Address search for the report form: a configured Photon- or Nominatim-compatible geocoder,
asked within the region's box; without one, or when it does not answer, the region's own
street and object names (``placing.search_local``). Hits outside every municipality are
dropped either way."""

from __future__ import annotations

import logging
from typing import Any, Literal

import httpx
from sqlalchemy.orm import Session

from allmende.modules.assets.reports.placing import Place, region_bbox, search_local, within_region
from allmende.sdk import RateLimit

log = logging.getLogger(__name__)
Kind = Literal["photon", "nominatim"]
TIMEOUT_S = 5.0
MAX_QUERY = 200
#: Address searches per client address and hour, of the report form and the API together
#: (each may ask the configured geocoder).
SEARCHES = RateLimit("assets-place-search", limit=120, window_seconds=3600)


def _photon_places(answer: Any) -> list[Place]:
    places = []
    for feature in answer.get("features", []) if isinstance(answer, dict) else []:
        geometry = feature.get("geometry") or {}
        props = feature.get("properties") or {}
        if geometry.get("type") != "Point":
            continue
        lon, lat = (float(c) for c in geometry["coordinates"][:2])
        street = " ".join(str(p) for p in (props.get("street"), props.get("housenumber")) if p)
        town = " ".join(str(p) for p in (props.get("postcode"), props.get("city")) if p)
        name = props.get("name")
        parts = [str(p) for p in (name, street, town) if p]
        places.append(Place(", ".join(dict.fromkeys(parts)) or f"{lat:.5f}, {lon:.5f}", lat, lon))
    return places


def _nominatim_places(answer: Any) -> list[Place]:
    return [
        Place(str(hit.get("display_name") or ""), float(hit["lat"]), float(hit["lon"]))
        for hit in (answer if isinstance(answer, list) else [])
        if "lat" in hit and "lon" in hit
    ]


def ask_geocoder(
    url: str,
    kind: Kind,
    *,
    query: str,
    bbox: tuple[float, float, float, float] | None,
    limit: int,
    language: str = "de",
) -> list[Place]:
    """The geocoder's hits; raises ``httpx.HTTPError`` or ``ValueError`` when it fails."""
    params: dict[str, str | int] = {"q": query, "limit": limit}
    if kind == "photon":
        params["lang"] = language
        if bbox is not None:
            params["bbox"] = ",".join(f"{v:.6f}" for v in bbox)
    else:
        params.update({"format": "jsonv2", "accept-language": language})
        if bbox is not None:
            west, south, east, north = bbox
            params["viewbox"] = f"{west:.6f},{north:.6f},{east:.6f},{south:.6f}"
            params["bounded"] = 1
    response = httpx.get(url, params=params, timeout=TIMEOUT_S, follow_redirects=False)
    response.raise_for_status()
    answer = response.json()
    return _photon_places(answer) if kind == "photon" else _nominatim_places(answer)


def search(
    session: Session,
    *,
    query: str,
    geocoder_url: str | None,
    geocoder_kind: Kind = "photon",
    limit: int = 8,
    language: str = "de",
) -> list[Place]:
    """Places for an address or name typed by a citizen, inside the region."""
    words = " ".join(query.split())[:MAX_QUERY]
    if len(words) < 2:
        return []
    if geocoder_url:
        try:
            found = ask_geocoder(
                geocoder_url,
                geocoder_kind,
                query=words,
                bbox=region_bbox(session),
                limit=limit,
                language=language,
            )
            return within_region(session, found)[:limit]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("geocoder failed (%s); searching the register instead", exc)
    return within_region(session, search_local(session, query=words, limit=limit))
