#pragma once
// Fixture for the layering test: the bottom layer including the umbrella.
#include "pipecut/pipecut.hpp"
