"""The page in a real browser: headless Chromium, driven by Selenium, against `searcher serve`
on Reuters, with JavaScript off (the page must work without it).

Type a query and submit, read the results, click a facet, follow a timeline bar, open an
article, go back and forward; screenshots of the results at 1280 and 400 pixels wide
(in the test's folder, and in $SEARCHER_SCREENSHOTS when set), with no sideways
scrolling at 400.

Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them): without them
the tests skip, saying so; with SEARCHER_REQUIRE_BROWSER=1 (as .ci/run sets) they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

pytest.importorskip("starlette", reason="searcher serve needs the web extra: pip install '.[web]'")
pytest.importorskip("selenium", reason="the browser tests need Selenium: pip install '.[test]'")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as shown  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from searcher import Filters, Index  # noqa: E402
from searcher.config import load_config  # noqa: E402


def browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        reason = ("Chromium and its driver are not installed (apt-get install chromium chromium-driver; "
                  ".ci/run does it)")
        if os.environ.get("SEARCHER_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; SEARCHER_REQUIRE_BROWSER=1 makes this a failure")
        pytest.skip(reason)
    return chromium, driver


@pytest.fixture(scope="module")
def server(reuters_config: Path) -> Iterator[str]:
    """`searcher serve` on Reuters, on a free port of 127.0.0.1; its address. Stopped by its pid."""
    script = Path(sys.executable).with_name("searcher")
    process = subprocess.Popen([str(script), "--config", str(reuters_config), "serve", "--port", "0"],
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "SEARCHER_TOKEN": ""})
    try:
        line = process.stderr.readline()
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        assert found, line + process.stderr.read()
        yield found.group(1)
    finally:
        os.kill(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        process.stderr.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium, driver_path = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,900"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, css: str) -> Any:
    return WebDriverWait(driver, 20).until(shown.presence_of_element_located((By.CSS_SELECTOR, css)))


def total_on(driver: Any) -> int:
    return int(wait_for(driver, "#count").get_attribute("data-total"))


def asked(driver: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(driver.current_url).query)


def test_search_filter_narrow_read_and_go_back_in_a_real_browser(server: str, browser: Any, reuters_config: Path,
                                                                 tmp_path: Path) -> None:
    index = Index.open(config=load_config(reuters_config))
    try:
        browser.set_window_size(1280, 900)
        browser.get(server)
        box = wait_for(browser, "#q")
        box.send_keys("opec oil prices", Keys.RETURN)
        WebDriverWait(browser, 20).until(lambda driver: "q=opec" in driver.current_url)
        expected = index.search("opec oil prices")
        assert total_on(browser) == expected.total
        hits = browser.find_elements(By.CSS_SELECTOR, "li.hit")
        assert [hit.get_attribute("data-id") for hit in hits] == [hit.id for hit in expected]
        assert hits[0].find_elements(By.CSS_SELECTOR, "mark"), "the matched words are marked"
        assert "match every word of 'opec oil prices'" in browser.find_element(By.ID, "count").text
        shoot(browser, tmp_path, "results")

        # A facet: its value becomes a filter, in the URL, and the count is the library's.
        link = browser.find_element(By.CSS_SELECTOR, 'section[data-facet="category"] li a')
        value = link.text
        link.click()
        WebDriverWait(browser, 20).until(lambda driver: "category=" in driver.current_url)
        assert asked(browser)["category"] == [value] and asked(browser)["q"] == ["opec oil prices"]
        filtered = Filters.parse(category=[value])
        assert total_on(browser) == index.search("opec oil prices", filters=filtered).total
        assert f"Category: {value}" in browser.find_element(By.ID, "chosen").text

        # A bar of the timeline: the search within its period.
        bars = browser.find_elements(By.CSS_SELECTOR, "#timeline a.period")
        assert len(bars) == len(index.timeline(["opec oil prices"], browser.find_element(
            By.ID, "timeline").get_attribute("data-by"), filters=filtered).series[0].buckets)
        tallest = max(bars, key=lambda bar: int(bar.get_attribute("data-matches")))
        matches = int(tallest.get_attribute("data-matches"))
        tallest.find_element(By.CSS_SELECTOR, "rect.bar").click()
        WebDriverWait(browser, 20).until(lambda driver: "since=" in driver.current_url)
        assert total_on(browser) == matches and "until" in asked(browser)
        narrowed = browser.current_url

        # An article, then back to the same results, and forward again.
        first = browser.find_element(By.CSS_SELECTOR, "li.hit h2 a")
        title, article_id = first.text, browser.find_element(By.CSS_SELECTOR, "li.hit").get_attribute("data-id")
        first.click()
        article = wait_for(browser, "#article")
        assert article.get_attribute("data-id") == article_id
        assert browser.find_element(By.TAG_NAME, "h1").text == title
        assert index.get(article_id).body.split()[-1] in article.text
        browser.back()
        wait_for(browser, "#hits")
        assert browser.current_url == narrowed and total_on(browser) == matches
        browser.forward()
        assert wait_for(browser, "#article").get_attribute("data-id") == article_id
    finally:
        index.close()


def test_with_javascript_a_new_order_applies_at_once(server: str, tmp_path: Path) -> None:
    """The one thing JavaScript adds to the page's search: choosing an order submits it."""
    chromium, driver_path = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.get(f"{server}/?q=coffee")
        wait_for(driver, "#hits")
        from selenium.webdriver.support.ui import Select

        Select(driver.find_element(By.CSS_SELECTOR, "form.refine select[name=sort]")).select_by_value("newest")
        WebDriverWait(driver, 20).until(lambda d: "sort=newest" in d.current_url)
        dates = [hit.text for hit in driver.find_elements(By.CSS_SELECTOR, "li.hit .meta")]
        found = [re.search(r"\d{4}-\d{2}-\d{2}", text).group(0) for text in dates]
        assert found == sorted(found, reverse=True)
    finally:
        driver.quit()


def test_the_results_fit_a_phone_width(server: str, browser: Any, tmp_path: Path) -> None:
    browser.set_window_size(400, 900)
    try:
        browser.get(f"{server}/?q=coffee+prices&category=coffee")
        wait_for(browser, "#hits")
        width = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the page scrolls sideways at 400 px: {width}"
        shoot(browser, tmp_path, "results-400")
    finally:
        browser.set_window_size(1280, 900)


def shoot(browser: Any, folder: Path, name: str) -> None:
    """A screenshot of the whole page, in `folder` and in $SEARCHER_SCREENSHOTS when set."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    width = browser.get_window_size()["width"]
    browser.set_window_size(width, min(max(height, 600), 8000))
    path = folder / f"{name}.png"
    assert browser.save_screenshot(str(path)) and path.stat().st_size > 10_000
    if os.environ.get("SEARCHER_SCREENSHOTS"):
        shutil.copy(path, Path(os.environ["SEARCHER_SCREENSHOTS"]) / path.name)
    browser.set_window_size(width, 900)
