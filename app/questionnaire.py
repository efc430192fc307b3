"""Reads schemas/household.schema.json: fields, labels, options and skip logic.

Everything that walks a record by its questions (form, validation, pruning, CSV columns) goes
through here, so a new question in the schema needs no code. The few field names code relies on
(the identity core used by cross-field rules and the list view) are the constants below.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from typing import TypeVar

from app import dates
from app.i18n import DEFAULT_LANG

# The identity core: cross-field rules and the list view depend on these names.
KK = "no_kk"
VISIT_DATE = "tanggal_kunjungan"
LOCATION, DESA = "lokasi", "kode_desa"
MEMBERS = "anggota"
NIK, NAME, RELATION, SEX, BIRTH_DATE, PRESENCE = (
    "nik",
    "nama",
    "hubungan",
    "jenis_kelamin",
    "tanggal_lahir",
    "keberadaan",
)
# Relationship to the head of family (`hubungan`): the schema's x-options, named here once for
# the rules and the demo data (tests/test_schema_file.py checks them against the schema).
HEAD, SPOUSE, CHILD, CHILD_IN_LAW, GRANDCHILD, PARENT, PARENT_IN_LAW, RELATIVE, OTHER = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
)
ACKNOWLEDGED = "peringatan_diterima"
# The visit (app/visits.py): its outcome, the planned revisit, the visits before this one.
OUTCOME, REVISIT_DATE, HISTORY = "hasil_kunjungan", "tanggal_kunjungan_ulang", "kunjungan"

Path = tuple  # ("rumah", "jenis_lantai") or ("anggota", 2, "nik")


@cache
def load_schema() -> dict:
    """The version the app was built with (the fallback of a laptop never enrolled)."""
    text = resources.files("schemas").joinpath("household.schema.json").read_text("utf-8")
    return json.loads(text)


def schema_version() -> int:
    """The built-in version's number."""
    return load_schema()["x-version"]


# -- the versions on hand ---------------------------------------------------------------------
# Every layer reads a record's questionnaire from its `schema_version` (schema_for). Versions
# other than the built-in one come from the province, signed: the laptop registers those it
# keeps (app/store/questionnaires.py), the server those it published
# (sync/server/questionnaires.py). A published version never changes, so per-version caches
# below are keyed by (generation, version); registering a different document under a known
# number (another province in the same test process) starts a new generation.

_registered: dict[int, dict] = {}
_retired: set[int] = set()
_generation = [0]


def register(document: dict, *, retired: bool = False) -> None:
    version = document["x-version"]
    if version == schema_version():
        return
    known = _registered.get(version)
    if known is not None and known is not document and known != document:
        _generation[0] += 1
    _registered[version] = document
    (_retired.add if retired else _retired.discard)(version)


def forget_versions() -> None:
    """Only the built-in version again (tests; a store closed for another one)."""
    _registered.clear()
    _retired.clear()
    _generation[0] += 1


def versions() -> list[int]:
    """Every version on hand, the built-in one included, oldest first."""
    return sorted({schema_version(), *_registered})


def schema_of(version: object) -> dict | None:
    """The questionnaire of this version, or None when it is not on hand."""
    if type(version) is not int:
        return None
    if version == schema_version():
        return load_schema()
    return _registered.get(version)


def schema_for(record: dict) -> dict:
    """The questionnaire the record was begun under (`schema_version`). A version not on hand
    falls back to the built-in one, whose `schema_version` const then reports it (rules)."""
    return schema_of(record.get("schema_version")) or load_schema()


def newest_version() -> int:
    """The version new households use: the newest on hand that is not retired."""
    return max(v for v in versions() if v not in _retired)


def newest() -> dict:
    return schema_of(newest_version()) or load_schema()


def all_schemas() -> dict[int, dict]:
    return {v: s for v in versions() if (s := schema_of(v)) is not None}


def cache_key(schema: dict) -> tuple[int, int]:
    """The cache key of a version on hand."""
    return _generation[0], schema["x-version"]


def schema_at(key: tuple[int, int]) -> dict:
    return schema_of(key[1]) or load_schema()


def text_of(spec: dict, key: str, lang: str | None = None) -> str:
    entry = spec.get(key) or {}
    return entry.get(lang or DEFAULT_LANG) or entry.get(DEFAULT_LANG, "")


def options(spec: dict) -> list[dict]:
    return spec.get("x-options", [])


def offered(spec: dict) -> list[dict]:
    """The options the form offers: a `retired` code (asked elsewhere in a later version) is
    kept in answers given before, and labelled in exports, but not offered any more."""
    return [o for o in options(spec) if not o.get("retired")]


def parameter(schema: dict, name: str) -> object:
    """A value the questionnaire names (`x-parameters`: the UMP), or None."""
    found = (schema.get("x-parameters") or {}).get(name)
    return found.get("value") if isinstance(found, dict) else None


def derive(spec: dict, record: dict, schema: dict) -> bool | None:
    """The value of a derived question (`x-derived`: {"below": "/path", "parameter": name}):
    true when the answer at `below` is a range entirely under the parameter, false when it
    lies at or above it, None when unanswered (or undecidable: the publish check refuses
    ranges that straddle the parameter)."""
    rule = spec.get("x-derived") or {}
    limit = parameter(schema, rule.get("parameter", ""))
    source = _lookup(rule.get("below", "/"), record, record)
    if not isinstance(limit, (int, float)) or is_empty(source):
        return None
    try:
        found = field_spec(tuple(rule["below"].strip("/").split("/")), schema)
    except (KeyError, TypeError):
        return None
    for o in options(found):
        if o["value"] == source and isinstance(o.get("range"), list):
            low, high = o["range"]
            if high is not None and high < limit:
                return True
            if low >= limit:
                return False
    return None


def option_label(spec: dict, value: object, lang: str | None = None) -> str:
    for opt in options(spec):
        if opt["value"] == value:
            return text_of(opt, "label", lang)
    return str(value)


def is_group(spec: dict) -> bool:
    return spec.get("type") == "object" and "properties" in spec


def is_roster(spec: dict) -> bool:
    return spec.get("type") == "array" and is_group(spec.get("items", {}))


def is_empty(value: object) -> bool:
    return value is None or value == "" or value == []


def age_on(birth: object, on: date) -> int | None:
    """Full years on a date, or None when the birth date is missing or not a date. For a birth
    date without day or month (`1950`, `1950-07`): the years the person has certainly reached
    (app/dates.py `age_range` gives both ends)."""
    ages = dates.age_range(birth, on)
    return ages[0] if ages else None


def visit_date(record: dict) -> date:
    text = str(record.get(VISIT_DATE))
    # Cached only as long as a date (date.fromisoformat reads at most 10 characters).
    found = _iso_date(text) if len(text) <= 10 else _iso_date.__wrapped__(text)
    return found or date.today()


@lru_cache(maxsize=1024)
def _iso_date(text: str) -> date | None:
    # Asked for every age condition and rule of a household: one visit date, parsed once.
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Answer:
    """One question as it stands in one record: where, what it asks, what was answered."""

    path: Path
    spec: dict
    value: object
    relevant: bool
    required: bool = False  # asked, and its x-required holds (and every enclosing section's)
    scope: dict = field(default_factory=dict, compare=False, repr=False)  # its object

    @property
    def name(self) -> str:
        return str(self.path[-1])

    @property
    def member(self) -> int | None:
        """0-based member index when the answer belongs to a roster row."""
        return self.path[1] if len(self.path) > 2 and isinstance(self.path[1], int) else None


def evaluate(cond: dict | None, scope: dict, record: dict) -> bool:
    """Evaluate an x-relevant condition (grammar in docs/questionnaire.md)."""
    if not cond:
        return True
    if "all" in cond:
        return all(evaluate(c, scope, record) for c in cond["all"])
    if "any" in cond:
        return any(evaluate(c, scope, record) for c in cond["any"])
    if "not" in cond:
        return not evaluate(cond["not"], scope, record)
    if "age" in cond:
        ages = dates.age_range(scope.get(BIRTH_DATE), visit_date(record))
        if ages is None:
            return True  # better to ask than to skip
        # A year-only birth date gives two possible ages: asked when either could apply.
        bounds = cond["age"]
        return ages[1] >= bounds.get("min", 0) and ages[0] <= bounds.get("max", 200)
    value = _lookup(cond["field"], scope, record)
    if "answered" in cond:
        return (not is_empty(value)) == bool(cond["answered"])
    if is_empty(value):
        return False
    if "in" in cond:
        return value in cond["in"]
    if "not_in" in cond:
        return value not in cond["not_in"]
    if "contains" in cond:
        return isinstance(value, list) and cond["contains"] in value
    if "min" in cond or "max" in cond:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        return cond.get("min", float("-inf")) <= value <= cond.get("max", float("inf"))
    raise ValueError(f"unknown condition {sorted(cond)}")


Condition = Callable[[dict, dict], bool]  # (scope, record) -> evaluate(cond, scope, record)


# The shapes evaluate() knows, by their keys: any other is left to evaluate itself.
CONDITION_SHAPES = {
    frozenset(keys)
    for keys in (
        {"all"},
        {"any"},
        {"not"},
        {"age"},
        *({"field", test} for test in ("answered", "in", "not_in", "contains", "min", "max")),
        {"field", "min", "max"},
    )
}


def compile_condition(cond: object) -> Condition:
    """evaluate() of one condition with the condition read once (the walk's plan): the same
    answer for every shape evaluate knows; anything else is left to evaluate itself, so an
    unknown condition still fails only where it is reached."""
    if not cond:
        return _always
    if type(cond) is not dict or frozenset(cond) not in CONDITION_SHAPES:
        return lambda scope, record: evaluate(cond, scope, record)  # type: ignore[arg-type]
    if "all" in cond:
        subs = [compile_condition(c) for c in cond["all"]]
        return lambda scope, record: all(f(scope, record) for f in subs)
    if "any" in cond:
        subs = [compile_condition(c) for c in cond["any"]]
        return lambda scope, record: any(f(scope, record) for f in subs)
    if "not" in cond:
        sub = compile_condition(cond["not"])
        return lambda scope, record: not sub(scope, record)
    if "age" in cond:
        return _age_condition(cond)
    name = cond["field"]
    if not isinstance(name, str):
        return lambda scope, record: evaluate(cond, scope, record)
    get = _getter(name)
    if "answered" in cond:
        answered = bool(cond["answered"])
        return lambda scope, record: (not is_empty(get(scope, record))) == answered
    if "in" in cond:
        allowed = cond["in"]
        return lambda scope, record: not is_empty(v := get(scope, record)) and v in allowed
    if "not_in" in cond:
        refused = cond["not_in"]
        return lambda scope, record: not is_empty(v := get(scope, record)) and v not in refused
    if "contains" in cond:
        item = cond["contains"]
        return lambda scope, record: isinstance(v := get(scope, record), list) and item in v
    low, high = cond.get("min", float("-inf")), cond.get("max", float("inf"))
    return lambda scope, record: _number(v := get(scope, record)) and low <= v <= high


def _age_condition(cond: dict) -> Condition:
    bounds = cond["age"]
    if type(bounds) is not dict:
        return lambda scope, record: evaluate(cond, scope, record)
    low, high = bounds.get("min", 0), bounds.get("max", 200)

    def check(scope: dict, record: dict) -> bool:
        ages = dates.age_range(scope.get(BIRTH_DATE), visit_date(record))
        return ages is None or (ages[1] >= low and ages[0] <= high)

    return check


def _getter(name: str) -> Callable[[dict, dict], object]:
    """_lookup(name, scope, record) with the path split once."""
    if not name.startswith("/"):
        return lambda scope, _record: scope.get(name)
    parts = name.strip("/").split("/")

    def get(_scope: dict, record: dict) -> object:
        node: object = record
        for part in parts:
            node = node.get(part) if isinstance(node, dict) else None
        return node

    return get


def _number(value: object) -> bool:
    # is_empty is not asked first: no number is empty.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _always(_scope: dict, _record: dict) -> bool:
    return True


def section_relevant(record: dict, name: str) -> bool:
    """Whether a top-level section is asked in this record (its x-relevant, if any)."""
    spec = schema_for(record)["properties"].get(name, {})
    return evaluate(spec.get("x-relevant"), record, record)


def _lookup(name: str, scope: dict, record: dict) -> object:
    if not name.startswith("/"):
        return scope.get(name)
    node: object = record
    for part in name.strip("/").split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def answers(record: dict, schema: dict | None = None) -> Iterator[Answer]:
    """Every leaf question, including unanswered ones, with its relevance in this record (of
    the record's version unless `schema` is given)."""
    for row in answer_rows(record, schema):
        yield Answer(*row)


AnswerRow = tuple[Path, dict, object, bool, bool, dict]  # Answer's fields, in its order


def answer_rows(record: dict, schema: dict | None = None) -> Iterator[AnswerRow]:
    """answers() as plain tuples (path, spec, value, relevant, required, scope): the server's
    rules read every question of every household pushed, and making an Answer per question
    cost them a quarter of their time (docs/scale.md)."""
    schema = schema or schema_for(record)
    return _walk(schema, record, record, (), True, True)


T = TypeVar("T")


def per_spec(build: Callable[[dict], T], keep: int = 4096) -> Callable[[dict], T]:
    """build(spec) once per schema dict. Schemas are never changed once loaded (load_schema is
    cached, published versions never change), so what is read from a question's spec can be
    read once. Keyed by id(): the dict is kept with the value, so its id cannot be reused
    while cached. At most `keep` are kept (schemas made on the fly by tests)."""
    found: dict[int, tuple[dict, T]] = {}

    def cached(spec: dict) -> T:
        hit = found.get(id(spec))
        if hit is not None and hit[0] is spec:
            return hit[1]
        value = build(spec)
        if len(found) >= keep:  # only a few versions are on hand outside tests
            found.clear()
        found[id(spec)] = (spec, value)
        return value

    return cached


_LEAF, _ROSTER, _GROUP = 0, 1, 2


@per_spec
def _walk_plan(group: dict) -> tuple:
    """A group's questions as the walk needs them: (name, spec, x-relevant, x-required, kind,
    the plan of its rows or sub-questions). Reading the schema's dicts once per version instead
    of once per record halves the walk (docs/scale.md)."""
    plan = []
    for name, spec in group.get("properties", {}).items():
        if is_roster(spec):
            kind, inner = _ROSTER, spec["items"]
        elif is_group(spec):
            kind, inner = _GROUP, spec
        else:
            kind, inner = _LEAF, None
        requires = spec.get("x-required")
        if requires is not None and not isinstance(requires, bool):
            requires = compile_condition(requires)
        plan.append((name, spec, compile_condition(spec.get("x-relevant")), requires, kind, inner))
    return tuple(plan)


def _walk(
    group: dict, scope: dict, record: dict, prefix: Path, shown: bool, gate: bool
) -> Iterator[AnswerRow]:
    """`gate`: every enclosing section's x-required holds (a section's x-required condition
    decides whether the questions inside it are required at all)."""
    for name, spec, relevant_if, required_if, kind, inner in _walk_plan(group):
        path = prefix + (name,)
        relevant = shown and relevant_if(scope, record)
        value = scope.get(name)
        # x-required: true/false, a condition, or None when the property has none.
        if not (relevant and gate):
            requires: bool | None = False
        elif required_if is None or isinstance(required_if, bool):
            requires = required_if
        else:
            requires = required_if(scope, record)
        required = bool(requires)
        if kind == _ROSTER:
            yield (path, spec, value, relevant, required, scope)
            rows = value if isinstance(value, list) else []
            inner_gate = gate and requires is not False
            for i, row in enumerate(rows):
                if isinstance(row, dict):
                    yield from _walk(inner, row, record, path + (i,), relevant, inner_gate)
        elif kind == _GROUP:
            sub = value if isinstance(value, dict) else {}
            yield from _walk(inner, sub, record, path, relevant, gate and requires is not False)
        else:
            yield (path, spec, value, relevant, required, scope)


def prune(record: dict) -> dict:
    """A copy without answers to questions the skip logic hides. Repeats until stable, since
    clearing one answer can hide another question."""
    out = copy.deepcopy(record)
    schema = schema_for(record)
    for _ in range(10):
        hidden = [a.path for a in answers(out, schema) if not a.relevant and not is_empty(a.value)]
        if not hidden:
            return out
        for path in hidden:
            _delete(out, path)
    return out


def _delete(record: dict, path: Path) -> None:
    node: object = record
    for part in path[:-1]:  # a whole hidden roster may have gone before its rows' answers
        found = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        )
        if not found:
            return
        node = node[part]  # type: ignore[index]
    if isinstance(node, dict):
        node.pop(path[-1], None)


@cache
def _identifier_paths(key: tuple[int, int]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(kind, path) of every x-identifier question; "*" stands for each roster row."""
    found: list[tuple[str, tuple[str, ...]]] = []

    def walk(group: dict, prefix: tuple[str, ...]) -> None:
        for name, spec in group.get("properties", {}).items():
            if is_roster(spec):
                walk(spec["items"], prefix + (name, "*"))
            elif is_group(spec):
                walk(spec, prefix + (name,))
            elif spec.get("x-identifier"):
                found.append((spec["x-identifier"], prefix + (name,)))

    walk(schema_at(key), ())
    return tuple(found)


def identifiers(record: dict) -> list[tuple[str, str]]:
    """(kind, value) for every identity number answered (x-identifier: nik, kk). Runs on every
    save, so it follows precomputed paths instead of walking the whole questionnaire."""
    found = []
    for kind, path in _identifier_paths(cache_key(schema_for(record))):
        for value in _values_at(record, path):
            if isinstance(value, str) and value:
                found.append((kind, value))
    return found


def _values_at(node: object, path: tuple[str, ...]) -> Iterator[object]:
    if not path:
        yield node
    elif path[0] == "*":
        for row in node if isinstance(node, list) else []:
            yield from _values_at(row, path[1:])
    elif isinstance(node, dict) and path[0] in node:
        yield from _values_at(node[path[0]], path[1:])


def members(record: dict) -> list[dict]:
    rows = record.get(MEMBERS)
    return [m for m in rows if isinstance(m, dict)] if isinstance(rows, list) else []


def head(record: dict) -> dict | None:
    heads = [m for m in members(record) if m.get(RELATION) == HEAD]
    return heads[0] if heads else None


SUMMARY_SEP = "\x1f"
VISIT_SEP = "\x1e"  # after the names: the visit and the place, each part after an RS
_CONTROL = dict.fromkeys(range(32), " ")
RT, RW, ADDRESS = "rt", "rw", "alamat"  # in `lokasi`: where the list says the family lives


@dataclass(frozen=True, slots=True)
class Visit:
    """What the list shows of a family beside its names (the summary's second part)."""

    outcome: int | None = None
    revisit: str | None = None  # the planned revisit date (ISO)
    rt: str = ""
    rw: str = ""
    address: str = ""
    visited: str | None = None  # this visit's date (ISO)


def summary(record: dict) -> str:
    """What the household list shows and searches, sealed apart from the record so unlock opens
    20,000 of them quickly: KK, head's name, then name and NIK of each member, joined by US;
    then, when there is any, RS outcome RS revisit date RS RT RS RW RS address RS visit date
    (the list's columns and its "to revisit" and "today" filters). Summaries stored before
    those parts existed lack them, or the last four."""
    h = head(record) or {}
    parts = [record.get(KK), h.get(NAME)]
    for m in members(record):
        parts += [m.get(NAME), m.get(NIK)]
    text = SUMMARY_SEP.join(_plain(p) for p in parts)
    outcome = record.get(OUTCOME)
    outcome = outcome if isinstance(outcome, int) and not isinstance(outcome, bool) else None
    found = record.get(LOCATION)
    place: dict = found if isinstance(found, dict) else {}
    visit = [
        "" if outcome is None else str(outcome),
        record.get(REVISIT_DATE),
        place.get(RT),
        place.get(RW),
        place.get(ADDRESS),
        record.get(VISIT_DATE),
    ]
    if any(not is_empty(v) for v in visit):
        text += "".join(VISIT_SEP + _plain(v) for v in visit)
    return text


def _plain(value: object) -> str:
    return str(value or "").translate(_CONTROL)


def split_summary(text: str) -> tuple[str, int | None, str | None]:
    """(names part, outcome, revisit date) of a stored summary."""
    names, visit = split_visit(text)
    return names, visit.outcome, visit.revisit


def split_visit(text: str) -> tuple[str, Visit]:
    """(names part, Visit) of a stored summary."""
    names, *rest = text.split(VISIT_SEP)
    rest += [""] * (6 - len(rest))
    code, revisit, rt, rw, address, visited = rest[:6]
    outcome = int(code) if code.isascii() and code.isdigit() else None
    return names, Visit(outcome, revisit or None, rt, rw, address, visited or None)


def field_spec(path: Path, schema: dict | None = None) -> dict:
    """The schema of the question at `path` (roster indexes are skipped), in the built-in
    version unless `schema` is given."""
    spec = schema or load_schema()
    for part in path:
        if isinstance(part, int):
            spec = spec["items"]
            continue
        spec = spec["properties"][part]
    return spec


def label(path: Path, lang: str | None = None, schema: dict | None = None) -> str:
    """The question's label: in `schema`, else in the newest version on hand that has it."""
    tried = [schema] if schema else [schema_of(v) for v in reversed(versions())]
    for spec in tried:
        try:
            return text_of(field_spec(path, spec), "x-label", lang) or str(path[-1])
        except (KeyError, TypeError):
            continue
    return "/".join(str(p) for p in path)


def canonical(record: dict) -> dict:
    """The stored form of a record: unanswered questions (None, "", []) and empty sections
    left out, rosters always present, keys in schema order with unknown ones after. The form,
    imports and CSV read-back all give the same record for the same answers. Runs on every
    save, so it follows a plan made once from the schema."""
    schema = schema_for(record)
    key = cache_key(schema)
    out = _canonical(_derived(record, schema, key), _plan(key, None), key)
    for name in _rosters(key):
        out.setdefault(name, [])
    return out


_LEAF, _GROUP, _ROSTER = 0, 1, 2


def _derived(record: dict, schema: dict, key: tuple[int, int]) -> dict:
    """The record with its x-derived answers filled in (the below-UMP flag: never typed), the
    sections on their way copied, not changed."""
    paths = _derived_paths(key)
    if not paths:
        return record
    out = dict(record)
    for path, spec in paths:
        value = derive(spec, record, schema)
        holder: dict | None = out
        for part in path[:-1]:
            child = holder.get(part) if holder is not None else None
            if not isinstance(child, dict) or holder is None:
                holder = None
                break
            holder[part] = holder = dict(child)
        if holder is None:
            continue
        if value is None:
            holder.pop(path[-1], None)
        else:
            holder[path[-1]] = value
    return out


@cache
def _derived_paths(key: tuple[int, int]) -> tuple[tuple[tuple[str, ...], dict], ...]:
    """(path, spec) of every x-derived question outside rosters."""
    found: list[tuple[tuple[str, ...], dict]] = []

    def walk(group: dict, prefix: tuple[str, ...]) -> None:
        for name, spec in group.get("properties", {}).items():
            if is_group(spec):
                walk(spec, prefix + (name,))
            elif "x-derived" in spec:
                found.append((prefix + (name,), spec))

    walk(schema_at(key), ())
    return tuple(found)


@cache
def _rosters(key: tuple[int, int]) -> tuple[str, ...]:
    return tuple(n for n, spec in schema_at(key).get("properties", {}).items() if is_roster(spec))


@cache
def _plan(key: tuple[int, int], path: tuple | None) -> tuple[tuple[str, int, tuple | None], ...]:
    """(name, kind, path of its plan) for each property of the group at `path` (None: root;
    a roster's rows are its path plus "*") in the version `key` names (_key)."""
    spec = schema_at(key)
    for part in path or ():
        spec = spec["items"] if part == "*" else spec["properties"][part]
    out: list[tuple[str, int, tuple | None]] = []
    for name, sub in spec.get("properties", {}).items():
        here = (path or ()) + (name,)
        if is_roster(sub):
            out.append((name, _ROSTER, here + ("*",)))
        elif is_group(sub):
            out.append((name, _GROUP, here))
        else:
            out.append((name, _LEAF, None))
    return tuple(out)


def _canonical(node: dict, plan: tuple, key: tuple[int, int]) -> dict:
    out: dict = {}
    seen = 0
    for name, kind, sub in plan:
        if name not in node:
            continue
        seen += 1
        value = node[name]
        if kind == _ROSTER and isinstance(value, list):
            rows = _plan(key, sub)
            value = [_canonical(r, rows, key) if isinstance(r, dict) else r for r in value]
        elif kind == _GROUP and isinstance(value, dict):
            value = _canonical(value, _plan(key, sub), key)
            if not value:
                continue
        elif value is None or value == "" or value == []:
            continue
        out[name] = value
    if seen != len(node):  # properties the schema does not know: kept, after the rest
        known = {name for name, _, _ in plan}
        for name, value in node.items():
            if name not in known and not is_empty(value):
                out[name] = value
    return out
