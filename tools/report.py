#!/usr/bin/python3
"""Turn experiment results (JSON lines from `pipecut experiment`) into docs/results.md,
docs/results.json and running-time plots.

Usage:
  tools/report.py --results TESTBED=FILE [TESTBED=FILE ...] --out-dir docs
                  [--meta META.json] [--plots-dir docs/results]

Definitions (per testbed and k, over the graphs that have at least one partition row):
  best partition  = smallest bottleneck found by any algorithm or exact bound method;
  best bound      = largest lower bound of any method;
  bound ratio     = max(method's bound, simple bound) / best partition (geometric mean over
                    graphs; 1 = tight). The simple bound is free for every method (the MIPs
                    include it as a constraint); without the floor a method that gave up (value
                    0) would send the geometric mean to 0;
  quality         = best partition / algorithm's bottleneck (geometric mean; 1 = best found);
  proven optimal  = best bound >= best partition * (1 - 1e-5), the tolerance of solve.
Graphs whose best partition is 0 (all-zero costs) count as ratio 1.
Constrained testbeds (rows with `capacity` / `colour_classes`): an instance is infeasible when
a method proved that no partition satisfies the placement constraints, unresolved when no
method found a valid partition and none proved infeasibility; the ratios and quality cover the
instances with a valid partition, and each algorithm's quality cell says on how many of them it
found one.
"""
import argparse
import gzip
import json
import math
import os
import sys
from collections import defaultdict

TOLERANCE = 1e-5
# Sections other scripts write between their markers, and hand-written ones beside them (not
# made from experiment rows): carried over from the file being replaced.
KEPT_SECTIONS = [("<!-- measure_pipelines.py: begin -->", "<!-- measure_pipelines.py: end -->"),
                 ("<!-- measured summary: begin -->", "<!-- measured summary: end -->"),
                 ("<!-- pipecut llm: begin -->", "<!-- pipecut llm: end -->"),
                 ("<!-- cluster_results.py: begin -->", "<!-- cluster_results.py: end -->"),
                 ("<!-- training_results.py: begin -->", "<!-- training_results.py: end -->"),
                 ("<!-- training_corpus_results.py: begin -->",
                  "<!-- training_corpus_results.py: end -->")]
EXTRA_HEADERS = {"solve_within_0.1%": "solve ≤ 0.1 %"}


def read_rows(path):
    rows = []
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                print(f"{path}: line {number}: not JSON, skipped", file=sys.stderr)
    return rows


def geomean(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return math.exp(sum(math.log(max(v, 1e-300)) for v in values) / len(values))


def ratio(num, den):
    if den <= 0:
        return 1.0
    return num / den


def summarise(rows):
    """Returns (summary dict for results.json, per-(graph,k) details)."""
    by_instance = defaultdict(lambda: {"partition": {}, "bound": {}, "partition_from_bound": {},
                                       "nodes": 0, "seconds": {}, "infeasible": False,
                                       "tried": set()})
    constrained = False
    for r in rows:
        if r.get("kind") not in ("partition", "bound"):
            continue
        constrained = constrained or "capacity" in r or "colour_classes" in r
        inst = by_instance[(r["graph"], int(r["k"]))]
        inst["nodes"] = r.get("nodes", 0)
        if r.get("status") == "infeasible":
            inst["infeasible"] = True
        if r["kind"] == "partition":
            inst["tried"].add(r["method"])
        if r.get("value") is None:  # no valid partition from this method
            continue
        if r["kind"] == "bound" and r.get("status") == "infeasible":
            continue
        inst[r["kind"]][r["method"]] = (r["value"], r.get("status", ""))
        inst["seconds"][(r["kind"], r["method"])] = r.get("seconds", 0.0)
        if r["kind"] == "bound" and r.get("partition_value", -1) >= 0:
            inst["partition_from_bound"][r["method"]] = r["partition_value"]
    ks = sorted({k for (_, k) in by_instance})
    algorithms = sorted({m for inst in by_instance.values() for m in inst["partition"]})
    methods = sorted({m for inst in by_instance.values() for m in inst["bound"]})
    graphs = sorted({g for (g, _) in by_instance})
    summary = {"graphs": len(graphs), "k": {}, "constrained": constrained}
    for k in ks:
        bound_ratios = defaultdict(list)
        quality = defaultdict(list)
        found = defaultdict(int)
        proven = 0
        solve_runs = solve_certified = 0
        count = 0
        infeasible = 0
        unresolved = 0
        for g in graphs:
            inst = by_instance.get((g, k))
            if not inst:
                continue
            candidates = [v for v, _ in inst["partition"].values()]
            candidates += list(inst["partition_from_bound"].values())
            if inst["infeasible"] and not candidates:
                infeasible += 1
                continue
            if not candidates:
                if inst["tried"]:
                    unresolved += 1
                continue
            best = min(candidates)
            count += 1
            best_bound = 0.0
            simple = inst["bound"].get("simple", (0.0, ""))[0]
            for m, (v, _) in inst["bound"].items():
                bound_ratios[m].append(ratio(max(v, simple), best))
                best_bound = max(best_bound, v)
            bound_ratios["best"].append(ratio(best_bound, best))
            if best <= 0 or best_bound >= best * (1 - TOLERANCE):
                proven += 1
            # solve's own partition certified within 0.1 % of the optimum: then no partition,
            # from any method with any budget, can beat it by more.
            if "solve" in inst["partition"]:
                solve_value = inst["partition"]["solve"][0]
                solve_runs += 1
                if solve_value <= 0 or best_bound >= solve_value * (1 - 1e-3):
                    solve_certified += 1
            for a, (v, _) in inst["partition"].items():
                quality[a].append(ratio(best, v) if v > 0 else 1.0)
                found[a] += 1
        summary["k"][str(k)] = {
            "instances": count,
            "infeasible": infeasible,
            "unresolved": unresolved,
            "algorithm_found": dict(sorted(found.items())),
            "bound_ratio_geomean": {m: geomean(v) for m, v in sorted(bound_ratios.items())},
            "proven_optimal": proven,
            "solve_within_0.1%": solve_certified if solve_runs else None,
            "algorithm_quality_geomean": {a: geomean(v) for a, v in sorted(quality.items())},
        }
    return summary, by_instance, ks, algorithms, methods


def describe_constraints(rows):
    """One line on the placement constraints of a constrained testbed's rows."""
    capacities = [r["capacity"] for r in rows if r.get("capacity") is not None]
    classes = sorted({r.get("colour_classes", 0) for r in rows})
    parts = []
    if capacities:
        parts.append(f"memory capacity per stage from {min(capacities) / 2**20:.0f} MiB to "
                     f"{max(capacities) / 2**20:.0f} MiB ({len(capacities)} rows with one)")
    else:
        parts.append("no memory capacity")
    if classes and classes[-1] > 0:
        parts.append(f"colour classes per graph: {', '.join(str(c) for c in classes)}")
    else:
        parts.append("no colour classes")
    return ["Placement constraints: " + "; ".join(parts) + "."]


def fmt(x):
    return "–" if x is None else f"{x:.4f}"


def plot_times(by_instance, testbed, plots_dir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plots (apt-get install python3-matplotlib)", file=sys.stderr)
        return []
    files = []
    for kind, title in (("partition", "partition algorithms"), ("bound", "bound methods")):
        series = defaultdict(lambda: ([], []))
        for (g, k), inst in by_instance.items():
            for (knd, method), seconds in inst["seconds"].items():
                if knd == kind:
                    xs, ys = series[method]
                    xs.append(max(inst["nodes"], 1))
                    ys.append(max(seconds, 1e-4))
        if not series:
            continue
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for method, (xs, ys) in sorted(series.items()):
            ax.scatter(xs, ys, s=10, alpha=0.6, label=method)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("graph size (nodes)")
        ax.set_ylabel("wall time per instance (s)")
        ax.set_title(f"{testbed}: running time of {title}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        name = f"{testbed}-{kind}-time.png"
        fig.savefig(os.path.join(plots_dir, name), dpi=110)
        plt.close(fig)
        files.append(name)
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", nargs="+", required=True, metavar="TESTBED=FILE")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--plots-dir", help="folder for PNG plots (default OUT_DIR/results)")
    ap.add_argument("--meta", help="JSON with commands, machine, limits and versions to print")
    args = ap.parse_args()

    plots_dir = args.plots_dir or os.path.join(args.out_dir, "results")
    os.makedirs(args.out_dir, exist_ok=True)
    os.makedirs(plots_dir, exist_ok=True)
    meta = {}
    if args.meta:
        with open(args.meta) as f:
            meta = json.load(f)

    results_json = {"testbeds": {}}
    md = ["# pipecut results", "",
          "Generated by `tools/report.py` from the rows of `pipecut experiment`. "
          "Bound ratio = lower bound / best partition found (geometric mean over graphs; "
          "1 = the bound certifies the best partition optimal). Quality = best partition found / "
          "the algorithm's bottleneck (1 = it found the best). An instance is proven optimal when "
          "the best bound reaches the best partition (relative tolerance 1e-5). Each method's "
          "column is floored by the simple bound, which every method gets for free (a method that "
          "gave up would otherwise contribute 0).", ""]
    for spec in args.results:
        if "=" not in spec:
            sys.exit(f"report.py: --results takes TESTBED=FILE (got {spec})")
        testbed, path = spec.split("=", 1)
        rows = read_rows(path)
        summary, by_instance, ks, algorithms, methods = summarise(rows)
        results_json["testbeds"][testbed] = summary
        md += [f"## Testbed `{testbed}`", "", f"{summary['graphs']} graphs; results file `{os.path.basename(path)}`.", ""]
        constrained = summary["constrained"]
        if constrained:
            md += describe_constraints(rows) + [""]
        md += ["### Table 1 — lower bound / best partition (geometric mean)", ""]
        extra = ["infeasible", "unresolved"] if constrained else []
        if any(s.get("solve_within_0.1%") is not None for s in summary["k"].values()):
            extra.append("solve_within_0.1%")
        header = ("| k | " + ("feasible | " if constrained else "instances | ") +
                  " | ".join(methods + ["best"]) + " | proven optimal |" +
                  "".join(f" {EXTRA_HEADERS.get(e, e)} |" for e in extra))
        md += [header, "|" + "---|" * (len(methods) + 4 + len(extra))]
        for k in ks:
            s = summary["k"][str(k)]
            cells = [fmt(s["bound_ratio_geomean"].get(m)) for m in methods + ["best"]]
            md.append(f"| {k} | {s['instances']} | " + " | ".join(cells) + f" | {s['proven_optimal']} |" +
                      "".join(f" {'' if s[e] is None else s[e]} |" for e in extra))
        if "solve_within_0.1%" in extra:
            md += ["", "solve ≤ 0.1 %: instances where the best bound certifies `solve`'s own "
                   "partition within 0.1 % of the optimum, so that no partition from any method, "
                   "with any budget, is more than 0.1 % better."]
        if constrained:
            md += ["", "Feasible: a valid partition was found; infeasible: a method proved that none "
                   "exists (a node, hull or the total memory above the capacity, or an exact method "
                   "that found no chain); unresolved: neither within the time limits. Ratios cover "
                   "the feasible instances."]
        s16 = summary["k"].get("16")
        if s16 and s16["bound_ratio_geomean"].get("best") is not None and not constrained:
            md += ["", f"At k = 16 the best bound certifies on average (geometric mean) "
                   f"{s16['bound_ratio_geomean']['best']:.4f} of the best partition found on this "
                   f"testbed, with {s16['proven_optimal']} of {s16['instances']} instances proven "
                   f"optimal. For comparison, Archer et al. report 0.9452 at k = 16 on 369 "
                   f"production models (a different testbed: theirs are not public)."]
        md += ["", "### Table 2 — partition quality: best found / algorithm (geometric mean)", ""]
        md += ["| k | " + " | ".join(algorithms) + " |", "|" + "---|" * (len(algorithms) + 1)]
        for k in ks:
            s = summary["k"][str(k)]
            if constrained:  # quality over the instances where the algorithm found a partition
                cells = [f"{fmt(s['algorithm_quality_geomean'].get(a))} ({s['algorithm_found'].get(a, 0)}/{s['instances']})"
                         for a in algorithms]
            else:
                cells = [fmt(s["algorithm_quality_geomean"].get(a)) for a in algorithms]
            md.append(f"| {k} | " + " | ".join(cells) + " |")
        md.append("")
        statuses = defaultdict(lambda: defaultdict(int))
        for r in rows:
            if r.get("kind") == "bound":
                statuses[r["method"]][r.get("status", "")] += 1
        if statuses:
            md += ["Bound method outcomes (rows): " + "; ".join(
                f"{m}: " + ", ".join(f"{n} {st}" for st, n in sorted(c.items())) for m, c in sorted(statuses.items())), ""]
        for name in plot_times(by_instance, testbed, plots_dir):
            rel = os.path.relpath(os.path.join(plots_dir, name), args.out_dir)
            md += [f"![{name}]({rel})", ""]
    if meta:
        md += ["## How these numbers were produced", ""]
        for key, value in meta.items():
            if isinstance(value, list):
                # The doc-example test (tests/doc_examples_test.py) skips the block: the sweeps
                # take hours.
                md += ["", f"**{key}**", "",
                       "<!-- example: not run: the sweeps take hours (tools/run_experiments.sh) -->",
                       "```sh"] + [str(v) for v in value] + ["```", ""]
            elif isinstance(value, dict):
                md += [f"- **{key}**:"] + [f"  - {k}: {v}" for k, v in value.items()]
            else:
                md += [f"- **{key}**: {value}"]
        md.append("")
    # The sections KEPT_SECTIONS names are not made from these rows: they are carried over from
    # the file being replaced.
    target = os.path.join(args.out_dir, "results.md")
    if os.path.exists(target):
        old = open(target).read()
        for begin_marker, end_marker in KEPT_SECTIONS:
            begin, end = old.find(begin_marker), old.find(end_marker)
            if 0 <= begin < end:
                md += [old[begin:end + len(end_marker)], ""]
    with open(target, "w") as f:
        f.write("\n".join(md))
    with open(os.path.join(args.out_dir, "results.json"), "w") as f:
        json.dump(results_json, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {os.path.join(args.out_dir, 'results.md')} and results.json")


if __name__ == "__main__":
    main()
