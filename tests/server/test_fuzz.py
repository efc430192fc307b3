"""The province API fuzzed from its own OpenAPI document (schemathesis): a real uvicorn server
on SQLite, every operation, valid and invalid inputs, and one property: no answer is a 5xx.

Unsigned requests mostly end in 401/400, which is the point: whatever a stranger sends, the
server refuses it with a code and does not fail. /v1/enroll is fuzzed twice: with generated
codes (refused) and with a real, fresh code each time and a generated device key, which goes as
far as creating the device.
"""

from __future__ import annotations

import json
import struct
import time
import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from app import demo
from sync.client import SyncClient
from sync.protocol import MAGIC, seal_batch, sign_request
from sync.server.db import households
from tests.server.conftest import AREA, count, new_code

MAX_EXAMPLES = 25
OPERATIONS = [
    ("POST", "/v1/enroll"),
    ("POST", "/v1/push"),
    ("GET", "/v1/pull"),
    ("GET", "/v1/health"),
    ("GET", "/v1/ready"),
    ("GET", "/v1/admin/export"),
    ("POST", "/v1/device/box-key"),
    ("POST", "/v1/attachments/chunk"),
    ("GET", "/v1/attachments/{attachment_id}"),
]
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def db_kind() -> str:
    return "sqlite"  # overrides the SQLite + PostgreSQL parametrization of tests/server/conftest


@pytest.fixture
def api_schema(live):
    return schemathesis.openapi.from_url(live.url + "/openapi.json", timeout=10)


def fuzz(operation, mode: GenerationMode, base_url: str, prepare=lambda case: None) -> list[int]:
    """MAX_EXAMPLES generated requests to one operation; the status codes it answered."""
    answers: list[int] = []

    @given(case=operation.as_strategy(mode))
    @FUZZ
    def run(case):
        prepare(case)
        response = case.call_and_validate(
            base_url=base_url, checks=[not_a_server_error], timeout=10
        )
        answers.append(response.status_code)

    run()
    return answers


# One test per operation and mode, each on its own server. (schemathesis.pytest.from_fixture
# would be the idiomatic form, but with pytest 9 (schemathesis 4.32.5) its lazy tests fail when
# run: "'Function' object has no attribute '_nodeid'".)
@pytest.mark.parametrize(
    "method, path, mode",
    [
        (method, path, mode)
        for method, path in OPERATIONS
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        # /v1/push, /v1/device/box-key, /v1/health and /v1/ready declare no parameters
        if mode is GenerationMode.POSITIVE
        or path in ("/v1/enroll", "/v1/pull", "/v1/admin/export", "/v1/attachments/{attachment_id}")
    ],
    ids=str,
)
def test_no_operation_answers_5xx(api_schema, live, method, path, mode):
    answers = fuzz(api_schema[path][method], mode, live.url)
    assert answers and max(answers) < 500


def test_the_fuzz_covers_every_operation(api_schema):
    """Every operation of the served schema is in test_no_operation_answers_5xx's list."""
    operations = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert operations == set(OPERATIONS)


def test_enroll_with_real_codes_and_fuzzed_device_keys(api_schema, live, engine, officer):
    def real_code(case):
        body = case.body if isinstance(case.body, dict) else {}
        case.body = {**body, "code": new_code(engine, officer)}  # spendable: gets past the code

    answers = fuzz(api_schema["/v1/enroll"]["POST"], GenerationMode.POSITIVE, live.url, real_code)
    assert answers and max(answers) < 500


def test_export_with_a_real_admin_token_and_fuzzed_parameters(api_schema, live, engine):
    """Past the token check: generated filters and options are answered, never with a 5xx."""
    from sync.server.admins import add_admin
    from sync.server.ratelimit import RateLimiter

    live.server.config.app.state.admin_limiter = RateLimiter(engine, "admin", 60_000, 1_000)
    with engine.begin() as conn:
        _, token = add_admin(conn, "Fuzz Admin")

    def authorised(case):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

    operation = api_schema["/v1/admin/export"]["GET"]
    answers = fuzz(operation, GenerationMode.POSITIVE, live.url, authorised)
    answers += fuzz(operation, GenerationMode.NEGATIVE, live.url, authorised)
    assert answers and max(answers) < 500 and 200 in answers


# -- signed pushes: past the signature check, into the batch reader and the ingest --------------

JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False)
)
JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
HEADER_KEYS = ("batch_id", "key_id", "count", "encoding", "escrow_key_id", "escrow")


@pytest.fixture
def device(store, live, engine, officer):
    client = SyncClient(store)
    client.enroll(live.url, new_code(engine, officer))
    return client.device()


def signed_push(device, body: bytes, path: str = "/v1/push") -> requests.Response:
    headers = sign_request(device.key, device.device_id, "POST", path, body, int(time.time()))
    headers["Content-Type"] = "application/octet-stream"
    return requests.post(device.server + path, data=body, headers=headers, timeout=10)


def test_signed_box_key_with_fuzzed_bodies_is_refused_cleanly(device):
    from app.province_key import PUBLIC_BYTES

    answers: list[int] = []

    @given(body=st.binary(max_size=64) | st.binary(min_size=PUBLIC_BYTES, max_size=PUBLIC_BYTES))
    @FUZZ
    def run(body):
        reply = signed_push(device, body, "/v1/device/box-key")
        answers.append(reply.status_code)
        assert reply.status_code < 500, (reply.status_code, reply.text)

    run()
    assert answers and set(answers) <= {200, 400}


def framed(header: bytes, rest: bytes = b"") -> bytes:
    return MAGIC + struct.pack(">I", len(header)) + header + rest


def test_signed_push_with_fuzzed_bodies_never_answers_5xx(device):
    header = st.dictionaries(
        st.sampled_from(HEADER_KEYS) | st.text(max_size=8),
        JSON | st.just(device.province_key_id),
        max_size=6,
    )
    bodies = (
        st.binary(max_size=200)
        | st.builds(lambda b: MAGIC + b, st.binary(max_size=200))
        | st.builds(
            lambda h, rest: framed(json.dumps(h).encode(), rest), header, st.binary(max_size=100)
        )
    )
    answers: list[int] = []

    @given(body=bodies)
    @FUZZ
    def run(body):
        reply = signed_push(device, body)
        answers.append(reply.status_code)
        assert reply.status_code < 500, (reply.status_code, reply.text)

    run()
    assert answers and set(answers) <= {200, 400}


def test_signed_push_with_fuzzed_sealed_items_answers_each(device, engine):
    items = st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "id": st.text(max_size=40) | JSON,
                "revision": st.integers() | JSON,
                "record": st.dictionaries(st.text(max_size=10), JSON) | JSON,
            },
        )
        | JSON,
        max_size=5,
    )

    @given(batch=items)
    @FUZZ
    def run(batch):
        body = seal_batch(
            device.province_key, device.province_key_id, device.device_id, str(uuid.uuid4()), batch
        )
        reply = signed_push(device, body)
        assert reply.status_code == 200, (reply.status_code, reply.text)
        results = reply.json()["results"]
        assert len(results) == len(batch)
        assert {r["outcome"] for r in results} <= {"rejected"}

    run()
    assert count(engine, households) == 0


@pytest.mark.parametrize(
    "header",
    [b"[1]", b'"x"', b'{"batch_id":"b","key_id":"k","count":1e999}'],
    ids=["list", "string", "count-1e999"],
)
def test_signed_push_with_a_non_object_header_is_a_bad_batch(device, header):
    reply = signed_push(device, framed(header))
    assert (reply.status_code, reply.json()["error"]) == (400, "bad_batch")


@pytest.mark.parametrize("db_kind", ["postgresql"])
def test_signed_push_with_a_revision_beyond_32_bits_is_answered(device):
    record = next(demo.generate(1, seed=31, areas=[AREA]))
    body = seal_batch(
        device.province_key,
        device.province_key_id,
        device.device_id,
        str(uuid.uuid4()),
        [{"id": record["id"], "revision": 2**31, "record": record}],
    )
    reply = signed_push(device, body)
    assert reply.status_code == 200, (reply.status_code, reply.text)
    assert [r["outcome"] for r in reply.json()["results"]] == ["rejected"]
