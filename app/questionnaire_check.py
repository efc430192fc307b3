"""Is this a questionnaire the app can use? The province runs it before publishing a version
(`khbs-server questionnaire publish`), the laptop again on every version that arrives by sync,
and tests/test_questionnaire_check.py on schemas/household.schema.json.

Three layers, all reported together (a rejected file gets every problem, each with its JSON
path, e.g. `$.properties.rumah.properties.jenis_lantai.x-label.en: tidak ada`):
- JSON Schema draft 2020-12 itself (the file is a schema records are validated with);
- schemas/questionnaire.meta.json: the shape of the project's x- keywords;
- what a schema cannot say: codes unique and listed with labels, skip logic naming questions
  that exist and codes they have, the version numbers, the fields the app's code relies on, and
  the migration from the previous version (docs/questionnaire.md, "Versions").
Unknown x- keywords are warnings, not errors: a newer questionnaire may carry what an older
app ignores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TypeGuard

from jsonschema import Draft202012Validator

from app import questionnaire as q
from app.i18n import tr

ERROR, WARNING = "error", "warning"
META_FILE = "questionnaire.meta.json"
Where = tuple  # a JSON location: ("properties", "rumah", "x-options", 2, "value")

# The x- keywords this app understands (docs/questionnaire.md, Keywords).
KNOWN_KEYWORDS = frozenset(
    {
        "x-label",
        "x-help",
        "x-options",
        "x-relevant",
        "x-required",
        "x-readonly",
        "x-warn-range",
        "x-widget",
        "x-sensitive",
        "x-identifier",
        "x-roster-columns",
        "x-notice",
        "x-none",
        "x-allowed",  # codes allowed only when a condition holds (visit outcomes)
        "x-future",  # a date that may lie after the visit (a revisit date)
        "x-derived",  # filled in by the app from a range answer and a parameter (below UMP)
        "x-age-expected",  # per code, the usual ages: outside them a warning (school level)
        "x-attachment",  # the answer names a stored photo or signature (docs/evidence.md)
    }
)
ROOT_KEYWORDS = frozenset({"x-version", "x-migration", "x-parameters"})
# Questions the app's code names (app/questionnaire.py's identity core, rules, consent): a
# version without one of them would break the form, the rules or sync.
APP_NEEDS = (
    "schema_version",
    "id",
    "status",
    q.KK,
    q.VISIT_DATE,
    f"{q.LOCATION}/{q.DESA}",
    f"{q.MEMBERS}/{q.NIK}",
    f"{q.MEMBERS}/{q.NAME}",
    f"{q.MEMBERS}/{q.RELATION}",
    f"{q.MEMBERS}/{q.SEX}",
    f"{q.MEMBERS}/{q.BIRTH_DATE}",
    f"{q.MEMBERS}/{q.PRESENCE}",
    "persetujuan/diberikan",
    q.ACKNOWLEDGED,
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a questionnaire file: where (a JSON location), a message key under
    `qcheck.` and its parameters (names, codes and numbers from the file, never records)."""

    where: Where
    code: str
    params: dict = field(default_factory=dict, compare=False, hash=False)
    severity: str = ERROR

    @property
    def path(self) -> str:
        return json_path(self.where)

    def message(self, lang: str | None = None) -> str:
        return f"{self.path}: {tr('qcheck.' + self.code, lang, **self.params)}"

    def as_dict(self, lang: str | None = None) -> dict:
        return {
            "path": self.path,
            "code": self.code,
            "severity": self.severity,
            "message": tr("qcheck." + self.code, lang, **self.params),
        }


@dataclass
class Report:
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def json_path(where: Where) -> str:
    out = "$"
    for part in where:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and not part[0].isdigit() and all(c.isalnum() or c in "_-$" for c in part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return out


# -- reading a file -----------------------------------------------------------------------------


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def parse(data: bytes | str) -> tuple[object, list[Problem]]:
    """The document and the problems that stop it being read at all: not UTF-8, not JSON (with
    line and column), a key given twice in one object (JSON would keep the last silently)."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        return None, [Problem((), "not_utf8")]
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates), []
    except _DuplicateKey as exc:
        return None, [Problem((), "duplicate_key", {"name": exc.key[:80]})]
    except json.JSONDecodeError as exc:
        return None, [Problem((), "not_json", {"line": exc.lineno, "column": exc.colno})]


def canonical_bytes(document: dict) -> bytes:
    """The published form of a questionnaire: compact UTF-8 JSON, properties in the file's order
    (the form's order). This is what the province signs and the laptop checks."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# -- questions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """A leaf question. `path` names it from the record's root without roster indexes
    ("rumah/jenis_lantai", "anggota/nama"), as migrations do; `roster` is the roster it belongs
    to (None for household questions); `where` is its place in the schema file."""

    path: str
    parts: tuple[str, ...]
    roster: str | None
    spec: dict
    where: Where


def questions(schema: object) -> dict[str, Question]:
    """Every leaf question of a questionnaire, in the form's order."""
    found: dict[str, Question] = {}

    def walk(group: object, parts: tuple, where: Where, roster: str | None) -> None:
        props = group.get("properties") if isinstance(group, dict) else None
        if not isinstance(props, dict):
            return
        for name, spec in props.items():
            if not isinstance(spec, dict):
                continue
            here, at = parts + (name,), where + ("properties", name)
            if q.is_roster(spec) and roster is None:
                walk(spec["items"], here, at + ("items",), name)
            elif q.is_group(spec):
                walk(spec, here, at, roster)
            else:
                found["/".join(here)] = Question("/".join(here), here, roster, spec, at)

    walk(schema, (), (), None)
    return found


def codes(spec: dict) -> list | None:
    """The answer codes of a coded question (single or multiple choice), or None."""
    if spec.get("type") == "array":
        items = spec.get("items")
        values = items.get("enum") if isinstance(items, dict) else None
    else:
        values = spec.get("enum")
    return values if isinstance(values, list) else None


def same(a: object, b: object) -> bool:
    """Equality that does not take True for 1 (JSON does not either)."""
    return type(a) is type(b) and a == b


def _shown(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)[:60]


# -- the check ----------------------------------------------------------------------------------


def check(document: object, previous: dict | None = None) -> Report:
    """Every problem of a questionnaire. `previous`: the version its migration starts from (the
    province passes its newest published one); without it the migration is checked only
    against this document."""
    if not isinstance(document, dict):
        return Report([Problem((), "not_object")])
    problems: list[Problem] = []
    problems += _schema_problems(Draft202012Validator(Draft202012Validator.META_SCHEMA), document)
    problems += _schema_problems(_meta_validator(), document)
    problems += _root_problems(document)
    problems += _walk(document, document, (), None)
    problems += _derived_problems(document)
    problems += _migration_problems(document, previous)
    seen: dict[tuple, Problem] = {}
    for p in problems:  # the two schema layers may see one fault alike
        seen.setdefault((p.where, p.code, json.dumps(p.params, sort_keys=True)), p)
    return Report(list(seen.values()))


@cache
def meta_schema() -> dict:
    return json.loads(resources.files("schemas").joinpath(META_FILE).read_text("utf-8"))


@cache
def _meta_validator() -> Draft202012Validator:
    return Draft202012Validator(meta_schema())


def _schema_problems(validator: Draft202012Validator, document: dict) -> Iterator[Problem]:
    for err in validator.iter_errors(document):
        where, kind, arg = tuple(err.absolute_path), err.validator, err.validator_value
        if kind == "required":
            for name in arg:
                if isinstance(err.instance, dict) and name not in err.instance:
                    yield Problem(where + (name,), "missing")
        elif kind == "additionalProperties" and isinstance(err.instance, dict):
            known = set(err.schema.get("properties", {}))
            for name in err.instance:
                if name not in known:
                    yield Problem(where + (name,), "unexpected")
        elif kind == "pattern" and "propertyNames" in err.relative_schema_path:
            yield Problem(where + (str(err.instance),), "bad_name")
        elif kind == "pattern" and arg == "\\S":
            yield Problem(where, "empty")
        elif kind == "type":
            expected = arg if isinstance(arg, list) else [arg]
            yield Problem(where, "type", {"expected": " / ".join(expected)})
        elif kind in ("const", "enum"):
            allowed = [arg] if kind == "const" else arg
            yield Problem(where, "one_of", {"allowed": ", ".join(_shown(a) for a in allowed)})
        elif kind in ("minItems", "minProperties"):
            yield Problem(where, "empty")
        elif kind == "uniqueItems":
            yield Problem(where, "repeated")
        elif kind == "anyOf" and where[-1:] == ("x-required",):
            yield Problem(where, "required_value")
        elif kind == "minimum":
            yield Problem(where, "minimum", {"min": arg})
        else:
            yield Problem(where, "invalid", {"detail": err.message[:200]})


def _root_problems(doc: dict) -> Iterator[Problem]:
    version = doc.get("x-version")
    if type(version) is not int:
        return
    frame = doc.get("properties")
    spec = frame.get("schema_version") if isinstance(frame, dict) else None
    if isinstance(spec, dict) and not same(spec.get("const"), version):
        yield Problem(
            ("properties", "schema_version", "const"), "version_const", {"version": version}
        )
    doc_id = doc.get("$id")
    if isinstance(doc_id, str) and not doc_id.endswith(f":{version}"):
        yield Problem(("$id",), "id_version", {"version": version})
    found = questions(doc)
    for path in APP_NEEDS:
        if path not in found:
            yield Problem(("properties",), "app_needs", {"name": path})
    for key in doc:
        if key.startswith("x-") and key not in ROOT_KEYWORDS:
            yield Problem((key,), "unknown_keyword", severity=WARNING)


def _derived_problems(doc: dict) -> Iterator[Problem]:
    """x-derived names a parameter that exists and a range question whose every option has a
    range lying wholly under or at/above the parameter (so the flag is always decided);
    x-age-expected names codes the question has."""
    found = questions(doc)
    for path, question in found.items():
        spec = question.spec
        rule = spec.get("x-derived")
        if isinstance(rule, dict):
            yield from _derived_rule(doc, found, rule, path)
        ages = spec.get("x-age-expected")
        if isinstance(ages, dict):
            known = {str(c) for c in codes(spec) or []}
            for code in ages:
                if code not in known:
                    yield Problem(
                        question.where + ("x-age-expected", code),
                        "unknown_code",
                        {"code": code, "name": path},
                    )


def _derived_rule(doc: dict, found: dict, rule: dict, path: str) -> Iterator[Problem]:
    where = ("x-parameters", str(rule.get("parameter")))
    limit = q.parameter(doc, str(rule.get("parameter")))
    source = found.get(str(rule.get("below", "")).strip("/"))
    if not isinstance(limit, (int, float)):
        yield Problem(where, "missing")
        return
    if source is None:
        where = found[path].where + ("x-derived", "below")
        yield Problem(where, "unknown_question", {"name": rule.get("below")})
        return
    for i, o in enumerate(q.options(source.spec)):
        bounds = o.get("range") if isinstance(o, dict) else None
        low, high = bounds if isinstance(bounds, list) and len(bounds) == 2 else (None, None)
        below = _number(high) and high < limit
        if not (below or (_number(low) and low >= limit)):
            yield Problem(
                source.where + ("x-options", i, "range"),
                "range_straddles",
                {"parameter": rule.get("parameter"), "value": limit},
            )


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _walk(doc: dict, group: dict, where: Where, roster: str | None) -> Iterator[Problem]:
    props = group.get("properties")
    if not isinstance(props, dict):
        return
    if where and group.get("additionalProperties") is not False:
        yield Problem(where + ("additionalProperties",), "closed")
    for name, spec in props.items():
        at = where + ("properties", name)
        if not isinstance(spec, dict):
            continue
        yield from _question(spec, at)
        for key in ("x-relevant", "x-required"):
            if isinstance(spec.get(key), dict):
                yield from _condition(doc, spec[key], at + (key,), props, name, roster)
        if q.is_roster(spec):
            if roster is not None:
                yield Problem(at, "nested_roster")
                continue
            yield from _walk(doc, spec["items"], at + ("items",), name)
        elif q.is_group(spec):
            yield from _walk(doc, spec, at, roster)


def _question(spec: dict, at: Where) -> Iterator[Problem]:
    for key in spec:
        if key.startswith("x-") and key not in KNOWN_KEYWORDS:
            yield Problem(at + (key,), "unknown_keyword", severity=WARNING)
    kind = spec.get("type")
    values = codes(spec)
    if (
        kind == "string"
        and values is None
        and "format" not in spec
        and type(spec.get("maxLength")) is not int
    ):  # a format (date) bounds the length
        yield Problem(at + ("maxLength",), "max_length")
    if kind == "array" and values is not None and spec.get("uniqueItems") is not True:
        yield Problem(at + ("uniqueItems",), "unique_items")
    options = spec.get("x-options")
    if values is not None:
        where_codes = at + (("items", "enum") if kind == "array" else ("enum",))
        for i, value in enumerate(values):
            if any(same(value, v) for v in values[:i]):
                yield Problem(where_codes + (i,), "duplicate_code", {"code": _shown(value)})
        if options is None:
            yield Problem(at + ("x-options",), "missing")
    elif options is not None:
        yield Problem(at + ("x-options",), "options_without_codes")
    if isinstance(options, list):
        given = [o.get("value") for o in options if isinstance(o, dict)]
        for i, value in enumerate(given):
            if any(same(value, v) for v in given[:i]):
                yield Problem(
                    at + ("x-options", i, "value"), "duplicate_code", {"code": _shown(value)}
                )
        if values is not None and (
            len(given) != len(values)
            or not all(same(a, b) for a, b in zip(given, values, strict=True))
        ):
            yield Problem(at + ("x-options",), "options_differ")
    warn = spec.get("x-warn-range")
    if isinstance(warn, dict):
        low, high = warn.get("min"), warn.get("max")
        if kind not in ("integer", "number"):
            yield Problem(at + ("x-warn-range",), "not_number")
        elif (
            (isinstance(low, (int, float)) and isinstance(high, (int, float)) and low > high)
            or (isinstance(low, (int, float)) and low < spec.get("minimum", low))
            or (isinstance(high, (int, float)) and high > spec.get("maximum", high))
        ):
            yield Problem(at + ("x-warn-range",), "warn_range")
    if "x-none" in spec and (
        kind != "array" or values is None or not any(same(spec["x-none"], v) for v in values)
    ):
        # the "none" answer of a multiple choice must be one of its codes (app/rules.py)
        yield Problem(at + ("x-none",), "none_not_option")
    if "x-identifier" in spec and kind != "string":
        yield Problem(at + ("x-identifier",), "identifier_type")
    # An attachment's answer is the attachment's id (a UUID): a string with the attachment
    # widget, so the form offers photos and the rules check the reference.
    if "x-attachment" in spec and (
        kind != "string" or spec.get("format") != "uuid" or spec.get("x-widget") != "attachment"
    ):
        yield Problem(at + ("x-attachment",), "attachment_type")
    if spec.get("x-widget") == "attachment" and "x-attachment" not in spec:
        yield Problem(at + ("x-widget",), "attachment_type")
    if spec.get("x-readonly") is True and "x-required" in spec:
        yield Problem(at + ("x-readonly",), "readonly_required")
    columns = spec.get("x-roster-columns")
    if isinstance(columns, list):
        member = spec.get("items", {}).get("properties") if q.is_roster(spec) else None
        if member is None:
            yield Problem(at + ("x-roster-columns",), "not_roster")
        else:
            for i, name in enumerate(columns):
                if name not in member:
                    yield Problem(
                        at + ("x-roster-columns", i), "unknown_question", {"name": _shown(name)}
                    )


def _condition(
    doc: dict, cond: object, at: Where, owner: dict, own: str, roster: str | None
) -> Iterator[Problem]:
    """x-relevant (docs/questionnaire.md, Conditions); the meta-schema has checked each key's
    value, this checks which keys go together and what they name."""
    if not isinstance(cond, dict) or not cond:
        return
    keys = set(cond)
    if keys in ({"all"}, {"any"}):
        (key,) = keys
        for i, sub in enumerate(cond[key] if isinstance(cond[key], list) else []):
            yield from _condition(doc, sub, at + (key, i), owner, own, roster)
        return
    if keys == {"not"}:
        yield from _condition(doc, cond["not"], at + ("not",), owner, own, roster)
        return
    if keys == {"age"}:
        if roster is None or q.BIRTH_DATE not in owner:
            yield Problem(at + ("age",), "age_outside_roster", {"name": q.BIRTH_DATE})
        bounds = cond["age"] if isinstance(cond["age"], dict) else {}
        low, high = bounds.get("min", 0), bounds.get("max", 200)
        if isinstance(low, int) and isinstance(high, int) and low > high:
            yield Problem(at + ("age",), "min_above_max")
        return
    name = cond.get("field")
    ops = keys - {"field"}
    if not isinstance(name, str) or not (
        len(ops) == 1
        and ops <= {"in", "not_in", "contains", "answered", "min", "max"}
        or ops == {"min", "max"}
    ):
        yield Problem(at, "bad_condition", {"keys": ", ".join(sorted(keys))})
        return
    if name.startswith("/"):
        target = _at_root(doc, name)
    else:
        target = owner.get(name)
        if name == own:
            yield Problem(at + ("field",), "self_reference", {"name": name})
            return
        if isinstance(target, dict) and list(owner).index(name) > list(owner).index(own):
            yield Problem(at + ("field",), "depends_on_later", {"name": name})
    if not isinstance(target, dict):
        yield Problem(at + ("field",), "unknown_question", {"name": name})
        return
    allowed = [True, False] if target.get("type") == "boolean" else codes(target)
    for op in ("in", "not_in"):
        if op in cond:
            if allowed is None:
                yield Problem(at + (op,), "no_codes", {"name": name})
                continue
            for i, value in enumerate(cond[op] if isinstance(cond[op], list) else []):
                if not any(same(value, a) for a in allowed):
                    yield Problem(
                        at + (op, i), "unknown_code", {"code": _shown(value), "name": name}
                    )
    if "contains" in cond:
        if target.get("type") != "array" or allowed is None:
            yield Problem(at + ("contains",), "not_multichoice", {"name": name})
        elif not any(same(cond["contains"], a) for a in allowed):
            yield Problem(
                at + ("contains",), "unknown_code", {"code": _shown(cond["contains"]), "name": name}
            )
    if ops <= {"min", "max"}:
        if target.get("type") not in ("integer", "number") or allowed is not None:
            yield Problem(at, "not_number")
        low, high = cond.get("min"), cond.get("max")
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low > high:
            yield Problem(at, "min_above_max")


def _at_root(doc: dict, pointer: str) -> object:
    node: object = doc
    for part in pointer.strip("/").split("/"):
        props = node.get("properties") if isinstance(node, dict) else None
        node = props.get(part) if isinstance(props, dict) else None
    return node


# -- the migration from the previous version -----------------------------------------------------


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _paths(value: object) -> list[str]:
    return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []


def _required(spec: dict) -> bool:
    """x-required: true, or a condition (required when it holds)."""
    return spec.get("x-required") is True or isinstance(spec.get("x-required"), dict)


def _json_kind(spec: dict) -> tuple:
    kind = spec.get("type")
    if kind == "array":
        items = spec.get("items")
        return kind, items.get("type") if isinstance(items, dict) else None
    return ("number",) if kind in ("integer", "number") else (kind,)


def _migration_problems(doc: dict, previous: dict | None) -> Iterator[Problem]:
    """x-migration (docs/questionnaire.md, "Versions and migrations"): present from version 2
    on, starting at the version before, naming questions and codes that exist. With `previous`,
    every question and code of that version must have a place here (kept, renamed, recoded) or
    be dropped on purpose, and every newly required question must be listed."""
    version = doc.get("x-version")
    migration = doc.get("x-migration")
    M = ("x-migration",)
    if migration is None:
        if type(version) is int and version > 1:
            yield Problem(M, "missing")
        return
    if not isinstance(migration, dict):
        return
    start = migration.get("from")
    if type(start) is int and type(version) is int and start >= version:
        yield Problem(M + ("from",), "from_not_lower", {"version": version})
    old_version = previous.get("x-version") if previous is not None else None
    if previous is not None and not same(start, old_version):
        yield Problem(M + ("from",), "from_previous", {"version": _shown(old_version)})
    new = questions(doc)
    old = questions(previous) if previous is not None else None
    renamed = {k: v for k, v in _mapping(migration.get("renamed")).items() if isinstance(v, str)}
    recoded = _mapping(migration.get("recoded"))
    required = _paths(migration.get("new_required"))
    dropped = _paths(migration.get("dropped"))
    shown_from = _shown(old_version if previous is not None else start)
    onto: dict[str, str] = {}  # new path -> the old path renamed onto it
    for source, target in renamed.items():
        at = M + ("renamed", source)
        if target not in new:
            yield Problem(at, "unknown_question", {"name": target})
        if old is not None and source not in old:
            yield Problem(at, "unknown_old_question", {"name": source, "version": shown_from})
        if target in onto:
            yield Problem(at, "renamed_twice", {"name": target})
        onto[target] = source
        if (
            old is not None
            and source in old
            and target in new
            and old[source].roster != new[target].roster
        ):
            yield Problem(at, "roster_move", {"name": source})
    for path, table in recoded.items():
        at = M + ("recoded", path)
        if path not in new:
            yield Problem(at, "unknown_question", {"name": path})
            continue
        new_codes = codes(new[path].spec)
        if new_codes is None:
            yield Problem(at, "no_codes", {"name": path})
            continue
        source = onto.get(path, path)
        old_codes = codes(old[source].spec) if old is not None and source in old else None
        for old_code, new_code in _mapping(table).items():
            if not any(same(new_code, c) for c in new_codes):
                yield Problem(
                    at + (old_code,), "unknown_code", {"code": _shown(new_code), "name": path}
                )
            if old_codes is not None and not any(str(c) == old_code for c in old_codes):
                yield Problem(
                    at + (old_code,),
                    "unknown_old_code",
                    {"code": _shown(old_code), "name": source, "version": shown_from},
                )
    for i, path in enumerate(required):
        if path not in new:
            yield Problem(M + ("new_required", i), "unknown_question", {"name": path})
        elif not _required(new[path].spec):
            yield Problem(M + ("new_required", i), "not_required", {"name": path})
    for i, path in enumerate(dropped):
        if path in renamed:
            yield Problem(M + ("dropped", i), "dropped_renamed", {"name": path})
        elif path in new and path not in onto:
            yield Problem(M + ("dropped", i), "dropped_still_there", {"name": path})
        if old is not None and path not in old:
            yield Problem(
                M + ("dropped", i), "unknown_old_question", {"name": path, "version": shown_from}
            )
    if old is None:
        return
    for path, was in old.items():
        if path == "schema_version" or path in dropped:
            continue
        target = renamed.get(path, path)
        now = new.get(target)
        if now is None:
            yield Problem(M, "question_gone", {"name": path, "version": shown_from})
            continue
        if path not in renamed and onto.get(target, path) != path:
            yield Problem(M + ("renamed", onto[target]), "renamed_onto_existing", {"name": target})
        if _json_kind(was.spec) != _json_kind(now.spec):
            yield Problem(
                now.where + ("type",), "type_changed", {"name": path, "version": shown_from}
            )
            continue
        old_codes, new_codes = codes(was.spec), codes(now.spec)
        if old_codes is not None and new_codes is not None:
            table = _mapping(recoded.get(target))
            for code in old_codes:
                mapped = table.get(str(code), code)
                if not any(same(mapped, c) for c in new_codes):
                    yield Problem(
                        M, "code_gone", {"code": _shown(code), "name": path, "version": shown_from}
                    )
        if _required(now.spec) and not _required(was.spec) and target not in required:
            yield Problem(M + ("new_required",), "required_not_listed", {"name": target})
    for path, now in new.items():
        if path not in old and path not in onto and _required(now.spec) and path not in required:
            yield Problem(M + ("new_required",), "required_not_listed", {"name": path})
