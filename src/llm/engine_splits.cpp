// The engines' layer-split rules (docs/llm.md, "The engines' rules").
#include "pipecut/llm/engine_splits.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

#include "pipecut/model/error.hpp"

namespace pipecut {

namespace {

void check_ranks(int num_layers, int pp) {
  if (pp < 1 || pp > num_layers)
    throw InputError("pipeline size " + std::to_string(pp) + " must be in 1.." +
                     std::to_string(num_layers) + " (the decoder layers)");
}

// The items of a list separated by any of `separators`, each trimmed of spaces.
std::vector<std::string> list_items(std::string text, const std::string& separators,
                                    const std::string& what) {
  auto trim = [](std::string s) {
    const auto not_space = [](unsigned char ch) { return std::isspace(ch) == 0; };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
  };
  text = trim(text);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = trim(text.substr(1, text.size() - 2));
  std::vector<std::string> items;
  std::string item;
  for (char ch : text) {
    if (separators.find(ch) != std::string::npos) {
      items.push_back(trim(item));
      item.clear();
    } else {
      item += ch;
    }
  }
  items.push_back(trim(item));
  for (const std::string& s : items)
    if (s.empty()) throw InputError(what + ": empty item in '" + text + "'");
  return items;
}

}  // namespace

std::vector<int> vllm_default_layer_counts(int num_layers, int pp) {
  check_ranks(num_layers, pp);
  std::vector<int> counts(static_cast<std::size_t>(pp), num_layers / pp);
  const int remainder = num_layers % pp;
  // One each to ranks pp-2, pp-3, ...: the last rank holds the final norm and LM head.
  for (int i = 2; i < remainder + 2; ++i) ++counts[static_cast<std::size_t>(pp - i)];
  return counts;
}

std::vector<int> trtllm_default_layer_counts(int num_layers, int pp) {
  check_ranks(num_layers, pp);
  std::vector<int> counts(static_cast<std::size_t>(pp), num_layers / pp);
  for (int i = 0; i < num_layers % pp; ++i) ++counts[static_cast<std::size_t>(i)];
  return counts;
}

LlamaCppSplit llamacpp_layer_split(int num_layers, const std::vector<float>& proportions,
                                   int n_gpu_layers) {
  if (proportions.empty()) throw InputError("--tensor-split: no device");
  if (num_layers < 1) throw InputError("llama.cpp split: no decoder layer");
  for (float p : proportions)
    if (!std::isfinite(p) || p < 0)
      throw InputError("--tensor-split: proportions must be finite and >= 0");
  // llama.cpp's arithmetic, in float32 as it does it: running sums, then each divided by the
  // total.
  std::vector<float> splits(proportions.size());
  float sum = 0.0f;
  for (std::size_t i = 0; i < proportions.size(); ++i) {
    sum += proportions[i];
    splits[i] = sum;
  }
  if (sum == 0.0f)
    throw InputError("--tensor-split: the proportions sum to 0 (llama.cpp then splits by free "
                     "memory)");
  for (float& s : splits) s /= sum;
  // A negative n_gpu_layers means all of them (llama_model::n_gpu_layers).
  const int gpu_layers = n_gpu_layers < 0 ? num_layers + 1 : n_gpu_layers;
  const int i_gpu_start = std::max(num_layers + 1 - gpu_layers, 0);
  const int act_gpu_layers = std::min(gpu_layers, num_layers + 1);
  LlamaCppSplit out;
  out.layers.assign(proportions.size(), 0);
  for (int il = 0; il <= num_layers; ++il) {  // il == num_layers: the output layer
    int device = -1;
    if (il >= i_gpu_start && il - i_gpu_start < act_gpu_layers) {
      const float x = static_cast<float>(il - i_gpu_start) / static_cast<float>(act_gpu_layers);
      device = static_cast<int>(std::upper_bound(splits.begin(), splits.end(), x) -
                                splits.begin());
      // Past the last split point only through rounding of the last one below 1; llama.cpp
      // would index out of range there, which never happens with the split points it gets.
      device = std::min(device, static_cast<int>(splits.size()) - 1);
    }
    if (il == num_layers) {
      out.output_device = device;
    } else if (device < 0) {
      ++out.cpu_layers;
    } else {
      ++out.layers[static_cast<std::size_t>(device)];
    }
  }
  return out;
}

std::vector<float> llamacpp_tensor_split_for(const std::vector<int>& layers) {
  // Device i's proportion is its slot count (its layers, and the output layer for the last):
  // the running sums are then exactly the slot boundaries B_i, and the split points
  // fl(B_i / (N + 1)) equal the thresholds fl(il / (N + 1)) llama.cpp compares them with at
  // il = B_i, so layer B_i - 1 stays below and B_i goes on (docs/llm.md).
  std::vector<float> proportions;
  proportions.reserve(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i)
    proportions.push_back(static_cast<float>(layers[i] + (i + 1 == layers.size() ? 1 : 0)));
  return proportions;
}

std::vector<int> parse_layer_counts(const std::string& text, const std::string& what) {
  std::vector<int> counts;
  for (const std::string& item : list_items(text, ",", what)) {
    char* end = nullptr;
    const long value = std::strtol(item.c_str(), &end, 10);
    if (end == item.c_str() || *end != '\0' || value < 0 || value > 1000000 ||
        !std::isdigit(static_cast<unsigned char>(item.front())))
      throw InputError(what + ": '" + item + "' is not a layer count");
    counts.push_back(static_cast<int>(value));
  }
  return counts;
}

std::vector<float> parse_tensor_split(const std::string& text, const std::string& what) {
  std::vector<float> out;
  for (const std::string& item : list_items(text, ",/", what)) {
    char* end = nullptr;
    const float value = std::strtof(item.c_str(), &end);
    if (end == item.c_str() || *end != '\0' || !std::isfinite(value) || value < 0)
      throw InputError(what + ": '" + item + "' is not a proportion");
    out.push_back(value);
  }
  return out;
}

}  // namespace pipecut
