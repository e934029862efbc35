"""A municipality's tariffs: the price and emission factor of each energy carrier from a day
on, until the next tariff of the same carrier. Where a municipality has set none, the
catalogue's defaults apply. The dynamic electricity tariff the controller plans with is a
Datastream (the market Thing's); these are the contract prices the reports bill with and the
plans fall back to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.energy import catalogue
from allmende.modules.energy.catalogue import N_
from allmende.modules.energy.models import Tariff
from allmende.sdk import NotFound, ValidationFailed

Array = NDArray[np.float64]
#: Bounds a price (€ per unit) and an emission factor (kg/kWh) must keep.
MAX_PRICE = 100.0
MAX_CO2 = 5.0


def tariffs(session: Session, *, municipality_id: int) -> list[Tariff]:
    return list(
        session.scalars(
            select(Tariff)
            .where(Tariff.municipality_id == municipality_id)
            .order_by(Tariff.carrier, Tariff.valid_from.desc())
        )
    )


def get_tariff(session: Session, tariff_id: int) -> Tariff:
    found = session.get(Tariff, tariff_id)
    if found is None:
        raise NotFound(detail=f"No tariff with id {tariff_id}.")
    return found


def save_tariff(
    session: Session,
    *,
    municipality_id: int,
    carrier: str,
    valid_from: date,
    price: float,
    co2: float,
    note: str = "",
    tariff_id: int | None = None,
) -> Tariff:
    """Create a tariff, or change the one ``tariff_id`` (of the same municipality)."""
    if carrier not in catalogue.CARRIER_BY_KEY:
        raise ValidationFailed.one(
            "carrier", f"must be one of {', '.join(catalogue.CARRIER_BY_KEY)}"
        )
    if not 1990 <= valid_from.year <= 2100:
        raise ValidationFailed.one("valid_from", N_("must be a day between 1990 and 2100"))
    if not 0 <= price <= MAX_PRICE:
        raise ValidationFailed.one("price", N_("must be between 0 and 100 € per unit"))
    if not 0 <= co2 <= MAX_CO2:
        raise ValidationFailed.one("co2", N_("must be between 0 and 5 kg/kWh"))
    note = note.strip()
    if len(note) > 200:
        raise ValidationFailed.one("note", N_("must be at most 200 characters"))
    clash = session.scalar(
        select(Tariff.id).where(
            Tariff.municipality_id == municipality_id,
            Tariff.carrier == carrier,
            Tariff.valid_from == valid_from,
        )
    )
    if clash is not None and clash != tariff_id:
        raise ValidationFailed.one(
            "valid_from", N_("a tariff of this carrier starts on this day already")
        )
    if tariff_id is None:
        row = Tariff(municipality_id=municipality_id)
        session.add(row)
    else:
        row = get_tariff(session, tariff_id)
        if row.municipality_id != municipality_id:
            raise NotFound(detail=f"No tariff with id {tariff_id}.")
    row.carrier, row.valid_from, row.price, row.co2, row.note = (
        carrier,
        valid_from,
        price,
        co2,
        note,
    )
    session.flush()
    return row


@dataclass(frozen=True)
class PriceBook:
    """The tariffs of one municipality, per carrier in the order they start."""

    starts: dict[str, list[datetime]] = field(default_factory=dict)
    prices: dict[str, list[float]] = field(default_factory=dict)
    factors: dict[str, list[float]] = field(default_factory=dict)

    def at(self, carrier: str, when: datetime) -> tuple[float, float]:
        """Price (€ per unit) and emission factor (kg/kWh) of ``carrier`` at ``when``."""
        prices, factors = self.over(carrier, np.array([_stamp(when)]))
        return float(prices[0]), float(factors[0])

    def over(self, carrier: str, times: NDArray[np.datetime64]) -> tuple[Array, Array]:
        """Price and emission factor at each of ``times`` (``datetime64[us]``, UTC)."""
        default = catalogue.CARRIER_BY_KEY[carrier]
        starts = self.starts.get(carrier, [])
        prices = np.array([default.price, *self.prices.get(carrier, [])])
        factors = np.array([default.co2, *self.factors.get(carrier, [])])
        index = np.searchsorted(np.array([_stamp(s) for s in starts]), times, side="right")
        return prices[index], factors[index]


def _stamp(moment: datetime) -> np.datetime64:
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "us")


def price_book(session: Session, *, municipality_id: int) -> PriceBook:
    book = PriceBook()
    zone = ZoneInfo(catalogue.LOCAL_ZONE)
    for row in sorted(
        tariffs(session, municipality_id=municipality_id), key=lambda t: t.valid_from
    ):
        day = row.valid_from
        book.starts.setdefault(row.carrier, []).append(
            datetime(day.year, day.month, day.day, tzinfo=zone)
        )
        book.prices.setdefault(row.carrier, []).append(row.price)
        book.factors.setdefault(row.carrier, []).append(row.co2)
    return book
