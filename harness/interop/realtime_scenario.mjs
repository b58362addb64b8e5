#!/usr/bin/env node
// Realtime interop: the official Ably JavaScript SDK (npm `ably` 2.x) runs a
// scripted realtime scenario against ably-sandbox with nothing but a host/port
// override (endpoint 127.0.0.1, port, tls:false). Every step runs once per
// protocol (useBinaryProtocol false = JSON, true = msgpack) and checks its result.
//
//   node realtime_scenario.mjs --sandbox PATH/ably-sandbox --proxy PATH/ably-proxy
//                              --upstream DIR [--xml FILE] [--steps a,b] [--protocols json,msgpack]
//
// The resume step drops the transport through ably-proxy (started here, in front
// of the sandbox) with its imperative `disconnect` action, so nothing reaches into
// SDK internals. Both servers are stopped with SIGTERM at the end and must exit 0
// (no ASan report). --xml writes JUnit results named "protocol_step [SPEC IDS]".
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let Ably;
try {
  Ably = require('ably');
} catch (e) {
  console.error('realtime interop: the ably npm package is not installed; run: npm ci --prefix harness/interop');
  process.exit(1);
}

function parseArgs(argv) {
  const out = { protocols: ['json', 'msgpack'] };
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`missing value after ${argv[i]}`);
    if (name === 'steps' || name === 'protocols') out[name] = value.split(',').filter(Boolean);
    else out[name] = value;
  }
  for (const need of ['sandbox', 'proxy', 'upstream']) {
    if (!out[need]) throw new Error(`--${need} is required`);
  }
  return out;
}

// ---------------------------------------------------------------- processes

// Spawns a server and resolves with the captures of `ready` on its first stdout line.
function startServer(bin, args, ready, what) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not report ready within 10 s`)), 10000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      const m = ready.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve({ child, m });
      }
    });
  });
}

function stopServer(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.on('exit', (code, signal) => { clearTimeout(killer); resolve(signal ? -1 : code); });
    child.kill('SIGTERM');
  });
}

async function http(host, port, method, urlPath, body, auth) {
  const headers = { 'content-type': 'application/json' };
  if (auth) headers.authorization = 'Basic ' + Buffer.from(auth).toString('base64');
  const res = await fetch(`http://${host}:${port}${urlPath}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// ---------------------------------------------------------------- helpers

let uniq = 0;
const channelName = (prefix) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++uniq}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function clientOptions(ctx, port, extra) {
  return {
    endpoint: ctx.host,
    port,
    tls: false,
    useBinaryProtocol: ctx.protocol === 'msgpack',
    httpRequestTimeout: 5000,
    realtimeRequestTimeout: 5000,
    logLevel: 0,
    ...extra,
  };
}

// A realtime client on the sandbox (or, with `viaProxy`, through ably-proxy).
function makeRealtime(ctx, extra, viaProxy) {
  const rt = new Ably.Realtime(clientOptions(ctx, viaProxy ? ctx.proxyPort : ctx.port, extra));
  ctx.open.push(rt);
  return rt;
}

const makeRest = (ctx, extra) => new Ably.Rest(clientOptions(ctx, ctx.port, extra));
const key = (ctx, i = 0) => ctx.app.keys[i].keyStr;

// Resolves with the first event of `name` on an EventEmitter-like object, or rejects after ms.
function once(emitter, name, ms, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what || name}`)), ms);
    emitter.once(name, (ev) => { clearTimeout(timer); resolve(ev); });
  });
}

async function connected(rt) {
  if (rt.connection.state !== 'connected') await once(rt.connection, 'connected', 10000, 'connected');
}

// Collects subscription events into an array; `until(n)` waits for n of them.
function collector() {
  const items = [];
  const waiters = [];
  return {
    items,
    push(x) {
      items.push(x);
      for (const w of waiters.splice(0)) w();
    },
    async until(n, ms = 10000, what = 'events') {
      const deadline = Date.now() + ms;
      while (items.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${n} ${what}, got ${items.length}: ` +
          JSON.stringify(items.map((m) => [m.action || m.name, m.clientId, m.data])));
        await new Promise((r) => { waiters.push(r); setTimeout(r, Math.min(left, 200)); });
      }
      return items;
    },
  };
}

const PAYLOADS = [
  { name: 'string', data: 'realtime ünïcödé ✓' },
  { name: 'binary', data: Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80, 0x7f]) },
  { name: 'json-object', data: { a: 1, b: [true, null, 'x'], nested: { pi: 3.25 } } },
  { name: 'json-array', data: [1, 'two', { three: 3 }] },
];

function checkPayload(item, want, what) {
  assert.equal(item.name, want.name, `${what}: name`);
  if (Buffer.isBuffer(want.data)) {
    assert.ok(Buffer.isBuffer(item.data) || item.data instanceof Uint8Array,
      `${what}: binary data came back as ${typeof item.data} ${JSON.stringify(item.data)}`);
    assert.ok(Buffer.from(item.data).equals(want.data), `${what}: binary bytes`);
  } else {
    assert.deepEqual(item.data, want.data, `${what}: data`);
  }
  assert.ok(!item.encoding, `${what}: encoding left over: ${item.encoding}`);
}

// An authCallback handing out TokenRequests signed by a key-holding REST client.
function tokenCallback(ctx, clientId, counter) {
  const signer = makeRest(ctx, { key: key(ctx) });
  return (params, cb) => {
    counter.calls++;
    signer.auth.createTokenRequest({ ...params, clientId }).then((tr) => cb(null, tr), (e) => cb(e));
  };
}

// ---------------------------------------------------------------- steps

const steps = [
  {
    name: 'connect_attach_publish_subscribe',
    ids: 'RTN2 RTN4b RTL4 RTL4c RTL6 RTL6b RTN7a RTL7 RTL7a',
    async run(ctx) {
      const rt = makeRealtime(ctx, { key: key(ctx) });
      await connected(rt);
      assert.ok(rt.connection.id, 'connection.id');
      assert.ok(rt.connection.key, 'connection.key');
      const ch = rt.channels.get(channelName('rt-pubsub'));
      await ch.attach();
      assert.equal(ch.state, 'attached');
      const got = collector();
      await ch.subscribe((m) => got.push(m));
      // publish() resolves only on the server's ACK.
      for (const p of PAYLOADS) await ch.publish(p.name, p.data);
      await ch.publish(PAYLOADS.map((p) => ({ name: p.name, data: p.data })));
      await got.until(2 * PAYLOADS.length, 10000, 'messages');
      got.items.forEach((m, i) => checkPayload(m, PAYLOADS[i % PAYLOADS.length], `received[${i}]`));
      for (const m of got.items) {
        assert.equal(m.connectionId, rt.connection.id, 'connectionId of own message');
        assert.ok(m.id && typeof m.timestamp === 'number', 'id and timestamp');
      }
      // A second client on the channel sees a REST publish too.
      const other = makeRealtime(ctx, { key: key(ctx) });
      const och = other.channels.get(ch.name);
      const seen = collector();
      await och.subscribe('from-rest', (m) => seen.push(m));
      await makeRest(ctx, { key: key(ctx) }).channels.get(ch.name).publish('from-rest', { via: 'rest' });
      await seen.until(1, 10000, 'REST-published message');
      assert.deepEqual(seen.items[0].data, { via: 'rest' });
      // A publish the key may not make is NACKed with 40160.
      const limited = makeRealtime(ctx, { key: key(ctx, 3) }); // { "*": ["subscribe"] }
      const lch = limited.channels.get(ch.name);
      await lch.attach();
      await assert.rejects(lch.publish('x', 'denied'), (e) => e.code === 40160, 'NACK 40160');
    },
  },
  {
    name: 'presence',
    ids: 'RTP8 RTP8a RTP8e RTP9 RTP9e RTP10 RTP10a RTP11 RTP11a RTP6 RTP6a RTP2',
    async run(ctx) {
      const name = channelName('rt-presence');
      const watcher = makeRealtime(ctx, { key: key(ctx), clientId: 'watcher' });
      const wch = watcher.channels.get(name);
      const events = collector();
      await wch.presence.subscribe((m) => events.push(m));
      const alice = makeRealtime(ctx, { key: key(ctx), clientId: 'alice' });
      const ach = alice.channels.get(name);
      await ach.presence.enter({ mood: 'hello' });
      await ach.presence.update('updated');
      const bob = makeRealtime(ctx, { key: key(ctx), clientId: 'bob' });
      await bob.channels.get(name).presence.enter(Buffer.from([1, 2, 3]));
      await events.until(3, 10000, 'presence events');
      const members = await wch.presence.get();
      const byId = Object.fromEntries(members.map((m) => [m.clientId, m]));
      assert.deepEqual(Object.keys(byId).sort(), ['alice', 'bob']);
      assert.equal(byId.alice.data, 'updated');
      assert.ok(Buffer.from(byId.bob.data).equals(Buffer.from([1, 2, 3])), 'bob binary presence data');
      assert.equal(byId.alice.action, 'present');
      await ach.presence.leave('bye');
      await events.until(4, 10000, 'leave event');
      const seq = events.items.map((m) => `${m.action}:${m.clientId}`);
      assert.deepEqual(seq, ['enter:alice', 'update:alice', 'enter:bob', 'leave:alice']);
      assert.deepEqual(events.items[0].data, { mood: 'hello' });
      assert.equal(events.items[3].data, 'bye');
      assert.equal(events.items[0].connectionId, alice.connection.id);
      const after = await wch.presence.get();
      assert.deepEqual(after.map((m) => m.clientId), ['bob']);
      // A late joiner gets the members through SYNC; filters by clientId.
      const late = makeRealtime(ctx, { key: key(ctx) });
      const lch = late.channels.get(name);
      const synced = await lch.presence.get({ waitForSync: true });
      assert.deepEqual(synced.map((m) => m.clientId), ['bob']);
      assert.deepEqual((await lch.presence.get({ clientId: 'nobody' })).length, 0);
      // The REST presence route sees the realtime member.
      const restMembers = await makeRest(ctx, { key: key(ctx) }).channels.get(name).presence.get();
      assert.deepEqual(restMembers.items.map((m) => m.clientId), ['bob']);
      // Closing bob's connection makes him leave.
      bob.close();
      await events.until(5, 10000, 'leave on close');
      assert.equal(`${events.items[4].action}:${events.items[4].clientId}`, 'leave:bob');
    },
  },
  {
    name: 'resume_after_dropped_transport',
    ids: 'RTN15a RTN15b RTN15c6',
    async run(ctx) {
      const rt = makeRealtime(ctx, { key: key(ctx), disconnectedRetryTimeout: 1000 }, true);
      await connected(rt);
      const id = rt.connection.id;
      const ch = rt.channels.get(channelName('rt-resume'));
      const got = collector();
      await ch.subscribe((m) => got.push(m));
      await ch.publish('before', '1');
      await got.until(1);
      // The first reconnection attempt is refused, so the REST publish below
      // surely happens while the client has no transport.
      const rule = { match: { type: 'ws_connect' }, action: { type: 'refuse_connection' }, times: 1 };
      const added = await http(ctx.host, ctx.proxyControl, 'POST', '/sessions/default/rules', { rules: [rule] });
      assert.equal(added.status, 200, `proxy rule: ${JSON.stringify(added.body)}`);
      const disconnected = once(rt.connection, 'disconnected', 10000, 'disconnected');
      const res = await http(ctx.host, ctx.proxyControl, 'POST', '/sessions/default/actions', { type: 'disconnect' });
      assert.equal(res.status, 200, `proxy action: ${JSON.stringify(res.body)}`);
      await disconnected;
      // Published while the transport is down: all must arrive after the resume,
      // in order and exactly once.
      const away = ['away-1', 'away-2', 'away-3', 'away-4', 'away-5'];
      const restCh = makeRest(ctx, { key: key(ctx) }).channels.get(ch.name);
      for (const n of away) await restCh.publish(n, n);
      const change = await once(rt.connection, 'connected', 15000, 'reconnection');
      assert.equal(rt.connection.id, id, 'resume keeps the connectionId');
      assert.ok(!change.reason, `resume succeeded without error: ${change.reason && change.reason.message}`);
      await got.until(1 + away.length, 10000, 'messages missed while disconnected');
      assert.equal(ch.state, 'attached');
      await ch.publish('after', '3');
      await got.until(2 + away.length);
      await sleep(300); // a duplicate would arrive by now
      assert.deepEqual(got.items.map((m) => m.name), ['before', ...away, 'after'],
        'every message once, in order, across the drop');
      // The proxy saw a second WebSocket carrying resume=<connectionKey>.
      const log = await http(ctx.host, ctx.proxyControl, 'GET', '/sessions/default/log');
      const connects = log.body.events.filter((e) => e.type === 'ws_connect');
      assert.ok(connects.length >= 2, 'two WebSocket connections');
      assert.ok(connects[connects.length - 1].queryParams.resume, 'reconnection asked to resume');
    },
  },
  {
    name: 'reauth_in_band',
    ids: 'RTC8 RTC8a RTC8a1 RTC8a2 RSA8d RSA4',
    async run(ctx) {
      const counter = { calls: 0 };
      const rt = makeRealtime(ctx, { authCallback: tokenCallback(ctx, 'reauth-client', counter) });
      await connected(rt);
      assert.equal(counter.calls, 1, 'authCallback called to connect');
      assert.equal(rt.auth.clientId, 'reauth-client');
      const id = rt.connection.id;
      const firstToken = rt.auth.tokenDetails.token;
      const ch = rt.channels.get(channelName('rt-reauth'));
      await ch.attach();
      const updates = collector();
      rt.connection.on('update', (c) => updates.push(c));
      const td = await rt.auth.authorize();
      assert.equal(counter.calls, 2, 'authCallback called again by authorize()');
      assert.notEqual(td.token, firstToken, 'a new token');
      assert.equal(rt.auth.tokenDetails.token, td.token);
      assert.equal(rt.connection.state, 'connected');
      assert.equal(rt.connection.id, id, 'in-band: same connection');
      await updates.until(1, 5000, 'connection update event');
      assert.equal(ch.state, 'attached');
      const got = collector();
      await ch.subscribe((m) => got.push(m));
      await ch.publish('after-reauth', 'ok');
      await got.until(1);
      assert.equal(got.items[0].clientId, 'reauth-client');
      // An explicit token (same clientId) whose capability leaves this channel out:
      // the connection stays, the channel loses its attachment with 40160.
      const signer = makeRest(ctx, { key: key(ctx) });
      const narrow = await signer.auth.requestToken({ clientId: 'reauth-client', capability: { 'elsewhere-*': ['*'] } });
      const lost = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('channel kept its attachment after the capability shrank')), 10000);
        ch.on((change) => {
          if (change.reason && change.reason.code === 40160) { clearTimeout(timer); resolve(change); }
        });
      });
      const td3 = await rt.auth.authorize(null, { token: narrow.token, authCallback: undefined });
      assert.equal(td3.token, narrow.token);
      assert.equal(rt.connection.id, id, 'still the same connection');
      const change = await lost;
      assert.ok(['detached', 'failed', 'suspended', 'attaching'].includes(change.current), `channel state ${change.current}`);
      assert.equal(rt.connection.state, 'connected');
      // authorize() with a token of another clientId is refused (40102) and fails the connection.
      const other = await makeRest(ctx, { key: key(ctx) }).auth.requestToken({ clientId: 'someone-else' });
      await assert.rejects(rt.auth.authorize(null, { token: other.token, authCallback: undefined }),
        (e) => e.code === 40102, 'incompatible clientId');
      if (rt.connection.state !== 'failed') await once(rt.connection, 'failed', 5000, 'FAILED after a refused AUTH');
      assert.equal(rt.connection.errorReason && rt.connection.errorReason.code, 40102);
    },
  },
  {
    name: 'presence_sync_260_members',
    ids: 'RTP1 RTP2 RTP18 RTP18a RTP18b RTP11a RTP11c1 RTP14 RTP15',
    async run(ctx) {
      const name = channelName('rt-presence-big');
      const total = 260; // the sandbox pages SYNC by 100: three pages
      // A key client (no clientId) enters members on their behalf.
      const host = makeRealtime(ctx, { key: key(ctx) });
      const hch = host.channels.get(name);
      await hch.attach();
      for (let i = 0; i < total; i += 50) {
        const batch = [];
        for (let j = i; j < Math.min(total, i + 50); j++) {
          batch.push(hch.presence.enterClient(`member-${j}`, { n: j, tag: `m${j}` }));
        }
        await Promise.all(batch);
      }
      const late = makeRealtime(ctx, { key: key(ctx), clientId: 'late' });
      const lch = late.channels.get(name);
      const members = await lch.presence.get({ waitForSync: true });
      assert.equal(members.length, total, 'every member arrives through the multi-page SYNC');
      assert.equal(lch.presence.syncComplete, true, 'SYNC complete');
      const byId = new Map(members.map((m) => [m.clientId, m]));
      assert.equal(byId.size, total, 'distinct members');
      for (const j of [0, 99, 100, 199, 200, 259]) {
        const m = byId.get(`member-${j}`);
        assert.ok(m, `member-${j} present`);
        assert.deepEqual(m.data, { n: j, tag: `m${j}` }, `member-${j} data`);
        assert.equal(m.action, 'present');
        assert.equal(m.connectionId, host.connection.id);
      }
      // The late joiner keeps following the set: one leave shrinks it.
      const left = collector();
      await lch.presence.subscribe('leave', (m) => left.push(m));
      await hch.presence.leaveClient('member-7');
      await left.until(1, 10000, 'leave of member-7');
      assert.equal(left.items[0].clientId, 'member-7');
      assert.equal((await lch.presence.get()).length, total - 1);
    },
  },
  {
    name: 'token_renewal_on_server_expiry',
    ids: 'RTN15h2 RSA4b RSA8d',
    async run(ctx) {
      // A 4 s token: the sandbox disconnects with 40142 when it expires; ably-js
      // gets a new token through authCallback and resumes the same connection.
      const counter = { calls: 0 };
      const signer = makeRest(ctx, { key: key(ctx) });
      const authCallback = (params, cb) => {
        counter.calls++;
        signer.auth.createTokenRequest({ ...params, clientId: 'renewer', ttl: 4000 }).then((tr) => cb(null, tr), (e) => cb(e));
      };
      const rt = makeRealtime(ctx, { authCallback, disconnectedRetryTimeout: 1000 });
      await connected(rt);
      assert.equal(counter.calls, 1, 'authCallback called to connect');
      const id = rt.connection.id;
      const firstToken = rt.auth.tokenDetails.token;
      const ch = rt.channels.get(channelName('rt-renew'));
      const got = collector();
      await ch.subscribe((m) => got.push(m));
      await ch.publish('before', '1');
      await got.until(1);
      const states = [];
      rt.connection.on((c) => states.push([c.current, c.reason && c.reason.code]));
      // Wait for the expiry and the renewal (up to 15 s).
      const deadline = Date.now() + 15000;
      while (!(counter.calls >= 2 && rt.connection.state === 'connected')) {
        if (Date.now() > deadline) throw new Error(`no renewal: calls ${counter.calls} states ${JSON.stringify(states)}`);
        await sleep(100);
      }
      assert.ok(counter.calls >= 2, 'authCallback called again for the renewal');
      assert.notEqual(rt.auth.tokenDetails.token, firstToken, 'a new token');
      assert.ok(states.some(([, code]) => code === 40142) || states.some(([s]) => s === 'update'),
        `the server ended the token (40142 or AUTH): ${JSON.stringify(states)}`);
      assert.ok(!states.some(([s]) => s === 'failed' || s === 'suspended'), `no failure: ${JSON.stringify(states)}`);
      assert.equal(rt.connection.id, id, 'the renewal keeps the connectionId');
      if (ch.state !== 'attached') await once(ch, 'attached', 5000, 'channel re-attached');
      await ch.publish('after', '2');
      await got.until(2, 10000, 'message after renewal');
      assert.deepEqual(got.items.map((m) => m.name), ['before', 'after']);
      assert.equal(got.items[1].clientId, 'renewer');
    },
  },
  {
    name: 'history_until_attach',
    ids: 'RTL10 RTL10b',
    async run(ctx) {
      const name = channelName('rt-history');
      const rest = makeRest(ctx, { key: key(ctx) });
      await rest.channels.get(name).publish([1, 2, 3].map((n) => ({ name: 'before', data: String(n) })));
      const rt = makeRealtime(ctx, { key: key(ctx) });
      const ch = rt.channels.get(name);
      await assert.rejects(ch.history({ untilAttach: true }), (e) => e.code === 40000, 'untilAttach unattached');
      await ch.attach();
      const got = collector();
      await ch.subscribe((m) => got.push(m));
      await rest.channels.get(name).publish('after', '4');
      await got.until(1);
      const all = await ch.history({ direction: 'forwards' });
      assert.deepEqual(all.items.map((m) => m.data), ['1', '2', '3', '4']);
      const until = await ch.history({ untilAttach: true, direction: 'forwards' });
      assert.deepEqual(until.items.map((m) => m.data), ['1', '2', '3'], 'untilAttach stops at the attach point');
      const page = await ch.history({ untilAttach: true, limit: 2 });
      assert.deepEqual(page.items.map((m) => m.data), ['3', '2']);
      assert.ok(page.hasNext());
      const next = await page.next();
      assert.deepEqual(next.items.map((m) => m.data), ['1']);
    },
  },
];

// ---------------------------------------------------------------- runner

function sdkVersion() {
  const dir = path.dirname(path.dirname(require.resolve('ably')));
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch (e) {
    return 'unknown';
  }
}

function xmlEscape(s) {
  return String(s).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' }[c]));
}

function writeXml(file, results) {
  const failures = results.filter((r) => !r.ok).length;
  const cases = results.map((r) => {
    const name = xmlEscape(`${r.protocol}_${r.name} [${r.ids}]`);
    const body = r.ok ? '' : `<failure message="${xmlEscape(r.error.split('\n')[0])}">${xmlEscape(r.error)}</failure>`;
    return `    <testcase name="${name}" time="${(r.ms / 1000).toFixed(3)}">${body}</testcase>`;
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `<?xml version="1.0" encoding="UTF-8" ?>\n<testsuites>\n  <testsuite name="interop_ablyjs_realtime" ` +
    `tests="${results.length}" failures="${failures}" errors="0" skipped="0">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`);
}

async function provision(host, port, upstream) {
  const setup = JSON.parse(fs.readFileSync(path.join(upstream, 'ably-common/test-resources/test-app-setup.json'), 'utf8'));
  const res = await http(host, port, 'POST', '/apps', setup.post_apps);
  if (res.status !== 201 && res.status !== 200) throw new Error(`POST /apps: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

// Closes every client a step opened (and waits briefly so the next step starts clean).
async function closeAll(ctx) {
  for (const rt of ctx.open.splice(0)) {
    try {
      if (!['closed', 'failed', 'initialized'].includes(rt.connection.state)) {
        const closed = once(rt.connection, 'closed', 3000, 'closed').catch(() => {});
        rt.close();
        await closed;
      } else {
        rt.close();
      }
    } catch (e) { /* closing is best effort */ }
  }
}

async function runSteps(args, base) {
  const results = [];
  for (const protocol of args.protocols) {
    for (const step of steps) {
      if (args.steps && !args.steps.includes(step.name)) continue;
      const ctx = { ...base, protocol, open: [] };
      const t0 = Date.now();
      try {
        await step.run(ctx);
        results.push({ protocol, name: step.name, ids: step.ids, ok: true, ms: Date.now() - t0 });
        console.log(`PASS ${protocol}/${step.name}`);
      } catch (e) {
        const error = e && e.stack ? `${e.message}\n${e.stack}` : String(e);
        results.push({ protocol, name: step.name, ids: step.ids, ok: false, ms: Date.now() - t0, error });
        if (process.env.INTEROP_VERBOSE) console.log(error);
        console.log(`FAIL ${protocol}/${step.name}: ${e && e.message}` +
          (e && e.code ? ` (code ${e.code}, status ${e.statusCode})` : ''));
      } finally {
        await closeAll(ctx);
      }
    }
  }
  return results;
}

async function main() {
  const args = parseArgs(process.argv);
  const sandbox = await startServer(args.sandbox, ['--port', '0', '--log-level', 'error'],
    /^ably-sandbox listening on (.+):(\d+)\n/, 'ably-sandbox');
  const host = sandbox.m[1];
  const port = Number(sandbox.m[2]);
  let proxy = null;
  let results = [];
  let exitStatus = 0;
  try {
    proxy = await startServer(args.proxy, ['--target', `${host}:${port}`, '--port', '0', '--control-port', '0'],
      /^ably-proxy listening on [^:]+:(\d+) control [^:]+:(\d+)\n/, 'ably-proxy');
    const app = await provision(host, port, args.upstream);
    console.log(`realtime interop: ably-js ${sdkVersion()} against ${host}:${port} ` +
      `(proxy ${proxy.m[1]}), app ${app.appId}`);
    const base = { host, port, proxyPort: Number(proxy.m[1]), proxyControl: Number(proxy.m[2]), app };
    results = await runSteps(args, base);
    const del = await http(host, port, 'DELETE', `/apps/${app.appId}`, undefined, app.keys[0].keyStr);
    if (del.status !== 204 && del.status !== 200) {
      console.log(`FAIL DELETE /apps: ${del.status}`);
      exitStatus = 1;
    }
  } finally {
    for (const [what, srv] of [['ably-proxy', proxy], ['ably-sandbox', sandbox]]) {
      if (!srv) continue;
      const code = await stopServer(srv.child);
      if (code !== 0) {
        console.log(`FAIL ${what} exited with status ${code} (an ASan/UBSan report is above, if any)`);
        exitStatus = 1;
      }
    }
  }
  if (args.xml) writeXml(args.xml, results);
  const passed = results.filter((r) => r.ok).length;
  console.log(`realtime interop: ${passed}/${results.length} steps passed`);
  if (passed !== results.length || results.length === 0) exitStatus = 1;
  return exitStatus;
}

main().then((code) => process.exit(code), (e) => {
  console.error(`realtime interop: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
