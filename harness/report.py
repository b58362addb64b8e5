#!/usr/bin/env python3
"""Spec coverage report from the test results of one run.

Reads every JUnit-style XML file in --results (cmocka writes one per test
binary, named <tier>_<binary>.xml), checks each test's spec-ID tags against
spec/features.json, and prints per spec section how many live items exist, how
many have a test, and how many of those pass. Writes OUT/coverage.json.

Exit status 1 when any test failed, a test has no IDs, a test names an ID that
is unknown or not live, or a results file cannot be read; 0 otherwise.

Tiers: unit, sandbox and fault tests are client coverage. server (tests of our
sandbox server) and tool (tests of our own tooling, e.g. the spec importer) are
listed separately and never count as client coverage; tool tests may omit IDs.

Standard library only: it may run under any python3.
"""
import argparse
import collections
import json
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLIENT_TIERS = ("unit", "sandbox", "fault")
SEPARATE_TIERS = ("server", "tool")
IDS_OPTIONAL_TIERS = ("tool",)
LIVE = ("active", "deprecated")
FORMAT = 1

PASSED, FAILED, SKIPPED, UNTESTED = "passed", "failed", "skipped", "untested"

# "fn_name [RSL1a RSL1b]": the IDs are the bracketed, space-separated tail.
NAME_RE = re.compile(r"^(?P<fn>.*?)\s*\[(?P<ids>[^\[\]]*)\]\s*$")


class Test:
    """One test case from a results file."""

    def __init__(self, tier, binary, name, outcome, message=""):
        self.tier, self.binary, self.name = tier, binary, name
        self.outcome, self.message = outcome, message
        match = NAME_RE.match(name)
        self.ids = match.group("ids").split() if match else []

    @property
    def label(self):
        return f"{self.tier}/{self.binary}: {self.name}"

    def as_json(self):
        out = {"tier": self.tier, "binary": self.binary, "name": self.name, "outcome": self.outcome}
        if self.message:
            out["message"] = self.message
        return out


def tier_and_binary(path):
    """('unit', 'test_codec') from unit_test_codec.xml."""
    tier, _, binary = path.stem.partition("_")
    return tier, binary or path.stem


def outcome_of(failure, error, skipped):
    if failure or error:
        return FAILED
    return SKIPPED if skipped else PASSED


def cases_from_tree(text):
    """[(name, outcome, message)] via a real XML parser."""
    root = ET.fromstring(text)
    cases = []
    for case in root.iter("testcase"):
        failure, error = case.find("failure"), case.find("error")
        bad = failure if failure is not None else error
        message = (bad.text or bad.get("message") or "").strip() if bad is not None else ""
        cases.append((case.get("name", ""),
                      outcome_of(failure is not None, error is not None, case.find("skipped") is not None),
                      message))
    return cases


# cmocka 1.1.5 does not escape test names, so a name holding '<' or '&' makes
# the file invalid XML. Fall back to reading cmocka's fixed layout directly.
CASE_RE = re.compile(r'<testcase name="(?P<name>.*?)" time="[^"]*"\s*>(?P<body>.*?)</testcase>', re.S)
CDATA_RE = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)


def cases_from_cmocka_text(text):
    cases = []
    for match in CASE_RE.finditer(text):
        body = match.group("body")
        cdata = CDATA_RE.search(body)
        cases.append((match.group("name"),
                      outcome_of("<failure" in body, "<error" in body, "<skipped" in body),
                      cdata.group(1).strip() if cdata else ""))
    return cases


def read_results_file(path):
    """The tests in one results file; raises ValueError when it is unreadable."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        cases = cases_from_tree(text)
    except ET.ParseError as exc:
        cases = cases_from_cmocka_text(text)
        if not cases or "</testsuites>" not in text:
            raise ValueError(f"{path.name}: not readable as test results ({exc}); "
                             "did the test binary crash while writing it?") from exc
    tier, binary = tier_and_binary(path)
    return [Test(tier, binary, name, outcome, message) for name, outcome, message in cases]


def load_spec(path):
    doc = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    return doc, {item["id"]: item for item in doc["items"]}


def prefix_of(ident):
    match = re.match(r"[A-Za-z]+", ident)
    return match.group(0) if match else ident


def group_of(item, by, depth=2):
    """The report row an item belongs to: its ID prefix, or its first `depth` headings."""
    if by == "prefix":
        return prefix_of(item["id"])
    return " / ".join(item["section"][:depth]) or "(no section)"


def validate(tests, items):
    """Problems that make the run unacceptable, one line each."""
    errors = []
    for test in tests:
        if test.tier not in CLIENT_TIERS + SEPARATE_TIERS:
            errors.append(f"{test.label}: unknown tier {test.tier!r} (results file must start "
                          f"with one of {', '.join(CLIENT_TIERS + SEPARATE_TIERS)})")
        if not test.ids and test.tier not in IDS_OPTIONAL_TIERS:
            errors.append(f"{test.label}: no spec IDs; register it with ABLY_TEST(fn, \"ID ...\")")
        for ident in test.ids:
            item = items.get(ident)
            if item is None:
                errors.append(f"{test.label}: unknown spec ID {ident}")
            elif item["status"] not in LIVE:
                errors.append(f"{test.label}: spec ID {ident} is {item['status']}, not live")
        if test.outcome == FAILED:
            first = test.message.splitlines()[0] if test.message else ""
            errors.append(f"{test.label}: FAILED {first}".rstrip())
    return errors


def id_status(tests):
    outcomes = {t.outcome for t in tests}
    if FAILED in outcomes:
        return FAILED
    return PASSED if PASSED in outcomes else UNTESTED


def coverage(tests, doc, by, depth=2):
    """(per-ID dict, per-group rows, totals) over the live items and client tests."""
    tests_by_id = collections.defaultdict(list)
    for test in tests:
        if test.tier in CLIENT_TIERS:
            for ident in test.ids:
                tests_by_id[ident].append(test)
    per_id, rows = {}, collections.OrderedDict()
    for item in doc["items"]:            # document order, so groups read top to bottom
        if item["status"] not in LIVE:
            continue
        status = id_status(tests_by_id.get(item["id"], []))
        group = group_of(item, by, depth)
        per_id[item["id"]] = {"status": status, "group": group,
                              "tests": [t.label for t in tests_by_id.get(item["id"], [])]}
        row = rows.setdefault(group, {"group": group, "live": 0, "tested": 0, PASSED: 0, FAILED: 0})
        row["live"] += 1
        row["tested"] += status != UNTESTED
        row[PASSED] += status == PASSED
        row[FAILED] += status == FAILED
    totals = {"live": len(per_id)}
    for key in ("tested", PASSED, FAILED):
        totals[key] = sum(row[key] for row in rows.values())
    totals[UNTESTED] = totals["live"] - totals["tested"]
    return per_id, list(rows.values()), totals


def tier_counts(tests):
    counts = collections.OrderedDict()
    for tier in CLIENT_TIERS + SEPARATE_TIERS:
        mine = [t for t in tests if t.tier == tier]
        counts[tier] = {"tests": len(mine), **{o: sum(t.outcome == o for t in mine)
                                               for o in (PASSED, FAILED, SKIPPED)}}
    return counts


def percent(part, whole):
    return f"{100.0 * part / whole:5.1f}%" if whole else "    -"


def render_text(rows, totals, tiers, tests, doc, by):
    width = max([len(r["group"]) for r in rows] + [len("total")])
    head = f"{'section' if by == 'section' else 'prefix':<{width}}  {'live':>5} {'tested':>7} {'passing':>8} {'failing':>8} {'passing%':>9}"
    out = [f"Spec coverage against features spec {doc['spec_version']} "
           f"(client tiers: {', '.join(CLIENT_TIERS)})", "", head, "-" * len(head)]
    for row in rows + [dict(totals, group="total")]:
        if row["group"] == "total":
            out.append("-" * len(head))
        out.append(f"{row['group']:<{width}}  {row['live']:>5} {row['tested']:>7} {row[PASSED]:>8} "
                   f"{row[FAILED]:>8} {percent(row[PASSED], row['live']):>9}")
    out.append("")
    out.append("Tests by tier: " + "; ".join(
        f"{tier} {c['tests']} ({c[PASSED]} passed, {c[FAILED]} failed, {c[SKIPPED]} skipped)"
        for tier, c in tiers.items() if c["tests"]))
    for tier in SEPARATE_TIERS:
        mine = [t for t in tests if t.tier == tier]
        if not mine:
            continue
        ids = sorted({i for t in mine for i in t.ids})
        passed = sum(t.outcome == PASSED for t in mine)
        out.append(f"Not client coverage: {tier} tier, {passed}/{len(mine)} tests passed"
                   + (f", naming {len(ids)} spec IDs" if ids else "")
                   + " (each listed in coverage.json)")
        for t in mine:
            if t.outcome != PASSED:
                out.append(f"  {t.outcome:<7} {t.binary}: {t.name}")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True, help="directory of <tier>_<binary>.xml files")
    parser.add_argument("--out", required=True, help="directory to write coverage.json into")
    parser.add_argument("--spec", default=str(ROOT / "spec" / "features.json"),
                        help="features.json to check IDs against")
    parser.add_argument("--by", choices=("section", "prefix"), default="section",
                        help="group rows by heading path (default) or by ID prefix")
    parser.add_argument("--depth", type=int, default=2,
                        help="heading levels per row with --by section (default 2)")
    args = parser.parse_args(argv)

    doc, items = load_spec(args.spec)
    results = pathlib.Path(args.results)
    files = sorted(results.glob("*.xml")) if results.is_dir() else []
    errors, tests = [], []
    if not files:
        errors.append(f"no test results (*.xml) in {results}")
    for path in files:
        try:
            tests.extend(read_results_file(path))
        except ValueError as exc:
            errors.append(str(exc))
    errors.extend(validate(tests, items))

    per_id, rows, totals = coverage(tests, doc, args.by, args.depth)
    tiers = tier_counts(tests)
    print(render_text(rows, totals, tiers, tests, doc, args.by))

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "format": FORMAT,
        "spec_version": doc["spec_version"],
        "grouping": args.by,
        "totals": totals,
        "groups": rows,
        "tiers": tiers,
        "ids": per_id,
        "separate": {tier: [t.as_json() for t in tests if t.tier == tier] for tier in SEPARATE_TIERS},
        "errors": errors,
    }
    (out / "coverage.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    print(f"\nreport: wrote {out / 'coverage.json'}")
    if errors:
        print(f"\nreport: {len(errors)} problem(s):", file=sys.stderr)
        for line in errors:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
