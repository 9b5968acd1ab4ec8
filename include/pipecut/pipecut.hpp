#pragma once
// pipecut: pipeline partitioning of DNN operator graphs with certified lower bounds.
// Include this header and link pipecut::pipecut; see pipecut/solve/api.hpp for the entry points
// and README.md ("C++") for an example. The one header that may include every module (README
// "Layout"): the front door of each.
#include "pipecut/experiment/runner.hpp"
#include "pipecut/gen/synthetic.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/onnx/onnx_split.hpp"
#include "pipecut/report/html_report.hpp"
#include "pipecut/solve/api.hpp"
// Training pipelines (docs/training.md): a synthesised backward pass for inference graphs.
#include "pipecut/model/backward_pass.hpp"
// Heterogeneous clusters (docs/clusters.md): the cluster file, costs on it, and solving on it.
#include "pipecut/io/cluster_json.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/solve/cluster_solve.hpp"
// LLM serving plans (docs/llm.md): a config.json on a cluster, and the engines' split strings.
#include "pipecut/llm/engine_splits.hpp"
#include "pipecut/llm/llm_plan.hpp"
