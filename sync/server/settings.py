"""Where the server keeps its data: one Settings object, from the command line and environment.

The database URL comes from --db, else KHBS_DB, else a SQLite file in the per-user data folder
(`sqlite:///<user_data_dir>/khbs-server.db`). PostgreSQL is `postgresql+psycopg://...`
(`postgresql://` is accepted and means the same). The private-key passphrase comes from
KHBS_SERVER_PASSPHRASE or a prompt; it is never part of Settings, so Settings can be logged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DB_ENV = "KHBS_DB"
PASSPHRASE_ENV = "KHBS_SERVER_PASSPHRASE"
# The address people open the console at (https://khbs.kalteng.go.id, behind a proxy or not):
# the set-up links `khbs-server user add` and `user reset` print. Unset: `serve`'s own default
# host and port (a loopback address without TLS), and the commands say it is unset.
PUBLIC_URL_ENV = "KHBS_PUBLIC_URL"
SERVE_HOST = "127.0.0.1"
SERVE_PORT = 8443
DB_FILENAME = "khbs-server.db"
ATTACHMENTS_ENV = "KHBS_ATTACHMENTS"


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("KHBS Server", "Dinsos Kalteng"))


def default_db_url() -> str:
    return f"sqlite:///{default_data_dir() / DB_FILENAME}"


@dataclass(frozen=True)
class Settings:
    db_url: str
    # Rate limits, shared by every API process through the database (docs/sync.md): signed
    # requests per device, enrollments per client IP. Generous for real laptops; a burst is what
    # may be spent at once.
    device_per_minute: float = 60.0
    device_burst: int = 30
    enroll_per_minute: float = 10.0
    enroll_burst: int = 10
    # Export downloads per administrator: each one reads the whole database.
    admin_per_minute: float = 2.0
    admin_burst: int = 5
    # Request limits (docs/security.md, "Server limits"). Bodies: bytes per request, checked
    # before the body is read; a push batch of 256 households is about 100 KB.
    max_body: int = 16 * 1024  # every route but POST /v1/push
    max_push_body: int = 32 * 1024 * 1024
    max_bodies_in_flight: int = 256 * 1024 * 1024  # all bodies being received at once
    # Seconds: between two pieces of a body, a whole body, a request's headers, an idle
    # kept-alive connection. A 32 kbit/s link moves a 100 KB batch in about 25 s; the laptop
    # gives up on a stalled link after 30 s itself (sync/client.py TIMEOUT) and retries smaller.
    body_idle_timeout: float = 60.0
    body_timeout: float = 600.0
    header_timeout: float = 20.0
    keep_alive_timeout: float = 15.0
    max_connections: int = 200  # more at once are answered 503
    max_header_bytes: int = 16 * 1024  # request line and headers
    max_chunk_body: int = 320 * 1024  # POST /v1/attachments/chunk (protocol.MAX_CHUNK_BYTES)
    # Where photos and signatures are kept (sync/server/attachments.py): a directory; None is
    # a folder beside a SQLite database, or in the data folder for PostgreSQL.
    attachments: str | None = None
    public_url: str | None = None  # PUBLIC_URL_ENV, without a trailing slash

    def console_url(self, path: str) -> str:
        """The full address of a console page: the public address, else `serve`'s default."""
        base = self.public_url or f"http://{SERVE_HOST}:{SERVE_PORT}"
        return base + path

    @classmethod
    def load(cls, db: str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            db_url=db or env.get(DB_ENV) or default_db_url(),
            attachments=env.get(ATTACHMENTS_ENV) or None,
            public_url=(env.get(PUBLIC_URL_ENV) or "").strip().rstrip("/") or None,
        )
