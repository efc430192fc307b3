"""The province and regency console: server-rendered pages in the browser, served by
`khbs-server serve` under /console (docs/security.md, "The console").

    users.py      console users, set-up codes, sessions, failed logins (the data layer)
    passwords.py  Argon2id password hashes and the rules a new password must meet
    totp.py       RFC 6238 one-time codes
    data.py       what the pages show, every query limited by the user's Scope
    web.py        the routes: thin, they call users.py and data.py
    render.py     Jinja2 templates, texts from resources/messages.json (app.i18n), headers
    templates/, static/   the HTML and one small CSS file; no JavaScript

This package imports nothing from FastAPI at import time except in web.py and render.py, so
the data layer and the CLI can use users.py without the web stack.
"""
