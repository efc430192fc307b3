"""How the console shows dates, times, numbers and audit actions (sync/server/console/formats.py,
audit.action_label), and that every action the server can write to its audit log has a label."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sync.server import audit, review, rights
from sync.server.console import formats
from sync.server.console.render import environment

ROOT = Path(__file__).resolve().parents[2]

# Actions written with an f-string: every value the placeholder can take.
DYNAMIC = {
    "review.{decision}": [f"review.{d}" for d in review.DECISIONS],
    "rights.{kind}": [f"rights.{k}" for k in (rights.ACCESS, rights.CORRECTION, rights.WITHDRAW)],
}


def written_actions() -> set[str]:
    """Every action code in an `audit(conn, actor, <action>, ...)` call under sync/: a string,
    a module constant, or one of the f-strings above. Any other form fails the test, so a new
    way of naming actions cannot slip past it."""
    found: set[str] = set()
    for path in sorted((ROOT / "sync").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and len(node.args) >= 3):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name != "audit":
                continue
            action = node.args[2]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(action, ast.Constant) and isinstance(action.value, str):
                found.add(action.value)
            elif isinstance(action, ast.Name) and isinstance(constants.get(action.id), str):
                found.add(constants[action.id])
            elif isinstance(action, ast.JoinedStr):
                shape = "".join(
                    v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
                    for v in action.values
                )
                assert shape in DYNAMIC, f"{where}: list the values of {shape} in DYNAMIC"
                found.update(DYNAMIC[shape])
            else:
                pytest.fail(f"{where}: an audit action this test cannot read")
    return found


def test_every_action_the_server_writes_has_a_label_in_both_languages():
    written = written_actions()
    assert {"console.household_open", "console.login", "review.verified", "export"} <= written
    for lang in ("id", "en"):
        labels = audit.action_labels(lang)
        missing = sorted(written - set(labels))
        assert not missing, f"add audit.action.<code> to resources/messages.json: {missing}"
        assert all(label and label != code for code, label in labels.items())
    assert audit.action_label("console.household_open", "id") == "Data keluarga dibuka di konsol"
    assert audit.action_label("console.household_open", "en") == "Household opened in the console"


def test_an_action_without_a_label_shows_its_code():
    assert audit.action_label("someday.new_action", "id") == "someday.new_action"
    html = environment().from_string("{{ a|action }}").render(a="someday.new_action", lang="en")
    assert html == "someday.new_action"


def test_dates_and_times_are_day_month_year_in_wib():
    evening = datetime(2026, 12, 3, 13, 48, tzinfo=UTC)  # 20:48 in Palangka Raya
    assert formats.moment(evening) == "03-12-2026 20:48 WIB"
    assert formats.moment(datetime(2026, 12, 31, 17, 5, tzinfo=UTC)) == "01-01-2027 00:05 WIB"
    assert formats.moment(None) == "-"
    assert formats.moment("2026-12-03T09:15:00") == "03-12-2026 09:15"  # a camera's own clock
    assert formats.moment("2026-12-03T09:15:00+08:00") == "03-12-2026 08:15 WIB"
    assert formats.moment("kemarin") == "kemarin"
    assert formats.day(date(2026, 3, 4)) == "04-03-2026"
    assert formats.day(date(2026, 3, 4), short=True) == "04-03"
    assert formats.day(datetime(2026, 3, 3, 18, 0, tzinfo=UTC)) == "04-03-2026"  # WIB's day


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("03-12-2026", date(2026, 12, 3)),
        ("3-12-2026", date(2026, 12, 3)),
        (" 03122026 ", date(2026, 12, 3)),
        ("3.12.2026", date(2026, 12, 3)),
        ("3/12/2026", date(2026, 12, 3)),  # day first, as written here
        ("2026-12-03", date(2026, 12, 3)),  # links and bookmarks from before
        ("", None),
    ],
)
def test_typed_dates_are_read_day_first(typed, day):
    assert formats.typed_day(typed) == day


@pytest.mark.parametrize(
    "typed", ["31-02-2026", "kemarin", "2026", "12-2026", "2026-W49-1", "٣-١٢-٢٠٢٦"]
)
def test_a_typed_date_that_is_no_date_is_refused(typed):
    with pytest.raises(ValueError):
        formats.typed_day(typed)


def test_numbers_per_language():
    assert formats.number(300_000, "id") == "300.000"
    assert formats.number(300_000, "en") == "300,000"
    assert formats.number(1_234_567, "id") == "1.234.567"
    assert formats.number(1.5, "id") == "1,5" and formats.number(1.5, "en") == "1.5"
    assert formats.number(12, "id") == "12" and formats.number(None, "id") == "-"
    render = environment().from_string("{{ n|number }} · {{ d|day }} · {{ at|when }}").render
    at = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    assert render(n=300_000, d=date(2026, 12, 3), at=at, lang="id") == (
        "300.000 · 03-12-2026 · 03-12-2026 08:00 WIB"
    )
    assert render(n=300_000, d=date(2026, 12, 3), at=at, lang="en").startswith("300,000 · 03-12")


def test_templates_show_no_iso_dates_and_ask_for_none():
    """No template formats a date itself or asks for one with <input type=date>."""
    for path in sorted((ROOT / "sync/server/console/templates").glob("*.html")):
        text = path.read_text("utf-8")
        for needle in ('type="date"', "isoformat", "strftime"):
            assert needle not in text, f"{path.name}: {needle}"


def test_an_export_entry_reads_in_indonesian_with_its_times_in_wib():
    """An audit entry's detail as the audit page shows it: every key of an export's filters
    and options labelled (none left in English on the Indonesian page), and a stored ISO time
    shown as DD-MM-YYYY HH:MM WIB."""
    detail = {
        "filters": {"regency": "62.02", "since": "2026-12-03T01:00:00+00:00", "scope": ["62.02"]},
        "options": {"excel": False, "mask_ids": True, "omit_health": False, "lang": "id"},
        "expires_at": "2026-12-06T21:54:17+00:00",
    }
    render = (
        environment()
        .from_string(
            "{% for label, key, text in d|details('export') %}{{ label }}={{ text }}\n{% endfor %}"
        )
        .render
    )
    shown = render(d=detail, lang="id")
    for english in ("scope", "since", "excel", "mask_ids", "omit_health", "lang:", "T21:54"):
        assert english not in shown, shown
    assert "Sejak: 03-12-2026 08:00 WIB" in shown
    assert "NIK dan KK disamarkan: Ya" in shown
    assert "=07-12-2026 04:54 WIB" in shown
    assert "Since: 03-12-2026 08:00 WIB" in render(d=detail, lang="en")
