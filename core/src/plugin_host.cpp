// SPDX-License-Identifier: MIT
#include "resync/plugin_host.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include "resync/error.hpp"

#ifndef RESYNC_PLUGIN_INSTALL_DIR
#define RESYNC_PLUGIN_INSTALL_DIR "/usr/local/lib/resync-mon/plugins"
#endif

namespace fs = std::filesystem;

namespace resync {
namespace {

bool valid_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

}  // namespace

Plugin::~Plugin() {
  if (handle_) dlclose(handle_);
}

std::shared_ptr<const Plugin> Plugin::load(const std::string& path) {
  std::shared_ptr<Plugin> plugin(new Plugin());
  plugin->path_ = path;
  auto fail = [&path](const std::string& why) { return PluginLoadError(path + ": " + why); };

  dlerror();
  plugin->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!plugin->handle_) {
    const char* why = dlerror();
    throw fail(std::string("cannot load shared library: ") + (why ? why : "unknown error"));
  }
  auto entry = reinterpret_cast<resync_plugin_entry_fn>(dlsym(plugin->handle_, RESYNC_PLUGIN_ENTRY_SYMBOL));
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
  if (table->struct_size < sizeof(resync_plugin_v1)) {
    throw fail("descriptor is " + std::to_string(table->struct_size) + " bytes, expected at least " +
               std::to_string(sizeof(resync_plugin_v1)));
  }
  if (!table->name || !valid_name(table->name)) throw fail("plugin name is missing or not [a-z0-9_]+");
  if (!table->create || !table->collect || !table->last_error || !table->status || !table->destroy) {
    throw fail("descriptor of plugin '" + std::string(table->name) + "' has a null callback");
  }
  if (table->series_count > 0 && !table->series) throw fail("series list is null");
  std::set<std::string> seen;
  for (uint32_t i = 0; i < table->series_count; ++i) {
    const char* s = table->series[i];
    if (!s || !valid_name(s)) throw fail("series " + std::to_string(i) + " has no valid [a-z0-9_]+ name");
    if (!seen.insert(s).second) throw fail("series '" + std::string(s) + "' is listed twice");
    plugin->series_.emplace_back(s);
  }
  plugin->table_ = table;
  plugin->name_ = table->name;
  plugin->description_ = table->description ? table->description : "";
  return plugin;
}

PluginHost::PluginHost(std::vector<std::string> search_dirs) : dirs_(std::move(search_dirs)) {}

std::vector<std::string> PluginHost::default_search_dirs(const std::string& plugin_dir) {
  if (!plugin_dir.empty()) return {plugin_dir};
  std::vector<std::string> dirs;
  const std::string exe_dir = executable_dir();
  if (!exe_dir.empty()) {
    dirs.push_back((fs::path(exe_dir) / "plugins").string());
    dirs.push_back((fs::path(exe_dir).parent_path() / "lib" / "resync-mon" / "plugins").string());
  }
  dirs.emplace_back(RESYNC_PLUGIN_INSTALL_DIR);
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  return dirs;
}

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

PluginCollector::PluginCollector(std::shared_ptr<const Plugin> plugin, const std::string& config_json)
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

}  // namespace resync
