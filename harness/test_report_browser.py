#!/usr/bin/env python3
"""Opens the HTML coverage page in headless Chromium and checks what it shows.

Builds a report from made-up results over the real spec/features.json and the
committed lists, loads build-like index.html in Chromium (Debian package
`chromium`; or env ABLY_CHROMIUM), reads the DOM after the page's script ran,
and compares the totals, the search filter and the links with coverage.json.
Registered in ctest as `tool_report_browser`; fails (never skips) without
Chromium, because CI installs it.
"""
import contextlib
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HARNESS = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HARNESS))
sys.path.insert(0, str(HARNESS.parent / "codegen"))
import report  # noqa: E402
import test_import_spec as tis  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium():
    for name in filter(None, (os.environ.get("ABLY_CHROMIUM"), "chromium", "chromium-browser")):
        path = shutil.which(name)
        if path:
            return path
    return None


def dump_dom(url, workdir):
    """The DOM after scripts ran, as Chromium serialises it."""
    profile = tempfile.mkdtemp(prefix="chromium-", dir=workdir)
    proc = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 or "<html" not in proc.stdout:
        raise AssertionError(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


class BrowserPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if chromium() is None:
            raise unittest.SkipTest("never reached: main() fails first")
        cls.tmp = tempfile.TemporaryDirectory()
        work = pathlib.Path(cls.tmp.name)
        results = work / "results"
        results.mkdir()
        # unit/test_defaults is a real test file, so the page can link to its source.
        cases = {"unit_test_defaults": [("request_timeouts_and_retry_limits [TO3l4 TO3l3]",),
                                        ("ports [TO3k4 TO3k5]",)],
                 "sandbox_test_publish": [("publishes [RSL1a]",), ("later [RSL1b]", "skipped")]}
        for name, rows in cases.items():
            text = tis.CMOCKA_XML.format(suite=name, cases="\n".join(tis.cmocka_case(*c) for c in rows))
            (results / f"{name}.xml").write_text(text, encoding="utf-8")
        cls.out = work / "report"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            code = report.main(["--results", str(results), "--out", str(cls.out)])
        if code != 0:
            raise AssertionError(f"report failed: {err.getvalue()}")
        cls.cov = json.loads((cls.out / "coverage.json").read_text(encoding="utf-8"))
        cls.page = (cls.out / "index.html").as_uri()
        cls.dom = dump_dom(cls.page, work)
        cls.work = work

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_script_ran(self):
        self.assertIn('data-ready="yes"', self.dom)

    def test_totals_shown_match_the_report(self):
        shown = dict(re.findall(r'<span id="total-([a-z_]+)"[^>]*><b>(\d+)</b>', self.dom))
        expected = {k: str(v) for k, v in self.cov["totals"].items() if k != "tested"}
        self.assertEqual(shown, expected)
        self.assertEqual(shown["passed"], "5")
        self.assertEqual(int(shown["live"]), 1550)

    def test_one_bar_per_section(self):
        self.assertEqual(self.dom.count('<div class="bar">'), len(self.cov["groups"]))

    def test_table_has_every_live_id_linked_to_the_spec(self):
        self.assertEqual(len(re.findall(r"<tr data-search=", self.dom)), self.cov["totals"]["live"])
        self.assertIn(f'href="{self.cov["url_base"]}RSL1a"', self.dom)
        link = re.search(r'href="([^"]*)">unit/test_defaults: request_timeouts_and_retry_limits', self.dom)
        self.assertIsNotNone(link, "no link from TO3l4 to its test")
        self.assertRegex(link.group(1), r"(^|/)tests/unit/test_defaults\.c#L\d+$")
        target = (self.out / link.group(1).split("#")[0]).resolve()
        self.assertTrue(target.exists(), target)

    def test_search_filters_rows(self):
        dom = dump_dom(self.page + "#q=not_applicable", self.work)
        shown = re.search(r'<span id="shown">(\d+)</span>', dom)
        self.assertEqual(int(shown.group(1)), self.cov["totals"]["not_applicable"])
        dom = dump_dom(self.page + "#q=test_publish", self.work)
        self.assertEqual(re.search(r'<span id="shown">(\d+)</span>', dom).group(1), "2")   # RSL1a, RSL1b


def main():
    if chromium() is None:
        print("tool_report_browser: Chromium not found. Install the Debian package `chromium` "
              "(apt-get install -y chromium) or set ABLY_CHROMIUM to the browser binary.", file=sys.stderr)
        if os.environ.get("ABLY_TEST_XML"):
            pathlib.Path(os.environ["ABLY_TEST_XML"]).write_text(
                '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="report_browser" tests="1">'
                '<testcase name="BrowserPage.chromium_present"><failure>chromium not installed</failure>'
                "</testcase></testsuite></testsuites>\n", encoding="utf-8")
        return 1
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(resultclass=tis.RecordingResult, verbosity=2).run(suite)
    if os.environ.get("ABLY_TEST_XML"):
        tis.write_junit(result.records, os.environ["ABLY_TEST_XML"], "report_browser")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
