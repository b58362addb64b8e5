#!/usr/bin/env python3
"""Tests of the conformance harness: harness/report.py and harness/conformance/.

Run directly (ctest does: test `tool_harness`, label unit). When ABLY_TEST_XML
names a file, results are also written there in cmocka's JUnit layout, so
report.py lists them under the `tool` tier. Needs PyYAML only to cross-check
the harness's own YAML reader (Debian's python3 has it).
"""
import contextlib
import io
import json
import os
import pathlib
import shutil
import sys
import tempfile
import unittest

HARNESS = pathlib.Path(__file__).resolve().parent
ROOT = HARNESS.parent
sys.path.insert(0, str(HARNESS))
sys.path.insert(0, str(ROOT / "codegen"))
import report  # noqa: E402
import spec_diff  # noqa: E402
import test_import_spec as tis  # noqa: E402  (cmocka XML helpers and the JUnit writer)
from conformance import capabilities, expectations, miniyaml, render  # noqa: E402

try:
    import yaml
except ImportError:      # report.py itself never needs it
    yaml = None

UPSTREAM = pathlib.Path(os.environ.get("ABLY_SHARED_UPSTREAM", ROOT.parent / "shared" / "upstream"))
SDK_YAML = UPSTREAM / "features" / "sdk.yaml"
REAL_SPEC = json.loads((ROOT / "spec" / "features.json").read_text(encoding="utf-8"))

# A tiny spec: RSL1 (live, with RSL1a, RSL1b), RSL2 deleted, RSA1, RSA2 live.
SPEC_MD = """# REST
## Channel
- `(RSL1)` Publish.
  - `(RSL1a)` One.
  - `(RSL1b)` Two.
- `(RSL2)` This clause has been deleted.
## Auth
- `(RSA1)` Basic.
- `(RSA2)` Token.
"""


def pyyaml_load(path):
    text = pathlib.Path(path).read_text(encoding="utf-8").replace("%YAML 1.2", "%YAML 1.1")
    return yaml.safe_load(text)


class MiniYaml(unittest.TestCase):
    @unittest.skipIf(yaml is None, "PyYAML not installed")
    def test_reads_every_file_the_harness_reads_like_pyyaml(self):
        for path in (SDK_YAML, HARNESS / "feature_map.yaml", HARNESS / "not_applicable.yaml",
                     HARNESS / "known_failures.yaml"):
            with self.subTest(path=path.name):
                self.assertEqual(miniyaml.load_file(path), pyyaml_load(path))

    def test_subset(self):
        text = "%YAML 1.2\n---\na:\n  b: [x, 'y z', \"q\"]  # c\n  c:\n    [1,\n     2]\n  d: |\n    l1\n    l2\n" \
               "  e:\n  - one\n  - two\nf: >-\n  folded\n  text\n"
        self.assertEqual(miniyaml.loads(text), {"a": {"b": ["x", "y z", "q"], "c": [1, 2], "d": "l1\nl2\n",
                                                      "e": ["one", "two"]}, "f": "folded text"})

    def test_outside_the_subset_is_an_error_with_a_line_number(self):
        for text, line in (("a: {b: 1}\n", 1), ("a: 1\n  b: 2\n", 2), ("a: 1\na: 2\n", 2), ("- a: 1\n", 1)):
            with self.subTest(text=text), self.assertRaisesRegex(ValueError, f"line {line}"):
                miniyaml.loads(text)


class CommittedFiles(unittest.TestCase):
    """The committed lists and map are consistent with spec/features.json and sdk.yaml."""

    def setUp(self):
        self.spec = expectations.Spec(REAL_SPEC)

    def test_not_applicable_and_known_failures_load_cleanly(self):
        na, problems = expectations.load_list(HARNESS / "not_applicable.yaml", "not_applicable", self.spec, True)
        self.assertEqual(problems, [])
        self.assertIn("RSH3a1", na)                       # a pattern covers nested items
        self.assertNotIn("RSH1a", na)                     # push admin (REST) is implementable
        self.assertTrue(all(len(reason) > 40 for reason in na.values()))
        known, problems = expectations.load_list(HARNESS / "known_failures.yaml", "known_failures",
                                                 self.spec, False)
        self.assertEqual(problems, [])
        self.assertFalse(set(known) & set(na))

    def test_feature_map_covers_all_122_sdk_nodes(self):
        tree = miniyaml.load_file(SDK_YAML)
        self.assertEqual(len(capabilities.feature_nodes(tree)), 122)
        requirements, problems = capabilities.load_map(HARNESS / "feature_map.yaml", tree, self.spec)
        self.assertEqual(problems, [])
        self.assertEqual(len(requirements), 122)

    def test_baseline_and_manifest_agree(self):
        baseline = expectations.load_baseline(HARNESS / "baseline.json")
        self.assertIsNotNone(baseline, "harness/baseline.json missing")
        self.assertTrue(all(self.spec.is_live(i) for i in baseline["passed"]))
        tree = miniyaml.load_file(SDK_YAML)
        requirements, _ = capabilities.load_map(HARNESS / "feature_map.yaml", tree, self.spec)
        na, _ = expectations.load_list(HARNESS / "not_applicable.yaml", "not_applicable", self.spec, True)
        declared = capabilities.declared_nodes(requirements, set(baseline["passed"]), na)
        manifest = capabilities.render_manifest(tree, declared, baseline["spec_version"])
        self.assertEqual((ROOT / ".ably" / "capabilities.yaml").read_text(encoding="utf-8"), manifest)
        if yaml is not None:
            self.assertIn("compliance", yaml.safe_load(manifest))


    def test_gate_on_the_committed_files_names_a_changed_expectation(self):
        """Results that reproduce the committed baseline pass the real gate; one ID fewer fails it."""
        baseline = expectations.load_baseline(HARNESS / "baseline.json")
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)

            def run(skip):
                results = tmp / f"results-{skip}"
                results.mkdir()
                by_tier = {}
                for ident, tiers in baseline["passed"].items():
                    if ident != skip:
                        by_tier.setdefault(tiers[0], []).append(tis.cmocka_case(f"t_{len(by_tier)} [{ident}]"))
                for tier, cases in by_tier.items():
                    (results / f"{tier}_test_all.xml").write_text(
                        tis.CMOCKA_XML.format(suite=tier, cases="\n".join(cases)), encoding="utf-8")
                err = io.StringIO()
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                    code = report.main(["--results", str(results), "--out", str(tmp / "out"), "--gate",
                                        "--sdk-yaml", str(SDK_YAML)])
                return code, err.getvalue()

            code, err = run(None)
            self.assertEqual(code, 0, err)
            victim = sorted(baseline["passed"])[0]
            code, err = run(victim)
            self.assertEqual(code, 1)
            self.assertIn(f"{victim}: regressed: passed in the baseline", err)


class Capabilities(unittest.TestCase):
    TREE = {"A": {".class": "Heading", "B": {".specification": "X"}, "C": None},
            "D": {"E": None}}

    def reqs(self, **over):
        base = {("A",): None, ("A", "B"): ["RSL1"], ("A", "C"): ["RSA1", "RSA2"],
                ("D",): ["RSL1a"], ("D", "E"): ["RSL1b"]}
        base.update(over)
        return base

    def test_requirements_all_pass_and_parents_must_be_declared(self):
        declared = capabilities.declared_nodes(self.reqs(), {"RSL1", "RSA1", "RSL1b"}, set())
        self.assertEqual(declared, {("A",), ("A", "B")})   # C lacks RSA2; E's parent D fails

    def test_not_applicable_items_are_excused_but_one_must_pass(self):
        declared = capabilities.declared_nodes(self.reqs(), {"RSA1"}, {"RSA2", "RSL1"})
        self.assertEqual(declared, {("A",), ("A", "C")})
        self.assertEqual(capabilities.declared_nodes(self.reqs(), set(), {"RSA1", "RSA2"}), set())

    def test_grouping_node_without_declared_children_is_left_out(self):
        self.assertEqual(capabilities.declared_nodes(self.reqs(), {"RSL1a"}, set()), {("D",)})

    def test_manifest_shape(self):
        text = capabilities.render_manifest(self.TREE, {("A",), ("A", "B")}, "6.1.1")
        self.assertIn("common-version: 1.2.1\ncompliance:\n  A:\n    B:\n", text)
        if yaml is not None:
            self.assertEqual(yaml.safe_load(text)["compliance"], {"A": {"B": None}})
            self.assertEqual(yaml.safe_load(capabilities.render_manifest(self.TREE, set(), "x"))["compliance"], {})


class Fixture(unittest.TestCase):
    """report.main over cmocka-layout results, with lists and a baseline in a temp dir."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)
        self.results = self.dir / "results"
        self.results.mkdir()
        doc = tis.imp.build_document(tis.parse(SPEC_MD), tis.VERSIONS, "x.md")
        self.spec = self.dir / "features.json"
        self.spec.write_text(tis.imp.render_json(doc), encoding="utf-8")
        self.files = {name: self.dir / name for name in
                      ("na.yaml", "kf.yaml", "baseline.json", "map.yaml", "sdk.yaml", "caps.yaml")}
        self.write("na.yaml", "not_applicable:\n  RSA2: Cannot be done by a C library on Linux, for testing.\n")
        self.write("kf.yaml", "known_failures:\n")
        self.write("sdk.yaml", "%YAML 1.2\n---\nREST:\n  Publish:\n    .specification: RSL1\n  Auth:\n")
        self.write("map.yaml", "REST:\n  .requires:\n  Publish:\n    .requires: [RSL1*]\n"
                               "  Auth:\n    .requires: [RSA1, RSA2]\n")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        self.files[name].write_text(text, encoding="utf-8")

    def results_for(self, **files):
        shutil.rmtree(self.results)
        self.results.mkdir()
        for filename, cases in files.items():
            text = tis.CMOCKA_XML.format(suite=filename, cases="\n".join(tis.cmocka_case(*c) for c in cases))
            (self.results / f"{filename}.xml").write_text(text, encoding="utf-8")

    def run_report(self, *extra):
        stdout, stderr = io.StringIO(), io.StringIO()
        f = self.files
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = report.main(["--results", str(self.results), "--out", str(self.dir / "out"),
                                "--spec", str(self.spec), "--not-applicable", str(f["na.yaml"]),
                                "--known-failures", str(f["kf.yaml"]), "--baseline", str(f["baseline.json"]),
                                "--feature-map", str(f["map.yaml"]), "--sdk-yaml", str(f["sdk.yaml"]),
                                "--capabilities", str(f["caps.yaml"]), *extra])
        cov = json.loads((self.dir / "out" / "coverage.json").read_text(encoding="utf-8"))
        return code, stdout.getvalue(), stderr.getvalue(), cov

    def all_pass(self):
        self.results_for(unit_test_a=[("a [RSL1 RSL1a]",), ("b [RSL1b]",)],
                         sandbox_test_s=[("s [RSA1]",)])


class Statuses(Fixture):
    def test_every_status(self):
        self.write("kf.yaml", "known_failures:\n  RSL1b: Tracked in the issue tracker, fails on purpose.\n")
        self.results_for(unit_test_a=[("a [RSL1]",), ("b [RSL1b]", "failed"), ("c [RSL1a]", "skipped")])
        code, out, err, cov = self.run_report()
        self.assertEqual(code, 0, err)
        self.assertEqual({i: e["status"] for i, e in cov["ids"].items()},
                         {"RSL1": "passed", "RSL1a": "untested", "RSL1b": "known_failure",
                          "RSA1": "untested", "RSA2": "not_applicable"})
        self.assertEqual(cov["totals"], {"live": 5, "tested": 2, "passed": 1, "failed": 0, "known_failure": 1,
                                         "untested": 2, "not_applicable": 1})
        self.assertEqual(cov["ids"]["RSA2"]["reason"], "Cannot be done by a C library on Linux, for testing.")
        self.assertEqual(cov["tiers_ran"], ["unit"])

    def test_known_failure_only_excuses_its_own_ids(self):
        self.write("kf.yaml", "known_failures:\n  RSL1b: Tracked in the issue tracker, fails on purpose.\n")
        self.results_for(unit_test_a=[("b [RSL1b RSA1]", "failed")])
        code, _, err, cov = self.run_report()
        self.assertEqual(code, 1)
        self.assertEqual(cov["ids"]["RSA1"]["status"], "failed")
        self.assertIn("unit/test_a: b [RSL1b RSA1]: FAILED", err)

    def test_testing_a_not_applicable_id_is_an_error(self):
        self.results_for(unit_test_a=[("a [RSA2]",)])
        code, _, err, _ = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("tests RSA2, which harness/not_applicable.yaml lists as not applicable", err)

    def test_bad_list_entries_are_errors(self):
        self.write("na.yaml", "not_applicable:\n  RSL2: A deleted item, which should not be listed.\n"
                              "  RSL9*: Unknown.\n  RSA1: short\n")
        self.write("kf.yaml", "known_failures:\n  RSL1*: Patterns are not allowed for known failures.\n")
        self.all_pass()
        code, _, err, _ = self.run_report()
        self.assertEqual(code, 1)
        self.assertIn("give a reason (a sentence, not 'Unknown.')", err)
        self.write("na.yaml", "not_applicable:\n  RSL2: A deleted item, which should not be listed.\n"
                              "  RSL9*: Unknown item, which should not be listed.\n")
        code, _, err, _ = self.run_report()
        self.assertIn("RSL2: spec ID RSL2 is deleted, not live", err)
        self.assertIn("RSL9*: unknown spec ID RSL9", err)
        self.assertIn("RSL1*: list single IDs here, not patterns", err)

    def test_reports_in_three_formats_and_the_run_manifest(self):
        self.all_pass()
        code, out, err, cov = self.run_report()
        self.assertEqual(code, 0, err)
        self.assertEqual(cov["capabilities"]["declared"], 3)     # REST, Publish, Auth (RSA2 n/a)
        self.assertIn("supports 3 of 3 sdk.yaml nodes", out)
        md = (self.dir / "out" / "coverage.md").read_text(encoding="utf-8")
        self.assertIn("| 5 | 4 | 0 | 0 | 0 | 1 | 100.0% |", md)
        page = (self.dir / "out" / "index.html").read_text(encoding="utf-8")
        self.assertIn('id="report-data"', page)
        self.assertIn("compliance:\n  REST:\n    Publish:\n    Auth:\n", (self.dir / "out" / "capabilities.yaml").read_text(encoding="utf-8"))

    def test_page_data_cannot_close_its_script_element(self):
        data = {"url_base": "u", "ids": {"X": {"status": "passed", "group": "</script><b>", "tests": []}}}
        cov = {"spec_version": "1", "endpoint": "e", "tiers_ran": [], "groups": [], "totals": {}}
        page = render.html_page(cov, data)
        self.assertNotIn("</script><b>", page)
        self.assertEqual(page.count("</script>"), 2)


class Gate(Fixture):
    def refresh(self):
        code, out, err, _ = self.run_report("--update-baseline")
        self.assertEqual(code, 0, err)
        return out

    def test_update_then_gate_passes_and_manifest_is_written(self):
        self.all_pass()
        out = self.refresh()
        self.assertIn("4 passing IDs", out)
        baseline = json.loads(self.files["baseline.json"].read_text(encoding="utf-8"))
        self.assertEqual(baseline["passed"], {"RSA1": ["sandbox"], "RSL1": ["unit"], "RSL1a": ["unit"],
                                              "RSL1b": ["unit"]})
        self.assertEqual(baseline["tiers"], ["unit", "sandbox"])
        self.assertIn("  Publish:\n", self.files["caps.yaml"].read_text(encoding="utf-8"))
        code, out, err, _ = self.run_report("--gate")
        self.assertEqual(code, 0, err)
        self.assertIn("gate passed", out)

    def test_regression_names_the_id(self):
        self.all_pass()
        self.refresh()
        self.results_for(unit_test_a=[("a [RSL1 RSL1a]",)], sandbox_test_s=[("s [RSA1]",)])
        code, _, err, cov = self.run_report("--gate")
        self.assertEqual(code, 1)
        self.assertIn("RSL1b: regressed: passed in the baseline (unit), now untested", err)
        self.assertIn("coverage fell: 3 passing live IDs, baseline 4", err)
        self.assertTrue(any("RSL1b" in g for g in cov["gate"]))

    def test_tiers_that_did_not_run_are_not_regressions(self):
        self.all_pass()
        self.refresh()
        self.results_for(unit_test_a=[("a [RSL1 RSL1a]",), ("b [RSL1b]",)])    # no sandbox results
        code, _, err, _ = self.run_report("--gate")
        self.assertEqual(code, 0, err)

    def test_changing_one_committed_expectation_fails_naming_the_id(self):
        self.all_pass()
        self.refresh()
        # 1. the baseline claims an ID passes that no test passes
        baseline = json.loads(self.files["baseline.json"].read_text(encoding="utf-8"))
        baseline["passed"]["RSA2"] = ["unit"]
        self.write("baseline.json", expectations.render_baseline(baseline))
        code, _, err, _ = self.run_report("--gate")
        self.assertEqual(code, 1)
        self.assertIn("RSA2: regressed", err)
        self.refresh()
        # 2. a known failure listed for an ID that passes is stale
        self.write("kf.yaml", "known_failures:\n  RSL1a: Was failing in an earlier run of the suite.\n")
        code, _, err, _ = self.run_report("--gate")
        self.assertEqual(code, 1)
        self.assertIn("RSL1a: listed in harness/known_failures.yaml but now passes", err)
        # 3. a failing test whose ID is not a listed known failure
        self.write("kf.yaml", "known_failures:\n")
        self.results_for(unit_test_a=[("a [RSL1 RSL1a]",), ("b [RSL1b]", "failed")],
                         sandbox_test_s=[("s [RSA1]",)])
        code, _, err, _ = self.run_report("--gate")
        self.assertEqual(code, 1)
        self.assertIn("RSL1b: failing and not a known failure", err)

    def test_stale_manifest_fails_the_gate(self):
        self.all_pass()
        self.refresh()
        self.write("caps.yaml", "%YAML 1.2\n---\ncompliance:\n")
        code, _, err, _ = self.run_report("--gate")
        self.assertEqual(code, 1)
        self.assertIn("caps.yaml is stale against the baseline", err)

    def test_no_baseline_fails_the_gate(self):
        self.all_pass()
        code, _, err, _ = self.run_report("--gate")
        self.assertEqual(code, 1)
        self.assertIn("no baseline", err)

    def test_baseline_refuses_unclean_runs_and_real_endpoints(self):
        self.results_for(unit_test_a=[("a [RSL1]", "failed")])
        code, _, err, _ = self.run_report("--update-baseline")
        self.assertEqual(code, 1)
        self.assertIn("baseline not updated: fix the problems above first", err)
        self.assertFalse(self.files["baseline.json"].exists())
        self.all_pass()
        os.environ["ABLY_TEST_ENDPOINT"] = "sandbox.example.com"
        try:
            code, _, err, cov = self.run_report("--update-baseline")
        finally:
            del os.environ["ABLY_TEST_ENDPOINT"]
        self.assertEqual(code, 1)
        self.assertIn("unset ABLY_TEST_ENDPOINT", err)
        self.assertIn("sandbox.example.com", cov["endpoint"])

    def test_spec_version_change_requires_a_refresh(self):
        self.all_pass()
        self.refresh()
        baseline = json.loads(self.files["baseline.json"].read_text(encoding="utf-8"))
        baseline["spec_version"] = "0.0.1"
        self.write("baseline.json", expectations.render_baseline(baseline))
        code, _, err, _ = self.run_report("--gate")
        self.assertEqual(code, 1)
        self.assertIn("baseline is for spec 0.0.1", err)


class SpecDiff(unittest.TestCase):
    def test_new_removed_and_changed_items_with_the_tests_naming_them(self):
        old = tis.imp.build_document(tis.parse(SPEC_MD), tis.VERSIONS, "x.md")
        new_md = SPEC_MD.replace("- `(RSA1)` Basic.", "- `(RSA1)` This clause has been deleted.") \
                        .replace("  - `(RSL1b)` Two.\n", "").replace("- `(RSA2)` Token.", "- `(RSA3)` New.")
        new = tis.imp.build_document(tis.parse(new_md), tis.VERSIONS, "x.md")
        rows = spec_diff.diff(old, new)
        self.assertEqual([(k, i) for k, i, _ in rows],
                         [("changed", "RSA1"), ("new", "RSA3"), ("removed", "RSL1b"), ("removed", "RSA2")])
        self.assertIn("status: active -> deleted", rows[0][2])
        with tempfile.TemporaryDirectory() as tmp:
            (pathlib.Path(tmp) / "unit").mkdir()
            (pathlib.Path(tmp) / "unit" / "test_x.c").write_text(
                'ABLY_TEST(basic, "RSA1 TR3\\xce\\xbd"),\nABLY_TEST_SETUP_TEARDOWN(two, "RSL1b", s, t),\n',
                encoding="utf-8")
            tests = spec_diff.tests_by_id(tmp)
        self.assertEqual(tests, {"RSA1": ["unit/test_x.c:basic"], "TR3\u03bd": ["unit/test_x.c:basic"],
                                 "RSL1b": ["unit/test_x.c:two"]})
        text = spec_diff.render(rows, tests, old, new)
        self.assertIn("| changed | RSA1 | status: active -> deleted | unit/test_x.c:basic |", text)
        self.assertIn("- RSL1b: unit/test_x.c:two", text)

    def test_same_spec_is_no_change(self):
        doc = tis.imp.build_document(tis.parse(SPEC_MD), tis.VERSIONS, "x.md")
        self.assertEqual(spec_diff.diff(doc, doc), [])


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(resultclass=tis.RecordingResult, verbosity=2).run(suite)
    if os.environ.get("ABLY_TEST_XML"):
        tis.write_junit(result.records, os.environ["ABLY_TEST_XML"], "harness")
    sys.exit(0 if result.wasSuccessful() else 1)
