// SPDX-License-Identifier: MIT
// Finds and loads resync-mon-tls.so on the first TLS need (resync/tls/module.hpp).
#include <dlfcn.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "resync/tls/module.hpp"

#ifndef RESYNC_TLS_MODULE_INSTALL_PATH
#define RESYNC_TLS_MODULE_INSTALL_PATH "/usr/local/lib/resync-mon/resync-mon-tls.so"
#endif

// Weak: null unless the module's objects are linked into this executable, as the tests that
// exercise TLS in-process do; resync-mon itself never links them, and loads the module instead.
#pragma weak resync_tls_module_v1

namespace resync::tls {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFile = "resync-mon-tls.so";

// The same places, in the same order, as the plugin search (core/src/plugins.cpp).
std::vector<std::string> candidates() {
  std::vector<std::string> paths;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    paths.push_back((exe.parent_path() / kFile).string());
    paths.push_back((exe.parent_path().parent_path() / "lib" / "resync-mon" / kFile).string());
  }
  paths.emplace_back(RESYNC_TLS_MODULE_INSTALL_PATH);
  return paths;
}

const Module* open_module() {
  if (resync_tls_module_v1) {
    const Module* linked = resync_tls_module_v1(kModuleVersion);
    if (linked) return linked;
  }
  const std::vector<std::string> paths = candidates();
  std::string failure;
  for (const std::string& path : paths) {
    // The first that exists is the one: a broken module is reported, not skipped for an older
    // one further on. None found: the install path's own error is the message.
    std::error_code ec;
    if (!fs::exists(path, ec) && &path != &paths.back()) continue;
    // RTLD_LOCAL: OpenSSL and NetSSL symbols stay the module's; RTLD_NOW: a broken install
    // fails here, with the missing symbol named, and not in the middle of a request.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      // dlerror() names the file itself, as "PATH: cannot open shared object file: ...".
      const char* why = dlerror();
      failure = why ? why : path + ": cannot load";
      break;
    }
    using Entry = const Module* (*)(uint32_t);
    const auto entry = reinterpret_cast<Entry>(dlsym(handle, "resync_tls_module_v1"));
    const Module* found = entry ? entry(kModuleVersion) : nullptr;
    // Never dlclose'd, even when refused: cheaper than proving no code of it is live.
    if (found) return found;
    failure =
        path + (entry ? ": built for another resync-mon version" : ": no resync_tls_module_v1");
    break;
  }
  throw ModuleError("TLS support not installed: " + failure);
}

std::mutex mutex;
const Module* loaded = nullptr;  // guarded by mutex until set, then never changed

}  // namespace

const Module& module() {
  std::lock_guard lock(mutex);
  if (!loaded) loaded = open_module();
  return *loaded;
}

const Module* loaded_module() {
  std::lock_guard lock(mutex);
  return loaded;
}

}  // namespace resync::tls
