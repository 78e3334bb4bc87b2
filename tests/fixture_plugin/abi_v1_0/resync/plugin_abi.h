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
} resync_plugin_v1;

/* The plugin's one exported symbol. The host passes its own ABI version so a plugin able to
 * serve several may choose; a plugin that cannot serve it returns NULL. */
typedef const resync_plugin_v1* (*resync_plugin_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* RESYNC_PLUGIN_ABI_H */
