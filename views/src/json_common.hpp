// SPDX-License-Identifier: MIT
#pragma once

#include "resync/alert_engine.hpp"
#include "resync/json_writer.hpp"

namespace resync::views::detail {

/// One alert as /current and /alerts show it.
void write_alert(JsonWriter& w, const Alert& a);
/// One transition as /alerts shows it in `events`.
void write_alert_event(JsonWriter& w, const AlertEvent& e);

}  // namespace resync::views::detail
