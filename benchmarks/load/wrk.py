"""Driving the server with wrk (a Lua script picks the paths), and priming its caches beforehand."""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.load.common import HOST
from benchmarks.load.server import WorkerSampler

# What browsers send; Django picks the UI language (and the summary shown first) from it.
ACCEPT_LANGUAGES = ["en-US,en;q=0.9", "ja,en-US;q=0.8", "zh-CN,zh;q=0.9", "ko-KR,ko;q=0.9"]
REQUEST_TIMEOUT_S = 10  # a slower answer is an error

# wrk runs this in each of its threads: pick a group by weight, then a path from it at random, with a
# browser-like Accept-Language; count the responses the page cache served (X-Page-Cache: hit). done()
# prints the aggregate as one line of JSON for this script to read.
# wrk counts a timeout only when the late response arrives at last: a request still unanswered when the
# run ends is not counted at all, so a stalled server would show no errors. Each thread keeps the send
# times (seconds) of its requests in flight; matching every response to the oldest one leaves the newest
# possible set, so those of them older than the timeout at the end certainly never got an answer.
LUA_TEMPLATE = """
local groups = %(groups)s
local languages = %(languages)s
local timeout = %(timeout)d
local total = 0
for _, group in ipairs(groups) do total = total + group.weight end
local threads = {}
cache_hits = 0
in_flight = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  math.randomseed(%(seed)d + (id or 0) * 7919)
  -- wrk calls request() once more in its first thread to inspect it, without sending it.
  inspected = id ~= 1
end

function request()
  local pick = math.random() * total
  local paths = groups[#groups].paths
  for _, group in ipairs(groups) do
    if pick < group.weight then paths = group.paths break end
    pick = pick - group.weight
  end
  local path = paths[math.random(#paths)]
  if inspected then table.insert(in_flight, os.time()) end
  inspected = true
  return wrk.format("GET", path, {["Accept-Language"] = languages[math.random(#languages)]})
end

function response(status, headers, body)
  table.remove(in_flight, 1)
  if headers["X-Page-Cache"] == "hit" then cache_hits = cache_hits + 1 end
end

function done(summary, latency, requests)
  local e = summary.errors
  local hits, stalled, now = 0, 0, os.time()
  for _, thread in ipairs(threads) do
    hits = hits + thread:get("cache_hits")
    for _, sent in ipairs(thread:get("in_flight")) do
      if now - sent > timeout then stalled = stalled + 1 end
    end
  end
  io.write(string.format(
    'WRK_RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "timeout": %%d, "status": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "mean_us": %%d, "cache_hits": %%d, "stalled": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean, hits,
    stalled))
end
"""


def lua_string(text: str) -> str:
    if not text.isascii() or '"' in text or "\\" in text:
        raise ValueError(f"not a plain ASCII path: {text!r}")
    return f'"{text}"'


def lua_script(groups: list[tuple[int, list[str]]], seed: int = 1) -> str:
    tables = ", ".join(
        f"{{weight = {weight}, paths = {{{', '.join(lua_string(path) for path in paths)}}}}}"
        for weight, paths in groups
    )
    languages = ", ".join(lua_string(value) for value in ACCEPT_LANGUAGES)
    return LUA_TEMPLATE % {
        "groups": f"{{{tables}}}",
        "languages": f"{{{languages}}}",
        "seed": seed,
        "timeout": REQUEST_TIMEOUT_S,
    }


def run_wrk(script: Path, port: int, connections: int, threads: int, seconds: int) -> dict:
    command = [
        "wrk",
        *("--threads", str(min(threads, connections)), "--connections", str(connections)),
        *("--duration", f"{seconds}s", "--timeout", f"{REQUEST_TIMEOUT_S}s", "--script", str(script)),
        f"http://{HOST}:{port}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            return json.loads(line.removeprefix("WRK_RESULT "))
    raise RuntimeError(
        f"wrk gave no result (exit {done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}"
    )


def summarise(raw: dict, sampler: WorkerSampler) -> dict:
    seconds = raw["duration_us"] / 1e6
    requests = raw["requests"]
    errors = {name: raw[name] for name in ("connect", "read", "write", "timeout", "stalled", "status")}
    return {
        "requests": requests,
        "seconds": round(seconds, 2),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "mean_ms": round(raw["mean_us"] / 1000, 1),
        "errors": sum(errors.values()),
        # status: responses >= 400; timeout: answered after REQUEST_TIMEOUT_S; stalled: never answered
        # (after that long); the others are socket errors
        "errors_by_kind": errors,
        "kib_per_request": round(raw["bytes"] / max(requests, 1) / 1024, 1),
        "page_cache_hit_percent": round(100 * raw["cache_hits"] / max(requests, 1), 1),
        "worker_cpu_ms_per_request": round(sampler.cpu_used * 1000 / max(requests, 1), 2),
        "max_worker_rss_mb": round(max(sampler.peak_mb.values(), default=0.0), 1),
        "worker_rss_mb": {str(pid): round(value, 1) for pid, value in sorted(sampler.peak_mb.items())},
    }


def get(port: int, path: str, accept_language: str) -> int:
    """One request on a new connection: the status, 0 for a socket error or timeout."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path, headers={"Accept-Language": accept_language})
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


def prime(port: int, paths: list[str], passes: int, connections: int, seconds: float, done: set) -> dict:
    """Request every path in every Accept-Language ``passes`` times (per-process caches need one pass per
    gunicorn worker to reach most of them), skipping what an earlier scenario primed, for at most
    ``seconds``. Returns what it did; failed requests are named."""
    # Language by language: requests running side by side are different pages, so that one page's
    # facet counts (cached for every language) are not computed by several of them at once.
    todo = [
        (path, language)
        for language in ACCEPT_LANGUAGES
        for path in dict.fromkeys(paths)
        if (path, language) not in done
    ]
    started = time.monotonic()
    deadline = started + seconds

    def request(item: tuple[str, str]) -> tuple[tuple[str, str], int] | None:
        return (item, get(port, *item)) if time.monotonic() < deadline else None

    with ThreadPoolExecutor(max_workers=connections) as pool:
        answers = [answer for answer in pool.map(request, todo * passes) if answer is not None]
    done.update(item for item, status in answers if 0 < status < 400)
    failed = sorted(
        {
            f"{path} ({language}): {status or 'no answer'}"
            for (path, language), status in answers
            if not 0 < status < 400
        }
    )
    return {
        "requests": len(answers),
        "planned": len(todo) * passes,
        "seconds": round(time.monotonic() - started, 1),
        "failed": failed[:10],
    }
