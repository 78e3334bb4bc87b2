#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Stand-in for the Resync API in end-to-end tests: a real HTTP service instrumented with the
official Prometheus Python client (Debian python3-prometheus-client), exposing the metric names
Resync uses. Usage: resync_service.py PORT

  GET /work?ms=N&status=S   sleeps N ms, answers status S, and is counted and timed
  GET /agents?active=A&created=C&failed=F&llm_requests=R&tokens=T&llm_errors=E
                            sets the agent gauge and adds to the agent/LLM counters
  GET /metrics              Prometheus text exposition
  GET /api/monitoring/current
                            the agent and LLM counters as JSON, where Resync serves its RuntimeMetrics
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

registry = CollectorRegistry()
REQUESTS = Counter("http_requests", "Requests served.", ["method", "status"], registry=registry)
# 10 ms buckets up to 500 ms, so interpolated percentiles are accurate to a bucket's width.
DURATION = Histogram("http_request_duration_seconds", "Request duration.",
                     buckets=[i / 100 for i in range(1, 51)] + [1.0, 2.5], registry=registry)
AGENTS_ACTIVE = Gauge("resync_agent_active_count", "Active agents.", registry=registry)
AGENT_INITS = Counter("resync_agent_initializations", "Agents created.", registry=registry)
AGENT_FAILURES = Counter("resync_agent_creation_failures", "Agent creations failed.", registry=registry)
LLM_REQUESTS = Counter("resync_llm_requests", "LLM requests.", registry=registry)
LLM_TOKENS = Counter("resync_llm_tokens", "LLM tokens.", registry=registry)
LLM_ERRORS = Counter("resync_llm_errors", "LLM errors.", registry=registry)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body, content_type="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/metrics":
            self.reply(200, generate_latest(registry).decode(), CONTENT_TYPE_LATEST)
        elif url.path == "/api/monitoring/current":
            value = lambda metric: metric._value.get()
            self.reply(200, json.dumps({
                "agents": {"active": value(AGENTS_ACTIVE), "created_total": value(AGENT_INITS),
                           "failed_total": value(AGENT_FAILURES)},
                "llm": {"requests": value(LLM_REQUESTS), "tokens_used": value(LLM_TOKENS),
                        "errors": value(LLM_ERRORS)}}), "application/json")
        elif url.path == "/work":
            started = time.monotonic()
            time.sleep(int(query.get("ms", "0")) / 1000)
            status = int(query.get("status", "200"))
            self.reply(status, "done\n")
            DURATION.observe(time.monotonic() - started)
            REQUESTS.labels("GET", str(status)).inc()
        elif url.path == "/agents":
            AGENTS_ACTIVE.set(float(query.get("active", "0")))
            AGENT_INITS.inc(float(query.get("created", "0")))
            AGENT_FAILURES.inc(float(query.get("failed", "0")))
            LLM_REQUESTS.inc(float(query.get("llm_requests", "0")))
            LLM_TOKENS.inc(float(query.get("tokens", "0")))
            LLM_ERRORS.inc(float(query.get("llm_errors", "0")))
            self.reply(200, "ok\n")
        else:
            self.reply(404, "not found\n")

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()
