"""The reliability test's readers: threads on keep-alive connections requesting the pages a reader
finds, and the summary of what they got."""

from __future__ import annotations

import http.client
import random
import re
import statistics
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from benchmarks.load.common import HOST, fetch_once

SEARCHES = ["エピソード記憶", "逻辑一致性", "Mamba", '"thought templates"']
FIXED_FACETS = [
    {"language": "ja"},
    {"language": "zh"},
    {"category": "cs.LG", "language": "ja"},
    {"category": ["cs.CL", "cs.LG"], "score": "high"},
    {"code": "yes", "digests": "1"},
    {"year": "2024", "sort": "date"},
    {"q": "Mamba", "category": "cs.LG"},
    {"q": "memory", "language": ["ja", "zh"], "page": "2"},
]
REQUEST_TIMEOUT = 30.0


def discover_urls(port: int) -> dict[str, list[str]]:
    """Paper, digest and facet links as the list pages show them; plus fixed searches, facets and feeds."""
    papers: set[str] = set()
    digests: set[str] = set()
    facets: set[str] = set()
    for page in ("/", "/papers/", "/papers/?page=2", "/papers/?q=Mamba", "/papers/?language=ja"):
        status, body = fetch_once(port, page)
        if status != 200:
            continue
        text = body.decode("utf-8", "replace").replace("&amp;", "&")
        for href in re.findall(r'href="([^"]+)"', text):
            if re.fullmatch(r"/digests/\d+/", href):
                digests.add(href)
            elif re.fullmatch(r"/papers/[^/?#]+/", href) and not href.startswith("/papers/feed"):
                papers.add(href)
            elif href.startswith("?") and "=" in href:
                facets.add("/papers/" + href)
            elif href.startswith("/papers/?") and "=" in href:
                facets.add(href)
    facets.update("/papers/?" + urlencode(params, doseq=True) for params in FIXED_FACETS)
    return {
        "search": ["/papers/?q=" + quote(query) for query in SEARCHES],
        "facets": sorted(facets)[:80],
        "paper": sorted(papers)[:200],
        "digest": sorted(digests)[:50],
        "feed": ["/papers/feed/atom/", "/papers/feed/rss/", "/papers/feed/atom/?language=ja"],
    }


@dataclass
class Sample:
    at: float  # seconds since the run started, when the request was sent
    kind: str
    latency: float
    status: int  # 0: connection error or timeout
    error: str = ""


def run_readers(port: int, urls: dict[str, list[str]], clients: int, seconds: float) -> list[Sample]:
    kinds = [kind for kind in urls if urls[kind]]
    samples: list[Sample] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop_at = started + seconds

    def reader(index: int) -> None:
        rng = random.Random(index)
        connection: http.client.HTTPConnection | None = None
        mine: list[Sample] = []
        step = index
        while time.monotonic() < stop_at:
            kind = kinds[step % len(kinds)]
            step += 1
            path = rng.choice(urls[kind])
            sent = time.monotonic()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
                connection.request("GET", path, headers={"Accept-Language": rng.choice(["en", "ja", "zh"])})
                response = connection.getresponse()
                response.read()
                status = response.status
                error = "" if status < 500 else f"HTTP {status}"
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as exc:
                status, error = 0, type(exc).__name__
                if connection is not None:
                    connection.close()
                connection = None
            mine.append(Sample(sent - started, kind, time.monotonic() - sent, status, error))
        if connection is not None:
            connection.close()
        with lock:
            samples.extend(mine)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(reader, range(clients)))
    return samples


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def summarise(samples: list[Sample], seconds: float) -> dict:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
    rows = {}
    for kind, group in [*sorted(by_kind.items()), ("overall", samples)]:
        latencies = [s.latency * 1000 for s in group if s.status and s.status < 500]
        rows[kind] = {
            "requests": len(group),
            "rps": round(len(group) / seconds, 1),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "max_ms": round(max(latencies, default=0.0), 1),
            "2xx": sum(1 for s in group if 200 <= s.status < 300),
            "3xx_4xx": sum(1 for s in group if 300 <= s.status < 500),
            "5xx": sum(1 for s in group if s.status >= 500),
            "conn_errors": sum(1 for s in group if s.status == 0),
        }
    errors = [s for s in samples if s.error]
    kinds: dict[str, int] = defaultdict(int)
    for sample in errors:
        kinds[f"{sample.kind}: {sample.error}"] += 1
    return {"by_kind": rows, "error_kinds": dict(sorted(kinds.items()))}


def print_table(title: str, summary: dict) -> None:
    print(f"\n{title}")
    header = ["kind", "requests", "rps", "p50_ms", "p95_ms", "p99_ms", "max_ms", "5xx", "conn_errors"]
    rows = [[kind] + [str(row[h]) for h in header[1:]] for kind, row in summary["by_kind"].items()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = zip(row, widths, strict=True)
        print("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(cells)))
    for message, count in summary["error_kinds"].items():
        print(f"  {count:6d} x {message}")
