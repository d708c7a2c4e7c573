"""The sample fleet's cache or inventory tier in Python (grpcio), on the reqctx.py middleware.

cache:     answers a key after `delay_ms` of work in 20 ms steps, stopping at the first step after its
           request is cancelled or its deadline passes.
inventory: after `delay_ms` of work, reads the stock from the cache with the budget reqctx.py gives the
           call; answers from a fallback (degraded) when the cache fails or there is no budget to call it;
           cancels the cache call when its own caller leaves.

Usage: /usr/bin/python3 service.py --role cache|inventory --port <port> [--downstream host:port]
           --config <dir> --protos <descriptor set>
--config holds <role>.hop-policy.json (and inventory-to-cache.service-config.json), exported from the fleet's
budget file; --protos is a FileDescriptorSet of the sample protos. Prints
"reqctx-samples <role> listening on 127.0.0.1:<port>", then one "reqctx-hop {json}" line per hop.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
from concurrent import futures

import grpc
from google.protobuf import descriptor_pb2, message_factory

import reqctx

CACHE_METHOD = "reqctx.samples.v1.CacheService/Get"
INVENTORY_METHOD = "reqctx.samples.v1.InventoryService/CheckStock"
HOP_TRAILER = "reqctx.samples.v1.hoplist-bin"
FALLBACK_AVAILABLE = 1


def load_messages(descriptor_set):
    """Message classes by full name, built from a FileDescriptorSet (no generated code)."""
    with open(descriptor_set, "rb") as f:
        files = descriptor_pb2.FileDescriptorSet.FromString(f.read()).file
    return message_factory.GetMessages(list(files))


def read_json(*path):
    with open(os.path.join(*path), encoding="utf-8") as f:
        return json.load(f)


class Tier:
    def __init__(self, role, config_dir, messages, downstream):
        self.role = role
        self.m = messages
        self.policy = read_json(config_dir, role + ".hop-policy.json")
        if role == "inventory":
            self.cache_config = read_json(config_dir, "inventory-to-cache.service-config.json")
            # The service config's timeout is applied by reqctx.py (as the callee cap of each call), not
            # handed to grpcio: grpcio 1.51 (Debian bookworm) ends calls at once with DEADLINE_EXCEEDED when
            # a service config gives a timeout of a second or less (docs/WIRE.md, "Other languages").
            channel = grpc.insecure_channel(downstream)
            self.cache_get = channel.unary_unary(
                "/" + CACHE_METHOD,
                request_serializer=self.m["reqctx.samples.v1.GetRequest"].SerializeToString,
                response_deserializer=self.m["reqctx.samples.v1.GetResponse"].FromString)

    def hop_message(self, row):
        return self.m["reqctx.samples.v1.Hop"](**row)

    def fail(self, context, hop, note, skipped=0):
        row = hop.finish(hop.cancel_cause, note, skipped)
        hops = self.m["reqctx.samples.v1.HopList"](hops=[self.hop_message(row)])
        context.set_trailing_metadata(((HOP_TRAILER, hops.SerializeToString()),))
        code = grpc.StatusCode.DEADLINE_EXCEEDED if hop.cancel_cause == "DEADLINE_EXCEEDED" else grpc.StatusCode.CANCELLED
        context.abort(code, note)

    def get(self, request, context):
        hop = reqctx.Hop(context, self.policy, CACHE_METHOD)
        skipped = hop.work(request.delay_ms)
        if skipped:
            self.fail(context, hop, "stopped: %d steps of work not done" % skipped, skipped)
        row = hop.finish("OK")
        return self.m["reqctx.samples.v1.GetResponse"](
            found=True, value=b"17", ttl_remaining_ms=30000, hops=[self.hop_message(row)])

    def check_stock(self, request, context):
        hop = reqctx.Hop(context, self.policy, INVENTORY_METHOD)
        skipped = hop.work(request.delay_ms)
        if skipped:
            self.fail(context, hop, "stopped before reading the cache (%d steps not done)" % skipped, skipped)
        metadata, timeout, refused = hop.outbound(self.cache_config, CACHE_METHOD)
        if refused:
            row = hop.finish("REJECTED_BUDGET", "cache not called: %s; answered from the fallback" % refused)
            return self.stock(request, None, [row])
        read = self.m["reqctx.samples.v1.GetRequest"](key="stock:" + ",".join(request.skus), delay_ms=request.cache_delay_ms)
        started = time.monotonic()
        call = self.cache_get.future(read, timeout=timeout, metadata=metadata)
        hop.on_cancel(lambda cause: call.cancel())  # the caller left: so does the cache call
        try:
            reply, error = call.result(), None
        except (grpc.RpcError, grpc.FutureCancelledError) as e:
            reply, error = None, e
        if hop.cancel_cause:
            self.fail(context, hop, "request cancelled while reading the cache")
        if error is not None:
            code = error.code().name if isinstance(error, grpc.RpcError) else "CANCELLED"
            row = hop.finish("DEGRADED_FALLBACK", "cache call failed (%s): answered from the fallback" % code)
            callee = self.policy["callees"]["cache"]
            seen = {"service": CACHE_METHOD, "tier": callee["tier"], "cap_ms": callee["capMs"],
                    "elapsed_ms": int((time.monotonic() - started) * 1000), "trace_id": hop.trace_id,
                    "outcome": "HOP_OUTCOME_" + (code if code in ("DEADLINE_EXCEEDED", "CANCELLED") else "ERROR"),
                    "note": "no report from the callee; seen by its caller as " + code, "reported_by_caller": True}
            return self.stock(request, None, [row, seen])
        row = hop.finish("OK")
        return self.stock(request, reply, [row] + list(reply.hops))

    def stock(self, request, reply, hops):
        available = int(reply.value.decode("utf-8")) if reply is not None else FALLBACK_AVAILABLE
        level = self.m["reqctx.samples.v1.StockLevel"]
        return self.m["reqctx.samples.v1.CheckStockResponse"](
            levels=[level(sku=sku, available=available, warehouse="ZRH-1") for sku in request.skus],
            degraded=reply is None,
            hops=[h if not isinstance(h, dict) else self.hop_message(h) for h in hops])

    def handler(self):
        if self.role == "cache":
            service, method, fn, req, resp = "reqctx.samples.v1.CacheService", "Get", self.get, "GetRequest", "GetResponse"
        else:
            service, method, fn = "reqctx.samples.v1.InventoryService", "CheckStock", self.check_stock
            req, resp = "CheckStockRequest", "CheckStockResponse"
        return grpc.method_handlers_generic_handler(service, {method: grpc.unary_unary_rpc_method_handler(
            fn, request_deserializer=self.m["reqctx.samples.v1." + req].FromString,
            response_serializer=self.m["reqctx.samples.v1." + resp].SerializeToString)})


def main(argv):
    parser = argparse.ArgumentParser(description="A reqctx sample tier in Python.")
    parser.add_argument("--role", choices=["cache", "inventory"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--downstream")
    parser.add_argument("--config", required=True)
    parser.add_argument("--protos", required=True)
    args = parser.parse_args(argv)
    if (args.role == "inventory") != (args.downstream is not None):
        parser.error("--downstream is required for the inventory and not taken by the cache")
    tier = Tier(args.role, args.config, load_messages(args.protos), args.downstream)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    server.add_generic_rpc_handlers((tier.handler(),))
    port = server.add_insecure_port("127.0.0.1:%d" % args.port)
    if port == 0:
        sys.exit("%s: cannot listen on 127.0.0.1:%d" % (args.role, args.port))
    server.start()
    print("reqctx-samples %s listening on 127.0.0.1:%d" % (args.role, port), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    # The parent went away (its end of stdin closed): stop too.
    threading.Thread(target=lambda: (sys.stdin.read(), stopped.set()), daemon=True).start()
    stopped.wait()
    server.stop(0)


if __name__ == "__main__":
    main(sys.argv[1:])
