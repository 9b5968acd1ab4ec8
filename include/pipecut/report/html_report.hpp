#pragma once
// The partition report: one self-contained HTML page (inline SVG, CSS and a small script; no
// network access, no external fonts or scripts) showing a partition's summary and certificate,
// stage costs and memory, the pipeline timeline, the operator graph coloured by stage with its
// cut tensors, and the stage and boundary-tensor tables. The page also embeds all of its data
// as one `<script type="application/json" id="pipecut-report-data">` block (format
// "pipecut.report" v1) so that other tools can read it back. Contents and schema:
// docs/report.md. Units: times as in the graph (ms), memory in bytes.
#include <optional>
#include <string>

#include "pipecut/io/partition_json.hpp"
#include "pipecut/io/pipeline_bench.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/report/report_layout.hpp"

namespace pipecut {

struct HtmlReportOptions {
  GraphViewOptions graph_view;
  // Shown in the page header when not empty (file names of the inputs, as the user gave them).
  std::string graph_file;
  std::string partition_file;
  // A pipecut.bench document of this partition's stages (pipecut bench): adds the "Predicted
  // against measured" section and the `measured` data; `measured_file` names it on the page.
  std::optional<BenchResult> measured;
  std::string measured_file;
};

// The whole page. `s.evaluation` must be the evaluation of `s.partition` on `g` (evaluate() in
// solve/api.hpp, or evaluate_partition); either form works, the page draws the non-empty
// stages. `s.lower_bound_method` empty means the partition carries no bound. Deterministic: the
// same inputs give the same bytes. Throws InputError if the partition is invalid for `g`, or if
// `options.measured` was measured on another partition (another k, other non-empty stages, or
// other operator counts).
std::string html_report(const Graph& g, const Solution& s, const HtmlReportOptions& options = {});

}  // namespace pipecut
