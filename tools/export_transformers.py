#!/usr/bin/python3
"""Export transformer architectures to gzip-compressed ONNX without weights (the pipecut
transformer testbed).

Usage (Debian: apt-get install python3-torch python3-torchvision python3-onnx):

    /usr/bin/python3 tools/export_transformers.py --out data/corpus/transformers

Models: GPT-2-style decoders with the shapes of GPT-2 small, medium, large and XL (12/24/36/48
layers, widths 768/1024/1280/1600, sequence 1024, vocabulary head), a BERT-large encoder with
its masked-language-model vocabulary head (sequence 512), a T5-large-style encoder-decoder
(24 + 24 layers, encoder sequence 512, decoder sequence 128), all defined below from the
published architectures; and torchvision's ViT-L/16, ViT-H/14 and Swin-B (built with
``weights=None``, nothing is downloaded).

Nothing is computed and no weights are materialised: every model is moved to PyTorch's
``meta`` device (tensors with shapes and types but no data) and traced there, so exporting the
1.5 B-parameter GPT-2 XL needs under 300 MB (the torchvision models are built on the CPU first,
which allocates their parameters once, and their patch-embedding convolution runs on the CPU). Parameters become ONNX initializers with
dims and data type only, following the strip convention of tools/onnx_export_common.py; torch's
shape arithmetic is folded as for the torchvision corpus. Each model is exported in its own
subprocess (one thread); the peak resident memory of each is recorded in models.json. At the
end every file is re-checked and ``models.json``, ``README.md`` and ``LICENSE-torchvision.txt``
are (re)written in the output directory.
"""

import argparse
import contextlib
import json
import math
import os
import tempfile
import time

from onnx_export_common import (KEEP_ELEMENTS, export_models, finish_export, finish_index, human,
                                inspect_saved, load_model, numel, peak_memory_mb, save_model,
                                selected_models, start_export, strip_convention_json,
                                strip_convention_markdown, strip_model, strip_tensor)

EXTENSION = ".onnx.gz"

# name -> (family, configuration). Shapes are the published ones: GPT-2 (Radford et al. 2019,
# vocabulary 50 257, context 1 024), BERT-large (Devlin et al. 2019: 24 layers, 1 024 wide,
# 16 heads, vocabulary 30 522), T5-large (Raffel et al. 2020: 24 + 24 layers, d_model 1 024,
# d_ff 4 096, 16 heads of 64, vocabulary 32 128, 32 relative-position buckets up to distance 128).
MODELS = {
    "gpt2_small": ("gpt2", dict(layers=12, width=768, heads=12)),
    "gpt2_medium": ("gpt2", dict(layers=24, width=1024, heads=16)),
    "gpt2_large": ("gpt2", dict(layers=36, width=1280, heads=20)),
    "gpt2_xl": ("gpt2", dict(layers=48, width=1600, heads=25)),
    "bert_large_mlm": ("bert", dict(layers=24, width=1024, heads=16)),
    "t5_large": ("t5", dict(layers=24, width=1024, heads=16)),
    "vit_l_16": ("torchvision", dict(arch="vit_l_16")),
    "vit_h_14": ("torchvision", dict(arch="vit_h_14")),
    "swin_b": ("torchvision", dict(arch="swin_b")),
}
GPT2_SEQUENCE, GPT2_VOCABULARY = 1024, 50257
BERT_SEQUENCE, BERT_VOCABULARY = 512, 30522
T5_ENCODER_SEQUENCE, T5_DECODER_SEQUENCE, T5_VOCABULARY = 512, 128, 32128
T5_BUCKETS, T5_MAX_DISTANCE = 32, 128


# ---------------------------------------------------------------------------------------------
# Model definitions. Everything is created on the meta device: shapes only, no memory.

def build_gpt2(layers, width, heads):
    import torch
    from torch import nn
    import torch.nn.functional as F
    meta = dict(device="meta")

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(width, eps=1e-5, **meta)
            self.qkv = nn.Linear(width, 3 * width, **meta)
            self.attn_out = nn.Linear(width, width, **meta)
            self.ln_2 = nn.LayerNorm(width, eps=1e-5, **meta)
            self.fc_in = nn.Linear(width, 4 * width, **meta)
            self.fc_out = nn.Linear(4 * width, width, **meta)

        def forward(self, x, causal):
            q, k, v = self.qkv(self.ln_1(x)).split(width, dim=2)
            x = x + self.attn_out(attention(q, k, v, heads, causal=causal))
            # GPT-2 uses the tanh approximation of GELU.
            return x + self.fc_out(F.gelu(self.fc_in(self.ln_2(x)), approximate="tanh"))

    class GPT2(nn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding = nn.Embedding(GPT2_VOCABULARY, width, **meta)
            self.position_embedding = nn.Embedding(GPT2_SEQUENCE, width, **meta)
            self.blocks = nn.ModuleList(Block() for _ in range(layers))
            self.ln_f = nn.LayerNorm(width, eps=1e-5, **meta)
            self.register_buffer("positions", torch.arange(GPT2_SEQUENCE, **meta))
            self.register_buffer("causal", torch.ones(1, 1, GPT2_SEQUENCE, GPT2_SEQUENCE,
                                                      dtype=torch.bool, **meta))

        def forward(self, input_ids):
            x = self.token_embedding(input_ids) + self.position_embedding(self.positions)
            for block in self.blocks:
                x = block(x, self.causal)
            # The vocabulary projection shares the token embedding (weight tying).
            return F.linear(self.ln_f(x), self.token_embedding.weight)

    ids = torch.zeros(1, GPT2_SEQUENCE, dtype=torch.long, **meta)
    return GPT2(), (ids,), ["input_ids"], {"sequence": GPT2_SEQUENCE,
                                            "vocabulary": GPT2_VOCABULARY}


def build_bert(layers, width, heads):
    import torch
    from torch import nn
    import torch.nn.functional as F
    meta = dict(device="meta")

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.query = nn.Linear(width, width, **meta)
            self.key = nn.Linear(width, width, **meta)
            self.value = nn.Linear(width, width, **meta)
            self.attn_out = nn.Linear(width, width, **meta)
            self.ln_attn = nn.LayerNorm(width, eps=1e-12, **meta)
            self.fc_in = nn.Linear(width, 4 * width, **meta)
            self.fc_out = nn.Linear(4 * width, width, **meta)
            self.ln_out = nn.LayerNorm(width, eps=1e-12, **meta)

        def forward(self, x, mask_bias):
            a = attention(self.query(x), self.key(x), self.value(x), heads, bias=mask_bias)
            x = self.ln_attn(x + self.attn_out(a))
            return self.ln_out(x + self.fc_out(F.gelu(self.fc_in(x))))

    class BertForMaskedLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.word_embedding = nn.Embedding(BERT_VOCABULARY, width, **meta)
            self.position_embedding = nn.Embedding(BERT_SEQUENCE, width, **meta)
            self.segment_embedding = nn.Embedding(2, width, **meta)
            self.ln_embedding = nn.LayerNorm(width, eps=1e-12, **meta)
            self.layers = nn.ModuleList(Layer() for _ in range(layers))
            self.head_transform = nn.Linear(width, width, **meta)
            self.ln_head = nn.LayerNorm(width, eps=1e-12, **meta)
            self.head_bias = nn.Parameter(torch.zeros(BERT_VOCABULARY, **meta))
            self.register_buffer("positions", torch.arange(BERT_SEQUENCE, **meta))
            self.register_buffer("segments", torch.zeros(BERT_SEQUENCE, dtype=torch.long, **meta))

        def forward(self, input_ids, attention_mask):
            x = (self.word_embedding(input_ids) + self.position_embedding(self.positions) +
                 self.segment_embedding(self.segments))
            x = self.ln_embedding(x)
            # Padding mask as an additive bias on every layer's attention scores.
            mask_bias = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
            for layer in self.layers:
                x = layer(x, mask_bias)
            x = self.ln_head(F.gelu(self.head_transform(x)))
            return F.linear(x, self.word_embedding.weight, self.head_bias)

    ids = torch.zeros(1, BERT_SEQUENCE, dtype=torch.long, **meta)
    mask = torch.ones(1, BERT_SEQUENCE, dtype=torch.long, **meta)
    return (BertForMaskedLM(), (ids, mask), ["input_ids", "attention_mask"],
            {"sequence": BERT_SEQUENCE, "vocabulary": BERT_VOCABULARY})


def t5_relative_buckets(queries, keys, bidirectional):
    """T5's relative-position bucket of every (query, key) pair: half of the buckets (per
    direction when bidirectional) are exact small distances, the rest grow logarithmically up
    to T5_MAX_DISTANCE. Computed on the CPU from positions only; the model keeps it as a buffer."""
    import torch
    relative = torch.arange(keys)[None, :] - torch.arange(queries)[:, None]  # key - query
    buckets = T5_BUCKETS
    result = torch.zeros_like(relative)
    if bidirectional:
        buckets //= 2
        result += (relative > 0).long() * buckets
        distance = relative.abs()
    else:
        distance = (-relative).clamp(min=0)
    exact = buckets // 2
    log_bucket = exact + (torch.log(distance.float().clamp(min=1) / exact) /
                          math.log(T5_MAX_DISTANCE / exact) * (buckets - exact)).long()
    log_bucket = log_bucket.clamp(max=buckets - 1)
    return result + torch.where(distance < exact, distance, log_bucket)


def build_t5(layers, width, heads):
    import torch
    from torch import nn
    import torch.nn.functional as F
    meta = dict(device="meta")
    d_ff = 4 * width

    class RMSNorm(nn.Module):  # T5's layer norm: scale only, no mean subtraction, no bias
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(width, **meta))

        def forward(self, x):
            return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))

    class Attention(nn.Module):  # no biases; T5 folds the 1/sqrt(d) scaling into its weights
        def __init__(self):
            super().__init__()
            self.q = nn.Linear(width, width, bias=False, **meta)
            self.k = nn.Linear(width, width, bias=False, **meta)
            self.v = nn.Linear(width, width, bias=False, **meta)
            self.o = nn.Linear(width, width, bias=False, **meta)

        def forward(self, x, memory, bias):
            return self.o(attention(self.q(x), self.k(memory), self.v(memory), heads, bias=bias,
                                    scale=False))

    class FeedForward(nn.Module):
        def __init__(self):
            super().__init__()
            self.wi = nn.Linear(width, d_ff, bias=False, **meta)
            self.wo = nn.Linear(d_ff, width, bias=False, **meta)

        def forward(self, x):
            return self.wo(F.relu(self.wi(x)))

    class EncoderLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_attn, self.attn = RMSNorm(), Attention()
            self.ln_ff, self.ff = RMSNorm(), FeedForward()

        def forward(self, x, bias):
            h = self.ln_attn(x)
            x = x + self.attn(h, h, bias)
            return x + self.ff(self.ln_ff(x))

    class DecoderLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_self, self.self_attn = RMSNorm(), Attention()
            self.ln_cross, self.cross_attn = RMSNorm(), Attention()
            self.ln_ff, self.ff = RMSNorm(), FeedForward()

        def forward(self, x, encoded, bias):
            h = self.ln_self(x)
            x = x + self.self_attn(h, h, bias)
            x = x + self.cross_attn(self.ln_cross(x), encoded, None)
            return x + self.ff(self.ln_ff(x))

    class T5(nn.Module):
        def __init__(self):
            super().__init__()
            self.shared = nn.Embedding(T5_VOCABULARY, width, **meta)
            self.encoder_bias = nn.Embedding(T5_BUCKETS, heads, **meta)
            self.decoder_bias = nn.Embedding(T5_BUCKETS, heads, **meta)
            self.encoder = nn.ModuleList(EncoderLayer() for _ in range(layers))
            self.decoder = nn.ModuleList(DecoderLayer() for _ in range(layers))
            self.ln_encoder, self.ln_decoder = RMSNorm(), RMSNorm()
            n, m = T5_ENCODER_SEQUENCE, T5_DECODER_SEQUENCE
            self.register_buffer("encoder_buckets", t5_relative_buckets(n, n, True).to("meta"))
            self.register_buffer("decoder_buckets", t5_relative_buckets(m, m, False).to("meta"))
            # Additive causal mask of the decoder's self-attention (0 or a large negative).
            self.register_buffer("causal", torch.zeros(1, 1, m, m, **meta))

        def forward(self, input_ids, decoder_input_ids):
            # The position biases are computed once and added in every layer, as in T5.
            bias = self.encoder_bias(self.encoder_buckets).permute(2, 0, 1).unsqueeze(0)
            x = self.shared(input_ids)
            for layer in self.encoder:
                x = layer(x, bias)
            encoded = self.ln_encoder(x)
            bias = self.decoder_bias(self.decoder_buckets).permute(2, 0, 1).unsqueeze(0)
            bias = bias + self.causal
            y = self.shared(decoder_input_ids)
            for layer in self.decoder:
                y = layer(y, encoded, bias)
            # Tied vocabulary projection, rescaled by d_model^-1/2 as in T5.
            return F.linear(self.ln_decoder(y) * width ** -0.5, self.shared.weight)

    ids = torch.zeros(1, T5_ENCODER_SEQUENCE, dtype=torch.long, **meta)
    decoder_ids = torch.zeros(1, T5_DECODER_SEQUENCE, dtype=torch.long, **meta)
    return (T5(), (ids, decoder_ids), ["input_ids", "decoder_input_ids"],
            {"sequence": T5_ENCODER_SEQUENCE, "decoder_sequence": T5_DECODER_SEQUENCE,
             "vocabulary": T5_VOCABULARY})


def attention(q, k, v, heads, bias=None, causal=None, scale=True):
    """Multi-head scaled dot-product attention on [batch, tokens, width] projections.
    ``bias`` is added to the scores; where the boolean ``causal`` is False a score is masked."""
    import torch
    batch, n, width = q.shape
    m = k.shape[1]
    d = width // heads
    q = q.view(batch, n, heads, d).transpose(1, 2)
    k = k.view(batch, m, heads, d).transpose(1, 2)
    v = v.view(batch, m, heads, d).transpose(1, 2)
    scores = torch.matmul(q, k.transpose(-1, -2))
    if scale:
        scores = scores / math.sqrt(d)
    if bias is not None:
        scores = scores + bias
    if causal is not None:
        scores = torch.where(causal, scores, torch.tensor(-10000.0))
    return torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(batch, n, width)


def torchvision_input_size(arch):
    """The largest evaluation crop among torchvision's weight entries for the architecture
    (ViT: the SWAG end-to-end fine-tuned resolutions 512 and 518; Swin-B: 224)."""
    import torchvision.models as tvm
    sizes = []
    for w in tvm.get_model_weights(arch):
        crop = w.transforms().crop_size
        sizes.append(int(crop[0] if isinstance(crop, (list, tuple)) else crop))
    return max(sizes)


def build_torchvision(arch):
    import torch
    from torch import nn
    import torchvision.models as tvm

    class ConvOnCpu(nn.Module):
        """Runs a convolution on the CPU and hands its output to the meta device. On meta,
        torch 1.13 computes a convolution's shape in Python without tracing the operator, so
        the traced graph would lose it; the one convolution of these models is the patch
        embedding, which reads the image (a small CPU tensor) and costs about a second."""

        def __init__(self, conv):
            super().__init__()
            self.conv = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                                  conv.stride, conv.padding, conv.dilation, conv.groups,
                                  conv.bias is not None, conv.padding_mode)

        def forward(self, x):
            return self.conv(x).to("meta")

    size = torchvision_input_size(arch)
    kwargs = {"image_size": size} if arch.startswith("vit") else {}
    # Built on the CPU (torchvision's constructors initialise their weights), then moved to meta.
    model = tvm.get_model(arch, weights=None, **kwargs).to("meta")
    convs = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    for name, conv in convs:
        parent = model.get_submodule(name.rpartition(".")[0]) if "." in name else model
        setattr(parent, name.rpartition(".")[2], ConvOnCpu(conv))
    x = torch.zeros(1, 3, size, size)
    return model, (x,), ["input"], {"input_size": size, "convolutions_on_cpu": len(convs)}


def build(name):
    family, config = MODELS[name]
    if family == "gpt2":
        return build_gpt2(**config)
    if family == "bert":
        return build_bert(**config)
    if family == "t5":
        return build_t5(**config)
    return build_torchvision(config["arch"])


# ---------------------------------------------------------------------------------------------
# Tracing on the meta device.

@contextlib.contextmanager
def meta_export_patches():
    """Lets torch 1.13's ONNX exporter run on meta tensors, which hold no data.

    * The exporter's shape inference would read parameter values (to propagate constants); it
      gets no parameters instead, and ONNX shape inference plus our folding add shapes later.
    * Initializer deduplication compares tensor values; on meta there are none. Parameters
      are distinct by construction, and shared ones (tied embeddings) are one tensor anyway.
    * ``t[i] = number`` on a meta tensor would trace the number as a meta constant, which the
      exporter cannot serialise (Swin's attention mask); it is given as a CPU scalar instead.
    """
    import torch
    from torch import _C
    graph_inference = _C._jit_pass_onnx_graph_shape_type_inference
    node_inference = _C._jit_pass_onnx_node_shape_type_inference
    deduplicate = _C._jit_pass_onnx_deduplicate_initializers
    setitem = torch.Tensor.__setitem__

    def meta_setitem(self, index, value):
        if self.device.type == "meta" and isinstance(value, (int, float)):
            value = torch.tensor(value, dtype=self.dtype)
        return setitem(self, index, value)

    _C._jit_pass_onnx_graph_shape_type_inference = (
        lambda graph, params, opset: graph_inference(graph, {}, opset))
    _C._jit_pass_onnx_node_shape_type_inference = (
        lambda node, params, opset: node_inference(node, {}, opset))
    _C._jit_pass_onnx_deduplicate_initializers = lambda graph, params, training: params
    torch.Tensor.__setitem__ = meta_setitem
    try:
        yield
    finally:
        _C._jit_pass_onnx_graph_shape_type_inference = graph_inference
        _C._jit_pass_onnx_node_shape_type_inference = node_inference
        _C._jit_pass_onnx_deduplicate_initializers = deduplicate
        torch.Tensor.__setitem__ = setitem


def parameters_to_initializers(model, input_names):
    """Exported without parameter data, parameters are extra graph inputs: turn each into a
    stripped initializer with the input's dims and type. Returns how many were converted."""
    from onnx import TensorProto
    g = model.graph
    real, params = [], []
    for v in g.input:
        (real if v.name in input_names else params).append(v)
    for v in params:
        t = TensorProto()
        t.name = v.name
        t.data_type = v.type.tensor_type.elem_type
        t.dims.extend(d.dim_value for d in v.type.tensor_type.shape.dim)
        if numel(t) <= KEEP_ELEMENTS:
            # The strip convention keeps such small tensors' data, which meta tensors lack.
            raise RuntimeError("parameter %s has only %d elements" % (v.name, numel(t)))
        strip_tensor(t)
        g.initializer.append(t)
    del g.input[:]
    g.input.extend(real)
    return len(params)


def drop_casts_after_cpu_convolutions(model):
    """ConvOnCpu's move to the meta device exports as a Cast to the type the Conv already
    produces; rewire its consumers to the Conv output. Returns how many were dropped."""
    from onnx import TensorProto
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    rename = {}
    keep = []
    for n in g.node:
        p = producer.get(n.input[0]) if n.input else None
        to = [a.i for a in n.attribute if a.name == "to"]
        if (n.op_type == "Cast" and p is not None and p.op_type == "Conv" and
                to == [TensorProto.FLOAT]):
            rename[n.output[0]] = n.input[0]
        else:
            keep.append(n)
    for n in keep:
        for i, name in enumerate(n.input):
            if name in rename:
                n.input[i] = rename[name]
    for o in g.output:
        if o.name in rename:
            raise RuntimeError("a graph output is a device move")
    del g.node[:]
    g.node.extend(keep)
    return len(rename)


def check_outputs_depend_on_inputs(model):
    """A traced operator whose output lost its link to the inputs would make the rest of the
    graph look constant; every graph output must depend on a graph input."""
    g = model.graph
    live = {i.name for i in g.input}
    for n in g.node:
        if any(i in live for i in n.input if i):
            live.update(o for o in n.output if o)
    cut = [o.name for o in g.output if o.name not in live]
    if cut:
        raise RuntimeError("graph output %s does not depend on any input" % cut[0])


def worker(name, out_dir, opset, keep_elements, fold=True):
    """Export one model into out_dir/<name>.onnx.gz. Prints one JSON line with the result."""
    import warnings
    warnings.filterwarnings("ignore")
    import torch
    import onnx

    torch.set_num_threads(1)
    t0 = time.time()
    model, args, input_names, shape = build(name)
    model.eval()
    torch_params = sum(p.numel() for p in model.parameters())
    with tempfile.TemporaryDirectory(prefix="trexport-") as tmp:
        raw = os.path.join(tmp, "model.onnx")
        # Autograd stays on (meta tensors cost nothing): under no_grad, nn.MultiheadAttention
        # (ViT) takes its fused fast path, which torch 1.13 cannot export.
        with meta_export_patches():
            torch.onnx.export(model, args, raw, export_params=False, opset_version=opset,
                              do_constant_folding=True, input_names=input_names,
                              output_names=["logits"], training=torch.onnx.TrainingMode.EVAL)
        del model
        m = onnx.load(raw, load_external_data=False)
        converted = parameters_to_initializers(m, input_names)
        drop_casts_after_cpu_convolutions(m)
        check_outputs_depend_on_inputs(m)
        stripped = strip_model(m, tmp, keep_elements)
    m, stats = finish_export(m, keep_elements, fold)
    onnx_bytes = save_model(m, os.path.join(out_dir, name + EXTENSION))
    result = {"name": name, "torch_parameters": torch_params, "parameter_tensors": converted,
              "stripped_tensors": stripped, "onnx_bytes": onnx_bytes}
    result.update(shape)
    result.update(stats)
    result["export_seconds"] = round(time.time() - t0, 1)
    result["peak_memory_mb"] = peak_memory_mb()
    print(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# What pipecut's importer makes of a file, computed independently from the ONNX graph, so that
# the corpus test can check the importer against it (docs/formats.md, "ONNX").

def expected_graph_nodes(model):
    """Operators that depend on a graph input (others are folded into their consumers), plus
    one port node per consumed output of an operator with several consumed outputs."""
    g = model.graph
    shapes = {}
    for v in list(g.input) + list(g.value_info) + list(g.output):
        tt = v.type.tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            shapes[v.name] = True
    constant = {t.name for t in g.initializer}
    live = []
    for node in g.node:
        ins = [i for i in node.input if i]
        folded = all(i in constant for i in ins)
        if node.op_type in ("Shape", "Size") and len(ins) == 1 and ins[0] in shapes:
            folded = True
        if folded:
            constant.update(o for o in node.output if o)
        else:
            live.append(node)
    consumed = set(i for node in live for i in node.input if i)
    ports = 0
    for node in live:
        outs = [o for o in node.output if o and o in consumed]
        if len(outs) > 1:
            ports += len(outs)
    return len(live) + ports


def describe(name, row):
    family, c = MODELS[name]
    if family == "gpt2":
        return "GPT-2 decoder, %d layers, width %d, %d heads, sequence %d, tied vocabulary head" % (
            c["layers"], c["width"], c["heads"], GPT2_SEQUENCE)
    if family == "bert":
        return ("BERT-large encoder + masked-LM vocabulary head, %d layers, width %d, %d heads, "
                "sequence %d" % (c["layers"], c["width"], c["heads"], BERT_SEQUENCE))
    if family == "t5":
        return ("T5-large encoder-decoder, %d + %d layers, width %d, %d heads, sequences %d / %d"
                % (c["layers"], c["layers"], c["width"], c["heads"], T5_ENCODER_SEQUENCE,
                   T5_DECODER_SEQUENCE))
    return "torchvision %s at %d x %d" % (c["arch"], row["input_size"], row["input_size"])


def write_index(out_dir, rows, skipped, versions, opset):
    total = sum(r["file_bytes"] for r in rows)
    doc = {
        "corpus": "transformer architectures (no weights)",
        "generator": "tools/export_transformers.py",
        "versions": versions,
        "opset": opset,
        "compression": "gzip",
        "strip_convention": strip_convention_json(),
        "total_bytes": total,
        "models": rows,
        "skipped": skipped,
    }
    with open(os.path.join(out_dir, "models.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")

    lines = ["# Transformer testbed corpus\n"]
    lines.append(
        "ONNX graphs of transformer models of the sizes people split into pipeline stages today, "
        "for evaluating pipecut on wide, communication-heavy operator graphs. **Architectures "
        "only: no weights.** Each file is a gzip-compressed ONNX protobuf (`.onnx.gz`), which "
        "pipecut reads directly: `pipecut solve data/corpus/transformers/gpt2_xl.onnx.gz -k 8`. "
        "Other ONNX tools need it gunzipped first (`gunzip -k FILE`).\n")
    lines.append("## Models\n")
    lines.append(
        "%d models, %s in total. *Operators*: ONNX nodes after folding; *graph nodes*: the nodes "
        "of the pipecut graph (operators that depend on a graph input, plus one port node per "
        "consumed output of multi-output operators such as `Split`; computed from the ONNX "
        "graph by the export script and checked against pipecut's importer by the test suite); "
        "*parameters*: elements over all initializers (folded tensors included, e.g. the "
        "transposed copy of a tied embedding); *peak memory*: the export subprocess's peak "
        "resident memory.\n" % (len(rows), human(total)))
    lines.append("| model | architecture | operators | graph nodes | parameters | file size | "
                 "peak memory | export time |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        lines.append("| %s | %s | %d | %d | %s | %s | %s MB | %s s |" % (
            r["name"], r["description"], r["operators"], r["graph_nodes"],
            format(r["parameters"], ","), human(r["file_bytes"]), r.get("peak_memory_mb", "?"),
            r.get("export_seconds", "?")))
    lines.append("")
    usage = {}
    for r in rows:
        for op in r["op_types"]:
            usage[op] = usage.get(op, 0) + 1
    lines.append("Operator types used across the corpus (number of models using each): " +
                 ", ".join("`%s` %d" % (op, n) for op, n in sorted(usage.items())) + ".\n")
    lines.append("## Regenerate\n")
    lines.append("```sh\napt-get install python3-torch python3-torchvision python3-onnx\n"
                 "/usr/bin/python3 tools/export_transformers.py --out data/corpus/transformers\n"
                 "```\n")
    total_seconds = sum(r.get("export_seconds", 0) for r in rows)
    lines.append(
        "Generated with torch %s, torchvision %s, onnx %s; ONNX opset %d; about %d minutes on one "
        "core of the 2-core build machine, at most %s MB of memory per model (the largest is "
        "the construction of ViT-H/14 by torchvision; the models defined in the script never "
        "hold parameter data). Options: `--models a,b` to export a subset, `--timeout S` per "
        "model, `--keep-existing` to resume, `--index-only` to re-check the files and rewrite "
        "this README and models.json, `--no-fold` to skip the shape folding.\n"
        % (versions["torch"], versions["torchvision"], versions["onnx"], opset,
           max(1, round(total_seconds / 60)), max((r.get("peak_memory_mb", 0) for r in rows),
                                                  default=0)))
    lines.append(
        "**How.** GPT-2, BERT and T5 are defined in `tools/export_transformers.py` from their "
        "published architectures (pre-norm GPT-2 blocks with tanh-GELU and a causal mask; "
        "post-norm BERT layers with erf-GELU, an `attention_mask` input turned into an additive "
        "bias, and the transform + tied vocabulary projection of its masked-LM head; T5 with "
        "RMS layer norms, ReLU feed-forward blocks, relative-position biases computed once per "
        "stack and added in every layer, cross-attention from every decoder layer to the "
        "encoder output, and a tied, rescaled vocabulary projection). ViT-L/16, ViT-H/14 and "
        "Swin-B come from torchvision, at the largest evaluation resolution among their "
        "torchvision weights (ViT: the SWAG end-to-end fine-tuned 512 and 518; Swin-B: 224), so "
        "they differ from the 224 x 224 exports of the torchvision corpus. Batch 1, eval mode, "
        "constant folding on. Every model is traced on PyTorch's `meta` device, so no weight "
        "is ever computed or stored and nothing is downloaded (the one exception: the patch "
        "embedding convolution of ViT and Swin runs on the CPU, because torch 1.13 does not "
        "trace convolutions on meta tensors); parameters become initializers with dims and "
        "type only. ViT and Swin export to the same operators as in the torchvision corpus. "
        "torch's shape arithmetic is then folded to constants and "
        "ONNX shape inference stored as `value_info` exactly as for the torchvision corpus "
        "(see its README), so every node output has a static shape.\n")
    lines.append("## Weight-stripping convention\n")
    lines.append(strip_convention_markdown())
    lines.append("The rule applies to the uncompressed protobuf inside each `.onnx.gz`.\n")
    lines.append("## Skipped models\n")
    if skipped:
        for s in skipped:
            lines.append("* `%s`: %s" % (s["name"], s["reason"]))
    else:
        lines.append("None.")
    lines.append("")
    lines.append("## Licence\n")
    lines.append("GPT-2, BERT and T5 are written for pipecut from the papers' descriptions. "
                 "ViT and Swin are torchvision's model definitions (BSD 3-Clause licence, see "
                 "`LICENSE-torchvision.txt`); the files hold only their architecture graphs. "
                 "No pretrained weights are included.\n")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out_dir, "LICENSE-torchvision.txt"), "w") as f:
        f.write(
            "vit_l_16.onnx.gz, vit_h_14.onnx.gz and swin_b.onnx.gz are computation graphs of\n"
            "neural-network architectures defined in torchvision\n"
            "(https://github.com/pytorch/vision), which is distributed under the BSD 3-Clause\n"
            "licence (copyright the torchvision contributors / Soumith Chintala). They were\n"
            "generated by tools/export_transformers.py from the model definitions in\n"
            "torchvision %s. They contain only the architecture graphs (operators, tensor\n"
            "shapes and parameter shapes) of models built without pretrained weights; no\n"
            "parameter data, no torchvision source code and no trained weights are included.\n"
            "See torchvision's LICENSE file for the full licence terms.\n"
            % versions["torchvision"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", help="comma-separated subset (default: all): " +
                    ", ".join(MODELS))
    started = start_export(ap, worker, "data/corpus/transformers", 1800)
    if started is None:
        return
    args, versions = started
    names = selected_models(args.models, MODELS)
    exported, skipped = export_models(__file__, list(MODELS), names, args, EXTENSION)

    rows = []
    for name in MODELS:
        if name not in exported:
            continue
        st = inspect_saved(os.path.join(args.out, name + EXTENSION), name, skipped,
                           lambda path: {"graph_nodes": expected_graph_nodes(load_model(path))})
        if st is None:
            continue
        r = {"name": name, "file": name + EXTENSION, "family": MODELS[name][0]}
        r.update({k: v for k, v in exported[name].items() if k not in ("name", "file")})
        r.update(st)
        r["description"] = describe(name, r)
        rows.append(r)
    finish_index(args, rows, skipped, versions, write_index)


if __name__ == "__main__":
    main()
