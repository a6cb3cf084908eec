"""Figures that cost nothing until seen: what an article with three figures transfers and how soon it shows them.

    .venv/bin/python bench/pages.py [--repeats 3] [--json out.json]

Builds a throw-away production-like site (DEBUG off, WhiteNoise with hashed and
pre-compressed static files, SQLite in a temporary VAR_DIR), publishes two
articles with the same prose, one with three deep_linear figure directives
after two screens of text and one with none, computes the three runs in this
process (smoke preset, CPU) and draws their images as the worker would, and
serves the site with gunicorn on loopback. Headless Chromium (Debian's
chromium) at 1280×1000 then measures, in one run:

- **before scrolling**: bytes the article transfers (navigation and resource
  timing ``transferSize``) from a fresh profile, waiting one second after
  ``load`` without scrolling; whether BokehJS was requested.
- **image, warm**: with a filled cache, the article opened at its first figure
  (``#lm-figure-1``); the Element Timing ``renderTime`` of the figure's image,
  beside the page's first byte and first contentful paint (an image painted
  with the page's first paint costs the page nothing).
- **interactive, cold**: a fresh profile opens the article at the top and, once
  it is idle, scrolls the first figure into view; time from the scroll to the
  ``lmFirstFigureDrawn`` mark (figures.js sets it a frame after the Bokeh figure
  is embedded). BokehJS and the figure JSON are fetched only then.
- **phone, cold**: a fresh profile under Chromium's slow 4G (DevTools' preset:
  562.5 ms latency, 1.44 Mbit/s down, 675 kbit/s up) and 4× CPU throttling
  (CDP Network.emulateNetworkConditions, Emulation.setCPUThrottlingRate) opens
  the article at its first figure; the image's ``renderTime``, and the time to
  the interactive figure.

Nothing is asserted; the numbers are printed, medians over ``--repeats`` fresh
profiles, with the targets of issue 12 beside them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PYTHON, ROOT, gunicorn, temporary_site  # noqa: E402 - path set just above

PROSE = "\n\n".join(
    [
        "## Setting\n\nA two-layer linear network $f(x) = W_2 W_1 x$ trained by gradient descent from a small "
        "balanced initialisation learns each singular mode of its target along a sigmoid, $u(t) = s e^{2st} / "
        "(e^{2st} - 1 + s/u_0)$.",
        *["The stronger modes are learned first; the plateau before each mode scales like $\\log(1/u_0)/s$. " * 8] * 5,
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
from apps.experiments.images import runs_images_draw
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
print(runs_images_draw())
"""

# DevTools' "Slow 4G": Lighthouse's mobile throttling (150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up) as
# DevTools applies it to the network (latency × 3.75, throughput × 0.9).
SLOW_4G = {"offline": False, "latency": 562.5, "downloadThroughput": 180_000, "uploadThroughput": 84_375}
CPU_SLOWDOWN = 4
TARGETS = {
    "before scrolling, bytes": 60_000,
    "image, warm, ms": 300,
    "interactive after scroll, cold, ms": 800,
    "phone image, cold, ms": 3000,
}

TRANSFERRED_JS = """
const nav = performance.getEntriesByType('navigation')[0];
const res = performance.getEntriesByType('resource');
return {
  total: nav.transferSize + res.reduce((a, e) => a + e.transferSize, 0),
  files: [[location.pathname, nav.transferSize], ...res.map(e => [new URL(e.name).pathname, e.transferSize])],
  load: nav.loadEventEnd,
  first_byte: nav.responseStart,
  first_paint: (performance.getEntriesByName('first-contentful-paint')[0] || {startTime: null}).startTime,
};
"""
# When BokehJS and the figure JSON had arrived, in ms after the scroll started at arguments[0].
FETCHED_BY_JS = """
const end = part => Math.max(...performance.getEntriesByType('resource').filter(e => e.name.includes(part))
  .map(e => e.responseEnd));
return [Math.round(end('/bokeh/') - arguments[0]), Math.round(end('figure.json') - arguments[0])];
"""
# Element Timing entries are only delivered to observers; a buffered one sees those already made.
IMAGE_RENDERED_JS = """
const done = arguments[arguments.length - 1];
new PerformanceObserver((list, observer) => {
  const entry = list.getEntries().find(e => e.identifier === 'lm-figure-1');
  if (entry) { observer.disconnect(); done(entry.renderTime || entry.loadTime); }
}).observe({type: 'element', buffered: true});
"""
DRAWN_MARK_JS = "const m = performance.getEntriesByName('lmFirstFigureDrawn')[0]; return m ? m.startTime : null;"


def _until(probe: Callable[[], Any], timeout: float = 60, step: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(step)
    raise RuntimeError("timed out waiting in the browser")


def _loaded(driver: Any) -> dict[str, Any]:
    return _until(lambda: (lambda t: t if t["load"] else None)(driver.execute_script(TRANSFERRED_JS)))


def _browser(profile: str) -> Any:
    from tests.browser.chrome import start_chromium

    driver = start_chromium(profile, width=1280, height=1000)
    driver.set_script_timeout(60)
    driver.execute_cdp_cmd("Network.enable", {})
    return driver


def measure(base: str, url: str, plain_url: str) -> dict[str, Any]:
    """One round of every measurement, each from the profile state it names."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="lm-bench-chrome-") as profile:
        driver = _browser(profile)
        try:
            driver.get(url)
            loaded = _loaded(driver)
            time.sleep(1.0)  # anything eager shows itself now; the reader has not scrolled
            settled = driver.execute_script(TRANSFERRED_JS)
            out["before scrolling, bytes"] = settled["total"]
            out["before scrolling, files"] = settled["files"]
            out["BokehJS before scrolling"] = any("/bokeh/" in f for f, _ in settled["files"])
            # Scrolled to the first figure, cold: BokehJS and the figure JSON are fetched now.
            started = driver.execute_script(
                "const t = performance.now(); document.getElementById('lm-figure-1').scrollIntoView({block: 'center'});"
                "return t;"
            )
            drawn = _until(lambda: driver.execute_script(DRAWN_MARK_JS))
            out["interactive after scroll, cold, ms"] = drawn - started
            out["after scroll: BokehJS, figure JSON fetched by, ms"] = driver.execute_script(FETCHED_BY_JS, started)
            out["load, ms"] = loaded["load"]
            out["first byte, ms"] = loaded["first_byte"]
            # Warm: the same profile opens the article again, at its first figure.
            driver.get("about:blank")
            driver.get(url + "#lm-figure-1")
            out["image, warm, ms"] = driver.execute_async_script(IMAGE_RENDERED_JS)
            warm = _loaded(driver)
            out["first byte, warm, ms"] = warm["first_byte"]
            out["first paint, warm, ms"] = warm["first_paint"]
            out["interactive, warm, ms"] = _until(lambda: driver.execute_script(DRAWN_MARK_JS))
            driver.get(plain_url)
            out["no figure, warm, bytes"] = _loaded(driver)["total"]
        finally:
            driver.quit()
    with tempfile.TemporaryDirectory(prefix="lm-bench-chrome-") as profile:
        driver = _browser(profile)
        try:
            driver.execute_cdp_cmd("Network.emulateNetworkConditions", SLOW_4G)
            driver.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
            driver.get(url + "#lm-figure-1")
            out["phone image, cold, ms"] = driver.execute_async_script(IMAGE_RENDERED_JS)
            out["phone interactive, cold, ms"] = _until(lambda: driver.execute_script(DRAWN_MARK_JS), timeout=120)
        finally:
            driver.quit()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds, each with fresh browser profiles")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args(argv)

    from tests.browser.chrome import missing

    if missing():
        print(f"cannot measure: {missing()}", file=sys.stderr)
        return 1
    with_figures = PROSE + "\n\n" + "\n\n".join(FIGURE.format(lr=lr) for lr in (0.02, 0.05, 0.1)) + "\n\n" + PROSE
    rounds: list[dict[str, Any]] = []
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
            for _ in range(args.repeats):
                rounds.append(measure(base, base + "/perspectives/bench-figures/", base + "/perspectives/bench-plain/"))

    print("\nAn article with three figures after two screens of prose")
    print("(headless Chromium at 1280×1000, gunicorn on loopback; medians over fresh profiles)")
    print(f"{'measure':<38} {'median':>9} {'min-max':>17} {'target':>9}")
    for name in (
        "before scrolling, bytes",
        "no figure, warm, bytes",
        "image, warm, ms",
        "first byte, warm, ms",
        "first paint, warm, ms",
        "interactive after scroll, cold, ms",
        "interactive, warm, ms",
        "phone image, cold, ms",
        "phone interactive, cold, ms",
        "load, ms",
        "first byte, ms",
    ):
        values = sorted(float(r[name]) for r in rounds)
        target = TARGETS.get(name)
        spread = f"{values[0]:,.0f}-{values[-1]:,.0f}"
        shown = f"≤ {target:,}" if target else ""
        print(f"{name:<38} {statistics.median(values):>9,.0f} {spread:>17} {shown:>9}")
    print(f"BokehJS requested before scrolling: {sorted({r['BokehJS before scrolling'] for r in rounds})}")
    fetched = [r["after scroll: BokehJS, figure JSON fetched by, ms"] for r in rounds]
    print(f"After the scroll, BokehJS and the figure JSON had arrived by (ms): {fetched}")
    files = ", ".join(f"{path} {size:,}" for path, size in rounds[0]["before scrolling, files"])
    print(f"Files before scrolling (first round): {files}")
    if args.json:
        Path(args.json).write_text(json.dumps(rounds, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
