"""What the reading tests look at in a page: screens, overflow, math, theme and axe-core (used by test_reading.py)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.chrome import missing, start_chromium

AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@dataclass(frozen=True)
class Screen:
    name: str
    width: int
    height: int
    touch: bool


WIDE = Screen("wide", 1366, 900, touch=False)
PHONE = Screen("phone", 390, 844, touch=True)


def open_browser(screen: Screen) -> Any:
    """Headless Chromium at this screen size; a phone is a mobile viewport with touch events."""
    reason = missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI must provide it)")
        pytest.skip(reason)
    driver = start_chromium(tempfile.mkdtemp(prefix="lm-reading-"), width=screen.width, height=screen.height)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": screen.width, "height": screen.height, "deviceScaleFactor": 1, "mobile": screen.touch},
    )
    if screen.touch:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    return driver


# Elements sticking out past the right edge of the viewport (first few), and the page's widths.
OVERFLOW_JS = """
const root = document.documentElement;
const wide = [];
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.right > root.clientWidth + 1 && !el.closest('.visually-hidden')) {
    wide.push(el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined ? '.' + el.className : '')
              + ' ' + Math.round(r.right) + 'px');
  }
  if (wide.length >= 5) break;
}
return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide: wide};
"""

# Every display formula: how it is laid out, how far its centre is from its box's, and its font.
DISPLAY_MATH_JS = """
return Array.from(document.querySelectorAll('math[display="block"]')).map(m => {
  const box = m.closest('.math-display') || m.parentElement;
  const rm = m.getBoundingClientRect(), rb = box.getBoundingClientRect();
  const style = getComputedStyle(m);
  return {
    display: style.display,
    font: style.fontFamily,
    overflowing: box.scrollWidth > box.clientWidth + 1,
    offset: Math.abs((rm.left + rm.right) / 2 - (rb.left + rb.right) / 2),
  };
});
"""

# Which faces of the math font were downloaded (document.fonts), once fonts have settled. The family has two:
# a core subset with a unicode-range, which a page with ordinary math loads, and the whole font for the rest.
MATH_FONT_JS = """
const done = arguments[arguments.length - 1];
document.fonts.ready.then(() => {
  const faces = Array.from(document.fonts).filter(f => f.family.replace(/"/g, '') === 'Latin Modern Math');
  done(faces.map(f => ({status: f.status, ranged: f.unicodeRange !== 'U+0-10FFFF'})));
});
"""

AXE_RUN_JS = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
})))).catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    found = driver.execute_async_script(AXE_RUN_JS)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def page_problems(driver: Any, label: str) -> list[str]:
    """What a reader would notice on the current page: sideways scrolling, off-centre or fallback math, axe failures."""
    problems: list[str] = []
    overflow = driver.execute_script(OVERFLOW_JS)
    if overflow["scrollWidth"] > overflow["clientWidth"]:
        problems.append(
            f"{label}: the page is {overflow['scrollWidth']} px wide in {overflow['clientWidth']}: {overflow}"
        )
    formulas = driver.execute_script(DISPLAY_MATH_JS)
    for i, f in enumerate(formulas):
        if f["display"] != "block math":
            problems.append(f"{label}: display formula {i} is laid out as {f['display']!r}, not 'block math'")
        if not f["overflowing"] and f["offset"] > 3:
            problems.append(f"{label}: display formula {i} is {f['offset']:.0f} px off the centre of its box")
        if not f["font"].startswith('"Latin Modern Math"'):
            problems.append(f"{label}: display formula {i} is set in {f['font']}")
    if formulas:
        driver.set_script_timeout(30)
        faces = driver.execute_async_script(MATH_FONT_JS)
        if {"status": "loaded", "ranged": True} not in faces:
            problems.append(f"{label}: the math font's core is not loaded: {faces}")
        if {"status": "unloaded", "ranged": False} not in faces:
            problems.append(f"{label}: the whole math font was downloaded, not only its core: {faces}")
    for v in axe_violations(driver):
        problems.append(f"{label}: axe {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}")
    return problems
