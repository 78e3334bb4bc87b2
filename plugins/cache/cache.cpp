// SPDX-License-Identifier: MIT
// The `cache` collector: lookups, misses, evictions and key count of a cache, read from Redis over
// RESP (INFO stats, DBSIZE) or scraped from a Prometheus text endpoint (SPEC section 4).
#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "resync/plugin/http.hpp"
#include "resync/plugin/plugin.hpp"
#include "resync/plugin/prom_text.hpp"
#include "resync/util/host_port.hpp"
#include "resync/util/rate.hpp"

namespace resync::plugin {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* const kSeries[] = {"cache_hits", "cache_misses", "cache_hit_ratio", "cache_size",
                               "cache_evictions"};

// Network I/O gets 80% of the host's deadline: the rest covers thread wake-up and emitting, so a
// silent target makes collect() fail on its own with a precise message instead of being
// abandoned by the host as an overrun.
milliseconds io_budget(milliseconds timeout) { return std::max(milliseconds{1}, timeout * 8 / 10); }

std::string ms_text(milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

// A failed read of the cache: `what` becomes last_error, `status` the collector's status line.
class SourceError : public std::runtime_error {
 public:
  SourceError(const std::string& what, std::string status)
      : std::runtime_error(what), status_(std::move(status)) {}
  const std::string& status() const { return status_; }

 private:
  std::string status_;
};

struct Readings {
  double hits = kNaN;
  double misses = kNaN;
  double size = kNaN;
  double evictions = kNaN;
};

class Source {
 public:
  virtual ~Source() = default;
  /// Reads the cumulative counters within the I/O budget; throws SourceError.
  virtual Readings read() = 0;
};

// One failed exchange with Redis. `kind` picks the status text and whether a fresh connection is
// worth one retry.
class RedisError : public std::runtime_error {
 public:
  enum class Kind { kRefused, kTimeout, kClosed, kNetwork, kProtocol, kReply };
  RedisError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct Reply {
  char type = 0;      // '+' simple string, '-' error, ':' integer, '$' bulk, '*' array
  bool null = false;  // "$-1" or "*-1"
  std::string text;
  long long integer = 0;
  std::vector<Reply> elements;
};

// Bounds on what a reply may hold: INFO is a few KB, so anything near these is garbage (or not
// Redis at all) and must not make the collector allocate without limit.
constexpr size_t kMaxLine = 64 * 1024;
constexpr long long kMaxBulk = 16 * 1024 * 1024;
constexpr long long kMaxElements = 4096;
constexpr int kMaxDepth = 4;

// A RESP2 client connection whose every operation ends by a deadline. Not thread-safe; owned by
// one collector instance.
class RespConnection {
 public:
  bool is_open() const { return open_; }

  void open(const Poco::Net::SocketAddress& address, Clock::time_point deadline) {
    close();
    const milliseconds left = remaining(deadline, "connect");
    try {
      socket_ = Poco::Net::StreamSocket();
      socket_.connect(address, to_timespan(left));
      socket_.setNoDelay(true);
    } catch (const Poco::TimeoutException&) {
      throw RedisError(RedisError::Kind::kTimeout, "connect timed out");
    } catch (const Poco::Net::ConnectionRefusedException&) {
      throw RedisError(RedisError::Kind::kRefused, "connection refused");
    } catch (const Poco::Exception& e) {
      throw RedisError(RedisError::Kind::kNetwork, "connect: " + e.message());
    }
    open_ = true;
  }

  void close() {
    if (open_) {
      try {
        socket_.close();
      } catch (...) {
      }
    }
    open_ = false;
    buffer_.clear();
    pos_ = 0;
  }

  /// Sends every command in one write, then reads one reply per command.
  std::vector<Reply> pipeline(const std::vector<std::vector<std::string>>& commands,
                              Clock::time_point deadline) {
    std::string out;
    for (const auto& args : commands) {
      out += "*" + std::to_string(args.size()) + "\r\n";
      for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    }
    send_all(out, deadline);
    std::vector<Reply> replies;
    for (size_t i = 0; i < commands.size(); ++i) replies.push_back(read_reply(deadline, 0));
    buffer_.erase(0, pos_);
    pos_ = 0;
    return replies;
  }

 private:
  static Poco::Timespan to_timespan(milliseconds ms) {
    return Poco::Timespan(
        static_cast<Poco::Timespan::TimeDiff>(std::max<long long>(ms.count(), 1)) * 1000);
  }

  static milliseconds remaining(Clock::time_point deadline, const char* during) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0)
      throw RedisError(RedisError::Kind::kTimeout, std::string("timed out during ") + during);
    return left;
  }

  void send_all(const std::string& data, Clock::time_point deadline) {
    size_t sent = 0;
    try {
      while (sent < data.size()) {
        socket_.setSendTimeout(to_timespan(remaining(deadline, "send")));
        // MSG_NOSIGNAL: writing to a connection Redis already closed must be an error here, not a
        // SIGPIPE that ends the whole resync-mon process.
        const int n = socket_.sendBytes(data.data() + sent, static_cast<int>(data.size() - sent),
                                        MSG_NOSIGNAL);
        if (n <= 0) throw RedisError(RedisError::Kind::kClosed, "connection closed by redis");
        sent += static_cast<size_t>(n);
      }
    } catch (const Poco::TimeoutException&) {
      throw RedisError(RedisError::Kind::kTimeout, "timed out sending");
    } catch (const Poco::Net::ConnectionResetException&) {
      throw RedisError(RedisError::Kind::kClosed, "connection reset by redis");
    } catch (const Poco::Exception& e) {
      throw RedisError(RedisError::Kind::kNetwork, "send: " + e.message());
    }
  }

  void fill(Clock::time_point deadline) {
    if (pos_ > 0 && pos_ == buffer_.size()) {
      buffer_.clear();
      pos_ = 0;
    }
    char chunk[8192];
    int n = 0;
    try {
      socket_.setReceiveTimeout(to_timespan(remaining(deadline, "receive")));
      n = socket_.receiveBytes(chunk, sizeof chunk);
    } catch (const Poco::TimeoutException&) {
      throw RedisError(RedisError::Kind::kTimeout, "no answer");
    } catch (const Poco::Net::ConnectionResetException&) {
      throw RedisError(RedisError::Kind::kClosed, "connection reset by redis");
    } catch (const Poco::Exception& e) {
      throw RedisError(RedisError::Kind::kNetwork, "receive: " + e.message());
    }
    if (n <= 0) throw RedisError(RedisError::Kind::kClosed, "connection closed by redis");
    buffer_.append(chunk, static_cast<size_t>(n));
  }

  std::string read_line(Clock::time_point deadline) {
    for (;;) {
      const size_t end = buffer_.find("\r\n", pos_);
      if (end != std::string::npos) {
        std::string line = buffer_.substr(pos_, end - pos_);
        pos_ = end + 2;
        return line;
      }
      if (buffer_.size() - pos_ > kMaxLine)
        throw RedisError(RedisError::Kind::kProtocol, "reply line longer than 64 KiB");
      fill(deadline);
    }
  }

  std::string read_exact(size_t n, Clock::time_point deadline) {
    while (buffer_.size() - pos_ < n + 2) fill(deadline);
    if (buffer_.compare(pos_ + n, 2, "\r\n") != 0)
      throw RedisError(RedisError::Kind::kProtocol, "bulk string not ended by CRLF");
    std::string s = buffer_.substr(pos_, n);
    pos_ += n + 2;
    return s;
  }

  static long long parse_integer(const std::string& s, const char* what) {
    if (s.empty() || s.size() > 20)
      throw RedisError(RedisError::Kind::kProtocol,
                       std::string("bad ") + what + " \"" + s.substr(0, 40) + "\"");
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != s.size())
      throw RedisError(RedisError::Kind::kProtocol,
                       std::string("bad ") + what + " \"" + s.substr(0, 40) + "\"");
    return v;
  }

  Reply read_reply(Clock::time_point deadline, int depth) {
    const std::string line = read_line(deadline);
    if (line.empty()) throw RedisError(RedisError::Kind::kProtocol, "empty reply line");
    Reply r;
    r.type = line[0];
    const std::string rest = line.substr(1);
    switch (r.type) {
      case '+':
      case '-':
        r.text = rest;
        return r;
      case ':':
        r.integer = parse_integer(rest, "integer reply");
        return r;
      case '$': {
        const long long n = parse_integer(rest, "bulk length");
        if (n < 0) {
          r.null = true;
          return r;
        }
        if (n > kMaxBulk)
          throw RedisError(RedisError::Kind::kProtocol,
                           "bulk reply of " + std::to_string(n) + " bytes is too large");
        r.text = read_exact(static_cast<size_t>(n), deadline);
        return r;
      }
      case '*': {
        const long long n = parse_integer(rest, "array length");
        if (n < 0) {
          r.null = true;
          return r;
        }
        if (n > kMaxElements || depth >= kMaxDepth)
          throw RedisError(RedisError::Kind::kProtocol, "array reply too large or too deep");
        for (long long i = 0; i < n; ++i) r.elements.push_back(read_reply(deadline, depth + 1));
        return r;
      }
      default: {
        std::string shown;
        for (char c : line.substr(0, 24)) shown += (c >= 32 && c < 127) ? c : '?';
        throw RedisError(RedisError::Kind::kProtocol, "not a RESP reply: \"" + shown + "\"");
      }
    }
  }

  Poco::Net::StreamSocket socket_;
  bool open_ = false;
  std::string buffer_;
  size_t pos_ = 0;
};

// The value of "key:" in an INFO section ("key:value\r\n" lines), or nullopt.
std::optional<double> info_field(std::string_view info, std::string_view key) {
  size_t at = 0;
  while (at < info.size()) {
    size_t end = info.find('\n', at);
    if (end == std::string_view::npos) end = info.size();
    std::string_view line = info.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        line[key.size()] == ':') {
      const std::string value(line.substr(key.size() + 1));
      try {
        size_t used = 0;
        const double v = std::stod(value, &used);
        if (used == value.size()) return v;
      } catch (const std::exception&) {
      }
      return std::nullopt;
    }
    at = end + 1;
  }
  return std::nullopt;
}

// Throws OptionError("address", ...) naming what is wrong.
HostPort parse_address(const std::string& text) {
  try {
    return parse_host_port(text);
  } catch (const std::invalid_argument& e) {
    throw OptionError("address", "expected host:port like \"127.0.0.1:6379\", got \"" + text +
                                      "\" (" + e.what() + ")");
  }
}

class RedisSource final : public Source {
 public:
  RedisSource(Options& o, milliseconds budget)
      : address_text_(o.get_string("address", "127.0.0.1:6379")),
        password_(o.get_string("password")),
        user_(o.get_string("user")),
        budget_(budget) {
    address_ = parse_address(address_text_);
    if (!user_.empty() && password_.empty())
      throw OptionError("password", "missing; `user` needs a password");
    const bool has_database = o.has("database");
    const double db = o.get_number("database", 0);
    if (has_database) {
      if (!(db >= 0) || db > 1'000'000 || db != std::floor(db)) {
        throw OptionError("database", "expected a database number 0, 1, 2...");
      }
      database_ = static_cast<long long>(db);
    }
  }

  Readings read() override {
    const auto deadline = Clock::now() + budget_;
    const bool reused = connection_.is_open();
    try {
      return exchange(deadline);
    } catch (const RedisError& e) {
      connection_.close();
      // A kept connection that Redis dropped while we were idle (restart, `timeout` setting,
      // CLIENT KILL) says nothing about Redis now: try once on a fresh one within the same budget.
      const bool stale = reused && (e.kind() == RedisError::Kind::kClosed ||
                                    e.kind() == RedisError::Kind::kNetwork);
      if (!stale || Clock::now() >= deadline) throw wrap(e);
      try {
        return exchange(deadline);
      } catch (const RedisError& again) {
        connection_.close();
        throw wrap(again);
      }
    }
  }

 private:
  std::string prefix() const { return "redis " + address_text_ + ": "; }

  SourceError wrap(const RedisError& e) const {
    using K = RedisError::Kind;
    switch (e.kind()) {
      case K::kRefused:
        return SourceError(prefix() + "connection refused", "down: connection refused");
      case K::kTimeout:
        return SourceError(prefix() + e.what() + " (timeout after " + ms_text(budget_) + ")",
                           "down: timeout after " + ms_text(budget_));
      case K::kClosed:
        return SourceError(prefix() + e.what(), std::string("down: ") + e.what());
      case K::kNetwork:
        return SourceError(prefix() + e.what(), std::string("down: ") + e.what());
      case K::kProtocol:
        return SourceError(prefix() + "bad reply: " + e.what(),
                           std::string("error: bad reply: ") + e.what());
      case K::kReply: {
        const std::string text = e.what();
        const bool auth = text.find("NOAUTH") != std::string::npos ||
                          text.find("WRONGPASS") != std::string::npos ||
                          text.find("NOPERM") != std::string::npos || text.find("AUTH") == 0;
        return SourceError(prefix() + text, (auth ? "unauthorized: " : "error: ") + text);
      }
    }
    return SourceError(prefix() + e.what(), std::string("error: ") + e.what());
  }

  static const Reply& expect_ok(const Reply& r, const char* command) {
    if (r.type == '-')
      throw RedisError(RedisError::Kind::kReply, std::string(command) + ": " + r.text);
    return r;
  }

  Readings exchange(Clock::time_point deadline) {
    if (!connection_.is_open()) {
      Poco::Net::SocketAddress address;
      try {
        address = Poco::Net::SocketAddress(address_.host, address_.port);
      } catch (const Poco::Exception& e) {
        throw RedisError(RedisError::Kind::kNetwork,
                         "cannot resolve " + address_.host + ": " + e.message());
      }
      connection_.open(address, deadline);
      std::vector<std::vector<std::string>> setup;
      if (!password_.empty()) {
        setup.push_back(user_.empty() ? std::vector<std::string>{"AUTH", password_}
                                      : std::vector<std::string>{"AUTH", user_, password_});
      }
      if (database_) setup.push_back({"SELECT", std::to_string(*database_)});
      if (!setup.empty()) {
        const auto replies = connection_.pipeline(setup, deadline);
        size_t i = 0;
        if (!password_.empty()) expect_ok(replies[i++], "AUTH");
        if (database_) expect_ok(replies[i], "SELECT");
      }
    }
    const auto replies = connection_.pipeline({{"INFO", "stats"}, {"DBSIZE"}}, deadline);
    const Reply& info = expect_ok(replies[0], "INFO stats");
    const Reply& dbsize = expect_ok(replies[1], "DBSIZE");
    if (info.type != '$' || info.null)
      throw RedisError(RedisError::Kind::kProtocol, "INFO stats did not return text");
    if (dbsize.type != ':')
      throw RedisError(RedisError::Kind::kProtocol, "DBSIZE did not return an integer");
    Readings r;
    const auto hits = info_field(info.text, "keyspace_hits");
    const auto misses = info_field(info.text, "keyspace_misses");
    const auto evicted = info_field(info.text, "evicted_keys");
    if (!hits || !misses)
      throw RedisError(RedisError::Kind::kProtocol,
                       "INFO stats has no keyspace_hits/keyspace_misses");
    r.hits = *hits;
    r.misses = *misses;
    r.evictions = evicted ? *evicted : kNaN;
    r.size = static_cast<double>(dbsize.integer);
    return r;
  }

  std::string address_text_;
  HostPort address_;
  std::string password_;
  std::string user_;
  std::optional<long long> database_;
  milliseconds budget_;
  RespConnection connection_;
};

class PrometheusSource final : public Source {
 public:
  PrometheusSource(Options& o, milliseconds budget)
      : url_(require_url(o)),
        hits_metric_(o.get_string("hits_metric", "resync_cache_hits")),
        misses_metric_(o.get_string("misses_metric", "resync_cache_misses")),
        size_metric_(o.get_string("size_metric", "resync_cache_size")),
        evictions_metric_(o.get_string("evictions_metric", "resync_cache_evictions")) {
    http_.timeout = budget;
    http_.bearer_token = o.get_string("token");
    read_tls_options(o, http_, url_);
    http_.headers.emplace_back("Accept", "text/plain;version=0.0.4;q=0.9,*/*;q=0.1");
  }

  Readings read() override {
    HttpResponse response;
    try {
      response = http_get(url_, http_);
    } catch (const HttpError& e) {
      throw SourceError(e.what(), status_of(e));
    }
    if (response.status < 200 || response.status > 299) {
      throw SourceError(
          "GET " + url_ + ": HTTP " + std::to_string(response.status) + " " + response.reason,
          "error: HTTP " + std::to_string(response.status));
    }
    const PromParseResult parsed = parse_prometheus_text(response.body);
    Readings r;
    r.hits = total(parsed, hits_metric_);
    r.misses = total(parsed, misses_metric_);
    r.size = total(parsed, size_metric_);
    r.evictions = total(parsed, evictions_metric_);
    if (std::isnan(r.hits) && std::isnan(r.misses) && std::isnan(r.size) &&
        std::isnan(r.evictions)) {
      std::string why = "GET " + url_ + ": none of " + hits_metric_ + ", " + misses_metric_ + ", " +
                        size_metric_ + ", " + evictions_metric_ + " in the response";
      if (!parsed.first_error.empty())
        why += " (" + std::to_string(parsed.skipped_lines) + " malformed lines; " +
               parsed.first_error + ")";
      throw SourceError(why, "error: cache series missing");
    }
    return r;
  }

 private:
  static std::string status_of(const HttpError& e) {
    std::string why = e.what();
    const size_t sep = why.find(": ");
    if (sep != std::string::npos) why = why.substr(sep + 2);
    switch (e.kind()) {
      case HttpError::Kind::kTimeout:
        return "down: " + why;
      case HttpError::Kind::kConnect:
        return "down: " + why;
      case HttpError::Kind::kTls:
        return "tls: " + why;
      default:
        return "error: " + why;
    }
  }

  // Sum over every label set, so a cache exported per shard or per pod reads as one cache.
  static double total(const PromParseResult& parsed, const std::string& name) {
    return sum_samples(parsed, name).value_or(kNaN);
  }

  std::string url_;
  std::string hits_metric_, misses_metric_, size_metric_, evictions_metric_;
  HttpOptions http_;
};

// 100 * hits / (hits + misses); NaN when there were no lookups.
double hit_ratio(double hits, double misses) {
  const double lookups = hits + misses;
  if (!(lookups > 0)) return kNaN;
  return 100.0 * hits / lookups;
}

class CacheCollector final : public CollectorBase {
 public:
  explicit CacheCollector(Options& o) {
    const std::string source = o.get_choice("source", "redis", {"redis", "prometheus"});
    const milliseconds budget = io_budget(o.timeout());
    if (source == "redis") {
      source_ = std::make_unique<RedisSource>(o, budget);
    } else {
      source_ = std::make_unique<PrometheusSource>(o, budget);
    }
  }

  void collect(const Emitter& emit) override {
    Readings r;
    try {
      r = source_->read();
    } catch (const SourceError& e) {
      set_status(e.status());
      throw;
    }
    emit("cache_hits", r.hits);
    emit("cache_misses", r.misses);
    emit("cache_size", r.size);
    emit("cache_evictions", r.evictions);
    // The ratio over the interval, from the counters' increases (a restarted cache counts from
    // zero again, which counter_increase handles). The first collection has no previous reading,
    // so it falls back to the ratio since the cache started.
    const std::optional<double> hits = hits_.update(r.hits);
    const std::optional<double> misses = misses_.update(r.misses);
    emit("cache_hit_ratio",
         hits && misses ? hit_ratio(*hits, *misses) : hit_ratio(r.hits, r.misses));
    set_status("ok");
  }

 private:
  std::unique_ptr<Source> source_;
  CounterDelta hits_, misses_;
};

}  // namespace
}  // namespace resync::plugin

RESYNC_DEFINE_PLUGIN(
    resync::plugin::CacheCollector, "cache",
    "Cache hits, misses, hit ratio, size and evictions from Redis (RESP) or a Prometheus endpoint",
    resync::plugin::kSeries)
