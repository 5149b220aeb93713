"""A headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
commands on fd 3, replies on fd 4, each a NUL-terminated JSON message) — no web socket, no
third-party driver. Used by the report tests to measure pages, take screenshots and print PDFs."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess


def find() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One browser process and one page; `open` loads a file at a viewport size."""

    def __init__(self, path: str, profile):
        send_r, send_w = os.pipe()
        recv_r, recv_w = os.pipe()

        def fds():  # the child reads commands on 3 and writes replies on 4 (dup2 leaves them inheritable)
            a, b = os.dup(send_r), os.dup(recv_w)  # out of the way of 3 and 4 first
            os.dup2(a, 3)
            os.dup2(b, 4)

        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars", "--font-render-hinting=none", f"--user-data-dir={profile}",
                 "--remote-debugging-pipe", "about:blank"]
        self.proc = subprocess.Popen([path, *flags], preexec_fn=fds, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(send_r)
        os.close(recv_w)
        self.out = os.fdopen(send_w, "wb", buffering=0)
        self.inp = os.fdopen(recv_r, "rb", buffering=0)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)

    def _message(self) -> dict:
        while b"\0" not in self.buffer:
            chunk = self.inp.read(1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe: " + self.proc.stderr.read().decode(errors="replace")[-2000:])
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, session: bool = False, **params) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.out.write(json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _wait(self, event: str) -> dict:
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == event:
                    return self.events.pop(i)
            self.events.append(self._message())

    def open(self, path, width: int, height: int = 800, media: str = "screen") -> None:
        """Load the file at `width` × `height` CSS pixels (a desktop viewport: no mobile zoom-out,
        so a page wider than the viewport shows as horizontal scroll) with `media` emulated."""
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        self.call("Emulation.setEmulatedMedia", session=True, media=media)
        self.events.clear()
        self.call("Page.navigate", session=True, url=path.as_uri())
        self._wait("Page.loadEventFired")

    def eval(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def console(self) -> list[dict]:
        """Messages the page logged and exceptions it threw since it was opened."""
        return [e for e in self.events if e.get("method") in ("Runtime.consoleAPICalled", "Runtime.exceptionThrown")]

    def screenshot(self, target, max_height: int = 3000) -> None:
        """A PNG of the page at the viewport's width, from its top down to `max_height` CSS px at most."""
        width = self.eval("document.documentElement.clientWidth")
        height = min(self.eval("document.documentElement.scrollHeight"), max_height)
        data = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})["data"]
        target.write_bytes(base64.b64decode(data))

    def pdf(self) -> bytes:
        """The page printed as the print dialog would (the page's own @page sizes, A4 by default)."""
        data = self.call("Page.printToPDF", session=True, preferCSSPageSize=True, paperWidth=8.27,
                         paperHeight=11.69, printBackground=True)["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except RuntimeError:
            pass
        self.out.close()
        self.inp.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()
