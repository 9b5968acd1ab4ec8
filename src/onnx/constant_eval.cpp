#include "onnx/constant_eval.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace pipecut {

namespace {

using T = onnx::TensorProto;
constexpr std::size_t kMaxElements = 1 << 16;

std::int64_t count(const std::vector<std::int64_t>& dims) {
  std::int64_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

bool is_integer(std::int32_t type) {
  return type == T::INT64 || type == T::INT32 || type == T::INT16 || type == T::INT8 ||
         type == T::UINT64 || type == T::UINT32 || type == T::UINT16 || type == T::UINT8;
}

template <class V>
void append_raw(const std::string& raw, std::vector<double>& out) {
  const std::size_t n = raw.size() / sizeof(V);
  for (std::size_t i = 0; i < n; ++i) {
    V v;
    std::memcpy(&v, raw.data() + i * sizeof(V), sizeof(V));
    out.push_back(static_cast<double>(v));
  }
}

template <class V>
void put_raw(const std::vector<double>& values, std::string& raw) {
  for (double d : values) {
    const V v = static_cast<V>(d);
    raw.append(reinterpret_cast<const char*>(&v), sizeof(V));
  }
}

const onnx::AttributeProto* attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::int64_t normalise_axis(std::int64_t axis, std::size_t rank) {
  return axis < 0 ? axis + static_cast<std::int64_t>(rank) : axis;
}

// Row-major strides.
std::vector<std::int64_t> strides_of(const std::vector<std::int64_t>& dims) {
  std::vector<std::int64_t> s(dims.size(), 1);
  for (std::size_t i = dims.size(); i-- > 1;) s[i - 1] = s[i] * dims[i];
  return s;
}

// numpy broadcasting of the inputs: out_i = f(values of each input at i).
template <class F>
std::optional<ConstTensor> broadcast(const std::vector<const ConstTensor*>& ins,
                                     std::int32_t out_type, F f) {
  std::size_t rank = 0;
  for (const ConstTensor* t : ins) rank = std::max(rank, t->dims.size());
  std::vector<std::vector<std::int64_t>> dims(ins.size(), std::vector<std::int64_t>(rank, 1));
  std::vector<std::int64_t> od(rank, 1);
  for (std::size_t k = 0; k < ins.size(); ++k) {
    std::copy(ins[k]->dims.begin(), ins[k]->dims.end(),
              dims[k].begin() + (rank - ins[k]->dims.size()));
    for (std::size_t i = 0; i < rank; ++i) {
      if (dims[k][i] != od[i] && dims[k][i] != 1 && od[i] != 1) return std::nullopt;
      od[i] = std::max(od[i], dims[k][i]);
    }
  }
  ConstTensor out{out_type, od, {}};
  std::vector<std::vector<std::int64_t>> strides;
  for (const auto& d : dims) strides.push_back(strides_of(d));
  const auto os = strides_of(od);
  const std::int64_t n = count(od);
  std::vector<double> args(ins.size());
  for (std::int64_t flat = 0; flat < n; ++flat) {
    for (std::size_t k = 0; k < ins.size(); ++k) {
      std::int64_t index = 0;
      for (std::size_t d = 0; d < rank; ++d)
        index += (dims[k][d] == 1 ? 0 : (flat / os[d]) % od[d]) * strides[k][d];
      args[k] = ins[k]->values[static_cast<std::size_t>(index)];
    }
    out.values.push_back(f(args));
  }
  return out;
}

std::vector<std::int64_t> as_ints(const ConstTensor& t) {
  std::vector<std::int64_t> out;
  for (double v : t.values) out.push_back(static_cast<std::int64_t>(v));
  return out;
}

ConstTensor int64_vector(const std::vector<std::int64_t>& v, bool scalar = false) {
  ConstTensor t{T::INT64, {}, {}};
  if (!scalar) t.dims = {static_cast<std::int64_t>(v.size())};
  for (auto x : v) t.values.push_back(static_cast<double>(x));
  return t;
}

std::optional<ConstTensor> from_constant_attribute(const onnx::NodeProto& node) {
  for (const auto& a : node.attribute()) {
    if (a.name() == "value" && a.has_t()) return decode_tensor(a.t(), kMaxElements);
    if (a.name() == "value_int") return int64_vector({a.i()}, true);
    if (a.name() == "value_ints") return int64_vector({a.ints().begin(), a.ints().end()});
    if (a.name() == "value_float") return ConstTensor{T::FLOAT, {}, {a.f()}};
    if (a.name() == "value_floats") {
      ConstTensor t{T::FLOAT, {a.floats_size()}, {}};
      for (float f : a.floats()) t.values.push_back(f);
      return t;
    }
  }
  return std::nullopt;
}

// Copies the block of `in` selected per axis by (start, step, count).
ConstTensor gather_block(const ConstTensor& in, const std::vector<std::int64_t>& start,
                         const std::vector<std::int64_t>& step,
                         const std::vector<std::int64_t>& n) {
  ConstTensor out{in.elem_type, n, {}};
  const auto is = strides_of(in.dims), os = strides_of(n);
  const std::int64_t total = count(n);
  for (std::int64_t flat = 0; flat < total; ++flat) {
    std::int64_t src = 0;
    for (std::size_t d = 0; d < n.size(); ++d)
      src += (start[d] + ((flat / os[d]) % n[d]) * step[d]) * is[d];
    out.values.push_back(in.values[src]);
  }
  return out;
}

}  // namespace

std::optional<ConstTensor> decode_tensor(const onnx::TensorProto& t, std::size_t max_elements) {
  if (t.data_location() == T::EXTERNAL) return std::nullopt;
  ConstTensor out;
  out.elem_type = t.data_type();
  out.dims.assign(t.dims().begin(), t.dims().end());
  const std::int64_t n = count(out.dims);
  if (n < 0 || static_cast<std::size_t>(n) > max_elements) return std::nullopt;
  const std::string& raw = t.raw_data();
  switch (t.data_type()) {
    case T::INT64:
      raw.empty() ? void(out.values.assign(t.int64_data().begin(), t.int64_data().end()))
                  : append_raw<std::int64_t>(raw, out.values);
      break;
    case T::UINT64:
      raw.empty() ? void(out.values.assign(t.uint64_data().begin(), t.uint64_data().end()))
                  : append_raw<std::uint64_t>(raw, out.values);
      break;
    case T::INT32:
      raw.empty() ? void(out.values.assign(t.int32_data().begin(), t.int32_data().end()))
                  : append_raw<std::int32_t>(raw, out.values);
      break;
    case T::UINT32:
      raw.empty() ? void(out.values.assign(t.uint64_data().begin(), t.uint64_data().end()))
                  : append_raw<std::uint32_t>(raw, out.values);
      break;
    case T::INT16:
      raw.empty() ? void(out.values.assign(t.int32_data().begin(), t.int32_data().end()))
                  : append_raw<std::int16_t>(raw, out.values);
      break;
    case T::UINT16:
      raw.empty() ? void(out.values.assign(t.int32_data().begin(), t.int32_data().end()))
                  : append_raw<std::uint16_t>(raw, out.values);
      break;
    case T::INT8:
      raw.empty() ? void(out.values.assign(t.int32_data().begin(), t.int32_data().end()))
                  : append_raw<std::int8_t>(raw, out.values);
      break;
    case T::UINT8:
    case T::BOOL:
      raw.empty() ? void(out.values.assign(t.int32_data().begin(), t.int32_data().end()))
                  : append_raw<std::uint8_t>(raw, out.values);
      break;
    case T::FLOAT:
      raw.empty() ? void(out.values.assign(t.float_data().begin(), t.float_data().end()))
                  : append_raw<float>(raw, out.values);
      break;
    case T::DOUBLE:
      raw.empty() ? void(out.values.assign(t.double_data().begin(), t.double_data().end()))
                  : append_raw<double>(raw, out.values);
      break;
    default:
      return std::nullopt;
  }
  if (static_cast<std::int64_t>(out.values.size()) != n) return std::nullopt;
  return out;
}

onnx::TensorProto encode_tensor(const ConstTensor& t, const std::string& name) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(t.elem_type);
  for (auto d : t.dims) p.add_dims(d);
  std::string raw;
  switch (t.elem_type) {
    case T::INT64:
      put_raw<std::int64_t>(t.values, raw);
      break;
    case T::UINT64:
      put_raw<std::uint64_t>(t.values, raw);
      break;
    case T::INT32:
      put_raw<std::int32_t>(t.values, raw);
      break;
    case T::UINT32:
      put_raw<std::uint32_t>(t.values, raw);
      break;
    case T::INT16:
      put_raw<std::int16_t>(t.values, raw);
      break;
    case T::UINT16:
      put_raw<std::uint16_t>(t.values, raw);
      break;
    case T::INT8:
      put_raw<std::int8_t>(t.values, raw);
      break;
    case T::UINT8:
    case T::BOOL:
      put_raw<std::uint8_t>(t.values, raw);
      break;
    case T::DOUBLE:
      put_raw<double>(t.values, raw);
      break;
    default:
      put_raw<float>(t.values, raw);
      break;
  }
  p.set_raw_data(raw);
  return p;
}

std::optional<std::vector<ConstTensor>> evaluate_constant_node(
    const onnx::NodeProto& node, const std::unordered_map<std::string, ConstTensor>& values,
    const std::vector<std::int64_t>* static_shape) {
  const std::string& op = node.op_type();
  if (!node.domain().empty() && node.domain() != "ai.onnx") return std::nullopt;
  std::vector<const ConstTensor*> in;
  for (const auto& name : node.input()) {
    if (name.empty()) {
      in.push_back(nullptr);
      continue;
    }
    auto it = values.find(name);
    if (it == values.end()) {
      if ((op == "Shape" || op == "Size") && static_shape) {
        in.push_back(nullptr);
        continue;
      }
      return std::nullopt;
    }
    in.push_back(&it->second);
  }
  auto input = [&](std::size_t i) -> const ConstTensor* { return i < in.size() ? in[i] : nullptr; };
  auto ints_from = [&](std::size_t i,
                       const char* attr) -> std::optional<std::vector<std::int64_t>> {
    if (const ConstTensor* t = input(i)) return as_ints(*t);
    if (const auto* a = attribute(node, attr))
      return std::vector<std::int64_t>(a->ints().begin(), a->ints().end());
    return std::nullopt;
  };
  auto one = [](ConstTensor t) -> std::optional<std::vector<ConstTensor>> {
    if (t.values.size() > kMaxElements) return std::nullopt;
    return std::vector<ConstTensor>{std::move(t)};
  };

  if (op == "Constant") {
    auto t = from_constant_attribute(node);
    if (!t) return std::nullopt;
    return one(*t);
  }
  if (op == "Identity") return one(*input(0));
  if (op == "Shape" || op == "Size") {
    std::vector<std::int64_t> dims = static_shape ? *static_shape : input(0)->dims;
    if (static_shape) return one(int64_vector(dims, op == "Size"));  // already sliced
    if (op == "Size") return one(int64_vector({count(dims)}, true));
    const auto rank = static_cast<std::int64_t>(dims.size());
    const auto* s = attribute(node, "start");
    const auto* e = attribute(node, "end");
    const std::int64_t start =
        std::clamp<std::int64_t>(normalise_axis(s ? s->i() : 0, dims.size()), 0, rank);
    const std::int64_t end =
        std::clamp<std::int64_t>(normalise_axis(e ? e->i() : rank, dims.size()), 0, rank);
    return one(int64_vector(
        end > start ? std::vector<std::int64_t>(dims.begin() + start, dims.begin() + end)
                    : std::vector<std::int64_t>{}));
  }
  if (op == "Cast") {
    const auto* to = attribute(node, "to");
    if (!to) return std::nullopt;
    ConstTensor t = *input(0);
    t.elem_type = static_cast<std::int32_t>(to->i());
    for (double& v : t.values) {
      if (t.elem_type == T::BOOL)
        v = v != 0;
      else if (is_integer(t.elem_type))
        v = std::trunc(v);
      else if (t.elem_type == T::FLOAT)
        v = static_cast<float>(v);
    }
    return one(std::move(t));
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Equal") {
    if (in.size() != 2 || !in[0] || !in[1]) return std::nullopt;
    const bool integer = is_integer(in[0]->elem_type);
    const std::int32_t type = op == "Equal" ? static_cast<std::int32_t>(T::BOOL) : in[0]->elem_type;
    std::optional<ConstTensor> r =
        broadcast({in[0], in[1]}, type, [&](const std::vector<double>& v) {
          const double a = v[0], b = v[1];
          if (op == "Add") return a + b;
          if (op == "Sub") return a - b;
          if (op == "Mul") return a * b;
          if (op == "Equal") return a == b ? 1.0 : 0.0;
          if (integer) return b == 0 ? 0.0 : std::trunc(a / b);
          return a / b;
        });
    if (!r) return std::nullopt;
    return one(std::move(*r));
  }
  if (op == "Where") {
    if (in.size() != 3 || !in[0] || !in[1] || !in[2]) return std::nullopt;
    std::optional<ConstTensor> r =
        broadcast({in[0], in[1], in[2]}, in[1]->elem_type,
                  [](const std::vector<double>& v) { return v[0] != 0 ? v[1] : v[2]; });
    if (!r) return std::nullopt;
    return one(std::move(*r));
  }
  if (op == "Gather") {
    if (in.size() != 2 || !in[0] || !in[1]) return std::nullopt;
    const ConstTensor& data = *in[0];
    const ConstTensor& indices = *in[1];
    const auto* a = attribute(node, "axis");
    const std::int64_t axis = normalise_axis(a ? a->i() : 0, data.dims.size());
    if (axis < 0 || axis >= static_cast<std::int64_t>(data.dims.size())) return std::nullopt;
    std::vector<std::int64_t> dims(data.dims.begin(), data.dims.begin() + axis);
    dims.insert(dims.end(), indices.dims.begin(), indices.dims.end());
    dims.insert(dims.end(), data.dims.begin() + axis + 1, data.dims.end());
    std::int64_t outer = 1, inner = 1;
    for (std::int64_t d = 0; d < axis; ++d) outer *= data.dims[d];
    for (std::size_t d = axis + 1; d < data.dims.size(); ++d) inner *= data.dims[d];
    const std::int64_t extent = data.dims[axis];
    ConstTensor out{data.elem_type, dims, {}};
    for (std::int64_t o = 0; o < outer; ++o)
      for (double raw : indices.values) {
        std::int64_t k = static_cast<std::int64_t>(raw);
        if (k < 0) k += extent;
        if (k < 0 || k >= extent) return std::nullopt;
        for (std::int64_t i = 0; i < inner; ++i)
          out.values.push_back(data.values[(o * extent + k) * inner + i]);
      }
    return one(std::move(out));
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    ConstTensor t = *input(0);
    auto axes = ints_from(1, "axes");
    if (op == "Unsqueeze") {
      if (!axes) return std::nullopt;
      const std::size_t rank = t.dims.size() + axes->size();
      std::vector<std::int64_t> sorted;
      for (auto ax : *axes) sorted.push_back(normalise_axis(ax, rank));
      std::sort(sorted.begin(), sorted.end());
      for (auto ax : sorted) {
        if (ax < 0 || ax > static_cast<std::int64_t>(t.dims.size())) return std::nullopt;
        t.dims.insert(t.dims.begin() + ax, 1);
      }
    } else {
      std::vector<std::int64_t> keep;
      for (std::size_t d = 0; d < t.dims.size(); ++d) {
        bool drop = axes ? false : t.dims[d] == 1;
        if (axes)
          for (auto ax : *axes)
            drop = drop || normalise_axis(ax, t.dims.size()) == static_cast<std::int64_t>(d);
        if (!drop) keep.push_back(t.dims[d]);
      }
      t.dims = keep;
    }
    return one(std::move(t));
  }
  if (op == "Concat") {
    const auto* a = attribute(node, "axis");
    if (!a || in.empty()) return std::nullopt;
    const std::size_t rank = in[0]->dims.size();
    const std::int64_t axis = normalise_axis(a->i(), rank);
    if (axis < 0 || axis >= static_cast<std::int64_t>(rank)) return std::nullopt;
    std::vector<std::int64_t> dims = in[0]->dims;
    dims[axis] = 0;
    for (const ConstTensor* t : in) {
      if (!t || t->dims.size() != rank) return std::nullopt;
      dims[axis] += t->dims[axis];
    }
    std::int64_t outer = 1;
    for (std::int64_t d = 0; d < axis; ++d) outer *= dims[d];
    ConstTensor out{in[0]->elem_type, dims, {}};
    for (std::int64_t o = 0; o < outer; ++o)
      for (const ConstTensor* t : in) {
        const std::int64_t block = outer > 0 ? count(t->dims) / outer : 0;
        out.values.insert(out.values.end(), t->values.begin() + o * block,
                          t->values.begin() + (o + 1) * block);
      }
    return one(std::move(out));
  }
  if (op == "Slice") {
    const ConstTensor& data = *input(0);
    auto starts = ints_from(1, "starts");
    auto ends = ints_from(2, "ends");
    if (!starts || !ends || starts->size() != ends->size()) return std::nullopt;
    std::vector<std::int64_t> axes(starts->size());
    std::iota(axes.begin(), axes.end(), 0);
    if (auto given = ints_from(3, "axes")) axes = *given;
    std::vector<std::int64_t> steps(starts->size(), 1);
    if (const ConstTensor* s = input(4)) steps = as_ints(*s);
    const std::size_t rank = data.dims.size();
    std::vector<std::int64_t> start(rank, 0), step(rank, 1), n = data.dims;
    for (std::size_t i = 0; i < axes.size(); ++i) {
      const std::int64_t ax = normalise_axis(axes[i], rank);
      if (ax < 0 || ax >= static_cast<std::int64_t>(rank) || steps[i] == 0) return std::nullopt;
      const std::int64_t dim = data.dims[ax];
      auto clampi = [&](std::int64_t v, std::int64_t lo, std::int64_t hi) {
        if (v < 0) v += dim;
        return std::clamp(v, lo, hi);
      };
      std::int64_t b, e;
      if (steps[i] > 0) {
        b = clampi((*starts)[i], 0, dim);
        e = clampi((*ends)[i], 0, dim);
        n[ax] = e > b ? (e - b + steps[i] - 1) / steps[i] : 0;
      } else {
        b = clampi((*starts)[i], -1, dim - 1);
        e = clampi((*ends)[i], -1, dim - 1);
        n[ax] = b > e ? (b - e - steps[i] - 1) / -steps[i] : 0;
      }
      start[ax] = b;
      step[ax] = steps[i];
    }
    return one(gather_block(data, start, step, n));
  }
  if (op == "Reshape") {
    if (!input(1)) return std::nullopt;
    ConstTensor t = *input(0);
    std::vector<std::int64_t> shape = as_ints(*input(1));
    std::int64_t known = 1, infer = -1;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 0 && d < t.dims.size()) shape[d] = t.dims[d];
      if (shape[d] == -1)
        infer = static_cast<std::int64_t>(d);
      else
        known *= shape[d];
    }
    if (infer >= 0) shape[infer] = known > 0 ? count(t.dims) / known : 0;
    if (count(shape) != count(t.dims)) return std::nullopt;
    t.dims = shape;
    return one(std::move(t));
  }
  if (op == "ConstantOfShape") {
    const std::vector<std::int64_t> dims = as_ints(*input(0));
    if (count(dims) < 0 || static_cast<std::size_t>(count(dims)) > kMaxElements)
      return std::nullopt;
    ConstTensor fill{T::FLOAT, {1}, {0.0}};
    if (const auto* v = attribute(node, "value"); v && v->has_t()) {
      auto decoded = decode_tensor(v->t(), 1);
      if (!decoded || decoded->values.size() != 1) return std::nullopt;
      fill = *decoded;
    }
    return one(
        ConstTensor{fill.elem_type, dims,
                    std::vector<double>(static_cast<std::size_t>(count(dims)), fill.values[0])});
  }
  if (op == "Range") {
    if (in.size() != 3 || !in[0] || !in[1] || !in[2] || in[0]->values.size() != 1 ||
        in[1]->values.size() != 1 || in[2]->values.size() != 1 || in[2]->values[0] == 0)
      return std::nullopt;
    const double start = in[0]->values[0], limit = in[1]->values[0], delta = in[2]->values[0];
    const double steps = std::max(0.0, std::ceil((limit - start) / delta));
    if (steps > kMaxElements) return std::nullopt;
    ConstTensor out{in[0]->elem_type, {static_cast<std::int64_t>(steps)}, {}};
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(steps); ++i)
      out.values.push_back(start + static_cast<double>(i) * delta);
    return one(std::move(out));
  }
  return std::nullopt;
}

}  // namespace pipecut
