// SPDX-License-Identifier: MIT
#include "plugin_host.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <set>
#include <system_error>

#include "resync/error.hpp"

namespace fs = std::filesystem;

namespace resync {
namespace {

bool valid_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// "section.field" or "section.sub.field", each part [a-z0-9_]+.
bool valid_field(std::string_view path) {
  size_t parts = 0;
  for (size_t at = 0; at <= path.size();) {
    const size_t dot = std::min(path.find('.', at), path.size());
    if (!valid_name(path.substr(at, dot - at))) return false;
    ++parts;
    at = dot + 1;
  }
  return parts >= 2;
}

// The descriptions a plugin appended to its table (ABI 0.2), or generic ones for an older plugin.
std::vector<SeriesDescription> read_descriptions(
    const resync_plugin_v1& table, const std::function<PluginLoadError(const std::string&)>& fail) {
  const bool has_desc =
      table.struct_size >= offsetof(resync_plugin_v1, series_desc_size) + sizeof(uint32_t) &&
      table.series_desc != nullptr;
  if (has_desc && table.series_desc_size < RESYNC_SERIES_DESC_MIN_SIZE) {
    throw fail("series descriptions are " + std::to_string(table.series_desc_size) +
               " bytes each, expected at least " + std::to_string(RESYNC_SERIES_DESC_MIN_SIZE));
  }
  std::vector<SeriesDescription> out;
  for (uint32_t i = 0; i < table.series_count; ++i) {
    SeriesDescription d(table.series[i]);
    if (!has_desc) {
      d.help = "Series " + d.name + " of plugin " + table.name + ".";
      out.push_back(std::move(d));
      continue;
    }
    // Stride by the plugin's struct size, so a plugin built with a later, larger struct loads.
    const auto* raw = reinterpret_cast<const unsigned char*>(table.series_desc) +
                      size_t{i} * table.series_desc_size;
    const auto& desc = *reinterpret_cast<const resync_series_desc*>(raw);
    const std::string where = "series '" + d.name + "': ";
    if (!desc.name || d.name != desc.name)
      throw fail(where + "description " + std::to_string(i) + " names another series");
    if (desc.unit > RESYNC_UNIT_BOOLEAN)
      throw fail(where + "unknown unit " + std::to_string(desc.unit));
    if (desc.kind > RESYNC_KIND_COUNTER)
      throw fail(where + "unknown kind " + std::to_string(desc.kind));
    if (desc.current_field && !valid_field(desc.current_field)) {
      throw fail(where + "current_field \"" + std::string(desc.current_field) +
                 "\" is not section.field");
    }
    if (desc.history_field && !valid_field(desc.history_field)) {
      throw fail(where + "history_field \"" + std::string(desc.history_field) +
                 "\" is not section.field");
    }
    d.unit = static_cast<Unit>(desc.unit);
    d.kind = static_cast<Kind>(desc.kind);
    d.help = desc.help ? desc.help : "";
    d.current_field = desc.current_field ? desc.current_field : "";
    d.history_field = desc.history_field ? desc.history_field : "";
    d.flags = desc.flags;
    out.push_back(std::move(d));
  }
  return out;
}

// The presentation hints a plugin appended to its table (ABI 0.3), laid onto its descriptions;
// an older plugin, or one without hints, keeps the defaults.
void read_presentation(const resync_plugin_v1& table, std::vector<SeriesDescription>& series,
                       const std::function<PluginLoadError(const std::string&)>& fail) {
  if (table.struct_size < offsetof(resync_plugin_v1, presentation) + sizeof(void*)) return;
  const resync_presentation* p = table.presentation;
  if (!p) return;
  if (p->struct_size < RESYNC_PRESENTATION_MIN_SIZE) {
    throw fail("presentation hints are " + std::to_string(p->struct_size) +
               " bytes, expected at least " + std::to_string(RESYNC_PRESENTATION_MIN_SIZE));
  }
  if (p->series && p->series_count && p->series_size < RESYNC_SERIES_HINT_MIN_SIZE) {
    throw fail("series hints are " + std::to_string(p->series_size) +
               " bytes each, expected at least " + std::to_string(RESYNC_SERIES_HINT_MIN_SIZE));
  }
  for (SeriesDescription& d : series) {
    d.order = p->order;
    if (p->card_title) d.card = p->card_title;
  }
  for (uint32_t i = 0; p->series && i < p->series_count; ++i) {
    // Stride by the plugin's struct size, so a plugin built with a later, larger struct loads.
    const auto& hint = *reinterpret_cast<const resync_series_hint*>(
        reinterpret_cast<const unsigned char*>(p->series) + size_t{i} * p->series_size);
    const auto it = std::find_if(series.begin(), series.end(), [&](const SeriesDescription& d) {
      return hint.name && d.name == hint.name;
    });
    if (it == series.end()) {
      throw fail("presentation hint " + std::to_string(i) + " names no series of the plugin (" +
                 std::string(hint.name ? hint.name : "null") + ")");
    }
    if (hint.card) it->card = hint.card;
    if (hint.label) it->label = hint.label;
    if (hint.chart) it->chart = hint.chart;
    it->hint_flags = hint.flags;
  }
}

}  // namespace

Plugin::~Plugin() {
  if (handle_) dlclose(handle_);
}

std::shared_ptr<const Plugin> Plugin::load(const std::string& path) {
  std::shared_ptr<Plugin> plugin(new Plugin());
  plugin->info_.path = path;
  auto fail = [&path](const std::string& why) { return PluginLoadError(path + ": " + why); };

  dlerror();
  plugin->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!plugin->handle_) {
    const char* why = dlerror();
    throw fail(std::string("cannot load shared library: ") + (why ? why : "unknown error"));
  }
  auto entry =
      reinterpret_cast<resync_plugin_entry_fn>(dlsym(plugin->handle_, RESYNC_PLUGIN_ENTRY_SYMBOL));
  if (!entry) throw fail("missing symbol " RESYNC_PLUGIN_ENTRY_SYMBOL "; not a resync-mon plugin");
  const resync_plugin_v1* table = entry(RESYNC_PLUGIN_ABI_VERSION);
  if (!table) {
    throw fail(RESYNC_PLUGIN_ENTRY_SYMBOL "() returned no descriptor for ABI version " +
               std::to_string(RESYNC_PLUGIN_ABI_VERSION));
  }
  if (table->abi_version != RESYNC_PLUGIN_ABI_VERSION) {
    throw fail("built for plugin ABI version " + std::to_string(table->abi_version) +
               ", this resync-mon needs version " + std::to_string(RESYNC_PLUGIN_ABI_VERSION));
  }
  if (table->struct_size < RESYNC_PLUGIN_V1_MIN_SIZE) {
    throw fail("descriptor is " + std::to_string(table->struct_size) +
               " bytes, expected at least " + std::to_string(RESYNC_PLUGIN_V1_MIN_SIZE));
  }
  if (!table->name || !valid_name(table->name))
    throw fail("plugin name is missing or not [a-z0-9_]+");
  if (!table->create || !table->collect || !table->last_error || !table->status ||
      !table->destroy) {
    throw fail("descriptor of plugin '" + std::string(table->name) + "' has a null callback");
  }
  if (table->series_count > 0 && !table->series) throw fail("series list is null");
  std::set<std::string> seen;
  for (uint32_t i = 0; i < table->series_count; ++i) {
    const char* s = table->series[i];
    if (!s || !valid_name(s))
      throw fail("series " + std::to_string(i) + " has no valid [a-z0-9_]+ name");
    if (!seen.insert(s).second) throw fail("series '" + std::string(s) + "' is listed twice");
  }
  PluginInfo& info = plugin->info_;
  info.series = read_descriptions(*table, fail);
  info.default_rules = read_default_rules(*table, fail);
  read_presentation(*table, info.series, fail);
  const bool has_status_field =
      table->struct_size >= offsetof(resync_plugin_v1, status_field) + sizeof(const char*);
  if (has_status_field && table->status_field) {
    if (!valid_field(table->status_field)) throw fail("status_field is not section.field");
    info.status_field = table->status_field;
  }
  plugin->table_ = table;
  info.name = table->name;
  info.description = table->description ? table->description : "";
  info.abi_version = table->abi_version;
  return plugin;
}

PluginHost::PluginHost(std::vector<std::string> search_dirs) : dirs_(std::move(search_dirs)) {}

std::shared_ptr<const Plugin> PluginHost::load(std::string_view name) const {
  std::string searched;
  for (const std::string& dir : dirs_) {
    const fs::path candidate = fs::path(dir) / (std::string(name) + ".so");
    std::error_code ec;
    if (fs::exists(candidate, ec)) {
      auto plugin = Plugin::load(candidate.string());
      if (plugin->name() != name) {
        throw PluginLoadError(candidate.string() + ": declares plugin name '" + plugin->name() +
                              "', expected '" + std::string(name) + "'");
      }
      return plugin;
    }
    searched += searched.empty() ? dir : ", " + dir;
  }
  throw PluginLoadError("no plugin '" + std::string(name) + "' (looked for " + std::string(name) +
                        ".so in " + (searched.empty() ? "no directory" : searched) + ")");
}

std::vector<PluginHost::Found> PluginHost::discover() const {
  std::vector<Found> found;
  std::set<std::string> names;
  for (const std::string& dir : dirs_) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".so") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      if (!names.insert(file.stem().string()).second) continue;
      Found f{file.string(), nullptr, {}};
      try {
        f.plugin = Plugin::load(file.string());
      } catch (const Error& e) {
        f.error = e.what();
      }
      found.push_back(std::move(f));
    }
  }
  return found;
}

PluginCollector::PluginCollector(std::shared_ptr<const Plugin> plugin,
                                 const std::string& config_json)
    : plugin_(std::move(plugin)) {
  char err[1024] = {0};
  const int rc = plugin_->table().create(config_json.c_str(), &instance_, err, sizeof err);
  if (rc != RESYNC_OK || !instance_) {
    err[sizeof err - 1] = '\0';
    instance_ = nullptr;
    throw PluginLoadError(err[0] ? err : "create() failed with code " + std::to_string(rc));
  }
}

PluginCollector::~PluginCollector() {
  if (instance_) plugin_->table().destroy(instance_);
}

namespace {
struct EmitContext {
  SampleSink* sink;
};
void emit_trampoline(void* ctx, const resync_sample* sample) {
  if (!ctx || !sample || !sample->metric) return;
  static_cast<EmitContext*>(ctx)->sink->emit(sample->metric, sample->value);
}
}  // namespace

void PluginCollector::collect(SampleSink& sink) {
  EmitContext ctx{&sink};
  const int rc = plugin_->table().collect(instance_, emit_trampoline, &ctx);
  if (rc != RESYNC_OK) {
    const char* why = plugin_->table().last_error(instance_);
    throw CollectError(why && *why ? why : "collect() failed with code " + std::to_string(rc));
  }
}

std::string PluginCollector::status() const {
  const char* s = plugin_->table().status(instance_);
  return s ? s : "";
}

std::vector<std::string> plugin_names(const std::vector<std::string>& dirs) {
  std::set<std::string> names;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& path = it->path();
      if (path.extension() == ".so" && valid_name(path.stem().string()))
        names.insert(path.stem().string());
    }
  }
  return {names.begin(), names.end()};
}

}  // namespace resync
