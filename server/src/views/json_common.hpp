// SPDX-License-Identifier: MIT
#pragma once

#include "resync/alert_engine.hpp"
#include "resync/json_writer.hpp"

namespace resync::server::detail {

/// One alert as /current and /alerts show it.
void write_alert(JsonWriter& w, const Alert& a);

}  // namespace resync::server::detail
