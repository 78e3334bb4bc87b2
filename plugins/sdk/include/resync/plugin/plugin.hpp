// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <exception>
#include <iterator>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#include "resync/plugin/options.hpp"
#include "resync/plugin_abi.h"

/// C++ side of the plugin ABI for the bundled plugins: a collector is a class with a
/// constructor taking Options& (throwing OptionError for a bad key), a collect(const Emitter&)
/// that throws on failure, and an optional status(); RESYNC_DEFINE_PLUGIN turns it into the C
/// descriptor with noexcept entry points.
namespace resync::plugin {

/// Hands values to the host during one collect() call.
class Emitter {
 public:
  Emitter(resync_emit_fn emit, void* sink) : emit_(emit), sink_(sink) {}
  void operator()(const char* metric, double value) const {
    const resync_sample sample{metric, value};
    emit_(sink_, &sample);
  }

 private:
  resync_emit_fn emit_;
  void* sink_;
};

/// Base of bundled collectors: keeps the status text the host shows next to the collector.
class CollectorBase {
 public:
  virtual ~CollectorBase() = default;
  /// Emits one sample; throws std::exception on failure (the message becomes last_error).
  virtual void collect(const Emitter& emit) = 0;
  const std::string& status() const { return status_; }

 protected:
  void set_status(std::string s) { status_ = std::move(s); }

 private:
  std::string status_;
};

namespace detail {

inline void copy_message(char* dest, size_t len, const char* message) {
  if (!dest || len == 0) return;
  std::strncpy(dest, message, len - 1);
  dest[len - 1] = '\0';
}

template <class T>
struct Adapter {
  struct Instance {
    std::unique_ptr<T> impl;
    std::string error;
    std::string status;
  };

  static int create(const char* json, void** out, char* err, size_t err_len) noexcept {
    try {
      Options options(json ? json : "{}");
      auto impl = std::make_unique<T>(options);
      options.finish();
      *out = new Instance{std::move(impl), {}, {}};
      return RESYNC_OK;
    } catch (const OptionError& e) {
      copy_message(err, err_len, e.what());
      return RESYNC_ERR_CONFIG;
    } catch (const std::exception& e) {
      copy_message(err, err_len, e.what());
      return RESYNC_ERR_INTERNAL;
    } catch (...) {
      copy_message(err, err_len, "unknown exception in create()");
      return RESYNC_ERR_INTERNAL;
    }
  }

  static int collect(void* instance, resync_emit_fn emit, void* sink) noexcept {
    auto* i = static_cast<Instance*>(instance);
    try {
      i->impl->collect(Emitter(emit, sink));
      i->error.clear();
      return RESYNC_OK;
    } catch (const std::exception& e) {
      i->error = e.what();
      return RESYNC_ERR_COLLECT;
    } catch (...) {
      i->error = "unknown exception in collect()";
      return RESYNC_ERR_INTERNAL;
    }
  }

  static const char* last_error(void* instance) noexcept {
    return static_cast<Instance*>(instance)->error.c_str();
  }

  static const char* status(void* instance) noexcept {
    auto* i = static_cast<Instance*>(instance);
    try {
      i->status = i->impl->status();
    } catch (...) {
      i->status.clear();
    }
    return i->status.c_str();
  }

  static void destroy(void* instance) noexcept { delete static_cast<Instance*>(instance); }
};

}  // namespace detail

/// Names of a series description table, in order: the descriptor's `series` list.
template <size_t N>
constexpr std::array<const char*, N> series_names(const resync_series_desc (&series)[N]) {
  std::array<const char*, N> names{};
  for (size_t i = 0; i < N; ++i) names[i] = series[i].name;
  return names;
}

/// Builds a default alert rule (resync_alert_rule) in a constant expression:
/// `DefaultRule("error_rate").warning(RESYNC_CMP_ABOVE, 5, 3).for_ms(30000).flapping().rule()`.
class DefaultRule {
 public:
  constexpr explicit DefaultRule(const char* metric)
      : r_{metric, RESYNC_CMP_NONE, RESYNC_CMP_NONE, 0, 0, kNone, kNone, 0, 0, 0, 0, nullptr, 0,
           0} {}
  /// `metric <cmp> threshold` is a warning; an active one resolves at `clear` (hysteresis).
  constexpr DefaultRule& warning(uint32_t cmp, double threshold, double clear = kNone) {
    r_.warning_cmp = cmp;
    r_.warning = threshold;
    r_.warning_clear = clear;
    return *this;
  }
  constexpr DefaultRule& critical(uint32_t cmp, double threshold, double clear = kNone) {
    r_.critical_cmp = cmp;
    r_.critical = threshold;
    r_.critical_clear = clear;
    return *this;
  }
  constexpr DefaultRule& for_ms(uint32_t ms) {
    r_.for_ms = ms;
    return *this;
  }
  /// Nagios' thresholds by default: flapping from 30 % state changes until below 20 %.
  constexpr DefaultRule& flapping(double high = 30, double low = 20) {
    r_.flap_high = high;
    r_.flap_low = low;
    return *this;
  }
  /// The bundled plugins' defence against alert storms: the condition must hold for 30 s, and a
  /// value wandering across a threshold flaps as one episode instead of firing again and again.
  constexpr DefaultRule& calm() { return for_ms(30000).flapping(); }
  template <size_t N>
  constexpr DefaultRule& guard(const char* const (&metrics)[N], double min_increase) {
    r_.guard_metrics = metrics;
    r_.guard_count = static_cast<uint32_t>(N);
    r_.guard_min_increase = min_increase;
    return *this;
  }
  constexpr resync_alert_rule rule() const { return r_; }

 private:
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  resync_alert_rule r_;
};

/// A plugin's default alert rules for make_table(): a static array of them, or nullptr for none.
struct DefaultRules {
  constexpr DefaultRules() = default;
  constexpr DefaultRules(std::nullptr_t) {}  // NOLINT(google-explicit-constructor)
  template <size_t N>
  constexpr DefaultRules(const resync_alert_rule (&r)[N])  // NOLINT(google-explicit-constructor)
      : rules(r), count(static_cast<uint32_t>(N)) {}
  const resync_alert_rule* rules = nullptr;
  uint32_t count = 0;
};

namespace detail {
constexpr const resync_presentation* presentation_of(const resync_presentation& p) { return &p; }
constexpr const resync_presentation* presentation_of(std::nullptr_t) { return nullptr; }
}  // namespace detail

/// The descriptor of collector class T. `names` is series_names(series), kept in static storage
/// by the caller; `status_field` places the collector's status text in /current, or nullptr;
/// `presentation` holds the screens' hints, or nullptr for the host's defaults; `rules` are its
/// default alert rules.
template <class T, size_t N>
constexpr resync_plugin_v1 make_table(const char* name, const char* description,
                                      const resync_series_desc (&series)[N],
                                      const char* const* names, const char* status_field,
                                      const resync_presentation* presentation = nullptr,
                                      DefaultRules rules = {}) {
  return resync_plugin_v1{RESYNC_PLUGIN_ABI_VERSION,
                          sizeof(resync_plugin_v1),
                          name,
                          description,
                          names,
                          static_cast<uint32_t>(N),
                          0,
                          &detail::Adapter<T>::create,
                          &detail::Adapter<T>::collect,
                          &detail::Adapter<T>::last_error,
                          &detail::Adapter<T>::status,
                          &detail::Adapter<T>::destroy,
                          series,
                          sizeof(resync_series_desc),
                          status_field,
                          presentation,
                          rules.rules,
                          rules.count,
                          sizeof(resync_alert_rule)};
}

}  // namespace resync::plugin

/// Exports the entry point of a plugin whose collector class is `Type`. `series` is a static
/// array of resync_series_desc describing every series it may emit; `status_field` ("tws.status")
/// is where /current shows the collector's status text, or nullptr. `presentation` is a static
/// resync_presentation telling the screens how to show the series (card titles, headline, chart
/// groups, order), or nullptr for the host's defaults; `rules` is a static array of
/// resync_alert_rule on the plugin's own series (see DefaultRule), or nullptr for none.
#define RESYNC_DEFINE_PLUGIN_WITH_HINTS_AND_RULES(Type, name, description, series, status_field,  \
                                                  presentation, rules)                            \
  extern "C" RESYNC_PLUGIN_EXPORT const resync_plugin_v1* resync_plugin_entry(uint32_t) {         \
    namespace rp = ::resync::plugin;                                                              \
    static const auto names = rp::series_names(series);                                           \
    static const resync_plugin_v1 table =                                                         \
        rp::make_table<Type>(name, description, series, names.data(), status_field,               \
                             rp::detail::presentation_of(presentation), rp::DefaultRules(rules)); \
    return &table;                                                                                \
  }

/// A plugin with neither presentation hints nor default alert rules.
#define RESYNC_DEFINE_PLUGIN_WITH_STATUS(Type, name, description, series, status_field)    \
  RESYNC_DEFINE_PLUGIN_WITH_HINTS_AND_RULES(Type, name, description, series, status_field, \
                                            nullptr, nullptr)

/// RESYNC_DEFINE_PLUGIN_WITH_STATUS for a collector whose status has no place in /current.
#define RESYNC_DEFINE_PLUGIN(Type, name, description, series) \
  RESYNC_DEFINE_PLUGIN_WITH_STATUS(Type, name, description, series, nullptr)
