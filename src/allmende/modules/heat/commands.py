"""``allmende heat …``: land-cover layers, the land cover, the map's errors, a run of the jobs."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from allmende.modules.heat import alerts, maps, service, stations
from allmende.modules.heat.catalogue import LAYER_KINDS
from allmende.sdk import AllmendeError, CommandContext, utcnow

commands = typer.Typer(
    help="Heat: land-cover layers, the heat map and its warnings.", no_args_is_help=True
)

Municipality = Annotated[str, typer.Option("--municipality", "-m", help="The municipality's key.")]


def _fail(error: AllmendeError) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(1)


@commands.command("import-layer")
def import_layer(
    context: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    municipality: Municipality,
    kind: Annotated[str, typer.Option(help=", ".join(LAYER_KINDS))],
    name: Annotated[str, typer.Option(help="A name for the layer.")] = "",
) -> None:
    """Import a GeoTIFF, GeoPackage or GeoJSON as a land-cover layer and rebuild the land
    cover. A file in another CRS is reprojected; a bad file is refused with the reason."""
    installation: CommandContext = context.obj
    sources = maps.feature_sources(installation.registry)
    content = file.read_bytes()

    def run(session: Session) -> str:
        place = service.municipality(session, key=municipality)
        layer = maps.upload_layer(
            session,
            municipality_id=place.id,
            kind=kind,
            name=name,
            filename=file.name,
            content=content,
            user_id=None,
            sources=sources,
        )
        land = maps.land_cover(session, municipality_id=place.id)
        assert land is not None
        return (
            f"layer {layer.id} ({layer.kind}, from {layer.source_crs}): {layer.summary}\n"
            f"land cover: {land.sources}"
        )

    try:
        typer.echo(installation.write(run))
    except AllmendeError as exc:
        raise _fail(exc) from None


@commands.command("rebuild")
def rebuild(context: typer.Context, municipality: Municipality) -> None:
    """Rebuild the land cover from the object register and the layers."""
    installation: CommandContext = context.obj
    sources = maps.feature_sources(installation.registry)

    def run(session: Session) -> str:
        place = service.municipality(session, key=municipality)
        return str(
            maps.build_land_cover(session, municipality_id=place.id, sources=sources).sources
        )

    try:
        typer.echo(installation.write(run))
    except AllmendeError as exc:
        raise _fail(exc) from None


@commands.command("evaluate")
def evaluate(
    context: typer.Context,
    municipality: Municipality,
    days: Annotated[int, typer.Option(min=1, max=60, help="Days back from the newest map.")] = 7,
) -> None:
    """Leave-one-station-out errors of the map: model + correction, model alone, kriging."""
    installation: CommandContext = context.obj

    def run(session: Session) -> tuple[int, datetime, datetime, dict[str, Any] | None]:
        place = service.municipality(session, key=municipality)
        newest = maps.map_hours(session, municipality_id=place.id, limit=1)
        end = (newest[0].hour if newest else utcnow()) + timedelta(hours=1)
        start = end - timedelta(days=days)
        return (
            place.id,
            start,
            end,
            maps.evaluate(session, municipality_id=place.id, start=start, end=end),
        )

    try:
        place_id, start, end, results = installation.read(run)
    except AllmendeError as exc:
        raise _fail(exc) from None
    if results is None:
        raise _fail(AllmendeError(detail="the map and at least four stations are needed"))
    installation.write(
        lambda s: maps.store_evaluation(
            s, municipality_id=place_id, start=start, end=end, results=results
        )
    )
    typer.echo(f"{results['stations']} stations, {results['hours']} hours (RMSE / bias in K):")
    for method in ("joined", "model", "interpolation"):
        e = results[method]
        if e["n"]:
            typer.echo(f"  {method:<14} {e['rmse']:6.2f} {e['bias']:+6.2f}")
        else:
            typer.echo(f"  {method:<14} no hour with three other stations")


@commands.command("update")
def update(context: typer.Context) -> None:
    """Run the module's jobs once: station indices, hourly maps, warnings."""
    installation: CommandContext = context.obj
    now = utcnow()
    derived = stations.update(installation, now=now)
    hours = maps.update(installation, now=now)
    applied = alerts.update(installation, now=now)
    typer.echo(
        f"{derived} station values, {hours} map hours; warnings started {applied.started}, "
        f"changed {applied.changed}, ended {applied.ended}"
    )
