// SPDX-License-Identifier: MIT
#pragma once

#include <string>

/// Reading the engine's plan/job/count answer, apart from the plugin so a fuzz target links it.
namespace resync::plugin::tws {

/// Jobs of the plan per bucket of SPEC section 4.
struct JobBuckets {
  double error = 0, running = 0, waiting = 0, done = 0;
  /// Adds `count` jobs of plan status `status` (any case) to its bucket; an unknown status is not
  /// counted.
  void add(const std::string& status, double count);
};

/// Reads `groupedCount` from a plan/job/count answer grouped by status. Accepted shapes (the
/// REST API's schema names the field but not its layout, so both plausible layouts are read):
///   {"count": 7, "groupedCount": {"SUCC": 4, "ABEND": 1, "EXEC": 2}}
///   {"count": 7, "groupedCount": [{"status": "SUCC", "count": 4}, ...]}
/// where an array entry names its group by "status", "key", "value", "name" or "group".
/// Nesting deeper than 16 levels is refused. Throws std::runtime_error saying what is wrong.
JobBuckets parse_job_count(const std::string& body);

}  // namespace resync::plugin::tws
