#!/usr/bin/python3
"""Training pipelines: writes the section "Training graphs" of docs/results.md (Tarnawski et
al.'s training graphs solved exactly, against their human experts' splits).

usage: tools/training_results.py --pipecut build/pipecut [--time-limit SEC] [--results FILE]
                                 [--graphs a,b] [--ks 2,4,8] [--tarnawski-dp DP]

For every training graph of data/tarnawski-training and its operator/ folder (docs/training.md),
at the graph's maxFPGAs
and at each k of --ks, under the graph's own 16 GiB cap: `pipecut solve --json --target-ratio 1
--time-limit SEC` (default 60), giving the bottleneck, the lower bound, whether it is proven
optimal and solve's own time; and, where the repository has a human-expert split of the graph,
its bottleneck from `pipecut evaluate --json` (at maxFPGAs, the expert's device count). The
section replaces the one between its markers in the results file.

--tarnawski-dp DP: also runs Tarnawski et al.'s own DP (throughput-dp/dp.cpp of their repository,
built by the user, e.g. `g++ -O3 throughput-dp/dp.cpp -o dp`) on each instance, with the graph's
maxFPGAs set to k and maxCPUs to 0 (pipecut does not model their CPU, which would take load off
the accelerators), under the same time limit, and reports its wall time and its maxLoad.
"""
import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data", "tarnawski-training")
BEGIN = "<!-- training_results.py: begin -->"
END = "<!-- training_results.py: end -->"


def fail(message):
    sys.exit(f"training_results: {message}")


def run_json(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 4):
        fail(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.returncode, (json.loads(r.stdout) if r.returncode == 0 else r.stderr.strip())


def their_dp(dp, doc, k, limit):
    """Their DP on the graph with maxFPGAs = k: wall time and maxLoad, or the time limit."""
    doc = dict(doc, maxFPGAs=k, maxCPUs=0)  # no CPU: pipecut's model, k identical devices
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(doc, f)
        f.flush()
        start = time.monotonic()
        try:
            with open(f.name) as stdin:
                r = subprocess.run([dp], stdin=stdin, capture_output=True, text=True,
                                   timeout=limit)
        except subprocess.TimeoutExpired:
            return {"dp_seconds": None, "dp_load": "time limit"}
        seconds = time.monotonic() - start
    try:
        return {"dp_seconds": seconds, "dp_load": json.loads(r.stdout)["maxLoad"]}
    except (ValueError, KeyError):
        return {"dp_seconds": seconds, "dp_load": "failed"}


def fmt(x):
    return f"{x:.4g}" if isinstance(x, (int, float)) else str(x)


def dp_cells(r):
    if "dp_load" not in r:
        return "– | –"
    seconds = r["dp_seconds"]
    return f"{fmt(r['dp_load'])} | {'–' if seconds is None else f'{seconds:.2f}'}"


def summary(rows):
    """One line: how many instances are proven, and how they compare with their DP."""
    proven = sum(1 for r in rows if "infeasible" in r or r.get("optimal"))
    finished = [r for r in rows if isinstance(r.get("dp_load"), (int, float)) and "bottleneck" in r]
    equal = sum(1 for r in finished
                if abs(r["bottleneck"] - r["dp_load"]) <= 1e-9 * max(1.0, abs(r["dp_load"])))
    line = f"Proven optimal (or proven infeasible): {proven} of {len(rows)} instances."
    if finished:
        line += (f" Equal to their DP's maxLoad on {equal} of the {len(finished)} instances "
                 "where it finished.")
    return line


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipecut", required=True)
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--results", default=os.path.join(ROOT, "docs", "results.md"))
    parser.add_argument("--graphs", default="")
    parser.add_argument("--ks", default="2,4,8")
    parser.add_argument("--tarnawski-dp", default="")
    args = parser.parse_args()
    # (name, level, file): the layer graphs, then the operator graphs (gzipped).
    graphs = []
    for level, folder in (("layer", DATA), ("operator", os.path.join(DATA, "operator"))):
        for f in sorted(os.listdir(folder)):
            for suffix in ("_training.json", "_training.json.gz"):
                if f.endswith(suffix):
                    graphs.append((f[:-len(suffix)], level, os.path.join(folder, f)))
    if args.graphs:
        graphs = [g for g in graphs if g[0] in args.graphs.split(",")]
    rows = []
    for name, level, graph in graphs:
        with (gzip.open(graph, "rt") if graph.endswith(".gz") else open(graph)) as f:
            doc = json.load(f)
        max_fpgas = int(doc["maxFPGAs"])
        nodes = len(doc["nodes"])
        backward = sum(1 for n in doc["nodes"] if n.get("isBackwardNode") in (True, 1))
        expert_path = os.path.join(DATA, f"{name}_training_expert.json")
        expert = None
        if os.path.exists(expert_path):
            code, e = run_json([args.pipecut, "evaluate", graph, expert_path, "--json"])
            expert = e["bottleneck"] if code == 0 and e.get("valid") else "invalid"
        ks = [max_fpgas] + [int(k) for k in args.ks.split(",") if int(k) != max_fpgas]
        for k in ks:
            code, s = run_json([args.pipecut, "solve", graph, "-k", str(k), "--json", "--quiet",
                                "--target-ratio", "1", "--time-limit", str(args.time_limit)])
            row = {"graph": name, "level": level, "nodes": nodes, "backward": backward,
                   "k": k}
            if code == 4:
                row["infeasible"] = s
            else:
                row.update(bottleneck=s["bottleneck"], lower_bound=s["lower_bound"],
                           optimal=s.get("optimal", False), seconds=s["time_seconds"],
                           stages_used=s["stages_used"], algorithm=s["algorithm"])
            if k == max_fpgas and expert is not None:
                row["expert"] = expert
            if args.tarnawski_dp:
                row.update(their_dp(args.tarnawski_dp, doc, k, args.time_limit))
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)

    md = [BEGIN, "## Training graphs (Tarnawski et al., forward + backward)", "",
          "Generated by `tools/training_results.py`. Tarnawski et al.'s eight training graphs, four "
          "layer-level and four operator-level (data/tarnawski-training, docs/training.md: "
          "forward and backward nodes; the operator graphs also hold backward nodes without a "
          "forward twin, placed by their gradient edges), under their own cap of 16 GiB per "
          "device (`maxSizePerFPGA`, weights only), at their `maxFPGAs` and k = "
          f"{args.ks.replace(',', ', ')}: `pipecut solve --target-ratio 1 --time-limit "
          f"{args.time_limit:g}`. `bound` = the proven lower bound, `proven` = the bottleneck is "
          "optimal within the relative tolerance, `time` = solve's own wall time on this "
          f"{os.cpu_count()}-core machine ({platform.machine()}), `expert` = the bottleneck of "
          "the repository's human-expert split (`pipecut evaluate`, backward nodes in their "
          "forward node's stage), at the expert's 6 devices. `nodes` counts all nodes (backward "
          "nodes in brackets). Bottlenecks and bounds are in the "
          "graphs' unit (ms), times in seconds.", "",
          summary(rows), "",
          "| graph | level | nodes (backward) | k | bottleneck | bound | proven | time (s) | stages used | expert | their DP: maxLoad | their DP: time (s) |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "infeasible" in r:
            md.append(f"| {r['graph']} | {r['level']} | {r['nodes']} ({r['backward']}) | {r['k']} "
                      "| infeasible "
                      f"| – | yes | – | – | {fmt(r.get('expert', '–'))} | {dp_cells(r)} |")
            continue
        md.append(f"| {r['graph']} | {r['level']} | {r['nodes']} ({r['backward']}) | {r['k']} | "
                  f"{fmt(r['bottleneck'])} | {fmt(r['lower_bound'])} | "
                  f"{'yes' if r['optimal'] else 'no'} | {r['seconds']:.2f} | {r['stages_used']} | "
                  f"{fmt(r.get('expert', '–'))} | {dp_cells(r)} |")
    md += ["", "`their DP` = Tarnawski "
           "et al.'s throughput DP (throughput-dp/dp.cpp, `--tarnawski-dp`) run on the same "
           "file with maxFPGAs = k and maxCPUs = 0 (no CPU, pipecut's model) in the same run: "
           "its maxLoad and wall time (including reading the file); – when not run.", "", END]
    write_section(args.results, BEGIN, END, "\n".join(md))
    print(f"wrote the training section of {args.results}", file=sys.stderr)


def write_section(results, begin_marker, end_marker, section):
    """Replaces the text between the markers in `results` (or appends the section)."""
    text = open(results).read() if os.path.exists(results) else ""
    begin, end = text.find(begin_marker), text.find(end_marker)
    if 0 <= begin < end:
        text = text[:begin] + section + text[end + len(end_marker):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(results, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
