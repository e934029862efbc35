"""Numbered pages of an HTML list (the kernel's ``pager`` macro in web/templates/macros.html
draws them): how many pages a count makes, and one page of a list already loaded."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


def page_count(total: int, size: int) -> int:
    """Pages of ``size`` for ``total`` items; an empty list is one (empty) page."""
    return max(1, math.ceil(total / size))


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    #: This page's number (1-based), at most :attr:`pages`.
    number: int
    pages: int
    total: int


def page_of(items: Sequence[T], number: int, size: int) -> Page[T]:
    """Page ``number`` of ``items``; a number past the end gives the last page."""
    pages = page_count(len(items), size)
    number = min(number, pages)
    return Page(items[(number - 1) * size : number * size], number, pages, len(items))
