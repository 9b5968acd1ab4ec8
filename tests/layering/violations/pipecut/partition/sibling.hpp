#pragma once
// Fixture for the layering test: a sibling in the same layer.
#include <pipecut/bounds/bounds.hpp>
