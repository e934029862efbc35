"""The web shell: layout, start and region pages, sign-in, health, the kernel's JSON API."""

from pathlib import Path

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LOCALE = HERE / "locale"
