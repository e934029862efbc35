"""The module's one table: kinds of measurement a municipality adds to the built-in ones.

A row gives an ObservedProperty ``definition`` a short key (for the kind filter), a label and
a chart style; it overrides a built-in kind with the same key or definition.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from allmende.sdk import Base, HasId


class SensorKind(HasId, Base):
    __tablename__ = "sensors_kinds"

    key: Mapped[str] = mapped_column(String(40), unique=True)
    definition: Mapped[str] = mapped_column(Text, unique=True)
    label: Mapped[str] = mapped_column(String(200))
    #: line | bar
    style: Mapped[str] = mapped_column(String(10), default="line")
    decimals: Mapped[int] = mapped_column(Integer, default=1)
