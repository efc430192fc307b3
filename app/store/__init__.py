"""The encrypted local store: one SQLite file per device, personal data sealed per record."""

from app.store.store import HouseholdRow, Store, VerifyReport

__all__ = ["HouseholdRow", "Store", "VerifyReport"]
