#!/usr/bin/python3
"""Heterogeneous clusters: writes the section "Heterogeneous clusters" of docs/results.md (the
engines' splits and `solve --cluster` on the testbed clusters) and its raw results.

usage: tools/cluster_results.py --pipecut build/pipecut [--bench build/bench/cluster_bench]
                                [--quick] [--work DIR] [--results FILE] [--json-out FILE]
                                [--time-limit SEC] [--testbeds a,b] [--graphs a,b]

For every testbed cluster of data/clusters (tools/cluster_testbed.py) and every graph:
- the layer-level LLM chains of data/llm-chains/<testbed>/;
- the transformer corpus data/corpus/transformers at operator granularity. The ONNX importer
  gives one work per node and no `bytes`, so each model is converted once per device class with
  that class's roofline profile (data/clusters/devices, `--dtype fp16`) and once more with a
  probe profile whose link is 1 GB/s without latency (its comm in ms is then bytes / 10^6); the
  script joins them into one pipecut.graph whose `work` maps class -> ms and whose `bytes` are
  the tensors' sizes, so that the cluster's own links price every transfer;
and for k = the cluster's device count and k = 4 (when the cluster has more than 4 devices):
`pipecut partition --cluster --algorithm uniform|memory-proportional|compute-proportional` and
`pipecut solve --cluster --time-limit SEC` (default 60). Every bottleneck is given relative to
solve's lower bound; a split that overflows a device, and an instance proven infeasible, are
reported as such.
With --bench, also runs the benchmark bench/cluster_bench.cpp and puts its table in the section.

--quick: one chain and one corpus model on the consumer cluster with a 5 s limit, into WORK
(the test suite runs it). The section replaces the one between its markers in the results file.
"""
import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import cluster_testbed  # noqa: E402  (the testbed's one source of truth)

BEGIN = "<!-- cluster_results.py: begin -->"
END = "<!-- cluster_results.py: end -->"
BASELINES = ("uniform", "memory-proportional", "compute-proportional")
CORPUS = os.path.join(ROOT, "data", "corpus", "transformers")
QUICK = {"testbeds": ["consumer-mix"], "chains": ["llama-2-7b-prefill"], "corpus": ["gpt2_small"]}


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def fail(message):
    sys.exit(f"cluster_results: {message}")


def convert(pipecut, model, out, device, dtype="fp16"):
    r = run([pipecut, "convert", model, out, "--device", device, "--dtype", dtype])
    if r.returncode != 0:
        fail(f"pipecut convert {model} --device {device} failed: {r.stderr.strip()}")
    with open(out) as f:
        return json.load(f)


def corpus_graph(pipecut, model_path, testbed_name, work):
    """The ONNX model as a pipecut.graph with work per class of the testbed and bytes."""
    name = os.path.basename(model_path).split(".")[0]
    folder = os.path.join(work, "graphs", testbed_name)
    os.makedirs(folder, exist_ok=True)
    out = os.path.join(folder, f"{name}.json")
    classes = cluster_testbed.cluster_classes(cluster_testbed.TESTBEDS[testbed_name])
    probe_path = os.path.join(work, "bytes-probe.json")
    with open(probe_path, "w") as f:
        json.dump({"name": "bytes-probe", "description": "comm in ms = bytes / 10^6",
                   "peak_tflops": {"fp32": 1, "fp16": 1}, "memory_bandwidth_gbps": 1,
                   "link_bandwidth_gbps": 1, "link_latency_us": 0, "launch_overhead_us": 0}, f)
    probe = convert(pipecut, model_path, os.path.join(folder, f"{name}.probe.json"), probe_path)
    per_class = {}
    for c in classes:
        device = os.path.join(ROOT, "data", "clusters", "devices", f"{c.lower()}.json")
        per_class[c] = convert(pipecut, model_path, os.path.join(folder, f"{name}.{c}.json"), device)
    graph = per_class[classes[0]]
    for i, node in enumerate(graph["nodes"]):
        ids = {per_class[c]["nodes"][i]["id"] for c in classes} | {probe["nodes"][i]["id"]}
        if ids != {node["id"]}:
            fail(f"{model_path}: the conversions list different nodes at {i}: {sorted(ids)}")
        node["work"] = {c: per_class[c]["nodes"][i]["work"] for c in classes}
        node["bytes"] = round(probe["nodes"][i]["comm"] * 1e6)
    graph.pop("memory_per_stage", None)
    with open(out, "w") as f:
        json.dump(graph, f)
    return out


def attempt(pipecut, args):
    """One pipecut run with --json: (exit code, document or None, stderr, wall seconds)."""
    start = time.monotonic()
    r = run([pipecut] + args + ["--json"])
    seconds = time.monotonic() - start
    doc = None
    if r.stdout.strip():
        try:
            doc = json.loads(r.stdout)
        except json.JSONDecodeError:
            pass
    return r.returncode, doc, r.stderr.strip(), seconds


def outcome(code, doc, stderr, seconds):
    """What a run gave: a bottleneck, or why not."""
    if code == 0 and doc and doc.get("feasible", True):
        return {"status": "ok", "bottleneck": doc["bottleneck"], "lower_bound": doc["lower_bound"],
                "lower_bound_method": doc.get("lower_bound_method"), "optimal": doc.get("optimal"),
                "hit_time_limit": doc.get("hit_time_limit", False), "devices": doc.get("devices"),
                "stages_used": doc.get("stages_used"), "time_seconds": doc.get("time_seconds"),
                "wall_seconds": round(seconds, 3),
                "downset": next(({"status": b["status"], "detail": b.get("detail", "")}
                                 for b in doc.get("bounds", []) if b["method"] == "cluster-downset"),
                                None)}
    reason = (doc or {}).get("reason") or (stderr.splitlines()[-1] if stderr else "no output")
    status = {4: "infeasible", 5: "none found"}.get(code)
    if status is None:
        fail(f"unexpected exit {code}: {stderr}")
    return {"status": status, "reason": reason, "wall_seconds": round(seconds, 3)}


def measure(pipecut, graph, cluster, k, time_limit):
    row = {}
    for algorithm in BASELINES:
        row[algorithm] = outcome(*attempt(pipecut, ["partition", graph, "--cluster", cluster, "-k", str(k),
                                                    "--algorithm", algorithm]))
    row["solve"] = outcome(*attempt(pipecut, ["solve", graph, "--cluster", cluster, "-k", str(k),
                                              "--time-limit", str(time_limit), "--quiet"]))
    return row


def graph_nodes(path):
    with open(path) as f:
        return len(json.load(f)["nodes"])


def is_chain(path):
    with open(path) as f:
        g = json.load(f)
    ids = [n["id"] for n in g["nodes"]]
    return len(g.get("edges", [])) == len(ids) - 1 and all(
        e == [ids[i], ids[i + 1]] for i, e in enumerate(g.get("edges", [])))


def fmt_relative(result, bound):
    if result["status"] == "ok":
        return f"{result['bottleneck'] / bound:.3f}" if bound > 0 else "–"
    if result["status"] == "none found" and "does not fit" in result.get("reason", ""):
        return "overflow"
    return result["status"]


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def section(rows, machine, args, bench_text):
    lines = [BEGIN, "## Heterogeneous clusters (`solve --cluster` against the engines' splits)", ""]
    lines += [
        "Generated by `tools/cluster_results.py` (which writes this whole section and the raw results "
        f"`{args.json_shown}`). The testbed clusters are built from vendor datasheets "
        "(data/clusters/README.md cites every number): **datacenter-mix** = 4 × H100-80GB (NVLink 4) + "
        "2 × A100-40GB (NVLink 3) + 2 × V100-16GB (NVLink 2) on three hosts over 100 Gb/s InfiniBand; "
        "**consumer-mix** = RTX 4090 + RTX 4070 Ti on one desktop (PCIe 4.0 x8) and 2 × RTX 4070 Ti on "
        "another, over 10 GbE. Graphs: the layer-level LLM chains of data/llm-chains (embedding, one "
        "node per decoder layer, head; `prefill` = one 2048-token prompt, `decode` = 16 sequences of "
        "context 2048, one token each; per-class roofline work, FP16 weights + KV cache as memory, "
        "the hidden state as the tensor between layers), and the transformer corpus "
        "(data/corpus/transformers) at operator granularity, costed per class with each GPU's "
        "roofline (`--dtype fp16`) and with the tensors' sizes as `bytes`, so that every transfer is "
        "priced over the link it takes.",
        "",
        "Each cell is a bottleneck over **solve's lower bound** (1.000 = the bound; lower is better). "
        "`uniform`, `memory-proportional` and `compute-proportional` are `pipecut partition --cluster "
        "--algorithm …` (the splits of vLLM/TensorRT-LLM, llama.cpp/exo, Metis; docs/clusters.md "
        "\"Baselines\": on the first k devices in listing order); *overflow* = the split puts more on a "
        "device than its memory holds (the engine would fail to load it); *infeasible* = proven: no "
        "partition fits. `ratio` = lower bound / solve's bottleneck (1 = proven optimal), `bound` the "
        f"method that gave it, `time` solve's own time (limit {args.time_limit:g} s), `devices` the "
        "devices solve's partition uses.",
        "",
        f"**This run:** {machine['date']}, commit {machine['commit']}, {machine['cpu']}, "
        f"{machine['cores']} cores shared with other work (load average {machine['load_before']} before, "
        f"{machine['load_after']} after).",
        "",
    ]
    for testbed in dict.fromkeys(r["testbed"] for r in rows):
        lines += [f"### {testbed}", "",
                  "| graph | nodes | k | uniform | memory-prop. | compute-prop. | solve | ratio | bound | time (s) | devices |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"]
        for r in (r for r in rows if r["testbed"] == testbed):
            s = r["solve"]
            if s["status"] == "ok":
                bound = s["lower_bound"]
                cells = [fmt_relative(r[a], bound) for a in BASELINES]
                used = [d for d in s["devices"] if d]
                lines.append(f"| {r['graph']} | {r['nodes']} | {r['k']} | " + " | ".join(cells) +
                             f" | {s['bottleneck'] / bound:.3f} | {bound / s['bottleneck']:.4f} | "
                             f"{s['lower_bound_method']} | {s['time_seconds']:.3f} | "
                             f"{len(used)}: {' '.join(used)} |")
            else:
                cells = [r[a]["status"] if r[a]["status"] != "none found" else "overflow" for a in BASELINES]
                lines.append(f"| {r['graph']} | {r['nodes']} | {r['k']} | " + " | ".join(cells) +
                             f" | {s['status']} | – | – | {s['wall_seconds']:.2f} | {s['reason']} |")
        lines.append("")
    lines += summary(rows)
    if bench_text:
        # A fence without a language: tests/doc_examples_test.py runs every block that has one.
        lines += ["### Benchmark: a 34-layer chain on 8 devices of 3 classes", "",
                  "`build/bench/cluster_bench` (bench/cluster_bench.cpp), run by this script on the machine "
                  "above; times are measured, not targets:", "", "```", bench_text.rstrip(), "```", ""]
    lines.append(END)
    return "\n".join(lines) + "\n"


def summary(rows):
    """What the table says, computed from it."""
    out = ["### What the table says", ""]
    solved = [r for r in rows if r["solve"]["status"] == "ok"]
    chains = [r for r in solved if r["chain"]]
    others = [r for r in solved if not r["chain"]]
    if chains:
        proven = sum(1 for r in chains if r["solve"]["optimal"])
        worst_t = max(r["solve"]["time_seconds"] for r in chains)
        out.append(f"- **Chains** (layer granularity): {proven} of {len(chains)} instances with a partition "
                   f"proven optimal by the exact chain DP (bound `cluster-chain`), the slowest in "
                   f"{1e3 * worst_t:.0f} ms.")
    for a in BASELINES:
        parts = []
        for label, group in (("chains", chains), ("operator graphs", others)):
            fits = [r for r in group if r[a]["status"] == "ok"]
            if not group:
                continue
            if not fits:
                parts.append(f"on {label} it never fits")
                continue
            ratio = lambda r: r[a]["bottleneck"] / r["solve"]["bottleneck"]
            worst = max(fits, key=ratio)
            parts.append(f"on {label} {geomean([ratio(r) for r in fits]):.2f}× solve's bottleneck "
                         f"(geometric mean over the {len(fits)} where it fits; at worst {ratio(worst):.2f}×, "
                         f"{worst['graph']} on {worst['testbed']} at k = {worst['k']}), "
                         f"overflowing a device on {len(group) - len(fits)} of {len(group)}")
        out.append(f"- **{a}**: " + "; ".join(parts) + ".")
    infeasible = [r for r in rows if r["solve"]["status"] != "ok"]
    if infeasible:
        out.append("- **No partition**: " + "; ".join(
            f"{r['graph']} on {r['testbed']} at k = {r['k']} ({r['solve']['status']})" for r in infeasible) + ".")
    if others:
        ratios = [r["solve"]["lower_bound"] / r["solve"]["bottleneck"] for r in others]
        proven = sum(1 for r in others if r["solve"]["optimal"])
        timed_out = [r for r in others if r["solve"]["hit_time_limit"]]
        unproven = [r for r in others if not r["solve"]["optimal"]]
        out.append(f"- **Operator graphs** (transformer corpus, not chains): certified ratio "
                   f"{geomean(ratios):.4f} (geometric mean; from {min(ratios):.4f} to {max(ratios):.4f}), "
                   f"{proven} of {len(others)} proven optimal, {len(timed_out)} stopped at the time "
                   f"limit. The bound is the downset DP over device types and hosts (`cluster-downset`, "
                   "docs/clusters.md), whose own partition meets it wherever a ratio is 1.0000; its "
                   "sends are priced at the fastest free link, so a ratio a little below 1 can be the "
                   "bound's gap as well as the partition's.")
        if unproven:
            notes = []
            for r in unproven:
                d = r["solve"].get("downset") or {}
                why = (f"`cluster-downset` {d['status']}: {d['detail']}" if d
                       else "no downset DP")
                notes.append(f"{r['graph']} on {r['testbed']} at k = {r['k']} (ratio "
                             f"{r['solve']['lower_bound'] / r['solve']['bottleneck']:.4f}; {why})")
            out.append("  Not proven: " + "; ".join(notes) + ".")
        beaten = []
        for r in others:
            best = min((r[a]["bottleneck"], a) for a in BASELINES if r[a]["status"] == "ok") \
                if any(r[a]["status"] == "ok" for a in BASELINES) else None
            if best and best[0] < r["solve"]["bottleneck"]:
                beaten.append((r["solve"]["bottleneck"] / best[0], r, best[1]))
        if beaten:
            worst = max(beaten, key=lambda b: b[0])
            out.append(f"- **solve is not always best on operator graphs**: an engine's split beats its "
                       f"partition on {len(beaten)} of {len(others)} instances, by up to "
                       f"{100 * (worst[0] - 1):.1f} % ({worst[1]['graph']} on {worst[1]['testbed']} at "
                       f"k = {worst[1]['k']}, {worst[2]}). The slicing DP prices every cut tensor at the "
                       "cluster's slowest link and searches few topological orders (docs/clusters.md, "
                       "\"Solving on a heterogeneous cluster\"), and it does not start from the engines' "
                       "splits.")
        else:
            out.append("- solve's partition is at least as good as every engine's split on every operator graph.")
    out.append("")
    return out


def machine_info():
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return "?"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"date": datetime.date.today().isoformat(),
            "commit": out(["git", "rev-parse", "--short", "HEAD"]) or "?", "cpu": cpu,
            "cores": len(os.sched_getaffinity(0)), "python": platform.python_version(),
            "load_before": "%.2f" % os.getloadavg()[0]}


def replace_section(path, text):
    old = open(path).read() if os.path.exists(path) else "# Results\n"
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + text.rstrip("\n") + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pipecut", required=True, help="the pipecut binary")
    ap.add_argument("--bench", help="the cluster_bench binary: run it and add its table")
    ap.add_argument("--quick", action="store_true", help="one chain and one corpus model (the test suite)")
    ap.add_argument("--work", help="folder for converted graphs (default build/cluster-results[-quick])")
    ap.add_argument("--results", help="results file whose section is written (default docs/results.md; --quick: WORK/results.md)")
    ap.add_argument("--json-out", help="raw results (default docs/results/cluster-results.json; --quick: in WORK)")
    ap.add_argument("--time-limit", type=float, help="solve's time limit, s (default 60; --quick 5)")
    ap.add_argument("--testbeds", help="comma-separated subset of " + ",".join(cluster_testbed.TESTBEDS))
    ap.add_argument("--graphs", help="comma-separated graph names to keep (chains and corpus models)")
    args = ap.parse_args()
    args.work = args.work or os.path.join(ROOT, "build", "cluster-results" + ("-quick" if args.quick else ""))
    args.time_limit = args.time_limit or (5 if args.quick else 60)
    results_path = args.results or (os.path.join(args.work, "results.md") if args.quick
                                    else os.path.join(ROOT, "docs", "results.md"))
    json_path = args.json_out or (os.path.join(args.work, "cluster-results.json") if args.quick
                                  else os.path.join(ROOT, "docs", "results", "cluster-results.json"))
    args.json_shown = os.path.relpath(json_path, ROOT) if os.path.abspath(json_path).startswith(ROOT + os.sep) else json_path
    testbeds = list(cluster_testbed.TESTBEDS)
    if args.quick:
        testbeds = QUICK["testbeds"]
    if args.testbeds:
        testbeds = args.testbeds.split(",")
        unknown = [t for t in testbeds if t not in cluster_testbed.TESTBEDS]
        if unknown:
            fail(f"unknown testbed(s) {', '.join(unknown)}; choose from {', '.join(cluster_testbed.TESTBEDS)}")
    keep = set(args.graphs.split(",")) if args.graphs else None
    os.makedirs(args.work, exist_ok=True)
    machine = machine_info()
    rows = []
    for testbed in testbeds:
        cluster = os.path.join(ROOT, "data", "clusters", f"{testbed}.json")
        devices = sum(d["count"] for h in cluster_testbed.TESTBEDS[testbed]["hosts"] for d in h["devices"])
        ks = sorted({devices, 4} & set(range(1, devices + 1)))
        chain_dir = os.path.join(ROOT, "data", "llm-chains", testbed)
        graphs = [(n[:-len(".json")], os.path.join(chain_dir, n)) for n in sorted(os.listdir(chain_dir))
                  if n.endswith(".json")]
        models = sorted(n for n in os.listdir(CORPUS) if n.endswith(".onnx.gz"))
        if args.quick:
            graphs = [g for g in graphs if g[0] in QUICK["chains"]]
            models = [m for m in models if m.split(".")[0] in QUICK["corpus"]]
        if keep:
            graphs = [g for g in graphs if g[0] in keep]
            models = [m for m in models if m.split(".")[0] in keep]
        for m in models:
            print(f"cluster_results: converting {m} for {testbed}", file=sys.stderr)
            graphs.append((m.split(".")[0], corpus_graph(args.pipecut, os.path.join(CORPUS, m), testbed, args.work)))
        for name, path in graphs:
            chain = is_chain(path)
            for k in ks:
                print(f"cluster_results: {testbed} {name} k={k}", file=sys.stderr)
                row = {"testbed": testbed, "graph": name, "k": k, "nodes": graph_nodes(path), "chain": chain}
                row.update(measure(args.pipecut, path, cluster, k, args.time_limit))
                rows.append(row)
    bench_text = None
    if args.bench:
        r = run([args.bench] + (["--quick"] if args.quick else []))
        if r.returncode != 0:
            fail(f"{args.bench} failed (exit {r.returncode}): {r.stderr.strip()}")
        bench_text = r.stdout
    machine["load_after"] = "%.2f" % os.getloadavg()[0]
    text = section(rows, machine, args, bench_text)
    with open(json_path + ".tmp", "w") as f:
        json.dump({"machine": machine, "time_limit": args.time_limit, "rows": rows}, f, indent=1)
        f.write("\n")
    os.replace(json_path + ".tmp", json_path)
    replace_section(results_path, text)
    written = open(results_path).read()
    for testbed in testbeds:
        if f"### {testbed}" not in written:
            fail(f"{results_path} lacks the table of {testbed}")
    print(f"wrote {results_path} and {json_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
