"""The reading experience in headless Chromium, on a wide screen (1366×900) and a phone (390×844, touch).

An article with figures, a tutorial with a grid, a run page, the editor preview and
the home page: none scrolls sideways, display math is centred and set in the loaded
math font, axe-core finds nothing serious. Then the reading affordances: dark mode,
sidenotes, previews, the contents, copying math as TeX. Screenshots land in
tests/browser/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from apps.perspectives.models import Article
from apps.perspectives.services import article_publish
from tests.browser.reading_checks import PHONE, WIDE, Screen, open_browser, page_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BIB = """@article{saxe2014, title={Exact solutions to the nonlinear dynamics of learning in deep linear networks},
  author={Saxe, Andrew M. and McClelland, James L. and Ganguli, Surya}, journal={ICLR}, year={2014}}"""

LONG_FORMULA = (
    "$$L(\\theta) = \\sum_{i=1}^{n} \\left( y_i - \\sum_{j=1}^{m} a_j \\tanh\\left( \\sum_{k=1}^{d} W_{jk} x_{ik} "
    "\\right) \\right)^2 + \\lambda_1 \\sum_{j} a_j^2 + \\lambda_2 \\sum_{j,k} W_{jk}^2 "
    "+ \\lambda_3 \\sum_{j} \\lvert a_j \\rvert$$"
)

ARTICLE = """Each mode strength obeys a logistic equation, @eq:logistic, and the figure @fig:modes
shows it [@saxe2014].[^plateau]

## The model

$$\\frac{dp_k}{dt} = 2 p_k (s_k - p_k) \\label{logistic}$$

A long one, which must scroll inside its own box on a phone and never widen the page:

{long_formula}

```figure
experiment: deep_linear
preset: smoke
params: {init_scale: 0.001}
label: modes
caption: Mode strengths of a deep linear network against time, theory as lines.
```

## Why it matters

Small initialisation is the rich end of the lazy-rich spectrum. See also [the tutorial](/perspectives/tut-dln/).

[^plateau]: The plateau lasts about $\\ln(1/\\alpha)/s_k$.
""".replace("{long_formula}", LONG_FORMULA)

TUTORIAL = """Switch the initial scale and watch the plateau move.

$$t_k \\approx \\frac{\\ln(1/\\alpha)}{s_k}$$

```figure
experiment: deep_linear
preset: smoke
grid: {init_scale: [0.001, 0.01]}
caption: Mode strengths for two initial scales.
```
"""


@pytest.fixture
def reading_site(finished_run: Any, alice: Any) -> dict[str, Any]:
    runs = [finished_run(0.001), finished_run(0.01)]
    article = Article.objects.create(
        title="Plateaus in deep linear networks",
        slug="dln",
        summary="Why the loss pauses before each drop.",
        body=ARTICLE,
        bibliography=BIB,
    )
    article_publish(article=article, changelog="first", by=alice)
    tutorial = Article.objects.create(
        title="Deep linear networks, hands on",
        slug="tut-dln",
        summary="Move the plateau.",
        body=TUTORIAL,
        kind="tutorial",
    )
    article_publish(article=tutorial, changelog="first", by=alice)
    return {"runs": runs, "article": article, "tutorial": tutorial}


def _log_in(driver: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    driver.get(f"{live_server.url}/healthz/")
    driver.add_cookie(
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "path": "/"}
    )


# The page has loaded, and each live figure has drawn or is showing its status (computing, failed).
SETTLED_JS = """
return document.readyState === 'complete' && Array.from(document.querySelectorAll('figure.lm-figure-live'))
  .every(f => f.getAttribute('data-drawn') === 'true' || !f.querySelector('.lm-figure-status[hidden]'));
"""


def _settle(driver: Any) -> None:
    """Wait until live figures have drawn (or said why not) and web fonts are in."""
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(SETTLED_JS))
    driver.set_script_timeout(30)
    driver.execute_async_script("document.fonts.ready.then(() => arguments[arguments.length - 1]())")


@pytest.fixture(params=[WIDE, PHONE], ids=lambda s: s.name)
def browser(request: Any) -> Iterator[tuple[Any, Screen]]:
    driver = open_browser(request.param)
    try:
        yield driver, request.param
    finally:
        driver.quit()


def test_reading_pages_fit_the_screen_centre_their_math_and_pass_axe(
    live_server: Any, browser: tuple[Any, Screen], reading_site: dict[str, Any], alice: Any, screenshot_dir: Any
) -> None:
    driver, screen = browser
    run = reading_site["runs"][0]
    pages = [
        ("home", "/"),
        ("article", "/perspectives/dln/"),
        ("tutorial", "/perspectives/tut-dln/"),
        ("run", f"/experiments/runs/{run.pk}/"),
    ]
    problems: list[str] = []
    for name, path in pages:
        driver.get(live_server.url + path)
        _settle(driver)
        driver.save_screenshot(str(screenshot_dir / f"reading-{name}-{screen.name}.png"))
        problems += page_problems(driver, f"{name} ({screen.name})")

    _log_in(driver, live_server, alice)
    driver.get(f"{live_server.url}/write/new/")
    driver.find_element(By.ID, "id_body").send_keys(ARTICLE.split("```figure")[0])
    preview = driver.find_element(By.ID, "write-preview")
    WebDriverWait(driver, 20).until(lambda d: preview.find_elements(By.CSS_SELECTOR, "math[display='block']"))
    _settle(driver)
    driver.save_screenshot(str(screenshot_dir / f"reading-editor-{screen.name}.png"))
    problems += page_problems(driver, f"editor preview ({screen.name})")
    assert problems == []


def test_dark_mode_follows_the_system_until_the_reader_chooses_and_then_remembers(
    live_server: Any, reading_site: dict[str, Any], screenshot_dir: Any
) -> None:
    driver = open_browser(WIDE)
    try:
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
        )
        driver.get(f"{live_server.url}/perspectives/dln/")
        _settle(driver)
        background = "return getComputedStyle(document.body).backgroundColor"
        assert driver.execute_script("return document.documentElement.dataset.theme") == "dark"
        dark = driver.execute_script(background)
        driver.save_screenshot(str(screenshot_dir / "reading-article-dark.png"))

        driver.execute_script(
            "window.lmSeen = []; document.addEventListener('lm:themechange', e => window.lmSeen.push(e.detail.theme))"
        )
        toggle = driver.find_element(By.ID, "theme-toggle")
        assert toggle.get_attribute("aria-pressed") == "true"
        toggle.click()
        assert driver.execute_script("return document.documentElement.dataset.theme") == "light"
        assert driver.execute_script("return window.lmSeen") == ["light"]
        assert driver.execute_script(background) != dark
        assert toggle.get_attribute("aria-pressed") == "false"

        driver.get(f"{live_server.url}/")  # the choice outlives the system's preference and the page
        assert driver.execute_script("return document.documentElement.dataset.theme") == "light"
    finally:
        driver.quit()


def test_footnotes_become_sidenotes_on_a_wide_screen_and_toggles_on_a_phone(
    live_server: Any, reading_site: dict[str, Any]
) -> None:
    for screen in (WIDE, PHONE):
        driver = open_browser(screen)
        try:
            driver.get(f"{live_server.url}/perspectives/dln/")
            _settle(driver)
            ref = driver.find_element(By.CSS_SELECTOR, "a.footnote-ref")
            note = driver.find_element(By.ID, ref.get_attribute("aria-controls"))
            assert "The plateau lasts about" in note.get_attribute("textContent")
            body = driver.find_element(By.CSS_SELECTOR, ".article-body")
            if screen is WIDE:
                assert note.is_displayed()
                assert note.rect["x"] > body.rect["x"] + body.rect["width"]  # in the right margin
                assert not driver.find_element(By.CSS_SELECTOR, ".article-body .footnote").is_displayed()
            else:
                assert not note.is_displayed()
                driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", ref)
                ref.click()
                assert note.is_displayed() and ref.get_attribute("aria-expanded") == "true"
                assert note.rect["x"] + note.rect["width"] <= screen.width
        finally:
            driver.quit()


def test_citations_and_cross_references_preview_on_focus_and_the_contents_follow_the_reader(
    live_server: Any, reading_site: dict[str, Any]
) -> None:
    driver = open_browser(WIDE)
    try:
        driver.get(f"{live_server.url}/perspectives/dln/")
        _settle(driver)
        preview = "const p = document.getElementById('lm-preview'); return p && !p.hidden ? p.textContent : null"
        driver.execute_script("document.querySelector('.citation a').focus()")
        assert "Exact solutions to the nonlinear dynamics" in (driver.execute_script(preview) or "")
        driver.execute_script("document.querySelector('a.xref[href=\"#eq-logistic\"]').focus()")
        assert "Equation" in (driver.execute_script(preview) or "")
        driver.execute_script("document.querySelector('a.xref[href=\"#fig-modes\"]').focus()")
        assert "Mode strengths of a deep linear network" in (driver.execute_script(preview) or "")
        driver.execute_script("document.querySelector('a[href=\"/perspectives/tut-dln/\"]').focus()")
        WebDriverWait(driver, 10).until(lambda d: "Move the plateau." in (d.execute_script(preview) or ""))

        toc = driver.find_element(By.CSS_SELECTOR, ".toc")
        driver.execute_script("document.getElementById('why-it-matters').scrollIntoView()")
        WebDriverWait(driver, 5).until(
            lambda d: d.find_element(By.CSS_SELECTOR, ".toc a[aria-current]").get_attribute("hash") == "#why-it-matters"
        )
        assert toc.is_displayed() and toc.rect["y"] >= 0  # sticky: still on screen far down the article
        assert toc.rect["x"] + toc.rect["width"] <= driver.find_element(By.CSS_SELECTOR, ".article-body").rect["x"]
    finally:
        driver.quit()


COPY_JS = """
const math = document.querySelector(arguments[0]);
const range = document.createRange();
range.setStartBefore(math.closest('p') || math);
range.setEndAfter(math.closest('p') || math);
const selection = window.getSelection();
selection.removeAllRanges();
selection.addRange(range);
const data = new DataTransfer();
document.dispatchEvent(new ClipboardEvent('copy', {clipboardData: data, bubbles: true, cancelable: true}));
return data.getData('text/plain');
"""


def test_copying_a_formula_copies_its_tex(live_server: Any, reading_site: dict[str, Any]) -> None:
    driver = open_browser(WIDE)
    try:
        driver.get(f"{live_server.url}/perspectives/dln/")
        _settle(driver)
        copied = driver.execute_script(COPY_JS, "#eq-logistic math")
        assert "$$\\frac{dp_k}{dt} = 2 p_k (s_k - p_k)$$" in copied
        assert "(1)" not in copied  # the equation number is not part of the formula
    finally:
        driver.quit()
