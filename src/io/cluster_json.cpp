#include "pipecut/io/cluster_json.hpp"

#include <openssl/evp.h>

#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "io/json_util.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/util/memory_size.hpp"

namespace pipecut {

using nlohmann::json;

namespace {

// Most devices a cluster may list: far beyond any real pipeline, and small enough that no
// count in a file can make the reader allocate without bound.
constexpr long long kMaxDevices = 1 << 16;

[[noreturn]] void fail(const std::string& source, const std::string& field,
                       const std::string& problem) {
  throw InputError(source + ": " + field + ": " + problem);
}

// Strict objects: a field the format does not know is a typo, not something to ignore.
void only_fields(const json& object, std::initializer_list<const char*> known,
                 const std::string& source, const std::string& field) {
  for (const auto& [key, value] : object.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) fail(source, field.empty() ? "\"" + key + "\"" : field + "." + key, "unknown field");
  }
}

const json& required(const json& object, const char* key, const std::string& source,
                     const std::string& field) {
  if (!object.contains(key) || object.at(key).is_null()) fail(source, field, "missing");
  return object.at(key);
}

std::string text_field(const json& value, const std::string& source, const std::string& field) {
  if (!value.is_string() || value.get<std::string>().empty())
    fail(source, field, "must be a non-empty string");
  return value.get<std::string>();
}

// A size: a number of bytes, or a string with a unit (util/memory_size.hpp).
double size_field(const json& value, const std::string& source, const std::string& field) {
  if (value.is_string()) return parse_memory_size(value.get<std::string>(), source + ": " + field);
  if (!value.is_number()) fail(source, field, "must be a number of bytes or a size with a unit");
  const double bytes = value.get<double>();
  if (!std::isfinite(bytes) || !(bytes > 0)) fail(source, field, "must be more than 0 bytes");
  return bytes;
}

double bandwidth_field(const json& value, const std::string& source, const std::string& field) {
  if (value.is_string())
    return parse_bandwidth_gbps(value.get<std::string>(), source + ": " + field);
  if (!value.is_number())
    fail(source, field, "must be a number in GB/s or a bandwidth with a unit");
  const double gbps = value.get<double>();
  if (!std::isfinite(gbps) || !(gbps > 0))
    fail(source, field, "must be a bandwidth above 0 (got " + value.dump() + ")");
  return gbps;
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 of the cluster failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

json canonical(const Cluster& c) {
  json doc;
  doc["format"] = "pipecut.cluster";
  doc["version"] = 1;
  doc["name"] = c.name;
  json classes = json::object();
  for (const DeviceClass& k : c.classes) {
    json entry = {{"memory", k.memory}, {"speed", k.speed}};
    if (!k.device_model.empty()) entry["device_model"] = k.device_model;
    classes[k.name] = std::move(entry);
  }
  doc["device_classes"] = std::move(classes);
  json hosts = json::array();
  for (int h = 0; h < static_cast<int>(c.hosts.size()); ++h) {
    json devices = json::array();
    for (const ClusterDevice& d : c.devices) {
      if (d.host != h) continue;
      const std::string& cls = c.classes[d.device_class].name;
      if (!devices.empty() && devices.back()["class"] == cls)
        devices.back()["count"] = devices.back()["count"].get<int>() + 1;
      else
        devices.push_back({{"class", cls}, {"count", 1}});
    }
    json host = {{"name", c.hosts[h].name}, {"devices", std::move(devices)}};
    if (c.hosts[h].bandwidth_gbps > 0) host["bandwidth"] = c.hosts[h].bandwidth_gbps;
    hosts.push_back(std::move(host));
  }
  doc["hosts"] = std::move(hosts);
  if (c.network_bandwidth_gbps > 0) doc["network_bandwidth"] = c.network_bandwidth_gbps;
  json links = json::array();
  for (std::size_t a = 0; a < c.link_gbps.size(); ++a)
    for (std::size_t b = a + 1; b < c.link_gbps.size(); ++b)
      if (c.link_gbps[a][b] > 0)
        links.push_back(
            {{"hosts", {c.hosts[a].name, c.hosts[b].name}}, {"bandwidth", c.link_gbps[a][b]}});
  doc["links"] = std::move(links);
  return doc;
}

}  // namespace

double parse_bandwidth_gbps(const std::string& text, const std::string& what) {
  auto bad = [&](const std::string& problem) -> double {
    throw InputError(what + ": " + problem + " (got '" + text +
                     "'; expected a bandwidth above 0 in GB/s, or with a unit: B/s, kB/s, "
                     "MB/s, GB/s, TB/s, KiB/s, MiB/s, GiB/s, TiB/s, kb/s, Mb/s, Gb/s, Tb/s)");
  };
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(*begin))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(end[-1]))) --end;
  double number = 0;
  const auto [after, error] = std::from_chars(begin, end, number, std::chars_format::general);
  if (error == std::errc::result_out_of_range) return bad("number out of range");
  // from_chars also reads "nan" and "inf".
  if (error != std::errc() || after == begin || std::isnan(number)) return bad("not a number");
  const char* unit_begin = after;
  while (unit_begin < end && std::isspace(static_cast<unsigned char>(*unit_begin))) ++unit_begin;
  const std::string unit(unit_begin, end);
  // Scale to GB/s. Case matters: B is a byte, b a bit.
  static const std::pair<const char*, double> units[] = {{"", 1.0},
                                                         {"GB/s", 1.0},
                                                         {"B/s", 1e-9},
                                                         {"kB/s", 1e-6},
                                                         {"MB/s", 1e-3},
                                                         {"TB/s", 1e3},
                                                         {"KiB/s", 1024e-9},
                                                         {"MiB/s", 1048576e-9},
                                                         {"GiB/s", 1073741824e-9},
                                                         {"TiB/s", 1099511627776e-9},
                                                         {"kb/s", 1e-6 / 8},
                                                         {"Mb/s", 1e-3 / 8},
                                                         {"Gb/s", 1.0 / 8},
                                                         {"Tb/s", 1e3 / 8}};
  for (const auto& [name, scale] : units)
    if (unit == name) {
      const double gbps = number * scale;
      if (!std::isfinite(gbps)) return bad("number out of range");
      if (!(gbps > 0)) return bad("must be above 0");
      return gbps;
    }
  return bad("unknown unit '" + unit + "'");
}

Cluster parse_cluster(const std::string& text, const std::string& source) {
  const json doc = parse_json_document(text, source);
  if (!doc.is_object()) throw InputError(source + ": expected a JSON object at the top level");
  only_fields(
      doc, {"format", "version", "name", "device_classes", "hosts", "network_bandwidth", "links"},
      source, "");
  if (doc.value("format", json()) != "pipecut.cluster")
    fail(source, "\"format\"", "must be \"pipecut.cluster\"");
  if (!doc.contains("version") || !doc.at("version").is_number() || doc.at("version") != 1)
    fail(source, "\"version\"", "unsupported (this reader knows version 1)");
  Cluster c;
  c.name = doc.contains("name") ? text_field(doc.at("name"), source, "name") : file_stem(source);

  const json& classes = required(doc, "device_classes", source, "device_classes");
  if (!classes.is_object() || classes.empty())
    fail(source, "device_classes", "must be a non-empty object (class name -> class)");
  for (const auto& [name, entry] : classes.items()) {
    const std::string field = "device_classes." + name;
    if (name.empty()) fail(source, "device_classes", "a class name is empty");
    if (!entry.is_object()) fail(source, field, "must be an object");
    only_fields(entry, {"memory", "speed", "device_model"}, source, field);
    DeviceClass k;
    k.name = name;
    k.memory =
        size_field(required(entry, "memory", source, field + ".memory"), source, field + ".memory");
    if (k.memory > kMaxTotalMemory)
      fail(source, field + ".memory", "more than 1 PiB, the largest memory pipecut supports");
    if (entry.contains("speed")) {
      const json& speed = entry.at("speed");
      if (!speed.is_number() || !std::isfinite(speed.get<double>()) || !(speed.get<double>() > 0))
        fail(source, field + ".speed", "must be a number above 0 (got " + speed.dump() + ")");
      k.speed = speed.get<double>();
    }
    if (entry.contains("device_model"))
      k.device_model = text_field(entry.at("device_model"), source, field + ".device_model");
    c.classes.push_back(std::move(k));
  }

  const json& hosts = required(doc, "hosts", source, "hosts");
  if (!hosts.is_array() || hosts.empty()) fail(source, "hosts", "must be a non-empty array");
  for (std::size_t h = 0; h < hosts.size(); ++h) {
    const json& entry = hosts[h];
    std::string field = "hosts[" + std::to_string(h) + "]";
    if (!entry.is_object()) fail(source, field, "must be an object");
    only_fields(entry, {"name", "devices", "bandwidth"}, source, field);
    ClusterHost host;
    host.name =
        text_field(required(entry, "name", source, field + ".name"), source, field + ".name");
    for (const ClusterHost& other : c.hosts)
      if (other.name == host.name)
        fail(source, field + ".name", "duplicate host name '" + host.name + "'");
    field = "host '" + host.name + "'";
    const json& devices = required(entry, "devices", source, field + ".devices");
    if (!devices.is_array() || devices.empty())
      fail(source, field + ".devices", "must be a non-empty array");
    int index = 0;
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const json& group = devices[i];
      const std::string where = field + ".devices[" + std::to_string(i) + "]";
      if (!group.is_object()) fail(source, where, "must be an object {class, count}");
      only_fields(group, {"class", "count"}, source, where);
      const std::string cls =
          text_field(required(group, "class", source, where + ".class"), source, where + ".class");
      const std::optional<int> k = c.class_index(cls);
      if (!k) fail(source, where + ".class", "unknown class '" + cls + "' (not in device_classes)");
      long long count = 1;
      if (group.contains("count")) {
        count = json_integer(group.at("count"), 0, kMaxDevices, source, where + ".count");
        // Checked here: json_integer does not apply its minimum to JSON unsigned integers.
        if (count < 1)
          fail(source, where + ".count", "must be at least 1 (got " + std::to_string(count) + ")");
      }
      if (static_cast<long long>(c.devices.size()) + count > kMaxDevices)
        fail(source, where + ".count",
             "more than " + std::to_string(kMaxDevices) + " devices in all");
      for (long long j = 0; j < count; ++j, ++index)
        c.devices.push_back(
            {host.name + ":" + std::to_string(index), *k, static_cast<int>(c.hosts.size()), index});
    }
    // A host of one device has no inner link: its bandwidth is optional.
    if (entry.contains("bandwidth") || index > 1)
      host.bandwidth_gbps = bandwidth_field(
          required(entry, "bandwidth", source, field + ".bandwidth"), source, field + ".bandwidth");
    c.hosts.push_back(std::move(host));
  }

  const int h = static_cast<int>(c.hosts.size());
  if (doc.contains("network_bandwidth") || h > 1)
    c.network_bandwidth_gbps =
        bandwidth_field(required(doc, "network_bandwidth", source, "network_bandwidth"), source,
                        "network_bandwidth");
  if (doc.contains("links")) {
    const json& links = doc.at("links");
    if (!links.is_array()) fail(source, "links", "must be an array");
    if (!links.empty()) c.link_gbps.assign(h, std::vector<double>(h, 0.0));
    for (std::size_t i = 0; i < links.size(); ++i) {
      const json& link = links[i];
      const std::string field = "links[" + std::to_string(i) + "]";
      if (!link.is_object()) fail(source, field, "must be an object {hosts, bandwidth}");
      only_fields(link, {"hosts", "bandwidth"}, source, field);
      const json& pair = required(link, "hosts", source, field + ".hosts");
      if (!pair.is_array() || pair.size() != 2)
        fail(source, field + ".hosts", "must be a pair of host names");
      int ends[2];
      for (int e = 0; e < 2; ++e) {
        const std::string name = text_field(pair[e], source, field + ".hosts");
        ends[e] = -1;
        for (int x = 0; x < h; ++x)
          if (c.hosts[x].name == name) ends[e] = x;
        if (ends[e] < 0) fail(source, field + ".hosts", "unknown host '" + name + "'");
      }
      if (ends[0] == ends[1])
        fail(source, field + ".hosts",
             "a link joins two different hosts (a host's own link is its \"bandwidth\")");
      if (c.link_gbps[ends[0]][ends[1]] > 0)
        fail(source, field + ".hosts",
             "a second link between '" + c.hosts[ends[0]].name + "' and '" + c.hosts[ends[1]].name +
                 "'");
      const double gbps = bandwidth_field(required(link, "bandwidth", source, field + ".bandwidth"),
                                          source, field + ".bandwidth");
      c.link_gbps[ends[0]][ends[1]] = c.link_gbps[ends[1]][ends[0]] = gbps;
    }
  }
  c.digest = sha256_hex(canonical(c).dump());
  return c;
}

Cluster read_cluster(const std::string& path, std::uint64_t max_input_bytes) {
  Cluster c = parse_cluster(read_file_maybe_gzip(path, max_input_bytes), path);
  c.file = path;
  return c;
}

std::string cluster_to_json(const Cluster& c, int indent) { return canonical(c).dump(indent); }

}  // namespace pipecut
