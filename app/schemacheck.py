"""A fast yes/no pre-check of a record against the questionnaire schema.

jsonschema spends most of its time building a validator per subschema it descends into (about
0.8 ms for a household). Almost every record the rules see is valid, so `compile_check` turns
the schema once into nested closures that only answer "certainly valid": True means jsonschema
would report no error, False means "not sure" and the caller asks jsonschema for the errors.
Every check is at least as strict as jsonschema's keyword (odd types answer False), and a
schema using a keyword not handled here compiles to None (always ask jsonschema).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

Check = Callable[[object], bool]

_ANNOTATIONS = {
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "readOnly",
    "writeOnly",
    "deprecated",
}
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "null": (type(None),),
}
_SIMPLE = (str, int, float)  # exact types whose == matches jsonschema's equal()
_NUMBERS = (int, float)
_BUILTIN = (dict, list, str, bool, int, float)  # named in generated code as themselves


_WITH_OTHERS = {"additionalProperties", "then", "else"}  # compiled with properties / if


class NotCompilable(Exception):
    pass


def compile_check(schema: dict, conforms: Callable[[object, str], bool]) -> Check | None:
    """`conforms(value, format)` is the validator's FormatChecker.conforms."""
    try:
        closures = _compile(schema, conforms)
    except NotCompilable:
        return None
    try:
        return _generate(schema, conforms)
    except (NotCompilable, SyntaxError, RecursionError):  # nested too deep for one function
        return closures


def _compile(schema: object, conforms) -> Check:
    if schema is True:
        return lambda _v: True
    if not isinstance(schema, dict):
        raise NotCompilable(repr(schema)[:40])
    checks: list[Check] = []
    for key, arg in schema.items():
        if key in _ANNOTATIONS or key.startswith("x-") or key in _WITH_OTHERS:
            continue
        maker = _KEYWORDS.get(key)
        if maker is None:
            raise NotCompilable(key)
        checks.append(maker(arg, schema, conforms))
    if "additionalProperties" in schema and "properties" not in schema:
        checks.append(_properties({}, schema, conforms))
    if len(checks) == 1:
        return checks[0]
    return _all_of(tuple(checks))


def _all_of(checks: tuple[Check, ...]) -> Check:
    # A plain loop: all() over a generator cost the server a tenth of its rules' time.
    def check(v) -> bool:
        for c in checks:
            if not c(v):
                return False
        return True

    return check


def _type(arg, _schema, _conforms) -> Check:
    names = arg if isinstance(arg, list) else [arg]
    if not all(n in _TYPES for n in names):
        raise NotCompilable(f"type {arg}")
    exact = tuple(t for n in names for t in _TYPES[n])
    return lambda v: type(v) in exact


def _properties(arg, schema, conforms) -> Check:
    subs = {name: _compile(sub, conforms) for name, sub in arg.items()}
    extra = schema.get("additionalProperties", True)
    if extra not in (True, False):
        raise NotCompilable("additionalProperties schema")
    if "patternProperties" in schema:
        raise NotCompilable("patternProperties")
    known = set(subs)
    pairs = tuple(subs.items())

    def check(v) -> bool:
        if type(v) is not dict:
            return not isinstance(v, dict)  # not an object: jsonschema skips; a subclass: ask
        if extra is False and not known.issuperset(v):
            return False
        for name, sub in pairs:
            if name in v and not sub(v[name]):
                return False
        return True

    return check


def _items(arg, schema, conforms) -> Check:
    if "prefixItems" in schema:
        raise NotCompilable("prefixItems")
    sub = _compile(arg, conforms)

    def check(v) -> bool:
        if type(v) is not list:
            return True
        for x in v:
            if not sub(x):
                return False
        return True

    return check


def _required(arg, _schema, _conforms) -> Check:
    names = list(arg)
    return lambda v: type(v) is not dict or all(n in v for n in names)


def _enum(arg, _schema, _conforms) -> Check:
    if not all(type(e) in _SIMPLE for e in arg):
        raise NotCompilable("enum of other types")
    allowed = list(arg)
    return lambda v: type(v) in _SIMPLE and v in allowed


def _const(arg, schema, conforms) -> Check:
    return _enum([arg], schema, conforms)


def _bound(test: Callable[[Any, Any], bool]):  # numbers, once type() has said so
    def maker(arg, _schema, _conforms) -> Check:
        # jsonschema skips bounds for anything that is not a number (bool is not one).
        return lambda v: type(v) not in (int, float) or test(v, arg)

    return maker


def _length(test: Callable[[int, int], bool], kind: type[str] | type[list]):
    def maker(arg, _schema, _conforms) -> Check:
        return lambda v: not isinstance(v, kind) or (type(v) is kind and test(len(v), arg))

    return maker


def _if(arg, schema, conforms) -> Check:
    decide = _decider(arg)
    sure = _compile(arg, conforms)
    then = _compile(schema.get("then", True), conforms)
    else_ = _compile(schema.get("else", True), conforms)

    def check(v) -> bool:
        matched = decide(v) if decide else (True if sure(v) else None)
        if matched is None:  # cannot tell which branch jsonschema takes: both must hold
            return then(v) and else_(v)
        return then(v) if matched else else_(v)

    return check


_JSON = (dict, list, str, int, float, bool, type(None))


def _decider(schema: object) -> Callable[[object], bool | None] | None:
    """An exact is_valid for the few schemas an `if` uses here (None: "cannot tell"), or None
    when the schema has other keywords."""
    if not isinstance(schema, dict) or len(schema) != 1:
        return None
    ((key, arg),) = schema.items()
    if key in ("const", "enum"):
        allowed = [arg] if key == "const" else list(arg)
        if not all(type(e) in _SIMPLE for e in allowed):
            return None
        # jsonschema's equal(): bool never equals a number; str only equals str.
        return lambda v: (type(v) in _SIMPLE and v in allowed) if type(v) in _JSON else None
    if key == "contains":
        sub = _decider(arg)
        if sub is None:
            return None

        def contains(v) -> bool | None:
            if type(v) is not list:
                return True if type(v) in _JSON else None
            found = [sub(x) for x in v]
            return True if True in found else (False if None not in found else None)

        return contains
    return None


def _contains(arg, schema, conforms) -> Check:
    if "minContains" in schema or "maxContains" in schema:
        raise NotCompilable("minContains")
    sub = _compile(arg, conforms)
    return lambda v: not isinstance(v, list) or (type(v) is list and any(sub(x) for x in v))


def _pattern(arg, _schema, _conforms) -> Check:
    search = re.compile(arg).search
    return lambda v: not isinstance(v, str) or (type(v) is str and search(v) is not None)


def _format(arg, _schema, conforms) -> Check:
    return lambda v: conforms(v, arg)


def _unique(arg, _schema, _conforms) -> Check:
    if arg is not True:
        return lambda _v: True

    def check(v) -> bool:
        if type(v) is not list:
            return not isinstance(v, list)
        kinds = {type(x) for x in v}
        return (kinds <= {str} or kinds <= {int}) and len(set(v)) == len(v)

    return check


_KEYWORDS = {
    "type": _type,
    "properties": _properties,
    "items": _items,
    "if": _if,
    "contains": _contains,
    "required": _required,
    "enum": _enum,
    "const": _const,
    "minimum": _bound(lambda v, a: v >= a),
    "maximum": _bound(lambda v, a: v <= a),
    "exclusiveMinimum": _bound(lambda v, a: v > a),
    "exclusiveMaximum": _bound(lambda v, a: v < a),
    "minLength": _length(lambda n, a: n >= a, str),
    "maxLength": _length(lambda n, a: n <= a, str),
    "minItems": _length(lambda n, a: n >= a, list),
    "maxItems": _length(lambda n, a: n <= a, list),
    "pattern": _pattern,
    "format": _format,
    "uniqueItems": _unique,
}


# -- the same check as one generated function -------------------------------------------------
# The closures above call one another per keyword and per property: about a fifth of the rules'
# time on the server (docs/scale.md). `_generate` writes the same checks out as the source of
# one function, nested objects and arrays inline, so a record is checked without a call per
# keyword. Each keyword's test is the closure's, word for word; the keywords rarely used (`if`,
# `contains`, `format`, `uniqueItems`) call their closure. tests/test_schemacheck.py compares it
# with the closures over damaged households.

_INLINE = {
    "type",
    "properties",
    "items",
    "required",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
}
_BOUND_TESTS = {
    "minimum": ">=",
    "maximum": "<=",
    "exclusiveMinimum": ">",
    "exclusiveMaximum": "<",
}
_LENGTH_TESTS = {
    "minLength": (">=", "str"),
    "maxLength": ("<=", "str"),
    "minItems": (">=", "list"),
    "maxItems": ("<=", "list"),
}


def _generate(schema: dict, conforms) -> Check:
    """The check `_compile` makes, as one generated function (raises NotCompilable where
    `_compile` does: call it first)."""
    writer = _Writer(conforms)
    body = writer.schema(schema, "v0", 0, 1)
    source = "def check(v0):\n" + "".join(body) + "    return True\n"
    writer.ns["SOURCE"] = source  # for reading (tests, a profile)
    exec(compile(source, "<schema check>", "exec"), writer.ns)  # noqa: S102 - written above
    return writer.ns["check"]


def _exact(arg: Any) -> tuple[type, ...]:
    names: list = arg if isinstance(arg, list) else [arg]
    if not all(n in _TYPES for n in names):
        raise NotCompilable(f"type {arg}")
    return tuple(t for n in names for t in _TYPES[n])


class _Writer:
    def __init__(self, conforms) -> None:
        self.conforms = conforms
        self.ns: dict[str, Any] = {"_SIMPLE": _SIMPLE, "_NUMBERS": _NUMBERS}
        self.kept: list[object] = []
        self.formats: dict[str, str] = {}  # format -> the name of its kept answers

    def const(self, value: object) -> str:
        if value is None or type(value) in (str, int, bool):
            return repr(value)
        name = f"K{len(self.kept)}"
        self.kept.append(value)
        self.ns[name] = value
        return name

    def schema(self, schema: object, v: str, depth: int, ind: int) -> list[str]:
        """Lines that `return False` where the check of `schema` on `v` answers False."""
        pad = "    " * ind
        if schema is True:
            return []
        if not isinstance(schema, dict):
            raise NotCompilable(repr(schema)[:40])
        out: list[str] = []
        known: type | None = None  # the exact type of `v`, once a `type` line has made sure
        for key, arg in schema.items():
            if key in _ANNOTATIONS or key.startswith("x-") or key in _WITH_OTHERS:
                continue
            maker = _KEYWORDS.get(key)
            if maker is None:
                raise NotCompilable(key)
            if key == "format" and known is str and type(arg) is str:
                out += self.format(arg, v, ind)
            elif key not in _INLINE:
                closure = self.const(maker(arg, schema, self.conforms))
                out.append(f"{pad}if not {closure}({v}):\n{pad}    return False\n")
            elif key == "properties":
                out += self.properties(arg, schema, v, depth, ind, known)
            else:
                out += self.keyword(key, arg, schema, v, depth, ind, known)
                if key == "type" and len(exact := _exact(arg)) == 1:
                    known = exact[0]
        if "additionalProperties" in schema and "properties" not in schema:
            out += self.properties({}, schema, v, depth, ind, known)
        return out

    def keyword(
        self, key: str, arg, schema: dict, v: str, depth: int, ind: int, known: type | None
    ) -> list[str]:
        """The lines of one keyword. Where `known` (the exact type of `v`) decides a test's
        type guard, the guard is left out, or the whole test when it cannot apply."""
        pad = "    " * ind
        fail = f"{pad}    return False\n"
        if key == "type":
            exact = _exact(arg)
            if len(exact) == 1:
                kind = exact[0]
                name = kind.__name__ if kind in _BUILTIN else self.const(kind)
                return [f"{pad}if type({v}) is not {name}:\n", fail]
            return [f"{pad}if type({v}) not in {self.const(exact)}:\n", fail]
        if key == "items":
            if "prefixItems" in schema:
                raise NotCompilable("prefixItems")
            x = f"v{depth + 1}"
            if known is not None and known is not list:
                return []
            if known is list:
                inner = self.schema(arg, x, depth + 1, ind + 1)
                return [f"{pad}for {x} in {v}:\n", *inner] if inner else []
            inner = self.schema(arg, x, depth + 1, ind + 2)
            if not inner:
                return []
            return [f"{pad}if type({v}) is list:\n", f"{pad}    for {x} in {v}:\n", *inner]
        if key == "required":
            names = list(arg)
            if not names:
                return []
            test = " and ".join(f"{self.const(n)} in {v}" for n in names)
            if known is not None:
                return [f"{pad}if not ({test}):\n", fail] if known is dict else []
            return [f"{pad}if type({v}) is dict and not ({test}):\n", fail]
        if key in ("enum", "const"):
            allowed = [arg] if key == "const" else list(arg)
            if not all(type(e) in _SIMPLE for e in allowed):
                raise NotCompilable("enum of other types")
            # A set answers as the list: str, int and float hash as they compare.
            values = self.const(frozenset(allowed))
            if known in _SIMPLE:
                return [f"{pad}if {v} not in {values}:\n", fail]
            return [f"{pad}if type({v}) not in _SIMPLE or {v} not in {values}:\n", fail]
        if key in _BOUND_TESTS:
            op = _BOUND_TESTS[key]
            a = self.const(arg)
            if known is not None:
                return [f"{pad}if not ({v} {op} {a}):\n", fail] if known in _NUMBERS else []
            return [f"{pad}if type({v}) in _NUMBERS and not ({v} {op} {a}):\n", fail]
        if key in _LENGTH_TESTS:
            op, sized = _LENGTH_TESTS[key]
            a = self.const(arg)
            if known is not None:
                same = known.__name__ == sized
                return [f"{pad}if not (len({v}) {op} {a}):\n", fail] if same else []
            return [
                f"{pad}if isinstance({v}, {sized}) and not (type({v}) is {sized}"
                f" and len({v}) {op} {a}):\n",
                fail,
            ]
        if key == "pattern":
            search = self.const(re.compile(arg).search)
            if known is not None:
                return [f"{pad}if {search}({v}) is None:\n", fail] if known is str else []
            return [
                f"{pad}if isinstance({v}, str) and not (type({v}) is str"
                f" and {search}({v}) is not None):\n",
                fail,
            ]
        raise NotCompilable(key)

    def format(self, arg: str, v: str, ind: int) -> list[str]:
        """A string's format (dates, uuid), with the answers for texts as short as a date kept:
        a batch holds the same visit and birth dates over and over. A format check reads
        nothing but the text, so a kept answer is the one it would give again."""
        pad = "    " * ind
        if arg not in self.formats:
            conforms = self.conforms
            kept = lru_cache(maxsize=4096)(lambda text: conforms(text, arg))
            self.formats[arg] = self.const(kept)
        kept_name, fmt = self.formats[arg], self.const(arg)
        conforms_name = self.const(self.conforms)
        test = f"({kept_name}({v}) if len({v}) <= 10 else {conforms_name}({v}, {fmt}))"
        return [f"{pad}if not {test}:\n", f"{pad}    return False\n"]

    def properties(
        self, arg, schema: dict, v: str, depth: int, ind: int, known: type | None
    ) -> list[str]:
        extra = schema.get("additionalProperties", True)
        if extra not in (True, False):
            raise NotCompilable("additionalProperties schema")
        if "patternProperties" in schema:
            raise NotCompilable("patternProperties")
        if known is not None and known is not dict:
            return []  # not an object: jsonschema skips the keyword
        guarded = known is None
        pad = "    " * (ind + guarded)
        out = [f"{'    ' * ind}if type({v}) is dict:\n"] if guarded else []
        if extra is False:
            names = self.const(frozenset(arg))
            out += [f"{pad}if not {names}.issuperset({v}):\n", f"{pad}    return False\n"]
        x = f"v{depth + 1}"
        for name, sub in arg.items():
            inner = self.schema(sub, x, depth + 1, ind + guarded + 1)
            if inner:
                key = self.const(name)
                out += [f"{pad}if {key} in {v}:\n", f"{pad}    {x} = {v}[{key}]\n", *inner]
        if guarded:
            outer = "    " * ind
            out += [f"{outer}elif isinstance({v}, dict):\n", f"{outer}    return False\n"]
        return out
