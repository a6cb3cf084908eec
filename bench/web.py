"""Web benchmark: throughput and latency of the main pages under gunicorn, against a minimal view.

    .venv/bin/python bench/web.py [--requests 400] [--concurrency 8] [--time-limit 60] [--json out.json]

Builds a throw-away production-like site (DEBUG off, SQLite in a temporary
VAR_DIR, content from site/ via loadsite, collectstatic), serves it with
gunicorn (2 sync workers) on a free loopback port, and loads each endpoint with
concurrent clients for a bounded number of requests and a bounded time. The
first endpoint is the baseline: /healthz/ goes through all the middleware but
touches no database and renders no template, so each page's ratio to it is the
cost of the page itself on this machine.

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


ENDPOINTS: list[Endpoint] = [
    Endpoint("baseline /healthz/", "/healthz/"),
    Endpoint("home", "/"),
    Endpoint("perspective list", "/perspectives/"),
    Endpoint(
        "perspective page", discover=("/perspectives/", r'href="(/perspectives/(?!tags/|sequences/|feed/)[\w-]+/)"')
    ),
    Endpoint("question list", "/questions/"),
    Endpoint("question page", discover=("/questions/", r'href="(/questions/\d+/)"')),
    # The forum thread is seeded with 1,000 posts by `manage.py forum_bench_seed` (see main).
    Endpoint("forum index", "/forum/"),
    Endpoint("forum thread 1000", discover=("/forum/", r'href="(/forum/t/\d+/benchmark-thread-with-many-posts/)"')),
    Endpoint("site search", "/forum/search/?q=learning+rate"),
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per endpoint at most")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    rows: list[dict[str, object]] = []
    print("Preparing a temporary site (migrate, loadsite, collectstatic)...", flush=True)
    with temporary_site() as (_var_dir, env), gunicorn(env, workers=args.workers) as base_url:
        manage(env, "forum_bench_seed", "--posts", "1000")
        parts = urlsplit(base_url)
        host, port = parts.hostname or "127.0.0.1", int(parts.port or 80)
        print(
            f"gunicorn: {args.workers} sync workers at {base_url}; {args.concurrency} clients, "
            f"{args.requests} requests per endpoint, at most {args.time_limit:.0f} s each\n",
            flush=True,
        )
        baseline_rps = baseline_p50 = None
        header = (
            f"{'endpoint':<20} {'path':<34} {'ok':>5} {'err':>4} {'req/s':>8} "
            f"{'p50 ms':>8} {'p99 ms':>8} {'x base p50':>10} {'base/rps':>9}"
        )
        print(header)
        print("-" * len(header))
        for endpoint in ENDPOINTS:
            path = resolve(endpoint, host, port)
            if path is None:
                print(f"{endpoint.name:<20} (no page found to benchmark; is the content loaded?)")
                continue
            result = load(
                host, port, path, requests=args.requests, concurrency=args.concurrency, time_limit=args.time_limit
            )
            rps, p50, p99 = result.requests_per_second, result.percentile_ms(50), result.percentile_ms(99)
            if baseline_rps is None:
                baseline_rps, baseline_p50 = rps, p50
            ratio_p50 = p50 / baseline_p50 if baseline_p50 else float("nan")
            ratio_rps = baseline_rps / rps if rps else float("nan")
            print(
                f"{endpoint.name:<20} {path[:34]:<34} {len(result.latencies):>5} {result.errors:>4} "
                f"{rps:>8.1f} {p50:>8.1f} {p99:>8.1f} {ratio_p50:>10.1f} {ratio_rps:>9.1f}",
                flush=True,
            )
            rows.append(
                {
                    "endpoint": endpoint.name,
                    "path": path,
                    "ok": len(result.latencies),
                    "errors": result.errors,
                    "statuses": result.statuses,
                    "requests_per_second": round(rps, 2),
                    "p50_ms": round(p50, 2),
                    "p99_ms": round(p99, 2),
                    "p50_vs_baseline": round(ratio_p50, 2),
                    "throughput_baseline_over_this": round(ratio_rps, 2),
                }
            )
    print("\nx base p50: median latency divided by the baseline's; base/rps: baseline throughput divided by this one.")
    if args.json:
        args.json.write_text(json.dumps({"settings": vars(args) | {"json": str(args.json)}, "results": rows}, indent=2))
    return 1 if any(row["errors"] for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
