#!/usr/bin/python3
"""Training on the ONNX corpora: writes the section "Training the corpora under 1F1B" of
docs/results.md.

usage: tools/training_corpus_results.py --pipecut build/pipecut [--time-limit SEC] [--ks 4,8]
                                        [--models a,b] [--results FILE]

For every model of the torchvision and transformer corpora (data/corpus), with a backward pass
synthesised by the per-operator table (`--backward-pass ops`, docs/training.md), Adam's optimizer
state (`--optimizer-state 2`: two moments per weight) and the 1F1B schedule with k microbatches,
under a memory cap that binds: 1.25 x max((3 W + S (k + 1) / 2) / k, 3 w), where W is the
model's weights, S its whole activation stash per microbatch (a stage of rank r keeps k - r
microbatches under 1F1B, (k + 1) / 2 on average) and w the heaviest node's weights.
`pipecut solve --target-ratio 1 --time-limit SEC` (default 60): bottleneck, proven lower bound,
ratio, and solve's own wall time.
"""
import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile

from training_results import write_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- training_corpus_results.py: begin -->"
END = "<!-- training_corpus_results.py: end -->"
CORPORA = ("torchvision", "transformers")


def corpus_models():
    """Every model of the two corpora, in name order."""
    models = []
    for corpus in CORPORA:
        folder = os.path.join(ROOT, "data", "corpus", corpus)
        models += [f"{corpus}/{f}" for f in sorted(os.listdir(folder))
                   if f.endswith(".onnx") or f.endswith(".onnx.gz")]
    return models


def fail(message):
    sys.exit(f"training_corpus_results: {message}")


def training_totals(pipecut, model):
    """Node count, weights W, per-microbatch stash S and the heaviest node's weights (bytes) of
    the model with its backward pass."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "graph.json.gz")
        r = subprocess.run([pipecut, "convert", model, out, "--backward-pass", "ops"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"convert {model}: {r.stderr.strip()}")
        with gzip.open(out, "rt") as f:
            doc = json.load(f)
    backward = {n["id"] for n in doc["nodes"] if n.get("backward")}
    feeds_backward = {u for u, v in doc["edges"] if v in backward}
    weights = sum(n.get("memory", 0) for n in doc["nodes"])
    stash = sum(max(n.get("bytes", 0), 0) for n in doc["nodes"]
                if n["id"] in feeds_backward and not n.get("backward"))
    heaviest = max(n.get("memory", 0) for n in doc["nodes"])
    return len(doc["nodes"]), weights, stash, heaviest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipecut", required=True)
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--ks", default="4,8")
    parser.add_argument("--models", default="")
    parser.add_argument("--results", default=os.path.join(ROOT, "docs", "results.md"))
    args = parser.parse_args()
    models = [m for m in corpus_models()
              if not args.models or os.path.basename(m).split(".")[0] in args.models.split(",")]
    rows = []
    for rel in models:
        model = os.path.join(ROOT, "data", "corpus", rel)
        name = os.path.basename(rel).split(".")[0]
        nodes, weights, stash, heaviest = training_totals(args.pipecut, model)
        for k in (int(x) for x in args.ks.split(",")):
            cap = 1.25 * max((3 * weights + stash * (k + 1) / 2) / k, 3 * heaviest)
            cmd = [args.pipecut, "solve", model, "-k", str(k), "--json", "--quiet",
                   "--backward-pass", "ops", "--optimizer-state", "2", "--schedule", "1f1b",
                   "--microbatches", str(k), "--memory-per-stage", str(int(cap)),
                   "--target-ratio", "1", "--time-limit", str(args.time_limit)]
            r = subprocess.run(cmd, capture_output=True, text=True)
            row = {"model": name, "nodes": nodes, "k": k, "cap_gib": cap / 2**30}
            if r.returncode == 4:
                row["infeasible"] = r.stderr.strip()
            elif r.returncode != 0:
                fail(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
            else:
                s = json.loads(r.stdout)
                row.update(bottleneck=s["bottleneck"], bound=s["lower_bound"],
                           ratio=s["lower_bound"] / s["bottleneck"] if s["bottleneck"] else 1.0,
                           optimal=s.get("optimal", False), seconds=s["time_seconds"],
                           stages=s["stages_used"], method=s.get("lower_bound_method", ""))
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)

    met = [r for r in rows if "ratio" in r and r["ratio"] >= 0.99]
    solved = [r for r in rows if "ratio" in r]
    md = [BEGIN, "## Training the corpora under 1F1B", "",
          "Generated by `tools/training_corpus_results.py`. Every model of the torchvision and "
          "transformer corpora with a synthesised backward pass (`--backward-pass ops`, "
          "docs/training.md), Adam's optimizer state (`--optimizer-state 2`) and the 1F1B "
          "schedule with k microbatches, under a cap of 1.25 × max((3W + S(k+1)/2) / k, 3w) per "
          "stage (W the weights, S the whole activation stash of one microbatch, w the heaviest "
          "node's weights, so that the cap binds but every node fits): `pipecut solve "
          f"--target-ratio 1 --time-limit {args.time_limit:g}` on this {os.cpu_count()}-core "
          f"machine ({platform.machine()}). `nodes` counts the training graph (forward and "
          "backward); `bound by` is the method that gave the lower bound (`projection` = the "
          "inference portfolio on the projection, docs/training.md). Times in the models' unit "
          "(ms) and seconds.", "",
          f"Target ratio ≥ 0.99 within {args.time_limit:g} s: met on {len(met)} of "
          f"{len(solved)} solved instances.", "",
          "| model | nodes | k | cap (GiB) | bottleneck | bound | ratio | proven | bound by | "
          "time (s) | stages |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "infeasible" in r:
            md.append(f"| {r['model']} | {r['nodes']} | {r['k']} | {r['cap_gib']:.3g} | "
                      "infeasible | – | – | yes | – | – | – |")
            continue
        md.append(f"| {r['model']} | {r['nodes']} | {r['k']} | {r['cap_gib']:.3g} | "
                  f"{r['bottleneck']:.4g} | {r['bound']:.4g} | {r['ratio']:.4f} | "
                  f"{'yes' if r['optimal'] else 'no'} | {r['method']} | {r['seconds']:.1f} | "
                  f"{r['stages']} |")
    md += ["", END]
    write_section(args.results, BEGIN, END, "\n".join(md))
    print(f"wrote the corpus training section of {args.results}", file=sys.stderr)


if __name__ == "__main__":
    main()
