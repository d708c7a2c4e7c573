#!/usr/bin/env python3
"""Attributes async-profiler's collapsed stacks of the sample chain to the code that owns them.

Reads bench/profile-chain.sh's work directory: loads.txt (per chain: load start and end in epoch
seconds, 2xx responses, CPU ticks used, ticks per second) and <chain>-<role>-<yyyymmdd-hhmmss>.collapsed
files, one per minute per process. For each chain and role it takes the first file that starts after
the load began and ends before it ended, and gives each sample an owner: JIT compiler threads, GC
threads, else the innermost non-JDK Java frame's library (a HashMap lookup made by reqctx counts for
reqctx), else the native frame. Shares are turned into CPU microseconds per request with the chain's
measured CPU per request, split between the tiers by their sample counts. Prints markdown: one table
per tier, reqctx chain beside the OpenTelemetry-only chain, largest differences first.
Usage: profile_owners.py WORK_DIR
"""
import collections
import datetime
import glob
import os
import re
import sys

ROLES = ("gateway", "order", "inventory", "cache")
OWNERS = [("io/reqctx/samples", "sample app"), ("io/reqctx/", "reqctx"), ("io/opentelemetry", "OpenTelemetry"),
          ("io/grpc/netty/shaded/io/netty", "Netty (grpc's)"), ("io/netty", "Netty (Armeria's)"), ("io/grpc", "grpc-java"),
          ("com/linecorp/armeria", "Armeria"), ("com/google/protobuf", "protobuf"), ("com/fasterxml", "Jackson"),
          ("org/slf4j", "logging"), ("ch/qos", "logging"), ("org/apache/logging", "logging"), ("io/micrometer", "Micrometer"),
          ("io/github/resilience4j", "Resilience4j"), ("com/google/common", "Guava")]
JDK = re.compile(r"(java|javax|jdk|sun)/")


def owner(frames):
    stack = ";".join(frames)
    if "CompileBroker" in stack:
        return "JIT compiler"
    java = [f for f in frames if "/" in f]
    if not java:
        return "GC" if re.search(r"GC|G1|Parallel|Concurrent", frames[0]) else "JVM/native: " + frames[0][:30]
    for frame in reversed(java):
        if JDK.match(frame):
            continue
        for prefix, name in OWNERS:
            if frame.startswith(prefix):
                return name
        return "other: " + "/".join(frame.split("/")[:3])
    return "JDK only (thread pools, parking)"


def slice_for(work, chain, role, start, end):
    for path in sorted(glob.glob(f"{work}/{chain}-{role}-*.collapsed")):
        stamp = re.search(r"(\d{8}-\d{6})\.collapsed$", path).group(1)
        begins = datetime.datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=datetime.timezone.utc).timestamp()
        if begins >= start and begins + 60 <= end:
            return path
    raise SystemExit(f"no 60 s slice of {chain} {role} inside its load ({start}-{end})")


def chain_profile(work, chain, start, end, requests, ticks, per_second, reqctx_methods):
    """CPU µs per request of the chain, and per role and owner; adds reqctx's own samples per innermost reqctx method."""
    counts, totals, methods = {}, {}, collections.Counter()
    for role in ROLES:
        c = collections.Counter()
        with open(slice_for(work, chain, role, start, end)) as lines:
            for line in lines:
                stack, n = line.rsplit(" ", 1)
                frames = stack.split(";")
                who = owner(frames)
                c[who] += int(n)
                if who == "reqctx":
                    methods[[f for f in frames if f.startswith("io/reqctx/")][-1]] += int(n)
        counts[role], totals[role] = c, sum(c.values())
    us_per_request = ticks * 1e6 / per_second / requests
    all_samples = sum(totals.values())
    for method, n in methods.items():
        reqctx_methods[method] += n / all_samples * us_per_request
    return us_per_request, {r: {k: v / all_samples * us_per_request for k, v in c.items()} for r, c in counts.items()}


def main(work):
    loads, reqctx_methods = {}, collections.Counter()
    with open(os.path.join(work, "loads.txt")) as lines:
        for line in lines:
            chain, start, end, requests, ticks, per_second = line.split()
            loads[chain] = chain_profile(work, chain, int(start), int(end), int(requests), int(ticks), int(per_second),
                                         reqctx_methods if chain == "reqctx" else collections.Counter())
    (a_total, a), (b_total, b) = loads["reqctx"], loads["otel"]
    print(f"CPU per request, whole chain: reqctx {a_total:,.0f} µs, OpenTelemetry tracing only {b_total:,.0f} µs "
          f"(reqctx / otel {a_total / b_total:.2f}×)\n")
    for role in ROLES:
        ra, rb = a[role], b[role]
        print(f"### {role}: {sum(ra.values()):,.0f} µs vs {sum(rb.values()):,.0f} µs per request\n")
        print("| owner | reqctx chain µs | otel chain µs | difference |")
        print("|---|---:|---:|---:|")
        for k in sorted(set(ra) | set(rb), key=lambda k: -abs(ra.get(k, 0) - rb.get(k, 0)))[:10]:
            print(f"| {k} | {ra.get(k, 0):,.1f} | {rb.get(k, 0):,.1f} | {ra.get(k, 0) - rb.get(k, 0):+,.1f} |")
        print()
    print("### reqctx's own CPU in the reqctx chain, by innermost reqctx method (all tiers)\n")
    print("| method | µs per request |")
    print("|---|---:|")
    for method, us in reqctx_methods.most_common(15):
        print(f"| `{method.replace('/', '.')}` | {us:,.1f} |")


if __name__ == "__main__":
    main(sys.argv[1])
