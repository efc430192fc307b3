"""The officer's desktop app (PySide6 Widgets). Views hold layout; controllers and operations
hold logic; every database, crypto or disk step runs on the store worker thread."""
