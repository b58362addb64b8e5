// Turns bench/run.sh output (results.txt) into markdown tables: the median of the
// repeated runs for every measurement, C next to ably-js.
//   node bench/js/summarize.mjs build-bench/bench/results.txt
import fs from 'node:fs';

const rows = fs.readFileSync(process.argv[2] || 'build-bench/bench/results.txt', 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('impl='))
  .map((l) => Object.fromEntries(l.split(/\s+/).filter(Boolean).map((kv) => kv.split('='))));

const median = (v) => {
  if (!v.length) return undefined;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
// values[impl][key][metric] = [numbers]
const values = {};
for (const r of rows) {
  const key = r.test === 'idle' ? `idle ${r.mode}` : `${r.test} ${r.proto}`;
  for (const [metric, v] of Object.entries(r)) {
    if (['impl', 'test', 'proto', 'mode', 'n'].includes(metric)) continue;
    ((((values[r.impl] ??= {})[key] ??= {})[metric] ??= [])).push(Number(v));
  }
}
const get = (impl, key, metric) => {
  const m = median(values[impl]?.[key]?.[metric] ?? []);
  return m === undefined ? '–' : String(m);
};
const keys = [...new Set(rows.filter((r) => r.test !== 'idle').map((r) => `${r.test} ${r.proto}`))];

console.log('| test | proto | C msg/s | JS msg/s | C p50 µs | JS p50 µs | C p99 µs | JS p99 µs | C CPU µs/msg | JS CPU µs/msg | C allocs/msg |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const key of keys) {
  const [test, proto] = key.split(' ');
  const cells = ['msgs_per_s', 'p50_us', 'p99_us', 'cpu_us_per_msg'].flatMap((m) => [get('c', key, m), get('js', key, m)]);
  console.log(`| ${test} | ${proto} | ${cells.join(' | ')} | ${get('c', key, 'allocs_per_msg')} |`);
}
console.log('\n| idle clients | mode | KB per connection | RSS delta KB | connect all ms |');
console.log('|---|---|---|---|---|');
for (const r of rows.filter((x) => x.test === 'idle')) {
  const key = `idle ${r.mode}`;
  if (r.__done) continue;
  rows.filter((x) => x.test === 'idle' && x.mode === r.mode).forEach((x) => { x.__done = true; });
  console.log(`| ${r.impl} (${r.n}) | ${r.mode} | ${get(r.impl, key, 'kb_per_conn')} | ${get(r.impl, key, 'rss_delta_kb')} | ` +
    `${get(r.impl, key, 'connect_all_ms')} |`);
}
