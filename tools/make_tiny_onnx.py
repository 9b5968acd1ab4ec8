#!/usr/bin/python3
"""Writes data/samples/onnx/tiny_conv_matmul_split.onnx, tiny_unknown_op.onnx,
tiny_shape_chain_{static,dynamic}.onnx and tiny_einsum.onnx, test models of the ONNX importer (usage: tools/make_tiny_onnx.py [OUT.onnx]).

Run with Debian's /usr/bin/python3 (python3-onnx). The model, opset 13:

  X[1,3,8,8] -> Conv(conv_w[4,3,3,3], conv_b[4], pads 1) -> Relu -> Split(axis 1, [2,2])
     s0[1,2,8,8] -> Reshape(shape from a Constant) -> MatMul(Identity(mm_w)) -\
     s1[1,2,8,8] -> Reshape(same shape)            -> MatMul(mm_w)           -> Add -> Y[1,10]

Weights are stripped the two ways the torchvision corpus does: conv_w points at an external data
file that is not shipped, mm_w and conv_b keep dims and type but have no data. The Constant and
the Identity depend on parameters only, so the importer must fold them.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def stripped(name, dims, external):
    tensor = TensorProto()
    tensor.name = name
    tensor.data_type = TensorProto.FLOAT
    tensor.dims.extend(dims)
    if external:
        tensor.data_location = TensorProto.EXTERNAL
        for key, value in (("location", "tiny_weights.bin"), ("offset", "0"),
                           ("length", str(4 * int(np.prod(dims))))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
    return tensor


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "data", "samples", "onnx", "tiny_conv_matmul_split.onnx")
    shape = numpy_helper.from_array(np.array([1, 128], dtype=np.int64), "shape_value")
    nodes = [
        helper.make_node("Conv", ["X", "conv_w", "conv_b"], ["c"], name="conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Split", ["r", "split_sizes"], ["s0", "s1"], name="split", axis=1),
        helper.make_node("Constant", [], ["shp"], name="shape_const", value=shape),
        helper.make_node("Reshape", ["s0", "shp"], ["f0"], name="reshape0"),
        helper.make_node("Reshape", ["s1", "shp"], ["f1"], name="reshape1"),
        helper.make_node("Identity", ["mm_w"], ["mm_w_alias"], name="weight_alias"),
        helper.make_node("MatMul", ["f0", "mm_w_alias"], ["m0"], name="matmul0"),
        helper.make_node("MatMul", ["f1", "mm_w"], ["m1"], name="matmul1"),
        helper.make_node("Add", ["m0", "m1"], ["Y"], name="add"),
    ]
    initializers = [
        stripped("conv_w", [4, 3, 3, 3], external=True),
        stripped("conv_b", [4], external=False),
        stripped("mm_w", [128, 10], external=False),
        numpy_helper.from_array(np.array([2, 2], dtype=np.int64), "split_sizes"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_conv_matmul_split",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 10])],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="pipecut tools/make_tiny_onnx.py")
    model.ir_version = 8
    with open(out, "wb") as f:
        f.write(model.SerializeToString())
    print("wrote", os.path.normpath(out))

    # A second model with an operator no cost model knows (custom domain), for the warning path.
    unknown = helper.make_graph(
        [helper.make_node("Relu", ["X"], ["r"], name="relu"),
         helper.make_node("FancyOp", ["r"], ["Y"], name="fancy", domain="com.example")],
        "tiny_unknown_op",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 1000])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 1000])])
    unknown_model = helper.make_model(
        unknown, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.example", 1)],
        producer_name="pipecut tools/make_tiny_onnx.py")
    unknown_model.ir_version = 8
    unknown_out = os.path.join(os.path.dirname(out), "tiny_unknown_op.onnx")
    with open(unknown_out, "wb") as f:
        f.write(unknown_model.SerializeToString())
    print("wrote", os.path.normpath(unknown_out))

    # Shape arithmetic feeding a Reshape, as torch exports `x.view(x.size(0), -1)`: with a static
    # input shape the Shape chain is a compile-time constant and folds; with a dynamic batch it
    # depends on the input and stays.
    for suffix, batch in (("static", 1), ("dynamic", "N")):
        consts = [numpy_helper.from_array(np.array(0, dtype=np.int64), "zero"),
                  numpy_helper.from_array(np.array([0], dtype=np.int64), "axes"),
                  numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus_one")]
        chain = helper.make_graph(
            [helper.make_node("Relu", ["X"], ["r"], name="relu"),
             helper.make_node("Shape", ["r"], ["s"], name="shape"),
             helper.make_node("Gather", ["s", "zero"], ["b"], name="gather", axis=0),
             helper.make_node("Unsqueeze", ["b", "axes"], ["bu"], name="unsqueeze"),
             helper.make_node("Concat", ["bu", "minus_one"], ["shp"], name="concat", axis=0),
             helper.make_node("Reshape", ["r", "shp"], ["Y"], name="reshape")],
            "tiny_shape_chain_" + suffix,
            [helper.make_tensor_value_info("X", TensorProto.FLOAT, [batch, 2, 4])],
            [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [batch, 8])],
            initializer=consts)
        chain_model = helper.make_model(chain, opset_imports=[helper.make_opsetid("", 13)],
                                        producer_name="pipecut tools/make_tiny_onnx.py")
        chain_model.ir_version = 8
        chain_out = os.path.join(os.path.dirname(out), "tiny_shape_chain_%s.onnx" % suffix)
        with open(chain_out, "wb") as f:
            f.write(chain_model.SerializeToString())
        print("wrote", os.path.normpath(chain_out))

    # Einsum: a batched matrix product with explicit indices (costed exactly) and one with an
    # ellipsis (costed conservatively, with a warning).
    einsum = helper.make_graph(
        [helper.make_node("Einsum", ["A", "B"], ["C"], name="bmm", equation="b i j, b j k -> b i k"),
         helper.make_node("Einsum", ["C"], ["D"], name="ellipsis", equation="...k->..."),
         helper.make_node("Relu", ["D"], ["Y"], name="relu")],
        "tiny_einsum",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [2, 3, 4]),
         helper.make_tensor_value_info("B", TensorProto.FLOAT, [2, 4, 5])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 3])])
    einsum_model = helper.make_model(einsum, opset_imports=[helper.make_opsetid("", 13)],
                                      producer_name="pipecut tools/make_tiny_onnx.py")
    einsum_model.ir_version = 8
    einsum_out = os.path.join(os.path.dirname(out), "tiny_einsum.onnx")
    with open(einsum_out, "wb") as f:
        f.write(einsum_model.SerializeToString())
    print("wrote", os.path.normpath(einsum_out))


if __name__ == "__main__":
    main()
