"""Web benchmark: throughput and latency of the main pages under gunicorn, against a minimal view.

    .venv/bin/python bench/web.py [--requests 400] [--concurrency 8,50] [--time-limit 60] [--json out.json]

Builds a throw-away production-like site (DEBUG off, SQLite in a temporary
VAR_DIR, content from site/ via loadsite, a 1,000-post forum thread,
collectstatic), serves it with gunicorn (2 sync workers) on a free loopback
port, and loads each endpoint, at each concurrency in turn, for a bounded
number of requests and a bounded time. Clients ask as browsers do
(Accept-Encoding: br, gzip) and carry no cookie: anonymous readers. The first
endpoint is the baseline: /healthz/ goes through all the middleware but
touches no database and renders no template, so each page's ratio to it, at
the same concurrency in the same run, is the cost of the page on this machine.
The page cache is whatever the environment configures (REDIS_CACHE_URL, or
the folder under VAR_DIR); the run says which.

Targets (docs/performance.md): article, question, perspective list and home at
>= 0.5x the baseline's requests/s; search and the 1,000-post thread >= 0.25x;
the article's p99 at 50 clients <= 2x the baseline's. The last column says
whether each row meets its target.

To benchmark another page, add an Endpoint to ENDPOINTS: a fixed path, or
`discover=(list_path, regex)` to take the first link on a list page matching
the regex (for pages whose URL depends on the loaded content).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import fetch, gunicorn, load, manage, temporary_site  # noqa: E402 - path set just above


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str = ""
    discover: tuple[str, str] | None = None  # (list page, regex for the first matching href)
    target: float | None = None  # the least requests/s it must reach, as a fraction of the baseline's


ENDPOINTS: list[Endpoint] = [
    Endpoint("baseline /healthz/", "/healthz/"),
    Endpoint("home", "/", target=0.5),
    Endpoint("perspective list", "/perspectives/", target=0.5),
    Endpoint(
        "perspective page",
        discover=("/perspectives/", r'href="(/perspectives/(?!tags/|sequences/|feed/)[\w-]+/)"'),
        target=0.5,
    ),
    Endpoint("question list", "/questions/"),
    Endpoint("question page", discover=("/questions/", r'href="(/questions/\d+/)"'), target=0.5),
    # The forum thread is seeded with 1,000 posts by `manage.py forum_bench_seed` (see main).
    Endpoint("forum index", "/forum/"),
    Endpoint(
        "forum thread 1000",
        discover=("/forum/", r'href="(/forum/t/\d+/benchmark-thread-with-many-posts/)"'),
        target=0.25,
    ),
    Endpoint("site search", "/search/?q=learning+rate", target=0.25),
    # API engineers: add the API endpoints here.
    Endpoint("api article list", "/api/v1/perspectives/"),
    Endpoint("api run status", discover=("/api/v1/runs/", r'"url":"(/api/v1/runs/\d+/)"')),
]


def resolve(endpoint: Endpoint, host: str, port: int) -> str | None:
    if endpoint.path:
        return endpoint.path
    assert endpoint.discover is not None
    list_path, pattern = endpoint.discover
    status, body = fetch(host, port, list_path)
    if status != 200:
        return None
    match = re.search(pattern, body.decode("utf-8", "replace"))
    return match.group(1) if match else None


BROWSER = {"Accept-Encoding": "br, gzip"}
ARTICLE = "perspective page"
# The article's p99 at this many clients may be at most P99_TARGET times the baseline's.
P99_CLIENTS, P99_TARGET = 50, 2.0


def _verdict(endpoint: Endpoint, clients: int, ratio_rps: float, ratio_p99: float) -> str:
    checks = []
    if endpoint.target is not None:
        checks.append(ratio_rps >= endpoint.target)
    if endpoint.name == ARTICLE and clients == P99_CLIENTS:
        checks.append(ratio_p99 <= P99_TARGET)
    if not checks:
        return ""
    return "meets" if all(checks) else "BELOW"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per endpoint and concurrency")
    parser.add_argument("--concurrency", default="8,50", help="concurrent client threads, comma-separated")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per endpoint at most")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    levels = [int(c) for c in str(args.concurrency).split(",") if c.strip()]

    rows: list[dict[str, object]] = []
    print("Preparing a temporary site (migrate, loadsite, collectstatic)...", flush=True)
    with temporary_site() as (_var_dir, env), gunicorn(env, workers=args.workers) as base_url:
        manage(env, "forum_bench_seed", "--posts", "1000")
        parts = urlsplit(base_url)
        host, port = parts.hostname or "127.0.0.1", int(parts.port or 80)
        cache = "Redis (REDIS_CACHE_URL)" if env.get("REDIS_CACHE_URL") else "files under VAR_DIR"
        print(
            f"gunicorn: {args.workers} sync workers at {base_url}; page cache: {cache}; "
            f"{args.requests} requests per endpoint at each of {levels} clients, "
            f"at most {args.time_limit:.0f} s each\n",
            flush=True,
        )
        paths = {endpoint.name: resolve(endpoint, host, port) for endpoint in ENDPOINTS}
        header = (
            f"{'endpoint':<20} {'clients':>7} {'ok':>5} {'err':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'kB sent':>8} {'x base rps':>10} {'p99/base':>8}  target"
        )
        for clients in levels:
            print(header)
            print("-" * len(header))
            base_rps = base_p99 = None
            for endpoint in ENDPOINTS:
                path = paths[endpoint.name]
                if path is None:
                    print(f"{endpoint.name:<20} (no page found to benchmark; is the content loaded?)")
                    continue
                _, body = fetch(host, port, path, headers=BROWSER)
                result = load(
                    host,
                    port,
                    path,
                    requests=args.requests,
                    concurrency=clients,
                    time_limit=args.time_limit,
                    headers=BROWSER,
                )
                rps, p50, p99 = result.requests_per_second, result.percentile_ms(50), result.percentile_ms(99)
                if base_rps is None:
                    base_rps, base_p99 = rps, p99
                ratio_rps = rps / base_rps if base_rps else float("nan")
                ratio_p99 = p99 / base_p99 if base_p99 else float("nan")
                verdict = _verdict(endpoint, clients, ratio_rps, ratio_p99)
                print(
                    f"{endpoint.name:<20} {clients:>7} {len(result.latencies):>5} {result.errors:>4} {rps:>8.1f} "
                    f"{p50:>8.1f} {p99:>8.1f} {len(body) / 1000:>8.1f} {ratio_rps:>10.2f} {ratio_p99:>8.1f}  {verdict}",
                    flush=True,
                )
                rows.append(
                    {
                        "endpoint": endpoint.name,
                        "path": path,
                        "clients": clients,
                        "ok": len(result.latencies),
                        "errors": result.errors,
                        "statuses": result.statuses,
                        "requests_per_second": round(rps, 2),
                        "p50_ms": round(p50, 2),
                        "p99_ms": round(p99, 2),
                        "bytes": len(body),
                        "rps_vs_baseline": round(ratio_rps, 3),
                        "p99_vs_baseline": round(ratio_p99, 2),
                        "target": verdict,
                    }
                )
            print()
    print(
        "x base rps: requests/s divided by the baseline's at the same concurrency; p99/base: p99 latency divided "
        "by the baseline's; kB sent: one response's body as sent (compressed when the page allows it)."
    )
    if args.json:
        args.json.write_text(json.dumps({"settings": vars(args) | {"json": str(args.json)}, "results": rows}, indent=2))
    return 1 if any(row["errors"] for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
