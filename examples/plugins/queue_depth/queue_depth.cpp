// SPDX-License-Identifier: MIT
// Example collector built outside the resync-mon tree: the depth of a spool-directory queue (a mail
// spool, a print queue, an upload inbox: one file per waiting item) and the age of its oldest item.
//   collectors:
//     - {plugin: queue_depth, name: outbox, path: /var/spool/outbox, suffix: .msg}
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include "resync/plugin/plugin.hpp"

namespace {

namespace fs = std::filesystem;

// What the host learns from the plugin alone: /metrics HELP and TYPE, the "queue" section of
// /api/monitoring/current and /history, and that alert rules may name these series. A /history
// field is optional: the age has none, and /history carries its chart's values under `series`.
constexpr resync_series_desc kSeries[] = {
    {"queue_depth", RESYNC_UNIT_COUNT, RESYNC_KIND_GAUGE, "Files waiting in the queue directory.",
     "queue.depth", "queue.depth", RESYNC_SERIES_TREND},
    {"queue_oldest_age_seconds", RESYNC_UNIT_SECONDS, RESYNC_KIND_GAUGE,
     "Age of the oldest waiting file by modification time, 0 when the queue is empty.",
     "queue.oldest_age_seconds", nullptr, 0},
};

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class QueueDepthCollector final : public resync::plugin::CollectorBase {
 public:
  explicit QueueDepthCollector(resync::plugin::Options& o)
      : path_(o.require_string("path")), suffix_(o.get_string("suffix")) {
    // A spool folder that does not exist yet is a collection failure, reported until it appears;
    // a path that can never work is a configuration error.
    std::error_code ec;
    if (fs::exists(path_, ec) && !fs::is_directory(path_, ec)) {
      throw resync::plugin::OptionError("path", path_ + " is not a directory");
    }
  }

  void collect(const resync::plugin::Emitter& emit) override {
    const std::time_t now = std::time(nullptr);
    std::time_t oldest = now;
    double depth = 0;
    std::error_code ec;
    for (fs::directory_iterator it(path_, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      // Dot files are items the producer is still writing (write, then rename): not queued yet.
      if (name.front() == '.' || !ends_with(name, suffix_)) continue;
      struct stat st {};
      // A file consumed between listing and stat() has left the queue: not an error.
      if (::stat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      ++depth;
      oldest = std::min(oldest, st.st_mtime);
    }
    if (ec) throw std::runtime_error("cannot read " + path_ + ": " + ec.message());
    emit("queue_depth", depth);
    emit("queue_oldest_age_seconds", static_cast<double>(std::max<std::time_t>(0, now - oldest)));
  }

 private:
  std::string path_;
  std::string suffix_;
};

}  // namespace

RESYNC_DEFINE_PLUGIN(QueueDepthCollector, "queue_depth",
                     "Files waiting in a spool directory and the oldest one's age", kSeries)
