"""Protocol types: spec/schema/*.yaml -> C structs, enums, flags, descriptor tables.

Output (paths relative to generated/):
  include/ably/gen/types.h   every enum, flag constant, struct and typed wrapper
  src/types.c                the descriptor tables and the wrapper bodies

The schema format is documented in spec/schema/README.md. This module accepts exactly
that format and stops with `file: type X, field y: problem` for anything else, so a
typo in a schema never turns into silently wrong C.

A YAML file is a type schema when it has any of the keys `enums`, `flags`, `types`;
files with none of them (e.g. defaults.yaml) belong to other generators and are skipped.
"""
import pathlib
import re

import jinja2
import yaml

SCHEMA_KEYS = {"enums", "flags", "types"}

# Field type -> descriptor kind. `enum:`, `object:`, `array:`, `map:` are parsed below.
SCALAR_KINDS = {
    "string": "ABLY_FIELD_STRING",
    "int": "ABLY_FIELD_INT",
    "double": "ABLY_FIELD_DOUBLE",
    "bool": "ABLY_FIELD_BOOL",
    "data": "ABLY_FIELD_DATA",
    "json": "ABLY_FIELD_JSON",
}
TYPE_KEYS = {"name", "spec", "doc", "fields", "c_type"}
FIELD_KEYS = {"name", "type", "spec", "doc", "c", "wire", "required", "encoding_field"}
ENUM_KEYS = {"name", "spec", "doc", "wire", "values"}
ENUM_VALUE_KEYS = {"name", "value", "spec", "doc", "wire"}
FLAGS_KEYS = {"name", "spec", "doc", "values"}
FLAG_VALUE_KEYS = {"name", "bit", "spec", "doc"}

C_KEYWORDS = set("""auto break case char const continue default do double else enum extern float for
goto if inline int long register restrict return short signed sizeof static struct switch typedef
union unsigned void volatile while _Bool _Complex _Imaginary bool true false""".split())

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
UPPER_IDENT = re.compile(r"^[A-Z][A-Z0-9_]*$")


class SchemaError(SystemExit):
    pass


def fail(where, msg):
    raise SchemaError(f"codegen types: {where}: {msg}")


def snake(name):
    """camelCase / PascalCase -> snake_case (ProtocolMessage -> protocol_message)."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


def c_string(text):
    """A C string literal for `text` (wire names, docs); only plain printable ASCII is allowed."""
    if any(ord(ch) < 0x20 or ord(ch) > 0x7e for ch in text):
        raise ValueError(text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def comment(text):
    return (text or "").replace("*/", "* /").replace("\n", " ").strip()


def check_keys(where, entry, allowed):
    if not isinstance(entry, dict):
        fail(where, f"expected a mapping, got {type(entry).__name__}")
    extra = sorted(set(entry) - allowed)
    if extra:
        fail(where, f"unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})")


def need_str(where, entry, key, pattern=None):
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        fail(where, f"`{key}` is required and must be a non-empty string")
    if pattern is not None and not pattern.match(value):
        fail(where, f"`{key}` {value!r} is not a valid identifier here")
    return value


def load_schemas(root):
    """Every type-schema YAML under spec/schema, as (relative path, parsed dict), sorted by name."""
    out = []
    for path in sorted((root / "spec" / "schema").glob("*.yaml")):
        rel = str(path.relative_to(root))
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            fail(rel, f"invalid YAML: {exc}")
        if doc is None or not isinstance(doc, dict) or not (SCHEMA_KEYS & set(doc)):
            continue
        extra = sorted(set(doc) - SCHEMA_KEYS)
        if extra:
            fail(rel, f"unknown top-level key(s) {', '.join(extra)} (allowed: enums, flags, types)")
        for key in SCHEMA_KEYS:
            if doc.get(key) is not None and not isinstance(doc[key], list):
                fail(rel, f"`{key}` must be a list")
        out.append((rel, doc))
    return out


def parse_enums(rel, entries, model):
    for entry in entries or []:
        where = f"{rel}: enum {entry.get('name', '?') if isinstance(entry, dict) else '?'}"
        check_keys(where, entry, ENUM_KEYS)
        name = need_str(where, entry, "name", IDENT)
        spec = need_str(where, entry, "spec")
        wire = entry.get("wire")
        if wire not in ("int", "string"):
            fail(where, "`wire` must be `int` or `string`")
        if name in model["names"]:
            fail(where, f"name {name} is already defined in {model['names'][name]}")
        model["names"][name] = rel
        c_type = "ably_" + snake(name)
        values, seen_names, seen_values, seen_wire = [], set(), set(), set()
        if not isinstance(entry.get("values"), list) or not entry["values"]:
            fail(where, "`values` must be a non-empty list")
        for val in entry["values"]:
            vwhere = f"{where}, value {val.get('name', '?') if isinstance(val, dict) else '?'}"
            check_keys(vwhere, val, ENUM_VALUE_KEYS)
            vname = need_str(vwhere, val, "name", UPPER_IDENT)
            need_str(vwhere, val, "spec")
            number = val.get("value")
            if not isinstance(number, int) or isinstance(number, bool) or not -2**31 <= number < 2**31:
                fail(vwhere, "`value` must be an integer that fits in 32 bits")
            if vname in seen_names or number in seen_values:
                fail(vwhere, "duplicate value name or number")
            seen_names.add(vname)
            seen_values.add(number)
            wire_text = val.get("wire")
            if wire == "string":
                if not isinstance(wire_text, str) or not wire_text:
                    fail(vwhere, "string-wire enums need `wire:` text on every value")
                if wire_text in seen_wire:
                    fail(vwhere, f"duplicate wire text {wire_text!r}")
                seen_wire.add(wire_text)
            elif wire_text is not None:
                fail(vwhere, "`wire:` text is only allowed on enums with `wire: string`")
            values.append({"name": vname, "const": f"{c_type.upper()}_{vname}", "value": number,
                           "spec": val["spec"], "doc": comment(val.get("doc")),
                           "wire": c_string(wire_text) if wire_text is not None else "NULL",
                           "name_lit": c_string(vname)})
        model["enums"].append({"name": name, "c_type": c_type, "spec": entry["spec"],
                               "doc": comment(entry.get("doc")), "wire": wire,
                               "members": sorted(values, key=lambda v: v["value"]), "file": rel,
                               "spec_lit": c_string(spec)})


def parse_flags(rel, entries, model):
    for entry in entries or []:
        where = f"{rel}: flags {entry.get('name', '?') if isinstance(entry, dict) else '?'}"
        check_keys(where, entry, FLAGS_KEYS)
        name = need_str(where, entry, "name", IDENT)
        need_str(where, entry, "spec")
        if name in model["names"]:
            fail(where, f"name {name} is already defined in {model['names'][name]}")
        model["names"][name] = rel
        prefix = "ABLY_" + snake(name).upper()
        if not isinstance(entry.get("values"), list) or not entry["values"]:
            fail(where, "`values` must be a non-empty list")
        values, seen = [], set()
        for val in entry["values"]:
            vwhere = f"{where}, value {val.get('name', '?') if isinstance(val, dict) else '?'}"
            check_keys(vwhere, val, FLAG_VALUE_KEYS)
            vname = need_str(vwhere, val, "name", UPPER_IDENT)
            need_str(vwhere, val, "spec")
            bit = val.get("bit")
            if not isinstance(bit, int) or isinstance(bit, bool) or not 0 <= bit <= 31:
                fail(vwhere, "`bit` must be an integer from 0 to 31")
            if vname in seen or bit in seen:
                fail(vwhere, "duplicate flag name or bit")
            seen.update((vname, bit))
            values.append({"const": f"{prefix}_{vname}", "bit": bit, "spec": val["spec"],
                           "doc": comment(val.get("doc"))})
        model["flags"].append({"name": name, "spec": entry["spec"], "doc": comment(entry.get("doc")),
                               "members": values})


def parse_types(rel, entries, model):
    for entry in entries or []:
        where = f"{rel}: type {entry.get('name', '?') if isinstance(entry, dict) else '?'}"
        check_keys(where, entry, TYPE_KEYS)
        name = need_str(where, entry, "name", IDENT)
        need_str(where, entry, "spec")
        if name in model["names"]:
            fail(where, f"name {name} is already defined in {model['names'][name]}")
        model["names"][name] = rel
        c_type = entry.get("c_type") or "ably_" + snake(name)
        if not IDENT.match(c_type) or not c_type.startswith("ably_"):
            fail(where, f"`c_type` {c_type!r} must be an identifier starting with ably_")
        if not isinstance(entry.get("fields"), list) or not entry["fields"]:
            fail(where, "`fields` must be a non-empty list")
        for field in entry["fields"]:
            fwhere = f"{where}, field {field.get('name', '?') if isinstance(field, dict) else '?'}"
            check_keys(fwhere, field, FIELD_KEYS)
        model["types"].append({"name": name, "c_type": c_type, "spec": entry["spec"],
                               "doc": comment(entry.get("doc")), "raw_fields": entry["fields"],
                               "file": rel, "where": where})


def resolve_field(twhere, field, model, c_names):
    fwhere = f"{twhere}, field {field.get('name', '?')}"
    name = need_str(fwhere, field, "name")
    need_str(fwhere, field, "spec")
    wire = field.get("wire", name)
    if not isinstance(wire, str) or not wire:
        fail(fwhere, "`wire` must be a non-empty string")
    try:
        wire_lit = c_string(wire)
    except ValueError:
        fail(fwhere, f"wire name {wire!r} must be printable ASCII")
    c_name = field.get("c") or snake(name)
    if not IDENT.match(c_name) or c_name in C_KEYWORDS:
        fail(fwhere, f"C name {c_name!r} is not usable; give one with `c:`")
    required = field.get("required", False)
    if not isinstance(required, bool):
        fail(fwhere, "`required` must be true or false")
    ftype = field.get("type")
    if not isinstance(ftype, str):
        fail(fwhere, "`type` is required and must be a string")
    out = {"wire": wire, "wire_lit": wire_lit, "c_name": c_name, "required": required,
           "spec": field["spec"], "spec_lit": c_string(field["spec"]), "doc": comment(field.get("doc")),
           "nested": "NULL", "enum": "NULL", "aux": None, "aux_type": None, "encoding_field": field.get("encoding_field"),
           "wire_len": len(wire.encode("utf-8"))}
    kind_name, _, arg = ftype.partition(":")
    if ftype in SCALAR_KINDS:
        out["kind"] = SCALAR_KINDS[ftype]
        out["decl"] = {"string": "char *{c}", "int": "int64_t {c}", "double": "double {c}",
                       "bool": "bool {c}", "data": "ably_data {c}", "json": "char *{c}"}[ftype]
        if ftype in ("int", "double", "bool"):
            out["aux"] = "has_" + c_name
            out["aux_type"] = "bool"
    elif kind_name == "enum" and arg:
        enum = next((e for e in model["enums"] if e["name"] == arg), None)
        if enum is None:
            fail(fwhere, f"unknown enum {arg!r} (type {ftype!r})")
        out.update(kind="ABLY_FIELD_ENUM", decl=enum["c_type"] + " {c}", enum="&" + enum["c_type"] + "_desc",
                   aux="has_" + c_name, aux_type="bool")
    elif kind_name == "object" and arg:
        target = next((t for t in model["types"] if t["name"] == arg), None)
        if target is None:
            fail(fwhere, f"unknown type {arg!r} (type {ftype!r})")
        out.update(kind="ABLY_FIELD_OBJECT", decl="struct " + target["c_type"] + " *{c}",
                   nested="&" + target["c_type"] + "_desc")
    elif kind_name == "array" and arg == "string":
        out.update(kind="ABLY_FIELD_STRING_ARRAY", decl="char **{c}", aux=c_name + "_count",
                   aux_type="size_t")
    elif kind_name == "array" and arg:
        target = next((t for t in model["types"] if t["name"] == arg), None)
        if target is None:
            fail(fwhere, f"unknown type {arg!r} (type {ftype!r}); arrays hold `string` or a type")
        out.update(kind="ABLY_FIELD_OBJECT_ARRAY", decl="struct " + target["c_type"] + " *{c}",
                   nested="&" + target["c_type"] + "_desc", aux=c_name + "_count", aux_type="size_t")
    elif ftype == "map:string":
        out.update(kind="ABLY_FIELD_STRING_MAP", decl="ably_string_map {c}")
    elif ftype == "map:number":
        out.update(kind="ABLY_FIELD_NUMBER_MAP", decl="ably_number_map {c}")
    else:
        fail(fwhere, f"unknown field type {ftype!r} (allowed: string, int, double, bool, data, json, "
                     "enum:Name, object:Type, array:Type, array:string, map:string, map:number)")
    for c in (c_name, out["aux"]):
        if c is not None and c in c_names:
            fail(fwhere, f"C member name {c!r} clashes with another field; rename with `c:`")
        if c is not None:
            c_names.add(c)
    out["decl"] = out["decl"].format(c=c_name)
    if out["encoding_field"] is not None and out["kind"] != "ABLY_FIELD_DATA":
        fail(fwhere, "`encoding_field` is only allowed on `data` fields")
    if required and out["kind"] in ("ABLY_FIELD_STRING_MAP", "ABLY_FIELD_NUMBER_MAP"):
        fail(fwhere, "maps cannot be `required` (an empty map is omitted on the wire)")
    return out


def resolve_types(model):
    for t in model["types"]:
        c_names, wires, fields = set(), set(), []
        for raw in t["raw_fields"]:
            f = resolve_field(t["where"], raw, model, c_names)
            if f["wire"] in wires:
                fail(f"{t['where']}, field {raw.get('name')}", f"duplicate wire name {f['wire']!r}")
            wires.add(f["wire"])
            fields.append(f)
        for f in fields:
            f["encoding_index"] = -1
            if f["encoding_field"] is None:
                continue
            idx = next((i for i, g in enumerate(fields) if g["wire"] == f["encoding_field"]), None)
            if idx is None or fields[idx]["kind"] != "ABLY_FIELD_STRING":
                fail(f"{t['where']}, field {f['wire']}",
                     f"`encoding_field` {f['encoding_field']!r} must name a string field of {t['name']}")
            f["encoding_index"] = idx
        t["fields"] = fields
        t["name_lit"] = c_string(t["name"])
        t["spec_lit"] = c_string(t["spec"])


def build_model(root):
    model = {"names": {}, "enums": [], "flags": [], "types": []}
    schemas = load_schemas(root)
    # Enums and types first in every file, so fields can reference names from any file.
    for rel, doc in schemas:
        parse_enums(rel, doc.get("enums"), model)
        parse_flags(rel, doc.get("flags"), model)
        parse_types(rel, doc.get("types"), model)
    c_types = {}
    for t in model["types"]:
        if t["c_type"] in c_types:
            fail(t["where"], f"C type {t['c_type']} also used by {c_types[t['c_type']]}")
        c_types[t["c_type"]] = t["name"]
    resolve_types(model)
    model["files"] = [rel for rel, _ in schemas]
    return model


def generate(root):
    model = build_model(pathlib.Path(root))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(pathlib.Path(root) / "codegen" / "templates")),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    return {
        "include/ably/gen/types.h": env.get_template("types_h.j2").render(**model),
        "src/types.c": env.get_template("types_c.j2").render(**model),
    }
