"""Pages from Jinja2 templates, in the user's language, with the console's headers.

Texts come from resources/messages.json through app.i18n.tr (keys `console.*`), like every
other message of the project; templates call `t("console.key", name=...)`. Bahasa Indonesia is
the default, English is chosen with the language links (a cookie, not a session setting, so
the login page has it too). Autoescaping is on for every template. Times, dates and counts go
through the environment's filters, `|when`, `|day` and `|number` (formats.py: DD-MM-YYYY, WIB,
"300.000"), an audit action code through `|action` (its readable label, audit.py), and an
audit entry's detail through `|details` (labelled lines: the stored codes and ids, nothing more).

Every console page is sent with `Cache-Control: no-store` (pages show personal data or lead to
it; a shared computer's browser cache must not keep them), a Content-Security-Policy that allows
nothing but this server's own stylesheet and images (data: images too: a household's photos are
embedded in its audited page, console/evidence.py; no script at all, no inline style, no
frames, forms only back to this server), and no referrer.
"""

from __future__ import annotations

import re
from functools import cache

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape

from app.i18n import DEFAULT_LANG, LANGS, catalogue, tr
from sync.server.audit import action_label
from sync.server.console import formats

LANG_COOKIE = "khbs_lang"
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


@pass_context
def _number(context, n: int | float | None) -> str:
    return formats.number(n, context["lang"])


@pass_context
def _action(context, code: str) -> str:
    return action_label(code, context["lang"])


DETAIL_LABELS = "audit.detail."  # resources/messages.json: a label per detail key
EMPTY = "-"


def _detail_value(value: object, lang: str) -> str:
    """A detail's value as text: exactly what is stored (ids, codes, counts; masked values
    stay as masked as they were stored), readable."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return tr("console.yes" if value else "console.no", lang)
    if isinstance(value, int | float):
        return formats.number(value, lang)
    if isinstance(value, list | tuple):
        return ", ".join(_detail_value(item, lang) for item in value)
    if isinstance(value, dict):
        parts = (f"{_detail_label(k, lang)}: {_detail_value(v, lang)}" for k, v in value.items())
        return "; ".join(parts)
    if isinstance(value, str) and _ISO_TIME.fullmatch(value):  # stored ISO 8601, shown in WIB
        return formats.moment(value)
    return str(value)


_ISO_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})?")


def _detail_label(key: object, lang: str) -> str:
    name = DETAIL_LABELS + str(key)
    return tr(name, lang) if name in catalogue() else str(key)


OPENING = "console.household_open"  # its reason is one of the console's, with a label


@pass_context
def _details(context, detail: object, action: str = "") -> list[tuple[str, str, str]]:
    """(label, key, value) lines of an audit entry's detail; a detail that is not an object
    (an old entry) is one line of its own."""
    lang = context["lang"]
    if not isinstance(detail, dict):
        return [(tr("console.detail", lang), "", _detail_value(detail, lang))]
    lines = []
    for key, value in detail.items():
        text = _detail_value(value, lang)
        reason = f"console.reason.{value}"
        if action == OPENING and key == "reason" and reason in catalogue():
            text = f"{tr(reason, lang)} ({value})"
        lines.append((_detail_label(key, lang), str(key), text))
    return lines


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sync.server.console", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The one way to show a time, a date and a count (formats.py): `{{ x|when }}`,
    # `{{ d|day }}`, `{{ n|number }}`; and an audit action's label: `{{ e.action|action }}`.
    env.filters.update(
        when=formats.moment, day=formats.day, number=_number, action=_action, details=_details
    )
    return env


def page(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    lang = lang_of(request)
    html = (
        environment()
        .get_template(template)
        .render(
            t=lambda key, **params: tr(key, lang, **params),
            lang=lang,
            other_langs=[code for code in LANGS if code != lang],
            path=request.url.path,
            # The language links come back to the same page with its filters (ids, codes and
            # dates only: a NIK or KK is never in a query, web.py).
            here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **({"user": None, "csrf": ""} | context),
        )
    )
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def redirect(url: str) -> RedirectResponse:
    """303: after a form, the browser GETs the next page."""
    return RedirectResponse(url, status_code=303, headers=HEADERS)
