"""Start Debian's headless Chromium through Selenium 4 (used by the browser tests and bench/pages.py)."""

from __future__ import annotations

import os
import shutil
from typing import Any

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")


def missing() -> str:
    """Why Chromium cannot be driven here, or '' when it can."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.exists(path) or shutil.which(path)):
            return f"{path} is not installed (make browser-deps installs Debian's chromium and chromium-driver)"
    return ""


def start_chromium(profile_dir: str, *, width: int = 1280, height: int = 1000) -> Any:
    """A headless Chromium with a throw-away profile, no background traffic, and the console log kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        "--disable-default-apps",
        f"--user-data-dir={profile_dir}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def console_errors(driver: Any) -> list[str]:
    """The page's console errors so far; Chromium's own request for /favicon.ico (the site has none) is not one."""
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] in ("SEVERE", "ERROR") and "favicon.ico" not in e["message"]
    ]


# Every <canvas> under an element, looking inside shadow roots (BokehJS draws in shadow DOM),
# with the number of pixels that are not blank or white: > 0 means something was drawn.
DRAWN_PIXELS_JS = """
const root = arguments[0];
function canvases(node) {
  const out = [];
  node.querySelectorAll('*').forEach(el => {
    if (el.tagName === 'CANVAS') out.push(el);
    if (el.shadowRoot) out.push(...canvases(el.shadowRoot));
  });
  return out;
}
return canvases(root).map(c => {
  if (!c.width || !c.height) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0 && (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245)) n++;
  }
  return n;
});
"""
