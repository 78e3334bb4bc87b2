/* SPDX-License-Identifier: MIT */
/* A plugin built against the ABI v1 header of resync-mon 0.2 (abi_v1_2/): series descriptions and
 * a status field, but neither presentation hints nor default alert rules. The host must keep
 * loading it, the screens must still give its series a card and charts, and it has no rules. */
#include <stddef.h>

#include "resync/plugin_abi.h"

static const char* const kSeries[] = {"old_depth", "old_wait_seconds"};
static const resync_series_desc kDesc[] = {
    {"old_depth", RESYNC_UNIT_COUNT, RESYNC_KIND_GAUGE, "Items waiting.", "old.depth", "old.depth",
     RESYNC_SERIES_TREND},
    {"old_wait_seconds", RESYNC_UNIT_SECONDS, RESYNC_KIND_GAUGE, "Longest wait.",
     "old.wait_seconds", "old.wait_seconds", 0},
};
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
  const resync_sample depth = {"old_depth", 7.0};
  const resync_sample wait = {"old_wait_seconds", 12.0};
  emit(sink, &depth);
  emit(sink, &wait);
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
                                        "old_abi_v1_2",
                                        "Built against the resync-mon 0.2 ABI header",
                                        kSeries,
                                        2,
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
