"""Pages from Jinja2 templates, in the user's language, with the console's headers.

Texts come from resources/messages.json through app.i18n.tr (keys `console.*`), like every
other message of the project; templates call `t("console.key", name=...)`. Bahasa Indonesia is
the default, English is chosen with the language links (a cookie, not a session setting, so
the login page has it too). Autoescaping is on for every template.

Every console page is sent with `Cache-Control: no-store` (pages show personal data or lead to
it; a shared computer's browser cache must not keep them), a Content-Security-Policy that allows
nothing but this server's own stylesheet and images (data: images too: a household's photos are
embedded in its audited page, console/evidence.py; no script at all, no inline style, no
frames, forms only back to this server), and no referrer.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from app.i18n import DEFAULT_LANG, LANGS, tr

LANG_COOKIE = "khbs_lang"
WIB = timezone(timedelta(hours=7))
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


def _when(moment: datetime | None, lang: str) -> str:
    """A time as people in Kalteng read it: WIB, day-month-year."""
    if moment is None:
        return "-"
    return moment.astimezone(WIB).strftime("%d-%m-%Y %H:%M") + " WIB"


def _day(moment, lang: str) -> str:
    return moment.strftime("%d-%m")


def _number(n: int, lang: str) -> str:
    """1.234 in Indonesian, 1,234 in English."""
    text = f"{n:,}"
    return text.replace(",", ".") if lang == "id" else text


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sync.server.console", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
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
            when=lambda moment: _when(moment, lang),
            day=lambda moment: _day(moment, lang),
            number=lambda n: _number(n, lang),
            path=request.url.path,
            **({"user": None, "csrf": ""} | context),
        )
    )
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def redirect(url: str) -> RedirectResponse:
    """303: after a form, the browser GETs the next page."""
    return RedirectResponse(url, status_code=303, headers=HEADERS)
