#include "support/onnx_models.hpp"

#include <onnx/onnx_pb.h>

namespace pipecut::testing {

namespace {

onnx::ModelProto empty_model() {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(17);
  model.mutable_graph()->set_name("test");
  return model;
}

void add_float_value(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* values,
                     const std::string& name, const std::vector<std::int64_t>& dims) {
  onnx::ValueInfoProto* value = values->Add();
  value->set_name(name);
  auto* tensor = value->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  for (std::int64_t d : dims) tensor->mutable_shape()->add_dim()->set_dim_value(d);
}

onnx::NodeProto* add_node(onnx::GraphProto* graph, const std::string& op, const std::string& name,
                          const std::string& input, const std::string& output) {
  onnx::NodeProto* node = graph->add_node();
  node->set_op_type(op);
  node->set_name(name);
  node->add_input(input);
  node->add_output(output);
  return node;
}

}  // namespace

std::string onnx_relu_chain(int n, const std::string& name) {
  onnx::ModelProto model = empty_model();
  onnx::GraphProto* graph = model.mutable_graph();
  add_float_value(graph->mutable_input(), "x", {1, 4});
  std::string previous = "x";
  for (int i = 0; i < n; ++i) {
    std::string output = "t";
    output += std::to_string(i);
    add_node(graph, "Relu", name, previous, output);
    previous = output;
  }
  add_float_value(graph->mutable_output(), previous, {1, 4});
  return model.SerializeAsString();
}

std::string onnx_unknown_op_on_input(const std::vector<std::int64_t>& input_dims) {
  onnx::ModelProto model = empty_model();
  auto* custom = model.add_opset_import();
  custom->set_domain("test");
  custom->set_version(1);
  onnx::GraphProto* graph = model.mutable_graph();
  add_float_value(graph->mutable_input(), "x", input_dims);
  add_node(graph, "Mystery", "mystery", "x", "m")->set_domain("test");
  add_node(graph, "Relu", "relu", "m", "y");
  onnx::ValueInfoProto* out = graph->add_output();
  out->set_name("y");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  return model.SerializeAsString();
}

std::string onnx_split_without_outputs() {
  onnx::ModelProto model = empty_model();
  onnx::GraphProto* graph = model.mutable_graph();
  add_float_value(graph->mutable_input(), "x", {1, 4});
  add_node(graph, "Relu", "first", "x", "r");
  onnx::NodeProto* split = graph->add_node();
  split->set_op_type("Split");
  split->set_name("split");
  const std::string split_input = "r";
  split->add_input(split_input);
  add_node(graph, "Relu", "second", "r", "y");
  add_float_value(graph->mutable_output(), "y", {1, 4});
  return model.SerializeAsString();
}

std::string onnx_shape_of_undeclared_input() {
  onnx::ModelProto model = empty_model();
  onnx::GraphProto* graph = model.mutable_graph();
  add_node(graph, "Relu", "relu", "x", "r");
  add_node(graph, "Shape", "shape", "r", "s");
  return model.SerializeAsString();
}

}  // namespace pipecut::testing
