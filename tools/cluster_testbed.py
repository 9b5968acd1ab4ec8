#!/usr/bin/python3
"""The heterogeneous testbed of docs/results.md ("Heterogeneous clusters"): writes the cluster
files, one ONNX device profile per GPU, and layer-level chains of decoder-only LLMs.

usage: tools/cluster_testbed.py [--out DIR] [--check]

Writes, under DIR (default: the repository's data/):
- clusters/<testbed>.json      pipecut.cluster files (docs/formats.md), from the GPU table below;
- clusters/devices/<gpu>.json  an ONNX cost-model device profile per GPU class
                               (docs/cost-model.md), used by tools/cluster_results.py to give
                               ONNX models a roofline work per class;
- llm-chains/<testbed>/<model>-<scenario>.json
                               pipecut.graph chains (embedding, one node per decoder layer, the
                               head) whose `work` is a map class -> ms for that testbed's classes.
--check regenerates into a temporary folder and fails (exit 1) when a committed file differs.

Every number comes from the tables below; data/clusters/README.md cites their sources and
explains the choices, and data/llm-chains/README.md the roofline. Standard library only.
"""
import argparse
import filecmp
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# GPU classes from the vendors' datasheets (data/clusters/README.md cites each):
#   memory      GB (10^9 bytes) as the datasheet gives it,
#   fp16        dense FP16/BF16 tensor-core TFLOPS (no sparsity; GeForce cards: FP32 accumulate,
#               as frameworks run half-precision GEMMs),
#   fp32        non-tensor FP32 TFLOPS (the roofline's rate for operators left in fp32),
#   bandwidth   memory bandwidth, GB/s.
GPUS = {
    "H100-80GB": {"memory": 80, "fp16": 989.4, "fp32": 66.9, "bandwidth": 3350},
    "A100-40GB": {"memory": 40, "fp16": 312, "fp32": 19.5, "bandwidth": 1555},
    "V100-16GB": {"memory": 16, "fp16": 125, "fp32": 15.7, "bandwidth": 900},
    "RTX4090": {"memory": 24, "fp16": 165.2, "fp32": 82.6, "bandwidth": 1008},
    "RTX4070Ti": {"memory": 12, "fp16": 80.2, "fp32": 40.1, "bandwidth": 504},
}
# `speed` of a class = its dense FP16 tensor TFLOPS over this class's: a graph with one numeric
# work per node (an ONNX model costed with the default --device a100-pcie, whose fp16 rate is
# the A100's 312 TFLOPS) then runs work / speed on each class.
SPEED_REFERENCE = "A100-40GB"

# Links, GB/s per direction (10^9 bytes per second).
NVLINK4_H100 = 450     # NVLink 4: 900 GB/s total per H100 SXM, 450 each way (HGX, NVSwitch)
NVLINK3_A100 = 300     # NVLink 3: 600 GB/s total per A100 SXM, 300 each way (HGX, NVSwitch)
NVLINK2_V100 = 150     # NVLink 2: 300 GB/s total per V100 SXM2, 150 each way (NVSwitch, HGX-2)
PCIE4_X8 = 15.75       # PCIe 4.0 x8: 16 GT/s x 8 lanes x 128/130, one way
IB_EDR = "100Gb/s"     # InfiniBand EDR, 100 Gb/s per port
ETH_10G = "10Gb/s"     # 10 GbE

TESTBEDS = {
    # Three hosts of an older and a newer generation joined by EDR InfiniBand: 8 devices of 3
    # classes, the size of the benchmark target (bench/cluster_bench.cpp, docs/results.md).
    "datacenter-mix": {
        "hosts": [
            {"name": "h100", "devices": [{"class": "H100-80GB", "count": 4}], "bandwidth": NVLINK4_H100},
            {"name": "a100", "devices": [{"class": "A100-40GB", "count": 2}], "bandwidth": NVLINK3_A100},
            {"name": "v100", "devices": [{"class": "V100-16GB", "count": 2}], "bandwidth": NVLINK2_V100},
        ],
        "network_bandwidth": IB_EDR,
    },
    # Two desktops: an RTX 4090 and an RTX 4070 Ti in one (two GPUs on a desktop board share
    # the CPU's 16 lanes as x8/x8), two RTX 4070 Ti in the other, joined by 10 GbE.
    "consumer-mix": {
        "hosts": [
            {"name": "pc0", "devices": [{"class": "RTX4090", "count": 1}, {"class": "RTX4070Ti", "count": 1}],
             "bandwidth": PCIE4_X8},
            {"name": "pc1", "devices": [{"class": "RTX4070Ti", "count": 2}], "bandwidth": PCIE4_X8},
        ],
        "network_bandwidth": ETH_10G,
    },
}

# Decoder-only LLMs from their public configs (Hugging Face config.json of each; the README
# cites them): layers, hidden size, MLP intermediate size, attention heads, key/value heads
# (grouped-query attention when fewer), vocabulary. All use SwiGLU MLPs (3 matrices), RMSNorm,
# untied input and output embeddings.
MODELS = {
    "llama-2-7b": {"layers": 32, "hidden": 4096, "intermediate": 11008, "heads": 32, "kv_heads": 32, "vocab": 32000},
    "llama-2-13b": {"layers": 40, "hidden": 5120, "intermediate": 13824, "heads": 40, "kv_heads": 40, "vocab": 32000},
    "mistral-7b": {"layers": 32, "hidden": 4096, "intermediate": 14336, "heads": 32, "kv_heads": 8, "vocab": 32000},
    "llama-2-70b": {"layers": 80, "hidden": 8192, "intermediate": 28672, "heads": 64, "kv_heads": 8, "vocab": 32000},
}

# What one pipeline step (one microbatch) processes, fp16 weights, activations and KV cache:
#   prefill  one prompt of 2048 tokens (compute-bound), the KV cache of those 2048 tokens kept;
#   decode   16 sequences of context 2048, one new token each (memory-bound: every weight and
#            the whole KV cache are read per step).
SCENARIOS = {
    "prefill": {"batch": 1, "tokens": 2048, "context": 2048},
    "decode": {"batch": 16, "tokens": 1, "context": 2048},
}
DTYPE_BYTES = 2


def roofline_ms(flops, bytes_moved, gpu):
    """Roofline time of one kernel sequence on a GPU: the larger of compute and memory time."""
    return max(flops / (gpu["fp16"] * 1e12), bytes_moved / (gpu["bandwidth"] * 1e9)) * 1e3


def chain_nodes(model, scenario):
    """The chain's nodes as (id, op, flops, bytes moved, memory, output bytes)."""
    h, f, vocab = model["hidden"], model["intermediate"], model["vocab"]
    head_dim = h // model["heads"]
    kv_width = model["kv_heads"] * head_dim
    b, t, ctx = scenario["batch"], scenario["tokens"], scenario["context"]
    tokens = b * t                               # tokens in flight per step
    hidden_bytes = tokens * h * DTYPE_BYTES      # the hidden state passed between layers
    nodes = []
    # Embedding: a gather of one row per token (no FLOPs).
    embed_weights = vocab * h * DTYPE_BYTES
    nodes.append(("embed", "Embedding", 0.0, 2.0 * hidden_bytes, embed_weights, hidden_bytes))
    # Decoder layer: Q, O (h x h), K, V (h x kv_width), SwiGLU (3 x h x f), two RMSNorm vectors.
    matrix_params = 2 * h * h + 2 * h * kv_width + 3 * h * f
    weights = (matrix_params + 2 * h) * DTYPE_BYTES
    kv_cache = b * ctx * 2 * kv_width * DTYPE_BYTES  # K and V of `context` tokens per sequence
    # Attention scores and values: 2 x 2 x (keys attended) x h per query token. A prompt under the
    # causal mask attends (t + 1) / 2 keys on average (masked blocks skipped, as FlashAttention
    # does); a decoded token attends its whole context.
    keys = (t + 1) / 2 if t > 1 else ctx
    attention_flops = 4.0 * tokens * keys * h
    flops = 2.0 * tokens * matrix_params + attention_flops
    if t > 1:
        kv_moved = kv_cache                       # written once
    else:
        kv_moved = kv_cache + b * 2 * kv_width * DTYPE_BYTES  # all read, one token written
    moved = weights + kv_moved + 2.0 * hidden_bytes
    for i in range(model["layers"]):
        nodes.append((f"layer{i}", "DecoderLayer", flops, moved, weights + kv_cache, hidden_bytes))
    # Head: final RMSNorm and the vocabulary projection of each sequence's last token.
    rows = b
    head_weights = (vocab * h + h) * DTYPE_BYTES
    logits = rows * vocab * DTYPE_BYTES
    nodes.append(("head", "LMHead", 2.0 * rows * h * vocab, head_weights + rows * h * DTYPE_BYTES + logits,
                  head_weights, logits))
    return nodes


def cluster_classes(testbed):
    names = []
    for host in testbed["hosts"]:
        for d in host["devices"]:
            if d["class"] not in names:
                names.append(d["class"])
    return names


def cluster_json(name, testbed):
    reference = GPUS[SPEED_REFERENCE]["fp16"]
    classes = {}
    for c in cluster_classes(testbed):
        g = GPUS[c]
        classes[c] = {"memory": f"{g['memory']}GB", "speed": round(g["fp16"] / reference, 6)}
    doc = {"format": "pipecut.cluster", "version": 1, "name": name, "device_classes": classes,
           "hosts": [{"name": h["name"], "devices": h["devices"], "bandwidth": f"{h['bandwidth']}GB/s"}
                     for h in testbed["hosts"]],
           "network_bandwidth": testbed["network_bandwidth"]}
    return doc


def device_profile(name):
    g = GPUS[name]
    # Link, latency and launch as the built-in a100-pcie profile (docs/cost-model.md): the
    # cluster's links, not the profile's, price tensors on a cluster (tools/cluster_results.py
    # gives every node its `bytes`), so only the compute rates and memory bandwidth matter here.
    return {"name": name.lower(),
            "description": f"{name}: dense tensor-core FP16/BF16 and FP32 rates and memory bandwidth "
                           "from the vendor's datasheet (data/clusters/README.md)",
            "peak_tflops": {"fp32": g["fp32"], "fp16": g["fp16"], "bf16": g["fp16"]},
            "memory_bandwidth_gbps": g["bandwidth"], "link_bandwidth_gbps": 32,
            "link_latency_us": 10, "launch_overhead_us": 5}


def chain_json(model_name, scenario_name, testbed):
    model, scenario = MODELS[model_name], SCENARIOS[scenario_name]
    classes = cluster_classes(testbed)
    nodes = []
    for node_id, op, flops, moved, memory, out_bytes in chain_nodes(model, scenario):
        work = {c: float(f"{roofline_ms(flops, moved, GPUS[c]):.6g}") for c in classes}
        nodes.append({"id": node_id, "op": op, "work": work,
                      # comm is what the tensor costs without a cluster; these graphs need one
                      # (their work is per class), which prices `bytes` over its links instead.
                      # Written for a PCIe 4.0 x16 link (32 GB/s).
                      "comm": float(f"{out_bytes / 32e6:.6g}"),
                      "bytes": out_bytes, "memory": memory})
    edges = [[nodes[i]["id"], nodes[i + 1]["id"]] for i in range(len(nodes) - 1)]
    return {"format": "pipecut.graph", "version": 1, "name": f"{model_name}-{scenario_name}",
            "nodes": nodes, "edges": edges}


def write_json(path, doc):
    """One line per top-level key, and per element of a top-level list (nodes, hosts): small
    diffs and readable files."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lines = []
    for key, value in doc.items():
        if isinstance(value, list) and value:
            items = ",\n  ".join(json.dumps(v) for v in value)
            lines.append(f" {json.dumps(key)}: [\n  {items}]")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}")
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def generate(out):
    written = []
    for name, testbed in TESTBEDS.items():
        path = os.path.join(out, "clusters", f"{name}.json")
        write_json(path, cluster_json(name, testbed))
        written.append(path)
        for model_name in MODELS:
            for scenario_name in SCENARIOS:
                path = os.path.join(out, "llm-chains", name, f"{model_name}-{scenario_name}.json")
                write_json(path, chain_json(model_name, scenario_name, testbed))
                written.append(path)
    for gpu in GPUS:
        path = os.path.join(out, "clusters", "devices", f"{gpu.lower()}.json")
        write_json(path, device_profile(gpu))
        written.append(path)
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "data"), help="folder to write into (default data/)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary folder and compare with --out's files")
    args = ap.parse_args()
    if not args.check:
        for path in generate(args.out):
            print(path)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        stale = []
        for path in generate(tmp):
            rel = os.path.relpath(path, tmp)
            committed = os.path.join(args.out, rel)
            if not os.path.exists(committed) or not filecmp.cmp(path, committed, shallow=False):
                stale.append(rel)
        if stale:
            print("cluster_testbed: out of date (run tools/cluster_testbed.py): " + ", ".join(stale),
                  file=sys.stderr)
            return 1
    print("cluster_testbed: every file is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
