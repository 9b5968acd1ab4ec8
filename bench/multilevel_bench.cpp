// Partition quality of multilevel refinement against SliceGraph in the same run, on the bundled
// BERT-3 sample and transformer-like ONNX models of the corpus: bottleneck and wall time of
// each, and their ratio (multilevel / SliceGraph; below 1 = multilevel is better).
// Usage: multilevel_bench [--quick] [GRAPH...]
#include <cstdio>
#include <string>
#include <vector>

#include "pipecut/io/read_graph.hpp"
#include "pipecut/partition/multilevel.hpp"
#include "pipecut/partition/refine.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/util/stopwatch.hpp"

using namespace pipecut;

int main(int argc, char** argv) {
  bool quick = false;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") quick = true;
    else paths.push_back(arg);
  }
  if (paths.empty()) {
    const std::string data = PIPECUT_DATA_DIR;
    paths = {data + "/samples/pipecut/bert_l-3_inference.json",
             data + "/corpus/torchvision/resnet50.onnx", data + "/corpus/torchvision/vit_b_16.onnx",
             data + "/corpus/torchvision/swin_t.onnx"};
    if (quick) paths.resize(2);
  }
  std::printf("%-28s %4s %6s %12s %8s %12s %8s %8s\n", "graph", "k", "nodes", "slicegraph", "s",
              "multilevel", "s", "ratio");
  for (const std::string& path : paths) {
    const Graph g = read_graph(path);
    for (int k : {4, 8, 16}) {
      BrkgaConfig search = *BrkgaConfig::preset(quick ? "brkga-100" : "brkga-10000");
      search.threads = 1;
      const Stopwatch t1;
      const SliceGraphResult sg = slicegraph(g, k, search);
      const double s1 = t1.seconds();
      MultilevelOptions ml;
      ml.threads = 1;
      const Stopwatch t2;
      const MultilevelResult m = multilevel_partition(g, k, ml);
      const double s2 = t2.seconds();
      const Stopwatch t3;
      const RefineResult r = refine_partition(g, derive_constraints(g), sg.partition);
      const double s3 = t3.seconds();
      std::printf("%-28s %4d %6d %12.6f %8.2f %12.6f %8.2f %8.4f %12.6f %8.2f\n", g.name.c_str(), k,
                  g.num_nodes(), sg.bottleneck, s1, m.bottleneck, s2, m.bottleneck / sg.bottleneck,
                  r.bottleneck, s3);
      std::fflush(stdout);
    }
  }
  return 0;
}
