"""POST /v1/enroll: a one-time code and a device public key in; the device's identity, the
officer's areas and the province public key out."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sync.protocol import ProtocolError, b64, unb64
from sync.server import (
    BadDeviceKey,
    DeviceKeyTaken,
    EnrollCodeExpired,
    EnrollCodeUnknown,
    EnrollCodeUsed,
    repo,
)
from sync.server.api.deps import EngineDep, KeysDep, limit_enroll
from sync.server.api.errors import ApiError

router = APIRouter(tags=["enroll"])

REFUSALS = {
    EnrollCodeUnknown: (403, "code_unknown"),
    EnrollCodeUsed: (403, "code_used"),
    EnrollCodeExpired: (403, "code_expired"),
    BadDeviceKey: (400, "bad_device_key"),
    DeviceKeyTaken: (409, "device_key_taken"),
}


class EnrollRequest(BaseModel):
    code: str = Field(max_length=64)
    device_key: str = Field(max_length=64)


class EnrollReply(BaseModel):
    device_id: str
    officer_id: str
    areas: list[str]
    province_key: str
    province_key_id: str
    server_time: int


@router.post("/v1/enroll", response_model=EnrollReply, dependencies=[Depends(limit_enroll)])
async def enroll(body: EnrollRequest, engine: EngineDep, keys: KeysDep) -> EnrollReply:
    try:
        device_key = unb64(body.device_key)
    except ProtocolError:
        raise ApiError(400, "bad_device_key") from None
    province = keys.province

    def redeem() -> repo.Device:
        with engine.begin() as conn:
            return repo.redeem_enroll_code(conn, body.code, device_key)

    try:
        device = await run_in_threadpool(redeem)
    except tuple(REFUSALS) as exc:
        raise ApiError(*REFUSALS[type(exc)]) from None
    return EnrollReply(
        device_id=device.id, officer_id=device.officer_id, areas=list(device.areas),
        province_key=b64(province.public_bytes()), province_key_id=province.key_id,
        server_time=int(time.time()),
    )
