"""What the province's monitoring sees (docs/operations.md, "Monitoring"): one JSON line per
request and per server message, Prometheus metrics at /metrics, readiness at /v1/ready.

No personal data: a request line has the method, the route's template (`/console/households/
{household_id}`, never the path as sent), the status and the time taken; never the query string
(the console's search), a body, a header or the client's address. A log record keeps its message
only when it comes from this server's own loggers, whose messages hold codes; from any other
library only its logger name and level and, for an exception, its type: exception messages may
quote values. uvicorn's own lines (start-up, shut-down, a malformed request) are kept: they
quote no request.

Metrics (prometheus_client): requests by route and status, their duration, households ingested
by outcome, sync refusals (4xx/5xx of /v1/) by status, and at scrape time the queue depths from
the database (households waiting for verification, conflicts). With `--workers N`, the workers
write to PROMETHEUS_MULTIPROC_DIR and any one of them answers for all (workers.py sets it).
/metrics answers a bearer KHBS_METRICS_TOKEN when one is set, else loopback clients only: keep
it behind the proxy (deploy/Caddyfile refuses it from outside).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import time
import traceback
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.server.api.errors import ApiError

METRICS_TOKEN_ENV = "KHBS_METRICS_TOKEN"
OWN_LOGGERS = ("khbs",)  # messages from these are codes and ids: kept
LOOPBACK = ("127.0.0.1", "::1")

REQUESTS = Counter("khbs_requests_total", "HTTP requests", ["method", "route", "status"])
DURATION = Histogram(
    "khbs_request_seconds",
    "HTTP request duration",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
INGESTED = Counter(
    "khbs_households_ingested_total", "households in pushes, by outcome", ["outcome"]
)
SYNC_ERRORS = Counter("khbs_sync_errors_total", "refused /v1/ requests", ["route", "status"])

access_log = logging.getLogger("khbs.access")


def count_ingested(results: list[dict]) -> None:
    for result in results:
        INGESTED.labels(outcome=str(result.get("outcome", "unknown"))[:32]).inc()


# -- logs ---------------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line; see the module's docstring for what is left out."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
        }
        if record.name.startswith(OWN_LOGGERS):
            entry["msg"] = record.getMessage()
            entry.update(getattr(record, "fields", {}))
        elif record.name in ("uvicorn.error", "uvicorn"):
            entry["msg"] = record.getMessage()[:200]  # start-up, shut-down: the server's own
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc"] = record.exc_info[0].__name__
            frames = traceback.extract_tb(record.exc_info[2])
            if frames:
                entry["at"] = f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}"
        return json.dumps(entry, ensure_ascii=False)


def log_config(level: str = "info") -> dict:
    """uvicorn's `log_config`: every logger to stderr as JSON lines (journald and Docker keep
    them); uvicorn's own access log is off, AccessLog below writes one without the query."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            name: {"handlers": [], "level": level.upper(), "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "khbs")
        },
    }


# -- per request --------------------------------------------------------------------------------


class Observe:
    """Pure ASGI middleware: the request's JSON line and its metrics, by route template."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope)
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            DURATION.labels(route).observe(seconds)
            if status >= 400 and route.startswith("/v1/"):
                SYNC_ERRORS.labels(route, str(status)).inc()
            access_log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "ms": round(seconds * 1000, 1),
                    }
                },
            )


def route_of(scope: Scope) -> str:
    """The matched route's template; "other" for a path no route knows (never the path itself,
    which a scanner fills with anything)."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(path, str):
        return (scope.get("root_path", "") + path) if path.startswith("/") else path
    return "other"


# -- /metrics and /v1/ready ---------------------------------------------------------------------

router = APIRouter(tags=["operations"])


class QueueDepths:
    """Gauges read from the database at scrape time (every worker sees the same numbers)."""

    def __init__(self, engine):
        self.engine = engine

    def collect(self):
        from sync.server import repo

        with self.engine.connect() as conn:
            depths = repo.queue_depths(conn)
        gauge = GaugeMetricFamily("khbs_queue_depth", "work waiting, by queue", labels=["queue"])
        for name, value in sorted(depths.items()):
            gauge.add_metric([name], value)
        yield gauge


class ThisProcess:
    """The process-wide registry (this module's counters, process and GC metrics), passed on
    into an app's own registry."""

    def collect(self):
        from prometheus_client import REGISTRY

        yield from REGISTRY.collect()


def registry_for(engine) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # every worker's counters, summed
    else:
        registry.register(ThisProcess())
    registry.register(QueueDepths(engine))
    return registry


def allowed(request: Request) -> bool:
    token = os.environ.get(METRICS_TOKEN_ENV)
    if token:
        sent = request.headers.get("authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    return request.client is not None and request.client.host in LOOPBACK


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    if not allowed(request):
        raise ApiError(404, "http_404")  # as if it were not there
    body = await run_in_threadpool(generate_latest, request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/ready")
async def ready(request: Request) -> dict:
    """Ready for traffic: the database answers and its schema is this server's (a load
    balancer sends nothing to a worker still waiting for an upgrade)."""
    from sync.server.migrations import current, head

    engine = request.app.state.engine

    def revision() -> str | None:
        with engine.connect() as conn:
            return current(conn)

    try:
        found = await run_in_threadpool(revision)
    except Exception:  # noqa: BLE001 - any failure is "database unavailable"
        raise ApiError(503, "database_unavailable") from None
    if found != head():
        raise ApiError(503, "schema_not_current")
    return {"status": "ready", "schema": found, "server_time": int(time.time())}


def install(app: FastAPI) -> None:
    """The routes, the registry, and the middleware (outside the app's own)."""
    app.state.metrics_registry = registry_for(app.state.engine)
    app.include_router(router)
    app.add_middleware(Observe)
