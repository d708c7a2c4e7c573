// A reqctx reference middleware for @grpc/grpc-js servers and clients, written from docs/WIRE.md:
// read the deadline and the reqctx headers of an inbound call, clamp to this hop's tier cap and method
// budget, end the hop when its deadline passes or its caller leaves, and give each outbound call the
// shrunk budget, the next hop number, the request id, a fresh traceparent parent-id and the typed keys.
'use strict';
const crypto = require('crypto');
const grpc = require('@grpc/grpc-js');

// ---- header grammars (docs/WIRE.md); malformed means absent: every parser returns null -----------

const UNIT_NANOS = { H: 3600e9, M: 60e9, S: 1e9, m: 1e6, u: 1e3, n: 1 };

/** grpc-timeout -> nanoseconds (a Number; saturates far above any real budget), or null. */
function parseGrpcTimeout(value) {
  if (typeof value !== 'string' || !/^[0-9]{1,8}[HMSmun]$/.test(value)) return null;
  return Number(value.slice(0, -1)) * UNIT_NANOS[value.slice(-1)];
}

/** Nanoseconds -> grpc-timeout: the finest unit that fits 8 digits, truncated toward zero. */
function formatGrpcTimeout(nanos) {
  if (!(nanos > 0)) return '0n';
  for (const unit of ['n', 'u', 'm', 'S', 'M', 'H']) {
    const amount = Math.floor(nanos / UNIT_NANOS[unit]);
    if (amount < 1e8) return `${Math.max(amount, unit === 'n' ? 1 : 0)}${unit}`;
  }
  return '99999999H';
}

const digits = (max) => new RegExp(`^[0-9]{1,${max}}$`);
const parseNumber = (value, max, min) => {
  if (typeof value !== 'string' || !digits(max).test(value)) return null;
  const n = Number(value);
  return n >= min ? n : null;
};
const parseHop = (value) => parseNumber(value, 5, 0);
const parseAttempt = (value) => parseNumber(value, 3, 1);
const parseTier = (value) => (typeof value === 'string' && /^[a-z][a-z0-9_-]{0,31}$/.test(value) ? value : null);
const parseRequestId = (value) =>
  typeof value === 'string' && /^[A-Za-z0-9\-._~:+/=]{1,128}$/.test(value) ? value : null;
const generateRequestId = () => crypto.randomBytes(16).toString('hex');

/** traceparent -> {traceId, parentId, flags} (flags kept to the two defined bits), or null. */
function parseTraceparent(raw) {
  if (typeof raw !== 'string' || raw.length > 512) return null;
  const value = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(.*)$/.exec(value);
  if (!m || m[1] === 'ff') return null;
  if (m[1] === '00' ? m[5] !== '' : !(m[5] === '' || m[5].startsWith('-'))) return null;
  if (/^0+$/.test(m[2]) || /^0+$/.test(m[3])) return null;
  return { traceId: m[2], parentId: m[3], flags: parseInt(m[4], 16) & 0x03 };
}

const formatTraceparent = (traceId, parentId, flags) =>
  `00-${traceId}-${parentId}-${flags.toString(16).padStart(2, '0')}`;
/** A fresh, non-zero 8-byte id: one per hop and one per outbound call. */
function newSpanId() {
  let id;
  do id = crypto.randomBytes(8).toString('hex'); while (/^0+$/.test(id));
  return id;
}

const KEY_NAME = /^[a-z0-9][a-z0-9_.-]{0,47}$/;
/** A reqctx-key-* value -> the decoded string, or null (strict: visible ASCII, %XX, UTF-8, length). */
function decodeKeyValue(value, maxEncodedLength) {
  if (typeof value !== 'string' || value.length > maxEncodedLength || !/^[\x21-\x7e]*$/.test(value)) return null;
  const bytes = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '%') {
      bytes.push(value.charCodeAt(i));
      continue;
    }
    const hex = value.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}

/** A string -> its reqctx-key-* value: UTF-8, every byte outside A-Z a-z 0-9 - . _ ~ as upper-case %XX. */
function encodeKeyValue(text) {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// ---- the budget arithmetic of one hop (docs/WIRE.md "Outbound rules") ------------------------------

/** reserve = floor + fraction x remaining, the time kept back from every outbound call. */
const reserveMs = (remainingMs, policy) => policy.reserve.floorMs + policy.reserve.fraction * remainingMs;

/**
 * The budget of an outbound call: min(remaining - reserve, callee timeout), truncated to whole
 * milliseconds; {refused} below the minimum viable budget. remainingMs null: no deadline.
 */
function outboundBudget(remainingMs, calleeTimeoutMs, policy) {
  let budget = calleeTimeoutMs;
  let reserve = 0;
  if (remainingMs !== null) {
    reserve = reserveMs(remainingMs, policy);
    budget = budget === null ? remainingMs - reserve : Math.min(budget, remainingMs - reserve);
  }
  if (budget === null) return { sendMs: null, reserveMs: 0 };
  budget = Math.floor(budget);
  if (budget < policy.minimumViableBudgetMs) {
    return {
      refused: `budget ${Math.max(budget, 0)}ms (remaining ${remainingMs === null ? '-' : remainingMs.toFixed(1)}ms`
        + ` - reserve ${reserve.toFixed(1)}ms) is below the minimum viable budget ${policy.minimumViableBudgetMs}ms: not sent`,
    };
  }
  return { sendMs: budget, reserveMs: reserve };
}

/** The timeout, in ms, a gRPC service config gives `fullMethod` ("pkg.Service/Method"), or null. */
function serviceConfigTimeoutMs(serviceConfig, fullMethod) {
  const [service, method] = fullMethod.split('/');
  for (const config of serviceConfig.methodConfig || []) {
    const named = (config.name || []).some((n) => n.service === service && (!n.method || n.method === method));
    const m = named && /^([0-9]+)(?:\.([0-9]{1,9}))?s$/.exec(config.timeout || '');
    if (m) return Number(m[1]) * 1000 + Number((m[2] || '').padEnd(9, '0')) / 1e6;
  }
  return null;
}

// ---- the hop -----------------------------------------------------------------------------------

const monoNanos = () => process.hrtime.bigint(); // CLOCK_MONOTONIC, the clock of the hop reports

/**
 * Opens the hop of an inbound unary call: its deadline (min of the caller's, the tier cap and the
 * method budget), position, request id, trace and typed keys, and a cancel signal that fires once,
 * when the caller leaves or the deadline passes. `policy` is the service's hop policy file.
 */
function arrive(call, policy, fullMethod) {
  const md = call.metadata;
  const one = (name) => {
    const values = md.get(name);
    return values.length === 1 ? String(values[0]) : null; // one value per header
  };
  const trusted = policy.trust !== 'edge';
  const startNanos = monoNanos();
  // grpc-js consumes grpc-timeout itself (and answers INTERNAL to a malformed one, docs/WIRE.md);
  // what is left of it is the call's deadline.
  const inboundDeadline = call.getDeadline();
  const inboundMs = inboundDeadline instanceof Date || Number.isFinite(Number(inboundDeadline))
    ? Math.max(0, Number(inboundDeadline) - Date.now()) : null;
  const methodBudgetMs = (policy.methods[fullMethod] || {}).budgetMs ?? null;
  // Deadline headers count at an edge too: there the tier cap clamps them.
  const limits = [policy.capMs, methodBudgetMs, inboundMs].filter((v) => v !== null);
  const receivedMs = Math.min(...limits);
  const traceIn = one('traceparent');
  const parent = parseTraceparent(traceIn);
  const keys = {};
  if (trusted) {
    for (const [name, spec] of Object.entries(policy.keys || {})) {
      const value = decodeKeyValue(one(`reqctx-key-${name}`), spec.maxEncodedLength);
      if (value !== null) keys[name] = value;
    }
  }
  const hop = {
    service: fullMethod,
    policy,
    startNanos,
    deadlineNanos: startNanos + BigInt(Math.round(receivedMs * 1e6)),
    receivedMs,
    callerTier: trusted ? parseTier(one('reqctx-tier')) : null,
    hop: trusted ? parseHop(one('reqctx-hop')) ?? 0 : 0,
    attempt: trusted ? parseAttempt(one('reqctx-attempt')) ?? 1 : 1,
    requestId: parseRequestId(one('x-request-id')) ?? generateRequestId(),
    traceId: parent ? parent.traceId : crypto.randomBytes(16).toString('hex'),
    traceFlags: parent ? parent.flags : 0x02,
    spanId: newSpanId(),
    traceparentIn: parent ? traceIn.trim() : '',
    traceparentsOut: [],
    tracestate: parent ? md.get('tracestate').map(String).filter((v) => v.trim()).join(',') : '',
    baggage: md.get('baggage').map(String).filter((v) => v.trim()).join(','),
    keys,
    sentMs: 0,
    cancelCause: null,
    cancelSeenNanos: null,
    listeners: [],
  };
  hop.remainingMs = () => Number(hop.deadlineNanos - monoNanos()) / 1e6;
  hop.cancel = (cause) => {
    if (hop.cancelCause || hop.finished) return;
    hop.cancelCause = cause;
    hop.cancelSeenNanos = monoNanos();
    clearTimeout(timer);
    for (const listener of hop.listeners.splice(0)) listener(cause);
  };
  hop.onCancel = (listener) => (hop.cancelCause ? listener(hop.cancelCause) : hop.listeners.push(listener));
  // The caller left (stream reset), or the deadline passed: whichever comes first ends the hop.
  call.on('cancelled', () => hop.cancel(hop.remainingMs() <= 0 ? 'DEADLINE_EXCEEDED' : 'CANCELLED'));
  const timer = setTimeout(() => hop.cancel('DEADLINE_EXCEEDED'), Math.max(0, receivedMs));
  hop.timer = timer;
  if (receivedMs <= 0) hop.cancel('DEADLINE_EXCEEDED'); // zero budget: expire at once
  return hop;
}

/**
 * Prepares an outbound call to `fullMethod` of a callee whose gRPC service config is `serviceConfig`:
 * {metadata, deadline (epoch ms for grpc-js), sentMs, traceparent} or {refused}.
 */
function outbound(hop, serviceConfig, fullMethod, attempt = 1) {
  const remaining = Number.isFinite(hop.receivedMs) ? hop.remainingMs() : null;
  const budget = outboundBudget(remaining, serviceConfigTimeoutMs(serviceConfig, fullMethod), hop.policy);
  if (budget.refused) return { refused: budget.refused };
  const md = new grpc.Metadata();
  md.set('reqctx-tier', hop.policy.tier);
  md.set('reqctx-hop', String(Math.min(hop.hop + 1, 99999)));
  md.set('reqctx-attempt', String(Math.min(attempt, 999)));
  md.set('x-request-id', hop.requestId);
  const traceparent = formatTraceparent(hop.traceId, newSpanId(), hop.traceFlags); // fresh parent-id per call
  md.set('traceparent', traceparent);
  if (hop.tracestate) md.set('tracestate', hop.tracestate);
  if (hop.baggage) md.set('baggage', hop.baggage);
  for (const [name, value] of Object.entries(hop.keys)) md.set(`reqctx-key-${name}`, encodeKeyValue(value));
  hop.sentMs = budget.sendMs ?? 0;
  hop.traceparentsOut.push(traceparent);
  // grpc-js takes an absolute wall-clock deadline in whole milliseconds and sends what is left of it.
  const deadline = budget.sendMs === null ? Infinity : Date.now() + budget.sendMs;
  return { metadata: md, deadline, sentMs: budget.sendMs, traceparent };
}

/**
 * Work of `totalMs` in steps of 20 ms that stops at the first step after the hop is cancelled;
 * resolves to the number of steps not done (0: finished).
 */
function work(hop, totalMs) {
  const steps = Math.ceil(totalMs / 20);
  return new Promise((resolve) => {
    let done = 0;
    let timer = null;
    const stop = () => {
      clearTimeout(timer);
      resolve(steps - done);
    };
    const step = () => {
      if (hop.cancelCause) return stop();
      if (done === steps) return resolve(0);
      timer = setTimeout(() => {
        done++;
        step();
      }, 20);
    };
    hop.onCancel(stop);
    step();
  });
}

/** The hop's row (the sample's Hop message) and its report line on stdout, like the Java tiers'. */
function finish(hop, outcome, note = '', skippedSteps = 0) {
  const endNanos = monoNanos();
  hop.finished = true;
  clearTimeout(hop.timer);
  const row = {
    service: hop.service,
    tier: hop.policy.tier,
    cap_ms: hop.policy.capMs,
    received_budget_ms: Math.max(0, Math.floor(hop.receivedMs)),
    sent_budget_ms: hop.sentMs,
    elapsed_ms: Math.floor(Number(endNanos - hop.startNanos) / 1e6),
    outcome: `HOP_OUTCOME_${outcome}`,
    trace_id: hop.traceId,
    note,
    reported_by_caller: false,
  };
  const report = {
    hop: row,
    requestId: hop.requestId,
    startNanos: String(hop.startNanos),
    endNanos: String(endNanos),
    cancelSeenNanos: hop.cancelSeenNanos === null ? null : String(hop.cancelSeenNanos),
    skippedSteps,
    traceparentIn: hop.traceparentIn,
    traceparentsOut: hop.traceparentsOut,
    spanId: hop.spanId,
  };
  process.stdout.write(`reqctx-hop ${JSON.stringify(report)}\n`);
  return row;
}

module.exports = {
  parseGrpcTimeout, formatGrpcTimeout, parseHop, parseAttempt, parseTier, parseRequestId, generateRequestId,
  parseTraceparent, formatTraceparent, newSpanId, decodeKeyValue, encodeKeyValue, KEY_NAME,
  reserveMs, outboundBudget, serviceConfigTimeoutMs, arrive, outbound, work, finish,
};
