"""The province's HTTP API (docs/sync.md), FastAPI on uvicorn. One router per resource:

app.py     create_app(settings, keys): the application; all state is in the database
deps.py    per-request database connection, unlocked keys, the signed-request check
errors.py  JSON error bodies: a code and the server time, never personal data
enroll.py  POST /v1/enroll
device.py  POST /v1/device/box-key (the key pre-filled households are sealed to)
push.py    POST /v1/push (the work is in sync/server/ingest.py)
pull.py    GET  /v1/pull
health.py  GET  /v1/health
export.py  GET  /v1/admin/export (administrators, a bearer token)
"""
