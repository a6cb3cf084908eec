"""Page weight and time to the first drawn figure: an article with three live figures against one without.

    .venv/bin/python bench/pages.py [--repeats 3] [--json out.json]

Builds a throw-away production-like site (DEBUG off, WhiteNoise with hashed and
pre-compressed static files, SQLite in a temporary VAR_DIR), publishes two
articles with the same prose, one with three deep_linear figure directives and
one with none, computes the three runs in this process (smoke preset, CPU), and
serves the site with gunicorn on loopback.

Bytes: every resource the browser loads for the page (HTML, CSS, JS and, for
the figures, the figure.json of each figure's first grid point) fetched with
``Accept-Encoding: gzip``. "wire" is what the server sent (WhiteNoise sends its
.gz files; Django's HTML and JSON go uncompressed, since the site has no GZip
middleware); "gzip" is what they weigh gzip-compressed (level 6), as a
compressing proxy would send them.

Time: headless Chromium (Debian's chromium) opens the article; figures.js sets
the performance mark ``lmFirstFigureDrawn`` one animation frame after the first
Bokeh figure is embedded. Cold = a fresh browser profile, warm = a reload with
the cache filled. Nothing is asserted; the numbers are printed.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PYTHON, ROOT, gunicorn, temporary_site  # noqa: E402 - path set just above

PROSE = "\n\n".join(
    [
        "## Setting\n\nA two-layer linear network $f(x) = W_2 W_1 x$ trained by gradient descent from a small "
        "balanced initialisation learns each singular mode of its target along a sigmoid, $u(t) = s e^{2st} / "
        "(e^{2st} - 1 + s/u_0)$.",
        "The stronger modes are learned first; the plateau before each mode scales like $\\log(1/u_0)/s$. " * 12,
    ]
)
FIGURE = """```figure
experiment: deep_linear
preset: smoke
params: {{lr: {lr}}}
caption: Mode strengths against time at learning rate {lr}; theory as lines, simulation as markers.
```"""

SETUP = r"""
import os
from apps.perspectives.models import Article
from apps.perspectives.services import article_publish
from apps.experiments.models import Run, RunResult
from compute import registry
from compute.runner import execute
from django.utils import timezone

prose, with_figures = os.environ["BENCH_PROSE"], os.environ["BENCH_FIGURES"]
for slug, body in (("bench-figures", with_figures), ("bench-plain", prose)):
    article = Article.objects.create(title=slug, slug=slug, summary="Benchmark article.", body=body)
    article_publish(article=article, changelog="benchmark", by=None)
spec = registry.get("deep_linear")
for run in Run.objects.filter(experiment_id="deep_linear", status="queued"):
    outcome = execute(spec, spec.validate(run.config))
    RunResult.objects.create(run=run, data=outcome.result)
    Run.objects.filter(pk=run.pk).update(status="succeeded", progress=1.0, digest=outcome.digest,
                                         provenance=outcome.provenance, finished_at=timezone.now())
print(Run.objects.filter(status="succeeded").count())
"""


def get(base: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET with Accept-Encoding: gzip; returns status, headers and the body exactly as sent."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def weigh(base: str, path: str) -> dict[str, Any]:
    status, headers, body = get(base, path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    sent_gzip = headers.get("content-encoding") == "gzip"
    plain = gzip.decompress(body) if sent_gzip else body
    return {
        "path": path,
        "wire": len(body),
        "gzip": len(body) if sent_gzip else len(gzip.compress(plain, 6)),
        "raw": len(plain),
        "text": plain,
    }


def page_weight(base: str, path: str) -> dict[str, Any]:
    """Every resource the page makes the browser load, by kind."""
    html = weigh(base, path)
    text = html["text"].decode()
    resources = {"HTML": [html], "CSS": [], "JS": [], "figure JSON": []}
    for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', text):
        resources["CSS"].append(weigh(base, href))
    for src in re.findall(r'<script src="([^"]+)"', text):
        resources["JS"].append(weigh(base, src))
    for points in re.findall(r'data-points="([^"]+)"', text):
        first = json.loads(points.replace("&quot;", '"').replace("&amp;", "&"))[0]
        resources["figure JSON"].append(weigh(base, first["figure"]))
    return {
        kind: {k: sum(r[k] for r in items) for k in ("wire", "gzip", "raw")} | {"files": len(items)}
        for kind, items in resources.items()
    }


def first_figure_ms(url: str, repeats: int) -> dict[str, list[float]]:
    from tests.browser.chrome import missing, start_chromium

    if missing():
        print(f"skipping the browser timing: {missing()}", file=sys.stderr)
        return {}
    script = """
      const nav = performance.getEntriesByType('navigation')[0];
      const mark = performance.getEntriesByName('lmFirstFigureDrawn')[0];
      return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, figure: mark ? mark.startTime : null};
    """
    out: dict[str, list[float]] = {"cold figure": [], "warm figure": [], "cold DOMContentLoaded": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="lm-bench-chrome-") as profile:
            driver = start_chromium(profile)
            try:
                for phase in ("cold", "warm"):
                    driver.get(url)
                    deadline = time.monotonic() + 60
                    timing: dict[str, Any] = {}
                    while time.monotonic() < deadline:
                        timing = driver.execute_script(script)
                        if timing["figure"] is not None and timing["load"]:
                            break
                        time.sleep(0.05)
                    if timing.get("figure") is None:
                        raise RuntimeError("the figure was not drawn within 60 s")
                    out[f"{phase} figure"].append(timing["figure"])
                    if phase == "cold":
                        out["cold DOMContentLoaded"].append(timing["dcl"])
            finally:
                driver.quit()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh browser profiles for the timing")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args(argv)

    with_figures = PROSE + "\n\n" + "\n\n".join(FIGURE.format(lr=lr) for lr in (0.02, 0.05, 0.1))
    with temporary_site("lm-bench-pages-") as (_var_dir, env):
        setup_env = {**env, "BENCH_PROSE": PROSE, "BENCH_FIGURES": with_figures}
        done = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", SETUP],
            cwd=ROOT, env=setup_env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            print(done.stdout, done.stderr, file=sys.stderr)
            return 1
        with gunicorn(env) as base:
            weights = {
                "three figures": page_weight(base, "/perspectives/bench-figures/"),
                "no figure": page_weight(base, "/perspectives/bench-plain/"),
            }
            timing = first_figure_ms(base + "/perspectives/bench-figures/", args.repeats)

    print("\nTransferred bytes per page (wire = as served; gzip = gzip-compressed, as a compressing proxy sends)")
    print(f"{'page':<15} {'resource':<12} {'files':>5} {'raw':>10} {'wire':>10} {'gzip':>10}")
    for page, kinds in weights.items():
        for kind, w in kinds.items():
            print(f"{page:<15} {kind:<12} {w['files']:>5} {w['raw']:>10,} {w['wire']:>10,} {w['gzip']:>10,}")
        total = {k: sum(w[k] for w in kinds.values()) for k in ("raw", "wire", "gzip")}
        print(f"{page:<15} {'TOTAL':<12} {'':>5} {total['raw']:>10,} {total['wire']:>10,} {total['gzip']:>10,}")
    if timing:
        print("\nHeadless Chromium, ms from navigation start (median, min-max over fresh profiles)")
        for name, values in timing.items():
            ordered = sorted(values)
            print(
                f"{name:<22} {ordered[len(ordered) // 2]:8.0f}   ({ordered[0]:.0f}-{ordered[-1]:.0f}, n={len(values)})"
            )
    if args.json:
        Path(args.json).write_text(json.dumps({"bytes": weights, "ms": timing}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
