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


_WITH_OTHERS = {"additionalProperties", "then", "else"}  # compiled with properties / if


class NotCompilable(Exception):
    pass


def compile_check(schema: dict, conforms: Callable[[object, str], bool]) -> Check | None:
    """`conforms(value, format)` is the validator's FormatChecker.conforms."""
    try:
        return _compile(schema, conforms)
    except NotCompilable:
        return None


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
