"""Identity: the municipalities of the region (tenancy), users, roles, API keys, web sessions,
OIDC bearer tokens, and :mod:`allmende.identity.permissions`, the one place that decides."""

from pathlib import Path

MIGRATIONS = Path(__file__).with_name("migrations")
