"""The committed expectations and the CI gate that holds a run to them.

Three committed files (paths are report.py options):
  harness/not_applicable.yaml  `not_applicable:` ID or `ID*` -> reason. Items a C
                               library on Linux cannot or should not implement.
  harness/known_failures.yaml  `known_failures:` ID -> reason. Items whose tests
                               fail today, on purpose and tracked.
  harness/baseline.json        the passing IDs of a clean CI run (with the tiers
                               that made each pass) and the coverage numbers.

`ID*` names the item and every item nested under it in the spec; a plain ID
names that item only.
"""
import json
import pathlib

from . import miniyaml

LIVE = ("active", "deprecated")
BASELINE_FORMAT = 1


class Spec:
    """features.json with the lookups the harness needs."""

    def __init__(self, doc):
        self.doc = doc
        self.items = {item["id"]: item for item in doc["items"]}
        self.children = {}
        for item in doc["items"]:
            self.children.setdefault(item["parent"], []).append(item["id"])

    def is_live(self, ident):
        item = self.items.get(ident)
        return item is not None and item["status"] in LIVE

    def subtree(self, ident):
        """ident and every item nested under it, in document order."""
        out, stack = [], [ident]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(reversed(self.children.get(current, [])))
        return out

    def expand(self, pattern):
        """Live IDs named by `ID` or `ID*`; ValueError when the ID is unknown or dead."""
        base = pattern[:-1] if pattern.endswith("*") else pattern
        item = self.items.get(base)
        if item is None:
            raise ValueError(f"unknown spec ID {base}")
        if item["status"] not in LIVE:
            raise ValueError(f"spec ID {base} is {item['status']}, not live")
        ids = self.subtree(base) if pattern.endswith("*") else [base]
        return [i for i in ids if self.is_live(i)]


def _read_reasons(path, top_key):
    """{pattern: reason} from a committed list; {} when the file is absent or empty."""
    path = pathlib.Path(path)
    if not path.exists():
        return {}
    doc = miniyaml.load_file(path) or {}
    if not isinstance(doc, dict) or set(doc) - {top_key}:
        raise ValueError(f"{path}: expected a single top-level key `{top_key}:`")
    entries = doc.get(top_key) or {}
    if not isinstance(entries, dict):
        raise ValueError(f"{path}: `{top_key}:` must map IDs to reasons")
    for pattern, reason in entries.items():
        if not isinstance(reason, str) or len(reason.strip()) < 10:
            raise ValueError(f"{path}: {pattern}: give a reason (a sentence, not {reason!r})")
    return entries


def load_list(path, top_key, spec, allow_patterns):
    """({ID: reason}, [problems]) with patterns expanded to live IDs."""
    problems, out = [], {}
    try:
        entries = _read_reasons(path, top_key)
    except ValueError as exc:
        return {}, [str(exc)]
    for pattern, reason in entries.items():
        if pattern.endswith("*") and not allow_patterns:
            problems.append(f"{path}: {pattern}: list single IDs here, not patterns")
            continue
        try:
            for ident in spec.expand(pattern):
                out.setdefault(ident, reason.strip())
        except ValueError as exc:
            problems.append(f"{path}: {pattern}: {exc}")
    return out, problems


def load_baseline(path):
    path = pathlib.Path(path)
    if not path.exists():
        return None
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("format") != BASELINE_FORMAT:
        raise ValueError(f"{path}: unknown baseline format {doc.get('format')!r}")
    return doc


def make_baseline(report):
    """The baseline for a clean run: each passing ID with the tiers its passing tests ran in."""
    passed = {}
    for ident, entry in report["ids"].items():
        if entry["status"] == "passed":
            tiers = sorted({t["tier"] for t in entry["tests"] if t["outcome"] == "passed"})
            passed[ident] = tiers
    return {
        "format": BASELINE_FORMAT,
        "spec_version": report["spec_version"],
        "tiers": report["tiers_ran"],
        "totals": {k: report["totals"][k] for k in ("live", "passed", "not_applicable")},
        "passed": dict(sorted(passed.items())),
    }


def render_baseline(baseline):
    """JSON with one ID per line, so a refresh reads well in a diff."""
    head = {k: v for k, v in baseline.items() if k != "passed"}
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "passed": {']
    entries = [f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v)}" for k, v in baseline["passed"].items()]
    lines.append(",\n".join(entries))
    lines.append("}}")
    return "\n".join(lines) + "\n"


def gate(report, baseline, spec):
    """Messages for everything that must fail CI, each naming the spec ID concerned."""
    problems = []
    ids = report["ids"]
    ran = set(report["tiers_ran"])
    for ident, entry in ids.items():
        if entry["status"] == "failed":
            tests = ", ".join(t["label"] for t in entry["tests"] if t["outcome"] == "failed")
            problems.append(f"{ident}: failing and not a known failure (harness/known_failures.yaml): {tests}")
        if entry.get("stale_known_failure"):
            problems.append(f"{ident}: listed in harness/known_failures.yaml but now passes: "
                            "remove the entry (stale)")
    if baseline is None:
        problems.append("no baseline (harness/baseline.json): create it with report.py --update-baseline")
        return problems
    if baseline.get("spec_version") != report["spec_version"]:
        problems.append(f"baseline is for spec {baseline.get('spec_version')}, this run is "
                        f"{report['spec_version']}: refresh it with --update-baseline")
    for ident, tiers in baseline["passed"].items():
        if not ran & set(tiers):
            continue                    # the tiers that made it pass did not run this time
        if not spec.is_live(ident):
            problems.append(f"{ident}: passed in the baseline but is no longer live in spec/ "
                            "(refresh the baseline)")
            continue
        status = ids[ident]["status"]
        if status != "passed":
            problems.append(f"{ident}: regressed: passed in the baseline ({'/'.join(tiers)}), now {status}")
    if set(baseline["tiers"]) <= ran:
        now, then = report["totals"]["passed"], baseline["totals"]["passed"]
        if now < then:
            problems.append(f"coverage fell: {now} passing live IDs, baseline {then}")
    return problems
