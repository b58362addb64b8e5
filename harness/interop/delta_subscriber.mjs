#!/usr/bin/env node
// The JavaScript side of tests/sandbox/test_interop_vcdiff_js.c: checks that
// the deltas ably-sandbox sends (sbx_vcdiff.c, rt_channel.c) are what the
// official SDK expects. An ably-js Realtime client with the @ably/vcdiff-decoder
// plugin attaches INTEROP_CHANNEL with params {delta: 'vcdiff'}, publishes the
// five payloads of uts/realtime/integration/delta_decoding_test.md one by one,
// and prints one JSON line:
//   {"received":[{"name","data"}], "decodes":n, "reattaches":n}
// Configured by INTEROP_HOST, INTEROP_PORT, INTEROP_TLS (0/1), INTEROP_KEY,
// INTEROP_PROTOCOL (json|msgpack), INTEROP_CHANNEL. Exit 0, or 1 with the reason
// on stderr.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let Ably, vcdiff;
try {
  Ably = require('ably');
  vcdiff = require('@ably/vcdiff-decoder');
} catch (e) {
  console.error('delta_subscriber: npm packages missing; run: npm ci --prefix harness/interop');
  process.exit(2);
}

const DATA = [
  { foo: 'bar', count: 1, status: 'active' },
  { foo: 'bar', count: 2, status: 'active' },
  { foo: 'bar', count: 2, status: 'inactive' },
  { foo: 'bar', count: 3, status: 'inactive' },
  { foo: 'bar', count: 3, status: 'active' },
];

function env(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`delta_subscriber: ${name} is not set`);
  }
  return v;
}

async function main() {
  let decodes = 0;
  let reattaches = 0;
  const counting = {
    decode(delta, base) {
      decodes++;
      return vcdiff.decode(delta, base);
    },
  };
  const tls = env('INTEROP_TLS', '0') === '1';
  const port = Number(env('INTEROP_PORT'));
  const client = new Ably.Realtime({
    key: env('INTEROP_KEY'),
    endpoint: env('INTEROP_HOST'),
    tls,
    ...(tls ? { tlsPort: port } : { port }),
    useBinaryProtocol: env('INTEROP_PROTOCOL') === 'msgpack',
    plugins: { vcdiff: counting },
    logLevel: 0,
  });
  try {
    const channel = client.channels.get(env('INTEROP_CHANNEL'), { params: { delta: 'vcdiff' } });
    await channel.attach();
    channel.on('attaching', () => reattaches++);
    const received = [];
    let done;
    const all = new Promise((resolve) => (done = resolve));
    await channel.subscribe((msg) => {
      received.push({ name: msg.name, data: msg.data });
      if (received.length === DATA.length) done();
    });
    for (let i = 0; i < DATA.length; i++) await channel.publish(String(i), DATA[i]);
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('timed out waiting for messages')), 15000));
    await Promise.race([all, timeout]);
    process.stdout.write(JSON.stringify({ received, decodes, reattaches }) + '\n');
  } finally {
    client.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('delta_subscriber:', e && e.stack ? e.stack : e);
    process.exit(1);
  },
);
