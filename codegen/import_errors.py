#!/usr/bin/env python3
"""Import Ably's error codes: ../shared/upstream/ably-common/protocol/errors.json -> spec/errors.json.

Keeps, per code: the code, a C name (from the upstream identifier), the upstream identifier,
the short title (used as the default message) and the HTTP status chosen by
spec/error_status.yaml. The long upstream `summary` prose is deliberately not copied.
Output is sorted by code and deterministic. `--check` exits 1 if spec/errors.json is stale.
"""
import argparse
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
UPSTREAM = ROOT.parent / "shared" / "upstream" / "ably-common" / "protocol" / "errors.json"
STATUS = ROOT / "spec" / "error_status.yaml"
OUT = ROOT / "spec" / "errors.json"


def c_name(identifier):
    """no_error -> NO_ERROR; anything outside [A-Za-z0-9] becomes _, and a leading digit gets E_."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", identifier).strip("_").upper()
    if not name:
        raise SystemExit(f"import_errors: empty identifier {identifier!r}")
    return "E_" + name if name[0].isdigit() else name


def load_status_rules():
    doc = yaml.safe_load(STATUS.read_text(encoding="utf-8"))
    families = doc.get("families") or []
    codes = {int(k): int(v) for k, v in (doc.get("codes") or {}).items()}
    for fam in families:
        if set(fam) != {"from", "to", "status"} or fam["from"] > fam["to"]:
            raise SystemExit(f"import_errors: {STATUS.name}: bad family {fam}")
    return families, codes


def http_status(code, families, overrides):
    if code in overrides:
        return overrides[code]
    if 40000 <= code <= 59999:
        return code // 100
    for fam in families:
        if fam["from"] <= code <= fam["to"]:
            return fam["status"]
    raise SystemExit(f"import_errors: code {code} has no HTTP status; add its family to {STATUS.name}")


def build():
    upstream = json.loads(UPSTREAM.read_text(encoding="utf-8"))["codes"]
    families, overrides = load_status_rules()
    entries, names = [], {}
    for key in sorted(upstream, key=int):
        info, code = upstream[key], int(key)
        name = c_name(info["identifier"])
        if name in names:
            raise SystemExit(f"import_errors: C name {name} for both {names[name]} and {code}")
        names[name] = code
        status = http_status(code, families, overrides)
        if not 100 <= status <= 599:
            raise SystemExit(f"import_errors: code {code}: status {status} is not an HTTP status")
        entries.append({"code": code, "name": name, "identifier": info["identifier"],
                        "title": info["title"].strip(), "status": status})
    unknown = sorted(set(overrides) - {e["code"] for e in entries})
    if unknown:
        raise SystemExit(f"import_errors: {STATUS.name} names codes not upstream: {unknown}")
    doc = {
        "_comment": "Written by codegen/import_errors.py from ably-common/protocol/errors.json "
                    "and spec/error_status.yaml; do not edit.",
        "source": "../shared/upstream/ably-common/protocol/errors.json",
        "codes": entries,
    }
    lines = ["{"]
    lines += [f'  "{k}": {json.dumps(doc[k])},' for k in ("_comment", "source")]
    lines.append('  "codes": [')
    lines += ["    " + json.dumps(e, ensure_ascii=False) + ("," if i + 1 < len(entries) else "")
              for i, e in enumerate(entries)]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if spec/errors.json is out of date")
    args = parser.parse_args()
    text = build()
    current = OUT.read_text(encoding="utf-8") if OUT.exists() else None
    if args.check:
        if current != text:
            print("import_errors: spec/errors.json is out of date; run codegen/import_errors.py")
            return 1
        print("import_errors: spec/errors.json is up to date")
        return 0
    if current != text:
        OUT.write_text(text, encoding="utf-8")
    print(f"import_errors: {text.count(chr(10) + '    {')} codes -> spec/errors.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
