/* SPDX-License-Identifier: MIT */
/*
 * resync-mon collector plugin ABI, version 1.
 *
 * A plugin is a shared library exporting one C function, resync_plugin_entry(), that returns a
 * pointer to a constant, statically allocated descriptor. The host (resync-mon) checks the
 * descriptor's ABI version, size, name and callbacks before it calls anything else, and names
 * the .so file in every error.
 *
 * Rules for both sides:
 *   - Only C types cross the boundary. Strings are NUL-terminated UTF-8.
 *   - No exception may leave a callback; errors are negative RESYNC_ERR_* codes plus text.
 *   - The host never calls collect() on one instance from two threads at once, and never calls
 *     destroy() while collect() runs. Different instances may be collected concurrently, so a
 *     plugin keeps its state in instances, never in globals.
 *   - Fields are only ever appended to the descriptor; a host reading an older, smaller
 *     descriptor uses struct_size to know which fields exist. Changing the meaning or order of a
 *     field bumps RESYNC_PLUGIN_ABI_VERSION.
 */
#ifndef RESYNC_PLUGIN_ABI_H
#define RESYNC_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. A host loads only plugins built for the same version. */
#define RESYNC_PLUGIN_ABI_VERSION 1u

/* Name of the one symbol a plugin exports. */
#define RESYNC_PLUGIN_ENTRY_SYMBOL "resync_plugin_entry"

#if defined(_WIN32)
#define RESYNC_PLUGIN_EXPORT __declspec(dllexport)
#else
#define RESYNC_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* Return codes of create() and collect(). */
#define RESYNC_OK 0
#define RESYNC_ERR_CONFIG (-1)   /* the configuration is invalid; the message names the key */
#define RESYNC_ERR_COLLECT (-2)  /* this collection failed; last_error() says why */
#define RESYNC_ERR_INTERNAL (-3) /* anything else (out of memory, unexpected exception) */

/* Unit of a series (resync_series_desc.unit). The host derives /metrics names and scales from
 * it (a MILLISECONDS series is exported in seconds), and the views label axes and values. */
#define RESYNC_UNIT_COUNT 0u /* plain number of things: requests, keys, jobs */
#define RESYNC_UNIT_SECONDS 1u
#define RESYNC_UNIT_MILLISECONDS 2u /* stored and shown in ms, exported in seconds */
#define RESYNC_UNIT_BYTES 3u
#define RESYNC_UNIT_PERCENT 4u    /* 0..100 */
#define RESYNC_UNIT_RATIO 5u      /* 0..1 */
#define RESYNC_UNIT_PER_SECOND 6u /* a rate */
#define RESYNC_UNIT_BOOLEAN 7u    /* 0 or 1; /current shows true/false */

/* Kind of a series (resync_series_desc.kind): its Prometheus TYPE. */
#define RESYNC_KIND_GAUGE 0u
#define RESYNC_KIND_COUNTER 1u /* cumulative, only grows except on a reset of its source */

/* Flags of a series (resync_series_desc.flags), OR-ed. */
/* The section of /current named by current_field takes its "trend" (% change against the sample
 * five minutes earlier) from this series. At most one series per section sets it. */
#define RESYNC_SERIES_TREND 0x1u
/* When the plugin emits no value for this series, the host fills the share (%) of successful
 * collector runs of all collectors over the window: an availability figure needing no probe. */
#define RESYNC_SERIES_HOST_AVAILABILITY 0x2u
/* The host always fills this series with the number of collector runs in flight. */
#define RESYNC_SERIES_HOST_IN_FLIGHT 0x4u
/* The /history column of this series (a COUNTER) holds its increase per sample, not its value. */
#define RESYNC_SERIES_HISTORY_INCREASE 0x8u

/* Description of one series a plugin may emit (resync_plugin_v1.series_desc). Strings are
 * static storage. Fields are only ever appended, guarded by resync_plugin_v1.series_desc_size. */
typedef struct resync_series_desc {
  /* Series name, [a-z0-9_]+, equal to the entry of resync_plugin_v1.series at the same index. */
  const char* name;
  uint32_t unit; /* RESYNC_UNIT_* */
  uint32_t kind; /* RESYNC_KIND_* */
  /* One sentence for humans: Prometheus HELP, `resync-mon plugins`, report tables. */
  const char* help;
  /* Where the value appears in /api/monitoring/current, as "section.field" (for example
   * "api.requests_per_sec", or "tws.jobs.error" one level deeper), or NULL when it has no place
   * there. The plugin's first instance fills it; a section the document lacks is appended. */
  const char* current_field;
  /* Where the series appears in /api/monitoring/history, as "section.field", or NULL. Several
   * series naming one field are summed there (cache.operations = hits + misses, each with
   * RESYNC_SERIES_HISTORY_INCREASE). A charted series without a field of its own is listed by
   * name in the document's `series` object, so the dashboard's charts fill from it either way. */
  const char* history_field;
  uint32_t flags; /* RESYNC_SERIES_* */
} resync_series_desc;

/* Comparison of a threshold of a default alert rule (resync_alert_rule). */
#define RESYNC_CMP_NONE 0u /* no threshold of this severity */
#define RESYNC_CMP_ABOVE 1u
#define RESYNC_CMP_AT_LEAST 2u
#define RESYNC_CMP_BELOW 3u
#define RESYNC_CMP_AT_MOST 4u
#define RESYNC_CMP_EQUALS 5u

/* A default alert rule on the plugin's own series (resync_plugin_v1.default_rules), meaning what
 * the same rule under `alerts:` in the configuration means. Static storage. Fields are only ever
 * appended, guarded by resync_plugin_v1.default_rule_size. */
typedef struct resync_alert_rule {
  const char* metric;    /* one of the plugin's series[] */
  uint32_t warning_cmp;  /* RESYNC_CMP_*: `metric <cmp> warning` means warning */
  uint32_t critical_cmp; /* RESYNC_CMP_*: `metric <cmp> critical` means critical */
  double warning;
  double critical;
  /* Hysteresis: an active alert of that severity resolves only once the value reaches this
   * level, on the good side of its threshold; NaN resolves at the threshold. */
  double warning_clear;
  double critical_clear;
  uint32_t for_ms;             /* the condition must hold this long before firing; 0 = at once */
  uint32_t keep_firing_for_ms; /* stays firing this long after clearing */
  /* Flap detection: flapping starts at flap_high percent of state changes over the last 21
   * evaluations and ends below flap_low; flap_high 0 = off. */
  double flap_high;
  double flap_low;
  /* Guard: the rule applies only when these guard_count counters of the plugin together grew
   * by more than guard_min_increase since the previous sample; guard_count 0 = always. */
  const char* const* guard_metrics;
  uint32_t guard_count;
  double guard_min_increase;
} resync_alert_rule;

/* One value of one series, passed to the host through resync_emit_fn. */
typedef struct resync_sample {
  /* Series name, one of the descriptor's series[] (others are ignored by the host). Only needs
   * to live for the duration of the emit call: the host copies what it keeps. */
  const char* metric;
  /* The value. NaN means "no value this sample" and is stored as missing. */
  double value;
} resync_sample;

/* Callback through which collect() hands samples to the host. `sink` is the opaque pointer the
 * host passed to collect(); call it only from inside that collect() call. */
typedef void (*resync_emit_fn)(void* sink, const resync_sample* sample);

/* Flags of a presentation hint (resync_series_hint.flags), OR-ed. */
/* The series is its card's big value; a card shows at most two. */
#define RESYNC_HINT_HEADLINE 0x1u
/* The series gets no chart (a cumulative total beside its own rate, a label-like number). */
#define RESYNC_HINT_NO_CHART 0x2u

/* How the screens (dashboard and report) show one series. Every field is optional: a series
 * without a hint shows on its plugin's card, labelled from its name, in a chart of its unit.
 * Strings are static storage. Fields are only ever appended, guarded by
 * resync_presentation.series_size. */
typedef struct resync_series_hint {
  const char* name; /* the series this hint is for, one of resync_plugin_v1.series */
  /* Title of the card showing it, when the plugin spreads its series over several cards (the api
   * plugin's "Requests", "Error rate" and "Latency"); NULL = the plugin's card. */
  const char* card;
  const char* label; /* short label on the card and in chart legends ("p95"); NULL = from name */
  /* Title of the chart drawing it; series of one card sharing a title and a unit share a chart.
   * NULL = one chart per card and unit. Two units never share an axis, whatever the titles. */
  const char* chart;
  uint32_t flags; /* RESYNC_HINT_* */
} resync_series_hint;

/* A plugin's presentation hints (resync_plugin_v1.presentation). */
typedef struct resync_presentation {
  uint32_t struct_size;   /* sizeof(resync_presentation) as the plugin saw it */
  const char* card_title; /* title of the plugin's card; NULL = the plugin's name */
  /* Where its cards and charts go: lower first, then configuration order; 0 = after all plugins
   * giving an order. */
  int32_t order;
  const resync_series_hint* series; /* series_count hints, in any order; NULL for none */
  uint32_t series_count;
  uint32_t series_size; /* sizeof(resync_series_hint) as the plugin saw it: the stride */
} resync_presentation;

typedef struct resync_plugin_v1 {
  /* RESYNC_PLUGIN_ABI_VERSION the plugin was compiled against. */
  uint32_t abi_version;
  /* sizeof(resync_plugin_v1) as the plugin saw it; lets later hosts detect appended fields. */
  uint32_t struct_size;
  /* Unique plugin name, [a-z0-9_]+, matching the `plugin:` key of the configuration.
   * Static storage. */
  const char* name;
  /* One-line human description, shown by `resync-mon plugins`. Static storage. */
  const char* description;
  /* The series this plugin may emit, series_count entries, static storage. The host sizes its
   * store from this list: anything emitted outside it is dropped. */
  const char* const* series;
  uint32_t series_count;
  /* Suggested sampling interval in milliseconds; 0 means "use the host's interval". */
  uint32_t default_interval_ms;

  /* Create one instance from its configuration, a JSON object (the collector's entry of the
   * config file, with ${ENV} already substituted, plus host-supplied "interval_ms",
   * "timeout_ms" and "window_ms"). On success stores the instance in *instance and returns
   * RESYNC_OK. On failure returns a negative code and writes a NUL-terminated message of at
   * most err_len bytes into err; a message about one key starts with "<key>: ". */
  int (*create)(const char* config_json, void** instance, char* err, size_t err_len);

  /* Collect one sample: call emit(sink, &sample) once per value, then return RESYNC_OK, or a
   * negative code with the reason available from last_error(). Must return within the
   * "timeout_ms" given to create(); the host gives up waiting after that and records a failure.
   * A target that is down is data (for example tws_connected = 0), not a failure. */
  int (*collect)(void* instance, resync_emit_fn emit, void* sink);

  /* Text of the last failure of create()'s instance or collect(), or "" if none. The pointer
   * stays valid until the next call on this instance. */
  const char* (*last_error)(void* instance);

  /* Short human-readable state of the target after the last collect(), for example "ok",
   * "unauthorized (HTTP 401)" or "down: connection refused"; "" if the plugin has nothing to
   * add. Valid until the next call on this instance. */
  const char* (*status)(void* instance);

  /* Free the instance. Never called concurrently with collect() on it. */
  void (*destroy)(void* instance);

  /* ---- Appended in resync-mon 0.2; a host reads them only when struct_size covers them. ---- */

  /* series_count descriptions, in the order of series[], static storage; NULL when the plugin
   * describes none (each series is then a unitless gauge with a generic help text). */
  const resync_series_desc* series_desc;
  /* sizeof(resync_series_desc) as the plugin saw it: the stride of series_desc[]. */
  uint32_t series_desc_size;
  /* Where the collector's status() text appears in /current ("tws.status"), or NULL. */
  const char* status_field;

  /* ---- Appended in resync-mon 0.3; a host reads them only when struct_size covers them. ---- */

  /* How the dashboard and the report show this plugin's series, static storage; NULL = the
   * host's defaults (one card per plugin, charts by unit). */
  const resync_presentation* presentation;

  /* default_rule_count alert rules on this plugin's series, in effect unless the configuration
   * has its own `alerts:` or `default_alerts: false`; static storage, NULL for none. */
  const resync_alert_rule* default_rules;
  uint32_t default_rule_count;
  /* sizeof(resync_alert_rule) as the plugin saw it: the stride of default_rules[]. */
  uint32_t default_rule_size;
} resync_plugin_v1;

/* Size of the descriptor before the 0.2 fields: older plugins are at least this big. */
#define RESYNC_PLUGIN_V1_MIN_SIZE offsetof(resync_plugin_v1, series_desc)
/* Size of resync_series_hint as first published; a smaller series_size is refused. */
#define RESYNC_SERIES_HINT_MIN_SIZE (offsetof(resync_series_hint, flags) + sizeof(uint32_t))
/* Size of resync_presentation as first published; a smaller struct_size is refused. */
#define RESYNC_PRESENTATION_MIN_SIZE (offsetof(resync_presentation, series_size) + sizeof(uint32_t))
/* Size of resync_series_desc as first published; a smaller series_desc_size is refused. */
#define RESYNC_SERIES_DESC_MIN_SIZE (offsetof(resync_series_desc, flags) + sizeof(uint32_t))
/* Size of resync_alert_rule as first published; a smaller default_rule_size is refused. */
#define RESYNC_ALERT_RULE_MIN_SIZE \
  (offsetof(resync_alert_rule, guard_min_increase) + sizeof(double))

/* The plugin's one exported symbol. The host passes its own ABI version so a plugin able to
 * serve several may choose; a plugin that cannot serve it returns NULL. */
typedef const resync_plugin_v1* (*resync_plugin_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* RESYNC_PLUGIN_ABI_H */
