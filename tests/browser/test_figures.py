"""An article with a live figure in headless Chromium: drawn, switchable, theory toggle, math, clean console."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from apps.perspectives.models import Article
from apps.perspectives.services import article_publish
from tests.browser.chrome import DRAWN_PIXELS_JS, console_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = """Each mode follows $u(t) = s e^{2st} / (e^{2st} - 1 + s/u_0)$.

```figure
experiment: deep_linear
preset: smoke
grid: {init_scale: [0.001, 0.01]}
caption: Mode strengths of a deep linear network, theory as lines.
```

The plateau is longer for the smaller initial scale.
"""

MEASURED_SUM_JS = """
const state = window.lmFigures[arguments[0]];
let total = 0;
state.doc.all_models.forEach(m => {
  if (m.tags && m.tags.includes('measured') && m.data_source) total += m.data_source.data.y.reduce((a, b) => a + b, 0);
});
return total;
"""
THEORY_VISIBLE_JS = """
const out = [];
window.lmFigures[arguments[0]].doc.all_models.forEach(m => {
  if (m.tags && m.tags.includes('theory')) out.push(m.visible);
});
return out;
"""


def test_the_article_figure_draws_switches_toggles_theory_and_logs_no_errors(
    live_server,
    chromium,
    finished_run,
    screenshot_dir,
    alice,
):
    runs = [finished_run(0.001), finished_run(0.01)]
    article = Article.objects.create(title="Deep linear networks", slug="dln", summary="Sigmoids.", body=BODY)
    article_publish(article=article, changelog="first", by=alice)
    driver = chromium
    driver.get(f"{live_server.url}/perspectives/dln/")
    wait = WebDriverWait(driver, 30)
    figure = driver.find_element(By.CSS_SELECTOR, "figure.lm-figure-live")
    fid = figure.get_attribute("id")
    wait.until(lambda d: figure.get_attribute("data-drawn") == "true")
    assert figure.get_attribute("data-run-shown") == str(runs[0].pk)
    plot = figure.find_element(By.CSS_SELECTOR, ".lm-figure-plot")
    assert max(driver.execute_script(DRAWN_PIXELS_JS, plot)) > 1000  # the canvas has been drawn on
    before = driver.execute_script(MEASURED_SUM_JS, fid)

    Select(driver.find_element(By.ID, f"{fid}-init_scale")).select_by_visible_text("0.01")
    wait.until(
        lambda d: (
            figure.get_attribute("data-run-shown") == str(runs[1].pk) and figure.get_attribute("data-drawn") == "true"
        )
    )
    after = driver.execute_script(MEASURED_SUM_JS, fid)
    assert after != pytest.approx(before)
    assert (
        figure.find_element(By.CSS_SELECTOR, "a[data-link='csv']")
        .get_attribute("href")
        .endswith(f"/experiments/runs/{runs[1].pk}/data.csv")
    )
    assert max(driver.execute_script(DRAWN_PIXELS_JS, plot)) > 1000

    shown = driver.execute_script(THEORY_VISIBLE_JS, fid)
    assert shown and all(shown)
    figure.find_element(By.CSS_SELECTOR, "input[data-theory-toggle]").click()
    assert driver.execute_script(THEORY_VISIBLE_JS, fid) == [False] * len(shown)

    math = driver.find_element(By.CSS_SELECTOR, ".article-body math")
    assert math.size["width"] > 20 and math.size["height"] > 5  # MathML laid out natively

    driver.save_screenshot(str(screenshot_dir / "article-figure.png"))
    assert console_errors(driver) == []


def test_a_figure_whose_run_is_still_computing_shows_progress(live_server, chromium, alice):
    article = Article.objects.create(
        title="Waiting",
        slug="waiting",
        summary="s",
        body="```figure\nexperiment: deep_linear\npreset: smoke\ncaption: Pending.\n```\n",
    )
    article_publish(article=article, changelog="first", by=alice)  # requests a run nobody computes here
    from apps.experiments.models import Run

    Run.objects.update(status="running", progress=0.25, message="step 25")
    chromium.get(f"{live_server.url}/perspectives/waiting/")
    wait = WebDriverWait(chromium, 20)
    status = chromium.find_element(By.CSS_SELECTOR, ".lm-figure-status")
    wait.until(lambda d: "Computing" in status.text)
    assert chromium.find_element(By.CSS_SELECTOR, ".lm-figure-status progress").get_attribute("value") == "0.25"
    assert console_errors(chromium) == []


def test_a_run_page_draws_the_same_figure(live_server, chromium, finished_run, screenshot_dir):
    run = finished_run(0.01)
    chromium.get(f"{live_server.url}{run.get_absolute_url()}")
    figure = chromium.find_element(By.CSS_SELECTOR, "figure.lm-figure-live")
    WebDriverWait(chromium, 30).until(lambda d: figure.get_attribute("data-drawn") == "true")
    plot = figure.find_element(By.CSS_SELECTOR, ".lm-figure-plot")
    assert max(chromium.execute_script(DRAWN_PIXELS_JS, plot)) > 1000
    assert not chromium.find_elements(By.CSS_SELECTOR, "figure.lm-figure-live select")  # one run: no grid widget
    chromium.save_screenshot(str(screenshot_dir / "run-figure.png"))
    assert console_errors(chromium) == []
