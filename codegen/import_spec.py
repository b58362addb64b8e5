#!/usr/bin/env python3
"""Import the list of features-spec items into spec/features.json.

Reads the upstream features spec (markdown) and records, for every item line
`` - `(ID)` ... ``: its ID, heading path, enclosing item, depth, status and line
number. No upstream prose is stored: the spec text stays upstream and is linked
by URL. Also copies the spec/protocol version numbers into spec/versions.yaml.

Standard library only, so it runs under any python3.

Status rules (decided from the item's own text, then its ancestors):
  deleted     "This clause has been deleted" (or "... removed")
  replaced    "This clause has been replaced by ...", "(Moved to ...)",
              or a leading note that this clause has been superseded
  renamed     "This clause has been renamed ..."
  deprecated  marked "(deprecated)", "(optional, deprecated)" or "soft-deprecated"
  inactive    otherwise live text under a deleted/replaced/renamed/inactive ancestor
  active      everything else
"Live" means active or deprecated: the items a client library must implement.
"""
import argparse
import collections
import json
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = "../shared/upstream/specification/specifications/features.md"
VERSIONS_RELATIVE = "../build/data/versions.yaml"  # from the features.md directory
URL_BASE = "https://github.com/ably/specification/blob/main/specifications/features.md#"
FORMAT = 1

ACTIVE, DEPRECATED = "active", "deprecated"
DELETED, REPLACED, RENAMED, INACTIVE = "deleted", "replaced", "renamed", "inactive"
STATUSES = (ACTIVE, DEPRECATED, DELETED, REPLACED, RENAMED, INACTIVE)
LIVE = frozenset((ACTIVE, DEPRECATED))
DEAD = frozenset((DELETED, REPLACED, RENAMED, INACTIVE))

# An item: indentation, a list marker, then the ID in backticked parentheses.
# IDs are letters and digits, but not only ASCII (TR3ν), so match "not ) or space".
ITEM_RE = re.compile(r"^( *)[-*] `\(([^)`\s]+)\)`(.*)$")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE_RE = re.compile(r"^\s*(```|~~~)")
ANCHOR_RE = re.compile(r"\s*\{#[^}]*\}\s*$")

_CLAUSE_RE = re.compile(r"^this clause has been (deleted|removed|replaced|renamed)\b")
_SUPERSEDED_RE = re.compile(r"^\(?please note this clause\b[^)]*\bsuperseded\b")
_DEPRECATED_RE = re.compile(r"\((?:optional, )?deprecated\)|\bsoft-deprecated\b")


def own_status(text):
    """Status an item declares about itself, ignoring its ancestors."""
    plain = text.replace("*", "").strip().lower()
    match = _CLAUSE_RE.match(plain)
    if match:
        return {"deleted": DELETED, "removed": DELETED,
                "replaced": REPLACED, "renamed": RENAMED}[match.group(1)]
    if plain.startswith("(moved to ") or _SUPERSEDED_RE.match(plain):
        return REPLACED
    if _DEPRECATED_RE.search(plain):
        return DEPRECATED
    return ACTIVE


def clean_heading(text):
    """Heading text without its {#anchor} and inline markup."""
    text = ANCHOR_RE.sub("", text)
    return re.sub(r"\s+", " ", text.replace("**", "").replace("`", "")).strip()


def parse_items(lines):
    """Every item in document order, as dicts (see module docstring for fields).

    Nesting follows indentation and restarts at every heading. Fenced code
    blocks are skipped so that a `#` or list line inside one is not misread.
    """
    items = []
    headings = []          # [(level, text)] of the headings enclosing this line
    stack = []             # [(indent, item)] of the open items enclosing this line
    in_fence = False
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\n").rstrip("\r")
        if FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = HEADING_RE.match(line)
        if heading:
            level = len(heading.group(1))
            headings = [h for h in headings if h[0] < level] + [(level, clean_heading(heading.group(2)))]
            stack = []
            continue
        match = ITEM_RE.match(line.expandtabs(4))
        if not match:
            continue
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else None
        status = own_status(match.group(3))
        if status in LIVE and parent is not None and parent["status"] in DEAD:
            status = INACTIVE
        item = {
            "id": match.group(2),
            "section": [h[1] for h in headings],
            "parent": parent["id"] if parent else None,
            "depth": len(stack),
            "status": status,
            "line": number,
        }
        items.append(item)
        stack.append((indent, item))
    return items


def duplicate_ids(items):
    counts = collections.Counter(item["id"] for item in items)
    return sorted(i for i, n in counts.items() if n > 1)


def read_versions(path):
    """{'specification': '6.1.1', 'protocol': 6} from upstream's flat versions.yaml."""
    versions = {}
    for line in pathlib.Path(path).read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(specification|protocol)\s*:\s*[\"']?([^\"'#\s]+)", line)
        if match:
            versions[match.group(1)] = match.group(2)
    missing = {"specification", "protocol"} - set(versions)
    if missing:
        raise ValueError(f"{path}: no {', '.join(sorted(missing))} version")
    return {"specification": versions["specification"], "protocol": int(versions["protocol"])}


def count_statuses(items):
    counts = collections.Counter(item["status"] for item in items)
    result = {"total": len(items), "live": sum(counts[s] for s in LIVE)}
    result.update({s: counts[s] for s in STATUSES})
    return result


def build_document(items, versions, source):
    return {
        "format": FORMAT,
        "spec_version": versions["specification"],
        "protocol_version": versions["protocol"],
        "source": source,
        "url_base": URL_BASE,
        "counts": count_statuses(items),
        "duplicate_ids": duplicate_ids(items),
        "items": items,
    }


def render_json(doc):
    """Deterministic text with one item per line, so diffs stay readable."""
    head = {k: v for k, v in doc.items() if k != "items"}
    out = ["{"]
    for key, value in head.items():
        out.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    out.append('  "items": [')
    rows = [json.dumps(item, ensure_ascii=False, separators=(", ", ": ")) for item in doc["items"]]
    out.append(",\n".join("    " + row for row in rows))
    out.append("  ]")
    out.append("}")
    return "\n".join(out) + "\n"


def render_versions(versions, source):
    return (f"# Written by codegen/import_spec.py from {source}; do not edit.\n"
            f"# The features spec version libably implements, and the wire protocol version it speaks.\n"
            f"specification: \"{versions['specification']}\"\n"
            f"protocol: {versions['protocol']}\n")


def diff_items(old_items, new_items):
    """Lines describing added/removed IDs and status changes between two imports."""
    old = {item["id"]: item for item in old_items}
    new = {item["id"]: item for item in new_items}
    lines = []
    for ident in sorted(set(new) - set(old)):
        lines.append(f"added:   {ident} ({new[ident]['status']})")
    for ident in sorted(set(old) - set(new)):
        lines.append(f"removed: {ident} (was {old[ident]['status']})")
    for ident in sorted(set(old) & set(new)):
        if old[ident]["status"] != new[ident]["status"]:
            lines.append(f"status:  {ident} {old[ident]['status']} -> {new[ident]['status']}")
    return lines


def prefix_of(ident):
    match = re.match(r"[A-Za-z]+", ident)
    return match.group(0) if match else ident


def render_table(items):
    by_prefix = collections.defaultdict(list)
    for item in items:
        by_prefix[prefix_of(item["id"])].append(item)
    columns = ("total", "live") + STATUSES
    out = [f"{'prefix':<8}" + "".join(f"{c:>11}" for c in columns)]
    for prefix in sorted(by_prefix):
        counts = count_statuses(by_prefix[prefix])
        out.append(f"{prefix:<8}" + "".join(f"{counts[c]:>11}" for c in columns))
    counts = count_statuses(items)
    out.append(f"{'all':<8}" + "".join(f"{counts[c]:>11}" for c in columns))
    return "\n".join(out)


def summary_line(counts):
    return (f"{counts['total']} items: {counts['live']} live ({counts['active']} active, "
            f"{counts['deprecated']} deprecated); {counts['deleted']} deleted, "
            f"{counts['replaced']} replaced, {counts['renamed']} renamed, "
            f"{counts['inactive']} inactive (under a dead ancestor)")


def display_path(path, root):
    """Path relative to the project root when it is in or beside it (as ../shared is),
    so that the output does not depend on where the checkout lives; else absolute."""
    try:
        rel = os.path.relpath(path, root)
    except ValueError:
        return str(path)
    return str(os.path.abspath(path)) if rel.startswith(os.path.join(os.pardir, os.pardir)) else rel


def import_spec(source, root, versions_path=None):
    """(features.json text, versions.yaml text, document) for the spec at `source`.

    The version numbers come from `versions_path`, by default upstream's
    build/data/versions.yaml next to the specifications/ directory.
    """
    source = pathlib.Path(source)
    items = parse_items(source.read_text(encoding="utf-8").splitlines())
    if versions_path is None:
        versions_path = pathlib.Path(os.path.normpath(source.parent / VERSIONS_RELATIVE))
    versions = read_versions(versions_path)
    doc = build_document(items, versions, display_path(source, root))
    return render_json(doc), render_versions(versions, display_path(versions_path, root)), doc


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help=f"features.md to read (default {DEFAULT_SOURCE}, from the project root)")
    parser.add_argument("--versions", help="versions.yaml to read (default: upstream's, beside --source)")
    parser.add_argument("--out", help="features.json to write (default spec/features.json)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the output would change")
    parser.add_argument("--table", action="store_true",
                        help="print per-prefix counts and exit without writing")
    args = parser.parse_args(argv)

    root = ROOT
    source = pathlib.Path(args.source) if args.source else pathlib.Path(os.path.normpath(root / DEFAULT_SOURCE))
    out = pathlib.Path(args.out) if args.out else root / "spec" / "features.json"
    versions_out = out.parent / "versions.yaml"
    try:
        json_text, versions_text, doc = import_spec(source, root, args.versions)
    except (OSError, ValueError) as exc:
        print(f"import_spec: cannot import: {exc}", file=sys.stderr)
        return 2

    if args.table:
        print(render_table(doc["items"]))
        return 0
    for ident in doc["duplicate_ids"]:
        lines = [str(i["line"]) for i in doc["items"] if i["id"] == ident]
        print(f"import_spec: duplicate ID {ident} at lines {', '.join(lines)}", file=sys.stderr)

    old_items = []
    if out.exists():
        old_items = json.loads(out.read_text(encoding="utf-8")).get("items", [])
        for line in diff_items(old_items, doc["items"]):
            print(line)
    changed = [p for p, text in ((out, json_text), (versions_out, versions_text))
               if not p.exists() or p.read_text(encoding="utf-8") != text]
    print(summary_line(doc["counts"]))
    if args.check:
        for path in changed:
            print(f"import_spec: {display_path(path, root)} is out of date; run codegen/import_spec.py")
        return 1 if changed else 0
    for path, text in ((out, json_text), (versions_out, versions_text)):
        if path in changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"import_spec: wrote {display_path(path, root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
