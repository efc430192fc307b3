"""Token buckets in process memory: one per device id (signed requests) and one per client IP
(/v1/enroll). Each API process keeps its own buckets, so N processes allow N x the limit; a
shared limit belongs in PostgreSQL or the load balancer (docs/sync.md)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

MAX_KEYS = 10_000  # buckets kept; past this, full (idle) buckets are forgotten


class RateLimiter:
    """`per_minute` tokens a minute, at most `burst` saved up. `take(key)` spends one token and
    returns None, or returns the whole seconds to wait when the bucket is empty."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic):
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute > 0 and burst >= 1")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> int | None:
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + max(0.0, now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                if len(self._buckets) > MAX_KEYS:
                    self._forget_full(now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))

    def _forget_full(self, now: float) -> None:
        for key, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * self.rate >= self.burst:
                del self._buckets[key]
