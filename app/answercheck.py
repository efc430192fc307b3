"""The per-question rules of one questionnaire version as one generated Python function.

`rules._answer_issues` walks the questionnaire (app/questionnaire.py `answer_rows`: generators
nested by group and roster, compiled conditions called per question) and applies the
per-question checks to each row. The server does that for every household pushed, and it was
most of the rules' time (docs/scale.md). `compile_answers` writes the same walk and the same
checks out as Python source once per schema dict, as app/schemacheck.py does for the JSON
Schema: one function per group, each question's code unrolled, its conditions inline
expressions, only the checks its spec asks for. It must find exactly what the walk finds, in
the same order with the same params (the officer's laptop and the server share the rules):
tests/test_answercheck.py compares the two over both questionnaire versions.

What is read from the schema is read at generation time; a schema the generator does not
understand (any exception while generating) gives None, and the caller keeps the walk. The
schema is never changed once loaded (app/questionnaire.py `per_spec`), so the function is
cached per schema dict. Adding a question to the schema needs no code here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from app import dates
from app import questionnaire as q

AnswerCheck = Callable[[dict, bool, date], list]


_SCALARS = (str, int, bool, type(None))


class _NotCompilable(Exception):
    pass


def compile_answers(schema: dict, helpers: dict[str, Any]) -> AnswerCheck | None:
    """The per-question issues of a record of this version: `check(record, final, today)`.
    `helpers` are the rules' own (Issue, ERROR, WARNING, plan, age_expected, bad_in, before,
    future, named, same), so the generated code builds the same issues the same way."""
    try:
        return _Generator(schema, helpers).build()
    except Exception:  # noqa: BLE001 - any schema the generator cannot read: keep the walk
        return None


def _empty(first: str, then: str = "") -> str:
    """questionnaire.is_empty inline: `first` computes the value, `then` names it after."""
    then = then or first
    return f"({first} is None or {then} == '' or {then} == [])"


class _Generator:
    def __init__(self, schema: dict, helpers: dict[str, Any]) -> None:
        self.schema = schema
        self.plan = helpers["plan"]
        self.ns: dict[str, Any] = {
            "Issue": helpers["Issue"],
            "ERROR": helpers["ERROR"],
            "WARNING": helpers["WARNING"],
            "AGE_EXPECTED": helpers["age_expected"],
            "BAD_IN": helpers["bad_in"],
            "BEFORE": helpers["before"],
            "FUTURE": helpers["future"],
            "NAMED": helpers["named"],
            "SAME": helpers["same"],
            "DERIVE": q.derive,
            "VISIT": q.visit_date,
            "AGE_RANGE": dates.age_range,
            "SCHEMA": schema,
        }
        self.consts: dict[object, str] = {}
        self.hoisted: dict[str, int] = {}  # expression -> its place in A
        self.ages = False  # the group being written has an age condition on its own object
        self.functions: list[str] = []

    def build(self) -> AnswerCheck:
        root = self.group(self.schema, ())
        hoisted = "".join(f"        {expr},\n" for expr in self.hoisted)
        self.functions.append(
            "def check(r, final, today):\n"
            "    out = []\n"
            f"    A = (\n{hoisted}    )\n"
            f"    {root}(r, r, (), True, True, out, final, today, VISIT(r), A)\n"
            "    return out\n"
        )
        source = "\n".join(self.functions)
        code = compile(source, f"<answers of version {self.schema.get('x-version')}>", "exec")
        self.ns["SOURCE"] = source  # for reading (tests, a profile)
        exec(code, self.ns)  # noqa: S102 - our own source, written above from the schema
        return self.ns["check"]

    # -- constants and paths

    def const(self, value: object) -> str:
        """A name for a value the code reads (a list, a dict, a pattern): bound, not written."""
        if value is None or type(value) in (str, int, bool):
            return repr(value)
        key: object = id(value)
        if isinstance(value, (list, tuple)) and all(type(x) in _SCALARS for x in value):
            # Equal lists of plain values (the codes of "found" in many conditions) are one
            # constant, so that equal conditions are one expression (hoist). repr tells 1 from
            # True and 1.0, so two lists share a name only when `in` answers alike for them.
            key = (type(value), repr(value))  # type() too: a list subclass is not a list
        if key not in self.consts:
            name = f"K{len(self.consts)}"
            self.ns[name] = value
            self.consts[key] = name
            self.ns.setdefault("_kept", []).append(value)  # ids stay unique while bound
        return self.consts[key]

    def path(self, static: tuple | None, name: str) -> str:
        """The question's path: a constant outside rosters, else the row's prefix plus it."""
        if static is not None:
            return repr(static + (name,))
        return f"P + ({name!r},)"

    # -- conditions (questionnaire.compile_condition, as expressions)

    def cond(self, c: object) -> tuple[str, bool]:
        """(expression, safe): what `q.compile_condition(c)(s, r)` answers for the group's
        object `s`. Safe: it cannot raise, so it may be left unevaluated where its answer is
        not needed, or evaluated where it is not (hoisted)."""
        expr, safe, on_record = self._cond(c)
        return (self.hoist(expr) if on_record and safe else expr), safe

    def hoist(self, expr: str) -> str:
        """A condition on the record alone (absolute paths: "was the family found") is asked
        by many questions, in every roster row: evaluated once a record, where `check` starts
        (it cannot fail: only safe ones are hoisted), and read from the tuple `A`."""
        if expr in ("True", "False"):
            return expr
        if expr not in self.hoisted:
            self.hoisted[expr] = len(self.hoisted)
        return f"A[{self.hoisted[expr]}]"

    def _cond(self, c: object) -> tuple[str, bool, bool]:
        """(expression, safe, on the record alone)."""
        if not c:
            return "True", True, True
        if type(c) is not dict or frozenset(c) not in q.CONDITION_SHAPES:
            return f"{self.const(q.compile_condition(c))}(s, r)", False, False
        if "all" in c or "any" in c:
            key = "all" if "all" in c else "any"
            subs = [self._cond(x) for x in c[key]]
            if not subs:
                return ("True" if key == "all" else "False"), True, True
            safe = all(sub[1] for sub in subs)
            on_record = all(sub[2] for sub in subs)
            if not on_record:  # a part on the record alone is still asked once a record
                subs = [(self.hoist(e) if o and sf else e, sf, o) for e, sf, o in subs]
            joined = f" {'and' if key == 'all' else 'or'} ".join(e for e, _, _ in subs)
            return f"({joined})", safe, on_record
        if "not" in c:
            expr, safe, on_record = self._cond(c["not"])
            return f"(not {expr})", safe, on_record
        if "age" in c:
            bounds = c["age"]
            if type(bounds) is not dict:
                return f"{self.const(q.compile_condition(c))}(s, r)", False, False
            low, high = bounds.get("min", 0), bounds.get("max", 200)
            safe = _plain_number(low) and _plain_number(high)
            low, high = self.const(low), self.const(high)
            self.ages = True  # the group's ages are read once, where the group starts
            return f"(ages is None or (ages[1] >= {low} and ages[0] <= {high}))", safe, False
        name = c["field"]
        if not isinstance(name, str):
            return f"{self.const(q.compile_condition(c))}(s, r)", False, False
        on_record = name.startswith("/")
        if on_record:
            # questionnaire._getter: the record is a dict (the walk reads it with .get).
            parts = name.strip("/").split("/")
            get = f"r.get({parts[0]!r})"
            for part in parts[1:]:
                get = f"(_n.get({part!r}) if isinstance(_n := {get}, dict) else None)"
        else:
            get = f"s.get({str(name)!r})"
        empty = _empty(f"(_c := {get})", "_c")
        if "answered" in c:
            return (f"(not {empty})" if c["answered"] else empty), True, on_record
        if "in" in c or "not_in" in c:
            key = "in" if "in" in c else "not_in"
            values = c[key]
            safe = type(values) in (list, tuple)
            op = "in" if key == "in" else "not in"
            return f"(not {empty} and _c {op} {self.const(values)})", safe, on_record
        if "contains" in c:
            item = self.const(c["contains"])
            return f"(isinstance((_c := {get}), list) and {item} in _c)", True, on_record
        low, high = c.get("min", float("-inf")), c.get("max", float("inf"))
        test = (
            f"(isinstance((_c := {get}), (int, float)) and not isinstance(_c, bool)"
            f" and {self.const(low)} <= _c <= {self.const(high)})"
        )
        return test, _plain_number(low) and _plain_number(high), on_record

    # -- groups and questions (questionnaire._walk, and rules._answer_issues per row)

    def group(self, group: dict, static: tuple | None) -> str:
        """A function `G(s, r, P, shown, gate, out, final, today, vd, A)` for the questions of
        a group: `s` its object, `P` its path when it lies in a roster row (else `static`), `vd`
        the visit date (questionnaire.visit_date, read once a record), `A` the conditions on
        the record alone (hoist)."""
        fname = f"G{len(self.functions)}"
        self.functions.append("")  # its place: nested groups are written first
        slot = len(self.functions) - 1
        lines = [f"def {fname}(s, r, P, shown, gate, out, final, today, vd, A):"]
        body: list[str] = []
        outer, self.ages = self.ages, False  # a nested group's flag is its own
        for name, spec in group.get("properties", {}).items():
            if not isinstance(name, str):
                raise _NotCompilable("property name")
            body += [f"    # {name!r}"]
            body += self.question(name, spec, static)
        uses_ages, self.ages = self.ages, outer
        if uses_ages:  # an age condition: dates.age_range cannot fail, read it first
            lines += [f"    ages = AGE_RANGE(s.get({q.BIRTH_DATE!r}), vd)"]
        lines += body
        lines.append("    return")
        self.functions[slot] = "\n".join(lines) + "\n"
        return fname

    def question(self, name: str, spec: dict, static: tuple | None) -> list[str]:
        if q.is_roster(spec):
            kind = "roster"
        elif q.is_group(spec):
            kind = "group"
        else:
            kind = "leaf"
        rel, rel_safe = self.cond(spec.get("x-relevant"))
        raw = spec.get("x-required")
        if raw is not None and not isinstance(raw, bool):
            req, req_safe = self.cond(raw)
        else:
            req, req_safe = repr(raw), True
        rel_line = "rel = shown" if rel == "True" else f"rel = shown and {rel}"
        path = self.path(static, name)
        value = f"v = s.get({name!r})"
        if kind == "leaf" and rel_safe and req_safe:
            # Nothing here can raise: relevance and requirement only where they are needed.
            lines = [f"    {value}", f"    if {_empty('v')}:"]
            if raw is None or raw is False:
                lines += ["        pass"]
            else:
                test = "gate and shown" + ("" if rel == "True" else f" and {rel}")
                test += "" if raw is True else f" and {req}"
                lines += [
                    f"        if final and {test}:",
                    f"            out.append(Issue('required', ERROR, {path}))",
                ]
            lines += ["    else:", f"        {rel_line}"]
            lines += _indent(self.rules(name, spec, path), 8)
            return lines
        # The walk's order: relevance, then the requirement where relevant and gated.
        lines = [f"    {rel_line}"]
        if raw is None:
            required, inner_gate = "False", "(rel and gate)"
        elif raw is True:
            required = inner_gate = "(rel and gate)"
        elif raw is False:
            required = inner_gate = "False"
        else:
            lines += [f"    rq = ({req}) if (rel and gate) else False"]
            required, inner_gate = "rq", "(rq is not False)"
        lines += [f"    {value}"]
        if kind == "group":
            sub = self.group(spec, None if static is None else static + (name,))
            prefix = "None" if static is not None else f"P + ({name!r},)"
            lines += [
                "    if not isinstance(v, dict):",
                "        v = {}",
                f"    {sub}(v, r, {prefix}, rel, {inner_gate}, out, final, today, vd, A)",
            ]
            return lines
        lines += [f"    if {_empty('v')}:"]
        lines += [
            f"        if final and {required}:",
            f"            out.append(Issue('required', ERROR, {path}))",
            "    else:",
        ]
        lines += _indent(self.rules(name, spec, path), 8)
        if kind == "roster":
            rows = self.group(spec["items"], None)
            lines += [
                "    if isinstance(v, list):",
                f"        ig = {inner_gate}",
                f"        here = {path}",
                "        for i, row in enumerate(v):",
                "            if isinstance(row, dict):",
                f"                {rows}(row, r, here + (i,), rel, ig, out, final, today, vd, A)",
            ]
        return lines

    def rules(self, name: str, spec: dict, path: str) -> list[str]:
        """rules._answer_issues for one answered question (`v`, relevance `rel`)."""
        derived, ages, warn, allowed, future, is_date, text, none = self.plan(spec)
        if derived:
            sp = self.const(spec)
            return [
                f"if v != DERIVE({sp}, r, SCHEMA):",
                f"    out.append(Issue('derived_mismatch', ERROR, {path}))",
            ]
        out = ["pass"]
        if ages:
            expected = self.const(spec["x-age-expected"])
            out += ["if rel:", f"    out += AGE_EXPECTED({expected}, v, s, {path}, r)"]
        out += ["if not rel:", f"    out.append(Issue('not_applicable', ERROR, {path}))"]
        if warn:
            bounds = spec["x-warn-range"]
            if not isinstance(bounds, dict):
                raise _NotCompilable("x-warn-range")
            low = self.const(bounds["min"]) if "min" in bounds else "v"
            high = self.const(bounds["max"]) if "max" in bounds else "v"
            params = (
                f"{{'min': {self.const(bounds.get('min', '-'))},"
                f" 'max': {self.const(bounds.get('max', '-'))}}}"
            )
            out += [
                "elif isinstance(v, (int, float)) and not isinstance(v, bool):",
                f"    if not {low} <= v <= {high}:",
                f"        out.append(Issue('unusual_value', WARNING, {path}, {params}))",
            ]
        if allowed:
            out += ["if rel:"]
            keyword = "if"
            for entry in spec["x-allowed"]:
                when = entry["when"]
                expr, _safe = self.cond(when)
                code = entry.get("code", "answer_conflict")
                out += [
                    f"    {keyword} {expr} and v not in {self.const(entry['in'])}:",
                    f"        p = {path}",
                    f"        out.append(Issue({self.const(code)}, ERROR, p,"
                    f" {{'other': NAMED({self.const(when)}, p)}}))",
                ]
                keyword = "elif"
        if future:
            out += [
                "if BEFORE(v, vd):",
                f"    out.append(Issue('date_before_visit', WARNING, {path}))",
            ]
        elif is_date and name != q.BIRTH_DATE:
            out += [
                "if FUTURE(v, today):",
                f"    out.append(Issue('date_in_future', ERROR, {path}))",
            ]
        if text is not None:
            many, pattern = text
            if many:
                out += [
                    f"ch = BAD_IN({self.const(text)}, v)",
                    "if ch is not None:",
                    f"    out.append(Issue('control_char', ERROR, {path}, {{'char': ch}}))",
                ]
            else:
                out += [
                    "if isinstance(v, str):",
                    f"    found = {self.const(pattern.search)}(v)",
                    "    if found:",
                    f"        out.append(Issue('control_char', ERROR, {path},"
                    " {'char': f'U+{ord(found.group()):04X}'}))",
                ]
        if none:
            marker = self.const(spec["x-none"])
            out += [
                f"if isinstance(v, list) and len(v) > 1 and any(SAME(x, {marker}) for x in v):",
                f"    out.append(Issue('none_exclusive', ERROR, {path}))",
            ]
        return out


def _indent(lines: list[str], n: int) -> list[str]:
    return [" " * n + line for line in lines]


def _plain_number(value: object) -> bool:
    return type(value) in (int, float)
