#!/usr/bin/python3
"""Writes the ONNX models the stage-splitting tests run (usage: tools/make_split_test_models.py OUT_DIR).

Run with Debian's /usr/bin/python3 (python3-onnx, python3-torch, python3-torchvision); the test
suite runs it as a ctest fixture into the build folder. Weights are random with fixed seeds.

feature.onnx (opset 13), built to cover every case a stage split must handle, with the
partition the tests use (stage per operator):

  stage 0:  A = Relu(X)                  T = MatMul(A, W)
  stage 1:  S0, S1 = Split(T)            Y1 = Sigmoid(T)   (a model output, also read in stage 2)
            R1 = Reshape(S0, shp)        P1 = Tanh(R1)
  stage 2:  R2 = Reshape(S1, shp)        Q = Concat(R2, P1)   M2 = MatMul(Q, W)  (W used twice)
            V = Add(M2, Y1)              V2 = Add(V, T)
  stage 3:  O = MatMul(V2, W2)           O2 = Add(O, Z)    (Z: a model input read only here)
            N = ReduceSum(T)             Y = Mul(O2, N)

T is read by stages 1, 2 and 3; the Split's outputs are read in stages 1 and 2; shp comes from a
parameter-only chain Shape(A) -> Gather -> Unsqueeze -> Concat (A has a static shape, so the
importer folds it) feeding Reshapes in two stages.

feature_external.onnx: the same model with its weights (W, W2) in feature_external.onnx.data;
the small integer tensors stay inline, since ONNX Runtime cannot load a model whose ReduceSum
axes live in an external file.
resnet18.onnx, mobilenet_v3_small.onnx: torchvision networks with random weights (opset 14,
batch 1, 3x224x224 input named "input", output "logits").
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, external_data_helper, helper, numpy_helper


def feature_model():
    rng = np.random.default_rng(7)
    init = [
        numpy_helper.from_array(rng.standard_normal((8, 8)).astype(np.float32) / 3, "W"),
        numpy_helper.from_array(rng.standard_normal((8, 4)).astype(np.float32) / 3, "W2"),
        numpy_helper.from_array(np.array([4, 4], dtype=np.int64), "split_sizes"),
        numpy_helper.from_array(np.array(0, dtype=np.int64), "zero"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "axis0"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus_one"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
    ]
    node = helper.make_node
    nodes = [
        node("Relu", ["X"], ["A"], name="relu"),
        node("MatMul", ["A", "W"], ["T"], name="matmul_w"),
        node("Shape", ["A"], ["a_shape"], name="shape"),
        node("Gather", ["a_shape", "zero"], ["batch"], name="gather", axis=0),
        node("Unsqueeze", ["batch", "axis0"], ["batch1"], name="unsqueeze"),
        node("Concat", ["batch1", "minus_one"], ["shp"], name="concat_shape", axis=0),
        node("Split", ["T", "split_sizes"], ["S0", "S1"], name="split", axis=1),
        node("Sigmoid", ["T"], ["Y1"], name="sigmoid"),
        node("Reshape", ["S0", "shp"], ["R1"], name="reshape1"),
        node("Tanh", ["R1"], ["P1"], name="tanh"),
        node("Reshape", ["S1", "shp"], ["R2"], name="reshape2"),
        node("Concat", ["R2", "P1"], ["Q"], name="concat", axis=1),
        node("MatMul", ["Q", "W"], ["M2"], name="matmul_w_again"),
        node("Add", ["M2", "Y1"], ["V"], name="add_y1"),
        node("Add", ["V", "T"], ["V2"], name="add_t"),
        node("MatMul", ["V2", "W2"], ["O"], name="matmul_w2"),
        node("Add", ["O", "Z"], ["O2"], name="add_z"),
        node("ReduceSum", ["T", "axis1"], ["N"], name="reduce", keepdims=1),
        node("Mul", ["O2", "N"], ["Y"], name="mul"),
    ]
    graph = helper.make_graph(
        nodes, "feature",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 8]),
         helper.make_tensor_value_info("Z", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("Y1", TensorProto.FLOAT, [2, 8]),
         helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 4])],
        initializer=init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="pipecut tools/make_split_test_models.py",
                              producer_version="1")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def export_torchvision(name, out):
    import torch
    import torchvision
    torch.manual_seed(0)
    net = getattr(torchvision.models, name)(weights=None).eval()
    with torch.no_grad():
        torch.onnx.export(net, torch.randn(1, 3, 224, 224), out, opset_version=14,
                          input_names=["input"], output_names=["logits"])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.splitlines()[0])
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    model = feature_model()
    onnx.save_model(model, os.path.join(out_dir, "feature.onnx"))
    data = "feature_external.onnx.data"
    if os.path.exists(os.path.join(out_dir, data)):
        os.remove(os.path.join(out_dir, data))  # onnx appends to an existing data file
    external = onnx.ModelProto()
    external.CopyFrom(model)
    external_data_helper.convert_model_to_external_data(
        external, all_tensors_to_one_file=True, location=data, size_threshold=64)
    onnx.save_model(external, os.path.join(out_dir, "feature_external.onnx"))
    for name in ("resnet18", "mobilenet_v3_small"):
        export_torchvision(name, os.path.join(out_dir, name + ".onnx"))
    print("wrote", ", ".join(sorted(f for f in os.listdir(out_dir) if f.endswith(".onnx"))),
          "to", out_dir)


if __name__ == "__main__":
    main()
