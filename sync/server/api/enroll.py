"""POST /v1/enroll: a one-time code and a device public key in; the device's identity, the
officer's areas and the province public key out."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from app.province_key import load_public
from sync.protocol import ProtocolError, b64, normal_store_id, unb64
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
from sync.server.keys import signing_public

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
    # The device's HPKE public key for pre-filled households (docs/sync.md); older laptops
    # send it later with POST /v1/device/box-key.
    box_key: str | None = Field(default=None, max_length=2048)
    # The laptop's store id: the only store this device may escrow a key for (docs/security.md).
    # Laptops enrolled before it bind theirs with their first escrow (legacy devices).
    store_id: str | None = Field(default=None, max_length=64)


class EnrollReply(BaseModel):
    device_id: str
    officer_id: str
    areas: list[str]
    province_key: str
    province_key_id: str
    server_time: int
    # The province signing key (Ed25519, base64url): questionnaire versions are signed with it.
    # None on a server that has not made one yet (before its first `questionnaire publish`).
    signing_key: str | None = None
    signing_key_id: str | None = None


@router.post("/v1/enroll", response_model=EnrollReply, dependencies=[Depends(limit_enroll)])
async def enroll(body: EnrollRequest, engine: EngineDep, keys: KeysDep) -> EnrollReply:
    try:
        device_key = unb64(body.device_key)
    except ProtocolError:
        raise ApiError(400, "bad_device_key") from None
    box_key = None
    if body.box_key is not None:
        try:
            box_key = unb64(body.box_key)
            load_public(box_key)
        except (ProtocolError, ValueError):
            raise ApiError(400, "bad_box_key") from None
    store_id = None
    if body.store_id is not None:
        try:
            store_id = normal_store_id(body.store_id)
        except ProtocolError:
            raise ApiError(400, "bad_store_id") from None
    province = keys.province

    def redeem() -> tuple[repo.Device, tuple[str, bytes] | None]:
        with engine.begin() as conn:
            device = repo.redeem_enroll_code(conn, body.code, device_key, store_id=store_id)
            if box_key is not None:
                repo.set_box_key(conn, device.id, box_key)
            return device, signing_public(conn)

    try:
        device, signing = await run_in_threadpool(redeem)
    except tuple(REFUSALS) as exc:
        raise ApiError(*REFUSALS[type(exc)]) from None
    return EnrollReply(
        device_id=device.id,
        officer_id=device.officer_id,
        areas=list(device.areas),
        province_key=b64(province.public_bytes()),
        province_key_id=province.key_id,
        server_time=int(time.time()),
        signing_key=b64(signing[1]) if signing else None,
        signing_key_id=signing[0] if signing else None,
    )
