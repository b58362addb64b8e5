#!/usr/bin/env python3
"""Check spec/schema/*.yaml against the features spec and itself.

- every `spec:` ID (on enums, values, flags, types, fields) is an ID in spec/features.json,
  and is not a deleted or replaced clause;
- every `spec:` in spec/defaults.yaml is likewise a live ID;
- the generator's own validation (ablygen.types.build_model) passes, which also resolves every
  `enum:` / `object:` / `array:` reference.
Exits 1 with one line per problem.
"""
import json
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "codegen"))

DEAD = {"deleted", "replaced", "renamed"}


def spec_ids(doc):
    """Yield (where, id) for every spec: in one schema document."""
    for section in ("enums", "flags", "types"):
        for entry in doc.get(section) or []:
            name = entry.get("name", "?")
            yield f"{section[:-1]} {name}", entry.get("spec")
            for key in ("values", "fields"):
                for item in entry.get(key) or []:
                    yield f"{section[:-1]} {name}.{item.get('name', '?')}", item.get("spec")


def main():
    features = json.loads((ROOT / "spec" / "features.json").read_text(encoding="utf-8"))
    status = {item["id"]: item["status"] for item in features["items"]}
    problems, checked = [], 0
    for path in sorted((ROOT / "spec" / "schema").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(doc, dict) or not ({"enums", "flags", "types"} & set(doc)):
            continue
        for where, sid in spec_ids(doc):
            checked += 1
            if sid not in status:
                problems.append(f"{path.name}: {where}: spec ID {sid!r} is not in features.json")
            elif status[sid] in DEAD:
                problems.append(f"{path.name}: {where}: spec ID {sid} is {status[sid]}")
    defaults = yaml.safe_load((ROOT / "spec" / "defaults.yaml").read_text(encoding="utf-8"))
    for entry in defaults.get("defaults") or []:
        checked += 1
        sid = entry.get("spec")
        if status.get(sid) is None or status[sid] in DEAD:
            problems.append(f"defaults.yaml: {entry.get('name')}: spec ID {sid!r} is not a live ID")
    try:
        from ablygen import types
        model = types.build_model(ROOT)
    except SystemExit as exc:
        problems.append(str(exc))
        model = None
    for p in problems:
        print(p)
    if model is not None:
        print(f"check_schema: {checked} spec IDs; {len(model['types'])} types, "
              f"{len(model['enums'])} enums, {len(model['flags'])} flag sets")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
