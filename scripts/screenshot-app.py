#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The deployment scripts/screenshot photographs: a small FastAPI service instrumented like Resync
(prometheus_client: http_requests_total{handler,method,status} with status classes 2xx/5xx as
prometheus_fastapi_instrumentator writes them, and the histogram http_request_duration_seconds, with
finer buckets than Resync's 0.1, 0.5, 1 so the percentiles read well), which caches its answers in a
real Redis, and a traffic driver for it.

  screenshot-app.py serve PORT REDIS_PORT     run the service (uvicorn) on 127.0.0.1:PORT
  screenshot-app.py drive URL SECONDS         send it varying traffic (about 20 to 40 requests/s)

Debian packages: python3-fastapi python3-uvicorn python3-prometheus-client (run with /usr/bin/python3).
"""
import asyncio
import math
import random
import sys
import threading
import time
import urllib.error
import urllib.request


def serve(port, redis_port):
    try:
        import uvicorn
        from fastapi import FastAPI, HTTPException, Request, Response
        from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
    except ImportError as e:
        sys.exit(f"screenshot-app: {e}; install python3-fastapi python3-uvicorn python3-prometheus-client")

    requests = Counter("http_requests", "Requests served.", ["handler", "method", "status"])
    duration = Histogram("http_request_duration_seconds", "Request duration.", ["handler", "method"],
                         buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0))
    app = FastAPI()

    async def redis(*args):
        """One RESP command on a fresh loopback connection; the reply as bytes, or None for nil."""
        reader, writer = await asyncio.open_connection("127.0.0.1", redis_port)
        try:
            out = b"*%d\r\n" % len(args)
            for a in args:
                a = str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            writer.write(out)
            line = await reader.readline()
            if line.startswith(b"$-1"):
                return None
            if line.startswith(b"$"):
                return (await reader.readexactly(int(line[1:]) + 2))[:-2]
            if line.startswith(b"-"):
                raise RuntimeError(line.decode().strip())
            return line.strip()
        finally:
            writer.close()

    @app.middleware("http")
    async def instrument(request: Request, call_next):
        start = time.perf_counter()
        try:
            response = await call_next(request)
            status = response.status_code
        except Exception:
            status, response = 500, Response(status_code=500)
        handler = request.scope.get("route").path if request.scope.get("route") else "none"
        if handler != "/metrics":
            requests.labels(handler, request.method, f"{status // 100}xx").inc()
            duration.labels(handler, request.method).observe(time.perf_counter() - start)
        return response

    @app.get("/api/jobs/{job_id}")
    async def job(job_id: int):
        key = f"job:{job_id}"
        cached = await redis("GET", key)
        if cached is not None:
            await asyncio.sleep(random.uniform(0.004, 0.03))
            return {"id": job_id, "status": cached.decode(), "cached": True}
        await asyncio.sleep(random.uniform(0.04, 0.22))  # the slow path: the engine's own answer
        if random.random() < 0.02:
            raise HTTPException(status_code=503, detail="engine busy")
        status = random.choice(["SUCC", "EXEC", "HOLD", "READY"])
        await redis("SET", key, status, "EX", 20)
        return {"id": job_id, "status": status, "cached": False}

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics():
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def drive(url, seconds):
    """Traffic whose rate swings slowly (a sine of a few minutes), over jobs whose popularity is
    skewed, so the cache hits most of the time and misses after an expiry."""
    stop = time.monotonic() + seconds
    start = time.monotonic()

    def worker():
        while time.monotonic() < stop:
            job_id = int(random.paretovariate(1.0)) % 1000
            try:
                with urllib.request.urlopen(f"{url}/api/jobs/{job_id}", timeout=5) as r:
                    r.read()
            except (urllib.error.URLError, OSError):
                pass
            phase = (time.monotonic() - start) / 150 * 2 * math.pi
            rate = 30 + 10 * math.sin(phase)  # requests/s over all workers
            time.sleep(random.expovariate(rate / 4))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "drive":
        drive(sys.argv[2], float(sys.argv[3]))
    else:
        sys.exit(__doc__)
