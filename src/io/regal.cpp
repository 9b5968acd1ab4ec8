// Reader of REGAL synthetic graphs: TensorFlow CostGraphDef in protobuf text format, parsed by
// protobuf's TextFormat with our own message declaration (proto/regal_cost_graph.proto).
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <map>
#include <set>

#include "pipecut/io/file_util.hpp"
#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/model/error.hpp"
#include "regal_cost_graph.pb.h"

namespace pipecut {

namespace {

// Keeps the first parse error so the user sees one line "file:LINE:COL: problem".
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty())
      first_ = std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

constexpr int kSourceNodeId = 0;  // TensorFlow's _SOURCE node: no work, only control edges

// TensorFlow's bookkeeping nodes: _SOURCE (id 0) precedes and _SINK follows every node through
// control edges. They do no work and move no tensor, so they and their edges are dropped.
bool is_bookkeeping(const regal::CostGraphDef::Node& node) {
  return node.id() == kSourceNodeId || node.name() == "_SOURCE" || node.name() == "_SINK";
}

}  // namespace

Graph parse_regal_graph(const std::string& text, const std::string& source,
                        double link_bandwidth_gbps) {
  if (!(link_bandwidth_gbps > 0)) throw InputError(source + ": link bandwidth must be > 0");
  regal::CostGraphDef cost_graph;
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  parser.AllowUnknownField(true);  // newer TensorFlow fields are not costs we use
  if (!parser.ParseFromString(text, &cost_graph))
    throw InputError(source + ":" + (errors.first().empty() ? " cannot parse" : errors.first()));

  using Node = regal::CostGraphDef::Node;
  std::map<int, const Node*> node_of_id;
  std::set<int> dropped;
  for (const Node& node : cost_graph.node()) {
    if (!node_of_id.emplace(node.id(), &node).second)
      throw InputError(source + ": duplicate node id " + std::to_string(node.id()));
    if (is_bookkeeping(node)) dropped.insert(node.id());
  }
  // Which output ports of each node are consumed, and which nodes are control dependencies.
  std::map<int, std::set<int>> consumed_ports;
  std::set<int> control_sources;
  for (const Node& node : cost_graph.node()) {
    const std::string where = "node '" + node.name() + "' (id " + std::to_string(node.id()) + ")";
    for (const auto& input : node.input_info()) {
      auto producer = node_of_id.find(input.preceding_node());
      if (producer == node_of_id.end())
        throw InputError(source + ": " + where + ": input from unknown node id " +
                         std::to_string(input.preceding_node()));
      if (input.preceding_port() < 0)
        throw InputError(source + ": " + where + ": negative preceding_port");
      if (!dropped.count(input.preceding_node()) && !dropped.count(node.id()))
        consumed_ports[input.preceding_node()].insert(input.preceding_port());
    }
    for (int control : node.control_input()) {
      if (!node_of_id.count(control))
        throw InputError(source + ": " + where + ": control input from unknown node id " +
                         std::to_string(control));
      if (!dropped.count(control) && !dropped.count(node.id())) control_sources.insert(control);
    }
  }

  GraphBuilder builder(source, file_stem(source));
  std::set<std::string> used_names;
  for (const Node& node : cost_graph.node()) used_names.insert(node.name());
  std::set<std::string> taken;
  // Node index in the builder for (node id, port) and for a node's control pseudo-node.
  std::map<std::pair<int, int>, NodeId> port_node;
  std::map<int, NodeId> main_node, control_node;
  auto output_bytes = [](const Node& node, int port) -> double {
    if (port < node.output_info_size()) return static_cast<double>(node.output_info(port).size());
    return 0.0;  // unknown size: CostGraphDef sometimes omits output_info
  };
  for (const Node& node : cost_graph.node()) {
    if (dropped.count(node.id())) continue;
    const std::string where = "node '" + node.name() + "' (id " + std::to_string(node.id()) + ")";
    std::string id = node.name();
    if (id.empty() || taken.count(id)) id += "#" + std::to_string(node.id());
    if (taken.count(id)) throw InputError(source + ": " + where + ": cannot make its name unique");
    taken.insert(id);
    for (const auto& out : node.output_info())
      if (out.size() < 0) throw InputError(source + ": " + where + ": negative output size");
    if (node.compute_cost() < 0)
      throw InputError(source + ": " + where + ": negative compute_cost");

    const std::set<int>& ports = consumed_ports[node.id()];
    NodeSpec main;
    main.id = id;
    main.work = static_cast<double>(node.compute_cost()) / 1000.0;  // microseconds -> ms
    main.memory = static_cast<double>(node.persistent_memory_size());
    if (ports.size() <= 1) {
      // The usual case: the node stands for its one consumed port (port 0 if none is).
      const int port = ports.empty() ? 0 : *ports.begin();
      main.comm = transfer_ms(output_bytes(node, port), link_bandwidth_gbps);
      const NodeId main_index = builder.add_node(main);
      main_node[node.id()] = main_index;
      port_node[{node.id(), port}] = main_index;
    } else {
      // Several consumed ports (docs/formats.md, "Several output ports"): a zero-work node
      // "NAME:PORT" sends each port's tensor; the node's own comm is their sum, so parting a
      // port node from its producer never costs less than the real transfers.
      for (int port : ports)
        main.comm += transfer_ms(output_bytes(node, port), link_bandwidth_gbps);
      const NodeId main_index = builder.add_node(main);
      main_node[node.id()] = main_index;
      for (int port : ports) {
        NodeSpec port_spec;
        port_spec.id = id + ":" + std::to_string(port);
        if (used_names.count(port_spec.id) || taken.count(port_spec.id))
          port_spec.id += "#" + std::to_string(node.id());
        taken.insert(port_spec.id);
        port_spec.comm = transfer_ms(output_bytes(node, port), link_bandwidth_gbps);
        port_spec.op = "output_port";
        const NodeId port_index = builder.add_node(port_spec);
        builder.add_edge(main_index, port_index);
        port_node[{node.id(), port}] = port_index;
      }
    }
    const NodeId main_index = main_node.at(node.id());
    // A control dependency orders two nodes but moves no tensor. Routing it through a node with
    // zero work and zero comm keeps the order and costs nothing once that node sits in the
    // producer's stage (which an optimum may always assume).
    if (control_sources.count(node.id())) {
      NodeSpec control;
      control.id = id + "^ctrl";
      if (used_names.count(control.id) || taken.count(control.id))
        control.id += "#" + std::to_string(node.id());
      taken.insert(control.id);
      control.op = "control";
      const NodeId control_index = builder.add_node(control);
      builder.add_edge(main_index, control_index);
      control_node[node.id()] = control_index;
    }
  }
  for (const Node& node : cost_graph.node()) {
    if (dropped.count(node.id())) continue;
    const NodeId consumer = main_node.at(node.id());
    for (const auto& input : node.input_info()) {
      if (dropped.count(input.preceding_node())) continue;
      builder.add_edge(port_node.at({input.preceding_node(), input.preceding_port()}), consumer);
    }
    for (int control : node.control_input())
      if (!dropped.count(control)) builder.add_edge(control_node.at(control), consumer);
  }
  return std::move(builder).build();
}

}  // namespace pipecut
