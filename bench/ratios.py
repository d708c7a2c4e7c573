#!/usr/bin/env python3
"""Turns a JMH JSON result of reqctx-bench into ratio tables (markdown) for docs/BENCHMARKS.md.

Benchmark methods are named <operation>_<library>. Each table row puts the reqctx score next to each
baseline's from the same run, and the ratio reqctx / baseline with its error propagated from JMH's
99.9% confidence half-widths: err(a/b) = (a/b) * sqrt((ea/a)^2 + (eb/b)^2). A ratio below 1 means
reqctx is faster. Usage: ratios.py result.json
"""
import json
import math
import sys
from collections import defaultdict

# Operations measured only for reqctx, and the baseline operation they are compared with.
BASELINE_OP = {"openCloseRootGeneratedId": "openCloseRoot", "attachDetachCachedCtx": "attachDetach",
               "unaryOnOtel": "unary"}
BASELINES = ["grpc", "otel"]


def param_order(key):
    """Numeric parameters in numeric order, others (e.g. transport=NETTY) by name."""
    value = key.split("=")[1] if "=" in key else ""
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def fmt(score, err):
    return f"{score:,.1f} ± {err:,.1f}" if score < 1000 else f"{score:,.0f} ± {err:,.0f}"


def ratio(a, ea, b, eb):
    r = a / b
    return r, r * math.sqrt((ea / a) ** 2 + (eb / b) ** 2)


def alloc(entry):
    sec = entry.get("secondaryMetrics", {})
    m = sec.get("gc.alloc.rate.norm") or sec.get("\u00b7gc.alloc.rate.norm")
    return None if m is None else (m["score"], m["scoreError"])


def main(path):
    runs = json.load(open(path))
    # results[class][op][param][lib] = (score, error, alloc)
    results = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    param_name = {}
    for e in runs:
        cls, method = e["benchmark"].rsplit(".", 2)[-2:]
        if "_" not in method:
            continue  # ScopeCostParts: priced pieces, reported separately
        op, lib = method.rsplit("_", 1)
        params = e.get("params", {})
        key = ",".join(f"{k}={v}" for k, v in params.items())
        param_name[cls] = ",".join(params.keys())
        pm = e["primaryMetric"]
        results[cls][op][key][lib] = (pm["score"], pm["scoreError"], alloc(e), pm["scoreUnit"])
    first = runs[0]
    print(f"JMH {first['jmhVersion']}, JDK {first['jdkVersion']} ({first['vmName']} {first['vmVersion']}), "
          f"forks {first['forks']}, warm-up {first['warmupIterations']} x {first['warmupTime']}, "
          f"measurement {first['measurementIterations']} x {first['measurementTime']}; "
          f"errors are JMH's 99.9% CI half-widths.\n")
    for cls in sorted(results):
        for op in results[cls]:
            base_op = BASELINE_OP.get(op, op)
            unit = None
            rows = []
            for key in sorted(results[cls][op], key=param_order):
                libs = results[cls][op][key]
                if "reqctx" not in libs:
                    continue
                a, ea, aa, unit = libs["reqctx"]
                bases = {b: results[cls][base_op][key].get(b) for b in BASELINES}
                bases = {b: v for b, v in bases.items() if v}
                row = [key.split("=")[1] if "=" in key else "-", fmt(a, ea)]
                for b in BASELINES:
                    row.append(fmt(*bases[b][:2]) if b in bases else "–")
                for b in BASELINES:
                    if b in bases:
                        r, er = ratio(a, ea, *bases[b][:2])
                        row.append(f"**{r:.2f} ± {er:.2f}**")
                    else:
                        row.append("–")
                if len(bases) > 1:
                    fastest = min(bases, key=lambda b: bases[b][0])
                    r, er = ratio(a, ea, *bases[fastest][:2])
                    row.append(f"{r:.2f} ± {er:.2f} ({fastest})")
                else:
                    row.append("–")
                proto = results[cls][op][key].get("proto")
                if proto:
                    fastest = min(bases, key=lambda b: bases[b][0])
                    r, er = ratio(proto[0], proto[1], *bases[fastest][:2])
                    row.append(f"{fmt(*proto[:2])} ({r:.2f} ± {er:.2f})")
                elif any("proto" in results[cls][op][k] for k in results[cls][op]):
                    row.append("–")
                allocs = [aa] + [bases[b][2] if b in bases else None for b in BASELINES]
                row.append(" / ".join("–" if x is None else f"{x[0]:.0f}" for x in allocs))
                rows.append(row)
            if not rows:
                continue
            title = f"{cls}.{op}" + (f" (baselines: {base_op})" if base_op != op else "")
            print(f"#### {title}\n")
            has_proto = any("proto" in results[cls][op][k] for k in results[cls][op])
            proto_col = f" prototype {unit} (/fastest) |" if has_proto else ""
            print(f"| {param_name[cls]} | reqctx {unit} | grpc {unit} | otel {unit} | reqctx/grpc | reqctx/otel "
                  f"| reqctx/fastest |{proto_col} alloc B/op reqctx / grpc / otel |")
            print("|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if has_proto else "") + "---:|")
            for row in rows:
                print("| " + " | ".join(row) + " |")
            print()
    # Growth with the number in flight: score at each size over the score at the smallest, per library.
    for cls in sorted(results):
        if param_name.get(cls) != "inFlight":
            continue
        print(f"#### {cls}: cost at N in flight / cost at the smallest N (1.00 = flat)\n")
        print("| operation | library | " + " | ".join(sorted({k.split('=')[1] for op in results[cls]
                                                              for k in results[cls][op]}, key=int)) + " |")
        sizes = sorted({k for op in results[cls] for k in results[cls][op]}, key=lambda k: int(k.split("=")[1]))
        print("|---|---|" + "---:|" * len(sizes))
        for op in results[cls]:
            libs = sorted({lib for k in sizes for lib in results[cls][op].get(k, {})})
            for lib in libs:
                base = results[cls][op][sizes[0]][lib]
                cells = []
                for k in sizes:
                    v = results[cls][op][k].get(lib)
                    cells.append("–" if v is None else "{:.2f} ± {:.2f}".format(*ratio(v[0], v[1], base[0], base[1])))
                print(f"| {op} | {lib} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main(sys.argv[1])
