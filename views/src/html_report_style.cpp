// SPDX-License-Identifier: MIT
// The report's style sheet. Light by default, since a mail client or a printer may ignore media
// queries, dark on screens that ask for it, and A4 on paper; system fonts only, as a web font
// would be a request leaving the machine. Colours are the dashboard's (dashboard.css).
#include "html_report_parts.hpp"

namespace resync::views::detail {

std::string_view report_css() {
  static constexpr std::string_view kCss = R"css(:root {
  --bg: #f4f6f8; --panel: #fff; --border: #d8dee4; --text: #1f2328; --muted: #656d76; --grid: #eaeef2;
  --ok: #1a7f37; --warn: #9a6700; --crit: #cf222e; --info: #0969da;
  --series-1: #0969da; --series-2: #bc4c00; --series-3: #8250df; --series-4: #1a7f37; --series-5: #9a6700;
  --series-6: #cf222e;
  color-scheme: light dark;
  font: 13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans",
        "Liberation Sans", sans-serif;
  color: var(--text); background: var(--bg);
}
@media screen and (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1116; --panel: #161b22; --border: #262c36; --text: #e6edf3; --muted: #8b949e; --grid: #222933;
    --ok: #3fb950; --warn: #d29922; --crit: #f85149; --info: #58a6ff;
    --series-1: #58a6ff; --series-2: #f0883e; --series-3: #a371f7; --series-4: #3fb950; --series-5: #e3b341;
    --series-6: #ff7b72;
  }
}
* { box-sizing: border-box; }
body { margin: 0; min-width: 320px; }
h1 { margin: 0; font-size: 17px; font-weight: 650; }
h2 { margin: 0; font-size: 11px; font-weight: 600; letter-spacing: .04em; text-transform: uppercase;
  color: var(--muted); }
.topbar { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; padding: 10px 14px;
  border-bottom: 1px solid var(--border); background: var(--panel); }
h1::before { content: ""; display: inline-block; width: 13px; height: 13px; margin-right: 8px; border-radius: 3px;
  background: linear-gradient(135deg, var(--info), var(--series-3)); }
.meta { color: var(--muted); font-variant-numeric: tabular-nums; }
.meta b { color: var(--text); font-weight: 500; }
main { padding: 10px 14px 16px; display: grid; gap: 10px; }
.coverage { margin: 0; color: var(--muted); }
.coverage b { color: var(--text); font-weight: 500; }
.notice { margin: 0; padding: 6px 10px; border: 1px solid var(--warn); border-radius: 6px; color: var(--warn); }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 10px; }
.card, .chart, .panel { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; margin: 0; }
.card { padding: 8px 12px 9px; min-height: 104px; }
.card h2 { display: flex; justify-content: space-between; gap: 6px; }
.tag { font-weight: 500; text-transform: none; letter-spacing: 0; }
.card.off { opacity: .55; }
.big { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 18px; margin: 2px 0 4px;
  font-variant-numeric: tabular-nums; }
.big > span { display: inline-flex; align-items: baseline; gap: 4px; }
.big .value { font-size: 26px; font-weight: 600; line-height: 1.15; }
.label, .unit { color: var(--muted); font-size: 12px; }
.kv { display: grid; grid-template-columns: auto 1fr auto 1fr; gap: 1px 8px; margin: 0; font-size: 12px;
  font-variant-numeric: tabular-nums; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; text-align: right; padding-right: 6px; white-space: nowrap; }
.note { margin-top: 2px; font-size: 12px; color: var(--muted); overflow-wrap: anywhere; }
.good, .status-ok { color: var(--ok); }
.bad, .status-degraded { color: var(--crit); }
.status-initializing, .status-warning, .level-warning { color: var(--warn); }
.level-critical { color: var(--crit); }
.unconfigured { margin: 0; color: var(--muted); font-size: 13px; }
.unconfigured b { color: var(--text); }
.charts { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 10px; }
.chart { padding: 6px 8px 4px; }
.chart figcaption { font-size: 11px; font-weight: 600; letter-spacing: .04em; text-transform: uppercase;
  color: var(--muted); }
.chart figcaption .unit { font-size: 11px; text-transform: none; font-weight: 500; }
.chart.off .empty { height: 148px; margin: 0; display: grid; place-items: center; color: var(--muted); }
.plot { display: block; width: 100%; height: auto; }
.plot .grid path { fill: none; stroke: var(--grid); stroke-width: 1; }
.plot .axis path { fill: none; stroke: var(--border); stroke-width: 1; }
.plot text { fill: var(--muted); font-size: 10px; font-family: inherit; font-variant-numeric: tabular-nums; }
.plot .line { fill: none; stroke-width: 1.5; stroke-linejoin: round; stroke-linecap: round; }
.plot .threshold { fill: none; stroke-width: 1; stroke-dasharray: 6 4; }
.plot .threshold.warn { stroke: var(--warn); } .plot .threshold.crit { stroke: var(--crit); }
.s1 { stroke: var(--series-1); --c: var(--series-1); } .s2 { stroke: var(--series-2); --c: var(--series-2); }
.s3 { stroke: var(--series-3); --c: var(--series-3); } .s4 { stroke: var(--series-4); --c: var(--series-4); }
.s5 { stroke: var(--series-5); --c: var(--series-5); } .s6 { stroke: var(--series-6); --c: var(--series-6); }
.legend { display: flex; flex-wrap: wrap; gap: 2px 14px; list-style: none; margin: 2px 0 0; padding: 0 0 0 40px;
  font-size: 11px; font-variant-numeric: tabular-nums; }
.legend li::before { content: ""; display: inline-block; width: 10px; height: 3px; margin-right: 5px;
  vertical-align: middle; background: var(--c); }
.stat { color: var(--muted); }
.lower { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.35fr); gap: 10px; align-items: start; }
.panel { padding: 8px 12px 10px; overflow-x: auto; }
.panel h2 { margin-bottom: 6px; }
.count { font-weight: 500; text-transform: none; letter-spacing: 0; }
.empty { color: var(--muted); margin: 0; }
table { width: 100%; border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
th { text-align: left; font-weight: 500; color: var(--muted); border-bottom: 1px solid var(--border);
  padding: 2px 6px; }
td { padding: 3px 6px; border-bottom: 1px solid var(--border); vertical-align: top; }
tbody tr:last-child td { border-bottom: 0; }
.num { text-align: right; white-space: nowrap; }
.time { white-space: nowrap; }
.plugin, .where { color: var(--muted); font-size: 12px; }
.error { color: var(--crit); overflow-wrap: anywhere; }
.recovered { color: var(--muted); overflow-wrap: anywhere; }
.stats .group th { padding-top: 8px; color: var(--text); font-weight: 600; }
.sev { display: inline-block; min-width: 64px; padding: 1px 0; border-radius: 4px; font-size: 11px; font-weight: 600;
  text-align: center; text-transform: uppercase; }
.sev-critical .sev { background: color-mix(in srgb, var(--crit) 22%, transparent); color: var(--crit); }
.sev-warning .sev { background: color-mix(in srgb, var(--warn) 22%, transparent); color: var(--warn); }
footer { padding: 0 14px 16px; color: var(--muted); font-size: 12px; }
@media (max-width: 1000px) {
  .cards, .charts { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .lower { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 620px) { .cards, .charts { grid-template-columns: minmax(0, 1fr); } }
@page { size: A4; margin: 12mm; }
@media print {
  :root { font-size: 10px; background: #fff; }
  body { min-width: 0; }
  main { padding: 6px 0; }
  .topbar { padding: 0 0 6px; background: none; }
  .cards { grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 6px; }
  .card { min-height: 0; padding: 6px 8px; }
  .big { gap: 0 10px; }
  .big .value { font-size: 18px; }
  .kv { grid-template-columns: auto 1fr; }
  .charts { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .lower { grid-template-columns: minmax(0, 1fr); }
  .card, .chart, .panel { border-color: #bbb; }
  .card, .chart, .legend, tr { break-inside: avoid; }
  .panel { overflow: visible; }
  thead { display: table-header-group; }
  footer { padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";
  return kCss;
}

}  // namespace resync::views::detail
