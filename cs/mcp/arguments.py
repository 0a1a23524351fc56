"""A tool's arguments, checked against its JSON schema before anything runs.

The SDK hands the server whatever JSON the client sent; a model can send a
string where a number goes, a name the tool does not have, or a megabyte of
query. `check(schema, arguments)` returns the arguments with the schema's
defaults filled in, or raises `BadArguments` whose message says which argument
is wrong and what it must be (the model reads it and tries again). Only what
the tools' schemas use is understood: type string / integer / boolean, enum,
maxLength, minimum / maximum, required, no other properties.
Tests: tests/test_mcp.py::test_hostile_arguments_are_tool_errors.
"""

from cs.errors import CsError


class BadArguments(CsError, ValueError):
    """Arguments that do not fit the tool's schema; the message says how."""


_TYPES = {"string": str, "integer": int, "boolean": bool}


def check(tool: str, schema: dict, arguments) -> dict:
    """The arguments, valid for `schema`, with its defaults filled in."""
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise BadArguments(f"{tool}: arguments must be a JSON object")
    properties = schema["properties"]
    unknown = sorted(set(arguments) - set(properties))
    if unknown:
        raise BadArguments(f"{tool}: unknown argument {_shown(unknown[0])}; it takes {', '.join(properties)}")
    out = {}
    for name, rules in properties.items():
        value = arguments.get(name)
        if value is None:
            if name in schema.get("required", ()):
                raise BadArguments(f"{tool}: `{name}` is required ({rules['description']})")
            out[name] = rules.get("default")
            continue
        out[name] = _checked_value(tool, name, rules, value)
    return out


def _checked_value(tool: str, name: str, rules: dict, value):
    kind = rules["type"]
    if not _is_type(value, kind):
        raise BadArguments(f"{tool}: `{name}` must be a{'n' if kind[0] in 'ai' else ''} {kind}, not {_shown(value)}")
    if "enum" in rules and value not in rules["enum"]:
        raise BadArguments(f"{tool}: `{name}` must be one of {', '.join(rules['enum'])}, not {_shown(value)}")
    if kind == "string" and len(value) > rules.get("maxLength", len(value)):
        raise BadArguments(f"{tool}: `{name}` is {len(value)} characters long; at most {rules['maxLength']}")
    if kind == "string" and "\x00" in value:
        raise BadArguments(f"{tool}: `{name}` holds a NUL character")
    if kind == "integer" and not rules.get("minimum", value) <= value <= rules.get("maximum", value):
        raise BadArguments(f"{tool}: `{name}` must be from {rules['minimum']} to {rules['maximum']}, not {value}")
    return value


def _is_type(value, kind: str) -> bool:
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return False  # 3.0 is a number, but say so: the schema asks for an integer
    if kind != "boolean" and isinstance(value, bool):
        return False  # (True is an int to Python, not to JSON)
    return isinstance(value, _TYPES[kind])


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
