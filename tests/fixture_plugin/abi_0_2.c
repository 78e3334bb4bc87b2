/* SPDX-License-Identifier: MIT */
/* A plugin built against the ABI header of resync-mon 0.2 (abi_0_2/): series descriptions and a
 * status field, but no default alert rules. The host must keep loading it, with no rules. */
#include <stddef.h>

#include "resync/plugin_abi.h"

static const char* const kSeries[] = {"v02_value"};
static const resync_series_desc kDesc[] = {{"v02_value", RESYNC_UNIT_PERCENT, RESYNC_KIND_GAUGE,
                                            "A value from a 0.2 plugin.", "v02.value", NULL, 0}};
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
  const resync_sample sample = {"v02_value", 7.0};
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
                                        "abi_0_2",
                                        "Built against the ABI header of resync-mon 0.2",
                                        kSeries,
                                        1,
                                        0,
                                        create,
                                        collect,
                                        last_error,
                                        status,
                                        destroy,
                                        kDesc,
                                        sizeof(resync_series_desc),
                                        NULL};

RESYNC_PLUGIN_EXPORT const resync_plugin_v1* resync_plugin_entry(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &kTable;
}
