"""The spec-item registry: spec/features.json as a sorted, searchable C table.

Emits include/ably/gen/spec_registry.h and src/spec_registry.c. Tests and the
library use it to check that a spec ID exists and is live; the version macros
are the single C-side source of the spec and protocol version numbers.
"""
import collections
import json
import pathlib

import jinja2

STATUS_ENUM = {
    "active": "ABLY_SPEC_ACTIVE",
    "deprecated": "ABLY_SPEC_DEPRECATED",
    "deleted": "ABLY_SPEC_DELETED",
    "replaced": "ABLY_SPEC_REPLACED",
    "renamed": "ABLY_SPEC_RENAMED",
    "inactive": "ABLY_SPEC_INACTIVE",
}
SECTION_SEPARATOR = " / "


def c_string(text):
    """A C string literal for UTF-8 `text`. Non-ASCII bytes become octal escapes
    (at most three digits, so a following character can never extend them)."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F and char != "?":   # '?' avoids trigraphs
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def load_features(root):
    doc = json.loads((root / "spec" / "features.json").read_text(encoding="utf-8"))
    counts = collections.Counter(item["id"] for item in doc["items"])
    duplicates = sorted(i for i, n in counts.items() if n > 1)
    if duplicates:
        # An ID that names two items cannot tag a test unambiguously; fix upstream
        # (or special-case it in import_spec.py) before generating.
        raise SystemExit(f"registry: duplicate spec IDs in spec/features.json: {', '.join(duplicates)}")
    for item in doc["items"]:
        if item["status"] not in STATUS_ENUM:
            raise SystemExit(f"registry: {item['id']} has unknown status {item['status']!r}")
    return doc


def table_rows(items):
    """Items sorted by the UTF-8 bytes of their ID, which is the order strcmp sees."""
    rows = []
    for item in sorted(items, key=lambda i: i["id"].encode("utf-8")):
        rows.append({
            "id": c_string(item["id"]),
            "section": c_string(SECTION_SEPARATOR.join(item["section"])),
            "parent": c_string(item["parent"]) if item["parent"] else "NULL",
            "status": STATUS_ENUM[item["status"]],
            "line": int(item["line"]),
        })
    return rows


def generate(root: pathlib.Path) -> dict:
    doc = load_features(root)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root / "codegen" / "templates")),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True)
    context = {
        "spec_version": doc["spec_version"],
        "protocol_version": int(doc["protocol_version"]),
        "counts": doc["counts"],
        "rows": table_rows(doc["items"]),
        "separator": SECTION_SEPARATOR,
        "url_base": doc["url_base"],
    }
    return {
        "include/ably/gen/spec_registry.h": env.get_template("registry_h.j2").render(context),
        "src/spec_registry.c": env.get_template("registry_c.j2").render(context),
    }
