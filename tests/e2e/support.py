"""Accessibility checks with axe-core (bundled by axe-playwright-python)."""

from __future__ import annotations

from typing import Any

SERIOUS = ("serious", "critical")
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": list(WCAG_TAGS)}},
    )
    violations = results.response.get("violations", [])
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in violations
        if v.get("impact") in SERIOUS
    ]
