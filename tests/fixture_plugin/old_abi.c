/* SPDX-License-Identifier: MIT */
/* A plugin built against the ABI v1 header as first published (abi_v1_0/), before series
 * descriptions were appended: the host must keep loading it, describing its series generically. */
#include <math.h>
#include <stddef.h>

#include "resync/plugin_abi.h"

static const char* const kSeries[] = {"old_value"};
static int instance_token;

static int create(const char* config_json, void** instance, char* err, size_t err_len) {
  (void)config_json;
  (void)err;
  (void)err_len;
  *instance = &instance_token;
  return RESYNC_OK;
}

static int collect(void* instance, resync_emit_fn emit, void* sink) {
  (void)instance;
  const resync_sample sample = {"old_value", 42.0};
  emit(sink, &sample);
  return RESYNC_OK;
}

static const char* last_error(void* instance) {
  (void)instance;
  return "";
}

static const char* status(void* instance) {
  (void)instance;
  return "";
}

static void destroy(void* instance) { (void)instance; }

static const resync_plugin_v1 kTable = {RESYNC_PLUGIN_ABI_VERSION,
                                        sizeof(resync_plugin_v1),
                                        "old_abi",
                                        "Built against the first ABI v1 header",
                                        kSeries,
                                        1,
                                        0,
                                        create,
                                        collect,
                                        last_error,
                                        status,
                                        destroy};

RESYNC_PLUGIN_EXPORT const resync_plugin_v1* resync_plugin_entry(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &kTable;
}
