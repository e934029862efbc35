"""Who is asking: the caller of one request, as resolved from its credentials."""

from __future__ import annotations

from dataclasses import dataclass, field

from allmende.identity.models import Role


@dataclass(frozen=True)
class Principal:
    """The caller. Permission checks read nothing else (see :mod:`.permissions`)."""

    kind: str = "anonymous"  # anonymous | user | api_key
    user_id: int | None = None
    api_key_id: int | None = None
    name: str = ""
    is_admin: bool = False
    staff_of: frozenset[int] = field(default_factory=frozenset)
    #: Scopes of an API key; a user's session is not limited by scopes.
    scopes: frozenset[str] | None = None
    #: An API key bound to one municipality acts only there.
    key_municipality_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def role(self) -> Role:
        """The highest role held anywhere (for display; checks use :mod:`.permissions`)."""
        if self.is_admin:
            return Role.ADMIN
        if self.kind == "api_key":
            return Role.INTEGRATOR
        if self.staff_of:
            return Role.STAFF
        if self.kind == "user":
            return Role.CITIZEN
        return Role.ANONYMOUS


ANONYMOUS = Principal()


def acting_for(municipality_id: int, *, name: str) -> Principal:
    """A job or rule working for one municipality: it reads what that municipality's staff
    read (the region's public records and its own internal ones), nothing internal of
    another municipality."""
    return Principal(kind="system", name=name, staff_of=frozenset({municipality_id}))
