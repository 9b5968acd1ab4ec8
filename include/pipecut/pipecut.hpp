#pragma once
// pipecut: pipeline partitioning of DNN operator graphs with certified lower bounds.
// Include this header and link pipecut::pipecut; see pipecut/solve/api.hpp for the entry points
// and README.md ("C++") for an example.
#include "pipecut/io/partition_json.hpp"  // solution_to_json: the pipecut.partition document
#include "pipecut/solve/api.hpp"
