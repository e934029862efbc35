"""Whole numbers in text, as ``int()`` reads them."""

from __future__ import annotations


def is_digits(text: str) -> bool:
    """True if ``text`` is one or more of the ASCII digits 0-9. ``str.isdigit`` also takes
    superscripts and other digit signs ("²", "①") that ``int()`` refuses with a ValueError."""
    return text.isascii() and text.isdigit()
