"""Debian's Chromium driven by Playwright, for the page tests (the report, the dbt docs site).

Why Playwright: one browser process serves a whole test module, and each test opens pages in
a context of its own where it can read the page's own state (`page.evaluate`), click, set
filters and take downloads. Selenium with Debian's chromium-driver could do the same; Playwright
also routes every request of a context to the test, which is what "the page loads nothing"
needs. `playwright install` (a browser download) is never used: the browser is Debian's
`chromium`, given by path.

What a page fetches is judged by the page's own requests, not by what the browser process
sends: every request of the page's context (documents, scripts, images, fetch/XHR, frames) is
routed to `OfflinePage._route`, which lets through only the page's own URLs and records and
aborts every other one; WebSocket connections are recorded and closed the same way. Chromium's
own service traffic (its component updater, for one) is not the page's and is not counted;
it still cannot leave the machine: no host name resolves (`--host-resolver-rules`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route, WebSocketRoute

CHROMIUM_NAMES = ("chromium", "chromium-browser")
PAGE_TIMEOUT_MS = 60_000
WINDOW = (1280, 900)
# Chromium's own services off (Playwright passes most of these already); no name resolves, so
# whatever the browser process itself tries fails on this machine instead of reaching out.
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pings",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def chromium_binary() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        "Debian's chromium is not installed: `make test` (or `apt-get install chromium`) "
        "installs it"
    )


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    """One headless Debian Chromium, driven by Playwright, for as long as the block runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_binary(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PlotlyChart:
    """A drawn plotly chart: its div id, traces, data marks (bars, markers, line paths with a
    real shape), axis and chart titles, and every text drawn (ticks, bar labels, legend)."""

    div_id: str
    traces: int
    marks: int
    titles: list[str]
    texts: list[str]


@dataclass
class PlotTrace:
    """One trace as plotly.js holds it after its defaults (`gd._fullData`)."""

    name: str | None
    type: str | None
    x: list
    y: list
    customdata: list


# Every drawn chart (plotly.js adds class js-plotly-plot once a div is plotted). A mark is a
# path with an area or a length (plotly draws an empty bar as `M0,0Z`) that is a point, inside
# a point, or a line; texts are the chart's text nodes one by one.
CHARTS_JS = """() => {
  const drawn = (d) => !!d && !["M0,0Z", "M0,0"].includes(d.replace(/ /g, ""));
  const textsOf = (root) => {
    const found = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const text = walker.currentNode.data.trim();
      if (text) { found.push(text); }
    }
    return found;
  };
  return Array.from(document.querySelectorAll(".js-plotly-plot"), (chart) => ({
    div_id: chart.id,
    traces: chart.querySelectorAll("g.trace").length,
    marks: Array.from(chart.querySelectorAll("path")).filter((path) =>
      drawn(path.getAttribute("d")) && (path.classList.contains("point")
        || path.classList.contains("js-line")
        || (path.parentElement !== null && path.parentElement.classList.contains("point")))
    ).length,
    titles: Array.from(chart.querySelectorAll(
      "text.gtitle, text.xtitle, text.ytitle, text.y2title")).flatMap(textsOf),
    texts: textsOf(chart),
  }));
}"""

# What plotly.js holds for each drawn chart, typed arrays made plain.
PLOT_DATA_JS = """() => {
  const plain = (value) => {
    if (value === undefined || value === null) { return null; }
    if (ArrayBuffer.isView(value)) { return Array.from(value); }
    if (Array.isArray(value)) { return value.map(plain); }
    return value;
  };
  const found = {};
  document.querySelectorAll(".js-plotly-plot").forEach((chart) => {
    found[chart.id] = (chart._fullData || chart.data).map((trace) => ({
      name: trace.name === undefined ? null : trace.name,
      type: trace.type === undefined ? null : trace.type,
      x: plain(trace.x) || [], y: plain(trace.y) || [], customdata: plain(trace.customdata) || [],
    }));
  });
  return found;
}"""

# A page still drawing (unpacking its data first) marks an element `data-drawing`.
DRAWN_JS = "() => !document.querySelector('[data-drawing]')"
# Every plotly div the page declared has been plotted (its data and layout filled in).
ALL_PLOTTED_JS = """() => Array.from(document.querySelectorAll(".plotly-graph-div"))
  .every((chart) => chart.classList.contains("js-plotly-plot") && chart._fullLayout)"""


@dataclass
class OfflinePage:
    """A page open in a browser context of its own. Requests for a URL that `allowed` accepts
    go through; every other request the page makes is recorded in `requests` and aborted."""

    page: Page
    allowed: Callable[[str], bool]
    requests: list[str] = field(default_factory=list)

    def _route(self, route: Route) -> None:
        url = route.request.url
        if self.allowed(url):
            route.continue_()
        else:
            self.requests.append(f"{route.request.method} {url}")
            route.abort("blockedbyclient")

    def _route_websocket(self, websocket: WebSocketRoute) -> None:
        self.requests.append(f"WEBSOCKET {websocket.url}")
        websocket.close()

    @property
    def dom(self) -> str:
        """The DOM as it is now, serialised."""
        return self.page.content()

    def charts(self) -> dict[str, PlotlyChart]:
        return {chart["div_id"]: PlotlyChart(**chart) for chart in self.page.evaluate(CHARTS_JS)}

    def plot_data(self) -> dict[str, list[PlotTrace]]:
        return {chart: [PlotTrace(**trace) for trace in traces]
                for chart, traces in self.page.evaluate(PLOT_DATA_JS).items()}

    def text(self) -> str:
        """The page's visible text, white space collapsed."""
        return " ".join(self.page.inner_text("body").split())

    def screenshot(self, path: Path, height: int | None = None) -> Path:
        """The whole page (else its top `height` pixels, at the window's width), as a PNG."""
        path.parent.mkdir(parents=True, exist_ok=True)
        clip = None if height is None else {"x": 0, "y": 0, "width": WINDOW[0], "height": height}
        self.page.screenshot(path=str(path), full_page=True, clip=clip)
        return path


@contextmanager
def opened(browser: Browser, url: str, allowed: Callable[[str], bool] | None = None,
           window: tuple[int, int] = WINDOW, **context_options: Any) -> Iterator[OfflinePage]:
    """`url` open in a new context of `browser`, its charts drawn; only `url` itself may load
    unless `allowed` says otherwise. The context closes when the block ends."""
    context = browser.new_context(
        viewport={"width": window[0], "height": window[1]},
        service_workers="block", **context_options,
    )
    try:
        opened_page = OfflinePage(page=context.new_page(),
                                  allowed=allowed or (lambda requested: requested == url))
        context.route("**/*", opened_page._route)
        context.route_web_socket("**/*", opened_page._route_websocket)
        opened_page.page.set_default_timeout(PAGE_TIMEOUT_MS)
        opened_page.page.goto(url, wait_until="load")
        opened_page.page.wait_for_function(DRAWN_JS)
        opened_page.page.wait_for_function(ALL_PLOTTED_JS)
        yield opened_page
    finally:
        context.close()


def open_file(browser: Browser, path: Path, **options: Any,
              ) -> AbstractContextManager[OfflinePage]:
    """A page opened from disk (file://), as a person double-clicking it would."""
    return opened(browser, path.resolve().as_uri(), **options)
