// The ably-js side of the benchmarks: the same measurements as bench/bench_realtime.c,
// with the same output lines (impl=js). Not a test. See bench/README.md.
//
//   node --expose-gc bench/js/bench.mjs ack|e2e|rest N json|msgpack
//   node --expose-gc bench/js/bench.mjs idle N
//
// Where to connect: ABLY_KEY, ABLY_ENDPOINT, ABLY_PORT (plain ws/http), as for the C side.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../harness/interop/package.json'));
const Ably = require('ably');

const PAYLOAD = '0123456789'.repeat(10); // 100 bytes, as on the C side

const nowUs = () => Number(process.hrtime.bigint()) / 1e3;
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const quantile = (v, q) => {
  const s = Float64Array.from(v).sort();
  return s[Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
};

function options(msgpack, extra = {}) {
  return {
    key: process.env.ABLY_KEY,
    endpoint: process.env.ABLY_ENDPOINT || '127.0.0.1',
    port: Number(process.env.ABLY_PORT),
    tls: false,
    useBinaryProtocol: msgpack,
    logLevel: 0,
    ...extra,
  };
}

async function connectClient(msgpack, echo) {
  const rt = new Ably.Realtime(options(msgpack, { echoMessages: echo }));
  await rt.connection.once('connected');
  return rt;
}

function reportRun(test, proto, n, wallUs, cpu) {
  console.log(`impl=js test=${test} proto=${proto} n=${n} msgs_per_s=${(n / (wallUs / 1e6)).toFixed(0)} ` +
    `cpu_us_per_msg=${(cpu / n).toFixed(1)}`);
}

async function benchAck(n, msgpack) {
  const proto = msgpack ? 'msgpack' : 'json';
  const rt = await connectClient(msgpack, false);
  const ch = rt.channels.get('bench-ack');
  await ch.attach();

  // Sequential: await each ACK before the next publish.
  const lat = new Float64Array(n);
  let t0 = nowUs(), c0 = cpuUs();
  for (let i = 0; i < n; i++) {
    const s = nowUs();
    await ch.publish('bench', PAYLOAD);
    lat[i] = nowUs() - s;
  }
  reportRun('ack_seq', proto, n, nowUs() - t0, cpuUs() - c0);
  console.log(`impl=js test=ack_seq proto=${proto} p50_us=${quantile(lat, 0.5).toFixed(0)} ` +
    `p99_us=${quantile(lat, 0.99).toFixed(0)}`);

  // Burst: N publishes at once, time until the last ACK.
  t0 = nowUs(); c0 = cpuUs();
  const all = [];
  for (let i = 0; i < n; i++) all.push(ch.publish('bench', PAYLOAD));
  await Promise.all(all);
  reportRun('ack_burst', proto, n, nowUs() - t0, cpuUs() - c0);
  rt.close();
}

async function benchE2e(n, msgpack) {
  const proto = msgpack ? 'msgpack' : 'json';
  const a = await connectClient(msgpack, false);
  const b = await connectClient(msgpack, true);
  const pub = a.channels.get('bench-e2e');
  const sub = b.channels.get('bench-e2e');
  await pub.attach();
  await sub.attach();
  const sentAt = new Float64Array(n);
  const lat = new Float64Array(n);
  let received = 0, sequential = true, done = null;
  const publish = (i) => {
    sentAt[i] = nowUs();
    pub.publish('bench', String(i)).catch((e) => console.error('publish failed', e.message));
  };
  await sub.subscribe((m) => {
    const t = nowUs();
    const i = Number(m.data);
    lat[received] = t - sentAt[i];
    if (++received === n) done();
    else if (sequential) publish(received);
  });
  for (const mode of ['e2e_seq', 'e2e_burst']) {
    sequential = mode === 'e2e_seq';
    received = 0;
    const finished = new Promise((resolve) => { done = resolve; });
    const t0 = nowUs(), c0 = cpuUs();
    if (sequential) publish(0);
    else for (let i = 0; i < n; i++) publish(i);
    await finished;
    reportRun(mode, proto, n, nowUs() - t0, cpuUs() - c0);
    console.log(`impl=js test=${mode} proto=${proto} p50_us=${quantile(lat, 0.5).toFixed(0)} ` +
      `p99_us=${quantile(lat, 0.99).toFixed(0)}`);
  }
  a.close();
  b.close();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function settleRss() {
  for (let i = 0; i < 3; i++) {
    if (global.gc) global.gc();
    await sleep(200);
  }
  return process.memoryUsage().rss;
}

async function benchIdle(n) {
  const before = await settleRss();
  const t0 = nowUs();
  const clients = [];
  for (let i = 0; i < n; i++) clients.push(new Ably.Realtime(options(true)));
  await Promise.all(clients.map((c) => c.connection.once('connected')));
  const connectMs = (nowUs() - t0) / 1e3;
  await sleep(1000);
  const after = await settleRss();
  const connected = clients.filter((c) => c.connection.state === 'connected').length;
  console.log(`impl=js test=idle mode=event_loop n=${n} connected=${connected} rss_delta_kb=${((after - before) / 1024).toFixed(0)} ` +
    `kb_per_conn=${((after - before) / 1024 / n).toFixed(1)} connect_all_ms=${connectMs.toFixed(0)}`);
  clients.forEach((c) => c.close());
}

async function benchRest(n, msgpack) {
  const proto = msgpack ? 'msgpack' : 'json';
  const rest = new Ably.Rest(options(msgpack));
  const ch = rest.channels.get('bench-rest');
  await ch.publish('warmup', PAYLOAD);
  const lat = new Float64Array(n);
  const t0 = nowUs(), c0 = cpuUs();
  for (let i = 0; i < n; i++) {
    const s = nowUs();
    await ch.publish('bench', PAYLOAD);
    lat[i] = nowUs() - s;
  }
  reportRun('rest', proto, n, nowUs() - t0, cpuUs() - c0);
  console.log(`impl=js test=rest proto=${proto} p50_us=${quantile(lat, 0.5).toFixed(0)} ` +
    `p99_us=${quantile(lat, 0.99).toFixed(0)}`);
}

const [cmd, nText, protoArg] = process.argv.slice(2);
const n = Number(nText);
if (!process.env.ABLY_KEY || !n) {
  console.error('usage: ABLY_KEY=.. ABLY_ENDPOINT=127.0.0.1 ABLY_PORT=.. node bench.mjs ack|e2e|rest|idle N [json|msgpack]');
  process.exit(2);
}
const msgpack = protoArg === 'msgpack';
const runs = { ack: () => benchAck(n, msgpack), e2e: () => benchE2e(n, msgpack), idle: () => benchIdle(n),
  rest: () => benchRest(n, msgpack) };
if (!runs[cmd]) process.exit(2);
await runs[cmd]();
setTimeout(() => process.exit(0), 500).unref();
