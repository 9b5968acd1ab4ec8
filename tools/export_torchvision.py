#!/usr/bin/python3
"""Export every torchvision image-classification architecture to ONNX, weights stripped.

Usage (Debian: apt-get install python3-torch python3-torchvision python3-onnx):

    /usr/bin/python3 tools/export_torchvision.py --out data/corpus/torchvision

Each model is built with ``weights=None`` (nothing is downloaded), seeded, put in eval mode and
exported at batch 1 and its standard input size (the eval crop size of its ImageNet weights
entry, read from torchvision's metadata; ViT uses its built-in image size). Constant folding is
on. Every parameter tensor with more than KEEP_ELEMENTS (64) elements has its data stripped, as
valid ONNX external data that is never shipped (see onnx_export_common.py). Then Constant nodes
become initializers, torch's static shape arithmetic (Shape/Gather/Concat/... chains) is
evaluated and folded into initializers, and ONNX shape inference is repeated until every node
output has a static shape; the value_info is kept (``--no-fold`` skips the folding). Each model is exported in its own subprocess (one at a
time, one thread), so a model that fails or times out is skipped with the reason recorded.
At the end every file is re-checked and ``models.json``, ``README.md`` and
``LICENSE-torchvision.txt`` are (re)written in the output directory.

The strip convention, the folding and the verification are shared with
tools/export_transformers.py and live in tools/onnx_export_common.py.
"""

import argparse
import json
import os
import tempfile
import time

from onnx_export_common import (KEEP_ELEMENTS, export_models, finish_export, finish_index, human,
                                inspect_saved, save_model, selected_models, start_export,
                                strip_convention_json, strip_convention_markdown, strip_model)


def input_size(name, model):
    """Standard eval input resolution for a torchvision classification model."""
    import torchvision.models as tvm
    if hasattr(model, "image_size"):  # ViT: fixed by the architecture
        return int(model.image_size)
    try:
        entries = list(tvm.get_model_weights(name))
    except Exception:
        return 224
    # Only the original ImageNet-1K recipe defines the architecture's standard size; models
    # with only SWAG weights (regnet_y_128gf: 384 end-to-end / 224 linear) use 224.
    pick = next((w for w in entries if w.name == "IMAGENET1K_V1"), None)
    if pick is None:
        return 224
    try:
        crop = pick.transforms().crop_size
        return int(crop[0] if isinstance(crop, (list, tuple)) else crop)
    except Exception:
        return 224


def meta_num_params(name):
    import torchvision.models as tvm
    try:
        entries = list(tvm.get_model_weights(name))
        return int(entries[0].meta["num_params"])
    except Exception:
        return None


def randomize_(model):
    """Give every float parameter and buffer distinct seeded random values.

    torchvision's initialisation leaves many tensors with identical values (BatchNorm bias 0,
    running mean 0, running var 1), so after eval-mode BatchNorm folding many Conv biases are
    equal and torch's exporter deduplicates them into one initializer plus Identity nodes, a
    structure that real trained weights would not have. Random values avoid that artefact.
    """
    import torch
    with torch.no_grad():
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.uniform_(0.5, 1.5)
            else:
                t.uniform_(-0.1, 0.1)


def register_symbolics():
    """ONNX symbolics torch 1.13 lacks.

    aten::zero (in-place ``zero_()``): Swin V2 zeroes the key third of its qkv bias, a
    parameter-only computation that torch's constant folding then removes. zero(x) = x - x
    (exact for the finite values the model is given).
    """
    import torch.onnx

    def zero(g, self):
        return g.op("Sub", self, self)

    torch.onnx.register_custom_op_symbolic("aten::zero", zero, 9)


def worker(name, out_dir, opset, keep_elements, fold=True):
    """Export one model into out_dir/<name>.onnx. Prints one JSON line with the result."""
    import warnings
    warnings.filterwarnings("ignore")
    import torch
    import torchvision.models as tvm
    import onnx

    torch.set_num_threads(1)
    torch.manual_seed(0)
    register_symbolics()
    t0 = time.time()
    model = tvm.get_model(name, weights=None)
    model.eval()
    randomize_(model)
    size = input_size(name, model)
    torch_params = sum(p.numel() for p in model.parameters())
    x = torch.zeros(1, 3, size, size)
    with tempfile.TemporaryDirectory(prefix="tvexport-") as tmp:
        raw = os.path.join(tmp, "model.onnx")
        # Not under no_grad: with grad disabled nn.MultiheadAttention takes its fused
        # "fast path" (aten::_native_multi_head_attention), which has no ONNX symbolic.
        torch.onnx.export(model, (x,), raw, export_params=True, opset_version=opset,
                          do_constant_folding=True, input_names=["input"],
                          output_names=["logits"], training=torch.onnx.TrainingMode.EVAL)
        del model
        m = onnx.load(raw, load_external_data=False)
        stripped = strip_model(m, tmp, keep_elements)
    m, stats = finish_export(m, keep_elements, fold)
    save_model(m, os.path.join(out_dir, name + ".onnx"))
    result = {"name": name, "input_size": size, "torch_parameters": torch_params,
              "stripped_tensors": stripped}
    result.update(stats)
    result["export_seconds"] = round(time.time() - t0, 1)
    print(json.dumps(result))


def list_classification_models():
    import torchvision
    import torchvision.models as tvm
    if hasattr(tvm, "list_models"):
        return sorted(tvm.list_models(module=tvm))
    raise SystemExit("torchvision %s lacks models.list_models (need >= 0.14)" % torchvision.__version__)


def write_index(out_dir, rows, skipped, versions, opset):
    total = sum(r["file_bytes"] for r in rows)
    doc = {
        "corpus": "torchvision image-classification architectures (no weights)",
        "generator": "tools/export_torchvision.py",
        "versions": versions,
        "opset": opset,
        "strip_convention": strip_convention_json(),
        "total_bytes": total,
        "models": rows,
        "skipped": skipped,
    }
    with open(os.path.join(out_dir, "models.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")

    lines = []
    lines.append("# torchvision testbed corpus\n")
    lines.append(
        "ONNX graphs of every torchvision image-classification architecture that exports cleanly, "
        "standing in for production models when evaluating pipecut. **Architectures only: no "
        "trained weights** (models are built with `weights=None`; every float parameter and buffer "
        "is then set to seeded uniform random values, because torchvision's initial values, e.g. "
        "all-zero BatchNorm biases, make the exporter merge identical folded Conv biases into one "
        "initializer plus `Identity` nodes, a structure trained weights would not have; the "
        "parameter data is then stripped). Files are plain ONNX protobuf; torch is not "
        "needed to use them.\n")
    lines.append("## Regenerate\n")
    lines.append("```sh\napt-get install python3-torch python3-torchvision python3-onnx\n"
                 "/usr/bin/python3 tools/export_torchvision.py --out data/corpus/torchvision\n```\n")
    lines.append(
        "Generated with torch %s, torchvision %s, onnx %s; ONNX opset %d. Each model is exported "
        "in eval mode, batch 1, at its standard evaluation resolution (the crop size of its "
        "torchvision `IMAGENET1K_V1` weights entry, e.g. 224, inception_v3 299, swin_v2 256, "
        "efficientnet_b7 600; 224 for ViT models, fixed by the architecture built without "
        "weights, and for regnet_y_128gf, which only has SWAG weights), with `do_constant_folding=True` "
        "(so eval-mode BatchNorm is folded into the preceding Conv where torch does that). ONNX shape "
        "inference was run and its `value_info` is stored, so every intermediate tensor has a "
        "static shape. Input is named `input` (float32 `[1,3,H,W]`), output `logits` (`[1,1000]`). "
        "Output is deterministic for a given torch/torchvision/onnx version (same seed, one "
        "thread, deterministic protobuf serialisation); `sha256` in `models.json` lets you check.\n"
        % (versions["torch"], versions["torchvision"], versions["onnx"], opset))
    lines.append(
        "**Static-shape folding.** torch 1.13 traces Python-side shape arithmetic (`x.shape`, "
        "window/padding sizes, the Swin attention mask, ViT's class-token expand) as chains of "
        "`Shape`/`Gather`/`Concat`/`ConstantOfShape`/`ScatterND`... nodes that ONNX shape inference "
        "cannot see through, so many tensors had no static shape (swin_t: 2 067 of 6 532). As "
        "each file is exported for one fixed input shape, the script evaluates those chains with "
        "numpy (`Shape`/`Size` of a statically shaped tensor, and any supported operator whose "
        "inputs are all known constants), replaces them by initializers, re-runs shape inference, "
        "and repeats to a fixed point (ONNX 1.12 gives `Einsum` outputs no shape, so the script "
        "adds those from the equation). It checks that no tensor's shape changed. Nodes reading "
        "parameter data (stripped) or activations are never folded, so parameter-only subgraphs "
        "(e.g. Swin V2's position-bias MLP, see below) remain for the importer to fold. After this "
        "**every node output has a fully static shape in `value_info`** and no `Constant` nodes "
        "remain (their tensors are initializers). `exported_operators` and `folded_operators` in "
        "models.json give the counts before/after; `--no-fold` skips this step.\n")
    lines.append("Options: `--models a,b` to export a subset, `--max-params N` (default 1e9, i.e. none) to skip "
                 "giant models (regnet_y_128gf and vit_h_14 need about 7 GB RAM), `--timeout S` per model, `--keep-existing` to resume, "
                 "`--index-only` to just re-check files and rewrite this README/models.json.\n")
    lines.append("## Weight-stripping convention\n")
    lines.append(strip_convention_markdown())
    lines.append("## Models\n")
    lines.append("%d models, %s in total. *Operators* = ONNX nodes in the graph after "
                 "folding; *parameters* = elements over all initializers, from their "
                 "dims (after torch's constant folding, so BatchNorm parameters folded into Conv "
                 "are not counted twice; it does include constant buffers such as Swin's "
                 "relative-position index and the folded attention masks; torchvision's own count "
                 "is `torch_parameters` in models.json).\n" % (len(rows), human(total)))
    lines.append("| model | input | operators | parameters | file size |")
    lines.append("|---|---|---:|---:|---:|")
    for r in rows:
        lines.append("| %s | %d | %d | %s | %s |" % (
            r["name"], r["input_size"], r["operators"], format(r["parameters"], ","),
            human(r["file_bytes"])))
    lines.append("")
    usage = {}
    for r in rows:
        for op in r["op_types"]:
            usage[op] = usage.get(op, 0) + 1
    lines.append("Operator types used across the corpus (number of models using each): " +
                 ", ".join("`%s` %d" % (op, n) for op, n in sorted(usage.items())) + ".\n")
    lines.append("## Export workarounds\n")
    lines.append(
        "* Models are exported with autograd enabled: under `torch.no_grad()` "
        "`nn.MultiheadAttention` (ViT) takes its fused fast path "
        "(`aten::_native_multi_head_attention`), which torch 1.13 cannot export.\n"
        "* Swin V2 calls `zero_()` on a slice of its qkv bias (`aten::zero`, no ONNX symbolic in "
        "torch 1.13); the script registers `zero(x) = Sub(x, x)`.\n"
        "* Parameter-only subgraphs (every input an initializer, directly or transitively) that "
        "remain, for the importer to fold: Swin V2's continuous position-bias MLP on its "
        "coordinate table (`MatMul`/`Relu`/`Sigmoid`/`Gather`/... ), the `qkv.bias` -> `ScatterND` "
        "of the `zero_()` above, and `Identity` nodes for the relative-position-index buffers "
        "torch deduplicates (the only `Identity` nodes in the corpus); a `Pow` per block in Swin "
        "V1; the class-token `Expand` in ViT. No other model has any.\n")
    lines.append("## Skipped models\n")
    if skipped:
        for s in skipped:
            lines.append("* `%s`: %s" % (s["name"], s["reason"]))
    else:
        lines.append("None: every classification model in torchvision %s exports."
                     % versions["torchvision"])
    lines.append("")
    lines.append("## Licence\n")
    lines.append("The model definitions come from torchvision (BSD 3-Clause licence); see "
                 "`LICENSE-torchvision.txt`. These files contain only architecture graphs "
                 "exported by `tools/export_torchvision.py`; no pretrained weights are included.\n")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines))

    with open(os.path.join(out_dir, "LICENSE-torchvision.txt"), "w") as f:
        f.write(
            "The ONNX files in this directory are computation graphs of neural-network\n"
            "architectures defined in torchvision (https://github.com/pytorch/vision),\n"
            "which is distributed under the BSD 3-Clause licence (copyright the torchvision\n"
            "contributors / Soumith Chintala). The files were generated by\n"
            "tools/export_torchvision.py from the model definitions in torchvision %s.\n"
            "They contain only the architecture graphs (operators, tensor shapes and\n"
            "parameter shapes) of models built without pretrained weights; all parameter\n"
            "data larger than %d elements has been removed. No torchvision source code\n"
            "and no trained weights are included. See torchvision's LICENSE file for the\n"
            "full licence terms.\n" % (versions["torchvision"], KEEP_ELEMENTS))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", help="comma-separated subset (default: all classification models)")
    ap.add_argument("--max-params", type=float, default=1e9,
                    help="skip models with more parameters than this (memory/time; the largest, "
                         "regnet_y_128gf and vit_h_14, need about 7 GB RAM and 3 minutes)")
    started = start_export(ap, worker, "data/corpus/torchvision", 900)
    if started is None:
        return
    args, versions = started
    all_names = list_classification_models()
    names = selected_models(args.models, all_names)

    def too_large(name):
        n = meta_num_params(name)
        if n is not None and n > args.max_params:
            return ("too large: %.0fM parameters > --max-params %.0fM (memory/time on the shared "
                    "build machine)" % (n / 1e6, args.max_params / 1e6))
        return None

    exported, skipped = export_models(__file__, all_names, names, args, ".onnx", too_large)

    rows = []
    for name in sorted(exported):
        st = inspect_saved(os.path.join(args.out, name + ".onnx"), name, skipped)
        if st is None:
            continue
        r = {"name": name, "file": name + ".onnx"}
        r["input_size"] = exported[name].get("input_size", st["input_shape"][-1])
        r.update(st)
        for k in ("torch_parameters", "exported_operators", "folded_operators"):
            if k in exported[name]:
                r[k] = exported[name][k]
        rows.append(r)
    finish_index(args, rows, skipped, versions, write_index)


if __name__ == "__main__":
    main()
