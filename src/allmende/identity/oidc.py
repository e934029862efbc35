"""OpenID Connect bearer tokens: a JWT signed by the configured issuer, checked against its JWKS.

The issuer's discovery document and key set are fetched over HTTPS and cached; an unknown
``kid`` triggers one refetch (the issuer rotated its keys).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from allmende.core.errors import ServiceUnavailable, Unauthorized

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
CACHE_SECONDS = 600


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


@dataclass
class OidcVerifier:
    issuer: str
    audience: str | None = None
    jwks_url: str | None = None
    leeway_seconds: int = 30
    _keys: KeySet | None = None
    _fetched_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims; 401 when its signature, issuer, audience or times do not hold."""
        try:
            decoded = self._decode(token, refresh=False)
        except JoseError:
            decoded = self._decode(token, refresh=True)  # keys may have rotated
        claims: dict[str, Any] = dict(decoded.claims)
        options: dict[str, Any] = {"iss": {"essential": True, "value": self.issuer}}
        options["exp"] = {"essential": True}
        if self.audience:
            options["aud"] = {"essential": True, "value": self.audience}
        try:
            JWTClaimsRegistry(leeway=self.leeway_seconds, **options).validate(claims)
        except JoseError as exc:
            raise Unauthorized(detail=f"The bearer token is not valid: {exc.description}") from exc
        return claims

    def _decode(self, token: str, *, refresh: bool) -> jwt.Token:
        keys = self._key_set(refresh=refresh)
        try:
            return jwt.decode(token, keys, algorithms=ALGORITHMS)
        except JoseError:
            if refresh:
                raise Unauthorized(detail="The bearer token's signature is not valid.") from None
            raise
        except ValueError as exc:
            raise Unauthorized(detail="The bearer token is malformed.") from exc

    def _key_set(self, *, refresh: bool) -> KeySet:
        with self._lock:
            stale = time.monotonic() - self._fetched_at > CACHE_SECONDS
            if self._keys is None or stale or refresh:
                self._keys = KeySet.import_key_set(self._fetch_jwks())
                self._fetched_at = time.monotonic()
            return self._keys

    def _fetch_jwks(self) -> Any:
        try:
            url = self.jwks_url
            if url is None:
                discovery = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
                url = httpx.get(discovery, timeout=10).raise_for_status().json()["jwks_uri"]
            return httpx.get(url, timeout=10).raise_for_status().json()
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise ServiceUnavailable(detail="The identity provider cannot be reached.") from exc
