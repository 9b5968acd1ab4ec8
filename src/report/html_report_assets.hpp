#pragma once
// Style sheet and script embedded in every HTML report (see html_report.cpp). Kept apart from
// the page generator so that each can be read on its own.

namespace pipecut::html_assets {

extern const char* const kStyle;   // CSS, screen and print
extern const char* const kScript;  // tooltips and zoom/pan of the graph; marks the page ready

}  // namespace pipecut::html_assets
