"""TLS with the province's own CA (docs/sync.md, Enrollment): the real server (uvicorn) serves
https:// on 127.0.0.1 with a certificate from a CA made here by trustme, and the laptop's real
command line (`khbs enroll`, `khbs sync`) trusts it only through --ca-bundle. SQLite only: TLS
does not depend on the database."""

from __future__ import annotations

import json

import pytest
import trustme

from app import cli
from app.store import Store
from sync.server.api.app import create_app
from sync.server.settings import Settings
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import numbered
from tests.server.conftest import LiveServer, new_code

REFUSED_ID = "khbs: Sertifikat server tidak dipercaya"
REFUSED_EN = "khbs: The server's certificate is not trusted or not for this address"


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


@pytest.fixture
def province_ca() -> trustme.CA:
    return trustme.CA(organization_name="Dinas Sosial Provinsi (test)")


def serve_tls(ca: trustme.CA, folder, db_url, initialised, *hosts: str) -> LiveServer:
    cert = ca.issue_cert(*hosts)
    certfile, keyfile = folder / "server.pem", folder / "server.key"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(certfile), append=True)
    cert.private_key_pem.write_to_path(str(keyfile))
    return LiveServer(
        create_app(Settings(db_url=db_url), initialised), tls=(str(certfile), str(keyfile))
    )


@pytest.fixture
def https(province_ca, tmp_path, db_url, engine, initialised):
    """The province's server on https://127.0.0.1, its certificate for 127.0.0.1/localhost."""
    with serve_tls(province_ca, tmp_path, db_url, initialised, "127.0.0.1", "localhost") as server:
        yield server


@pytest.fixture
def ca_pem(province_ca, tmp_path) -> str:
    path = tmp_path / "provinsi-ca.pem"
    province_ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def laptop(tmp_path, monkeypatch) -> list[str]:
    """A laptop store holding two final households; the CLI's leading arguments."""
    data = tmp_path / "laptop"
    with Store.create(data, PASSPHRASE, kdf=FAST_KDF) as store:
        for n in (41, 42):
            store.save(numbered(n))
    monkeypatch.setenv("KHBS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("KHBS_LANG", "id")
    return ["--data-dir", str(data)]


def refused(capsys, start: str) -> None:
    """One translated line, no traceback, nothing from a record."""
    err = capsys.readouterr().err
    assert err.startswith(start) and err.count("\n") == 1, err
    for n in (41, 42):
        record = numbered(n)
        assert record["id"] not in err and record["no_kk"] not in err
        assert record["anggota"][0]["nama"] not in err


def test_enroll_and_sync_over_https_with_the_province_ca(
    https, ca_pem, engine, officer, laptop, capsys
):
    assert https.url.startswith("https://127.0.0.1:")
    code = new_code(engine, officer)
    assert (
        cli.main(laptop + ["enroll", "--server", https.url, "--code", code, "--ca-bundle", ca_pem])
        == 0
    )
    capsys.readouterr()
    assert cli.main(laptop + ["sync", "--json", "--ca-bundle", ca_pem]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sent"] == 2 and out["synced"] == 2 and out["events"] == 2


def test_without_the_bundle_the_certificate_is_refused(
    https, ca_pem, engine, officer, laptop, capsys, tmp_path
):
    code = new_code(engine, officer)
    assert cli.main(laptop + ["enroll", "--server", https.url, "--code", code]) == cli.EXIT_ERROR
    refused(capsys, REFUSED_ID)
    assert cli.main(laptop + ["--lang", "en", "enroll", "--server", https.url, "--code", code]) == 1
    refused(capsys, REFUSED_EN)
    # Another CA's bundle does not help either.
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    assert (
        cli.main(
            laptop
            + [
                "--lang",
                "id",
                "enroll",
                "--server",
                https.url,
                "--code",
                code,
                "--ca-bundle",
                str(other),
            ]
        )
        == cli.EXIT_ERROR
    )
    refused(capsys, REFUSED_ID)
    # The code was never sent: it still enrolls with the right bundle, and then a sync
    # without the bundle is refused before anything leaves the laptop.
    assert (
        cli.main(laptop + ["enroll", "--server", https.url, "--code", code, "--ca-bundle", ca_pem])
        == 0
    )
    capsys.readouterr()
    assert cli.main(laptop + ["sync"]) == cli.EXIT_ERROR
    refused(capsys, REFUSED_ID)
    with Store.open(tmp_path / "laptop", PASSPHRASE) as store:
        assert store.status_counts()["pending_sync"] == 2


def test_a_certificate_for_another_name_is_refused(
    province_ca, ca_pem, tmp_path, db_url, engine, initialised, officer, laptop, capsys
):
    """Trusted CA, wrong address: the certificate is for the province's host name only."""
    with serve_tls(province_ca, tmp_path, db_url, initialised, "sync.example.go.id") as server:
        code = new_code(engine, officer)
        args = ["enroll", "--server", server.url, "--code", code, "--ca-bundle", ca_pem]
        assert cli.main(laptop + args) == cli.EXIT_ERROR
    refused(capsys, REFUSED_ID)


def test_plain_http_to_another_machine_is_refused(https, ca_pem, engine, officer, laptop, capsys):
    """Without TLS only to this machine, or with --insecure-dev (192.0.2.1 is TEST-NET: nothing
    listens there, and nothing is sent: the address is refused first)."""
    insecure = "khbs: Alamat server harus https:// (http:// hanya untuk komputer ini).\n"
    args = ["enroll", "--server", "http://192.0.2.1:8443", "--code", new_code(engine, officer)]
    assert cli.main(laptop + args) == cli.EXIT_ERROR
    assert capsys.readouterr().err == insecure
    assert (
        cli.main(
            laptop
            + [
                "enroll",
                "--server",
                https.url,
                "--code",
                new_code(engine, officer),
                "--ca-bundle",
                ca_pem,
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert cli.main(laptop + ["sync", "--server", "http://192.0.2.1:8443"]) == cli.EXIT_ERROR
    assert capsys.readouterr().err == insecure
