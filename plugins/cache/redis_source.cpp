// SPDX-License-Identifier: MIT
#include "redis_source.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis_connection.hpp"
#include "resync/util/host_port.hpp"

namespace resync::plugin::cache {
namespace {

using resync::HostPort;
using resync::parse_host_port;
using std::chrono::milliseconds;
using Kind = RedisError::Kind;

std::string ms_text(milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

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
      const bool stale = reused && (e.kind() == Kind::kClosed || e.kind() == Kind::kNetwork);
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

  // Servers do echo arguments: a store that lacks AUTH answers "ERR unknown command 'AUTH', with
  // args beginning with: '<password>'". Messages and status go to logs and /current, so the
  // password is cut out of whatever the server said.
  std::string redact(std::string text) const {
    if (password_.empty()) return text;
    for (size_t at = text.find(password_); at != std::string::npos;
         at = text.find(password_, at + 3)) {
      text.replace(at, password_.size(), "***");
    }
    return text;
  }

  ReadError wrap(const RedisError& e) const {
    // Clipped after redacting, so no cut can leave part of the password; a server that is not
    // Redis may send an error line of any length up to the connection's bound.
    const std::string what = redact(e.what()).substr(0, 300);
    switch (e.kind()) {
      case Kind::kRefused:
        return ReadError(prefix() + "connection refused", "down: connection refused");
      case Kind::kTimeout:
        return ReadError(prefix() + what + " (timeout after " + ms_text(budget_) + ")",
                         "down: timeout after " + ms_text(budget_));
      case Kind::kClosed:
      case Kind::kNetwork:
        return ReadError(prefix() + what, "down: " + what);
      case Kind::kProtocol:
        return ReadError(prefix() + "bad reply: " + what, "error: bad reply: " + what);
      case Kind::kReply: {
        const bool auth = what.find("NOAUTH") != std::string::npos ||
                          what.find("WRONGPASS") != std::string::npos ||
                          what.find("NOPERM") != std::string::npos || what.find("AUTH") == 0;
        return ReadError(prefix() + what, (auth ? "unauthorized: " : "error: ") + what);
      }
    }
    return ReadError(prefix() + what, "error: " + what);
  }

  static const RedisReply& expect_ok(const RedisReply& r, const char* command) {
    if (r.type == RedisReply::Type::kError)
      throw RedisError(Kind::kReply, std::string(command) + ": " + r.text);
    return r;
  }

  Readings exchange(Clock::time_point deadline) {
    std::vector<std::vector<std::string>> commands;
    const bool fresh = !connection_.is_open();
    if (fresh) {
      connection_.open(address_.host, address_.port, deadline);
      if (!password_.empty()) {
        commands.push_back(user_.empty() ? std::vector<std::string>{"AUTH", password_}
                                         : std::vector<std::string>{"AUTH", user_, password_});
      }
      if (database_) commands.push_back({"SELECT", std::to_string(*database_)});
    }
    // Setup and reads in one round trip: after a failed AUTH, Redis answers INFO with NOAUTH,
    // and the AUTH error, checked first, is the one reported.
    commands.push_back({"INFO", "stats"});
    commands.push_back({"DBSIZE"});
    const std::vector<RedisReply> replies = connection_.pipeline(commands, deadline);
    size_t i = 0;
    if (fresh && !password_.empty()) expect_ok(replies[i++], "AUTH");
    if (fresh && database_) expect_ok(replies[i++], "SELECT");
    const RedisReply& info = expect_ok(replies[i++], "INFO stats");
    const RedisReply& dbsize = expect_ok(replies[i], "DBSIZE");
    if (info.type != RedisReply::Type::kString)
      throw RedisError(Kind::kProtocol, "INFO stats did not return text");
    if (dbsize.type != RedisReply::Type::kInteger)
      throw RedisError(Kind::kProtocol, "DBSIZE did not return an integer");
    const auto hits = info_field(info.text, "keyspace_hits");
    const auto misses = info_field(info.text, "keyspace_misses");
    const auto evicted = info_field(info.text, "evicted_keys");
    if (!hits || !misses)
      throw RedisError(Kind::kProtocol, "INFO stats has no keyspace_hits/keyspace_misses");
    Readings r;
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
  RedisConnection connection_;
};

}  // namespace

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

std::unique_ptr<Source> make_redis_source(Options& o, milliseconds budget) {
  return std::make_unique<RedisSource>(o, budget);
}

}  // namespace resync::plugin::cache
