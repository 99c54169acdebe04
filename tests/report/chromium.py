"""Headless Chromium (Debian's `chromium`) with the network off, for the report's page tests.

Every request that would leave the machine is sent to a local recording proxy instead
(`--proxy-server`), host names resolve to nothing (`--host-resolver-rules`) and background
networking is off; `ProxyRecorder.requests` lists what the page tried to fetch.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser")
BROWSER_TIMEOUT = 180


def chromium_binary() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        "Debian's chromium is not installed: `make system-packages` (or "
        "`apt-get install chromium`) installs it"
    )


class ProxyRecorder:
    """A TCP listener on 127.0.0.1 posing as an HTTP proxy: records each request line and
    answers 502, so any fetch fails and is counted."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.port: int = self._server.getsockname()[1]
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ProxyRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            with client:
                client.settimeout(2)
                try:
                    first = client.recv(4096).split(b"\r\n", 1)[0]
                    self.requests.append(first.decode("latin-1") or "(connection, no request)")
                    client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    self.requests.append("(connection, no request)")


# Chromium's own services (network time, sign-in, variations, the search engine's preconnect)
# would call Google on their own; they are switched off or pointed at a closed local port, so
# that whatever reaches the recorder came from the page.
CLOSED = "http://127.0.0.1:1"
CHROMIUM_OWN_TRAFFIC_OFF = [
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-domain-reliability", "--disable-breakpad",
    "--disable-client-side-phishing-detection", "--metrics-recording-only", "--no-pings",
    "--disable-field-trial-config", "--disable-variations-seed-fetch", "--dns-prefetch-disable",
    "--disable-search-engine-choice-screen", "--disable-signin-promo",
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,"
    "OptimizationGuideModelDownloading,MediaRouter,Translate,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater,PreconnectToSearch,NetworkPrediction",
    f"--variations-server-url={CLOSED}", f"--gaia-url={CLOSED}", f"--google-url={CLOSED}",
    f"--lso-url={CLOSED}", f"--google-apis-url={CLOSED}", f"--google-base-url={CLOSED}",
    f"--gcm-checkin-url={CLOSED}", f"--gcm-registration-url={CLOSED}",
    f"--gcm-mcs-endpoint={CLOSED}",
]


def _offline_flags(proxy_port: int, profile: Path) -> list[str]:
    return [
        "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        *CHROMIUM_OWN_TRAFFIC_OFF,
        # Every request to another host goes to the recorder; no name resolves (but the
        # recorder's address, so that what tries to leave is seen rather than lost).
        f"--proxy-server=http://127.0.0.1:{proxy_port}", "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=20000",
    ]


@dataclass
class PageVisit:
    dom: str
    screenshot: Path | None
    requests: list[str] = field(default_factory=list)


def visit(page: Path, workdir: Path, screenshot: Path | None = None,
          window: tuple[int, int] = (1280, 900)) -> PageVisit:
    """Open `page` from disk (file://) offline: its DOM after the scripts ran, and a
    screenshot of the first `window` pixels when asked. Requests that tried to leave the
    machine are listed."""
    browser = chromium_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    with ProxyRecorder() as proxy:
        flags = _offline_flags(proxy.port, workdir / "profile")
        dom = _run([browser, *flags, "--dump-dom", page.as_uri()]).stdout
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.unlink(missing_ok=True)
            _run([browser, *flags, f"--window-size={window[0]},{window[1]}",
                  f"--screenshot={screenshot}", page.as_uri()])
            if not screenshot.is_file():
                raise AssertionError(f"chromium wrote no screenshot to {screenshot}")
        return PageVisit(dom=dom, screenshot=screenshot, requests=list(proxy.requests))


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT,
                            check=False)
    if result.returncode != 0:
        raise AssertionError(f"chromium failed ({result.returncode}): {result.stderr[-2000:]}")
    return result


@dataclass
class PlotlyChart:
    """A rendered plotly graph div: its id, traces drawn and data marks (bars, markers,
    line paths) with a real shape."""

    div_id: str
    traces: int = 0
    marks: int = 0
    titles: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # every text drawn: ticks, bar labels, ...


class _ChartScanner(HTMLParser):
    """Finds each rendered plotly div (class js-plotly-plot, set by plotly.js once drawn) and
    counts what is drawn inside it."""

    VOID = frozenset({"meta", "link", "br", "img", "input", "hr", "source", "col", "area",
                      "base", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[PlotlyChart] = []
        self._stack: list[tuple[str, PlotlyChart | None, set[str]]] = []
        self._in_title = False

    def _current(self) -> PlotlyChart | None:
        for _, chart, _ in reversed(self._stack):
            if chart is not None:
                return chart
        return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        chart = None
        if tag == "div" and "js-plotly-plot" in classes:
            chart = PlotlyChart(div_id=attributes.get("id") or "")
            self.charts.append(chart)
        current = chart or self._current()
        if current is not None:
            parent_classes = self._stack[-1][2] if self._stack else set()
            if tag == "g" and "trace" in classes:
                current.traces += 1
            shape = attributes.get("d") or ""
            if tag == "path" and _drawn(shape) and (
                "point" in classes or "point" in parent_classes or "js-line" in classes
            ):
                current.marks += 1
            if tag == "text" and classes & {"gtitle", "xtitle", "ytitle", "y2title"}:
                self._in_title = True
        if tag not in self.VOID:
            self._stack.append((tag, chart, classes))

    def handle_endtag(self, tag: str) -> None:
        if tag == "text":
            self._in_title = False
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                return

    def handle_data(self, data: str) -> None:
        current = self._current()
        if current is not None and data.strip():
            current.texts.append(data.strip())
            if self._in_title:
                current.titles.append(data.strip())


def _drawn(shape: str) -> bool:
    """A path with an area or a length (plotly draws an empty bar as `M0,0Z`)."""
    return bool(shape) and shape.replace(" ", "") not in {"M0,0Z", "M0,0"}


def rendered_charts(dom: str) -> list[PlotlyChart]:
    scanner = _ChartScanner()
    scanner.feed(dom)
    return scanner.charts


# The test's own script, appended to a COPY of a page (the product's page stays as it is): once
# the page has loaded, it writes what plotly.js holds for each drawn chart (its traces after
# plotly's defaults: names, x, y, customdata) as JSON into <pre id="plot-data">, where
# --dump-dom finds it.
PLOT_DATA_PROBE = """<script>
window.addEventListener("load", function () {
  function plain(value) {
    if (value === undefined || value === null) { return null; }
    if (ArrayBuffer.isView(value)) { return Array.from(value); }
    if (Array.isArray(value)) { return value.map(plain); }
    return value;
  }
  var found = {};
  document.querySelectorAll(".js-plotly-plot").forEach(function (chart) {
    found[chart.id] = (chart._fullData || chart.data).map(function (trace) {
      return {name: trace.name, type: trace.type, x: plain(trace.x), y: plain(trace.y),
              customdata: plain(trace.customdata)};
    });
  });
  var out = document.createElement("pre");
  out.id = "plot-data";
  out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
});
</script>"""


@dataclass
class PlotTrace:
    name: str | None
    type: str | None
    x: list
    y: list
    customdata: list


def with_plot_data_probe(page: Path, copy: Path) -> Path:
    """A copy of `page` with PLOT_DATA_PROBE before </body>."""
    html = page.read_text(encoding="utf-8")
    assert html.count("</body>") == 1, "the page has no single </body>"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(html.replace("</body>", PLOT_DATA_PROBE + "</body>"), encoding="utf-8")
    return copy


class _PreScanner(HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__()
        self._id = element_id
        self._inside = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._inside = self._inside or (tag == "pre" and dict(attrs).get("id") == self._id)

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.text.append(data)


def plot_data(dom: str) -> dict[str, list[PlotTrace]]:
    """What PLOT_DATA_PROBE wrote: each chart's traces by the chart's div id."""
    scanner = _PreScanner("plot-data")
    scanner.feed(dom)
    if not scanner.text:
        raise AssertionError("the page has no plot data: was it opened with the probe?")
    found = json.loads("".join(scanner.text))
    return {chart: [PlotTrace(name=trace.get("name"), type=trace.get("type"),
                              x=trace.get("x") or [], y=trace.get("y") or [],
                              customdata=trace.get("customdata") or [])
                    for trace in traces]
            for chart, traces in found.items()}
