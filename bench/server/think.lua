-- SPDX-License-Identifier: MIT
-- wrk script for bench/server/run's "moderate load" table.
-- 1 ms of think time between a connection's requests: a load the two cores can carry with room
-- to spare, so p99 shows the server's own delays rather than the CPU queue.
function delay()
  return 1
end
