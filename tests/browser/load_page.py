"""Loads an HTML file in headless Chromium with the network off and says
what happened, as JSON on standard output:

    {"requests": [URL, ...],     every request but the file itself
     "console": [TEXT, ...],     console messages, script exceptions and
                                 browser log errors
     "checks": {...},            the layout and what the page's script did
                                 (see LAYOUT and CHECKS)
     "screenshots": [PATH, ...]}

usage: load_page.py FILE.html [--shot WIDTH:PNG]... [--slice PIXELS] [--pdf PDF]
                    [--chromium PATH]

It speaks the DevTools protocol over --remote-debugging-pipe (file
descriptors 3 and 4, NUL-terminated JSON), so it needs nothing but Python
and Chromium (Debian's `chromium` package). Requests are seen as Chromium
is about to send them (Network.requestWillBeSent), so one that the offline
network would refuse is still reported. Exits 2 when Chromium is missing.
"""

import argparse
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

# Evaluated in the page after it loaded: the embedded data parses, hover
# text appears for a chart shape, and a table sorts by a column.
CHECKS = r"""
(() => {
  const result = {};
  try {
    const data = JSON.parse(document.getElementById('sessiondb-data').textContent);
    result.data_reports = Object.keys(data.reports || {}).length;
  } catch (e) {
    result.data_error = String(e);
  }
  const shape = document.querySelector('[data-tip]');
  if (shape) {
    const box = shape.getBoundingClientRect();
    shape.dispatchEvent(new PointerEvent('pointermove', {bubbles: true, clientX: box.x + 1, clientY: box.y + 1}));
    const tip = document.getElementById('tooltip');
    result.tooltip = tip ? tip.textContent : null;
    document.dispatchEvent(new PointerEvent('pointermove', {bubbles: true, clientX: 0, clientY: 0}));
  }
  const table = document.querySelector('table.sortable');
  if (table) {
    const column = Array.from(table.tHead.rows[0].cells).findIndex(th => th.classList.contains('num'));
    if (column >= 0 && table.tBodies[0].rows.length > 1) {
      table.tHead.rows[0].cells[column].querySelector('button').click();
      const first = Number(table.tBodies[0].rows[0].cells[column].dataset.sort);
      table.tHead.rows[0].cells[column].querySelector('button').click();
      const last = Number(table.tBodies[0].rows[0].cells[column].dataset.sort);
      result.sorted = first >= last;
    }
  }
  return JSON.stringify(result);
})()
"""

# Evaluated right after the page loaded at desktop width, before anything
# resizes the window: tables wider than their box (which then scrolls
# sideways; at desktop width every table should fit), with the widths and
# the font, so that a failure says why.
LAYOUT = r"""
(() => {
  const boxes = Array.from(document.querySelectorAll('.scroll')).filter(box => box.querySelector('table'));
  const wide = boxes.filter(box => box.scrollWidth > box.clientWidth + 1);
  return JSON.stringify({
    overflowing_tables: wide.map(box => box.querySelector('table').dataset.report),
    overflow_details: wide.map(box => {
      const table = box.querySelector('table');
      return {report: table.dataset.report, table_width: box.scrollWidth, box_width: box.clientWidth,
              font: getComputedStyle(table).fontFamily, font_size: getComputedStyle(table).fontSize,
              columns: Array.from(table.tHead ? table.tHead.rows[0].cells : []).map(c => [c.textContent.trim(), c.offsetWidth])};
    }),
    page_width: document.documentElement.scrollWidth,
    window_width: window.innerWidth,
  });
})()
"""


class Browser:
    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix="sessiondb-chromium-")
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()

        def wire_pipes():
            # Chromium reads commands on fd 3 and writes replies on fd 4.
            # Moved out of the way first, in case a pipe already is 3 or 4.
            read_end = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--hide-scrollbars",
                "--mute-audio",
                # No network at all: names resolve nowhere and any
                # connection goes to a proxy that is not there.
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--proxy-server=127.0.0.1:9",
                "--user-data-dir=" + self.profile,
                "--remote-debugging-pipe",
                "about:blank",
            ],
            # Kept open in the child (they are made by wire_pipes).
            pass_fds=(3, 4),
            preexec_fn=wire_pipes,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self.read(deadline)
            if reply is None:
                raise TimeoutError(f"no reply to {method}")
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def read(self, deadline):
        import select

        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, method, timeout):
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return True
            message = self.read(deadline)
            if message is None:
                return False
            self.events.append(message)

    def resize(self, width, session):
        """Sets the window's width and waits until the page is laid out at
        it: the override reaches the page asynchronously, and a check run
        before would measure the previous width."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 700},
            session=session,
        )
        deadline = time.monotonic() + 10
        while True:
            seen = self.evaluate("window.innerWidth", session)
            if seen == width:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the window stays {seen} pixels wide, not {width}")
            self.drain(0.05)
        # Two animation frames: styles and layout of the new width applied.
        self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))", session)

    def evaluate(self, expression, session):
        reply = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=session,
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression[:60]}...: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        while True:
            message = self.read(deadline)
            if message is None:
                return
            self.events.append(message)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("page")
    parser.add_argument("--shot", action="append", default=[], help="WIDTH:PNG, a full-page screenshot")
    parser.add_argument("--slice", type=int, help="screenshots in pieces of this many pixels")
    parser.add_argument("--pdf", help="print the page to this PDF")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    if not os.path.exists(args.chromium):
        print(f"chromium is not installed ({args.chromium}): apt-get install chromium", file=sys.stderr)
        sys.exit(2)
    url = "file://" + os.path.abspath(args.page)
    browser = Browser(args.chromium)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            browser.send(method, session=session)
        browser.send(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
            session=session,
        )
        browser.resize(1280, session)
        browser.events.clear()
        browser.send("Page.navigate", {"url": url}, session=session)
        if not browser.wait_for("Page.loadEventFired", 30):
            raise TimeoutError("the page did not load")
        # Anything the page would still fetch after loading.
        browser.drain(1.0)
        checks = json.loads(browser.evaluate(LAYOUT, session))
        screenshots = []
        for shot in args.shot:
            width, path = shot.split(":", 1)
            width = int(width)
            browser.resize(width, session)
            browser.drain(0.3)
            size = browser.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
            checks[f"page_width_at_{width}"] = size["width"]
            # The whole page, or pieces of --slice pixels (PATH-1.png, ...).
            step = args.slice or size["height"]
            pieces = range(0, int(size["height"] + 0.5), int(step))
            for number, top in enumerate(pieces, 1):
                image = browser.send(
                    "Page.captureScreenshot",
                    {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {"x": 0, "y": top, "width": width, "height": min(step, size["height"] - top), "scale": 1},
                    },
                    session=session,
                    timeout=60,
                )
                name = path if len(pieces) == 1 else path.removesuffix(".png") + f"-{number}.png"
                with open(name, "wb") as out:
                    out.write(base64.b64decode(image["data"]))
                screenshots.append(name)
        # Last, as it hovers and sorts: the screenshots show the page as
        # it opens.
        browser.resize(1280, session)
        checks.update(json.loads(browser.evaluate(CHECKS, session)))
        if args.pdf:
            pdf = browser.send("Page.printToPDF", {"printBackground": False}, session=session, timeout=60)
            with open(args.pdf, "wb") as out:
                out.write(base64.b64decode(pdf["data"]))
        browser.drain(0.2)
    finally:
        browser.close()

    requests, console = [], []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            if params["request"]["url"] != url:
                requests.append(params["request"]["url"])
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            console.append(f"console.{params.get('type')}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            console.append("exception: " + str(details.get("exception", {}).get("description", details.get("text"))))
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") in ("error", "warning"):
                console.append(f"log {entry.get('level')}: {entry.get('text')} {entry.get('url', '')}".strip())
    json.dump({"requests": requests, "console": console, "checks": checks, "screenshots": screenshots}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
