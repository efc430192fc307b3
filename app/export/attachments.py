"""Attachments in an export (docs/evidence.md): `attachments.csv` lists the photos and
signatures of the exported households (file name, hash, size), written with the one CSV
writer (files.CsvOut); with their bytes (the province's `khbs-server export --attachments`),
each goes into `attachments/` beside the CSV under its listed name, checked against its hash
first. File names are attachment ids, never anything personal.

Written after the CSV files and the manifest, under temporary names renamed at the end, so an
export that fails here leaves its CSV files whole and no half attachment listing."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from app.export.files import CsvOut, open_private

LISTING = "attachments.csv"
FOLDER = "attachments"
COLUMNS = ["household_id", "attachment_id", "kind", "file_name", "sha256", "size"]


class AttachmentMismatch(Exception):
    """Bytes that do not hash to what the listing says (damaged storage): nothing written."""


@dataclass(frozen=True)
class Listed:
    household_id: str
    attachment_id: str
    kind: str
    sha256: str
    size: int

    @property
    def file_name(self) -> str:
        return f"{self.attachment_id}.{'png' if self.kind == 'signature' else 'jpg'}"


def write_attachments(
    out_dir: Path,
    listed: Iterable[Listed],
    *,
    excel: bool = False,
    read: Callable[[Listed], bytes] | None = None,
) -> dict:
    """attachments.csv (and with `read`, the files): its manifest-like entry. Households
    without attachments make no file (an export of them looks as it always did)."""
    items = list(listed)
    if not items:
        return {"rows": 0, "files": 0}
    out_dir = Path(out_dir)
    folder = out_dir / FOLDER
    part = out_dir / (LISTING + ".part")
    written: list[Path] = []
    try:
        with open_private(part) as raw:
            out = CsvOut(raw, COLUMNS, excel)
            for item in items:
                out.write_rows(
                    [
                        [
                            item.household_id,
                            item.attachment_id,
                            item.kind,
                            item.file_name,
                            item.sha256,
                            str(item.size),
                        ]
                    ]
                )
                if read is not None:
                    data = read(item)
                    if hashlib.sha256(data).hexdigest() != item.sha256:
                        raise AttachmentMismatch(item.attachment_id)
                    folder.mkdir(mode=0o700, exist_ok=True)
                    target = folder / item.file_name
                    with open_private(target) as f:
                        f.write(data)
                    written.append(target)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(part, out_dir / LISTING)
    except BaseException:
        part.unlink(missing_ok=True)
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return out.entry() | {"files": len(written)}
