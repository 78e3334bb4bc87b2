#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Stand-in for the Resync FastAPI app in discovery and reload tests: its /metrics as
prometheus_fastapi_instrumentator writes it (official Python client, same names, labels and
buckets) and its own GET /api/monitoring/current with the agent and LLM counters.
Usage: resync_standin.py PORT [silent]
  silent: accept connections and never answer (a hung service, for the time bound).
"""
import json
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

registry = CollectorRegistry()
REQUESTS = Counter("http_requests", "Total number of requests by method, status and handler.",
                   ["method", "status", "handler"], registry=registry)
DURATION = Histogram("http_request_duration_seconds", "Latency with only few buckets by handler.",
                     ["method", "handler"], buckets=(0.1, 0.5, 1), registry=registry)
COUNTERS = {"agents": {"active": 3, "created_total": 7, "failed_total": 1},
            "llm": {"requests": 42, "tokens_used": 4200, "errors": 2}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body, content_type):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        status_class = "%dxx" % (status // 100)
        REQUESTS.labels("GET", status_class, self.path).inc()
        DURATION.labels("GET", self.path).observe(0.05)

    def do_GET(self):
        if self.path == "/metrics":
            self.reply(200, generate_latest(registry).decode(), CONTENT_TYPE_LATEST)
        elif self.path == "/api/monitoring/current":
            self.reply(200, json.dumps(dict(COUNTERS, status="ok")), "application/json")
        else:
            self.reply(404, "not found\n", "text/plain")

    def log_message(self, *args):
        pass


def silent(port):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    held = []
    while True:
        held.append(listener.accept()[0])


if __name__ == "__main__":
    port = int(sys.argv[1])
    if len(sys.argv) > 2 and sys.argv[2] == "silent":
        silent(port)
    else:
        ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
