// SPDX-License-Identifier: MIT
// Writes the report fixture for the browser test: `html_report_sample DIR` leaves DIR/fixture.html
// (rendered in process, with alerts and collector health) and DIR/state (the same samples as the
// state file that `resync-mon report --state` reads).
#include <cstdio>
#include <exception>

#include "report_fixture.hpp"
#include "resync/state_file.hpp"
#include "resync/views/html_report.hpp"

int main(int argc, char** argv) {
  using namespace resync;
  if (argc != 2) {
    std::fprintf(stderr, "usage: html_report_sample DIR\n");
    return 2;
  }
  try {
    const std::string dir = argv[1];
    const auto monitor = test::ReportFixture::monitor();
    views::ReportOptions o;
    o.title = "resync-mon report";
    o.source = "live monitor (test fixture)";
    write_file_atomically(dir + "/fixture.html",
                          views::render_report(test::ReportFixture::snapshot(*monitor), o), 0666);
    write_file_atomically(
        dir + "/state",
        encode_state(monitor->config().interval, monitor->layout(), monitor->store().snapshot()));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "html_report_sample: %s\n", e.what());
    return 1;
  }
}
