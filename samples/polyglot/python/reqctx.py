"""A reqctx reference middleware for grpcio (Python) servers and clients, written from docs/WIRE.md.

Reads the deadline and the reqctx headers of an inbound call, clamps them to the hop's tier cap and
method budget, ends the hop when its deadline passes or its caller leaves, and gives each outbound call
the shrunk budget, the next hop number, the request id, a fresh traceparent parent-id and the typed keys.
Runs on Debian's python3-grpcio (1.51) and python3-protobuf; no code generation.
"""
import json
import math
import os
import re
import sys
import threading
import time

# ---- header grammars (docs/WIRE.md); malformed means absent: every parser returns None ---------------

_UNIT_NANOS = {"H": 3600 * 10**9, "M": 60 * 10**9, "S": 10**9, "m": 10**6, "u": 10**3, "n": 1}
_TIMEOUT = re.compile(r"[0-9]{1,8}[HMSmun]")
_TIER = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_REQUEST_ID = re.compile(r"[A-Za-z0-9\-._~:+/=]{1,128}")
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(.*)", re.S)
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def parse_grpc_timeout(value):
    """grpc-timeout -> nanoseconds, or None."""
    if not isinstance(value, str) or not _TIMEOUT.fullmatch(value):
        return None
    return int(value[:-1]) * _UNIT_NANOS[value[-1]]


def format_grpc_timeout(nanos):
    """Nanoseconds -> grpc-timeout: the finest unit that fits 8 digits, truncated toward zero."""
    if nanos <= 0:
        return "0n"
    for unit in "numSMH":
        amount = nanos // _UNIT_NANOS[unit]
        if amount < 10**8:
            return "%d%s" % (max(amount, 1) if unit == "n" else amount, unit)
    return "99999999H"


def _number(value, max_digits, minimum):
    if not isinstance(value, str) or not re.fullmatch("[0-9]{1,%d}" % max_digits, value):
        return None
    n = int(value)
    return n if n >= minimum else None


def parse_hop(value):
    return _number(value, 5, 0)


def parse_attempt(value):
    return _number(value, 3, 1)


def parse_tier(value):
    return value if isinstance(value, str) and _TIER.fullmatch(value) else None


def parse_request_id(value):
    return value if isinstance(value, str) and _REQUEST_ID.fullmatch(value) else None


def generate_request_id():
    return os.urandom(16).hex()


def parse_traceparent(raw):
    """traceparent -> (trace_id, parent_id, flags & 0x03), or None."""
    if not isinstance(raw, str) or len(raw) > 512:
        return None
    m = _TRACEPARENT.fullmatch(raw.strip(" \t"))
    if not m or m.group(1) == "ff":
        return None
    rest = m.group(5)
    if (rest != "") if m.group(1) == "00" else not (rest == "" or rest.startswith("-")):
        return None
    if set(m.group(2)) == {"0"} or set(m.group(3)) == {"0"}:
        return None
    return m.group(2), m.group(3), int(m.group(4), 16) & 0x03


def format_traceparent(trace_id, parent_id, flags):
    return "00-%s-%s-%02x" % (trace_id, parent_id, flags)


def new_span_id():
    """A fresh, non-zero 8-byte id: one per hop and one per outbound call."""
    while True:
        span = os.urandom(8).hex()
        if span != "0" * 16:
            return span


def decode_key_value(value, max_encoded_length):
    """A reqctx-key-* value -> the decoded string, or None (visible ASCII, %XX, UTF-8, length)."""
    if not isinstance(value, str) or len(value) > max_encoded_length:
        return None
    if any(not 0x21 <= ord(c) <= 0x7E for c in value):
        return None
    out = bytearray()
    i = 0
    while i < len(value):
        if value[i] != "%":
            out.append(ord(value[i]))
            i += 1
            continue
        digits = value[i + 1:i + 3]
        if not re.fullmatch("[0-9A-Fa-f]{2}", digits):
            return None
        out.append(int(digits, 16))
        i += 3
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return None


def encode_key_value(text):
    """A string -> its reqctx-key-* value: UTF-8, every byte outside A-Z a-z 0-9 - . _ ~ as %XX."""
    return "".join(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in text.encode("utf-8"))


# ---- the budget arithmetic of one hop (docs/WIRE.md "Outbound rules") --------------------------------

def reserve_ms(remaining_ms, policy):
    """reserve = floor + fraction x remaining, kept back from every outbound call."""
    return policy["reserve"]["floorMs"] + policy["reserve"]["fraction"] * remaining_ms


def outbound_budget(remaining_ms, callee_timeout_ms, policy):
    """min(remaining - reserve, callee timeout) in whole ms: (budget, None) or (None, why refused).

    remaining_ms None: no deadline; a budget of None then means: send no deadline.
    """
    budget, reserve = callee_timeout_ms, 0.0
    if remaining_ms is not None:
        reserve = reserve_ms(remaining_ms, policy)
        after = remaining_ms - reserve
        budget = after if budget is None else min(budget, after)
    if budget is None:
        return None, None
    budget = math.floor(budget)
    if budget < policy["minimumViableBudgetMs"]:
        return None, ("budget %dms (remaining %s - reserve %.1fms) is below the minimum viable budget %dms: not sent"
                      % (max(budget, 0), "-" if remaining_ms is None else "%.1fms" % remaining_ms,
                         reserve, policy["minimumViableBudgetMs"]))
    return budget, None


def grpcio_timeout_seconds(budget_ms):
    """The `timeout` to give grpcio so that the grpc-timeout it writes is at most `budget_ms`.

    grpcio (gRPC C-core) rounds the deadline up to the millisecond and then the value it writes up to
    three significant digits (0.3 s leaves as 301m, 1.905 s as 1910m): give it the budget rounded down
    to that precision, less one millisecond.
    """
    granularity = 10 ** max(0, len(str(int(budget_ms))) - 3)
    return max(0, (budget_ms // granularity) * granularity - 1) / 1000.0


def service_config_timeout_ms(service_config, full_method):
    """The timeout, in ms, a gRPC service config gives `full_method` ("pkg.Service/Method"), or None."""
    service, method = full_method.split("/")
    for config in service_config.get("methodConfig", []):
        if any(n.get("service") == service and n.get("method", method) == method for n in config.get("name", [])):
            m = re.fullmatch(r"([0-9]+)(?:\.([0-9]{1,9}))?s", config.get("timeout", ""))
            if m:
                return int(m.group(1)) * 1000 + int((m.group(2) or "").ljust(9, "0")) / 1e6
    return None


# ---- the hop -------------------------------------------------------------------------------------------

class Hop:
    """One inbound unary call: deadline, position, request id, trace, typed keys and a cancel signal.

    The signal fires once, when the caller leaves or the deadline passes (cause "CANCELLED" or
    "DEADLINE_EXCEEDED"); listeners registered with on_cancel run then (at once if it already fired).
    """

    def __init__(self, context, policy, full_method, now_ns=time.monotonic_ns):
        self._now_ns = now_ns
        self.start_ns = now_ns()
        self.policy = policy
        self.service = full_method
        headers = {}
        for key, value in context.invocation_metadata():
            headers.setdefault(key, []).append(value)
        one = lambda name: headers[name][0] if len(headers.get(name, [])) == 1 else None  # one value per header
        trusted = policy.get("trust") != "edge"
        # grpcio consumes grpc-timeout; what is left of it is the call's time_remaining().
        inbound = context.time_remaining()
        limits = [policy["capMs"], policy["methods"].get(full_method, {}).get("budgetMs")]
        if inbound is not None:
            limits.append(max(0.0, inbound * 1000.0))
        self.received_ms = min(v for v in limits if v is not None)
        self.deadline_ns = self.start_ns + int(self.received_ms * 1e6)
        self.caller_tier = parse_tier(one("reqctx-tier")) if trusted else None
        hop = parse_hop(one("reqctx-hop")) if trusted else None
        self.hop = 0 if hop is None else hop
        attempt = parse_attempt(one("reqctx-attempt")) if trusted else None
        self.attempt = 1 if attempt is None else attempt
        self.request_id = parse_request_id(one("x-request-id")) or generate_request_id()
        self.traceparent_in = one("traceparent") or ""
        parent = parse_traceparent(self.traceparent_in)
        self.trace_id, _, self.trace_flags = parent if parent else (os.urandom(16).hex(), None, 0x02)
        if not parent:
            self.traceparent_in = ""
        self.span_id = new_span_id()
        self.traceparents_out = []
        self.tracestate = ",".join(v for v in headers.get("tracestate", []) if v.strip()) if parent else ""
        self.baggage = ",".join(v for v in headers.get("baggage", []) if v.strip())
        self.keys = {}
        for name, spec in (policy.get("keys") or {}).items() if trusted else ():
            value = decode_key_value(one("reqctx-key-" + name), spec["maxEncodedLength"])
            if value is not None:
                self.keys[name] = value
        self.sent_ms = 0
        self.cancel_cause = None
        self.cancel_seen_ns = None
        self._lock = threading.Lock()
        self._listeners = []
        self.cancelled = threading.Event()
        self._timer = threading.Timer(max(0.0, self.received_ms / 1000.0), self.cancel, ("DEADLINE_EXCEEDED",))
        self._timer.daemon = True
        self._timer.start()
        # Called when the RPC ends for any reason: a cancel, grpcio's own deadline, or the answer.
        context.add_callback(lambda: self.cancel("DEADLINE_EXCEEDED" if self.remaining_ms() <= 0 else "CANCELLED"))

    def remaining_ms(self):
        return (self.deadline_ns - self._now_ns()) / 1e6

    def cancel(self, cause):
        with self._lock:
            if self.cancel_cause is not None or self.finished:
                return
            self.cancel_cause = cause
            self.cancel_seen_ns = self._now_ns()
            listeners, self._listeners = self._listeners, []
        self._timer.cancel()
        self.cancelled.set()
        for listener in listeners:
            listener(cause)

    finished = False

    def on_cancel(self, listener):
        with self._lock:
            if self.cancel_cause is None:
                self._listeners.append(listener)
                return
        listener(self.cancel_cause)

    def outbound(self, service_config, full_method, attempt=1):
        """(metadata, timeout seconds or None, None) for a call to `full_method`, or (None, None, why refused)."""
        remaining = self.remaining_ms()
        budget, refused = outbound_budget(remaining, service_config_timeout_ms(service_config, full_method), self.policy)
        if refused:
            return None, None, refused
        traceparent = format_traceparent(self.trace_id, new_span_id(), self.trace_flags)  # fresh parent-id per call
        metadata = [
            ("reqctx-tier", self.policy["tier"]),
            ("reqctx-hop", str(min(self.hop + 1, 99999))),
            ("reqctx-attempt", str(min(attempt, 999))),
            ("x-request-id", self.request_id),
            ("traceparent", traceparent),
        ]
        if self.tracestate:
            metadata.append(("tracestate", self.tracestate))
        if self.baggage:
            metadata.append(("baggage", self.baggage))
        metadata.extend(("reqctx-key-" + name, encode_key_value(v)) for name, v in self.keys.items())
        self.sent_ms = budget or 0
        self.traceparents_out.append(traceparent)
        return metadata, None if budget is None else grpcio_timeout_seconds(budget), None

    def work(self, total_ms, step_ms=20):
        """Work of `total_ms` in steps that stops at the first step after a cancel; returns steps not done."""
        steps = -(-int(total_ms) // step_ms)
        for done in range(steps):
            if self.cancelled.wait(step_ms / 1000.0):
                return steps - done
        return 0

    def finish(self, outcome, note="", skipped_steps=0, out=sys.stdout):
        """The hop's row (the sample's Hop fields) and its report line, as the Java tiers report."""
        with self._lock:
            self.finished = True
        self._timer.cancel()
        end_ns = self._now_ns()
        row = {
            "service": self.service, "tier": self.policy["tier"], "cap_ms": self.policy["capMs"],
            "received_budget_ms": int(max(0, self.received_ms)), "sent_budget_ms": self.sent_ms,
            "elapsed_ms": (end_ns - self.start_ns) // 10**6, "outcome": "HOP_OUTCOME_" + outcome,
            "trace_id": self.trace_id, "note": note, "reported_by_caller": False,
        }
        report = {
            "hop": row, "requestId": self.request_id, "startNanos": str(self.start_ns), "endNanos": str(end_ns),
            "cancelSeenNanos": None if self.cancel_seen_ns is None else str(self.cancel_seen_ns),
            "skippedSteps": skipped_steps, "traceparentIn": self.traceparent_in,
            "traceparentsOut": self.traceparents_out, "spanId": self.span_id,
        }
        out.write("reqctx-hop " + json.dumps(report) + "\n")
        out.flush()
        return row
