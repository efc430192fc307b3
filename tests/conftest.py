import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["KHBS_LANG"] = "id"

from app.crypto import KdfParams  # noqa: E402
from app.store import Store  # noqa: E402

PASSPHRASE = "kapuas-hulu-2026"
# The OWASP minimum: real Argon2id, cheap enough to open many stores in one test run.
FAST_KDF = KdfParams(memory_kib=19 * 1024, iterations=2, lanes=1)


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def store(data_dir):
    s = Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF)
    yield s
    s.close()
