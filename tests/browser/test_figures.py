"""Figures in headless Chromium: images first, BokehJS only near a figure, switching without moving the page,
theory toggle, touch scrolling through a figure, the editor's preview, dark mode, a clean console."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from apps.experiments.models import Run
from apps.perspectives.models import Article
from apps.perspectives.services import article_publish
from tests.browser.chrome import DRAWN_PIXELS_JS, console_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIGURE = """```figure
experiment: deep_linear
preset: smoke
grid: {init_scale: [0.001, 0.01]}
caption: Mode strengths of a deep linear network, theory as lines.
```"""
BODY = f"""Each mode follows $u(t) = s e^{{2st}} / (e^{{2st}} - 1 + s/u_0)$.

{FIGURE}

The plateau is longer for the smaller initial scale.
"""
# Enough prose that a figure after it starts well below the fold, and enough after it to scroll on.
PROSE = "\n\n".join(["The stronger modes are learned first; each plateau ends in a sigmoid. " * 10] * 8)

STATE_JS = "return window.lmFigures.state[arguments[0]];"
MEASURED_SUM_JS = """
let total = 0;
window.lmFigures.state[arguments[0]].doc.all_models.forEach(m => {
  if (m.tags && m.tags.includes('measured') && m.data_source) total += m.data_source.data.y.reduce((a, b) => a + b, 0);
});
return total;
"""
THEORY_VISIBLE_JS = """
const out = [];
window.lmFigures.state[arguments[0]].doc.all_models.forEach(m => {
  if (m.tags && m.tags.includes('theory')) out.push(m.visible);
});
return out;
"""
# The colour the drawn figure gives its tick labels (a neutral ink: the house text tokens in light and dark).
TICK_LABEL_COLOURS_JS = """
const out = [];
window.lmFigures.state[arguments[0]].doc.all_models.forEach(m => {
  if (m.constructor.__name__.endsWith('Axis')) out.push(m.major_label_text_color);
});
return out;
"""
LOADED_JS = """
return performance.getEntriesByType('resource').map(e => e.name)
  .filter(n => n.includes('/bokeh/') || n.includes('figure.json') || n.includes('figure.svg'));
"""
IMAGE_SHOWN_JS = "const img = arguments[0]; return img.complete && img.naturalWidth > 0;"


def _publish(slug: str, body: str, author: Any) -> None:
    article = Article.objects.create(title="Deep linear networks", slug=slug, summary="Sigmoids.", body=body)
    article_publish(article=article, changelog="first", by=author)


def _wait_drawn(driver: Any, figure: Any, timeout: float = 30) -> None:
    WebDriverWait(driver, timeout).until(lambda d: figure.get_attribute("data-drawn") == "true")


def _phone(driver: Any) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
    )
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})


def test_the_article_shows_images_first_and_loads_bokehjs_only_when_a_figure_comes_near(
    live_server, chromium, finished_run, screenshot_dir, alice
):
    runs = [finished_run(0.001), finished_run(0.01)]
    _publish("far", f"{PROSE}\n\n{FIGURE}\n\n{PROSE}\n", alice)
    driver = chromium
    driver.get(f"{live_server.url}/perspectives/far/")
    figure = driver.find_element(By.CSS_SELECTOR, "figure.lm-figure-live")
    image = figure.find_element(By.CSS_SELECTOR, "img.lm-figure-image")
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(IMAGE_SHOWN_JS, image))
    assert f"/experiments/runs/{runs[0].pk}/figure.svg" in image.get_attribute("src")
    time.sleep(1)  # give anything eager the time to show itself
    assert driver.execute_script("return typeof window.Bokeh") == "undefined"
    assert [n for n in driver.execute_script(LOADED_JS) if "figure.svg" not in n] == []
    assert figure.location["y"] > driver.execute_script("return innerHeight") * 1.3  # it really is below the fold

    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", figure)
    _wait_drawn(driver, figure)
    loaded = driver.execute_script(LOADED_JS)
    assert any("/bokeh/bokeh.min.js" in n for n in loaded)
    assert any(f"/experiments/runs/{runs[0].pk}/figure.json" in n for n in loaded)
    plot = figure.find_element(By.CSS_SELECTOR, ".lm-figure-live-layer")
    assert max(driver.execute_script(DRAWN_PIXELS_JS, plot)) > 1000  # the canvas has been drawn on
    assert not image.is_displayed() or image.value_of_css_property("visibility") == "hidden"
    driver.save_screenshot(str(screenshot_dir / "article-figure-drawn.png"))
    assert console_errors(driver) == []


def test_switching_the_grid_redraws_the_data_without_changing_any_height_and_toggles_theory(
    live_server, chromium, finished_run, screenshot_dir, alice
):
    runs = [finished_run(0.001), finished_run(0.01)]
    _publish("dln", BODY, alice)
    driver = chromium
    driver.get(f"{live_server.url}/perspectives/dln/")
    figure = driver.find_element(By.CSS_SELECTOR, "figure.lm-figure-live")
    fid = figure.get_attribute("id")
    _wait_drawn(driver, figure)
    assert figure.get_attribute("data-run-shown") == str(runs[0].pk)
    heights = lambda: (figure.size["height"], driver.execute_script("return document.documentElement.scrollHeight"))  # noqa: E731
    before_heights = heights()
    before = driver.execute_script(MEASURED_SUM_JS, fid)
    canvas_before = driver.execute_script("return window.lmFigures.state[arguments[0]].views.roots[0].el", fid)

    Select(driver.find_element(By.ID, f"{fid}-init_scale")).select_by_visible_text("0.01")
    WebDriverWait(driver, 30).until(
        lambda d: (
            figure.get_attribute("data-run-shown") == str(runs[1].pk) and figure.get_attribute("data-drawn") == "true"
        )
    )
    assert driver.execute_script(MEASURED_SUM_JS, fid) != pytest.approx(before)
    assert heights() == before_heights
    # The same embedded document shows the new data: nothing was embedded afresh.
    assert driver.execute_script("return window.lmFigures.state[arguments[0]].views.roots[0].el", fid) == canvas_before
    link = figure.find_element(By.CSS_SELECTOR, "a[data-link='csv']").get_attribute("href")
    assert link.endswith(f"/experiments/runs/{runs[1].pk}/data.csv")

    shown = driver.execute_script(THEORY_VISIBLE_JS, fid)
    assert shown and all(shown)
    figure.find_element(By.CSS_SELECTOR, "input[data-theory-toggle]").click()
    assert driver.execute_script(THEORY_VISIBLE_JS, fid) == [False] * len(shown)
    math = driver.find_element(By.CSS_SELECTOR, ".article-body math")
    assert math.size["width"] > 20 and math.size["height"] > 5  # MathML laid out natively
    driver.save_screenshot(str(screenshot_dir / "article-figure.png"))
    assert console_errors(driver) == []


def test_a_vertical_swipe_that_starts_on_a_drawn_figure_scrolls_the_page(
    live_server, chromium, finished_run, screenshot_dir, alice
):
    finished_run(0.001), finished_run(0.01)
    _publish("swipe", f"{FIGURE}\n\n{PROSE}\n", alice)
    driver = chromium
    _phone(driver)
    driver.get(f"{live_server.url}/perspectives/swipe/")
    figure = driver.find_element(By.CSS_SELECTOR, "figure.lm-figure-live")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", figure)
    _wait_drawn(driver, figure)
    box = driver.execute_script(
        "return arguments[0].querySelector('.lm-figure-live-layer').getBoundingClientRect().toJSON()", figure
    )
    x, y = box["left"] + box["width"] / 2, box["top"] + box["height"] * 0.6
    start = driver.execute_script("return scrollY")
    point = lambda py: [{"x": x, "y": py, "id": 1}]  # noqa: E731
    driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": point(y)})
    for step in range(1, 11):
        driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": point(y - 20 * step)})
    driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    WebDriverWait(driver, 5).until(lambda d: d.execute_script("return scrollY") > start + 100)
    overflow = driver.execute_script("return document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0  # the figure fits a phone's width
    driver.save_screenshot(str(screenshot_dir / "figure-phone-swipe.png"))


def test_the_editor_preview_draws_a_figure_of_an_existing_run_and_requests_none(
    live_server, chromium, finished_run, screenshot_dir, alice
):
    finished_run(0.001), finished_run(0.01)
    call_command("figure_images")  # as the worker would have drawn them when the runs finished
    runs_before = Run.objects.count()
    driver = chromium
    client = Client()
    client.force_login(alice)
    driver.get(f"{live_server.url}/healthz/")
    driver.add_cookie(
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "path": "/"}
    )
    driver.get(f"{live_server.url}/write/new/")
    driver.find_element(By.ID, "id_body").send_keys("# Modes\n\n" + FIGURE + "\n")
    preview = driver.find_element(By.ID, "write-preview")
    figure = WebDriverWait(driver, 20).until(lambda d: preview.find_elements(By.CSS_SELECTOR, "figure.lm-figure-live"))[
        0
    ]
    _wait_drawn(driver, figure)
    assert max(driver.execute_script(DRAWN_PIXELS_JS, figure)) > 1000
    drawn_element = driver.execute_script("return arguments[0].querySelector('canvas') || arguments[0]", figure)
    driver.find_element(By.ID, "id_body").send_keys("More text below the figure.\n")
    WebDriverWait(driver, 20).until(lambda d: "More text below" in preview.text)
    assert preview.find_element(By.CSS_SELECTOR, "figure.lm-figure-live") == figure  # kept, not drawn again
    assert drawn_element is not None
    assert Run.objects.count() == runs_before  # a preview spends no compute
    driver.save_screenshot(str(screenshot_dir / "editor-preview-figure.png"))
    assert console_errors(driver) == []


def test_dark_mode_recolours_a_drawn_figure_and_its_image(live_server, chromium, finished_run, screenshot_dir, alice):
    from compute.plotting import THEME

    finished_run(0.001), finished_run(0.01)
    _publish("dark", BODY, alice)
    driver = chromium
    driver.get(f"{live_server.url}/perspectives/dark/")
    figure = driver.find_element(By.CSS_SELECTOR, "figure.lm-figure-live")
    fid = figure.get_attribute("id")
    _wait_drawn(driver, figure)
    light = driver.execute_script(TICK_LABEL_COLOURS_JS, fid)
    driver.execute_script(
        "document.documentElement.setAttribute('data-theme', 'dark');"
        "document.dispatchEvent(new CustomEvent('lm:themechange', {detail: {theme: 'dark'}}));"
    )
    dark = driver.execute_script(TICK_LABEL_COLOURS_JS, fid)
    assert dark != light and set(dark) <= {THEME["dark"][k] for k in THEME["dark"]}
    image = figure.find_element(By.CSS_SELECTOR, "img.lm-figure-image")
    assert "theme=dark" in image.get_attribute("src")
    driver.execute_script(
        "document.documentElement.setAttribute('data-theme', 'light');"
        "document.dispatchEvent(new CustomEvent('lm:themechange', {detail: {theme: 'light'}}));"
    )
    assert driver.execute_script(TICK_LABEL_COLOURS_JS, fid) == light
    assert console_errors(driver) == []


def test_a_figure_whose_run_is_still_computing_shows_progress(live_server, chromium, alice):
    _publish("waiting", "```figure\nexperiment: deep_linear\npreset: smoke\ncaption: Pending.\n```\n", alice)
    Run.objects.update(status="running", progress=0.25, message="step 25")
    chromium.get(f"{live_server.url}/perspectives/waiting/")
    status = chromium.find_element(By.CSS_SELECTOR, ".lm-figure-status")
    WebDriverWait(chromium, 20).until(lambda d: "Computing" in status.text)
    assert chromium.find_element(By.CSS_SELECTOR, ".lm-figure-status progress").get_attribute("value") == "0.25"
    assert console_errors(chromium) == []


def test_a_run_page_draws_the_same_figure(live_server, chromium, finished_run, screenshot_dir):
    run = finished_run(0.01)
    chromium.get(f"{live_server.url}{run.get_absolute_url()}")
    figure = chromium.find_element(By.CSS_SELECTOR, "figure.lm-figure-live")
    _wait_drawn(chromium, figure)
    assert max(chromium.execute_script(DRAWN_PIXELS_JS, figure)) > 1000
    assert not chromium.find_elements(By.CSS_SELECTOR, "figure.lm-figure-live select")  # one run: no grid widget
    chromium.save_screenshot(str(screenshot_dir / "run-figure.png"))
    assert console_errors(chromium) == []
