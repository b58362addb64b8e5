#!/usr/bin/env node
// Payload interop between libably and the official JavaScript SDK (npm `ably`),
// driven by tests/sandbox/test_interop_js.c. Everything comes from the environment
// so the C test can point it at whatever sandbox it uses:
//
//   INTEROP_HOST, INTEROP_PORT, INTEROP_TLS (0/1)  where the sandbox is
//   INTEROP_KEY                                    an API key of the test app
//   INTEROP_PROTOCOL                               json | msgpack
//   INTEROP_MODE                                   publish | read
//   INTEROP_CHANNELS   channel[|base64 cipher key],...  (no key: unencrypted)
//   INTEROP_TEXT, INTEROP_BINARY_HEX, INTEROP_JSON the payloads (publish mode)
//
// publish: publishes three messages to each channel, named "string", "binary"
// and "object", carrying the text, the bytes and the JSON object. Prints {"ok":true}.
// read: reads each channel's history (forwards) and prints one JSON line:
//   {"channels":[{"channel":..., "messages":[{"name", "kind", "value", "encoding"}]}]}
// where kind is string (value: the text), binary (value: hex) or json (value: the object).
// Exit status 0 on success; 2 when the ably package is missing; 1 on any error.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let Ably;
try {
  Ably = require('ably');
} catch (e) {
  console.error('rest_payloads: the ably npm package is not installed; run: npm ci --prefix harness/interop');
  process.exit(2);
}

function env(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`rest_payloads: ${name} is not set`);
  }
  return v;
}

function client() {
  const tls = env('INTEROP_TLS', '0') === '1';
  const port = Number(env('INTEROP_PORT'));
  return new Ably.Rest({
    key: env('INTEROP_KEY'),
    endpoint: env('INTEROP_HOST'),
    tls,
    ...(tls ? { tlsPort: port } : { port }),
    useBinaryProtocol: env('INTEROP_PROTOCOL') === 'msgpack',
    httpRequestTimeout: 10000,
    logLevel: 0,
  });
}

function channels(rest) {
  return env('INTEROP_CHANNELS').split(',').filter(Boolean).map((spec) => {
    const [name, key] = spec.split('|');
    return { name, channel: rest.channels.get(name, key ? { cipher: { key } } : {}) };
  });
}

async function publish(rest) {
  const text = env('INTEROP_TEXT');
  const bytes = Buffer.from(env('INTEROP_BINARY_HEX'), 'hex');
  const object = JSON.parse(env('INTEROP_JSON'));
  for (const { channel } of channels(rest)) {
    await channel.publish([
      { name: 'string', data: text },
      { name: 'binary', data: bytes },
      { name: 'object', data: object },
    ]);
  }
  return { ok: true };
}

function describe(message) {
  const d = message.data;
  let kind;
  let value;
  if (typeof d === 'string') {
    kind = 'string';
    value = d;
  } else if (Buffer.isBuffer(d) || d instanceof Uint8Array || d instanceof ArrayBuffer) {
    kind = 'binary';
    value = Buffer.from(d).toString('hex');
  } else {
    kind = 'json';
    value = d;
  }
  return { name: message.name, kind, value, encoding: message.encoding ?? null };
}

async function read(rest) {
  const out = [];
  for (const { name, channel } of channels(rest)) {
    const page = await channel.history({ direction: 'forwards' });
    out.push({ channel: name, messages: page.items.map(describe) });
  }
  return { channels: out };
}

try {
  const rest = client();
  const mode = env('INTEROP_MODE');
  const result = mode === 'publish' ? await publish(rest) : mode === 'read' ? await read(rest) : null;
  if (!result) throw new Error(`rest_payloads: unknown INTEROP_MODE ${mode}`);
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (e) {
  console.error(`rest_payloads: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
}
