// SPDX-License-Identifier: MIT
#include "usage.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "exit_codes.hpp"

namespace resync::cli {
namespace {

// Typos are short words; a longer argument is not one worth comparing (and stays cheap).
constexpr size_t kMaxWord = 64;

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Subcommands a user may type (the hidden collector-host has no group).
std::vector<std::string> visible_subcommands(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_group().empty()) names.push_back(sub->get_name());
  }
  return names;
}

// An option of `app` or of a parent: with fallthrough, `plan --config x` is the global --config.
const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* opt = app->get_option_no_throw(name)) return opt;
  }
  return nullptr;
}

std::vector<std::string> option_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* opt : app->get_options()) {
      for (const std::string& n : opt->get_lnames()) names.push_back("--" + n);
      for (const std::string& n : opt->get_snames()) names.push_back("-" + n);
    }
  }
  return names;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string see_help(const std::string& path) { return " (see " + path + " --help)"; }

// Walks the command line as CLI11 would, to name the first word it could not place.
std::string diagnose(const CLI::App& app, int argc, char** argv) {
  const CLI::App* current = &app;
  std::string path = "resync-mon";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-') {
      std::string name = arg.substr(0, arg.find('='));
      if (name[1] != '-') name = name.substr(0, 2);  // -c5, -wc: the first short option
      const CLI::Option* opt = find_option(current, name);
      if (opt == nullptr) {
        std::string line = "unknown option " + name.substr(0, kMaxWord);
        if (current != &app) line += " for " + path;
        const std::string near = nearest_name(name, option_names(current));
        if (!near.empty()) line += "; did you mean " + near + "?";
        return line + see_help(path);
      }
      if (opt->get_items_expected_max() > 0 && name == arg) ++i;  // its value follows
      continue;
    }
    const std::vector<std::string> subs = visible_subcommands(*current);
    if (subs.empty()) continue;  // a positional argument (config check FILE)
    const CLI::App* sub = nullptr;
    for (const CLI::App* s : current->get_subcommands([](const CLI::App*) { return true; })) {
      if (s->check_name(arg)) sub = s;
    }
    if (sub != nullptr) {
      current = sub;
      path += " " + arg;
      continue;
    }
    std::string line = "unknown subcommand \"" + arg.substr(0, kMaxWord) + "\"";
    if (current != &app) line += " of " + path;
    const std::string near = nearest_name(arg, subs);
    if (!near.empty()) line += "; did you mean " + near + "?";
    return line + " (known: " + join(subs) + "; see " + path + " --help)";
  }
  const std::vector<std::string> subs = visible_subcommands(*current);
  if (!subs.empty() && current->get_subcommands().empty() && current->get_require_subcommand_min())
    return path + " needs a subcommand: " + join(subs) + see_help(path);
  return "";
}

// The deepest subcommand named on the command line, for the help to point at.
std::string command_path(const CLI::App& app) {
  std::string path = "resync-mon";
  const CLI::App* current = &app;
  for (bool more = true; more;) {
    more = false;
    for (const CLI::App* sub : current->get_subcommands()) {
      path += " " + sub->get_name();
      current = sub;
      more = true;
      break;
    }
  }
  return path;
}

struct CodeLine {
  int code;
  const char* text;
};

// One line per code, as in kExitCodeHelp.
constexpr CodeLine kCodeLines[] = {
    {0, "  0  success"},
    {1, "  1  unexpected runtime failure"},
    {2, "  2  bad command line"},
    {3,
     "  3  invalid or unreadable configuration file (the message names file, line and key),\n"
     "     including options a plugin's create() rejects"},
    {4, "  4  a plugin could not be found or loaded"},
    {5, "  5  the server could not bind its address (port in use, no permission)"},
    {6,
     "  6  the source cannot be read: server unreachable or too slow, an answer that is not\n"
     "     resync-mon's, or a missing state file"},
    {7, "  7  the server refused the credentials (401/403): see --token, --user"},
    {8,
     "  8  the state file is not a valid state file (foreign, truncated, corrupt, newer format)"},
    {9, "  9  another resync-mon serve holds the state file (its lock, <state_file>.lock)"},
};

constexpr const char* kConfigOption =
    "Global option (before or after the subcommand):\n"
    "  -c,--config FILE            Configuration file, YAML (.yaml/.yml) or TOML (.toml);\n"
    "                              default: the embedded configuration (system collector)\n";

std::string footer(const std::vector<int>& codes, bool uses_config) {
  std::string out = uses_config ? std::string(kConfigOption) + "\n" : "";
  out += "Exit codes:";
  for (const CodeLine& line : kCodeLines) {
    if (std::find(codes.begin(), codes.end(), line.code) != codes.end())
      out += std::string("\n") + line.text;
  }
  return out;
}

}  // namespace

std::string nearest_name(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.size() > kMaxWord) return "";
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;  // "confg", "chek", "minute"
  for (const std::string& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_distance) best_distance = d, best = c;
  }
  return best;
}

std::string usage_error(const CLI::App& app, int argc, char** argv, const CLI::Error& error) {
  const std::string diagnosis = diagnose(app, argc, argv);
  if (!diagnosis.empty()) return diagnosis;
  return error.what() + see_help(command_path(app));
}

void set_help_footers(CLI::App& app) {
  const std::vector<int> reader = {0, 1, 2, 3, 6, 7, 8};
  const std::map<std::string, std::pair<std::vector<int>, bool>> table = {
      {"serve", {{0, 1, 2, 3, 4, 5, 9}, true}},
      {"current", {{0, 1, 2, 3, 4, 6, 7, 8}, true}},
      {"history", {reader, true}},
      {"report", {reader, true}},
      {"plan", {{0, 1, 2, 3}, true}},
      {"plugins", {{0, 1, 2, 3, 4}, true}},
      {"config", {{0, 1, 2, 3, 4}, false}},
  };
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == "check") {
      sub->footer(std::string(kConfigOption) +
                  "\nExit codes (Monitoring Plugins convention): 0 OK, 1 WARNING, 2 CRITICAL,\n"
                  "3 UNKNOWN (any failure, bad options and Ctrl-C included).");
      continue;
    }
    const auto it = table.find(sub->get_name());
    if (it == table.end()) continue;  // keeps the whole table
    sub->footer(footer(it->second.first, it->second.second));
    for (CLI::App* child : sub->get_subcommands([](CLI::App*) { return true; }))
      child->footer(footer(it->second.first, it->second.second));
  }
}

}  // namespace resync::cli
