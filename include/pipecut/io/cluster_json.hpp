#pragma once
// `pipecut.cluster` v1: devices of different classes on hosts joined by links of different
// bandwidth (model/cluster.hpp). Schema in docs/formats.md, model in docs/clusters.md.
#include <cstdint>
#include <string>

#include "pipecut/io/file_util.hpp"
#include "pipecut/model/cluster.hpp"

namespace pipecut {

// Reads a cluster file (gzip allowed, at most `max_input_bytes` after decompression; 0 = no
// cap). Strict: a missing or unknown field, a wrong type, a bad number or unit, a duplicate
// name, an unknown class or host is an InputError naming the file and the field.
Cluster read_cluster(const std::string& path,
                     std::uint64_t max_input_bytes = kDefaultMaxInputBytes);
// The same from the file's text; `source` names it in messages.
Cluster parse_cluster(const std::string& text, const std::string& source);

// A bandwidth as users write it, in GB/s (1e9 bytes per second): a number in GB/s, or a number
// with a unit: B/s, kB/s, MB/s, GB/s, TB/s (bytes, powers of 1000), KiB/s, MiB/s, GiB/s, TiB/s
// (bytes, powers of 1024), kb/s, Mb/s, Gb/s, Tb/s (bits, powers of 1000). The case of B (bytes)
// and b (bits) matters. Zero, negative, NaN or an unknown unit is an InputError starting with
// `what`.
double parse_bandwidth_gbps(const std::string& text, const std::string& what);

// The cluster as a pipecut.cluster document (canonical: every field explicit, keys sorted);
// reading it back gives the same cluster and digest.
std::string cluster_to_json(const Cluster& c, int indent = 2);

}  // namespace pipecut
