"""Markdown and self-contained HTML renderings of a coverage report (coverage.json)."""
import html
import json

STATUSES = ("passed", "failed", "known_failure", "untested", "not_applicable")
LABELS = {"passed": "passed", "failed": "failed", "known_failure": "known failure",
          "untested": "untested", "not_applicable": "not applicable"}
COLOURS = {"passed": "#2e7d32", "failed": "#c62828", "known_failure": "#ef6c00",
           "untested": "#bdbdbd", "not_applicable": "#5c6bc0"}


def _pct(part, whole):
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def markdown(report):
    t = report["totals"]
    caps = report.get("capabilities") or {}
    out = [f"# libably conformance: features spec {report['spec_version']}", "",
           f"Endpoint: {report['endpoint']}. Client tiers that ran: {', '.join(report['tiers_ran']) or 'none'}.", "",
           "| live IDs | passed | failed | known failure | untested | not applicable | passing (of applicable) |",
           "|---:|---:|---:|---:|---:|---:|---:|",
           f"| {t['live']} | {t['passed']} | {t['failed']} | {t['known_failure']} | {t['untested']} | "
           f"{t['not_applicable']} | {_pct(t['passed'], t['live'] - t['not_applicable'])} |", ""]
    if caps:
        out += [f"Ably SDK feature list: declares {caps['declared']} of {caps['nodes']} nodes "
                "of `sdk.yaml` (`.ably/capabilities.yaml`).", ""]
    out += ["## By section", "",
            "| section | live | passed | failed | known failure | untested | not applicable |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for row in report["groups"]:
        out.append(f"| {row['group']} | {row['live']} | {row['passed']} | {row['failed']} | "
                   f"{row['known_failure']} | {row['untested']} | {row['not_applicable']} |")
    for status, title in (("failed", "Failing"), ("known_failure", "Known failures")):
        rows = [(i, e) for i, e in report["ids"].items() if e["status"] == status]
        if rows:
            out += ["", f"## {title}", ""]
            out += [f"- [{i}]({report['url_base']}{i}): " +
                    (e.get("reason") or ", ".join(x["label"] for x in e["tests"] if x["outcome"] == "failed"))
                    for i, e in rows]
    if report.get("gate"):
        out += ["", "## Gate", ""] + [f"- {line}" for line in report["gate"]]
    out += ["", "Passing IDs and their tests: `coverage.json`, `index.html` beside this file."]
    return "\n".join(out) + "\n"


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em} table{border-collapse:collapse} td,th{padding:2px 8px;text-align:left;vertical-align:top}
#ids td{border-top:1px solid #eee} .bar{display:flex;width:320px;height:14px;background:#eee}
.bar span{display:block;height:100%} .n{text-align:right;font-variant-numeric:tabular-nums}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
#totals b{font-size:1.2em} .st-failed{color:#c62828;font-weight:bold} .st-known_failure{color:#ef6c00}
.st-passed{color:#2e7d32} .st-not_applicable{color:#5c6bc0} .st-untested{color:#777}
input{font-size:1em;padding:3px;width:24em}
"""

# The totals and the ID table are built by script from the embedded data (so the
# browser test checks what a reader sees); the section bars are static HTML.
_JS = """
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var statuses = %(statuses)s, labels = %(labels)s;
  var counts = {live: 0};
  statuses.forEach(function (s) { counts[s] = 0; });
  Object.keys(data.ids).forEach(function (id) { counts.live++; counts[data.ids[id].status]++; });
  var totals = document.getElementById('totals');
  totals.innerHTML = '';
  [['live', 'live IDs']].concat(statuses.map(function (s) { return [s, labels[s]]; }))
    .forEach(function (pair) {
      var span = document.createElement('span');
      span.id = 'total-' + pair[0];
      span.className = 'st-' + pair[0];
      span.innerHTML = '<b>' + counts[pair[0]] + '</b> ' + pair[1] + ' &nbsp; ';
      totals.appendChild(span);
    });
  var body = document.querySelector('#ids tbody');
  function cell(row, content) { var td = document.createElement('td'); td.appendChild(content); row.appendChild(td); return td; }
  function text(t) { return document.createTextNode(t); }
  Object.keys(data.ids).forEach(function (id) {
    var e = data.ids[id], tr = document.createElement('tr');
    var a = document.createElement('a'); a.href = data.url_base + encodeURIComponent(id); a.textContent = id;
    cell(tr, a);
    cell(tr, text(labels[e.status])).className = 'st-' + e.status;
    cell(tr, text(e.group));
    var tests = document.createElement('div');
    e.tests.forEach(function (t) {
      var link = document.createElement('a');
      link.href = t.source || '#'; link.textContent = t.tier + '/' + t.binary + ': ' + t.fn + ' (' + t.outcome + ')';
      tests.appendChild(link); tests.appendChild(document.createElement('br'));
    });
    if (e.reason) tests.appendChild(text(e.reason));
    cell(tr, tests);
    tr.dataset.search = (id + ' ' + e.status + ' ' + labels[e.status] + ' ' + e.group + ' ' + tests.textContent).toLowerCase();
    body.appendChild(tr);
  });
  var box = document.getElementById('search'), shown = document.getElementById('shown');
  function filter() {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean), n = 0;
    Array.prototype.forEach.call(body.rows, function (tr) {
      var hit = words.every(function (w) { return tr.dataset.search.indexOf(w) >= 0; });
      tr.style.display = hit ? '' : 'none'; n += hit;
    });
    shown.textContent = n;
  }
  box.addEventListener('input', filter);
  var m = /[#&]q=([^&]*)/.exec(location.hash);
  if (m) box.value = decodeURIComponent(m[1]);
  filter();
  document.body.dataset.ready = 'yes';
})();
"""


def _bar(row):
    live = row["live"] or 1
    parts = []
    for status in STATUSES:
        if row[status]:
            parts.append(f'<span style="width:{100.0 * row[status] / live:.2f}%;background:{COLOURS[status]}" '
                         f'title="{row[status]} {LABELS[status]}"></span>')
    return f'<div class="bar">{"".join(parts)}</div>'


def html_page(report, page_data):
    """The page: `page_data` is the slimmed report the script reads (ids with tests and links)."""
    esc = html.escape
    rows = []
    for row in report["groups"]:
        rows.append(f'<tr><td>{esc(row["group"])}</td><td>{_bar(row)}</td>' +
                    "".join(f'<td class="n">{row[k]}</td>' for k in ("live",) + STATUSES) + "</tr>")
    legend = "".join(f'<span style="background:{COLOURS[s]}"></span>{LABELS[s]}' for s in STATUSES)
    caps = report.get("capabilities") or {}
    caps_line = (f"<p>Ably SDK feature list: declares <b id=\"caps-declared\">{caps['declared']}</b> of "
                 f"{caps['nodes']} nodes of <code>sdk.yaml</code>.</p>" if caps else "")
    gate = report.get("gate") or []
    gate_html = ("<h2>Gate</h2><ul>" + "".join(f"<li>{esc(g)}</li>" for g in gate) + "</ul>") if gate else ""
    # </script> inside the JSON would end the element early; escape every '<'.
    data = json.dumps(page_data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    script = _JS % {"statuses": json.dumps(list(STATUSES)), "labels": json.dumps(LABELS)}
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>libably conformance: features spec {esc(report['spec_version'])}</title>
<style>{_CSS}</style></head>
<body>
<h1>libably conformance: features spec {esc(report['spec_version'])}</h1>
<p>Endpoint: {esc(report['endpoint'])}. Client tiers that ran: {esc(', '.join(report['tiers_ran']) or 'none')}.</p>
<p id="totals">(totals need JavaScript)</p>
{caps_line}
<h2>By section</h2>
<p class="legend">{legend}</p>
<table id="sections"><thead><tr><th>section</th><th></th><th>live</th>{''.join(f'<th>{LABELS[s]}</th>' for s in STATUSES)}</tr></thead>
<tbody>{''.join(rows)}</tbody></table>
{gate_html}
<h2>Spec items</h2>
<p><input id="search" type="search" placeholder="filter: ID, status, section or test name">
<span id="shown"></span> shown</p>
<table id="ids"><thead><tr><th>ID</th><th>status</th><th>section</th><th>tests / reason</th></tr></thead><tbody></tbody></table>
<script type="application/json" id="report-data">{data}</script>
<script>{script}</script>
</body></html>
"""
