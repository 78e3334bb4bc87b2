// SPDX-License-Identifier: MIT
// The child side of `isolation: process`: one plugin instance in a process of its own, driven by
// the parent's frames (collector_frames.hpp).
#include <memory>
#include <string>

#include "collector_frames.hpp"
#include "plugin_host.hpp"
#include "resync/error.hpp"
#include "resync/isolation.hpp"
#include "resync/signals.hpp"

namespace resync {
namespace {

using detail::Channel;
using detail::CollectResult;
using detail::Frame;
using detail::FrameType;
using detail::ReceiveStatus;

// Keeps what fits the protocol's bounds: the parent would reject the whole result otherwise.
class ResultSink final : public SampleSink {
 public:
  explicit ResultSink(CollectResult& result) : result_(result) {}
  void emit(std::string_view metric, double value) override {
    if (metric.empty() || metric.size() > detail::kMaxMetricNameBytes) return;
    if (result_.samples.size() >= detail::kMaxResultSamples) return;
    result_.samples.emplace_back(std::string(metric), value);
  }

 private:
  CollectResult& result_;
};

std::string clip(std::string text) {
  if (text.size() > detail::kMaxResultTextBytes) text.resize(detail::kMaxResultTextBytes);
  return text;
}

CollectResult collect_once(PluginCollector& collector) {
  CollectResult result;
  ResultSink sink(result);
  try {
    collector.collect(sink);
    result.ok = true;
  } catch (const std::exception& e) {
    result.ok = false;
    result.error = clip(e.what());
    result.samples.clear();
  }
  try {
    result.status = clip(collector.status());
  } catch (...) {
  }
  return result;
}

}  // namespace

int run_collector_host(const std::string& plugin_path, const std::string& plugin,
                       const std::string& instance, int fd) {
  const auto loaded = Plugin::load(plugin_path);
  if (loaded->name() != plugin) {
    throw PluginLoadError(plugin_path + ": declares plugin name '" + loaded->name() +
                          "', expected '" + plugin + "'");
  }
  AltSignalStack alt_stack;
  const CurrentCollector current(instance.c_str());  // the fatal-signal line names the instance
  Channel channel(fd, detail::kMaxParentFrameBytes);
  std::unique_ptr<PluginCollector> collector;
  for (;;) {
    Frame frame;
    ReceiveStatus status;
    try {
      status = channel.receive(frame);
    } catch (const detail::ProtocolError&) {
      return 2;
    }
    if (status != ReceiveStatus::kFrame) return 0;  // the parent closed the channel
    if (frame.type == FrameType::kConfig && !collector) {
      try {
        collector = std::make_unique<PluginCollector>(loaded, frame.payload);
      } catch (const std::exception& e) {
        channel.send(FrameType::kCreateFailed, clip(e.what()));
        return 0;
      }
      if (!channel.send(FrameType::kReady, {})) return 0;
    } else if (frame.type == FrameType::kCollect && collector) {
      if (!channel.send(FrameType::kResult, detail::encode_result(collect_once(*collector))))
        return 0;
    } else {
      return 2;
    }
  }
}

}  // namespace resync
