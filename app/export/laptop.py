"""The officer's export: households from the encrypted store into an export folder.

Filters use the plaintext columns (status, desa code), so only the households asked for are
decrypted. The export is audited with its counts and options, never with what it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import RecordDamaged
from app.export.attachments import Listed, write_attachments
from app.export.files import blocks, write_export
from app.export.layout import Layout, Options
from app.store import Store

STATUSES = ("draft", "final")
EXTRA_COLUMNS = ("sync_state", "sync_reason", "updated_at", "nomor_kartu")


@dataclass
class LaptopExport:
    manifest: dict
    damaged: list[str] = field(default_factory=list)  # ids that could not be opened
    attachments: int = 0  # listed in attachments.csv (never written out here: docs/evidence.md)

    @property
    def households(self) -> int:
        return self.manifest["files"]["households.csv"]["rows"]

    @property
    def members(self) -> int:
        return self.manifest["files"]["members.csv"]["rows"]


def export_store(
    store: Store,
    out_dir: Path,
    options: Options = Options(),
    *,
    status: str | None = None,
    desa: str | None = None,
    progress: Callable[[int], bool | None] | None = None,
) -> LaptopExport:
    damaged: list[str] = []
    exported: list[str] = []
    filters = {"status": status, "desa": desa}
    layout = Layout(options, household_extra=EXTRA_COLUMNS)
    manifest = write_export(
        out_dir,
        blocks(layout, _households(store, status, desa, damaged, exported)),
        layout,
        source="laptop",
        created_by=store.actor,
        filters={k: v for k, v in filters.items() if v},
        progress=progress,
    )
    listing = write_attachments(out_dir, _listed(store, exported), excel=options.excel)
    result = LaptopExport(manifest, damaged, listing["rows"])
    store.record_event(
        "store.export",
        detail=(
            f"households={result.households};members={result.members};"
            f"mask_ids={int(options.mask_ids)};omit_health={int(options.omit_health)};"
            f"filtered={int(bool(status or desa))}"
        ),
    )
    return result


def _listed(store: Store, household_ids: list[str]) -> Iterator[Listed]:
    from app.store import attachments

    for hid in household_ids:
        for a in attachments.listed(store, hid):
            yield Listed(a.household_id, a.id, a.kind, a.sha256, a.size)


def _households(
    store: Store,
    status: str | None,
    desa: str | None,
    damaged: list[str],
    exported: list[str],
) -> Iterator[tuple[dict, dict]]:
    # `desa`: a desa, kecamatan or regency code, everything inside it (Store.open_households).
    for hid, found in store.open_households(status=status, desa=desa):
        if isinstance(found, RecordDamaged):
            damaged.append(hid)
            continue
        exported.append(hid)
        yield (
            found.record,
            {
                "sync_state": found.sync_state,
                "sync_reason": found.sync_reason,
                "updated_at": found.updated_at,
                "nomor_kartu": found.card_number,
            },
        )
