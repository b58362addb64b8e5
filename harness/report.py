#!/usr/bin/env python3
"""Conformance report from the test results of one run; the CI gate.

Reads every JUnit-style XML file in --results (cmocka writes one per test
binary, named <tier>_<binary>.xml), checks each test's spec-ID tags against
spec/features.json, and gives every live spec ID a status: passed, failed,
known_failure, untested or not_applicable (harness/known_failures.yaml and
harness/not_applicable.yaml). Prints a table per spec section and writes, in
--out: coverage.json, coverage.md, index.html (self-contained) and the Ably SDK
capabilities manifest this run supports (capabilities.yaml).

Exit status 1 when a test failed that is not a listed known failure, a test
has no IDs, names an unknown, non-live or not-applicable ID, a committed list
is wrong, or a results file cannot be read; 0 otherwise. With --gate, also
when the run falls short of harness/baseline.json (see harness/README.md).
--update-baseline rewrites the baseline and .ably/capabilities.yaml.

Tiers: unit, sandbox and fault tests are client coverage. server (tests of our
sandbox server) and tool (tests of our own tooling, e.g. the spec importer) are
listed separately and never count as client coverage; tool tests may omit IDs.

Standard library only: it may run under any python3.
"""
import argparse
import collections
import json
import os
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

HARNESS = pathlib.Path(__file__).resolve().parent
ROOT = HARNESS.parent
sys.path.insert(0, str(HARNESS))
from conformance import capabilities, expectations, miniyaml, render  # noqa: E402
CLIENT_TIERS = ("unit", "sandbox", "fault")
SEPARATE_TIERS = ("server", "tool")
IDS_OPTIONAL_TIERS = ("tool",)
LIVE = ("active", "deprecated")
FORMAT = 1

PASSED, FAILED, SKIPPED, UNTESTED = "passed", "failed", "skipped", "untested"
KNOWN_FAILURE, NOT_APPLICABLE = "known_failure", "not_applicable"
ID_STATUSES = (PASSED, FAILED, KNOWN_FAILURE, UNTESTED, NOT_APPLICABLE)

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


def validate(tests, items, known_failures=(), not_applicable=()):
    """Problems that make the run unacceptable, one line each.

    A failed client test is accepted when every ID it names is a listed known
    failure; a test naming a not-applicable ID is a contradiction."""
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
        for ident in test.ids:
            if ident in not_applicable and test.tier in CLIENT_TIERS:
                errors.append(f"{test.label}: tests {ident}, which harness/not_applicable.yaml lists "
                              "as not applicable: remove one or the other")
        excused = test.tier in CLIENT_TIERS and test.ids and all(i in known_failures for i in test.ids)
        if test.outcome == FAILED and not excused:
            first = test.message.splitlines()[0] if test.message else ""
            errors.append(f"{test.label}: FAILED {first}".rstrip())
    return errors


def id_status(tests):
    outcomes = {t.outcome for t in tests}
    if FAILED in outcomes:
        return FAILED
    return PASSED if PASSED in outcomes else UNTESTED


def test_entry(test):
    return {"label": test.label, "tier": test.tier, "binary": test.binary, "name": test.name,
            "outcome": test.outcome}


def coverage(tests, doc, by, depth=2, not_applicable=None, known_failures=None):
    """(per-ID dict, per-group rows, totals) over the live items and client tests.

    Status per live ID: failed (a test naming it failed), known_failure (failed,
    but listed in known_failures), passed, not_applicable (listed, untested) or
    untested (no test, or only skipped ones). A listed known failure that passes
    is `passed` with `stale_known_failure` set, for the gate to reject.
    """
    not_applicable = not_applicable or {}
    known_failures = known_failures or {}
    tests_by_id = collections.defaultdict(list)
    for test in tests:
        if test.tier in CLIENT_TIERS:
            for ident in test.ids:
                tests_by_id[ident].append(test)
    per_id, rows = {}, collections.OrderedDict()
    for item in doc["items"]:            # document order, so groups read top to bottom
        if item["status"] not in LIVE:
            continue
        ident = item["id"]
        mine = tests_by_id.get(ident, [])
        status = id_status(mine)
        entry = {"status": status, "group": group_of(item, by, depth),
                 "tests": [test_entry(t) for t in mine]}
        if ident in known_failures:
            entry["reason"] = known_failures[ident]
            if status == FAILED:
                entry["status"] = KNOWN_FAILURE
            elif status == PASSED:
                entry["stale_known_failure"] = True
        if ident in not_applicable and status == UNTESTED:
            entry["status"] = NOT_APPLICABLE
            entry["reason"] = not_applicable[ident]
        per_id[ident] = entry
        row = rows.setdefault(entry["group"], dict({"group": entry["group"], "live": 0, "tested": 0},
                                                   **{s: 0 for s in ID_STATUSES}))
        row["live"] += 1
        row["tested"] += entry["status"] in (PASSED, FAILED, KNOWN_FAILURE)
        row[entry["status"]] += 1
    totals = {"live": len(per_id)}
    for key in ("tested",) + ID_STATUSES:
        totals[key] = sum(row[key] for row in rows.values())
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
    head = f"{'section' if by == 'section' else 'prefix':<{width}}  {'live':>5} {'tested':>7} {'passing':>8} {'failing':>8} {'known':>6} {'n/a':>5} {'passing%':>9}"
    out = [f"Spec coverage against features spec {doc['spec_version']} "
           f"(client tiers: {', '.join(CLIENT_TIERS)})", "", head, "-" * len(head)]
    for row in rows + [dict(totals, group="total")]:
        if row["group"] == "total":
            out.append("-" * len(head))
        out.append(f"{row['group']:<{width}}  {row['live']:>5} {row['tested']:>7} {row[PASSED]:>8} "
                   f"{row[FAILED]:>8} {row[KNOWN_FAILURE]:>6} {row[NOT_APPLICABLE]:>5} "
                   f"{percent(row[PASSED], row['live'] - row[NOT_APPLICABLE]):>9}")
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


# --- links from the page to each test's source -------------------------------

_SOURCE_CACHE = {}


def test_source(test, root, out_dir):
    """Relative link from the report directory to the test's registration line."""
    path = root / "tests" / test.tier / f"{test.binary}.c"
    if test.tier not in CLIENT_TIERS or not path.exists():
        return None
    if path not in _SOURCE_CACHE:
        _SOURCE_CACHE[path] = path.read_text(encoding="utf-8", errors="replace").splitlines()
    fn = NAME_RE.match(test.name).group("fn") if NAME_RE.match(test.name) else test.name
    line = next((n for n, text in enumerate(_SOURCE_CACHE[path], 1)
                 if re.search(r"ABLY_TEST(?:_SETUP_TEARDOWN)?\(\s*" + re.escape(fn) + r"\s*,", text)), None)
    rel = os.path.relpath(path, out_dir)
    return rel + (f"#L{line}" if line else "")


def page_data(report, tests, root, out_dir):
    """What the HTML page's script reads: per ID its status, section, tests and reason."""
    by_label = {t.label: t for t in tests}
    ids = {}
    for ident, entry in report["ids"].items():
        slim = {"status": entry["status"], "group": entry["group"], "tests": []}
        for t in entry["tests"]:
            test = by_label[t["label"]]
            match = NAME_RE.match(test.name)
            slim["tests"].append({"tier": test.tier, "binary": test.binary, "outcome": test.outcome,
                                  "fn": match.group("fn") if match else test.name,
                                  "source": test_source(test, root, out_dir)})
        if entry.get("reason"):
            slim["reason"] = entry["reason"]
        ids[ident] = slim
    return {"url_base": report["url_base"], "ids": ids}


# --- the command ---------------------------------------------------------------

def endpoint_description():
    host = os.environ.get("ABLY_TEST_ENDPOINT")
    if not host:
        return "local ably-sandbox (default)"
    tls = os.environ.get("ABLY_TEST_TLS", "1") != "0"     # as tests/support/sandbox_env.c reads them
    port = os.environ.get("ABLY_TEST_PORT") or ("443" if tls else "80")
    return f"{'https' if tls else 'http'}://{host}:{port} (ABLY_TEST_ENDPOINT)"


def read_results(results):
    files = sorted(results.glob("*.xml")) if results.is_dir() else []
    errors, tests = [], []
    if not files:
        errors.append(f"no test results (*.xml) in {results}")
    for path in files:
        try:
            tests.extend(read_results_file(path))
        except ValueError as exc:
            errors.append(str(exc))
    ran = sorted({tier_and_binary(p)[0] for p in files} & set(CLIENT_TIERS), key=CLIENT_TIERS.index)
    return tests, errors, ran


def derive_capabilities(args, spec, passing, not_applicable):
    """(sdk tree, requirements, problems) or (None, None, problems) without sdk.yaml."""
    sdk_path = pathlib.Path(args.sdk_yaml)
    if not sdk_path.exists():
        return None, None, [f"capabilities: {sdk_path} not found; manifest not derived"]
    try:
        sdk_tree = miniyaml.load_file(sdk_path)
        requirements, problems = capabilities.load_map(args.feature_map, sdk_tree, spec)
    except (OSError, ValueError) as exc:
        return None, None, [f"capabilities: {exc}"]
    return sdk_tree, requirements, problems


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True, help="directory of <tier>_<binary>.xml files")
    parser.add_argument("--out", required=True,
                        help="directory for coverage.json, coverage.md, index.html, capabilities.yaml")
    parser.add_argument("--spec", default=str(ROOT / "spec" / "features.json"),
                        help="features.json to check IDs against")
    parser.add_argument("--by", choices=("section", "prefix"), default="section",
                        help="group rows by heading path (default) or by ID prefix")
    parser.add_argument("--depth", type=int, default=2,
                        help="heading levels per row with --by section (default 2)")
    parser.add_argument("--not-applicable", default=str(HARNESS / "not_applicable.yaml"))
    parser.add_argument("--known-failures", default=str(HARNESS / "known_failures.yaml"))
    parser.add_argument("--baseline", default=str(HARNESS / "baseline.json"))
    parser.add_argument("--feature-map", default=str(HARNESS / "feature_map.yaml"))
    shared = os.environ.get("ABLY_SHARED_UPSTREAM") or str(ROOT.parent / "shared" / "upstream")
    parser.add_argument("--sdk-yaml", default=str(pathlib.Path(shared) / "features" / "sdk.yaml"),
                        help="Ably's SDK feature list (default ../shared/upstream/features/sdk.yaml)")
    parser.add_argument("--capabilities", default=str(ROOT / ".ably" / "capabilities.yaml"),
                        help="the committed manifest, derived from the baseline")
    parser.add_argument("--gate", action="store_true",
                        help="also fail on regressions against the baseline, stale known failures, "
                             "lower coverage and a stale capabilities manifest")
    parser.add_argument("--update-baseline", action="store_true",
                        help="rewrite the baseline and the capabilities manifest from this run")
    args = parser.parse_args(argv)

    doc, items = load_spec(args.spec)
    spec = expectations.Spec(doc)
    not_applicable, na_problems = expectations.load_list(args.not_applicable, "not_applicable", spec, True)
    known, kf_problems = expectations.load_list(args.known_failures, "known_failures", spec, False)
    results = pathlib.Path(args.results)
    tests, errors, tiers_ran = read_results(results)
    errors.extend(na_problems + kf_problems)
    errors.extend(f"harness/known_failures.yaml and not_applicable.yaml both list {i}"
                  for i in sorted(set(known) & set(not_applicable)))
    errors.extend(validate(tests, items, known, not_applicable))

    per_id, rows, totals = coverage(tests, doc, args.by, args.depth, not_applicable, known)
    passing = {i for i, e in per_id.items() if e["status"] == PASSED}
    sdk_tree, requirements, cap_problems = derive_capabilities(args, spec, passing, not_applicable)
    warnings = [p for p in cap_problems if "not found" in p]
    errors.extend(p for p in cap_problems if "not found" not in p)
    report = {
        "format": FORMAT,
        "spec_version": doc["spec_version"],
        "url_base": doc.get("url_base", ""),
        "endpoint": endpoint_description(),
        "tiers_ran": tiers_ran,
        "grouping": args.by,
        "totals": totals,
        "groups": rows,
        "tiers": tier_counts(tests),
        "ids": per_id,
        "separate": {tier: [t.as_json() for t in tests if t.tier == tier] for tier in SEPARATE_TIERS},
    }
    out = pathlib.Path(args.out)
    if sdk_tree is not None:
        declared = capabilities.declared_nodes(requirements, passing, not_applicable)
        report["capabilities"] = capabilities.summary(sdk_tree, declared)
        write(out / "capabilities.yaml", capabilities.render_manifest(sdk_tree, declared, doc["spec_version"],
                                                                                committed=False))

    gate_problems, baseline, refreshed = [], None, False
    if args.gate or args.update_baseline:
        try:
            baseline = expectations.load_baseline(args.baseline)
        except (OSError, ValueError) as exc:
            gate_problems.append(str(exc))
    if args.update_baseline:
        if errors:
            gate_problems.append("baseline not updated: fix the problems above first "
                                 "(a baseline records a clean run)")
        elif os.environ.get("ABLY_TEST_ENDPOINT"):
            gate_problems.append("baseline not updated: it records the CI configuration "
                                 "(local sandbox); unset ABLY_TEST_ENDPOINT")
        else:
            baseline, refreshed = expectations.make_baseline(report), True
            write(pathlib.Path(args.baseline), expectations.render_baseline(baseline))
            print(f"report: wrote {args.baseline} ({len(baseline['passed'])} passing IDs)")
    if args.gate:
        gate_problems.extend(expectations.gate(report, baseline, spec))
    if baseline is not None and sdk_tree is not None and (args.gate or refreshed):
        # The committed manifest follows the baseline, not this run, so it is deterministic.
        baseline_declared = capabilities.declared_nodes(requirements, set(baseline["passed"]), not_applicable)
        manifest = capabilities.render_manifest(sdk_tree, baseline_declared, baseline["spec_version"])
        cap_path = pathlib.Path(args.capabilities)
        if refreshed:
            write(cap_path, manifest)
            print(f"report: wrote {cap_path} ({len(baseline_declared)} of "
                  f"{report['capabilities']['nodes']} nodes)")
        elif not cap_path.exists() or cap_path.read_text(encoding="utf-8") != manifest:
            gate_problems.append(f"{cap_path} is stale against the baseline: "
                                 "run harness/report.py --update-baseline")
    report["gate"] = gate_problems
    report["errors"] = errors + gate_problems

    print(render_text(rows, totals, report["tiers"], tests, doc, args.by))
    if "capabilities" in report:
        caps = report["capabilities"]
        print(f"Ably SDK feature list: this run supports {caps['declared']} of {caps['nodes']} sdk.yaml nodes "
              f"(see {out / 'capabilities.yaml'})")
    write(out / "coverage.json", json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    write(out / "coverage.md", render.markdown(report))
    write(out / "index.html", render.html_page(report, page_data(report, tests, ROOT, out.resolve())))
    print(f"\nreport: wrote {out / 'coverage.json'}, coverage.md, index.html")
    for line in warnings:
        print(f"report: warning: {line}", file=sys.stderr)
    if report["errors"]:
        print(f"\nreport: {len(report['errors'])} problem(s):", file=sys.stderr)
        for line in report["errors"]:
            print(f"  {line}", file=sys.stderr)
        return 1
    if args.gate:
        print("report: gate passed (no regression, no unlisted failure, no stale entry, coverage held)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
