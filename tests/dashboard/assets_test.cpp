// SPDX-License-Identifier: MIT
#include "resync/assets.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace resync {
namespace {

const std::string kTemplates = RESYNC_TEMPLATES_DIR;
const std::string kAssets = "/monitoring/assets/";

// The dashboard's own scripts: dashboard.js is the module the page loads, the rest its imports.
const std::vector<std::string> kOwnScripts = {"dashboard.js", "format.js", "state.js",
                                              "cards.js",     "charts.js", "connection.js",
                                              "alerts.js",    "notify.js"};

std::string body_of(std::string_view path) {
  const Asset* asset = find_asset(path);
  if (!asset) {
    ADD_FAILURE() << "no asset at " << path;
    return {};
  }
  return std::string(asset->body);
}

// The src and href values of the page's <script> and <link> elements.
std::vector<std::string> linked_urls(const std::string& html) {
  static const std::regex kLink(R"re(<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)")re");
  std::vector<std::string> urls;
  for (std::sregex_iterator it(html.begin(), html.end(), kLink), end; it != end; ++it) {
    urls.push_back((*it)[1]);
  }
  return urls;
}

// The specifiers of a module's static and dynamic imports.
std::vector<std::string> imported_modules(const std::string& script) {
  static const std::regex kImport(R"re(\b(?:from|import)\s*\(?\s*['"]([^'"]*)['"])re");
  std::vector<std::string> specifiers;
  for (std::sregex_iterator it(script.begin(), script.end(), kImport), end; it != end; ++it) {
    specifiers.push_back((*it)[1]);
  }
  return specifiers;
}

TEST(AssetsTest, ServesThePageAtMonitoring) {
  const Asset* page = find_asset("/monitoring");
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->path, "/monitoring");
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page->body.substr(0, 15), "<!DOCTYPE html>");
}

TEST(AssetsTest, BodiesAreTheTemplateFilesByteForByte) {
  EXPECT_EQ(body_of("/monitoring"), test::read_file(kTemplates + "/dashboard/index.html"));
  for (const std::string& script : kOwnScripts) {
    EXPECT_EQ(body_of(kAssets + script), test::read_file(kTemplates + "/dashboard/" + script))
        << script;
  }
  EXPECT_EQ(body_of("/monitoring/assets/dashboard.css"),
            test::read_file(kTemplates + "/dashboard/dashboard.css"));
}

TEST(AssetsTest, ContentTypeFollowsTheExtension) {
  std::vector<std::string> scripts = {kAssets + "uplot.min.js"};
  for (const std::string& script : kOwnScripts) scripts.push_back(kAssets + script);
  for (const std::string& path : scripts) {
    const Asset* asset = find_asset(path);
    ASSERT_NE(asset, nullptr) << path;
    EXPECT_EQ(asset->content_type, "text/javascript; charset=utf-8") << path;
  }
  for (const char* path :
       {"/monitoring/assets/dashboard.css", "/monitoring/assets/uplot.min.css"}) {
    const Asset* asset = find_asset(path);
    ASSERT_NE(asset, nullptr) << path;
    EXPECT_EQ(asset->content_type, "text/css; charset=utf-8") << path;
  }
}

TEST(AssetsTest, EveryFileThePageLinksIsEmbedded) {
  const std::vector<std::string> urls = linked_urls(body_of("/monitoring"));
  EXPECT_THAT(urls, testing::IsSupersetOf(
                        {"monitoring/assets/uplot.min.js", "monitoring/assets/uplot.min.css",
                         "monitoring/assets/dashboard.js", "monitoring/assets/dashboard.css"}));
  for (const std::string& url : urls) {
    if (url.rfind("data:", 0) == 0) continue;
    // Relative to the page, so that a proxy prefix in front of /monitoring keeps working.
    EXPECT_NE(url.front(), '/') << url;
    EXPECT_EQ(url.find("://"), std::string::npos) << url;
    EXPECT_NE(find_asset("/" + url), nullptr) << url;
  }
}

TEST(AssetsTest, EveryModuleTheDashboardImportsIsEmbedded) {
  std::set<std::string> reached;
  std::vector<std::string> queue = {"dashboard.js"};
  while (!queue.empty()) {
    const std::string script = queue.back();
    queue.pop_back();
    if (!reached.insert(script).second) continue;
    for (const std::string& specifier : imported_modules(body_of(kAssets + script))) {
      // "./file.js": beside the importer, so a proxy prefix in front of /monitoring keeps working.
      ASSERT_EQ(specifier.rfind("./", 0), 0u) << script << " imports " << specifier;
      const std::string file = specifier.substr(2);
      ASSERT_EQ(file.find('/'), std::string::npos) << script << " imports " << specifier;
      ASSERT_NE(find_asset(kAssets + file), nullptr) << script << " imports " << specifier;
      queue.push_back(file);
    }
  }
  EXPECT_THAT(reached, testing::UnorderedElementsAreArray(kOwnScripts));
}

TEST(AssetsTest, EveryTemplateFileIsEmbedded) {
  for (const auto& entry : std::filesystem::directory_iterator(kTemplates + "/dashboard")) {
    const std::string name = entry.path().filename().string();
    if (name.front() == '.') continue;  // an editor's swap file, not part of the page
    EXPECT_NE(find_asset(name == "index.html" ? "/monitoring" : kAssets + name), nullptr) << name;
  }
}

// Issue 16: the page builds every card and chart from /api/monitoring/layout, so neither its HTML
// nor its scripts may name a plugin, a /current section of one, or one of its series.
TEST(AssetsTest, NothingInThePageIsWrittenForOnePlugin) {
  std::vector<std::string> files = kOwnScripts;
  files.push_back("index.html");
  const std::regex plugin_words(
      R"re(\b(tws|agents?|llm|redis|queue|requests_per_sec|error_rate|hit_ratio|response_time|cpu_percent|memory_percent|process_rss|Workload|Latency|Requests|data-plugin="[a-z]))re",
      std::regex::icase);
  for (const std::string& name : files) {
    const std::string text = test::read_file(kTemplates + "/dashboard/" + name);
    ASSERT_FALSE(text.empty()) << name;
    std::smatch m;
    EXPECT_FALSE(std::regex_search(text, m, plugin_words)) << name << " names " << m.str(0);
  }
}

TEST(AssetsTest, VendoredUplotIsTheMinifiedBuildUnderItsLicense) {
  const std::string script = body_of("/monitoring/assets/uplot.min.js");
  const std::string style = body_of("/monitoring/assets/uplot.min.css");
  for (const std::string* file : {&script, &style}) {
    EXPECT_EQ(file->rfind("/*! uPlot 1.6.32", 0), 0u);
    EXPECT_THAT(*file, testing::HasSubstr("Copyright (c) 2022 Leon Sorokin"));
    EXPECT_THAT(*file, testing::HasSubstr("Permission is hereby granted, free of charge"));
  }
  EXPECT_THAT(script, testing::HasSubstr("var uPlot=function(){"));
  EXPECT_THAT(style, testing::HasSubstr(".uplot"));
  // The minified build, not the 200 KB development one.
  EXPECT_LT(script.size(), 60u * 1024);
  EXPECT_GT(script.size(), 40u * 1024);
}

TEST(AssetsTest, OwnFilesReferenceNothingOutsideTheServer) {
  std::vector<std::string> own = {"/monitoring", kAssets + "dashboard.css"};
  for (const std::string& script : kOwnScripts) own.push_back(kAssets + script);
  for (const std::string& path : own) {
    const std::string body = body_of(path);
    EXPECT_EQ(body.find("http://"), std::string::npos) << path;
    EXPECT_EQ(body.find("https://"), std::string::npos) << path;
    EXPECT_EQ(body.find("@import"), std::string::npos) << path;
    EXPECT_EQ(body.find("url("), std::string::npos) << path;
  }
}

TEST(AssetsTest, UnknownPathsAreNotFound) {
  for (const char* path :
       {"", "/", "/monitoring/", "/monitoring/assets", "/monitoring/assets/",
        "/monitoring/assets/missing.js", "/monitoring/assets/../assets/dashboard.js",
        "/monitoring?x=1", "/MONITORING", "monitoring/assets/dashboard.js"}) {
    EXPECT_EQ(find_asset(path), nullptr) << '"' << path << '"';
  }
}

}  // namespace
}  // namespace resync
