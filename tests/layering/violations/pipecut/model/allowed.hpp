#pragma once
// Fixture for the layering test: only lower layers and its own module; never reported.
#include <vector>
#include "pipecut/model/graph.hpp"
#include "pipecut/util/stop.hpp"
#include "pipecut/version.hpp"
