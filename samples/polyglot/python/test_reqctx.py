"""The reference middleware's grammars and budget arithmetic against the tables of docs/WIRE.md.

Run: /usr/bin/python3 -m unittest discover -s samples/polyglot/python
"""
import io
import unittest

import reqctx

POLICY = {"reserve": {"floorMs": 5, "fraction": 0.02}, "minimumViableBudgetMs": 10}
ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


class GrammarTest(unittest.TestCase):
    def test_grpc_timeout_reads_every_unit_and_rejects_malformed_values(self):
        self.assertEqual(reqctx.parse_grpc_timeout("3000000u"), 3 * 10**9)
        self.assertEqual(reqctx.parse_grpc_timeout("0n"), 0)
        self.assertEqual(reqctx.parse_grpc_timeout("301m"), 301 * 10**6)
        for bad in ["-1S", "+5S", "123456789S", "5x", "5", "S", "", " 5S", "5S ", "５S", "5s", "1,2S"]:
            self.assertIsNone(reqctx.parse_grpc_timeout(bad), bad)

    def test_grpc_timeout_is_written_truncated_in_the_finest_unit_that_fits(self):
        for nanos, text in [(0, "0n"), (-1, "0n"), (1, "1n"), (99999999, "99999999n"), (100 * 10**6, "100000u"),
                            (3 * 10**9, "3000000u"), (100 * 10**9, "100000m"), (2**63 - 1, "2562047H")]:
            self.assertEqual(reqctx.format_grpc_timeout(nanos), text)

    def test_position_headers_follow_their_grammars(self):
        self.assertEqual(reqctx.parse_hop("007"), 7)
        self.assertIsNone(reqctx.parse_hop("100000"))
        self.assertIsNone(reqctx.parse_attempt("0"))
        self.assertIsNone(reqctx.parse_tier("Service"))
        self.assertIsNone(reqctx.parse_request_id("abc def"))
        self.assertRegex(reqctx.generate_request_id(), "^[0-9a-f]{32}$")

    def test_traceparent_is_read_as_wire_md_tabulates_it(self):
        self.assertEqual(reqctx.parse_traceparent("00-%s-%s-01" % (ID, PARENT)), (ID, PARENT, 1))
        self.assertEqual(reqctx.parse_traceparent(" 00-%s-%s-ff\t" % (ID, PARENT)), (ID, PARENT, 3))
        self.assertEqual(reqctx.parse_traceparent("cc-%s-%s-01-future" % (ID, PARENT))[0], ID)
        for bad in ["cc-%s-%s-01.future" % (ID, PARENT), "00-%s-%s-01-x" % (ID, PARENT), "ff-%s-%s-01" % (ID, PARENT),
                    "00-%s-%s-01" % ("0" * 32, PARENT), "00-%s-%s-01" % (ID, "0" * 16),
                    "00-%s-%s-01" % (ID.upper(), PARENT), "00-%s-%s-0A" % (ID, PARENT)]:
            self.assertIsNone(reqctx.parse_traceparent(bad), bad)

    def test_every_outbound_call_gets_a_fresh_parent_id(self):
        ids = {reqctx.new_span_id() for _ in range(100)}
        self.assertEqual(len(ids), 100)
        self.assertTrue(all(len(i) == 16 and i != "0" * 16 for i in ids))

    def test_typed_key_values_are_percent_encoded_utf8_and_decoded_strictly(self):
        self.assertEqual(reqctx.encode_key_value("café 1"), "caf%C3%A9%201")
        self.assertEqual(reqctx.decode_key_value("caf%c3%a9%201", 64), "café 1")
        self.assertEqual(reqctx.decode_key_value("a+b", 64), "a+b")
        for bad in ["a b", "a%2", "a%zz", "%C3", "%C0%AF", "é"]:
            self.assertIsNone(reqctx.decode_key_value(bad, 64), bad)
        self.assertIsNone(reqctx.decode_key_value("abcdef", 5))


class BudgetTest(unittest.TestCase):
    def test_outbound_budget_is_remaining_minus_reserve_capped_by_the_callee_and_truncated(self):
        self.assertEqual(reqctx.outbound_budget(2870, 800, POLICY), (800, None))
        self.assertEqual(reqctx.outbound_budget(1000, 2000, POLICY), (975, None))
        self.assertEqual(reqctx.outbound_budget(100.9, None, POLICY), (93, None))
        self.assertEqual(reqctx.outbound_budget(None, None, POLICY), (None, None))

    def test_a_budget_below_the_minimum_viable_budget_is_refused_before_the_call(self):
        budget, refused = reqctx.outbound_budget(15, 800, POLICY)
        self.assertIsNone(budget)
        self.assertIn("below the minimum viable budget 10ms: not sent", refused)

    def test_the_timeout_given_to_grpcio_never_encodes_above_the_budget(self):
        # grpcio rounds up by up to a millisecond, then to three significant digits.
        self.assertEqual(reqctx.grpcio_timeout_seconds(800), 0.799)
        self.assertEqual(reqctx.grpcio_timeout_seconds(1905), 1.899)
        self.assertEqual(reqctx.grpcio_timeout_seconds(12345), 12.299)

    def test_the_callee_timeout_comes_from_the_exported_service_config(self):
        config = {"methodConfig": [{"name": [{"service": "reqctx.samples.v1.CacheService", "method": "Get"}],
                                    "timeout": "0.800000000s"}]}
        self.assertEqual(reqctx.service_config_timeout_ms(config, "reqctx.samples.v1.CacheService/Get"), 800)
        self.assertIsNone(reqctx.service_config_timeout_ms(config, "reqctx.samples.v1.OrderService/GetOrder"))


HOP_POLICY = {"tier": "service", "capMs": 3000, "trust": "trusted", "reserve": {"floorMs": 5, "fraction": 0.02},
              "minimumViableBudgetMs": 10, "methods": {"pkg.S/M": {"budgetMs": 2000}}, "callees": {},
              "keys": {"tenant-id": {"maxEncodedLength": 64}}}
CACHE_CONFIG = {"methodConfig": [{"name": [{"service": "pkg.Cache", "method": "Get"}], "timeout": "0.800000000s"}]}


class FakeContext:
    """What the middleware uses of a grpcio ServicerContext."""

    def __init__(self, headers, remaining_s):
        self.headers, self.remaining_s, self.callbacks = headers, remaining_s, []

    def invocation_metadata(self):
        return self.headers

    def time_remaining(self):
        return self.remaining_s

    def add_callback(self, callback):
        self.callbacks.append(callback)
        return True


class HopTest(unittest.TestCase):
    def setUp(self):
        self.out = io.StringIO()

    def test_an_inbound_call_is_clamped_and_its_position_id_trace_and_keys_are_read(self):
        hop = reqctx.Hop(FakeContext([("reqctx-hop", "2"), ("reqctx-tier", "service"), ("x-request-id", "req-1"),
                                      ("traceparent", "00-%s-%s-01" % (ID, PARENT)),
                                      ("reqctx-key-tenant-id", "caf%C3%A9")], 2.5), HOP_POLICY, "pkg.S/M")
        self.assertEqual(hop.received_ms, 2000)
        self.assertEqual((hop.hop, hop.caller_tier, hop.request_id, hop.trace_id), (2, "service", "req-1", ID))
        self.assertEqual(hop.keys, {"tenant-id": "café"})
        hop.finish("OK", out=self.out)

    def test_every_outbound_call_gets_the_next_hop_the_same_trace_and_a_fresh_parent_id(self):
        hop = reqctx.Hop(FakeContext([("traceparent", "00-%s-%s-03" % (ID, PARENT)), ("reqctx-hop", "1")], 1.0),
                         HOP_POLICY, "pkg.S/M")
        calls = [hop.outbound(CACHE_CONFIG, "pkg.Cache/Get"), hop.outbound(CACHE_CONFIG, "pkg.Cache/Get", attempt=2)]
        parents = set()
        for metadata, timeout, refused in calls:
            self.assertIsNone(refused)
            self.assertEqual(timeout, 0.799)  # min(1000 - 25, 800), less grpcio's rounding
            headers = dict(metadata)
            trace_id, parent, flags = reqctx.parse_traceparent(headers["traceparent"])
            self.assertEqual((trace_id, flags), (ID, 3))
            self.assertNotEqual(parent, PARENT)
            parents.add(parent)
            self.assertEqual((headers["reqctx-hop"], headers["reqctx-tier"]), ("2", "service"))
            self.assertEqual(headers["x-request-id"], hop.request_id)
        self.assertEqual(len(parents), 2)
        self.assertEqual(dict(calls[1][0])["reqctx-attempt"], "2")
        hop.finish("OK", out=self.out)

    def test_a_zero_budget_expires_the_hop_and_a_leaving_caller_cancels_it_once(self):
        expired = reqctx.Hop(FakeContext([], 0.0), HOP_POLICY, "pkg.S/M")
        self.assertTrue(expired.cancelled.wait(5))
        self.assertEqual(expired.cancel_cause, "DEADLINE_EXCEEDED")
        self.assertIsNotNone(expired.outbound(CACHE_CONFIG, "pkg.Cache/Get")[2])
        context = FakeContext([], 1.0)
        hop = reqctx.Hop(context, HOP_POLICY, "pkg.S/M")
        causes = []
        hop.on_cancel(causes.append)
        for callback in context.callbacks * 2:
            callback()
        self.assertEqual(causes, ["CANCELLED"])
        self.assertEqual(hop.work(1000), 50)  # stops at once: every step skipped
        line = hop.finish("CANCELLED", out=self.out)
        self.assertEqual(line["outcome"], "HOP_OUTCOME_CANCELLED")
        self.assertIn('"cancelSeenNanos": "', self.out.getvalue())


if __name__ == "__main__":
    unittest.main()
