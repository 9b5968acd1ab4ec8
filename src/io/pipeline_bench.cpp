// pipecut.bench v1 and reading pipecut.pipeline back (docs/formats.md).
#include "pipecut/io/pipeline_bench.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "io/json_util.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr int kIntMax = std::numeric_limits<int>::max();

const json& member(const json& object, const char* key, const std::string& source,
                   const std::string& where) {
  if (!object.is_object() || !object.contains(key))
    throw InputError(source + ": " + where + " has no \"" + key + "\"");
  return object.at(key);
}

std::string string_member(const json& object, const char* key, const std::string& source,
                          const std::string& where) {
  const json& v = member(object, key, source, where);
  if (!v.is_string())
    throw InputError(source + ": " + where + ": \"" + key + "\" must be a string");
  return v.get<std::string>();
}

int int_member(const json& object, const char* key, const std::string& source,
               const std::string& where, int min = 0) {
  return static_cast<int>(json_integer(member(object, key, source, where), min, kIntMax, source,
                                       where + " \"" + key + "\""));
}

// An optional string or boolean field: missing or null reads as empty / false; any other type
// is an InputError (nlohmann's value() would throw its own type_error, an internal error).
std::string optional_text(const json& object, const char* key, const std::string& source,
                          const std::string& where) {
  if (!object.is_object() || !object.contains(key) || object.at(key).is_null()) return {};
  if (!object.at(key).is_string())
    throw InputError(source + ": " + where + ": \"" + key + "\" must be a string");
  return object.at(key).get<std::string>();
}

bool optional_flag(const json& object, const char* key, const std::string& source,
                   const std::string& where) {
  if (!object.is_object() || !object.contains(key) || object.at(key).is_null()) return false;
  if (!object.at(key).is_boolean())
    throw InputError(source + ": " + where + ": \"" + key + "\" must be true or false");
  return object.at(key).get<bool>();
}

// A finite number >= 0.
double time_member(const json& object, const char* key, const std::string& source,
                   const std::string& where, bool required = true) {
  const double v = json_number(object, key, source, where, required);
  if (!std::isfinite(v) || v < 0)
    throw InputError(source + ": " + where + ": \"" + key + "\" must be a finite number >= 0");
  return v;
}

PipelineTensor read_tensor(const json& j, const std::string& source, const std::string& where) {
  PipelineTensor t;
  t.name = string_member(j, "name", source, where);
  t.dtype = string_member(j, "dtype", source, where);
  const json& shape = member(j, "shape", source, where);
  if (shape.is_array()) {
    std::vector<TensorDim> dims;
    for (const json& d : shape) {
      TensorDim dim;
      if (d.is_number_integer())
        dim.value = d.get<std::int64_t>();
      else if (d.is_string())
        dim.param = d.get<std::string>();
      else if (!d.is_null())
        throw InputError(source + ": " + where + ": a shape holds numbers, strings and nulls");
      dims.push_back(std::move(dim));
    }
    t.shape = std::move(dims);
  } else if (!shape.is_null()) {
    throw InputError(source + ": " + where + ": \"shape\" must be a list or null");
  }
  return t;
}

StageCost read_stage_cost(const json& j, const std::string& source, const std::string& where) {
  StageCost c;
  c.work = time_member(j, "work", source, where);
  c.comm_in = time_member(j, "comm_in", source, where);
  c.comm_out = time_member(j, "comm_out", source, where);
  c.cost = time_member(j, "cost", source, where);
  return c;
}

TimeSpread read_spread(const json& j, const std::string& source, const std::string& where) {
  if (!j.is_object()) throw InputError(source + ": " + where + " must be an object");
  TimeSpread s;
  s.median = time_member(j, "median", source, where);
  s.p10 = time_member(j, "p10", source, where);
  s.p90 = time_member(j, "p90", source, where);
  s.mad = time_member(j, "mad", source, where);
  s.mean = time_member(j, "mean", source, where);
  s.min = time_member(j, "min", source, where);
  s.max = time_member(j, "max", source, where);
  if (!(s.min <= s.p10 && s.p10 <= s.median && s.median <= s.p90 && s.p90 <= s.max))
    throw InputError(source + ": " + where + ": min <= p10 <= median <= p90 <= max does not hold");
  return s;
}

ordered_json spread_json(const TimeSpread& s) {
  return {{"median", s.median}, {"p10", s.p10}, {"p90", s.p90}, {"mad", s.mad},
          {"mean", s.mean},     {"min", s.min}, {"max", s.max}};
}

double relative_error(double predicted, double measured) {
  return measured > 0 ? predicted / measured - 1.0 : 0.0;
}

}  // namespace

PipelineManifest read_pipeline_manifest(const std::string& dir) {
  const std::string path = (fs::path(dir) / "pipeline.json").string();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir + ": not a folder");
  if (!fs::exists(path, ec))
    throw InputError(dir +
                     ": not a pipeline folder (no pipeline.json; write one with pipecut "
                     "split or solve --export-onnx)");
  const json doc = parse_json_document(read_file_maybe_gzip(path), path);
  if (!doc.is_object() || doc.value("format", json()) != "pipecut.pipeline")
    throw InputError(path + ": not a pipecut.pipeline document");
  if (doc.value("version", json()) != 1)
    throw InputError(path + ": unsupported pipecut.pipeline version (this build reads 1)");
  PipelineManifest m;
  m.model = string_member(doc, "model", path, "the manifest");
  const json& partition = member(doc, "partition", path, "the manifest");
  m.k = int_member(partition, "k", path, "\"partition\"", 1);
  m.bottleneck = time_member(partition, "bottleneck", path, "\"partition\"");
  m.lower_bound = time_member(partition, "lower_bound", path, "\"partition\"", false);
  if (partition.contains("lower_bound_method") && partition["lower_bound_method"].is_string())
    m.lower_bound_method = partition["lower_bound_method"].get<std::string>();
  for (const char* list : {"inputs", "outputs"}) {
    const json& tensors = member(doc, list, path, "the manifest");
    if (!tensors.is_array()) throw InputError(path + ": \"" + list + "\" must be a list");
    for (const json& t : tensors)
      (std::string(list) == "inputs" ? m.inputs : m.outputs)
          .push_back(read_tensor(t, path,
                                 std::string("a model ") + (list[0] == 'i' ? "input" : "output")));
  }
  const json& stages = member(doc, "stages", path, "the manifest");
  if (!stages.is_array() || stages.empty())
    throw InputError(path + ": \"stages\" must be a non-empty list");
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const json& s = stages[i];
    const std::string where = "stage " + std::to_string(i);
    PipelineStage st;
    st.stage = int_member(s, "stage", path, where);
    if (st.stage != static_cast<int>(i))
      throw InputError(path + ": " + where + " has \"stage\" " + std::to_string(st.stage) +
                       " (stages are listed in pipeline order from 0)");
    st.partition_stage = int_member(s, "partition_stage", path, where);
    if (st.partition_stage >= m.k)
      throw InputError(path + ": " + where + ": partition_stage is not below k");
    st.file = string_member(s, "file", path, where);
    // Stage files live in the folder itself: a name with a folder in it is not ours.
    if (st.file.empty() || st.file.find('/') != std::string::npos || st.file == "." ||
        st.file == "..")
      throw InputError(path + ": " + where + ": \"file\" must be a file name in the folder");
    for (const json& in : member(s, "inputs", path, where)) {
      StageInput t;
      static_cast<PipelineTensor&>(t) = read_tensor(in, path, where + " input");
      const json& from = member(in, "from", path, where + " input '" + t.name + "'");
      if (from.is_string() && from == "input")
        t.from_stage = -1;
      else
        t.from_stage = static_cast<int>(
            json_integer(from, 0, st.stage - 1, path, where + " input '" + t.name + "' \"from\""));
      st.inputs.push_back(std::move(t));
    }
    for (const json& out : member(s, "outputs", path, where)) {
      StageOutput t;
      static_cast<PipelineTensor&>(t) = read_tensor(out, path, where + " output");
      const json& to = member(out, "to", path, where + " output '" + t.name + "'");
      if (!to.is_array()) throw InputError(path + ": " + where + ": \"to\" must be a list");
      for (const json& r : to)
        t.to_stages.push_back(static_cast<int>(json_integer(
            r, st.stage + 1, kIntMax, path, where + " output '" + t.name + "' \"to\"")));
      t.model_output = optional_flag(out, "model_output", path, where + " output '" + t.name + "'");
      st.outputs.push_back(std::move(t));
    }
    const json& ops = member(s, "operators", path, where);
    if (!ops.is_array()) throw InputError(path + ": " + where + ": \"operators\" must be a list");
    for (const json& op : ops) {
      if (!op.is_string()) throw InputError(path + ": " + where + ": operators are strings");
      st.operators.push_back(op.get<std::string>());
    }
    st.folded_operators =
        s.contains("folded_operators") ? int_member(s, "folded_operators", path, where) : 0;
    st.parameter_bytes = time_member(s, "parameter_bytes", path, where, false);
    st.predicted =
        read_stage_cost(member(s, "predicted", path, where), path, where + " \"predicted\"");
    st.predicted.stage = st.partition_stage;
    m.stages.push_back(std::move(st));
  }
  for (std::size_t i = 1; i < m.stages.size(); ++i)
    if (m.stages[i].partition_stage <= m.stages[i - 1].partition_stage)
      throw InputError(path + ": partition stages must increase along the pipeline");
  return m;
}

Partition manifest_partition(const PipelineManifest& m, const Graph& g,
                             const std::vector<NodeId>& port_owner, const std::string& source) {
  Partition p;
  p.k = m.k;
  p.stage_of.assign(g.num_nodes(), -1);
  for (const PipelineStage& s : m.stages)
    for (const std::string& op : s.operators) {
      const auto v = g.find(op);
      if (!v)
        throw InputError(source + ": operator '" + op + "' of " + s.file +
                         " is not in the model; was the pipeline split from another model?");
      p.stage_of[*v] = s.partition_stage;
    }
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    if (p.stage_of[v] >= 0) continue;
    const NodeId owner = v < static_cast<NodeId>(port_owner.size()) ? port_owner[v] : -1;
    if (owner < 0 || p.stage_of[owner] < 0)
      throw InputError(source + ": operator '" + g.ids[v] +
                       "' of the model is in no stage; was the pipeline split from another "
                       "model?");
    p.stage_of[v] = p.stage_of[owner];
  }
  if (auto problem = partition_problem(g, p))
    throw InputError(source + ": the stages do not form a pipeline of the model: " + *problem);
  return p;
}

void finish_bench(BenchResult& r) {
  r.predicted_bottleneck_ms = r.measured_bottleneck_ms = 0;
  r.predicted_bottleneck_stage = r.measured_bottleneck_stage = 0;
  for (BenchStage& s : r.stages) {
    s.measured_ms = s.run_ms.median + s.copy_in_ms + s.copy_out_ms;
    s.error = relative_error(s.predicted.cost, s.measured_ms);
    if (s.predicted.cost > r.predicted_bottleneck_ms) {
      r.predicted_bottleneck_ms = s.predicted.cost;
      r.predicted_bottleneck_stage = s.stage;
    }
    if (s.measured_ms > r.measured_bottleneck_ms) {
      r.measured_bottleneck_ms = s.measured_ms;
      r.measured_bottleneck_stage = s.stage;
    }
  }
  r.bottleneck_error = relative_error(r.predicted_bottleneck_ms, r.measured_bottleneck_ms);
  if (r.pipelined) {
    BenchPipelined& p = *r.pipelined;
    p.predicted_throughput_per_s =
        r.predicted_bottleneck_ms > 0 ? 1000.0 / r.predicted_bottleneck_ms : 0.0;
    p.error = relative_error(p.predicted_throughput_per_s, p.throughput_per_s);
    for (BenchPipelinedStage& ps : p.stages)
      for (const BenchStage& s : r.stages)
        if (s.stage == ps.stage)
          ps.predicted_busy_fraction =
              r.predicted_bottleneck_ms > 0 ? s.predicted.cost / r.predicted_bottleneck_ms : 0.0;
  }
}

namespace {

BenchPipelined read_pipelined(const json& j, const std::string& source,
                              const std::vector<BenchStage>& stages) {
  const std::string where = "\"pipelined\"";
  if (!j.is_object()) throw InputError(source + ": " + where + " must be an object");
  BenchPipelined p;
  p.microbatches = int_member(j, "microbatches", source, where, 1);
  p.skipped_microbatches = int_member(j, "skipped_microbatches", source, where);
  p.steady_microbatches = int_member(j, "steady_microbatches", source, where, 1);
  if (p.skipped_microbatches + p.steady_microbatches >= p.microbatches + 1)
    throw InputError(source + ": " + where + ": more microbatches measured than streamed");
  p.window_ms = time_member(j, "window_ms", source, where);
  p.throughput_per_s = time_member(j, "throughput_per_s", source, where);
  p.period_ms = time_member(j, "period_ms", source, where);
  p.pinned = optional_flag(j, "pinned", source, where);
  const json& list = member(j, "stages", source, where);
  if (!list.is_array() || list.size() != stages.size())
    throw InputError(source + ": " + where + ": one entry per stage expected in \"stages\"");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string w = where + " stage " + std::to_string(i);
    BenchPipelinedStage s;
    s.stage = int_member(list[i], "stage", source, w);
    if (s.stage != stages[i].stage)
      throw InputError(source + ": " + w + ": stages must be listed in pipeline order");
    s.busy_fraction = time_member(list[i], "busy_fraction", source, w);
    if (s.busy_fraction > 1) throw InputError(source + ": " + w + ": busy_fraction above 1");
    s.run_ms = read_spread(member(list[i], "run_ms", source, w), source, w + " \"run_ms\"");
    const json& cpu = list[i].value("cpu", json());
    s.cpu = cpu.is_number_integer()
                ? static_cast<int>(json_integer(cpu, 0, kIntMax, source, w + " \"cpu\""))
                : -1;
    p.stages.push_back(s);
  }
  return p;
}

BenchStage read_measured_stage(const json& j, const std::string& source, const std::string& where) {
  BenchStage s;
  s.run_ms = read_spread(member(j, "run_ms", source, where), source, where + " \"run_ms\"");
  s.copy_in_ms = time_member(j, "copy_in_ms", source, where);
  s.copy_out_ms = time_member(j, "copy_out_ms", source, where);
  s.bytes_in = time_member(j, "bytes_in", source, where);
  s.bytes_out = time_member(j, "bytes_out", source, where);
  s.tensors_in = int_member(j, "tensors_in", source, where);
  s.tensors_out = int_member(j, "tensors_out", source, where);
  s.load_ms = time_member(j, "load_ms", source, where, false);
  return s;
}

}  // namespace

BenchResult bench_from_measurements(const PipelineManifest& m,
                                    const std::vector<StageCost>& predicted,
                                    const std::string& measurements_json,
                                    const std::string& source) {
  const json doc = parse_json_document(measurements_json, source);
  if (!doc.is_object() || !doc.contains("stages") || !doc["stages"].is_array())
    throw InputError(source + ": not the output of tools/bench_pipeline.mjs");
  const json& stages = doc["stages"];
  if (stages.size() != m.stages.size() || predicted.size() != m.stages.size())
    throw InputError(source + ": " + std::to_string(stages.size()) + " stage(s) measured, " +
                     std::to_string(m.stages.size()) + " in the pipeline");
  BenchResult r;
  r.model = m.model;
  r.k = m.k;
  const std::string doc_where = "the measurements";
  r.runtime = "onnxruntime-node " + optional_text(doc, "onnxruntime", source, doc_where) +
              " (node " + optional_text(doc, "node", source, doc_where) + ")";
  r.cpu = optional_text(doc, "cpu", source, doc_where);
  r.cores = doc.contains("cores") ? int_member(doc, "cores", source, "the measurements") : 0;
  r.threads =
      doc.contains("threads") ? int_member(doc, "threads", source, "the measurements", 1) : 1;
  r.runs = int_member(doc, "runs", source, "the measurements", 1);
  r.warmup = int_member(doc, "warmup", source, "the measurements");
  r.seed = int_member(doc, "seed", source, "the measurements");
  r.optimizations = optional_text(doc, "optimizations", source, doc_where);
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const std::string where = "measured stage " + std::to_string(i);
    BenchStage s = read_measured_stage(stages[i], source, where);
    const PipelineStage& ms = m.stages[i];
    if (int_member(stages[i], "stage", source, where) != ms.stage)
      throw InputError(source + ": " + where + " is not stage " + std::to_string(ms.stage));
    s.stage = ms.stage;
    s.partition_stage = ms.partition_stage;
    s.file = ms.file;
    s.operators = static_cast<int>(ms.operators.size());
    s.predicted = predicted[i];
    s.predicted.nodes.clear();
    s.predicted.stage = ms.partition_stage;
    r.stages.push_back(std::move(s));
  }
  if (doc.contains("pipelined")) r.pipelined = read_pipelined(doc["pipelined"], source, r.stages);
  finish_bench(r);
  return r;
}

std::string bench_to_json(const BenchResult& r) {
  ordered_json doc;
  doc["format"] = "pipecut.bench";
  doc["version"] = 1;
  doc["pipeline"] = r.pipeline;
  doc["model"] = r.model;
  doc["k"] = r.k;
  doc["runtime"] = r.runtime;
  doc["prediction"] = {
      {"source", r.prediction_source},
      {"device", r.device.empty() ? ordered_json(nullptr) : ordered_json(r.device)},
      {"profile", r.profile.empty() ? ordered_json(nullptr) : ordered_json(r.profile)}};
  doc["machine"] = {{"cpu", r.cpu}, {"cores", r.cores}, {"load_average", r.load_average}};
  doc["threads"] = r.threads;
  doc["runs"] = r.runs;
  doc["warmup"] = r.warmup;
  doc["seed"] = r.seed;
  doc["optimizations"] =
      r.optimizations.empty() ? ordered_json(nullptr) : ordered_json(r.optimizations);
  ordered_json stages = ordered_json::array();
  for (const BenchStage& s : r.stages) {
    ordered_json st;
    st["stage"] = s.stage;
    st["partition_stage"] = s.partition_stage;
    st["file"] = s.file;
    st["operators"] = s.operators;
    st["predicted_ms"] = s.predicted.cost;
    st["measured_ms"] = s.measured_ms;
    st["error"] = s.error;
    st["predicted"] = {{"work", s.predicted.work},
                       {"comm_in", s.predicted.comm_in},
                       {"comm_out", s.predicted.comm_out},
                       {"cost", s.predicted.cost}};
    st["run_ms"] = spread_json(s.run_ms);
    st["copy_in_ms"] = s.copy_in_ms;
    st["copy_out_ms"] = s.copy_out_ms;
    st["bytes_in"] = s.bytes_in;
    st["bytes_out"] = s.bytes_out;
    st["tensors_in"] = s.tensors_in;
    st["tensors_out"] = s.tensors_out;
    st["load_ms"] = s.load_ms;
    stages.push_back(std::move(st));
  }
  doc["stages"] = std::move(stages);
  doc["bottleneck"] = {{"predicted_ms", r.predicted_bottleneck_ms},
                       {"predicted_stage", r.predicted_bottleneck_stage},
                       {"measured_ms", r.measured_bottleneck_ms},
                       {"measured_stage", r.measured_bottleneck_stage},
                       {"error", r.bottleneck_error}};
  if (r.pipelined) {
    const BenchPipelined& p = *r.pipelined;
    ordered_json pj;
    pj["throughput_per_s"] = p.throughput_per_s;
    pj["predicted_throughput_per_s"] = p.predicted_throughput_per_s;
    pj["error"] = p.error;
    pj["period_ms"] = p.period_ms;
    pj["microbatches"] = p.microbatches;
    pj["skipped_microbatches"] = p.skipped_microbatches;
    pj["steady_microbatches"] = p.steady_microbatches;
    pj["window_ms"] = p.window_ms;
    pj["pinned"] = p.pinned;
    ordered_json list = ordered_json::array();
    for (const BenchPipelinedStage& s : p.stages)
      list.push_back({{"stage", s.stage},
                      {"busy_fraction", s.busy_fraction},
                      {"predicted_busy_fraction", s.predicted_busy_fraction},
                      {"run_ms", spread_json(s.run_ms)},
                      {"cpu", s.cpu >= 0 ? ordered_json(s.cpu) : ordered_json(nullptr)}});
    pj["stages"] = std::move(list);
    doc["pipelined"] = std::move(pj);
  }
  return doc.dump(2) + "\n";
}

BenchResult parse_bench(const std::string& text, const std::string& source) {
  const json doc = parse_json_document(text, source);
  if (!doc.is_object() || doc.value("format", json()) != "pipecut.bench")
    throw InputError(source +
                     ": not a pipecut.bench document (write one with pipecut bench "
                     "--json or -o)");
  if (doc.value("version", json()) != 1)
    throw InputError(source + ": unsupported pipecut.bench version (this build reads 1)");
  BenchResult r;
  const std::string doc_where = "the document";
  r.pipeline = optional_text(doc, "pipeline", source, doc_where);
  r.model = optional_text(doc, "model", source, doc_where);
  r.k = int_member(doc, "k", source, "the document", 1);
  r.runtime = optional_text(doc, "runtime", source, doc_where);
  if (doc.contains("prediction") && doc["prediction"].is_object()) {
    const json& p = doc["prediction"];
    r.prediction_source = optional_text(p, "source", source, "\"prediction\"");
    r.device = optional_text(p, "device", source, "\"prediction\"");
    r.profile = optional_text(p, "profile", source, "\"prediction\"");
  }
  if (doc.contains("machine") && doc["machine"].is_object()) {
    const json& mj = doc["machine"];
    r.cpu = optional_text(mj, "cpu", source, "\"machine\"");
    if (mj.contains("cores")) r.cores = int_member(mj, "cores", source, "\"machine\"");
    r.load_average = time_member(mj, "load_average", source, "\"machine\"", false);
  }
  r.threads = doc.contains("threads") ? int_member(doc, "threads", source, "the document", 1) : 1;
  r.runs = int_member(doc, "runs", source, "the document", 1);
  r.warmup = int_member(doc, "warmup", source, "the document");
  r.seed = doc.contains("seed") ? int_member(doc, "seed", source, "the document") : 0;
  r.optimizations = optional_text(doc, "optimizations", source, doc_where);
  const json& stages = member(doc, "stages", source, "the document");
  if (!stages.is_array() || stages.empty())
    throw InputError(source + ": \"stages\" must be a non-empty list");
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const std::string where = "stage " + std::to_string(i);
    BenchStage s = read_measured_stage(stages[i], source, where);
    s.stage = int_member(stages[i], "stage", source, where);
    if (s.stage != static_cast<int>(i))
      throw InputError(source + ": " + where + ": stages must be listed in pipeline order from 0");
    s.partition_stage = int_member(stages[i], "partition_stage", source, where);
    if (s.partition_stage >= r.k || (i > 0 && s.partition_stage <= r.stages.back().partition_stage))
      throw InputError(source + ": " + where + ": partition stages must increase and be below k");
    s.file = string_member(stages[i], "file", source, where);
    s.operators = int_member(stages[i], "operators", source, where);
    s.predicted = read_stage_cost(member(stages[i], "predicted", source, where), source,
                                  where + " \"predicted\"");
    s.predicted.stage = s.partition_stage;
    r.stages.push_back(std::move(s));
  }
  if (doc.contains("pipelined") && !doc["pipelined"].is_null())
    r.pipelined = read_pipelined(doc["pipelined"], source, r.stages);
  finish_bench(r);
  return r;
}

BenchResult read_bench(const std::string& path) {
  return parse_bench(read_file_maybe_gzip(path), path);
}

}  // namespace pipecut
