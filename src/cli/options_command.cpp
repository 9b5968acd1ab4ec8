// `pipecut options [--markdown | --json]`: every option of the library's option structs, from
// their one declaration (pipecut/util/options.hpp); docs/options.md is the --markdown output.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pipecut/io/option_groups.hpp"

namespace pipecut::cli {

namespace {

std::string markdown_cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string options_markdown(const std::vector<OptionGroupDoc>& groups) {
  std::string md =
      "# Options\n\n"
      "<!-- Written by `pipecut options --markdown` from the option catalogues; a test keeps it "
      "current. Edit the declarations (util/options.hpp and each options struct), not this "
      "file. -->\n\n"
      "Every option of the library's option structs is declared once, with its name, unit, "
      "range and default. The command line takes it as `--name`, Python as the keyword "
      "argument `name_with_underscores`, and the C++ API as the struct's field; all three "
      "check it with the same rules and the same one-line message. `pipecut options --json` "
      "prints this catalogue for scripts.\n";
  for (const OptionGroupDoc& g : groups) {
    md += "\n## " + g.title + "\n\nCommands: ";
    for (std::size_t i = 0; i < g.commands.size(); ++i)
      md += (i ? ", " : "") + std::string("`pipecut ") + g.commands[i] + "`";
    md += ". Python: `pipecut." + g.python_function + "(...)`.\n\n";
    md +=
        "| option | Python | kind | default | allowed | what it does |\n"
        "|---|---|---|---|---|---|\n";
    for (const auto& [spec, default_text] : g.options) {
      std::string name = "`--" + spec.name + "`";
      if (!spec.short_name.empty()) name = "`-" + spec.short_name + "`, " + name;
      if (!spec.cli_alias.empty()) name += ", `--" + spec.cli_alias + "`";
      std::string shown_default = spec.kind == OptionKind::flag ? "off"
                                  : !default_text.empty()       ? "`" + default_text + "`"
                                                                : spec.unset;
      std::string allowed = option_range_text(spec);
      if (!spec.unit.empty())
        allowed += (allowed.empty() ? "" : ", ") + std::string("in ") + spec.unit;
      md += "| " + name + " | " + (spec.python ? "`" + python_option_name(spec) + "`" : "—") +
            " | " + option_kind_name(spec.kind) + " | " + markdown_cell(shown_default) + " | " +
            markdown_cell(allowed) + " | " + markdown_cell(spec.help) + " |\n";
    }
  }
  return md;
}

nlohmann::json options_json(const std::vector<OptionGroupDoc>& groups) {
  nlohmann::json out = {
      {"format", "pipecut.options"}, {"version", 1}, {"groups", nlohmann::json::array()}};
  for (const OptionGroupDoc& g : groups) {
    nlohmann::json group = {{"name", g.name},
                            {"title", g.title},
                            {"commands", g.commands},
                            {"python_function", g.python_function},
                            {"options", nlohmann::json::array()}};
    for (const auto& [spec, default_text] : g.options) {
      nlohmann::json o = {{"name", spec.name},
                          {"python", spec.python ? nlohmann::json(python_option_name(spec))
                                                 : nlohmann::json(nullptr)},
                          {"kind", option_kind_name(spec.kind)},
                          {"default", default_text},
                          {"unset", spec.unset},
                          {"unit", spec.unit},
                          {"allowed", option_range_text(spec)},
                          {"help", spec.help}};
      if (!spec.short_name.empty()) o["short"] = spec.short_name;
      if (!spec.cli_alias.empty()) o["alias"] = spec.cli_alias;
      if (spec.choices) o["choices"] = spec.choices();
      group["options"].push_back(std::move(o));
    }
    out["groups"].push_back(std::move(group));
  }
  return out;
}

}  // namespace

void add_options_command(CLI::App& app, int& exit_code) {
  auto markdown = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "options",
      "List every option of the solve, partition, bound and graph-reading commands with its\n"
      "Python keyword, kind, default and allowed values (one declaration serves the command\n"
      "line, Python and docs/options.md).");
  cmd->add_flag("--markdown", *markdown, "Print docs/options.md");
  cmd->add_flag("--json", *json, "Print the catalogue as JSON (format pipecut.options v1)");
  cmd->callback([markdown, json, &exit_code] {
    if (*markdown && *json) throw InputError("options: give --markdown or --json, not both");
    const std::vector<OptionGroupDoc> groups = option_groups();
    if (*json) {
      write_text_output(options_json(groups).dump(2), "-");
    } else if (*markdown) {
      std::cout << options_markdown(groups);
    } else {
      for (const OptionGroupDoc& g : groups) {
        std::cout << g.title << " — python: pipecut." << g.python_function << "\n";
        for (const auto& [spec, default_text] : g.options)
          std::cout << "  --" << spec.name
                    << (default_text.empty() ? "" : " [" + default_text + "]") << "  "
                    << option_range_text(spec) << "\n";
      }
    }
    exit_code = kExitOk;
  });
}

}  // namespace pipecut::cli
