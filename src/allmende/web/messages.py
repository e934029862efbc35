"""Strings shown through variables (roles, error titles), marked so they reach the catalogues."""

from allmende.http.i18n import N_

ROLE_NAMES = (N_("admin"), N_("staff"), N_("integrator"), N_("citizen"), N_("anonymous"))
ERROR_TITLES = (
    N_("Bad request"),
    N_("Invalid input"),
    N_("Authentication required"),
    N_("Not allowed"),
    N_("Not found"),
    N_("Method not allowed"),
    N_("Not acceptable"),
    N_("Conflict"),
    N_("Payload too large"),
    N_("Unsupported media type"),
    N_("Too many requests"),
    N_("Internal error"),
    N_("Service unavailable"),
    N_("Something went wrong on our side."),
)
