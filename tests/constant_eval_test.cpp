// The small constant evaluator the stage writer uses to give ONNX shape inference the values of
// parameter-only shape chains. Expected values follow the ONNX operator definitions (numpy
// semantics), worked out by hand.
#include "onnx/constant_eval.hpp"

#include <gtest/gtest.h>

namespace pipecut {
namespace {

using T = onnx::TensorProto;

ConstTensor ints(std::vector<std::int64_t> dims, std::vector<double> values) {
  return {T::INT64, std::move(dims), std::move(values)};
}

onnx::NodeProto node(const std::string& op, std::vector<std::string> inputs,
                     std::vector<std::pair<std::string, std::int64_t>> int_attributes = {}) {
  onnx::NodeProto n;
  n.set_op_type(op);
  for (const auto& in : inputs) n.add_input(in);
  n.add_output("out");
  for (const auto& [name, value] : int_attributes) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
  }
  return n;
}

ConstTensor eval(const onnx::NodeProto& n,
                 const std::unordered_map<std::string, ConstTensor>& values,
                 const std::vector<std::int64_t>* shape = nullptr) {
  auto out = evaluate_constant_node(n, values, shape);
  EXPECT_TRUE(out.has_value()) << n.op_type();
  return out ? out->at(0) : ConstTensor{};
}

TEST(ConstantEval, ShapeGatherUnsqueezeConcatReshapeChain) {
  // x.view(x.size(0), -1) for x of static shape [2, 3, 4].
  const std::vector<std::int64_t> static_shape = {2, 3, 4};
  std::unordered_map<std::string, ConstTensor> v;
  v["shape"] = eval(node("Shape", {"x"}), v, &static_shape);
  EXPECT_EQ(v["shape"].values, (std::vector<double>{2, 3, 4}));
  v["zero"] = ints({}, {0});
  v["batch"] = eval(node("Gather", {"shape", "zero"}, {{"axis", 0}}), v);
  EXPECT_TRUE(v["batch"].dims.empty());  // a scalar index gives a scalar
  EXPECT_EQ(v["batch"].values, (std::vector<double>{2}));
  v["axes"] = ints({1}, {0});
  v["batch1"] = eval(node("Unsqueeze", {"batch", "axes"}), v);
  EXPECT_EQ(v["batch1"].dims, (std::vector<std::int64_t>{1}));
  v["minus_one"] = ints({1}, {-1});
  v["target"] = eval(node("Concat", {"batch1", "minus_one"}, {{"axis", 0}}), v);
  EXPECT_EQ(v["target"].values, (std::vector<double>{2, -1}));
  // Reshape of a constant with that target infers the -1.
  v["data"] = ints({2, 3, 4}, std::vector<double>(24, 1.0));
  EXPECT_EQ(eval(node("Reshape", {"data", "target"}), v).dims, (std::vector<std::int64_t>{2, 12}));
}

TEST(ConstantEval, GatherSliceAndBroadcasting) {
  std::unordered_map<std::string, ConstTensor> v;
  v["m"] = ints({2, 3}, {1, 2, 3, 4, 5, 6});
  v["idx"] = ints({2}, {2, -3});
  const ConstTensor g = eval(node("Gather", {"m", "idx"}, {{"axis", 1}}), v);
  EXPECT_EQ(g.dims, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(g.values, (std::vector<double>{3, 1, 6, 4}));
  // Slice [:, 2:0:-1] = columns 2 and 1.
  v["starts"] = ints({1}, {2});
  v["ends"] = ints({1}, {0});
  v["axes"] = ints({1}, {1});
  v["steps"] = ints({1}, {-1});
  const ConstTensor s = eval(node("Slice", {"m", "starts", "ends", "axes", "steps"}), v);
  EXPECT_EQ(s.dims, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(s.values, (std::vector<double>{3, 2, 6, 5}));
  // [2, 3] + [3] broadcasts along rows; integer Div truncates toward zero.
  v["row"] = ints({3}, {10, 20, 30});
  EXPECT_EQ(eval(node("Add", {"m", "row"}), v).values,
            (std::vector<double>{11, 22, 33, 14, 25, 36}));
  v["neg"] = ints({}, {-4});
  EXPECT_EQ(eval(node("Div", {"m", "neg"}), v).values, (std::vector<double>{0, 0, 0, -1, -1, -1}));
  v["cond"] = ConstTensor{T::BOOL, {3}, {1, 0, 1}};
  EXPECT_EQ(eval(node("Where", {"cond", "m", "row"}), v).values,
            (std::vector<double>{1, 20, 3, 4, 20, 6}));
  v["bad"] = ints({2}, {1, 2});  // [2, 3] and [2] do not broadcast
  EXPECT_FALSE(evaluate_constant_node(node("Add", {"m", "bad"}), v, nullptr));
}

TEST(ConstantEval, UnknownInputsAndOperatorsAreNotEvaluated) {
  std::unordered_map<std::string, ConstTensor> v;
  v["a"] = ints({1}, {3});
  EXPECT_FALSE(evaluate_constant_node(node("Add", {"a", "missing"}), v, nullptr));
  EXPECT_FALSE(evaluate_constant_node(node("MatMul", {"a", "a"}), v, nullptr));
  // Range and ConstantOfShape, and a round trip through TensorProto.
  v["start"] = ints({}, {1});
  v["limit"] = ints({}, {7});
  v["delta"] = ints({}, {2});
  const ConstTensor r = eval(node("Range", {"start", "limit", "delta"}), v);
  EXPECT_EQ(r.values, (std::vector<double>{1, 3, 5}));
  const auto back = decode_tensor(encode_tensor(r, "r"), 16);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->values, r.values);
  EXPECT_EQ(back->dims, r.dims);
  v["shape"] = ints({2}, {2, 2});
  const ConstTensor zeros = eval(node("ConstantOfShape", {"shape"}), v);
  EXPECT_EQ(zeros.elem_type, T::FLOAT);
  EXPECT_EQ(zeros.values, (std::vector<double>(4, 0.0)));
}

}  // namespace
}  // namespace pipecut
