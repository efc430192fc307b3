"""Property tests (Hypothesis) over every importer and the rules: whatever the input (arbitrary
JSON lines, arbitrary bytes as an export's CSV pair, arbitrary DTSEN lists, households with any
answer replaced by any JSON value), the outcome is a clean import or clean errors naming a line,
never another exception. Example counts stay modest so the default run stays fast; a failure
prints the smallest input Hypothesis found.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import questionnaire as q
from app import rules
from app.errors import KhbsError
from app.export.layout import Layout, Options
from app.export.reader import ExportUnreadable
from app.households import import_csv, import_jsonl
from app.store import Store
from sync.server.assignments import HEADER, read_candidates
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.records import TODAY, numbered

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Text as files bring it: control characters, lone surrogates (from "\ud800" escapes), the
# separators and quotes CSV cares about, digits, and anything else.
# Digits int() refuses though str.isdigit() takes them ("²"), or takes though they are not
# ASCII ("١"), in the length of a NIK or KK number.
TRICKY = "\x00\t\n\r\x1b\x7f\x85\u2028\ufeff\"';,=+-@ 0123456789.eE²١"
texts = st.one_of(
    st.text(st.sampled_from(TRICKY) | st.characters(exclude_categories=()), max_size=30),
    st.text(st.sampled_from("0123456789²١"), min_size=16, max_size=16),
)
cells = texts | st.builds(lambda: "a" * 131_073)  # one past the csv module's cell limit
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def slots(node: object, path: tuple = ()) -> list[tuple]:
    """Every place in a record a value sits, as a path."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += slots(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += slots(value, path + (i,))
    return found


@st.composite
def mutated_households(draw) -> dict:
    """A valid household with one to three answers replaced by any JSON value (or removed)."""
    rec = numbered(draw(st.integers(1, 40)), status=draw(st.sampled_from(["draft", "final"])))
    for _ in range(draw(st.integers(1, 3))):
        places = slots(rec)
        path = draw(st.sampled_from(places))
        parent = rec
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = draw(json_values)
    return rec


def as_line(draw_value, ascii_only: bool) -> str:
    try:
        return json.dumps(draw_value, ensure_ascii=ascii_only)
    except ValueError:
        return "{"


jsonl_lines = st.lists(
    st.one_of(
        texts,  # not JSON, or JSON that is not a household
        st.builds(as_line, json_values, st.booleans()),
        st.builds(as_line, mutated_households(), st.booleans()),
        st.builds(
            lambda n, d: '{"id": "x", "a": ' + "[" * d + "]" * d + "}",
            st.integers(1, 3),
            st.integers(1, 3000),
        ),
    ),
    min_size=1,
    max_size=5,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store.create(tmp_path_factory.mktemp("props") / "data", PASSPHRASE, kdf=FAST_KDF)
    yield s
    s.close()


def assert_clean_report(report, lines_given: int) -> None:
    for err in report.errors:
        assert isinstance(err.line, int) and 1 <= err.line <= lines_given
        assert isinstance(err.message, str) and err.message


@PROPERTY
@given(lines=jsonl_lines, skip=st.booleans())
def test_any_json_lines_import_cleanly_or_name_their_lines(store, lines, skip):
    before = store.status_counts()["households"]
    try:
        report = import_jsonl(store, lines, skip_invalid=skip, accept_warnings=True, today=TODAY)
    except KhbsError:
        return  # a clean error (e.g. a household saved meanwhile): nothing else is allowed
    assert_clean_report(report, len(lines))
    if report.errors and not skip:
        assert store.status_counts()["households"] == before  # all or nothing


def _csv_text(rows: list[list[str]], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


@st.composite
def export_files(draw) -> tuple[bytes, bytes]:
    """households.csv and members.csv: raw bytes, or an export's headers with cells of any
    text (some taken from a real household so rows get as far as the rules)."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=300)), draw(st.binary(max_size=300))
    layout = Layout(Options())
    rec = numbered(draw(st.integers(1, 40)))
    delimiter = draw(st.sampled_from([",", ";"]))
    files = []
    for header, real in (
        (layout.household_columns, [layout.household_row(rec, {})]),
        (layout.member_columns, list(layout.member_rows(rec))),
    ):
        rows = [list(header)]
        for base in real[: draw(st.integers(0, len(real)))]:
            row = list(base)
            for _ in range(draw(st.integers(0, 3))):
                row[draw(st.integers(0, len(row) - 1))] = draw(cells)
            if draw(st.integers(0, 5)) == 0:
                row = row[: draw(st.integers(0, len(row)))]  # a short row
            rows.append(row)
        text = _csv_text(rows, delimiter)
        if draw(st.integers(0, 5)) == 0:  # a quote never closed, or cut short
            text = text[: draw(st.integers(0, len(text)))] + draw(st.sampled_from(['"', "", "\r"]))
        files.append(text.encode("utf-8", "surrogatepass"))
    return files[0], files[1]


manifests = st.one_of(
    st.none(),  # no manifest: a pair made by hand
    st.builds(as_line, json_values, st.booleans()),
    st.builds(
        lambda key, value: json.dumps({key: value}),
        st.sampled_from(["options", "files"]),
        json_values,
    ),
    st.builds(lambda d: "[" * d + "]" * d, st.integers(1, 50_000)),
)


@PROPERTY
@given(pair=export_files(), manifest=manifests, skip=st.booleans())
def test_any_csv_pair_imports_cleanly_or_is_refused_in_one_message(
    store, tmp_path_factory, pair, manifest, skip
):
    folder = tmp_path_factory.mktemp("pair", numbered=True)
    (folder / "households.csv").write_bytes(pair[0])
    (folder / "members.csv").write_bytes(pair[1])
    if manifest is not None:
        (folder / "manifest.json").write_text(manifest, "utf-8", "surrogatepass")
    before = store.status_counts()["households"]
    try:
        report = import_csv(store, folder, skip_invalid=skip, accept_warnings=True, today=TODAY)
    except ExportUnreadable as exc:
        from app.i18n import tr

        assert tr(exc.key, "en", **exc.params)  # a message exists and fills
        assert store.status_counts()["households"] == before
        return
    except KhbsError:
        return
    for err in report.errors:
        assert err.file in ("households.csv", "members.csv") and err.line >= 1 and err.message
    if report.errors and not skip:
        assert store.status_counts()["households"] == before


@st.composite
def dtsen_files(draw) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=400))
    rec = numbered(draw(st.integers(1, 40)))
    rows = [list(HEADER)]
    for m in rec["anggota"]:
        rows.append(
            [
                rec["no_kk"],
                m["nik"],
                m["nama"],
                str(m["hubungan"]),
                str(m["jenis_kelamin"]),
                m["tanggal_lahir"],
                rec["lokasi"]["kode_desa"],
                rec["lokasi"]["alamat"],
            ]
        )
    for _ in range(draw(st.integers(0, 6))):
        row = rows[draw(st.integers(0, len(rows) - 1))]
        if row:
            row[draw(st.integers(0, len(row) - 1))] = draw(cells)
    if draw(st.booleans()):
        rows.append(draw(st.lists(cells, max_size=10)))
    text = _csv_text(rows, draw(st.sampled_from([",", ";"])))
    if draw(st.integers(0, 5)) == 0:
        text = text[: draw(st.integers(0, len(text)))] + '"'
    return (("\ufeff" if draw(st.booleans()) else "") + text).encode("utf-8", "surrogatepass")


@PROPERTY
@given(raw=dtsen_files())
def test_any_dtsen_list_is_read_into_problems_on_lines(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("dtsen", numbered=True) / "list.csv"
    path.write_bytes(raw)
    found = read_candidates(path, today=TODAY)
    lines = raw.count(b"\n") + raw.count(b"\r") + 1
    for problem in found.problems:
        assert 1 <= problem.line <= lines
        assert problem.message("id") and problem.message("en")
    assert all(c.record[q.MEMBERS] for c in found.valid())


@PROPERTY
@given(rec=mutated_households(), final=st.booleans())
def test_the_rules_answer_any_household_with_issues(rec, final):
    result = rules.check(rec, rules.Context(today=TODAY), final=final)
    for issue in result.issues:
        assert issue.message("id") and issue.message("en")
    q.canonical(rec)  # what an import stores
    q.prune(rec)  # what finalising stores
