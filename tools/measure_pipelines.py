#!/usr/bin/python3
"""Predicted against measured on this machine: writes the section "Predicted against measured"
of docs/results.md, the calibrated CPU device profile and the raw measurements.

usage: tools/measure_pipelines.py --pipecut build/pipecut [--quick] [--work DIR] [--results FILE]
                                  [--device-out FILE] [--json-out FILE] [--models a,b] [--runs N]

1. Calibration of a CPU device profile (docs/cost-model.md "A CPU profile measured on this
   machine"), on models that are not evaluated below:
   - compute rate, memory bandwidth and launch overhead of the roofline: fitted to the measured
     operator times (ONNX Runtime profiles, optimisations on, one thread) of the calibration
     models, so that the roofline's sums over contiguous runs of operators (what stages are)
     come closest to the measured sums (median absolute log error);
   - link bandwidth and latency: what stage boundaries cost (the sender writes the tensor as a
     graph output and it is copied; the receiver reads it, reordered into ONNX Runtime's blocked
     layout for convolutions), from the stages of the calibration models split at k = 2, 4, 8:
     measured stage time minus the measured work of its operators, against the bytes and
     tensors it receives and sends (the cost model charges comm on both sides).
2. For each evaluated model (torchvision CNNs, the segmentation model lraspp_mobilenet_v3_large,
   two transformers, exported with random weights) at k = 2, 4, 8: a partition solved on
   `--profile` costs (this machine's trace; comm from the calibrated profile) and one solved on
   the calibrated roofline, split and timed stage by stage with `pipecut bench`; the error
   between predicted and measured stage time (median and worst), also for the costs before this
   work (the mean of the trace's runs, kernels that match no operator dropped, comm of the
   default a100-pcie link) and for the built-in cpu-avx512 roofline. The worst stages are profiled alone and compared kernel by
   kernel with the whole model, which says where their time went.
3. At k = 2, pipelined on two cores: solve's partition against `uniform` (the topological
   order cut in two halves by operator count) and a hand split at the middle block; measured
   throughput ratios against predicted ones.

--quick runs a tiny CNN at k = 2 with short calibration and few runs (the test suite runs it).
Needs /usr/bin/python3 with python3-torch, python3-torchvision, python3-onnx, python3-numpy,
and node with tools/node_modules. Run on a quiet machine: the section records `uptime` before
and after.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys

import numpy as np

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
BEGIN = "<!-- measure_pipelines.py: begin -->"
END = "<!-- measure_pipelines.py: end -->"

# name -> (builder, input size, regex of the first operator of the middle block: the hand split)
MODELS = {
    "resnet18": ("torchvision", 224, r"^/layer3/"),
    "mobilenet_v3_large": ("torchvision", 224, r"^/features/features\.8/"),
    "efficientnet_b0": ("torchvision", 224, r"^/features/features\.4/"),
    "lraspp_mobilenet_v3_large": ("segmentation", 520, r"/backbone/backbone\.8/"),
    "vit_b_16": ("torchvision", 224, r"^/encoder/layers/encoder_layer_6/"),
    "bert_encoder_6x512": ("bert", (6, 512, 8, 128), r"^/layers\.3/"),
}
CALIBRATION = {
    "squeezenet1_1": ("torchvision", 224, None),
    "mnasnet0_5": ("torchvision", 224, None),
    "bert_encoder_2x256": ("bert", (2, 256, 4, 64), None),
}
QUICK_MODELS = {"tiny_cnn": ("tiny_cnn", 64, r"^/4/")}
QUICK_CALIBRATION = {"tiny_cnn_calibration": ("tiny_cnn", 48, None)}

EXPORT = r'''
import math, sys, torch, torchvision
from torch import nn
torch.manual_seed(0)
kind, name, size, out = sys.argv[1], sys.argv[2], eval(sys.argv[3]), sys.argv[4]

class Layer(nn.Module):
    """A BERT layer: post-norm attention and GELU feed-forward."""
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value, self.out = (nn.Linear(width, width) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.fc1, self.fc2 = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)
    def forward(self, x):
        b, n, w = x.shape
        d = w // self.heads
        q, k, v = (p(x).view(b, n, self.heads, d).transpose(1, 2) for p in (self.query, self.key, self.value))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1) @ v
        x = self.ln1(x + self.out(a.transpose(1, 2).reshape(b, n, w)))
        return self.ln2(x + self.fc2(torch.nn.functional.gelu(self.fc1(x))))

class Bert(nn.Module):
    """A BERT-style encoder without embeddings."""
    def __init__(self, layers, width, heads):
        super().__init__()
        self.layers = nn.ModuleList(Layer(width, heads) for _ in range(layers))
    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

class Seg(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
    def forward(self, x):
        return self.m(x)["out"]

if kind == "torchvision":
    m, x = getattr(torchvision.models, name)(weights=None), torch.randn(1, 3, size, size)
elif kind == "segmentation":
    m = Seg(getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None))
    x = torch.randn(1, 3, size, size)
elif kind == "bert":
    layers, width, heads, seq = size
    m, x = Bert(layers, width, heads), torch.randn(1, seq, width)
elif kind == "tiny_cnn":
    m = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1),
                      nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
                      nn.Conv2d(32, 16, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(16, 10))
    x = torch.randn(1, 3, size, size)
# Not under no_grad: torch 1.13 would take MultiheadAttention's fused inference path (ViT),
# which has no ONNX export.
torch.onnx.export(m.eval(), x, out, opset_version=14, input_names=["input"],
                  output_names=["output"])
'''

CHAIN = r'''
import sys, numpy as np, onnx
from onnx import TensorProto, helper, numpy_helper
kind, channels, side, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(0)
shape = [1, channels, side, side]
init, nodes, x = [], [], "x"
for i in range(3):
    y = "t%d" % i if i < 2 else "y"
    if kind == "conv":
        w = "w%d" % i
        init.append(numpy_helper.from_array((rng.standard_normal((channels, channels, 1, 1)) / channels).astype(np.float32), w))
        nodes.append(helper.make_node("Conv", [x, w], [y], name="op%d" % i))
    else:
        nodes.append(helper.make_node("Relu", [x], [y], name="op%d" % i))
    x = y
g = helper.make_graph(nodes, kind, [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], initializer=init)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
onnx.save(m, out)
'''


class Runner:
    def __init__(self, args):
        self.pipecut = os.path.abspath(args.pipecut)
        self.work = os.path.abspath(args.work)
        self.quick = args.quick
        self.runs = args.runs
        self.warmup = 2 if args.quick else 5
        self.profile_runs = 6 if args.quick else 31
        self.time_limit = "3" if args.quick else "10"
        self.microbatches = "12" if args.quick else "64"
        self.log = []

    def run(self, cmd, **kw):
        cmd = [str(c) for c in cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, **kw)
        if r.returncode != 0:
            sys.exit(f"measure_pipelines: {' '.join(cmd)} failed (exit {r.returncode}): "
                     f"{r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ''}")
        return r

    def cli(self, *args):
        return self.run([self.pipecut, *args])

    def cli_json(self, *args):
        return json.loads(self.cli(*args).stdout)

    def path(self, *parts):
        p = os.path.join(self.work, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def export(self, name, spec):
        kind, size, _ = spec
        out = self.path("models", name + ".onnx")
        if not os.path.exists(out):
            self.run(["/usr/bin/python3", "-c", EXPORT, kind, name, repr(size), out + ".tmp"])
            os.replace(out + ".tmp", out)
        return out

    def profile(self, model):
        # Always measured again: a profile from another run (or machine state) would not
        # describe this one.
        out = model[:-5] + ".profile.json"
        self.run(["node", os.path.join(TOOLS, "profile_onnx.mjs"), model, "-o", out,
                  "--runs", self.profile_runs])
        return out

    def bench(self, folder, pipelined=False):
        args = ["bench", folder, "--runs", self.runs, "--warmup", self.warmup, "--json"]
        if pipelined:
            args += ["--pipelined", "--microbatches", self.microbatches]
        return self.cli_json(*args)


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


# ---- the cost model's pieces, reproduced where the comparison needs them ----------------------


def legacy_work(model, profile, warmup=1):
    """Operator work as the profile import computed it before the median and the attribution of
    kernels that match no operator: the mean over the runs after the warm-up of the kernels whose
    name is the operator's (or its output tensor's plus "_nchwc"); other kernels dropped."""
    import onnx
    m = onnx.load(model, load_external_data=False)
    op_of = {}
    for node in m.graph.node:
        op_of[node.name] = node.name
        for out in node.output:
            op_of.setdefault(out + "_nchwc", node.name)
    events = json.load(open(profile))
    runs = sorted((e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"),
                  key=lambda e: e["ts"])[warmup:]
    work = {}
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        if not any(r["ts"] <= e["ts"] <= r["ts"] + r["dur"] for r in runs):
            continue
        op = op_of.get(e["name"][:-len("_kernel_time")])
        if op is not None:
            work[op] = work.get(op, 0.0) + e["dur"] / 1000 / len(runs)
    return work


def graph_of(r, model, *options):
    return r.cli_json("convert", model, "-", *options)


def topological_ids(graph):
    ids = [n["id"] for n in graph["nodes"]]
    pos = {i: k for k, i in enumerate(ids)}
    if not all(pos[a] < pos[b] for a, b in graph["edges"]):
        sys.exit("measure_pipelines: the graph's node order is not topological")
    return ids


def cut_partition(graph, cut_at):
    """The node order cut before position `cut_at` (ports follow their place in the order)."""
    ids = topological_ids(graph)
    return {"format": "pipecut.partition", "version": 1, "k": 2,
            "assignment": {i: (0 if k < cut_at else 1) for k, i in enumerate(ids)}}


def uniform_partition(graph):
    ids = topological_ids(graph)
    ops = [k for k, n in enumerate(graph["nodes"]) if n.get("op") != "output_port"]
    return cut_partition(graph, ops[len(ops) // 2])


def hand_partition(graph, pattern):
    ids = topological_ids(graph)
    for k, i in enumerate(ids):
        if re.search(pattern, i):
            return cut_partition(graph, k)
    sys.exit(f"measure_pipelines: no operator matches the hand split {pattern!r}")


# ---- calibration ---------------------------------------------------------------------------


def unit_devices(r):
    """Two device profiles whose roofline returns an operator's FLOPs (in 1e6) and its bytes
    (in 1e3): with the other term negligible (its rate 1e12 times higher) and no launch
    overhead. Rates stay within what a device file may hold (1e-6 .. 1e9, docs/cost-model.md)."""
    flops = r.path("calibration", "unit-flops.json")
    nbytes = r.path("calibration", "unit-bytes.json")
    json.dump({"name": "unit-flops", "peak_tflops": {"fp32": 1e-3}, "memory_bandwidth_gbps": 1e9,
               "link_bandwidth_gbps": 1, "link_latency_us": 0, "launch_overhead_us": 0},
              open(flops, "w"))
    json.dump({"name": "unit-bytes", "peak_tflops": {"fp32": 1e9}, "memory_bandwidth_gbps": 1e-3,
               "link_bandwidth_gbps": 1, "link_latency_us": 0, "launch_overhead_us": 0},
              open(nbytes, "w"))
    return flops, nbytes


def operator_table(r, model, profile, flops_dev, bytes_dev):
    """Per operator in graph order: FLOPs, bytes, measured ms (NaN when not measured)."""
    f = graph_of(r, model, "--device", flops_dev)
    b = graph_of(r, model, "--device", bytes_dev)
    mf = graph_of(r, model, "--device", flops_dev, "--profile", profile)
    mb = graph_of(r, model, "--device", bytes_dev, "--profile", profile)
    rows = []
    for nf, nb, xf, xb in zip(f["nodes"], b["nodes"], mf["nodes"], mb["nodes"]):
        if nf.get("op") == "output_port":
            continue
        # Measured (or fused, 0) work does not depend on the device; an estimate does.
        measured = xf["work"] if abs(xf["work"] - xb["work"]) <= 1e-12 * max(1.0, xf["work"]) else math.nan
        rows.append((nf["work"] * 1e6, nb["work"] * 1e3, measured))
    return np.array(rows, dtype=float)


def segments(n):
    """Contiguous runs of operators of the lengths stages have (n/2 .. n/8), every start."""
    out = []
    for parts in (2, 4, 8):
        length = max(1, n // parts)
        step = max(1, length // 4)
        out += [(s, s + length) for s in range(0, n - length + 1, step)]
    return out


def fit_roofline(tables):
    """(GFLOP/s, GB/s, launch µs) minimising the median |log(predicted / measured)| over the
    segments of every calibration model."""
    rates = np.geomspace(5, 2000, 60)           # GFLOP/s: 1e6 FLOPs per ms each
    bandwidths = np.geomspace(0.5, 500, 60)     # GB/s: 1e6 bytes per ms each
    launches = np.linspace(0, 60, 31)           # µs
    best = None
    prepared = []
    for t in tables:
        segs = segments(len(t))
        meas = np.array([np.sum(t[a:b, 2]) for a, b in segs])
        keep = np.isfinite(meas) & (meas > 0)
        views = (t[:, 0] == 0) & (t[:, 1] == 0)
        counts = np.cumsum(np.concatenate([[0], (~views).astype(float)]))
        starts = np.array([a for a, _ in segs])[keep]
        ends = np.array([b for _, b in segs])[keep]
        prepared.append((t, meas[keep], starts, ends, counts[ends] - counts[starts]))
    for p in rates:
        for bw in bandwidths:
            errors = []
            for t, meas, starts, ends, count in prepared:
                per_op = np.maximum(t[:, 0] / (p * 1e6), t[:, 1] / (bw * 1e6))
                cum = np.cumsum(np.concatenate([[0], per_op]))
                base = cum[ends] - cum[starts]
                pred = np.maximum(base[None, :] + launches[:, None] / 1000 * count[None, :], 1e-12)
                errors.append(np.abs(np.log(pred / meas[None, :])))
            err = np.median(np.concatenate(errors, axis=1), axis=1)
            i = int(np.argmin(err))
            if best is None or err[i] < best[0]:
                best = (float(err[i]), float(p), float(bw), float(launches[i]))
    return best


def link_points(r, models, roofline):
    """Per stage of the calibration models split at k = 2, 4, 8 on their measured work (with a
    free link, so that cuts fall where the work is): (bytes it receives and sends, tensors it
    receives and sends, measured time - measured work of its operators). What a boundary costs
    is measured inside real stages: the allocator and the layouts there are not a toy chain's."""
    free = r.path("calibration", "free-link.json")
    json.dump({"name": "free-link", "peak_tflops": {"fp32": roofline[0] / 1000},
               "memory_bandwidth_gbps": roofline[1], "link_bandwidth_gbps": 1e6,
               "link_latency_us": 0, "launch_overhead_us": roofline[2]}, open(free, "w"))
    points = []
    for name, model, profile in models:
        for k in ((2, 4) if r.quick else (2, 4, 8)):
            folder = r.path("calibration", f"{name}.k{k}")
            r.cli("solve", model, "-k", k, "--profile", profile, "--device", free, "--time-limit",
                  r.time_limit, "--quiet", "--export-onnx", folder, "--force")
            for s in r.bench(folder)["stages"]:
                tensors = s["tensors_in"] + s["tensors_out"]
                if tensors > 0:
                    points.append((name, k, s["bytes_in"] + s["bytes_out"], tensors,
                                   s["measured_ms"] - s["predicted"]["work"]))
    return points


def fit_link(points):
    """(GB/s, µs) with the smallest mean |residual - (bytes / bandwidth + tensors x latency)|
    over the stages: the least absolute deviation, so that a stage disturbed by other work
    does not decide it."""
    nbytes = np.array([p[2] for p in points], dtype=float)
    tensors = np.array([p[3] for p in points], dtype=float)
    residual = np.array([p[4] for p in points], dtype=float)
    if len(points) == 0:
        sys.exit("measure_pipelines: no stage with a boundary to calibrate the link on")
    bandwidths = np.geomspace(0.05, 1000, 200)
    latencies = np.concatenate([[0.0], np.geomspace(0.5, 2000, 120)])
    pred = (nbytes[None, None, :] / (bandwidths[:, None, None] * 1e6) +
            tensors[None, None, :] * latencies[None, :, None] / 1000)
    err = np.mean(np.abs(pred - residual[None, None, :]), axis=2)
    i, j = np.unravel_index(int(np.argmin(err)), err.shape)
    return float(bandwidths[i]), float(latencies[j]), float(err[i, j])


def call_overhead(r):
    """One run of a one-Relu stage on 16 floats: the fixed cost of a session call."""
    model = r.path("calibration", "relu_tiny.onnx")
    if not os.path.exists(model):
        r.run(["/usr/bin/python3", "-c", CHAIN.replace("range(3)", "range(1)").replace(
            '"t%d" % i if i < 2 else "y"', '"y"'), "relu", 1, 4, model])
    part = r.path("calibration", "relu_tiny.k1.json")
    json.dump({"format": "pipecut.partition", "version": 1, "k": 1, "assignment": {"op0": 0}},
              open(part, "w"))
    folder = r.path("calibration", "relu_tiny.k1")
    r.cli("split", model, part, "-o", folder, "--force")
    return r.bench(folder)["stages"][0]["run_ms"]["median"]


def calibrate(r, calibration_models):
    flops_dev, bytes_dev = unit_devices(r)
    tables, per_model, profiled = [], [], []
    for name, spec in calibration_models.items():
        model = r.export(name, spec)
        profile = r.profile(model)
        t = operator_table(r, model, profile, flops_dev, bytes_dev)
        tables.append(t)
        per_model.append((name, len(t), float(np.nansum(t[:, 2]))))
        profiled.append((name, model, profile))
        print(f"calibration: {name}: {len(t)} operators", file=sys.stderr)
    err, rate, bandwidth, launch = fit_roofline(tables)
    points = link_points(r, profiled, (rate, bandwidth, launch))
    link_bw, link_lat, link_err = fit_link(points)
    overhead = call_overhead(r)
    return {"roofline_error": err, "gflops": rate, "memory_gbps": bandwidth,
            "launch_us": launch, "link_gbps": link_bw, "link_latency_us": link_lat,
            "link_error_ms": link_err, "call_overhead_ms": overhead, "models": per_model,
            "link_points": points}


def write_device(cal, path, machine):
    device = {
        "name": "cpu-this-machine",
        "description": (
            f"One thread of {machine['cpu']} ({machine['date']}, load average "
            f"{machine['load_before']:.2f}), measured by tools/measure_pipelines.py with ONNX "
            "Runtime (optimisations on): compute rate, memory bandwidth and launch overhead "
            "fitted to the operator times of " + ", ".join(m[0] for m in cal["models"]) +
            "; link bandwidth and latency from those models' stages split at k = 2, 4, 8 "
            "(measured stage time minus measured work, against the bytes and tensors received "
            "and sent); docs/cost-model.md"),
        "peak_tflops": {"fp32": round(cal["gflops"] / 1000, 6)},
        "memory_bandwidth_gbps": round(cal["memory_gbps"], 4),
        "link_bandwidth_gbps": round(cal["link_gbps"], 4),
        "link_latency_us": round(cal["link_latency_us"], 3),
        "launch_overhead_us": round(cal["launch_us"], 3),
    }
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(device, f, indent=2)
        f.write("\n")
    return device


# ---- evaluation ----------------------------------------------------------------------------


def stage_errors(bench, predicted=None):
    """Relative errors per stage (predicted / measured - 1); `predicted` maps partition stage ->
    ms and replaces the bench's own predictions."""
    out = []
    for s in bench["stages"]:
        p = s["predicted_ms"] if predicted is None else predicted[s["partition_stage"]]
        out.append(p / s["measured_ms"] - 1)
    return out


def bottleneck_error(bench, predicted=None):
    p = max(s["predicted_ms"] if predicted is None else predicted[s["partition_stage"]]
            for s in bench["stages"])
    return p / max(s["measured_ms"] for s in bench["stages"]) - 1


def evaluate_costs(r, model, partition, *options):
    e = r.cli_json("evaluate", model, partition, "--json", *options)
    return {s["stage"]: s for s in e["stages"]}


def legacy_predictions(r, model, profile, partition, folder):
    """Stage costs as the model predicted them before: legacy work + the default device's comm."""
    work = legacy_work(model, profile)
    comm = evaluate_costs(r, model, partition)
    manifest = json.load(open(os.path.join(folder, "pipeline.json")))
    out = {}
    for s in manifest["stages"]:
        c = comm[s["partition_stage"]]
        out[s["partition_stage"]] = sum(work.get(op, 0.0) for op in s["operators"]) + c["comm_in"] + c["comm_out"]
    return out


def kernel_medians(profile, warmup=1):
    events = json.load(open(profile))
    runs = sorted((e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"),
                  key=lambda e: e["ts"])[warmup:]
    per = {}
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        for i, run in enumerate(runs):
            if run["ts"] <= e["ts"] <= run["ts"] + run["dur"]:
                name = e["name"][:-len("_kernel_time")]
                per.setdefault(name, ([0.0] * len(runs), e.get("args", {}).get("op_name", "")))
                per[name][0][i] += e["dur"] / 1000
    return {k: (statistics.median(v), op) for k, (v, op) in per.items()}


def explain(r, folder, stage_file, whole_profile):
    """Where a stage's time goes: its kernels profiled alone against the same kernels in the
    whole model (names of layout reorders are generated, so they are compared as a group)."""
    # Next to the split folder, not in it: `pipecut solve --export-onnx DIR --force` of a later
    # run replaces only a folder holding nothing but split outputs.
    stage_profile = os.path.normpath(folder) + "." + stage_file + ".profile.json"
    r.run(["node", os.path.join(TOOLS, "profile_onnx.mjs"), os.path.join(folder, stage_file),
           "-o", stage_profile, "--runs", r.profile_runs])
    alone = kernel_medians(stage_profile)
    whole = kernel_medians(whole_profile)

    def grouped(kernels):
        out = {}
        for name, (ms, op) in kernels.items():
            key = "layout reorders" if op.startswith("Reorder") else name
            out[key] = (out.get(key, (0.0, op))[0] + ms, op)
        return out

    a, w = grouped(alone), grouped(whole)
    total_alone = sum(ms for ms, _ in a.values())
    shared = [k for k in a if k in w and k != "layout reorders"]
    parts = [f"its kernels take {total_alone:.2f} ms alone; those it shares with the whole model "
             f"{sum(a[k][0] for k in shared):.2f} ms alone against {sum(w[k][0] for k in shared):.2f} "
             "ms there"]
    diffs = sorted(((a[k][0] - w[k][0], k) for k in shared), reverse=True)
    for d, k in diffs[:2]:
        if abs(d) > 0.05 * max(total_alone, 1e-9):
            parts.append(f"`{k}` ({a[k][1]}) {w[k][0]:.2f} → {a[k][0]:.2f} ms")
    if "layout reorders" in a:
        parts.append(f"layout reorders {a['layout reorders'][0]:.2f} ms")
    newly = sorted((k for k in a if k not in w and k != "layout reorders"), key=lambda k: -a[k][0])
    if newly:
        parts.append(f"{len(newly)} kernel(s) the whole model runs otherwise, "
                     f"{sum(a[k][0] for k in newly):.2f} ms (largest `{newly[0]}`, {a[newly[0]][1]}, "
                     f"{a[newly[0]][0]:.2f} ms)")
    return "; ".join(parts)


def evaluate_model(r, name, spec, device_file, ks):
    model = r.export(name, spec)
    profile = r.profile(model)
    rows = {"model": name, "profile": [], "roofline": [], "pipelined": []}
    roofline_graph = graph_of(r, model)
    operators = sum(1 for n in roofline_graph["nodes"] if n.get("op") != "output_port")
    rows["operators"] = operators
    for k in ks:
        for kind, options in (("profile", ["--profile", profile, "--device", device_file]),
                              ("roofline", ["--device", device_file])):
            part = r.path("runs", name, f"{kind}.k{k}.partition.json")
            folder = r.path("runs", name, f"{kind}.k{k}")
            r.cli("solve", model, "-k", k, *options, "--time-limit", r.time_limit, "--quiet",
                  "-o", part, "--export-onnx", folder, "--force")
            bench = r.bench(folder, pipelined=(kind == "profile" and k == 2))
            row = {"k": k, "stages": len(bench["stages"]), "bench": bench,
                   "errors": stage_errors(bench), "bottleneck_error": bottleneck_error(bench)}
            if kind == "profile":
                legacy = legacy_predictions(r, model, profile, part, folder)
                row["legacy_errors"] = stage_errors(bench, legacy)
                row["legacy_bottleneck_error"] = bottleneck_error(bench, legacy)
            else:
                builtin = {s: c["cost"] for s, c in evaluate_costs(r, model, part, "--device", "cpu-avx512").items()}
                row["builtin_errors"] = stage_errors(bench, builtin)
                row["builtin_bottleneck_error"] = bottleneck_error(bench, builtin)
            worst = max(range(len(bench["stages"])), key=lambda i: abs(row["errors"][i]))
            row["worst_stage"] = worst
            if kind == "profile" and abs(row["errors"][worst]) > 0.1:
                row["explanation"] = explain(r, folder, bench["stages"][worst]["file"], profile)
            rows[kind].append(row)
            print(f"{name} {kind} k={k}: errors " + " ".join(f"{e:+.1%}" for e in row["errors"]),
                  file=sys.stderr)
    # k = 2 pipelined: solve's partition (measured above) against uniform and the hand split.
    solve_bench = next(x for x in rows["profile"] if x["k"] == 2)["bench"] if 2 in ks else None
    if solve_bench is not None:
        rows["pipelined"].append(("solve", solve_bench))
        measured_graph = graph_of(r, model, "--profile", profile, "--device", device_file)
        for label, partition in (("uniform", uniform_partition(measured_graph)),
                                 ("hand", hand_partition(measured_graph, spec[2]))):
            part = r.path("runs", name, f"{label}.k2.partition.json")
            json.dump(partition, open(part, "w"))
            folder = r.path("runs", name, f"{label}.k2")
            r.cli("split", model, part, "-o", folder, "--force", "--profile", profile,
                  "--device", device_file)
            rows["pipelined"].append((label, r.bench(folder, pipelined=True)))
    return rows


# ---- the section ---------------------------------------------------------------------------


def pct(x):
    return f"{100 * x:+.1f} %"


def abs_pct(x):
    return f"{100 * x:.1f} %"


def median_abs(errors):
    return statistics.median(abs(e) for e in errors)


def worst(errors):
    return max(errors, key=abs)


def spread(bench):
    """How noisy the timing was: the median over the stages of (p90 - p10) / median of its runs."""
    return statistics.median((s["run_ms"]["p90"] - s["run_ms"]["p10"]) / s["run_ms"]["median"]
                             for s in bench["stages"])


def section(machine, cal, device, results, device_path, json_path, quick):
    L = []
    L.append(BEGIN)
    L.append("## Predicted against measured (`pipecut bench`)")
    L.append("")
    L.append("Stage models split by pipecut and run on this machine with `pipecut bench` (ONNX "
             "Runtime for Node, one intra- and one inter-op thread per stage, graph optimisations "
             f"on; median of {results['runs']} runs after {results['warmup']} warm-up), against the stage "
             "costs the partition was solved with. Error = predicted / measured − 1 per stage "
             "(negative: the model predicts too little); run spread = the median over the stages "
             "of (p90 − p10) / median of their runs, which says how much other work disturbed the "
             "timing. Produced by `tools/measure_pipelines.py"
             f"{' --quick' if quick else ''}`, which writes this whole section, the calibrated device "
             f"profile `{device_path}` and the raw measurements `{json_path}`.")
    L.append("")
    L.append(f"**This run:** {machine['date']}, commit {machine['commit']}, {machine['cpu']}, "
             f"{machine['cores']} cores, onnxruntime-node {machine['onnxruntime']}, torch "
             f"{machine['torch']}. Load: `{machine['uptime_before']}` before, "
             f"`{machine['uptime_after']}` after. Other work on the machine makes every time "
             "noisier (the `run_ms` spread in the JSON shows how much); the lead re-runs the "
             "script on a quiet machine.")
    L.append("")
    L.append("### The calibrated CPU profile")
    L.append("")
    L.append("| parameter | value | measured from |")
    L.append("|---|---|---|")
    L.append(f"| fp32 rate | {cal['gflops']:.1f} GFLOP/s | operator times of "
             f"{', '.join(m[0] for m in cal['models'])} (median \\|log error\\| of the roofline's "
             f"sums over runs of operators: {cal['roofline_error']:.3f}) |")
    L.append(f"| memory bandwidth | {cal['memory_gbps']:.2f} GB/s | same fit |")
    L.append(f"| launch overhead | {cal['launch_us']:.1f} µs per operator | same fit |")
    L.append(f"| link bandwidth | {cal['link_gbps']:.3f} GB/s | the stages of those models split "
             f"at k = 2, 4, 8 (below; mean absolute deviation {cal['link_error_ms']:.3f} ms) |")
    L.append(f"| link latency | {cal['link_latency_us']:.1f} µs per tensor and side | same fit |")
    stage_ms = [s["measured_ms"] for m in results["models"] for kind in ("profile", "roofline")
                for row in m[kind] for s in row["bench"]["stages"]]
    L.append(f"| per-call overhead | {1000 * cal['call_overhead_ms']:.1f} µs per stage run | a "
             f"one-Relu stage; not in the model: {abs_pct(cal['call_overhead_ms'] / statistics.median(stage_ms))} "
             f"of the median stage measured here ({statistics.median(stage_ms):.2f} ms) |")
    L.append("")
    L.append("What the boundaries cost: for each stage of the calibration models split on their "
             "measured work, its measured time (median run + copies) minus the measured work of "
             "its operators, against the tensors it receives and sends (the link's fit in the "
             "last column):")
    L.append("")
    L.append("| model | k | stage tensors | stage KiB | measured − work ms | link model ms |")
    L.append("|---|---|---|---|---|---|")
    for name, k, nbytes, tensors, residual in cal["link_points"]:
        model_ms = nbytes / (cal["link_gbps"] * 1e6) + tensors * cal["link_latency_us"] / 1000
        L.append(f"| {name} | {k} | {tensors} | {nbytes / 1024:.0f} | {residual:.3f} | {model_ms:.3f} |")
    L.append("")
    L.append("### Stage times with `--profile` costs")
    L.append("")
    L.append("Partitions solved with `--profile` (this machine's trace, 31 runs) and "
             f"`--device {device_path}` (comm). *Before*: the same stages predicted as the "
             "import did before this work (mean over the runs, kernels that match no operator "
             "dropped, comm of the default a100-pcie link); *after*: median per run, those "
             "kernels added to the operator they serve, comm of the calibrated profile.")
    L.append("")
    L.append("| model | operators | k | stages | run spread | median \\|error\\| before | worst before | median \\|error\\| after | worst after | bottleneck before → after |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for m in results["models"]:
        for row in m["profile"]:
            L.append(f"| {m['model']} | {m['operators']} | {row['k']} | {row['stages']} | "
                     f"{abs_pct(spread(row['bench']))} | {abs_pct(median_abs(row['legacy_errors']))} | {pct(worst(row['legacy_errors']))} | "
                     f"{abs_pct(median_abs(row['errors']))} | {pct(worst(row['errors']))} | "
                     f"{pct(row['legacy_bottleneck_error'])} → {pct(row['bottleneck_error'])} |")
    all_before = [e for m in results["models"] for row in m["profile"] for e in row["legacy_errors"]]
    all_after = [e for m in results["models"] for row in m["profile"] for e in row["errors"]]
    L.append("")
    L.append(f"Over all {len(all_after)} stages: median |error| {abs_pct(median_abs(all_before))} "
             f"before, {abs_pct(median_abs(all_after))} after; worst {pct(worst(all_before))} "
             f"before, {pct(worst(all_after))} after.")
    L.append("")
    L.append("### Stage times with roofline costs")
    L.append("")
    L.append(f"Partitions solved on the calibrated roofline (`--device {device_path}`), the same "
             "stages also predicted with the built-in `cpu-avx512` profile (a 32-core server at "
             "peak: its scale is off by about 100× on one thread, which is why a profile of the "
             "machine itself is needed).")
    L.append("")
    L.append("| model | k | stages | run spread | median \\|error\\| cpu-avx512 | worst cpu-avx512 | median \\|error\\| calibrated | worst calibrated | bottleneck calibrated |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for m in results["models"]:
        for row in m["roofline"]:
            L.append(f"| {m['model']} | {row['k']} | {row['stages']} | {abs_pct(spread(row['bench']))} | "
                     f"{abs_pct(median_abs(row['builtin_errors']))} | {pct(worst(row['builtin_errors']))} | "
                     f"{abs_pct(median_abs(row['errors']))} | {pct(worst(row['errors']))} | "
                     f"{pct(row['bottleneck_error'])} |")
    all_roof = [e for m in results["models"] for row in m["roofline"] for e in row["errors"]]
    L.append("")
    L.append(f"Over all {len(all_roof)} stages: median |error| {abs_pct(median_abs(all_roof))}, "
             f"worst {pct(worst(all_roof))}.")
    L.append("")
    L.append("### The largest errors")
    L.append("")
    L.append("Stages of the `--profile` partitions more than 10 % off, each profiled alone "
             "(`tools/profile_onnx.mjs` on the stage model) and compared kernel by kernel with "
             "the same kernels in the whole model's trace:")
    L.append("")
    explained = [(m["model"], row) for m in results["models"] for row in m["profile"] if "explanation" in row]
    explained.sort(key=lambda x: -abs(x[1]["errors"][x[1]["worst_stage"]]))
    if not explained:
        L.append("- none: every stage is within 10 %.")
    for model, row in explained:
        s = row["bench"]["stages"][row["worst_stage"]]
        stage_spread = (s["run_ms"]["p90"] - s["run_ms"]["p10"]) / s["run_ms"]["median"]
        L.append(f"- {model}, k = {row['k']}, stage {s['partition_stage']} ({s['operators']} "
                 f"operators): predicted {s['predicted_ms']:.2f} ms, measured {s['measured_ms']:.2f} "
                 f"ms (work {s['predicted']['work']:.2f} + comm "
                 f"{s['predicted']['comm_in'] + s['predicted']['comm_out']:.2f}; "
                 f"{pct(row['errors'][row['worst_stage']])}; run p10–p90 spread "
                 f"{abs_pct(stage_spread)} of the median, copies {s['copy_in_ms'] + s['copy_out_ms']:.2f} ms, "
                 f"load average {row['bench']['machine']['load_average']:.1f}): {row['explanation']}.")
    L.append("")
    L.append("### Pipelined on two cores, k = 2")
    L.append("")
    L.append("Each partition split and run with `pipecut bench --pipelined` (one pinned core per "
             f"stage, {results['microbatches']} microbatches): solve's partition (`--profile` costs), "
             "`uniform` (the topological order cut into two halves by operator count) and a hand "
             "split at the first operator of the middle block. Ratio = solve's throughput / this "
             "partition's, measured and predicted (1000 / predicted bottleneck).")
    L.append("")
    L.append("| model | partition | predicted bottleneck ms | predicted /s | measured /s | busy fractions | measured ratio | predicted ratio |")
    L.append("|---|---|---|---|---|---|---|---|")
    for m in results["models"]:
        if not m["pipelined"]:
            continue
        base = dict(m["pipelined"])["solve"]
        for label, bench in m["pipelined"]:
            p = bench["pipelined"]
            busy = " / ".join(f"{s['busy_fraction']:.2f}" for s in p["stages"])
            L.append(f"| {m['model']} | {label} | {bench['bottleneck']['predicted_ms']:.2f} | "
                     f"{p['predicted_throughput_per_s']:.1f} | {p['throughput_per_s']:.1f} | {busy} | "
                     f"{base['pipelined']['throughput_per_s'] / p['throughput_per_s']:.3f} | "
                     f"{base['pipelined']['predicted_throughput_per_s'] / p['predicted_throughput_per_s']:.3f} |")
    L.append("")
    L.append(END)
    return "\n".join(L) + "\n"


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


def machine_info(r):
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return "?"
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    package = json.load(open(os.path.join(TOOLS, "node_modules", "onnxruntime-node", "package.json")))
    torch_version = out(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"])
    return {"date": datetime.date.today().isoformat(), "commit": out(["git", "rev-parse", "--short", "HEAD"]) or "?",
            "cpu": cpu, "cores": len(os.sched_getaffinity(0)), "onnxruntime": package["version"],
            "torch": torch_version, "python": platform.python_version(),
            "uptime_before": uptime(), "load_before": load_average()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pipecut", required=True, help="the pipecut binary")
    ap.add_argument("--quick", action="store_true", help="a tiny model at k = 2, few runs (the test suite)")
    ap.add_argument("--work", help="folder for models, profiles and splits (default build/measure-pipelines[-quick])")
    ap.add_argument("--results", help="the results file whose section is written (default docs/results.md; --quick: WORK/results.md)")
    ap.add_argument("--device-out", help="calibrated device profile (default docs/results/cpu-this-machine.json; --quick: in WORK)")
    ap.add_argument("--json-out", help="raw measurements (default docs/results/measured-pipelines.json; --quick: in WORK)")
    ap.add_argument("--models", help="comma-separated subset of " + ",".join(MODELS))
    ap.add_argument("--runs", type=int, help="timed runs per stage (default 30; --quick 3)")
    args = ap.parse_args()
    args.work = args.work or os.path.join(ROOT, "build", "measure-pipelines" + ("-quick" if args.quick else ""))
    args.runs = args.runs or (3 if args.quick else 30)
    if args.quick:
        models, calibration, ks = QUICK_MODELS, QUICK_CALIBRATION, (2,)
        results_path = args.results or os.path.join(args.work, "results.md")
        device_path = args.device_out or os.path.join(args.work, "cpu-this-machine.json")
        json_path = args.json_out or os.path.join(args.work, "measured-pipelines.json")
    else:
        models, calibration, ks = MODELS, CALIBRATION, (2, 4, 8)
        results_path = args.results or os.path.join(ROOT, "docs", "results.md")
        device_path = args.device_out or os.path.join(ROOT, "docs", "results", "cpu-this-machine.json")
        json_path = args.json_out or os.path.join(ROOT, "docs", "results", "measured-pipelines.json")
    if args.models:
        unknown = [m for m in args.models.split(",") if m not in models]
        if unknown:
            sys.exit(f"measure_pipelines: unknown model(s) {', '.join(unknown)}; choose from {', '.join(models)}")
        models = {m: models[m] for m in args.models.split(",")}
    if shutil.which("node") is None:
        sys.exit("measure_pipelines: node not found (scripts/install-deps.sh)")
    os.makedirs(args.work, exist_ok=True)
    r = Runner(args)
    machine = machine_info(r)
    cal = calibrate(r, calibration)
    device = write_device(cal, device_path, machine)
    print(f"calibrated: {json.dumps(device)}", file=sys.stderr)
    results = {"runs": r.runs, "warmup": r.warmup, "microbatches": r.microbatches, "models": []}
    for name, spec in models.items():
        results["models"].append(evaluate_model(r, name, spec, device_path, ks))
    machine["uptime_after"] = uptime()
    machine["load_after"] = load_average()
    shown = lambda p: os.path.relpath(p, ROOT) if os.path.abspath(p).startswith(ROOT + os.sep) else p
    text = section(machine, cal, device, results, shown(device_path), shown(json_path), args.quick)
    with open(json_path + ".tmp", "w") as f:
        json.dump({"machine": machine, "calibration": cal, "device": device, "results": results}, f)
    os.replace(json_path + ".tmp", json_path)
    replace_section(results_path, text)
    # The section must hold every table (the test suite checks this in quick mode).
    written = open(results_path).read()
    for heading in ("### The calibrated CPU profile", "### Stage times with `--profile` costs",
                    "### Stage times with roofline costs", "### The largest errors",
                    "### Pipelined on two cores, k = 2"):
        if heading not in written:
            sys.exit(f"measure_pipelines: {results_path} lacks '{heading}'")
    print(f"wrote {results_path}, {device_path}, {json_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
