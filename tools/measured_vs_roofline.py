#!/usr/bin/python3
"""Compares ONNX Runtime's measured CPU operator times with the roofline cost model.

usage: tools/measured_vs_roofline.py --pipecut build/pipecut [--models a,b] [--k 4] [--runs 6]
                                     [--device cpu-avx512] [--work DIR] [--quick]

For each torchvision model (random weights, exported like the corpus: opset 14, batch 1,
3x224x224): profile it with tools/profile_onnx.mjs (optimisations off, so every operator has its
own kernel, one thread), read it with and without --profile, and report
  - the Spearman rank correlation between measured and estimated work over the operators;
  - the total measured and estimated work;
  - `pipecut solve -k K` on each cost set, and what the roofline partition costs under the
    measured costs (evaluate), against the partition solved on measured costs.
Prints a Markdown table (the one in docs/cost-model.md). Needs /usr/bin/python3 with
python3-torch, python3-torchvision and python3-onnx, and node with tools/node_modules.
"""
import argparse
import json
import os
import subprocess
import sys

TOOLS = os.path.dirname(os.path.abspath(__file__))


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for t in range(i, j + 1):
            r[order[t]] = (i + j) / 2 + 1  # ties share their mean rank
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va > 0 and vb > 0 else float("nan")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def export(name, path):
    script = (
        "import sys, torch, torchvision\n"
        "torch.manual_seed(0)\n"
        f"m = torchvision.models.{name}(weights=None).eval()\n"
        "with torch.no_grad():\n"
        "    torch.onnx.export(m, torch.randn(1, 3, 224, 224), sys.argv[1], opset_version=14,\n"
        "                      input_names=['input'], output_names=['logits'])\n")
    run(["/usr/bin/python3", "-c", script, path])


def graph_json(pipecut, model, device, profile=None):
    cmd = [pipecut, "convert", model, "-", "--device", device]
    if profile:
        cmd += ["--profile", profile]
    return json.loads(run(cmd).stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pipecut", required=True)
    ap.add_argument("--models", default="resnet18,mobilenet_v3_small,squeezenet1_0,densenet121,efficientnet_b0")
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--device", default="cpu-avx512")
    ap.add_argument("--work", default="build/measured-vs-roofline")
    ap.add_argument("--time-limit", type=float, default=30)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rows = []
    for name in args.models.split(","):
        model = os.path.join(args.work, name + ".onnx")
        profile = os.path.join(args.work, name + ".profile.json")
        if not os.path.exists(model):
            export(name, model)
        if not os.path.exists(profile):
            run(["node", os.path.join(TOOLS, "profile_onnx.mjs"), model, "-o", profile,
                 "--runs", str(args.runs), "--optimizations", "off"])
        roofline = graph_json(args.pipecut, model, args.device)
        measured = graph_json(args.pipecut, model, args.device, profile)
        ops = [i for i, n in enumerate(roofline["nodes"]) if n.get("op") != "output_port"]
        est = [roofline["nodes"][i]["work"] for i in ops]
        mea = [measured["nodes"][i]["work"] for i in ops]
        rho = spearman(est, mea)
        paths = {}
        for label, graph in (("roofline", roofline), ("measured", measured)):
            gpath = os.path.join(args.work, f"{name}.{label}.json")
            with open(gpath, "w") as f:
                json.dump(graph, f)
            ppath = os.path.join(args.work, f"{name}.{label}.k{args.k}.partition.json")
            run([args.pipecut, "solve", gpath, "-k", str(args.k), "--time-limit",
                 str(args.time_limit), "--quiet", "-o", ppath])
            paths[label] = (gpath, ppath)
        # The roofline partition under measured costs, against the partition solved on them.
        cross = json.loads(run([args.pipecut, "evaluate", paths["measured"][0], paths["roofline"][1],
                                "--json"]).stdout)["bottleneck"]
        with open(paths["measured"][1]) as f:
            best = json.load(f)
        with open(paths["roofline"][1]) as f:
            rp = json.load(f)
        moved = sum(1 for node, s in rp["assignment"].items() if best["assignment"][node] != s)
        rows.append((name, len(ops), rho, sum(mea), sum(est), best["bottleneck"], cross,
                     cross / best["bottleneck"], moved))
        print(f"{name}: done", file=sys.stderr)
    print(f"| model | operators | Spearman ρ | measured total ms | roofline total ms | "
          f"k={args.k} bottleneck, measured partition (ms) | roofline partition under measured "
          f"costs (ms) | ratio | nodes in another stage |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.3f} | {r[3]:.2f} | {r[4]:.3f} | {r[5]:.2f} | {r[6]:.2f} | "
              f"{r[7]:.3f} | {r[8]} |")


if __name__ == "__main__":
    main()
