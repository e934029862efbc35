"""Accessibility checks with axe-core (bundled by axe-playwright-python), and waits on the
pages' own signals instead of fixed times."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

SERIOUS = ("serious", "critical")
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
#: Only violations are reported in detail: passes and inapplicable rules would be serialised
#: node by node and thrown away.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": list(WCAG_TAGS)}, "resultTypes": ["violations"]}
#: axe runs in the page and hands back only its serious and critical findings.
AXE_RUN = """options => axe.run(document, options).then(r => r.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target)})))"""
#: The words of the elements a selector names (a table's cells) that the browser split over two
#: lines (a word ends at a space or after a hyphen, where a line may break; a soft hyphen marks
#: where a German compound may break, "Mittel-" and "wert").
SPLIT_WORDS = """(selector) => {
  const split = [];
  for (const cell of document.querySelectorAll(selector)) {
    const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let text = texts.nextNode(); text; text = texts.nextNode()) {
      for (const word of text.data.matchAll(/[^\\s\u00ad-]+/g)) {
        // The line of each letter (a range's rects after a soft hyphen include the hyphen's).
        const lines = new Set();
        for (let i = word.index; i < word.index + word[0].length; i++) {
          const range = document.createRange();
          range.setStart(text, i);
          range.setEnd(text, i + 1);
          lines.add(Math.round([...range.getClientRects()].at(-1).top));
        }
        if (lines.size > 1) split.push(word[0]);
      }
    }
  }
  return split;
}"""

#: Buttons whose text has the colour of what lies behind them (white on white): axe takes text
#: of its background's colour for text hidden on purpose and reports nothing.
INKLESS_BUTTONS = """() => {
  const ground = e => {
    for (; e; e = e.parentElement) {
      const colour = getComputedStyle(e).backgroundColor;
      if (colour !== "rgba(0, 0, 0, 0)" && colour !== "transparent") return colour;
    }
    return "rgb(255, 255, 255)";
  };
  return [...document.querySelectorAll("main :is(button, .button, input[type=submit])")]
    .filter(e => e.getClientRects().length && getComputedStyle(e).color === ground(e))
    .map(e => e.textContent.trim().slice(0, 40));
}"""
#: Marks each map once it has drawn its data (the maps' own "allmende:map-ready" event, which
#: does not bubble: caught on its way down).
MAP_READY_SCRIPT = """document.addEventListener("allmende:map-ready",
    e => e.target.setAttribute("data-test-drawn", ""), true);"""
MAPS_DRAWN = """() => document.readyState === "complete" && [...document.querySelectorAll(
    ".leaflet-container")].every(m => m.closest("[data-test-drawn]"))"""


@cache
def axe_script() -> str:
    """axe-core's source, read once per test process."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations on the current page (axe is injected
    unless a context's init script already did)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_script())
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN, AXE_OPTIONS)
    return violations


def maps_drawn(page: Any) -> None:
    """Wait until the page has loaded and every map on it has drawn its data (needs
    :data:`MAP_READY_SCRIPT` as an init script of the page's context)."""
    page.wait_for_function(MAPS_DRAWN, polling=50)
