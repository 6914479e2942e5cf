"""Who may do what, and what a page may run: tokens, roles, CSRF, rate limits, CSP.

Two modes:

* **Single-user** (no ``--auth``): the server listens on loopback only and whoever reaches it
  is the local user, with every role. ``baimo serve --host 0.0.0.0`` is refused, because that
  would hand every role to the network.
* **Team** (``--auth``): every request carries an API token (``Authorization: Bearer`` for
  scripts, or the ``baimo_token`` cookie the sign-in page sets). Tokens are 32 random bytes;
  the store keeps only their SHA-256 (a token is a random secret, not a password, so a slow
  hash adds nothing). Roles are ordered: viewer (read) < voter (arena votes) < runner (start
  and cancel jobs) < admin (users).

Browsers send cookies on cross-site form posts, so every state-changing request that is
authenticated by a cookie must carry the CSRF token: a random value in the ``baimo_csrf``
cookie, repeated in the form field ``csrf_token`` or the ``X-CSRF-Token`` header (a page on
another site can make the browser send the cookie but cannot read it to repeat it). Requests
authenticated by a bearer header alone are not CSRF-prone and need no token.

Write endpoints are rate-limited per user (or per client address before sign-in) by a token
bucket, so one client cannot flood the job queue or the sign-in form.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass

ROLE_ORDER = {"viewer": 0, "voter": 1, "runner": 2, "admin": 3}
CSRF_COOKIE = "baimo_csrf"
TOKEN_COOKIE = "baimo_token"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
"""No inline script, no eval, nothing from elsewhere. Inline *styles* are allowed because
ECharts sizes its SVG with style attributes; a style cannot run code."""

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass(frozen=True)
class Identity:
    """The user behind a request."""

    name: str
    role: str
    via: str  # "local", "bearer" or "cookie"

    def can(self, role: str) -> bool:
        return ROLE_ORDER[self.role] >= ROLE_ORDER[role]


LOCAL = Identity("local", "admin", "local")


def new_token() -> str:
    """A fresh API token (shown once; only its hash is stored)."""
    return "bm_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie: str | None, sent: str | None) -> bool:
    return bool(cookie) and bool(sent) and hmac.compare_digest(str(cookie), str(sent))


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) only accepts local connections."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class RateLimiter:
    """Token buckets per key: ``burst`` requests at once, refilled at ``per_minute``."""

    def __init__(self, per_minute: float = 30.0, burst: int = 10) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one request; returns 0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate if self.rate > 0 else 60.0
