// The HTML partition report: reading a whole partition file, the page's embedded data against
// the reference evaluator, well-formedness and self-containment (checked by
// tests/support/check_report_html.py, which is itself tested on a bad page), escaping, and the
// `report` command and `solve --report`.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "pipecut/gen/synthetic.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/report/html_report.hpp"
#include "pipecut/solve/api.hpp"
#include "support/oracle.hpp"
#include "support/report_test_util.hpp"
#include "support/run_cli.hpp"

namespace pipecut {
namespace {

using nlohmann::json;
using testing::node;
using testing::run_cli;

const std::string kBert = testing::data_path("samples/pipecut/bert_l-3_inference.json");
const std::vector<std::string> kCharts = {"stage-chart", "memory-chart", "timeline-chart",
                                          "graph-view"};

// A Solution as partition/solve return it (compact evaluation), with a made-up valid bound.
Solution report_of(const Graph& g, const Partition& p) {
  Solution r;
  r.graph_name = g.name;
  r.k = p.k;
  r.partition = p;
  r.evaluation = evaluate(g, p);
  r.lower_bound = g.total_work() / p.k * 0.5;
  r.lower_bound_method = "simple";
  r.algorithm = "slice-default-order";
  r.seed = 7;
  r.seconds = 0.25;
  return r;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The page's data against the reference evaluator (every stage listed) and layout: the page
// lists the non-empty stages.
void expect_data_matches(const Graph& g, const Solution& r, const std::string& page) {
  const json data = testing::report_data_of(page);
  ASSERT_EQ(data["format"], "pipecut.report");
  EXPECT_EQ(data["version"], 1);
  const Evaluation e = evaluate_partition(g, r.partition);
  EXPECT_EQ(data["partition"]["k"], r.partition.k);
  EXPECT_DOUBLE_EQ(data["partition"]["bottleneck"].get<double>(), e.bottleneck);
  EXPECT_EQ(data["partition"]["bottleneck_stage"], e.bottleneck_stage);
  EXPECT_EQ(data["partition"]["stages_used"], e.stages_used);
  const std::vector<double> memory = resident_memory(g, e);
  std::size_t listed = 0;
  for (int b = 0; b < r.partition.k; ++b) {
    if (e.stages[b].nodes.empty()) continue;
    ASSERT_LT(listed, data["stages"].size());
    const json& s = data["stages"][listed++];
    EXPECT_EQ(s["stage"], b);
    EXPECT_EQ(s["operators"], e.stages[b].nodes.size());
    EXPECT_DOUBLE_EQ(s["work"].get<double>(), e.stages[b].work);
    EXPECT_DOUBLE_EQ(s["comm_in"].get<double>(), e.stages[b].comm_in);
    EXPECT_DOUBLE_EQ(s["comm_out"].get<double>(), e.stages[b].comm_out);
    EXPECT_DOUBLE_EQ(s["cost"].get<double>(), e.stages[b].cost);
    EXPECT_DOUBLE_EQ(s["memory"].get<double>(), memory[b]);
  }
  EXPECT_EQ(listed, data["stages"].size());
  const std::vector<BoundaryTensor> cut = boundary_tensors(g, r.partition);
  ASSERT_EQ(data["boundary_tensors"].size(), cut.size());
  for (std::size_t i = 0; i < cut.size(); ++i) {
    const json& t = data["boundary_tensors"][i];
    EXPECT_EQ(t["producer"], g.ids[cut[i].producer]);
    EXPECT_EQ(t["from_stage"], cut[i].from_stage);
    EXPECT_EQ(t["to_stages"].get<std::vector<int>>(), cut[i].to_stages);
    EXPECT_DOUBLE_EQ(t["comm"].get<double>(), cut[i].comm);
  }
  ASSERT_EQ(data["nodes"].size(), static_cast<std::size_t>(g.num_nodes()));
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    EXPECT_EQ(data["nodes"][v]["id"], g.ids[v]);
    EXPECT_EQ(data["nodes"][v]["stage"], r.partition.stage_of[v]);
  }
  EXPECT_EQ(data["graph_view"]["items"].size(), layout_graph_view(g, r.partition).items.size());
  EXPECT_DOUBLE_EQ(data["timeline"]["period"].get<double>(), e.bottleneck);
}

TEST(HtmlReport, BertPageCarriesTheEvaluatedDataAndPassesTheChecker) {
  const Graph g = read_graph(kBert);
  const Solution r = report_of(g, slice_default_order(g, 4).partition);
  const std::string page = html_report(g, r);
  expect_data_matches(g, r, page);
  EXPECT_NE(page.find("<title>pipecut report: bert_l-3_inference, k = 4</title>"),
            std::string::npos);
  EXPECT_NE(page.find(testing::exact_number(r.evaluation.bottleneck) + " ms"), std::string::npos);
  EXPECT_EQ(page, html_report(g, r)) << "the page must be deterministic";

  const testing::TempDir tmp;
  write_text(tmp.path("r.html"), page);
  const testing::CommandRun check = testing::check_report_html(tmp.path("r.html"), kCharts);
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

TEST(HtmlReport, CheckerRejectsOutsideResourcesAndBrokenNesting) {
  // The checker must be able to fail: each of these pages has one defect it must name.
  const std::string head = "<!DOCTYPE html><html><head><title>t</title>";
  const std::string data =
      "<script type=\"application/json\" id=\"pipecut-report-data\">{\"format\": "
      "\"pipecut.report\"}</script>";
  const std::string svg = "<svg id=\"stage-chart\"></svg>";
  const std::pair<std::string, std::string> bad[] = {
      {head + "</head><body>" + svg + "<img src=\"https://example.org/a.png\"/>" + data +
           "</body></html>",
       "outside resource"},
      {head + "<link rel=\"stylesheet\" href=\"http://example.org/s.css\"/></head><body>" + svg +
           data + "</body></html>",
       "outside resource"},
      {head + "<style>@import 'https://example.org/s.css';</style></head><body>" + svg + data +
           "</body></html>",
       "CSS references"},
      {head + "</head><body>" + svg + "<div style=\"background:url(http://x.org/i.png)\"></div>" +
           data + "</body></html>",
       "CSS references"},
      {head + "</head><body>" + svg + "<script src=\"https://x.org/x.js\"></script>" + data +
           "</body></html>",
       "outside script"},
      {head + "</head><body>" + svg + "<div><p>x</div></p>" + data + "</body></html>", "closes"},
      {head + "</head><body>" + svg + "</body></html>", "JSON data blocks"},
      {head + "</head><body>" + data + "</body></html>", "no <svg id='stage-chart'>"},
  };
  const testing::TempDir tmp;
  for (const auto& [page, expected] : bad) {
    write_text(tmp.path("bad.html"), page);
    const testing::CommandRun r = testing::check_report_html(tmp.path("bad.html"), {"stage-chart"});
    EXPECT_EQ(r.exit_code, 1) << page;
    EXPECT_NE(r.out.find(expected), std::string::npos) << r.out;
  }
  // A namespace declaration is not a resource.
  write_text(tmp.path("ok.html"), head +
                                      "</head><body><svg id=\"stage-chart\" "
                                      "xmlns=\"http://www.w3.org/2000/svg\"></svg>" +
                                      data + "</body></html>");
  const testing::CommandRun ok = testing::check_report_html(tmp.path("ok.html"), {"stage-chart"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
}

TEST(HtmlReport, HostileIdsAreEscapedInTheMarkupAndRoundTripInTheData) {
  const std::string evil = "</script><b>&amp;\"'<!--";
  GraphBuilder b("evil.json", "model </title> & co");
  NodeSpec a = node(evil, 1, 2);
  a.op = "<Conv>";
  b.add_node(a);
  b.add_node(node("plain", 3, 1));
  b.add_edge(NodeId{0}, NodeId{1});
  const Graph g = std::move(b).build();
  const Solution r = report_of(g, Partition{2, {0, 1}});
  const std::string page = html_report(g, r);
  EXPECT_EQ(page.find("</script><b>"), std::string::npos);
  const json data = testing::report_data_of(page);
  EXPECT_EQ(data["nodes"][0]["id"], evil);
  EXPECT_EQ(data["graph"]["name"], "model </title> & co");
  EXPECT_EQ(data["boundary_tensors"][0]["op"], "<Conv>");
  const testing::TempDir tmp;
  write_text(tmp.path("r.html"), page);
  const testing::CommandRun check = testing::check_report_html(
      tmp.path("r.html"), {"stage-chart", "timeline-chart", "graph-view"});  // no memory figures
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

TEST(HtmlReport, PartitionWithoutBoundAndGraphWithZeroCosts) {
  const Graph g = [] {
    GraphBuilder b("zero.json", "zero");
    b.add_node(node("a", 0, 0));
    b.add_node(node("b", 0, 0));
    b.add_edge(NodeId{0}, NodeId{1});
    return std::move(b).build();
  }();
  Solution r = report_of(g, Partition{3, {0, 2}});
  r.lower_bound = 0;
  r.lower_bound_method.clear();
  r.algorithm.clear();
  const std::string page = html_report(g, r);
  const json data = testing::report_data_of(page);
  EXPECT_TRUE(data["partition"]["lower_bound"].is_null());
  EXPECT_TRUE(data["partition"]["ratio"].is_null());
  EXPECT_TRUE(data["timeline"]["boxes"].empty());
  EXPECT_NE(page.find("carries no lower bound"), std::string::npos);
  EXPECT_NE(page.find("no memory figures"), std::string::npos);
  const testing::TempDir tmp;
  write_text(tmp.path("r.html"), page);
  const testing::CommandRun check =
      testing::check_report_html(tmp.path("r.html"), {"stage-chart", "graph-view"});
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

TEST(HtmlReport, ConstraintsOfTheGraphAreShownAndChecked) {
  // The Tarnawski BERT-3 input carries a memory capacity and colour classes.
  const Graph g = read_graph(testing::data_path("samples/tarnawski/bert_l-3_inference.json"));
  ASSERT_TRUE(g.memory_per_stage.has_value());
  const Solution r = report_of(g, slice_default_order(g, 3).partition);
  const std::string page = html_report(g, r);
  const json data = testing::report_data_of(page);
  EXPECT_DOUBLE_EQ(data["graph"]["memory_per_stage"].get<double>(), *g.memory_per_stage);
  const ColocationCheck c = check_colocation(g, r.partition);
  EXPECT_GT(c.classes, 0);
  EXPECT_EQ(data["graph"]["colocation_classes"], c.classes);
  EXPECT_EQ(data["partition"]["colocation_split"], c.split);
  EXPECT_NE(page.find("memory capacity"), std::string::npos);
  EXPECT_NE(page.find("colocation groups"), std::string::npos);
  EXPECT_NE(page.find("capacity "), std::string::npos);  // the capacity line of the chart
}

TEST(HtmlReport, TwoThousandOperatorsAreDrawnAsChainRunsInFixedWidthRows) {
  SyntheticGraphOptions o;
  o.nodes = 2000;
  const Graph g = generate_synthetic_graph(o, "synthetic-2000");
  const Solution r = report_of(g, slice_default_order(g, 16).partition);
  const GraphView view = layout_graph_view(g, r.partition);
  EXPECT_TRUE(view.aggregated);
  EXPECT_LT(view.items.size() * 2, static_cast<std::size_t>(g.num_nodes()))
      << "chain runs should at least halve the boxes of a DNN-shaped graph";
  const std::string page = html_report(g, r);
  expect_data_matches(g, r, page);
  // The drawing's width does not grow with the graph: rows of levels_per_row levels.
  const std::string width_attr = "<svg id=\"graph-view\" width=\"";
  const std::size_t at = page.find(width_attr);
  ASSERT_NE(at, std::string::npos);
  EXPECT_LE(std::stod(page.substr(at + width_attr.size(), 10)), 1400.0);
  const testing::TempDir tmp;
  write_text(tmp.path("r.html"), page);
  const testing::CommandRun check = testing::check_report_html(tmp.path("r.html"), kCharts);
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

TEST(HtmlReport, TorchvisionModelPage) {
  const Graph g = read_graph(testing::data_path("corpus/torchvision/resnet50.onnx"));
  const Solution r = report_of(g, slice_default_order(g, 8).partition);
  const std::string page = html_report(g, r);
  expect_data_matches(g, r, page);
  EXPECT_NE(page.find("Conv"), std::string::npos);  // op types reach the hover texts
  const testing::TempDir tmp;
  write_text(tmp.path("r.html"), page);
  const testing::CommandRun check = testing::check_report_html(tmp.path("r.html"), kCharts);
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

// ---------------------------------------------------------------- reading partition files

TEST(ReadSolution, RoundTripsWhatPartitionAndSolveWrite) {
  const Graph g = read_graph(kBert);
  Solution r = report_of(g, slice_default_order(g, 4).partition);
  r.optimal = false;
  r.hit_time_limit = true;
  r.stopped = true;
  r.seed = 18446744073709551615ull;  // the largest seed must survive
  BoundResult bound;
  bound.method = "single";
  bound.value = 1.5;
  bound.status = BoundStatus::time_limit;
  bound.seconds = 2.5;
  bound.detail = "node 'x'";
  r.bounds = {bound};
  const testing::TempDir tmp;
  write_text(tmp.path("p.json"), solution_to_json(g, r));
  const Solution back = read_solution(g, tmp.path("p.json"));
  EXPECT_EQ(back.partition.stage_of, r.partition.stage_of);
  EXPECT_EQ(back.partition.k, 4);
  EXPECT_EQ(back.k, 4);
  EXPECT_TRUE(back.evaluation.stages.empty()) << "costs are never taken from the file";
  EXPECT_DOUBLE_EQ(back.lower_bound, r.lower_bound);
  EXPECT_EQ(back.lower_bound_method, "simple");
  EXPECT_EQ(back.algorithm, r.algorithm);
  EXPECT_EQ(back.seed, r.seed);
  EXPECT_DOUBLE_EQ(back.seconds, 0.25);
  EXPECT_TRUE(back.hit_time_limit);
  EXPECT_TRUE(back.stopped);
  ASSERT_TRUE(back.optimal.has_value());
  EXPECT_FALSE(*back.optimal);
  EXPECT_EQ(back.graph_name, "bert_l-3_inference");
  ASSERT_EQ(back.bounds.size(), 1u);
  EXPECT_EQ(back.bounds[0].method, "single");
  EXPECT_DOUBLE_EQ(back.bounds[0].value, 1.5);
  EXPECT_EQ(back.bounds[0].status, BoundStatus::time_limit);
  EXPECT_DOUBLE_EQ(back.bounds[0].seconds, 2.5);
  EXPECT_EQ(back.bounds[0].detail, "node 'x'");
}

TEST(ReadSolution, MinimalFileAndBadFields) {
  const Graph g = read_graph(kBert);
  const Partition p = slice_default_order(g, 2).partition;
  json doc = {{"format", "pipecut.partition"}, {"k", 2}};
  for (NodeId v = 0; v < g.num_nodes(); ++v) doc["assignment"][g.ids[v]] = p.stage_of[v];
  const testing::TempDir tmp;
  const std::string path = tmp.path("p.json");
  write_text(path, doc.dump());
  const Solution minimal = read_solution(g, path);
  EXPECT_TRUE(minimal.lower_bound_method.empty());
  EXPECT_EQ(minimal.lower_bound, 0.0);
  EXPECT_FALSE(minimal.optimal.has_value());
  EXPECT_EQ(minimal.graph_name, g.name);

  auto expect_error = [&](json bad, const std::string& words) {
    write_text(path, bad.dump());
    try {
      read_solution(g, path);
      ADD_FAILURE() << "accepted: " << bad.dump().substr(0, 200);
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind(path, 0), 0u) << message;  // names the file first
      EXPECT_NE(message.find(words), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  };
  json b = doc;
  b["lower_bound"] = "high";
  expect_error(b, "lower_bound");
  b = doc;
  b["lower_bound"] = -1;
  expect_error(b, "lower_bound");
  b = doc;
  b["seed"] = -3;
  expect_error(b, "seed");
  b = doc;
  b["optimal"] = "yes";
  expect_error(b, "optimal");
  b = doc;
  b["lower_bound_method"] = 5;
  expect_error(b, "lower_bound_method");
  b = doc;
  b["bounds"] = {{{"method", "x"}, {"value", 1}, {"status", "maybe"}}};
  expect_error(b, "status");
  b = doc;
  b["assignment"]["no-such-node"] = 0;
  expect_error(b, "unknown node id");
}

// ---------------------------------------------------------------- command line

TEST(ReportCli, SolveWritesAReportAndReportRebuildsTheSamePage) {
  const testing::TempDir tmp;
  const std::string partition = tmp.path("p.json"), from_solve = tmp.path("solve.html"),
                    from_report = tmp.path("report.html");
  auto solved = run_cli("solve " + kBert + " -k 4 --preset brkga-100 --time-limit 30 --quiet -o " +
                        partition + " --report " + from_solve);
  ASSERT_EQ(solved.exit_code, 0) << solved.err;
  auto reported = run_cli("report " + kBert + " " + partition + " -o " + from_report);
  ASSERT_EQ(reported.exit_code, 0) << reported.err;
  const json solve_data = testing::report_data_of(testing::read_text(from_solve));
  const json report_data = testing::report_data_of(testing::read_text(from_report));
  // The file round trip loses nothing the page shows (time is rounded by neither).
  EXPECT_EQ(solve_data, report_data);
  const json p = json::parse(testing::read_text(partition));
  EXPECT_DOUBLE_EQ(report_data["partition"]["bottleneck"].get<double>(),
                   p["bottleneck"].get<double>());
  EXPECT_EQ(report_data["partition"]["lower_bound_method"], p["lower_bound_method"]);
  const testing::CommandRun check = testing::check_report_html(from_report, kCharts);
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

TEST(ReportCli, BadInputsExitWith2AndNeverOverwriteInputs) {
  const testing::TempDir tmp;
  auto r =
      run_cli("report " + kBert + " " + tmp.path("missing.json") + " -o " + tmp.path("r.html"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp.path("r.html")));

  // A partition of another graph: unknown ids.
  write_text(tmp.path("other.json"),
             R"({"format": "pipecut.partition", "k": 1, "assignment": {"zz": 0}})");
  r = run_cli("report " + kBert + " " + tmp.path("other.json") + " -o " + tmp.path("r.html"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown node id 'zz'"), std::string::npos) << r.err;

  // A bound above the partition's bottleneck belongs to another graph; a partition with an
  // edge going backwards is not a pipeline. Both name the file.
  const Graph g = read_graph(kBert);
  const Solution good = report_of(g, slice_default_order(g, 2).partition);
  json doc = json::parse(solution_to_json(g, good));
  doc["lower_bound"] = good.evaluation.bottleneck * 1.01;
  write_text(tmp.path("high.json"), doc.dump());
  r = run_cli("report " + kBert + " " + tmp.path("high.json") + " -o " + tmp.path("r.html"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("high.json: lower_bound"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exceeds the partition's bottleneck"), std::string::npos) << r.err;
  doc = json::parse(solution_to_json(g, good));
  for (auto& [id, stage] : doc["assignment"].items()) stage = 1 - stage.get<int>();  // reversed
  write_text(tmp.path("backwards.json"), doc.dump());
  r = run_cli("report " + kBert + " " + tmp.path("backwards.json") + " -o " + tmp.path("r.html"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("backwards.json: invalid partition"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp.path("r.html")));

  // -o naming an input is refused and the input stays as it was.
  const std::string before = testing::read_text(tmp.path("other.json"));
  r = run_cli("report " + kBert + " " + tmp.path("other.json") + " -o " + tmp.path("other.json"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(testing::read_text(tmp.path("other.json")), before);
  r = run_cli("report " + kBert + " " + tmp.path("p.json"));  // no -o
  EXPECT_EQ(r.exit_code, 2);
}

// A partition that breaks a constraint of the graph gets no certificate anywhere on its page,
// whatever its file claims, and the violation is named first. The page used to show a green
// "proven optimal" next to a capacity it broke.
TEST(ReportCli, APartitionBreakingAConstraintClaimsNothingAndNamesTheViolation) {
  const testing::TempDir tmp;
  const std::string graph = tmp.path("g.json");
  write_text(graph,
             R"({"format": "pipecut.graph", "version": 1, "name": "pair", "memory_per_stage": 10,
      "nodes": [{"id": "a", "work": 1, "comm": 1, "memory": 6, "colour_class": "pair"},
                {"id": "b", "work": 1, "comm": 1, "memory": 3, "colour_class": "pair"},
                {"id": "c", "work": 1, "comm": 0, "memory": 6}],
      "edges": [["a", "b"], ["b", "c"]]})");
  // Files that say the partition is proven optimal, with a bound at its bottleneck.
  auto partition = [&](const std::string& name, int a, int b, int c, double bottleneck) {
    json doc = {{"format", "pipecut.partition"},
                {"version", 1},
                {"graph", "pair"},
                {"k", 2},
                {"assignment", {{"a", a}, {"b", b}, {"c", c}}},
                {"lower_bound", bottleneck},
                {"lower_bound_method", "exact"},
                {"optimal", true}};
    write_text(tmp.path(name), doc.dump());
    return tmp.path(name);
  };
  struct Case {
    std::string file, violation;
  };
  const std::vector<Case> cases = {
      {partition("full.json", 0, 0, 0, 3), "more than the capacity of 10 bytes per stage"},
      {partition("split.json", 0, 1, 1, 3), "colour class 'pair' is split"}};
  for (const Case& c : cases) {
    const std::string html = tmp.path("r.html");
    const auto r = run_cli("report " + graph + " " + c.file + " -o " + html);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string page = testing::read_text(html);
    for (const char* claim : {"proven optimal", "no partition into", "stage partition is faster",
                              "above the optimum", "proves that"})
      EXPECT_EQ(page.find(claim), std::string::npos) << c.file << ": " << claim;
    const std::size_t violation = page.find("id=\"violation\"");
    ASSERT_NE(violation, std::string::npos) << c.file;
    EXPECT_LT(violation, page.find("id=\"summary\""));
    EXPECT_NE(page.find(c.violation, violation), std::string::npos) << c.file;
    const json data = testing::report_data_of(page);
    EXPECT_EQ(data["partition"]["proven_optimal"], false);
    EXPECT_EQ(data["partition"]["valid"], false);
    EXPECT_NE(data["partition"]["violation"].get<std::string>().find(c.violation),
              std::string::npos);
    EXPECT_EQ(testing::check_report_html(html, kCharts).exit_code, 0);
    // evaluate answers "invalid" for the same file.
    EXPECT_EQ(run_cli("evaluate " + graph + " " + c.file).exit_code, 1);
  }
  // Without the constraints the same file is a valid, proven partition again.
  const auto r = run_cli("report " + graph + " " + cases[0].file + " --ignore-memory -o " +
                         tmp.path("ok.html"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = testing::read_text(tmp.path("ok.html"));
  EXPECT_NE(page.find("proven optimal"), std::string::npos);
  EXPECT_EQ(page.find("id=\"violation\""), std::string::npos);
  EXPECT_EQ(testing::report_data_of(page)["partition"]["valid"], true);
}

// A partition made for another graph says so, naming the graph its file was written for.
TEST(ReportCli, APartitionOfAnotherGraphSaysSo) {
  const testing::TempDir tmp;
  const std::string other = tmp.path("other.json");
  ASSERT_EQ(run_cli("partition " + testing::data_path("samples/pipedream/resnet18_graph.txt") +
                    " -k 2 --algorithm topo -o " + other)
                .exit_code,
            0);
  const std::string name = json::parse(testing::read_text(other))["graph"];
  const std::string expected = "partition is for graph " + name + ", not bert_l-3_inference";
  auto r = run_cli("report " + kBert + " " + other + " -o " + tmp.path("r.html"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(other + ": " + expected), std::string::npos) << r.err;
  r = run_cli("evaluate " + kBert + " " + other);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // evaluate's answer: invalid
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  r = run_cli("evaluate " + kBert + " " + other + " --json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json::parse(r.out)["valid"], false);
}

}  // namespace
}  // namespace pipecut
