#!/usr/bin/env python3
"""Spec items that are new, removed or changed between two features.json files,
with the tests that name each one.

    spec_diff.py --old OLD.json [--new spec/features.json] [--tests tests] [--out FILE.md]

"Changed" means a different status (e.g. active -> deleted), a different parent
or a different section. The tests are found by reading every ABLY_TEST(...) and
ABLY_TEST_SETUP_TEARDOWN(...) registration under --tests, so a test naming an
ID that has just died is listed even though the report now rejects it.
Exit status 0; 1 only when a file cannot be read. Standard library only.
"""
import argparse
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LIVE = ("active", "deprecated")
REGISTRATION_RE = re.compile(r'ABLY_TEST(?:_SETUP_TEARDOWN)?\(\s*(\w+)\s*,\s*"([^"]*)"')


def c_string(text):
    """A C string literal's \\xNN escapes as UTF-8 (tests may write TR3\\xce\\xbd)."""
    raw = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))
    return raw.decode("utf-8", errors="replace")


def tests_by_id(tests_dir):
    """{ID: ['unit/test_x.c:fn', ...]} from the registrations in the C test sources."""
    out = {}
    for path in sorted(pathlib.Path(tests_dir).glob("*/test_*.c")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for fn, ids in REGISTRATION_RE.findall(text):
            ids = c_string(ids)
            for ident in ids.split():
                out.setdefault(ident, []).append(f"{path.parent.name}/{path.name}:{fn}")
    return out


def diff(old_doc, new_doc):
    """[(kind, id, detail)] with kind in new / removed / changed, in spec order."""
    old = {i["id"]: i for i in old_doc["items"]}
    new = {i["id"]: i for i in new_doc["items"]}
    rows = []
    for ident, item in new.items():
        before = old.get(ident)
        if before is None:
            rows.append(("new", ident, item["status"]))
            continue
        changes = [f"{field}: {before[field]} -> {item[field]}" for field in ("status", "parent")
                   if before.get(field) != item.get(field)]
        if before.get("section") != item.get("section"):
            changes.append(f"section: {' / '.join(before['section'])} -> {' / '.join(item['section'])}")
        if changes:
            rows.append(("changed", ident, "; ".join(changes)))
    rows.extend(("removed", ident, item["status"]) for ident, item in old.items() if ident not in new)
    return rows


def render(rows, tests, old_doc, new_doc):
    out = [f"# Spec changes: {old_doc.get('spec_version')} -> {new_doc.get('spec_version')}", ""]
    if not rows:
        return "\n".join(out + ["No spec item was added, removed or changed.", ""])
    counts = {k: sum(r[0] == k for r in rows) for k in ("new", "removed", "changed")}
    out += [f"{counts['new']} new, {counts['removed']} removed, {counts['changed']} changed.", "",
            "| change | ID | detail | tests naming it |", "|---|---|---|---|"]
    for kind, ident, detail in rows:
        named = ", ".join(tests.get(ident, [])) or "-"
        out.append(f"| {kind} | {ident} | {detail} | {named} |")
    stale = [(i, d) for k, i, d in rows if tests.get(i) and (k == "removed" or "-> deleted" in d
             or "-> replaced" in d or "-> renamed" in d or "-> inactive" in d)]
    if stale:
        out += ["", "Tests that now name an item that is no longer live (fix their tags):", ""]
        out += [f"- {i}: {', '.join(tests[i])}" for i, _ in stale]
    return "\n".join(out) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="features.json before the re-import")
    parser.add_argument("--new", default=str(ROOT / "spec" / "features.json"))
    parser.add_argument("--tests", default=str(ROOT / "tests"), help="directory of <tier>/test_*.c")
    parser.add_argument("--out", help="also write the Markdown here")
    args = parser.parse_args(argv)
    try:
        old_doc = json.loads(pathlib.Path(args.old).read_text(encoding="utf-8"))
        new_doc = json.loads(pathlib.Path(args.new).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"spec_diff: {exc}", file=sys.stderr)
        return 1
    text = render(diff(old_doc, new_doc), tests_by_id(args.tests), old_doc, new_doc)
    print(text, end="")
    if args.out:
        pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
