"""Policy both the laptop and the province server enforce. Constants only: importing this
costs nothing (app.store re-exports them before its heavy parts are loaded)."""

MIN_PASSPHRASE = 10  # characters: the laptop store's passphrase and the server keys' passphrase

# Days a household the province has decided stays in full on a laptop before only its stub is
# kept (docs/privacy.md): the default until the province sends its own (`khbs-server retention
# laptop-days`). Long enough for the officer to answer questions about a decision.
DEFAULT_RETENTION_DAYS = 30
