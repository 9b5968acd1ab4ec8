#pragma once
// Fixture for the layering test: a lower layer including a higher one.
#include "pipecut/util/log.hpp"
#include "pipecut/solve/api.hpp"
