"""Policy both the laptop and the province server enforce. Constants only: importing this
costs nothing (app.store re-exports them before its heavy parts are loaded)."""

MIN_PASSPHRASE = 10  # characters: the laptop store's passphrase and the server keys' passphrase
