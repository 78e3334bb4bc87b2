// SPDX-License-Identifier: MIT
#include "monitor_build.hpp"

#include <algorithm>
#include <map>

#include "plugin_host.hpp"
#include "process_collector.hpp"
#include "resync/catalog.hpp"
#include "resync/error.hpp"
#include "resync/plugins.hpp"
#include "resync/signals.hpp"

namespace resync::detail {
namespace {

// A plugin's create() error about one key starts with "<key>: "; place it in the file.
[[noreturn]] void rethrow_create_error(const Config& config, const CollectorConfig& cc,
                                       const std::string& message) {
  const size_t colon = message.find(": ");
  if (colon != std::string::npos) {
    const std::string key = message.substr(0, colon);
    auto it = cc.key_lines.find(key);
    if (it != cc.key_lines.end()) {
      throw ConfigError(config_message(config.source, it->second, cc.key_path + "." + key,
                                       message.substr(colon + 2)));
    }
    if (key == "name" || key == "timeout") {
      throw ConfigError(config_message(config.source, cc.line, cc.key_path + "." + key,
                                       message.substr(colon + 2)));
    }
  }
  throw ConfigError(config_message(config.source, cc.line, cc.key_path, message));
}

// Which installed plugin declares `metric`, as advice for a rule nobody provides: a newcomer who
// copied a rule from an example needs to hear which collector brings its series. Error path only.
std::string provider_hint(const std::string& metric, const std::string& plugin_dir) {
  for (const PluginInfo& p : discover_plugins(plugin_search_dirs(plugin_dir))) {
    for (const SeriesDescription& d : p.series) {
      if (d.name == metric) {
        return "; the " + p.name + " plugin provides it: add a collector `- plugin: " + p.name +
               "`, or remove this rule";
      }
    }
  }
  return "";
}

// "; known: a, b" for rule errors.
std::string known_series(const SeriesLayout& layout, const std::string& instance = "") {
  std::vector<std::string> names;
  for (const SeriesKey& k : layout.keys()) {
    if (!instance.empty() && k.instance != instance) continue;
    if (is_host_series(k.metric) || std::find(names.begin(), names.end(), k.metric) != names.end())
      continue;
    names.push_back(k.metric);
  }
  std::string text;
  for (const std::string& n : names) text += (text.empty() ? "; known: " : ", ") + n;
  return text;
}

std::unique_ptr<Collector> create_collector(const Config& config, const CollectorConfig& cc,
                                            const std::shared_ptr<const Plugin>& plugin) {
  try {
    if (cc.isolation == Isolation::kProcess) {
      return std::make_unique<ProcessCollector>(
          ProcessCollector::Options{collector_host_executable(), plugin->path(), plugin->name(),
                                    cc.name, cc.options_json, cc.timeout});
    }
    const CurrentCollector current(cc.name.c_str());  // a crash in create() names it too
    return std::make_unique<PluginCollector>(plugin, cc.options_json);
  } catch (const PluginLoadError& e) {
    rethrow_create_error(config, cc, redact(e.what(), config.secrets));
  }
}

}  // namespace

BuiltCollectors build_collectors(
    const Config& config, const std::function<const InstanceInfo*(const CollectorConfig&)>& reuse) {
  const PluginHost host(PluginHost::default_search_dirs(config.plugin_dir));
  std::map<std::string, std::shared_ptr<const Plugin>> loaded;
  BuiltCollectors built;
  for (const CollectorConfig& cc : config.collectors) {
    if (const InstanceInfo* running = reuse ? reuse(cc) : nullptr) {
      loaded.emplace(cc.plugin, nullptr);  // configured, whether loaded here or not
      built.instances.push_back(*running);
      built.entries.push_back({cc.name, cc.plugin, nullptr, cc.timeout});
      continue;
    }
    auto& plugin = loaded[cc.plugin];
    if (!plugin) {
      try {
        plugin = host.load(cc.plugin);
      } catch (const PluginLoadError& e) {
        throw PluginLoadError(
            config_message(config.source, cc.line, cc.key_path + ".plugin", e.what()));
      }
    }
    std::unique_ptr<Collector> collector = create_collector(config, cc, plugin);
    built.instances.push_back({cc.name, cc.plugin, plugin->series(), plugin->info().status_field,
                               plugin->info().default_rules});
    built.entries.push_back({cc.name, cc.plugin, std::move(collector), cc.timeout});
  }
  for (std::string& name : plugin_names(PluginHost::default_search_dirs(config.plugin_dir))) {
    if (!loaded.count(name)) built.unconfigured.push_back(std::move(name));
  }
  return built;
}

void add_instance_series(SeriesLayout& layout, const InstanceInfo& info) {
  for (const SeriesDescription& d : info.series) layout.add({d.name, info.name, info.plugin, d});
  for (const SeriesDescription& d : host_series()) layout.add({d.name, info.name, info.plugin, d});
}

// Rules are checked against what the configured plugins declare, which is only known once they
// are loaded; the built-in defaults may name series nobody provides and then simply never fire.
void check_rules(const Config& config, const std::vector<InstanceInfo>& instances,
                 const SeriesLayout& layout) {
  for (const AlertRule& rule : config.alerts) {
    if (rule.key_path.empty()) continue;
    auto fail = [&](int line, const std::string& key, const std::string& message) {
      throw ConfigError(config_message(config.source, line, rule.key_path + "." + key, message));
    };
    const InstanceInfo* instance = nullptr;
    if (!rule.instance.empty()) {
      std::string names;
      for (const InstanceInfo& i : instances) {
        if (i.name == rule.instance) instance = &i;
        names += (names.empty() ? "" : ", ") + i.name;
      }
      if (!instance) {
        fail(rule.instance_line, "instance",
             "no collector instance is named \"" + rule.instance +
                 "\"; configured: " + (names.empty() ? "none" : names));
      }
    }
    auto known = [&](const std::string& metric) {
      return instance ? layout.find(metric, instance->name).has_value()
                      : layout.find_first(metric).has_value();
    };
    if (!known(rule.metric)) {
      if (instance && layout.find_first(rule.metric)) {
        fail(rule.line, "metric",
             "instance \"" + instance->name + "\" (plugin " + instance->plugin +
                 ") does not provide \"" + rule.metric + "\"" +
                 known_series(layout, instance->name));
      }
      fail(rule.line, "metric",
           "no configured collector provides \"" + rule.metric + "\"" +
               provider_hint(rule.metric, config.plugin_dir) + known_series(layout));
    }
    if (!rule.guard) continue;
    for (size_t i = 0; i < rule.guard->metrics.size(); ++i) {
      if (!known(rule.guard->metrics[i])) {
        fail(rule.line, "guard.metrics[" + std::to_string(i) + "]",
             "no configured collector provides \"" + rule.guard->metrics[i] + "\"" +
                 (instance ? " on instance \"" + instance->name + "\"" : std::string()));
      }
    }
  }
}

std::vector<AlertRule> rules_in_effect(const Config& config,
                                       const std::vector<InstanceInfo>& instances) {
  std::vector<PluginInfo> plugins;
  for (const InstanceInfo& i : instances) {
    PluginInfo p;
    p.name = i.plugin;
    p.default_rules = i.default_rules;
    plugins.push_back(std::move(p));
  }
  return effective_alert_rules(config, plugins);
}

}  // namespace resync::detail
