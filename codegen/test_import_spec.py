#!/usr/bin/env python3
"""Unit tests of codegen/import_spec.py (on small made-up markdown snippets)
and of harness/report.py (on made-up results files).

Run directly (ctest does: test `tool_import_spec`, label unit) or with
`python3 -m unittest codegen/test_import_spec.py`. When ABLY_TEST_XML names a
file, results are also written there as JUnit XML in cmocka's shape, so
harness/report.py lists them (tier `tool`: reported, never client coverage).
A test's spec IDs, when it has any, go in its name as `test_x [ID ID]`.
Standard library only.
"""
import contextlib
import io
import json
import os
import pathlib
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "harness"))
import import_spec as imp  # noqa: E402
import report  # noqa: E402  (harness/report.py; tested here so one ctest entry covers the tooling)

# The shared reference copy, where CMake looks for it too (ABLY_SHARED_UPSTREAM overrides).
UPSTREAM = (pathlib.Path(os.environ.get("ABLY_SHARED_UPSTREAM") or HERE.parent.parent / "shared" / "upstream")
            / "specification" / "specifications" / "features.md")


def spec_ids(ids):
    """Tag a test with the spec IDs it concerns (shown in its reported name)."""
    def mark(fn):
        fn.spec_ids = ids
        return fn
    return mark


def parse(text):
    return imp.parse_items(text.strip("\n").splitlines())


def by_id(items):
    return {item["id"]: item for item in items}


class StatusRules(unittest.TestCase):
    def test_clause_markers(self):
        cases = {
            "This clause has been deleted.": "deleted",
            "This clause has been deleted (redundant to [X1](#X1)).": "deleted",
            "This clause has been removed as of version 9.": "deleted",
            "This clause has been replaced by [`X2`](#X2).": "replaced",
            "This clause has been renamed to #X3.": "renamed",
            "(Moved to [`X4`](#X4) ).": "replaced",
            "(Please note this clause has now been superseded by [X5](#X5)) Send a header.": "replaced",
        }
        for text, want in cases.items():
            with self.subTest(text=text):
                self.assertEqual(imp.own_status(text), want)

    def test_deprecation_markers(self):
        for text in ("(deprecated) Calls the old callback.",
                     "**(optional, deprecated)** Honour the old host option.",
                     "`oldOption` (deprecated) - an option nobody should use.",
                     "Reuse the object. (Note that this is soft-deprecated.)"):
            with self.subTest(text=text):
                self.assertEqual(imp.own_status(text), "deprecated")

    def test_mentions_are_not_markers(self):
        # Items that talk about deleting, replacing or deprecated options but are live rules.
        for text in ("Issues a DELETE request and deletes the device.",
                     "Uses any of the deprecated options `a`, `b`.",
                     "Replaces any configured headers.",
                     "Logs a deprecation warning.",
                     "Says the entry has been removed from the map.",
                     "23: (reserved)"):
            with self.subTest(text=text):
                self.assertEqual(imp.own_status(text), "active")

    def test_descendants_of_dead_items_are_inactive(self):
        items = by_id(parse("""
## Area
- `(A1)` This clause has been replaced by [A2](#A2).
  - `(A1a)` A still-worded rule.
    - `(A1a1)` (deprecated) A deprecated rule below it.
  - `(A1b)` This clause has been deleted.
- `(A2)` A live rule.
  - `(A2a)` A live child.
"""))
        self.assertEqual(items["A1"]["status"], "replaced")
        self.assertEqual(items["A1a"]["status"], "inactive")
        self.assertEqual(items["A1a1"]["status"], "inactive")
        self.assertEqual(items["A1b"]["status"], "deleted")   # its own marker wins
        self.assertEqual(items["A2"]["status"], "active")
        self.assertEqual(items["A2a"]["status"], "active")

    def test_counts_split_live_and_dead(self):
        counts = imp.count_statuses(parse("""
## Area
- `(A1)` Rule.
- `(A2)` (deprecated) Rule.
- `(A3)` This clause has been deleted.
  - `(A3a)` Rule.
"""))
        self.assertEqual(counts["total"], 4)
        self.assertEqual(counts["live"], 2)
        self.assertEqual((counts["active"], counts["deprecated"], counts["deleted"], counts["inactive"]),
                         (1, 1, 1, 1))


class Structure(unittest.TestCase):
    def test_parents_and_depth_follow_indentation(self):
        items = parse("""
## Area
- `(B1)` Top.
  - `(B1a)` Child.
    - `(B1a1)` Grandchild.
      continuation text of the grandchild
  - `(B1b)` Second child.
- `(B2)` Next top.
""")
        got = [(i["id"], i["parent"], i["depth"]) for i in items]
        self.assertEqual(got, [("B1", None, 0), ("B1a", "B1", 1), ("B1a1", "B1a", 2),
                               ("B1b", "B1", 1), ("B2", None, 0)])

    def test_lines_are_one_based(self):
        items = parse("## Area\n\n- `(B1)` Top.\n  - `(B1a)` Child.\n")
        self.assertEqual([i["line"] for i in items], [3, 4])

    def test_headings_build_the_section_path_and_end_nesting(self):
        items = by_id(parse("""
## REST part {#rest}
### Client
- `(C1)` Rule.
  - `(C1a)` Rule.
### `Other.thing` effects
  - `(C2)` Indented but first under a new heading.
#### Capability - **not defined**
- `(C3)` Rule.
## Types
- `(C4)` Rule.
"""))
        self.assertEqual(items["C1a"]["section"], ["REST part", "Client"])
        self.assertEqual(items["C2"]["section"], ["REST part", "Other.thing effects"])
        self.assertIsNone(items["C2"]["parent"])
        self.assertEqual(items["C3"]["section"], ["REST part", "Other.thing effects", "Capability - not defined"])
        self.assertEqual(items["C4"]["section"], ["Types"])

    def test_fenced_code_is_ignored(self):
        items = parse("""
## Area
```
# not a heading
- `(X9)` not an item
```
- `(D1)` Rule.
""")
        self.assertEqual([(i["id"], i["section"]) for i in items], [("D1", ["Area"])])

    def test_star_markers_count_as_items(self):
        self.assertEqual([i["id"] for i in parse("## A\n* `(D2)` Rule.\n")], ["D2"])

    def test_no_upstream_text_is_stored(self):
        item = parse("## A\n- `(D3)` Some words that must stay upstream.\n")[0]
        self.assertEqual(set(item), {"id", "section", "parent", "depth", "status", "line"})
        self.assertNotIn("words", imp.render_json(imp.build_document([item], VERSIONS, "x.md")))


VERSIONS = {"specification": "6.1.1", "protocol": 6}


class Quirks(unittest.TestCase):
    @spec_ids("TR3\u03bd")
    def test_non_ascii_id(self):
        items = parse("## PM\n- `(TR3)` Flags.\n  - `(TR3v)` 22.\n  - `(TR3\u03bd)` 23.\n")
        self.assertEqual([i["id"] for i in items], ["TR3", "TR3v", "TR3\u03bd"])
        self.assertEqual(items[2]["parent"], "TR3")
        text = imp.render_json(imp.build_document(items, VERSIONS, "x.md"))
        self.assertIn('"TR3\u03bd"', text)              # stored as UTF-8, not \u escapes
        self.assertEqual(json.loads(text)["items"][2]["id"], "TR3\u03bd")

    @spec_ids("C02d")
    def test_zero_for_letter_o_typo(self):
        items = by_id(parse("## Opts\n- `(CO2)` Attributes:\n  - `(C02d)` mode.\n"))
        self.assertEqual(items["C02d"]["parent"], "CO2")
        self.assertEqual(imp.prefix_of("C02d"), "C")

    @spec_ids("CP1 CP2")
    def test_items_after_a_textile_heading_stay_in_the_markdown_section(self):
        items = by_id(parse("""
#### ConnectionDetails
- `(CD2)` Attributes:
  - `(CD2j)` last one\\
    h4. ChannelProperties
- `(CP1)` Properties.
- `(CP2)` Attributes:
  - `(CP2a)` one.
"""))
        self.assertEqual(items["CP1"]["section"], ["ConnectionDetails"])
        self.assertIsNone(items["CP1"]["parent"])
        self.assertEqual(items["CP2a"]["parent"], "CP2")

    @spec_ids("CSV1b CSV2b")
    def test_template_placeholders(self):
        items = parse("## V\n- `(CSV1)` V.\n  - `(CSV1b)` version `{{ SPECIFICATION_VERSION }}`.\n"
                      "  - `(CSV2b)` protocol `{{ PROTOCOL_VERSION }}`.\n")
        self.assertEqual([(i["id"], i["status"]) for i in items],
                         [("CSV1", "active"), ("CSV1b", "active"), ("CSV2b", "active")])

    def test_duplicate_ids_are_kept_and_listed(self):
        items = parse("## A\n- `(E1)` One.\n## B\n- `(E1)` Again.\n- `(E2)` Other.\n")
        self.assertEqual([i["id"] for i in items], ["E1", "E1", "E2"])
        self.assertEqual(imp.duplicate_ids(items), ["E1"])
        self.assertEqual(imp.build_document(items, VERSIONS, "x.md")["duplicate_ids"], ["E1"])

    @spec_ids("CSV1b CSV2b")
    def test_versions_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp, "versions.yaml")
            path.write_text('specification: "6.1.1"\nprotocol: 6\n', encoding="utf-8")
            self.assertEqual(imp.read_versions(path), VERSIONS)
            path.write_text("protocol: 6\n", encoding="utf-8")
            with self.assertRaises(ValueError):
                imp.read_versions(path)


SPEC_V1 = """
## Area
- `(F1)` Rule.
  - `(F1a)` Rule.
- `(F2)` Rule.
"""
SPEC_V2 = """
## Area
- `(F1)` Rule.
  - `(F1a)` This clause has been deleted.
- `(F3)` Rule.
"""


class CommandLine(unittest.TestCase):
    """main() end to end in a scratch directory."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)
        (self.dir / "versions.yaml").write_text('specification: "6.1.1"\nprotocol: 6\n', encoding="utf-8")
        self.out = self.dir / "spec" / "features.json"

    def tearDown(self):
        self.tmp.cleanup()

    def run_main(self, spec_text, *extra):
        source = self.dir / "features.md"
        source.write_text(spec_text, encoding="utf-8")
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = imp.main(["--source", str(source), "--versions", str(self.dir / "versions.yaml"),
                             "--out", str(self.out), *extra])
        return code, stdout.getvalue(), stderr.getvalue()

    def test_writes_features_and_versions(self):
        code, out, _ = self.run_main(SPEC_V1)
        self.assertEqual(code, 0)
        doc = json.loads(self.out.read_text(encoding="utf-8"))
        self.assertEqual((doc["spec_version"], doc["protocol_version"]), ("6.1.1", 6))
        self.assertEqual([i["id"] for i in doc["items"]], ["F1", "F1a", "F2"])
        self.assertTrue(doc["url_base"].endswith("features.md#"))
        versions = (self.out.parent / "versions.yaml").read_text(encoding="utf-8")
        self.assertIn('specification: "6.1.1"', versions)
        self.assertIn("protocol: 6", versions)
        self.assertIn("3 items: 3 live", out)

    def test_output_is_deterministic(self):
        self.run_main(SPEC_V1)
        first = self.out.read_bytes()
        code, out, _ = self.run_main(SPEC_V1)
        self.assertEqual((code, self.out.read_bytes()), (0, first))
        self.assertNotIn("wrote", out)

    def test_rerun_reports_added_removed_and_status_changes(self):
        self.run_main(SPEC_V1)
        code, out, _ = self.run_main(SPEC_V2)
        self.assertEqual(code, 0)
        self.assertIn("added:   F3 (active)", out)
        self.assertIn("removed: F2 (was active)", out)
        self.assertIn("status:  F1a active -> deleted", out)
        self.assertNotIn("F1 ", out.replace("F1a", ""))   # unchanged IDs are not listed
        self.assertEqual([i["id"] for i in json.loads(self.out.read_text())["items"]], ["F1", "F1a", "F3"])

    def test_check_exits_1_on_drift_and_writes_nothing(self):
        self.run_main(SPEC_V1)
        before = self.out.read_bytes()
        code, out, _ = self.run_main(SPEC_V2, "--check")
        self.assertEqual(code, 1)
        self.assertIn("out of date", out)
        self.assertEqual(self.out.read_bytes(), before)
        self.assertEqual(self.run_main(SPEC_V1, "--check")[0], 0)

    def test_check_without_a_previous_import_is_drift(self):
        self.assertEqual(self.run_main(SPEC_V1, "--check")[0], 1)
        self.assertFalse(self.out.exists())

    def test_table_counts_per_prefix_without_writing(self):
        code, out, _ = self.run_main(SPEC_V2 + "- `(GA1)` (deprecated) Rule.\n", "--table")
        self.assertEqual(code, 0)
        self.assertFalse(self.out.exists())
        rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:]}
        # columns: total live active deprecated deleted replaced renamed inactive
        self.assertEqual(rows["F"], ["3", "2", "2", "0", "1", "0", "0", "0"])
        self.assertEqual(rows["GA"], ["1", "1", "0", "1", "0", "0", "0", "0"])
        self.assertEqual(rows["all"][:2], ["4", "3"])

    def test_duplicates_are_reported_on_stderr(self):
        code, _, err = self.run_main("## A\n- `(H1)` One.\n- `(H1)` Two.\n")
        self.assertEqual(code, 0)
        self.assertIn("duplicate ID H1 at lines 2, 3", err)


@unittest.skipUnless(UPSTREAM.exists(), "no ../shared/upstream copy of the features spec")
class RealSpec(unittest.TestCase):
    """The committed import matches the shared upstream copy (spec 6.1.1)."""

    @spec_ids("CSV1b CSV2b")
    def test_committed_features_json_is_current(self):
        json_text, versions_text, _ = imp.import_spec(UPSTREAM, imp.ROOT)
        committed = json.loads((imp.ROOT / "spec" / "features.json").read_text(encoding="utf-8"))
        fresh = json.loads(json_text)
        for doc in (committed, fresh):       # where the copy lives is not part of the content
            doc.pop("source")
        self.assertEqual(committed, fresh, "spec/features.json is stale: run codegen/import_spec.py")
        def values(text):
            return [line for line in text.splitlines() if not line.startswith("#")]
        self.assertEqual(values((imp.ROOT / "spec" / "versions.yaml").read_text(encoding="utf-8")),
                         values(versions_text))

    @spec_ids("CSV1b CSV2b")
    def test_counts_of_spec_6_1_1(self):
        _, _, doc = imp.import_spec(UPSTREAM, imp.ROOT)
        line_count = sum(1 for line in UPSTREAM.read_text(encoding="utf-8").splitlines()
                         if imp.ITEM_RE.match(line))
        self.assertEqual(doc["counts"]["total"], line_count)
        self.assertEqual(doc["counts"]["total"], 1715)
        self.assertEqual(doc["counts"]["live"], 1550)
        self.assertEqual(doc["duplicate_ids"], [])
        self.assertEqual((doc["spec_version"], doc["protocol_version"]), ("6.1.1", 6))


REPORT_SPEC = """
## REST
### Channel
- `(RSL1)` Rule.
  - `(RSL1a)` Rule.
- `(RSL2)` This clause has been deleted.
### Auth
- `(RSA1)` Rule.
"""

CMOCKA_XML = """<?xml version="1.0" encoding="UTF-8" ?>
<testsuites>
  <testsuite name="{suite}" time="0.000" tests="1" failures="0" errors="0" skipped="0" >
{cases}
  </testsuite>
</testsuites>
"""


def cmocka_case(name, outcome="passed"):
    body = {"passed": "",
            "failed": "      <failure><![CDATA[0x1 != 0x2\nx.c:7: error: Failure!]]></failure>\n",
            "skipped": "      <skipped/>\n"}[outcome]
    return f'    <testcase name="{name}" time="0.000" >\n{body}    </testcase>'


class Report(unittest.TestCase):
    """harness/report.py over hand-written results in cmocka's exact layout."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)
        self.results = self.dir / "results"
        self.results.mkdir()
        doc = imp.build_document(parse(REPORT_SPEC), VERSIONS, "x.md")
        self.spec = self.dir / "features.json"
        self.spec.write_text(imp.render_json(doc), encoding="utf-8")

    def tearDown(self):
        self.tmp.cleanup()

    def add(self, filename, *cases):
        text = CMOCKA_XML.format(suite=filename, cases="\n".join(cmocka_case(*c) for c in cases))
        (self.results / filename).write_text(text, encoding="utf-8")

    def run_report(self, *extra):
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            # The committed lists and feature map name IDs of the real spec: leave them out.
            none = str(self.dir / "absent")
            code = report.main(["--results", str(self.results), "--out", str(self.dir / "out"),
                                "--spec", str(self.spec), "--not-applicable", none,
                                "--known-failures", none, "--sdk-yaml", none, *extra])
        cov = json.loads((self.dir / "out" / "coverage.json").read_text(encoding="utf-8"))
        return code, stdout.getvalue(), stderr.getvalue(), cov

    def test_counts_live_ids_per_section(self):
        self.add("unit_test_a.xml", ("a [RSL1a]",), ("b [RSL1a RSA1]",))
        code, out, err, cov = self.run_report()
        self.assertEqual(code, 0, err)
        self.assertEqual(cov["totals"], {"live": 3, "tested": 2, "passed": 2, "failed": 0, "untested": 1,
                                         "known_failure": 0, "not_applicable": 0})
        rows = {row["group"]: row for row in cov["groups"]}
        self.assertEqual((rows["REST / Channel"]["live"], rows["REST / Channel"]["passed"]), (2, 1))
        self.assertEqual(cov["ids"]["RSL1"]["status"], "untested")
        self.assertEqual([t["label"] for t in cov["ids"]["RSA1"]["tests"]], ["unit/test_a: b [RSL1a RSA1]"])
        self.assertNotIn("RSL2", cov["ids"])          # deleted items are not counted
        self.assertIn("REST / Channel", out)

    def test_unescaped_names_from_cmocka_still_parse(self):
        self.add("unit_test_a.xml", ("compares a<b & c [RSL1]",))
        code, _, err, cov = self.run_report()
        self.assertEqual(code, 0, err)
        self.assertEqual(cov["ids"]["RSL1"]["status"], "passed")

    def test_failed_test_fails_the_report(self):
        self.add("sandbox_test_a.xml", ("good [RSL1]",), ("bad [RSL1]", "failed"))
        code, _, err, cov = self.run_report()
        self.assertEqual(code, 1)
        self.assertEqual(cov["ids"]["RSL1"]["status"], "failed")
        self.assertIn("sandbox/test_a: bad [RSL1]: FAILED 0x1 != 0x2", err)

    def test_skipped_only_is_untested(self):
        self.add("unit_test_a.xml", ("later [RSA1]", "skipped"))
        code, _, _, cov = self.run_report()
        self.assertEqual((code, cov["ids"]["RSA1"]["status"]), (0, "untested"))

    def test_bad_tags_fail_the_report(self):
        self.add("unit_test_a.xml", ("untagged",), ("typo [RSL9]",), ("dead [RSL2]",))
        code, _, err, cov = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("untagged: no spec IDs", err)
        self.assertIn("unknown spec ID RSL9", err)
        self.assertIn("spec ID RSL2 is deleted, not live", err)
        self.assertEqual(len(cov["errors"]), 3)

    def test_server_and_tool_tiers_are_not_client_coverage(self):
        self.add("server_test_s.xml", ("sandbox serves [RSL1]",))
        self.add("tool_x.xml", ("TestX.test_y",))     # tool tests may omit IDs
        code, out, err, cov = self.run_report()
        self.assertEqual(code, 0, err)
        self.assertEqual(cov["totals"]["tested"], 0)
        self.assertEqual([t["name"] for t in cov["separate"]["server"]], ["sandbox serves [RSL1]"])
        self.assertIn("Not client coverage: server tier, 1/1 tests passed", out)

    def test_unknown_tier_empty_and_truncated_results_are_errors(self):
        code, _, err, _ = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("no test results", err)
        self.add("misc_test_a.xml", ("a [RSL1]",))
        (self.results / "unit_test_b.xml").write_text('<?xml version="1.0" ?>\n<testsuites>\n  <testsuite name="x"',
                                                     encoding="utf-8")
        code, _, err, _ = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("unknown tier 'misc'", err)
        self.assertIn("unit_test_b.xml: not readable", err)

    def test_group_by_prefix(self):
        self.add("unit_test_a.xml", ("a [RSL1a]",))
        _, out, _, cov = self.run_report("--by", "prefix")
        self.assertEqual([(r["group"], r["live"], r["passed"]) for r in cov["groups"]],
                         [("RSL", 2, 1), ("RSA", 1, 0)])

    def test_reads_the_python_writer_output(self):
        records = [(self, "passed", "", 0.0), (self, "failed", "boom <&>", 0.0)]
        write_junit(records, self.results / "tool_self.xml", "self")
        tests = report.read_results_file(self.results / "tool_self.xml")
        self.assertEqual([t.outcome for t in tests], ["passed", "failed"])
        self.assertEqual(tests[1].message, "boom <&>")
        self.assertEqual(tests[0].tier, "tool")


# --- running under ctest, with a results file for harness/report.py ---------

class RecordingResult(unittest.TextTestResult):
    """Keeps (test, outcome, message, seconds) for every test, for the XML file."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = []
        self._started = 0.0

    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def _record(self, test, outcome, message=""):
        self.records.append((test, outcome, message, time.monotonic() - self._started))

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "failed", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "failed", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skipped", reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._record(test, "passed")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._record(test, "failed", "unexpected success")


def reported_name(test):
    method = getattr(test, "_testMethodName", str(test))
    ids = getattr(getattr(test, method, None), "spec_ids", "")
    name = f"{type(test).__name__}.{method}"
    return f"{name} [{ids}]" if ids else name


def write_junit(records, path, suite_name):
    suite = ET.Element("testsuite", name=suite_name, tests=str(len(records)),
                       failures=str(sum(r[1] == "failed" for r in records)), errors="0",
                       skipped=str(sum(r[1] == "skipped" for r in records)),
                       time=f"{sum(r[3] for r in records):.3f}")
    for test, outcome, message, seconds in records:
        case = ET.SubElement(suite, "testcase", name=reported_name(test), time=f"{seconds:.3f}")
        if outcome == "failed":
            ET.SubElement(case, "failure").text = message
        elif outcome == "skipped":
            ET.SubElement(case, "skipped", message=message)
    root = ET.Element("testsuites")
    root.append(suite)
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)


def run():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(resultclass=RecordingResult, verbosity=2).run(suite)
    xml_path = os.environ.get("ABLY_TEST_XML")
    if xml_path:
        write_junit(result.records, xml_path, "import_spec")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(run())
