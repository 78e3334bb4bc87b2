/* SPDX-License-Identifier: MIT */
/* A plugin built against an older ABI header, which the host must keep loading:
 * - as old_abi, against the v1 header as first published (abi_v1_0/), before series descriptions
 *   were appended: its series are described generically;
 * - with OLD_ABI_0_2, against the header of resync-mon 0.2 (abi_0_2/): series descriptions and a
 *   status field, but no default alert rules. */
#include <stddef.h>

#include "resync/plugin_abi.h"

#ifdef OLD_ABI_0_2
#define FIXTURE_NAME "abi_0_2"
#define FIXTURE_SERIES "v02_value"
#define FIXTURE_VALUE 7.0
static const resync_series_desc kDesc[] = {{FIXTURE_SERIES, RESYNC_UNIT_PERCENT, RESYNC_KIND_GAUGE,
                                            "A value from a 0.2 plugin.", "v02.value", NULL, 0}};
#else
#define FIXTURE_NAME "old_abi"
#define FIXTURE_SERIES "old_value"
#define FIXTURE_VALUE 42.0
#endif

static const char* const kSeries[] = {FIXTURE_SERIES};
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
  const resync_sample sample = {FIXTURE_SERIES, FIXTURE_VALUE};
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
                                        FIXTURE_NAME,
                                        "Built against an older ABI header",
                                        kSeries,
                                        1,
                                        0,
                                        create,
                                        collect,
                                        last_error,
                                        status,
                                        destroy,
#ifdef OLD_ABI_0_2
                                        kDesc,
                                        sizeof(resync_series_desc),
                                        NULL
#endif
};

RESYNC_PLUGIN_EXPORT const resync_plugin_v1* resync_plugin_entry(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &kTable;
}
