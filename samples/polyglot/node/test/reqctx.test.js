// The reference middleware's grammars and budget arithmetic against the tables of docs/WIRE.md.
// Run: node --test test/   (from samples/polyglot/node, after npm ci)
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const rc = require('../reqctx');

const POLICY = { reserve: { floorMs: 5, fraction: 0.02 }, minimumViableBudgetMs: 10 };

test('grpc-timeout reads every unit and rejects what WIRE.md calls malformed', () => {
  assert.equal(rc.parseGrpcTimeout('3000000u'), 3e9);
  assert.equal(rc.parseGrpcTimeout('0n'), 0);
  assert.equal(rc.parseGrpcTimeout('2S'), 2e9);
  assert.equal(rc.parseGrpcTimeout('1H'), 3600e9);
  for (const bad of ['-1S', '+5S', '123456789S', '5x', '5', 'S', '', ' 5S', '5S ', '５S', '5s', '5h', '1,2S']) {
    assert.equal(rc.parseGrpcTimeout(bad), null, bad);
  }
});

test('grpc-timeout is written in the finest unit that fits, truncated, never zero for a positive budget', () => {
  assert.equal(rc.formatGrpcTimeout(0), '0n');
  assert.equal(rc.formatGrpcTimeout(-5), '0n');
  assert.equal(rc.formatGrpcTimeout(1), '1n');
  assert.equal(rc.formatGrpcTimeout(99999999), '99999999n');
  assert.equal(rc.formatGrpcTimeout(100e6), '100000u');
  assert.equal(rc.formatGrpcTimeout(3e9), '3000000u');
  assert.equal(rc.formatGrpcTimeout(100e9), '100000m');
  assert.equal(rc.formatGrpcTimeout(100e6 + 999), '100000u');
});

test('position headers follow their grammars', () => {
  assert.equal(rc.parseHop('0'), 0);
  assert.equal(rc.parseHop('007'), 7);
  assert.equal(rc.parseHop('99999'), 99999);
  assert.equal(rc.parseHop('100000'), null);
  assert.equal(rc.parseAttempt('0'), null);
  assert.equal(rc.parseAttempt('2'), 2);
  assert.equal(rc.parseTier('gateway'), 'gateway');
  assert.equal(rc.parseTier('Service'), null);
  assert.equal(rc.parseRequestId('abc def'), null);
  assert.equal(rc.parseRequestId('3f0c2a9b-e1d8'), '3f0c2a9b-e1d8');
  assert.match(rc.generateRequestId(), /^[0-9a-f]{32}$/);
});

test('traceparent is read as WIRE.md tabulates it', () => {
  const id = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parent = '00f067aa0ba902b7';
  assert.deepEqual(rc.parseTraceparent(`00-${id}-${parent}-01`), { traceId: id, parentId: parent, flags: 1 });
  assert.equal(rc.parseTraceparent(` 00-${id}-${parent}-01 `).traceId, id);
  assert.equal(rc.parseTraceparent(`00-${id}-${parent}-ff`).flags, 3);
  assert.equal(rc.parseTraceparent(`cc-${id}-${parent}-01-what-the-future-will-be-like`).traceId, id);
  for (const bad of [`cc-${id}-${parent}-01.what`, `00-${id}-${parent}-01.`, `00-${id}-${parent}-01-x`,
    `ff-${id}-${parent}-01`, `00-${'0'.repeat(32)}-${parent}-01`, `00-${id}-${'0'.repeat(16)}-01`,
    `00-${id.toUpperCase()}-${parent}-01`, `00-${id}-${parent}-0A`]) {
    assert.equal(rc.parseTraceparent(bad), null, bad);
  }
});

test('typed key values are percent-encoded UTF-8 and decoded strictly', () => {
  assert.equal(rc.encodeKeyValue('café 1'), 'caf%C3%A9%201');
  assert.equal(rc.encodeKeyValue('acme'), 'acme');
  assert.equal(rc.decodeKeyValue('caf%C3%A9%201', 64), 'café 1');
  assert.equal(rc.decodeKeyValue('caf%c3%a9', 64), 'café');
  assert.equal(rc.decodeKeyValue('a+b', 64), 'a+b');
  for (const bad of ['a b', 'a%2', 'a%zz', '%C3', '%C0%AF', 'é']) assert.equal(rc.decodeKeyValue(bad, 64), null, bad);
  assert.equal(rc.decodeKeyValue('abcdef', 5), null);
});

test('the outbound budget is min(remaining - reserve, callee timeout), truncated, refused below the minimum', () => {
  assert.deepEqual(rc.outboundBudget(2870, 800, POLICY).sendMs, 800);
  assert.equal(rc.outboundBudget(1000, 2000, POLICY).sendMs, 975); // 1000 - (5 + 20)
  assert.equal(rc.outboundBudget(100.9, null, POLICY).sendMs, 93); // 100.9 - 7.018 = 93.88
  assert.match(rc.outboundBudget(15, 800, POLICY).refused, /below the minimum viable budget 10ms: not sent/);
  assert.ok(rc.outboundBudget(0, 800, POLICY).refused);
  assert.deepEqual(rc.outboundBudget(null, null, POLICY), { sendMs: null, reserveMs: 0 });
});

test('the callee timeout comes from the exported gRPC service config', () => {
  const config = { methodConfig: [{ name: [{ service: 'reqctx.samples.v1.CacheService', method: 'Get' }], timeout: '0.800000000s' }] };
  assert.equal(rc.serviceConfigTimeoutMs(config, 'reqctx.samples.v1.CacheService/Get'), 800);
  assert.equal(rc.serviceConfigTimeoutMs(config, 'reqctx.samples.v1.CacheService/Put'), null);
});

const grpc = require('@grpc/grpc-js');
const HOP_POLICY = {
  tier: 'service', capMs: 3000, trust: 'trusted', reserve: { floorMs: 5, fraction: 0.02 }, minimumViableBudgetMs: 10,
  methods: { 'pkg.S/M': { budgetMs: 2000 } }, callees: {}, keys: { 'tenant-id': { maxEncodedLength: 64 } },
};
const CACHE_CONFIG = { methodConfig: [{ name: [{ service: 'pkg.Cache', method: 'Get' }], timeout: '0.800000000s' }] };

function fakeCall(headers, budgetMs) {
  const metadata = new grpc.Metadata();
  for (const [name, value] of headers) metadata.add(name, value);
  const listeners = {};
  return {
    metadata,
    getDeadline: () => (budgetMs === null ? Infinity : Date.now() + budgetMs),
    on: (event, listener) => { listeners[event] = listener; },
    emit: (event) => listeners[event](),
  };
}

test('an inbound call is clamped to the method budget and its position, id, trace and keys are read', () => {
  const call = fakeCall([['reqctx-hop', '2'], ['reqctx-tier', 'service'], ['x-request-id', 'req-1'],
    ['traceparent', `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`], ['reqctx-key-tenant-id', 'caf%C3%A9']], 2500);
  const hop = rc.arrive(call, HOP_POLICY, 'pkg.S/M');
  assert.equal(hop.receivedMs, 2000);
  assert.equal(hop.hop, 2);
  assert.equal(hop.callerTier, 'service');
  assert.equal(hop.requestId, 'req-1');
  assert.equal(hop.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.deepEqual(hop.keys, { 'tenant-id': 'café' });
  rc.finish(hop, 'OK');
});

test('every outbound call gets the next hop, the same trace id and request id, and a fresh parent-id', () => {
  const hop = rc.arrive(fakeCall([['traceparent', `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03`],
    ['reqctx-hop', '1'], ['reqctx-key-tenant-id', 'caf%C3%A9']], 1000), HOP_POLICY, 'pkg.S/M');
  const first = rc.outbound(hop, CACHE_CONFIG, 'pkg.Cache/Get');
  const second = rc.outbound(hop, CACHE_CONFIG, 'pkg.Cache/Get', 2);
  assert.equal(first.sentMs, 800); // min(1000 - (5 + 20), 800)
  for (const out of [first, second]) {
    const parent = rc.parseTraceparent(out.metadata.get('traceparent')[0]);
    assert.equal(parent.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.notEqual(parent.parentId, '00f067aa0ba902b7');
    assert.equal(parent.flags, 3);
    assert.deepEqual(out.metadata.get('reqctx-hop'), ['2']);
    assert.deepEqual(out.metadata.get('reqctx-tier'), ['service']);
    assert.deepEqual(out.metadata.get('reqctx-key-tenant-id'), ['caf%C3%A9']);
    assert.deepEqual(out.metadata.get('x-request-id'), [hop.requestId]);
  }
  assert.deepEqual(second.metadata.get('reqctx-attempt'), ['2']);
  assert.notEqual(first.traceparent, second.traceparent);
  rc.finish(hop, 'OK');
});

test('a zero budget expires the hop at once; a caller that leaves cancels it once', () => {
  const expired = rc.arrive(fakeCall([], 0), HOP_POLICY, 'pkg.S/M');
  assert.equal(expired.cancelCause, 'DEADLINE_EXCEEDED');
  assert.ok(rc.outbound(expired, CACHE_CONFIG, 'pkg.Cache/Get').refused);
  rc.finish(expired, 'DEADLINE_EXCEEDED');
  const call = fakeCall([], 1000);
  const hop = rc.arrive(call, HOP_POLICY, 'pkg.S/M');
  const causes = [];
  hop.onCancel((cause) => causes.push(cause));
  call.emit('cancelled');
  call.emit('cancelled');
  assert.deepEqual(causes, ['CANCELLED']);
  rc.finish(hop, 'CANCELLED');
});
