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
#: Reasons the identity service and the mail queue give, shown beside form fields.
FIELD_REASONS = (
    N_("use lower-case letters, digits and '-' (max. 40)"),
    N_("must not be empty"),
    N_("an Amtlicher Gemeindeschlüssel has 8 digits"),
    N_("must have at most 8 characters"),
    N_("must have at most 40 characters"),
    N_("must have at most 200 characters"),
    N_("must have at most 300 characters"),
    N_("must have at most 512 characters"),
    N_("must have at least 8 characters"),
    N_("must be an http(s) address"),
    N_("is not an e-mail address"),
    N_("another municipality has it already"),
    N_("must be a valid polygon or multipolygon"),
    N_("must be a number from 0 to 100000000"),
    N_("this municipality has a district of that name already"),
    N_("an account with this address exists already"),
    N_("staff needs a municipality"),
    N_("you cannot take the administrator role from yourself"),
    N_("you cannot switch off your own account"),
    N_("you are the only administrator; make someone else one first"),
    N_("name at least one scope"),
)
#: Why a link from an e-mail does not work (identity.tokens, identity.accounts).
LINK_REASONS = (
    N_("The link is incomplete. Copy the whole link from the e-mail."),
    N_("The link is not valid."),
    N_("The link has expired. Please ask for a new one."),
    N_("The link is no longer valid. Please ask for a new one."),
    N_("This account is switched off."),
)
