#!/usr/bin/env node
// The JavaScript side of the realtime C <-> JS interop test
// (tests/sandbox/test_interop_realtime_js.c): an ably-js Realtime client with
// clientId "js-peer" on the same channels as a libably client. Configured by
// the environment:
//
//   INTEROP_HOST, INTEROP_PORT, INTEROP_TLS (0/1)  where the sandbox is
//   INTEROP_KEY, INTEROP_PROTOCOL (json|msgpack)   credentials, wire format
//   INTEROP_CHANNELS   channel[|base64 cipher key],...  (no key: unencrypted)
//   INTEROP_PEER       the C client's clientId
//   INTEROP_TEXT, INTEROP_BINARY_HEX, INTEROP_JSON, INTEROP_ARRAY  the payloads
//
// Steps: attach and subscribe to messages and presence on every channel, enter
// presence with {"from":"js"}, then print {"ready":true,...} on stdout. Wait (max
// 20 s) until the peer's four messages and its presence enter, update and leave
// arrived on every channel; then publish the four payloads ("string", "binary",
// "object", "array"), update presence to the text payload and leave with the
// binary one, and print one JSON line with everything received from the peer:
//   {"channels":[{"channel", "messages":[{name,kind,value,encoding}],
//                 "presence":[{action,clientId,kind,value,encoding}]}]}
// kind: string (value: text), binary (value: hex), json (value: the object/array).
// Exit status 0 on success, 1 on any error (the reason on stderr).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let Ably;
try {
  Ably = require('ably');
} catch (e) {
  console.error('realtime_peer: the ably npm package is not installed; run: npm ci --prefix harness/interop');
  process.exit(2);
}

const WAIT_MS = 20000;
const SELF = 'js-peer';

function env(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`realtime_peer: ${name} is not set`);
  }
  return v;
}

function client() {
  const tls = env('INTEROP_TLS', '0') === '1';
  const port = Number(env('INTEROP_PORT'));
  return new Ably.Realtime({
    key: env('INTEROP_KEY'),
    clientId: SELF,
    endpoint: env('INTEROP_HOST'),
    tls,
    ...(tls ? { tlsPort: port } : { port }),
    useBinaryProtocol: env('INTEROP_PROTOCOL') === 'msgpack',
    realtimeRequestTimeout: 10000,
    logLevel: 0,
  });
}

function describe(item) {
  const d = item.data;
  let kind;
  let value;
  if (typeof d === 'string') {
    kind = 'string';
    value = d;
  } else if (Buffer.isBuffer(d) || d instanceof Uint8Array || d instanceof ArrayBuffer) {
    kind = 'binary';
    value = Buffer.from(d).toString('hex');
  } else if (d === undefined || d === null) {
    kind = 'none';
    value = null;
  } else {
    kind = 'json';
    value = d;
  }
  return { name: item.name, action: item.action, clientId: item.clientId, kind, value, encoding: item.encoding ?? null };
}

function payloads() {
  return [
    { name: 'string', data: env('INTEROP_TEXT') },
    { name: 'binary', data: Buffer.from(env('INTEROP_BINARY_HEX'), 'hex') },
    { name: 'object', data: JSON.parse(env('INTEROP_JSON')) },
    { name: 'array', data: JSON.parse(env('INTEROP_ARRAY')) },
  ];
}

// Resolves once every channel has 4 messages and enter/update/leave from the peer.
function peerDone(state) {
  return state.every((s) => s.messages.length >= 4 && s.presence.some((p) => p.action === 'leave'));
}

async function waitFor(cond, what) {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`realtime_peer: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main() {
  const peer = env('INTEROP_PEER');
  const rt = client();
  const state = [];
  try {
    for (const spec of env('INTEROP_CHANNELS').split(',').filter(Boolean)) {
      const [name, key] = spec.split('|');
      const channel = rt.channels.get(name, key ? { cipher: { key } } : {});
      const s = { name, channel, messages: [], presence: [] };
      await channel.subscribe((m) => { if (m.clientId === peer) s.messages.push(describe(m)); });
      await channel.presence.subscribe((m) => { if (m.clientId === peer) s.presence.push(describe(m)); });
      await channel.presence.enter({ from: 'js' });
      state.push(s);
    }
    process.stdout.write(JSON.stringify({ ready: true, connectionId: rt.connection.id }) + '\n');
    await waitFor(() => peerDone(state), "the peer's messages and presence events");
    const list = payloads();
    for (const s of state) {
      await s.channel.publish(list.map((p) => ({ name: p.name, data: p.data })));
      await s.channel.presence.update(list[0].data);
      await s.channel.presence.leave(list[1].data);
    }
    const out = state.map((s) => ({ channel: s.name, messages: s.messages, presence: s.presence }));
    process.stdout.write(JSON.stringify({ channels: out }) + '\n');
  } finally {
    rt.close();
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`realtime_peer: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
