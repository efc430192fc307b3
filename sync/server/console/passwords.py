"""Console passwords: Argon2id like the laptop's passphrase (app/crypto.py), with rules on
what may be chosen.

A password is at least 10 characters, not one of the common choices in common-passwords.txt
(bundled: no network, no big list), not mostly the user's own name, and not one character or
a run of one repeated. Stored: the Argon2id cost (JSON), a random salt and the 32-byte output;
checking compares in constant time.
"""

from __future__ import annotations

import hmac
import os
import re
import unicodedata
from functools import cache
from importlib import resources

from app.crypto import KdfParams, derive_kek
from sync.server import ServerError

MIN_LENGTH = 10
MAX_LENGTH = 256  # Argon2id takes any length; a form field need not
SALT_BYTES = 16
# RFC 9106's second recommendation, as the laptop uses: about 0.15 s a login. Tests lower it.
COST = KdfParams()


class PasswordTooShort(ServerError):
    key = "console.password_short"


class PasswordTooLong(ServerError):
    key = "console.password_long"


class PasswordCommon(ServerError):
    key = "console.password_common"


class PasswordHasName(ServerError):
    key = "console.password_name"


@cache
def _common() -> tuple[frozenset[str], tuple[str, ...]]:
    """(exact passwords, words that are refused with digits or symbols around them)."""
    text = (
        resources.files("sync.server.console").joinpath("common-passwords.txt").read_text("utf-8")
    )
    exact, words = set(), []
    for line in text.splitlines():
        line = line.strip().lower()
        if not line or line.startswith("#"):
            continue
        if line.endswith("*"):
            words.append(line[:-1])
        else:
            exact.add(line)
    return frozenset(exact), tuple(words)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


_AROUND = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$")  # digits and symbols at either end


def check(password: str, name: str = "") -> None:
    """Raises the first rule the password breaks (a message key; never the password)."""
    if len(password) < MIN_LENGTH:
        raise PasswordTooShort(minimum=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise PasswordTooLong(maximum=MAX_LENGTH)
    folded = _fold(password)
    exact, words = _common()
    around = _AROUND.match(folded)
    core = around.group(1) if around else folded
    if folded in exact or core in words or folded in words or len(set(folded)) <= 2:
        raise PasswordCommon()
    squeezed = "".join(c for c in folded if c.isalnum())
    rest = squeezed
    for part in _fold(name).split():
        if len(part) >= 3:
            rest = rest.replace(part, "")
    if rest != squeezed and len(rest) < 6:  # the name and a few more characters
        raise PasswordHasName()


def hash_password(password: str, cost: KdfParams | None = None) -> tuple[str, bytes, bytes]:
    """(cost JSON, salt, hash) to store."""
    cost = cost or COST
    salt = os.urandom(SALT_BYTES)
    return cost.to_json(), salt, derive_kek(password, salt, cost)


def verify_password(
    password: str, kdf: str | None, salt: bytes | None, stored: bytes | None
) -> bool:
    """Constant-time check. Without a stored hash (no password set yet) Argon2id still runs,
    on a throwaway salt, so the answer takes as long as a real check."""
    if not password or len(password) > MAX_LENGTH:
        return False
    if kdf is None or salt is None or stored is None:
        derive_kek(password or "-", os.urandom(SALT_BYTES), COST)
        return False
    computed = derive_kek(password, bytes(salt), KdfParams.from_json(kdf))
    return hmac.compare_digest(computed, bytes(stored))
