// SPDX-License-Identifier: MIT
#include "resync/assets.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace resync {
namespace {

const std::string kTemplates = RESYNC_TEMPLATES_DIR;

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

TEST(AssetsTest, ServesThePageAtMonitoring) {
  const Asset* page = find_asset("/monitoring");
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->path, "/monitoring");
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page->body.substr(0, 15), "<!DOCTYPE html>");
}

TEST(AssetsTest, BodiesAreTheTemplateFilesByteForByte) {
  EXPECT_EQ(body_of("/monitoring"), test::read_file(kTemplates + "/dashboard/index.html"));
  EXPECT_EQ(body_of("/monitoring/assets/dashboard.js"),
            test::read_file(kTemplates + "/dashboard/dashboard.js"));
  EXPECT_EQ(body_of("/monitoring/assets/dashboard.css"),
            test::read_file(kTemplates + "/dashboard/dashboard.css"));
}

TEST(AssetsTest, ContentTypeFollowsTheExtension) {
  for (const char* path : {"/monitoring/assets/dashboard.js", "/monitoring/assets/uplot.min.js"}) {
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
  for (const char* path :
       {"/monitoring", "/monitoring/assets/dashboard.js", "/monitoring/assets/dashboard.css"}) {
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
