"""Client defaults: spec/defaults.yaml -> generated/include/ably/gen/defaults.h.

Every entry becomes `#define ABLY_DEFAULT_<c> <value>`; a string_list also gets
`ABLY_DEFAULT_<c>_COUNT`, an initializer `ABLY_DEFAULT_<c>_INIT` and a static array
`ably_default_<c>[]`. Malformed entries stop generation with `spec/defaults.yaml: entry: problem`.
"""
import json
import math
import pathlib
import re

import jinja2
import yaml

KEYS = {"name", "c", "type", "value", "unit", "spec", "doc", "api_default"}
TYPES = {"int", "double", "bool", "string", "string_list"}
UNITS = {"ms", "bytes", "count", "ratio", "none"}
C_SUFFIX = re.compile(r"^[A-Z][A-Z0-9_]*$")


def fail(where, msg):
    raise SystemExit(f"codegen defaults: spec/defaults.yaml: {where}: {msg}")


def c_string(where, text):
    if not isinstance(text, str) or any(ord(ch) < 0x20 or ord(ch) > 0x7e for ch in text):
        fail(where, f"{text!r} must be a printable ASCII string")
    return json.dumps(text)  # printable ASCII: JSON string syntax is valid C


def render_value(where, kind, value):
    """The C expression for one scalar value."""
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            fail(where, "int value must be an integer")
        return f"{value}" if -2**31 <= value < 2**31 else f"INT64_C({value})"
    if kind == "double":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            fail(where, "double value must be a finite number")
        return repr(float(value))
    if kind == "bool":
        if not isinstance(value, bool):
            fail(where, "bool value must be true or false")
        return "true" if value else "false"
    return c_string(where, value)


def load(root):
    doc = yaml.safe_load((root / "spec" / "defaults.yaml").read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or set(doc) != {"defaults"} or not isinstance(doc["defaults"], list):
        fail("top level", "expected exactly one key, `defaults`, holding a list")
    entries, seen = [], set()
    for raw in doc["defaults"]:
        where = f"entry {raw.get('name', '?') if isinstance(raw, dict) else '?'}"
        if not isinstance(raw, dict):
            fail(where, "expected a mapping")
        extra = sorted(set(raw) - KEYS)
        missing = sorted({"name", "c", "type", "value", "unit", "spec"} - set(raw))
        if extra or missing:
            fail(where, f"unknown keys {extra} / missing keys {missing}")
        if raw["type"] not in TYPES:
            fail(where, f"type must be one of {sorted(TYPES)}")
        if raw["unit"] not in UNITS:
            fail(where, f"unit must be one of {sorted(UNITS)}")
        if not C_SUFFIX.match(str(raw["c"])) or raw["c"] in seen:
            fail(where, f"c {raw['c']!r} must be a unique UPPER_SNAKE identifier")
        seen.add(raw["c"])
        entry = {"name": raw["name"], "macro": "ABLY_DEFAULT_" + raw["c"], "type": raw["type"],
                 "unit": raw["unit"], "spec": raw["spec"], "doc": str(raw.get("doc", "")).replace("*/", "* /"),
                 "api_default": bool(raw.get("api_default", False))}
        if raw["type"] == "string_list":
            if not isinstance(raw["value"], list) or not raw["value"]:
                fail(where, "string_list value must be a non-empty list")
            entry["strings"] = [c_string(where, v) for v in raw["value"]]
            entry["array"] = "ably_default_" + raw["c"].lower()
        else:
            entry["value"] = render_value(where, raw["type"], raw["value"])
        entries.append(entry)
    return entries


def generate(root):
    root = pathlib.Path(root)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(root / "codegen" / "templates")),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    return {"include/ably/gen/defaults.h": env.get_template("defaults_h.j2").render(defaults=load(root))}
