#include "cli/options_cli.hpp"

namespace pipecut::cli {

std::string option_help(const OptionSpec& spec, const std::string& default_text) {
  std::string text = spec.help;
  if (!spec.unit.empty()) text += " [" + spec.unit + "]";
  if (const std::string range = option_range_text(spec); !range.empty()) text += "; " + range;
  if (spec.kind != OptionKind::flag) {
    if (!default_text.empty())
      text += "; default " + default_text;
    else if (!spec.unset.empty())
      text += "; default: " + spec.unset;
  }
  return text;
}

CLI::Option* add_catalogue_option(CLI::App& cmd, const OptionSpec& spec, OptionField field) {
  std::string names = "--" + spec.name;
  if (!spec.short_name.empty()) names = "-" + spec.short_name + "," + names;
  if (!spec.cli_alias.empty()) names += ",--" + spec.cli_alias;
  const std::string help = option_help(spec, option_value_text(field));
  if (spec.kind == OptionKind::flag) {
    bool* flag = std::get<bool*>(field);
    return cmd.add_flag_callback(
        names, [flag] { *flag = true; }, help);
  }
  CLI::Option* o = cmd.add_option_function<std::string>(
      names, [spec, field](const std::string& text) { set_option_from_text(spec, field, text); },
      help);
  switch (spec.kind) {
    case OptionKind::integer:
      o->type_name("INT");
      break;
    case OptionKind::count:
      o->type_name("UINT");
      break;
    case OptionKind::number:
      o->type_name(spec.unit == "s" ? "SEC" : "NUMBER");
      break;
    case OptionKind::size:
      o->type_name("SIZE");
      break;
    case OptionKind::choice:
      o->type_name("NAME");
      break;
    case OptionKind::choice_or_number:
      o->type_name("NAME|NUMBER");
      break;
    default:
      o->type_name("TEXT");
      break;
  }
  return o;
}

}  // namespace pipecut::cli
