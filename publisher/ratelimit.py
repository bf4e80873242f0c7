"""In-process fixed-window rate limits (login per username and per client address, API per token).

A limit is written ``"N/SECONDS"`` (``"10/60"`` = at most 10 requests per 60-second window); ``""`` or
``"0"`` switches it off.  Counters live in the memory of one process (no shared store): with several
gunicorn workers each worker counts on its own, so the effective limit is at most ``workers × N``.
The keys are hashed so no username or token is kept in memory in clear text.
The client address is ``request.remote_addr``: behind a reverse proxy that is the proxy's address unless
``FREIGABE_PROXY_COUNT`` names the number of trusted proxies (then ``create_app`` wraps the app in
``werkzeug.middleware.proxy_fix.ProxyFix`` and the address comes from ``X-Forwarded-For``); otherwise all
users behind the proxy share the per-address budget (5 × N per window).
"""
from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

ADDRESS_FACTOR = 5
_LIMIT_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


def parse_limit(text: str | None) -> Limit | None:
    """``"10/60"`` → ``Limit(10, 60)``; ``""``/``"0"``/``None`` → ``None`` (no limit).  Bad text → ValueError."""
    if text is None:
        return None
    text = str(text).strip()
    if text in ("", "0", "off", "none"):
        return None
    m = _LIMIT_RE.match(text)
    if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        raise ValueError(f"rate limit must look like 'N/SECONDS' (e.g. '10/60'), got {text!r}")
    return Limit(int(m.group(1)), int(m.group(2)))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: int  # seconds until the window resets (0 when allowed)
    first_refusal: bool = False  # the first refused request of this window (audit once, not per request)


class FixedWindowLimiter:
    """Counts hits per key in fixed windows of ``limit.seconds``; thread-safe; bounded memory."""

    def __init__(self, limit: Limit, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self.limit = limit
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._hits: dict[str, tuple[int, int]] = {}  # key -> (window number, count)

    @staticmethod
    def _key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def hit(self, key: str) -> Decision:
        now = self._clock()
        window = int(now // self.limit.seconds)
        k = self._key(key)
        with self._lock:
            if len(self._hits) >= self._max_keys:
                self._hits = {kk: v for kk, v in self._hits.items() if v[0] == window}
            w, n = self._hits.get(k, (window, 0))
            if w != window:
                n = 0
            n += 1
            self._hits[k] = (window, n)
        if n > self.limit.count:
            reset = (window + 1) * self.limit.seconds
            return Decision(False, 0, max(1, math.ceil(reset - now)), n == self.limit.count + 1)
        return Decision(True, self.limit.count - n, 0)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


class RateLimits:
    """The limiters of one app (``app.extensions["freigabe_ratelimit"]``)."""

    def __init__(self, login: str | None, api: str | None, clock: Callable[[], float] = time.monotonic):
        lg, ap = parse_limit(login), parse_limit(api)
        self.login_user = FixedWindowLimiter(lg, clock) if lg else None
        # one office behind NAT shares an address: the per-address limit is ADDRESS_FACTOR times larger
        self.login_addr = FixedWindowLimiter(Limit(lg.count * ADDRESS_FACTOR, lg.seconds), clock) if lg else None
        self.api = FixedWindowLimiter(ap, clock) if ap else None

    def check_login(self, username: str, address: str) -> Decision | None:
        """Count one login attempt (per username from this address: N per window; per address: ADDRESS_FACTOR
        × N); the refusing decision (or None when allowed).  Issue 14: never per username alone - requests
        from elsewhere must not lock the account's owner out."""
        if self.login_user is None:
            return None
        worst = None
        for limiter, key in ((self.login_user, "u:" + username.strip().lower() + "|" + address),
                             (self.login_addr, "a:" + address)):
            d = limiter.hit(key)
            if not d.allowed and (worst is None or d.retry_after > worst.retry_after):
                worst = d
        return worst

    def check_api(self, token: str) -> Decision | None:
        if self.api is None:
            return None
        d = self.api.hit("t:" + token)
        return None if d.allowed else d
