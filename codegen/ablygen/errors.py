"""Ably error codes: spec/errors.json -> generated errors.h / errors.c.

errors.h: one `#define ABLY_ERR_<NAME> <code>` per code, the ably_error_code_info record
and `ably_error_code_lookup`. errors.c: the table, sorted by code, and a binary search over it.
spec/errors.json itself is written by codegen/import_errors.py.
"""
import json
import pathlib
import re

import jinja2

IDENT = re.compile(r"^[A-Z][A-Z0-9_]*$")


def c_string(text):
    """A C string literal for any UTF-8 text: printable ASCII as is, other bytes as octal escapes
    (octal, not hex, so a following hex digit cannot extend the escape)."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= byte <= 0x7e and ch != "?":  # '?' avoided: no trigraph surprises
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def load(root):
    doc = json.loads((root / "spec" / "errors.json").read_text(encoding="utf-8"))
    codes, seen_codes, seen_names = doc["codes"], set(), set()
    for e in codes:
        where = f"spec/errors.json: code {e.get('code')}"
        if not isinstance(e.get("code"), int) or e["code"] in seen_codes:
            raise SystemExit(f"codegen errors: {where}: code must be a unique integer")
        if not IDENT.match(e.get("name", "")) or e["name"] in seen_names:
            raise SystemExit(f"codegen errors: {where}: name must be a unique UPPER_SNAKE identifier")
        if not isinstance(e.get("status"), int) or not 100 <= e["status"] <= 599:
            raise SystemExit(f"codegen errors: {where}: status must be an HTTP status")
        seen_codes.add(e["code"])
        seen_names.add(e["name"])
    codes = sorted(codes, key=lambda e: e["code"])
    return [dict(e, identifier_lit=c_string(e["identifier"]), title_lit=c_string(e["title"]))
            for e in codes]


def generate(root):
    root = pathlib.Path(root)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(root / "codegen" / "templates")),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    codes = load(root)
    width = max(len(e["name"]) for e in codes)
    return {
        "include/ably/gen/errors.h": env.get_template("errors_h.j2").render(codes=codes, width=width),
        "src/errors.c": env.get_template("errors_c.j2").render(codes=codes),
    }
