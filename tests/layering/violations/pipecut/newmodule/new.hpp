#pragma once
// Fixture for the layering test: a module that has no place in the layer order.
#include "pipecut/model/graph.hpp"
