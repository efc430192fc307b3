"""GET /v1/admin/export: the province export as a ZIP, for administrators.

`Authorization: Bearer <token>` of an administrator (`khbs-server admin add`); a missing, unknown
or revoked token is 401. Each administrator has a small rate limit, and every download is in
the audit log (sync/server/admins.py). The archive is streamed as it is made
(sync/server/export_zip.py): nothing is buffered whole, nothing is written to disk.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.errors import KhbsError
from app.export.layout import Options
from sync.server.admins import Admin, admin_for_token
from sync.server.api.deps import EngineDep, KeysDep, limit
from sync.server.api.errors import ApiError
from sync.server.export import parse_filters
from sync.server.export_zip import zip_export

router = APIRouter(tags=["admin"])
bearer = HTTPBearer(auto_error=False, description="an administrator's API token")


async def auth_admin(
    request: Request,
    engine: EngineDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Admin:
    if credentials is None:
        raise ApiError(401, "missing_auth")

    def check() -> Admin | None:
        with engine.connect() as conn:
            return admin_for_token(conn, credentials.credentials)

    admin = await run_in_threadpool(check)
    if admin is None:
        raise ApiError(401, "bad_token")
    await limit(request.app.state.admin_limiter, admin.id)
    return admin


AuthAdmin = Annotated[Admin, Depends(auth_admin)]


@router.get(
    "/v1/admin/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/zip": {}},
            "description": "households.csv, members.csv, manifest.json (last)",
        }
    },
)
async def export(
    admin: AuthAdmin,
    engine: EngineDep,
    keys: KeysDep,
    regency: Annotated[str | None, Query(max_length=13)] = None,
    since: Annotated[str | None, Query(max_length=32)] = None,
    status: Literal["received", "verified", "rejected"] | None = None,
    mask_ids: bool = False,
    no_health: bool = False,
    excel: bool = False,
    lang: Literal["id", "en"] = "id",
) -> StreamingResponse:
    try:
        filters = parse_filters(regency, since, status)
    except KhbsError:
        raise ApiError(400, "bad_filter") from None
    options = Options(excel=excel, mask_ids=mask_ids, omit_health=no_health, lang=lang)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    stream = zip_export(
        engine, keys, options, filters, actor=f"admin:{admin.id}", created_by=admin.name
    )
    return StreamingResponse(
        stream,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="khbs-province-{stamp}.zip"',
            "Cache-Control": "no-store",
        },
    )
