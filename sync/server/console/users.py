"""Console users, one-time set-up codes, sessions and failed logins: plain functions over a
Connection (run each in one transaction), with an injectable clock (`now`).

    add_user / reset_user     `khbs-server user add` / `user reset`: a one-time set-up code
    disable_user, list_users  `khbs-server user disable` / `user list`
    set_up                    /console/setup: the code is spent and the password set
    log_in                    name, password (and TOTP code when on); a session token
    session_of                the cookie's token -> the user, or None (idle 30 min, 12 h at most)
    log_out, change_password  a password change ends every session of the user
    turn_on_totp              the secret, sealed with the server's data key, and ten recovery
                              codes (shown once; each works once in place of a TOTP code)

A session token is 32 random bytes in an HttpOnly cookie; the database keeps its SHA-256. Each
session's CSRF token is derived from the session token (HMAC), so it is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, or_, select, update

from app.crypto import DecryptError, open_sealed, seal
from sync.server import ServerError, repo
from sync.server.admins import audit
from sync.server.console import passwords, totp
from sync.server.db import (
    console_login_failures,
    console_recovery_codes,
    console_sessions,
    console_setup_codes,
    console_user_areas,
    console_users,
)
from sync.server.keys import ServerKeys
from sync.server.scope import Scope

SETUP_TTL = timedelta(hours=72)
SETUP_PATH = "/console/setup"  # where a set-up code is typed (web.py)
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
TOUCH = timedelta(seconds=60)  # seen_at is written at most once a minute per session
MAX_NAME = 200
# Failed logins: free attempts, then a wait of 1, 2, 4 ... seconds, at most MAX_WAIT; counts
# start again an hour after the last failure. Per user name and, more loosely, per address.
USER_FREE, ADDRESS_FREE = 3, 10
MAX_WAIT = timedelta(minutes=15)
FORGET = timedelta(hours=1)
CSRF_LABEL = b"khbs/console/csrf/v1"
RECOVERY_CODES = 10
RECOVERY_GROUPS, RECOVERY_GROUP_LEN = 4, 4  # 16 symbols of 32: 80 random bits each


class UserError(ServerError):
    key = "server.error"


class BadUserName(UserError):
    key = "server.user_name"


class UserNameTaken(UserError):
    key = "server.user_name_taken"


class UnknownUser(UserError):
    key = "server.user_unknown"


class SetupCodeUnknown(UserError):
    key = "console.setup_unknown"


class SetupCodeUsed(UserError):
    key = "console.setup_used"


class SetupCodeExpired(UserError):
    key = "console.setup_expired"


class LoginFailed(UserError):
    key = "console.login_failed"


class LoginDisabled(UserError):
    key = "console.login_disabled"


class LoginWait(UserError):
    key = "console.login_wait"


class PasswordWrong(UserError):
    key = "console.password_wrong"


class PasswordsDiffer(UserError):
    key = "console.password_mismatch"


class TotpWrong(UserError):
    key = "console.totp_wrong"


class TotpAlreadyOn(UserError):
    key = "console.totp_already_on"


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: str
    areas: tuple[str, ...]
    has_password: bool
    totp: bool
    created_at: datetime
    disabled_at: datetime | None

    @property
    def scope(self) -> Scope:
        return Scope.of(self.role, self.areas)

    @property
    def actor(self) -> str:
        """Who did it, in the audit log."""
        return f"user:{self.id}"

    def as_dict(self) -> dict:
        state = "disabled" if self.disabled_at else "active" if self.has_password else "setup"
        return {
            "user_id": self.id,
            "name": self.name,
            "role": self.role,
            "areas": list(self.areas),
            "state": state,
            "totp": self.totp,
        }


@dataclass(frozen=True)
class SetupCode:
    user_id: str
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class Session:
    user: User
    token: str
    created_at: datetime

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), CSRF_LABEL, hashlib.sha256).hexdigest()


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "replace")).digest()


def login_of(name: str) -> str:
    """What a name is found by: case and spacing do not matter."""
    return " ".join(str(name).split()).casefold()


# -- users --------------------------------------------------------------------------------------


def _user(conn: Connection, row) -> User:
    areas = conn.scalars(
        select(console_user_areas.c.area_code)
        .where(console_user_areas.c.user_id == row.id)
        .order_by(console_user_areas.c.area_code)
    )
    return User(
        row.id,
        row.name,
        row.role,
        tuple(areas),
        row.password_hash is not None,
        row.totp_secret is not None,
        row.created_at,
        row.disabled_at,
    )


def get_user(conn: Connection, user_id: str) -> User:
    row = conn.execute(select(console_users).where(console_users.c.id == user_id)).first()
    if row is None:
        raise UnknownUser(user_id=str(user_id)[:40])
    return _user(conn, row)


def list_users(conn: Connection) -> list[User]:
    rows = conn.execute(select(console_users).order_by(console_users.c.login)).all()
    return [_user(conn, row) for row in rows]


def names_of(conn: Connection, actors: Iterable[str]) -> dict[str, str]:
    """Audit-log actors ("user:<id>") -> the console user's name, for those that are users."""
    ids = {a.removeprefix("user:") for a in actors if a.startswith("user:")}
    if not ids:
        return {}
    rows = conn.execute(
        select(console_users.c.id, console_users.c.name).where(console_users.c.id.in_(ids))
    )
    return {f"user:{r.id}": r.name for r in rows}


def add_user(
    conn: Connection, name: str, role: str, areas: Iterable[str], *, now: datetime, actor: str
) -> tuple[User, SetupCode]:
    """A user without a password yet, and the one-time code to set one. Areas are checked
    against the Kemendagri codes and must fit the role (Scope.of)."""
    name = " ".join(str(name).split())
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise BadUserName(maximum=MAX_NAME)
    codes = sorted({repo.canonical_area(a) for a in areas})
    scope = Scope.of(role, codes)  # BadScope when role and areas do not fit
    login = login_of(name)
    taken = select(console_users.c.id).where(console_users.c.login == login)
    if conn.execute(taken).first() is not None:
        raise UserNameTaken(name=name[:40])
    user_id = str(uuid.uuid4())
    conn.execute(
        insert(console_users).values(id=user_id, name=name, login=login, role=role, created_at=now)
    )
    stored = [] if scope.is_province else list(scope.areas)
    if stored:
        conn.execute(
            insert(console_user_areas), [{"user_id": user_id, "area_code": c} for c in stored]
        )
    code = _new_setup_code(conn, user_id, now)
    audit(conn, actor, "user.add", {"user_id": user_id, "role": role, "areas": stored})
    return get_user(conn, user_id), code


def _new_setup_code(conn: Connection, user_id: str, now: datetime) -> SetupCode:
    # Earlier codes for this user stop working: only the newest one counts.
    conn.execute(
        update(console_setup_codes)
        .where(console_setup_codes.c.user_id == user_id, console_setup_codes.c.used_at.is_(None))
        .values(used_at=now)
    )
    code = repo.new_code()
    conn.execute(
        insert(console_setup_codes).values(
            code_hash=repo.code_hash(code),
            user_id=user_id,
            created_at=now,
            expires_at=now + SETUP_TTL,
        )
    )
    return SetupCode(user_id, code, now + SETUP_TTL)


def reset_user(conn: Connection, user_id: str, *, now: datetime, actor: str) -> SetupCode:
    """A forgotten password or a lost authenticator: the password and TOTP are cleared, every
    session ends, and a new set-up code is made. A disabled user stays disabled."""
    get_user(conn, user_id)
    conn.execute(
        update(console_users)
        .where(console_users.c.id == user_id)
        .values(
            password_kdf=None,
            password_salt=None,
            password_hash=None,
            totp_key_id=None,
            totp_secret=None,
            totp_last_step=None,
            password_at=None,
        )
    )
    conn.execute(delete(console_recovery_codes).where(console_recovery_codes.c.user_id == user_id))
    _end_sessions(conn, user_id)
    code = _new_setup_code(conn, user_id, now)
    audit(conn, actor, "user.reset", {"user_id": user_id})
    return code


def disable_user(conn: Connection, user_id: str, *, now: datetime, actor: str) -> bool:
    """True when disabled now, False when it already was. Every session ends at once."""
    user = get_user(conn, user_id)
    _end_sessions(conn, user_id)
    if user.disabled_at is not None:
        return False
    conn.execute(update(console_users).where(console_users.c.id == user_id).values(disabled_at=now))
    audit(conn, actor, "user.disable", {"user_id": user_id})
    return True


# -- set-up and passwords -----------------------------------------------------------------------


def set_up(conn: Connection, code: str, password: str, repeat: str, *, now: datetime) -> User:
    """Spend a set-up code and set the password. The code is checked and spent in one
    conditional UPDATE (two browsers cannot both use it); the password rules run first, so a
    refused password does not spend the code."""
    digest = repo.code_hash(code)
    row = conn.execute(
        select(
            console_setup_codes.c.user_id,
            console_setup_codes.c.used_at,
            console_setup_codes.c.expires_at,
        ).where(console_setup_codes.c.code_hash == digest)
    ).first()
    if row is None:
        raise SetupCodeUnknown()
    if row.used_at is not None:
        raise SetupCodeUsed()
    if row.expires_at <= now:
        raise SetupCodeExpired()
    user = get_user(conn, row.user_id)
    if user.disabled_at is not None:
        raise SetupCodeUsed()
    _check_new(password, repeat, user.name)
    spent = conn.execute(
        update(console_setup_codes)
        .where(
            console_setup_codes.c.code_hash == digest,
            console_setup_codes.c.used_at.is_(None),
            console_setup_codes.c.expires_at > now,
        )
        .values(used_at=now)
    ).rowcount
    if spent != 1:
        raise SetupCodeUsed()
    _store_password(conn, user.id, password, now)
    audit(conn, user.actor, "console.setup", {"user_id": user.id})
    return get_user(conn, user.id)


def _check_new(password: str, repeat: str, name: str) -> None:
    if password != repeat:
        raise PasswordsDiffer()
    passwords.check(password, name)


def _store_password(conn: Connection, user_id: str, password: str, now: datetime) -> None:
    kdf, salt, digest = passwords.hash_password(password)
    conn.execute(
        update(console_users)
        .where(console_users.c.id == user_id)
        .values(password_kdf=kdf, password_salt=salt, password_hash=digest, password_at=now)
    )
    _end_sessions(conn, user_id)


def change_password(
    conn: Connection, session: Session, current: str, new: str, repeat: str, *, now: datetime
) -> None:
    """Every session of the user ends, this one too: logged out everywhere."""
    row = conn.execute(select(console_users).where(console_users.c.id == session.user.id)).one()
    if not passwords.verify_password(
        current, row.password_kdf, row.password_salt, row.password_hash
    ):
        raise PasswordWrong()
    _check_new(new, repeat, row.name)
    _store_password(conn, row.id, new, now)
    audit(conn, session.user.actor, "console.password", {"user_id": row.id})


# -- TOTP ---------------------------------------------------------------------------------------


def _totp_aad(user_id: str) -> bytes:
    return f"khbs/console-totp/v1|{user_id}".encode()


def _totp_key(
    keys: ServerKeys, key_id: str | None, blob: bytes | None, user_id: str
) -> bytes | None:
    if key_id is None or blob is None or key_id not in keys.secrets["data"]:
        return None
    try:
        return open_sealed(keys.secrets["data"][key_id], bytes(blob), _totp_aad(user_id))
    except DecryptError:
        return None


def turn_on_totp(
    conn: Connection, keys: ServerKeys, session: Session, secret: bytes, code: str, *, now: datetime
) -> list[str]:
    """Keep the secret (sealed with the data key) once a code made from it checks out; the
    user's recovery codes (to show once). A secret already kept is not replaced here (a lost
    phone is `user reset`): a stolen session cannot move someone's second factor to another
    phone."""
    row = conn.execute(
        select(console_users.c.totp_secret).where(console_users.c.id == session.user.id)
    ).one()
    if row.totp_secret is not None:
        raise TotpAlreadyOn()
    used = totp.accepted_step(secret, code, now, None)
    if used is None:
        raise TotpWrong()
    key_id = keys.active["data"]
    sealed = seal(keys.secrets["data"][key_id], secret, _totp_aad(session.user.id))
    conn.execute(
        update(console_users)
        .where(console_users.c.id == session.user.id)
        .values(totp_key_id=key_id, totp_secret=sealed, totp_last_step=used)
    )
    codes = _new_recovery_codes(conn, session.user.id, now)
    audit(conn, session.user.actor, "console.totp_on", {"user_id": session.user.id})
    return codes


def _new_recovery_codes(conn: Connection, user_id: str, now: datetime) -> list[str]:
    """Ten fresh codes in place of any earlier ones; only their SHA-256 is stored."""
    conn.execute(delete(console_recovery_codes).where(console_recovery_codes.c.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        symbols = "".join(
            secrets.choice(repo.CODE_ALPHABET) for _ in range(RECOVERY_GROUPS * RECOVERY_GROUP_LEN)
        )
        codes.append(
            "-".join(
                symbols[i : i + RECOVERY_GROUP_LEN]
                for i in range(0, len(symbols), RECOVERY_GROUP_LEN)
            )
        )
    conn.execute(
        insert(console_recovery_codes),
        [{"code_hash": repo.code_hash(c), "user_id": user_id, "created_at": now} for c in codes],
    )
    return codes


def _spend_recovery_code(conn: Connection, user_id: str, code: str, now: datetime) -> bool:
    """True when the code is one of the user's unused recovery codes (now spent): one
    conditional UPDATE, so two logins cannot both use it."""
    text = repo.normalise_code(code)
    if len(text) != RECOVERY_GROUPS * RECOVERY_GROUP_LEN:
        return False
    return (
        conn.execute(
            update(console_recovery_codes)
            .where(
                console_recovery_codes.c.code_hash == repo.code_hash(text),
                console_recovery_codes.c.user_id == user_id,
                console_recovery_codes.c.used_at.is_(None),
            )
            .values(used_at=now)
        ).rowcount
        == 1
    )


def recovery_codes_left(conn: Connection, user_id: str) -> int:
    return len(
        conn.execute(
            select(console_recovery_codes.c.code_hash).where(
                console_recovery_codes.c.user_id == user_id,
                console_recovery_codes.c.used_at.is_(None),
            )
        ).all()
    )


# -- logging in ---------------------------------------------------------------------------------


def _throttle_keys(login: str, address: str) -> tuple[bytes, bytes]:
    return _digest(f"user:{login}"), _digest(f"ip:{address}")


def _waits(conn: Connection, keys: tuple[bytes, ...], now: datetime) -> int:
    """Seconds until another attempt is allowed (0: now)."""
    rows = conn.execute(
        select(console_login_failures.c.wait_until).where(
            console_login_failures.c.key_hash.in_(keys)
        )
    ).all()
    longest = max((row.wait_until for row in rows), default=now)
    return max(0, int((longest - now).total_seconds() + 0.999))


def _wait_after(failures: int, free: int) -> timedelta:
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_WAIT)


def _count_failure(conn: Connection, key: bytes, free: int, now: datetime) -> None:
    table = console_login_failures
    row = conn.execute(
        select(table.c.failures, table.c.last_at).where(table.c.key_hash == key).with_for_update()
    ).first()
    failures = 1 if row is None or now - row.last_at > FORGET else row.failures + 1
    values = {"failures": failures, "last_at": now, "wait_until": now + _wait_after(failures, free)}
    if row is None:
        conn.execute(insert(table).values(key_hash=key, **values))
    else:
        conn.execute(update(table).where(table.c.key_hash == key).values(**values))


def login_wait(conn: Connection, name: str, address: str, *, now: datetime) -> int:
    """Seconds this name or address must still wait before the next attempt."""
    return _waits(conn, _throttle_keys(login_of(name), address), now)


def log_in(
    conn: Connection,
    keys: ServerKeys,
    name: str,
    password: str,
    code: str,
    address: str,
    *,
    now: datetime,
) -> Session:
    """A new session, or LoginWait / LoginFailed / LoginDisabled. A failure is counted in this
    transaction: commit it even when this raises (the caller does)."""
    login = login_of(name)
    user_key, address_key = _throttle_keys(login, address)
    wait = _waits(conn, (user_key, address_key), now)
    if wait:
        raise LoginWait(seconds=wait)
    row = conn.execute(select(console_users).where(console_users.c.login == login)).first()
    stored = (row.password_kdf, row.password_salt, row.password_hash) if row else (None,) * 3
    good = passwords.verify_password(password, *stored)
    recovered = False  # a recovery code stood in for the TOTP code
    if good and row is not None and row.totp_secret is not None:
        secret = _totp_key(keys, row.totp_key_id, row.totp_secret, row.id)
        used = totp.accepted_step(secret, code, now, row.totp_last_step) if secret else None
        if used is None:
            good = _spend_recovery_code(conn, row.id, code, now)
            recovered = good
        else:
            conn.execute(
                update(console_users)
                .where(console_users.c.id == row.id)
                .values(totp_last_step=used)
            )
    if not good:
        _count_failure(conn, user_key, USER_FREE, now)
        _count_failure(conn, address_key, ADDRESS_FREE, now)
        if row is not None:
            audit(conn, f"user:{row.id}", "console.login_failed", {"user_id": row.id})
        raise LoginFailed()
    assert row is not None  # a good password belongs to a user's row
    if row.disabled_at is not None:
        raise LoginDisabled()
    conn.execute(
        delete(console_login_failures).where(console_login_failures.c.key_hash == user_key)
    )
    expired(conn, now)
    token = secrets.token_urlsafe(32)
    conn.execute(
        insert(console_sessions).values(
            token_hash=_digest(token), user_id=row.id, created_at=now, seen_at=now
        )
    )
    user = _user(conn, row)
    detail: dict = {"user_id": row.id}
    if recovered:
        detail |= {"recovery_code": True, "left": recovery_codes_left(conn, row.id)}
    audit(conn, user.actor, "console.login", detail)
    return Session(user, token, now)


def expired(conn: Connection, now: datetime) -> int:
    """Remove every session past its idle or absolute limit (how many), and failed-login
    counts that are forgotten anyway."""
    conn.execute(
        delete(console_login_failures).where(
            console_login_failures.c.last_at < now - FORGET,
            console_login_failures.c.wait_until < now,
        )
    )
    return conn.execute(
        delete(console_sessions).where(
            or_(
                console_sessions.c.seen_at < now - IDLE,
                console_sessions.c.created_at < now - ABSOLUTE,
            )
        )
    ).rowcount


def session_of(conn: Connection, token: str | None, *, now: datetime) -> Session | None:
    """The session the cookie names, if it is still good; a stale one is removed. Being used
    keeps it alive (seen_at), up to 12 hours after logging in."""
    if not token or len(token) > 100:
        return None
    digest = _digest(token)
    row = conn.execute(
        select(
            console_sessions.c.user_id, console_sessions.c.created_at, console_sessions.c.seen_at
        ).where(console_sessions.c.token_hash == digest)
    ).first()
    if row is None:
        return None
    user = get_user(conn, row.user_id)
    if user.disabled_at is not None or now - row.seen_at > IDLE or now - row.created_at > ABSOLUTE:
        conn.execute(delete(console_sessions).where(console_sessions.c.token_hash == digest))
        return None
    if now - row.seen_at > TOUCH:
        conn.execute(
            update(console_sessions)
            .where(console_sessions.c.token_hash == digest)
            .values(seen_at=now)
        )
    return Session(user, token, row.created_at)


def log_out(conn: Connection, session: Session) -> None:
    conn.execute(
        delete(console_sessions).where(console_sessions.c.token_hash == _digest(session.token))
    )
    audit(conn, session.user.actor, "console.logout", {"user_id": session.user.id})


def _end_sessions(conn: Connection, user_id: str) -> int:
    return conn.execute(
        delete(console_sessions).where(console_sessions.c.user_id == user_id)
    ).rowcount


def sessions_of(conn: Connection, user_id: str) -> int:
    """How many sessions the user has (for tests and `user list`)."""
    return len(
        conn.execute(
            select(console_sessions.c.token_hash).where(console_sessions.c.user_id == user_id)
        ).all()
    )
