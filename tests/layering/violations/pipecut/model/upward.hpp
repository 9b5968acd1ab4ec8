#pragma once
// Fixture for the layering test: a lower layer including a higher one.
#include "pipecut/solve/api.hpp"
#include "pipecut/util/log.hpp"
