"""Serving a built portal locally (a preview: ``sunlight publish --serve``, ``sunlight demo``)."""

from __future__ import annotations

import functools
import http.server
import logging
import re
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("sunlight.publisher")


_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".js": "text/javascript; charset=utf-8", ".json": "application/json",
          ".csv": "text/csv; charset=utf-8", ".svg": "image/svg+xml", ".wasm": "application/wasm",
          "": "text/plain; charset=utf-8"}


# Named by their content: a new version has a new name, so a browser may keep these forever.
_LONG_CACHE = re.compile(r"\.[0-9a-f]{8}(\.min)?\.(css|js)$")


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, prefix: str = "/", **kwargs: Any) -> None:
        self.extensions_map = {**self.extensions_map, **_TYPES}
        self.prefix = prefix
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        """The site is served under ``prefix`` (the path of its public address), so that its
        404 page, whose links are absolute, works in the preview as on the real host."""
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / ".sunlight-outside-the-site")
        return super().translate_path("/" + path[len(self.prefix):])

    def send_head(self) -> Any:
        """Sends a file's precompressed copy (``.br``, ``.gz``) to a browser that accepts it,
        and lets it keep content-named assets (``main.<hash>.min.css``) for a year, as a
        production host would."""
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?", 1)[0].endswith("/"):
            path = path / "index.html"
        accepted = self.headers.get("Accept-Encoding", "")
        for suffix, encoding in ((".br", "br"), (".gz", "gzip")):
            copy = path.with_name(path.name + suffix)
            if encoding in accepted and path.is_file() and copy.is_file():
                return self._send_copy(path, copy, encoding)
        return super().send_head()

    def _send_copy(self, path: Path, copy: Path, encoding: str) -> Any:
        f = copy.open("rb")
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", encoding)
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(copy.stat().st_size))
        self.send_header("Last-Modified", self.date_time_string(int(path.stat().st_mtime)))
        self.end_headers()
        return f

    def end_headers(self) -> None:
        if _LONG_CACHE.search(self.path.split("?", 1)[0]):
            self.send_header("Cache-Control", "public, max-age=31536000, immutable")
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None
                   ) -> None:
        """A missing page gets the site's own 404 page (as a static host would serve it)."""
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404, message)
        self.send_header("Content-Type", _TYPES[".html"])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)


def make_server(out_dir: Path, host: str = "127.0.0.1", port: int = 8000, prefix: str = "/"
                ) -> http.server.ThreadingHTTPServer:
    """A server for ``out_dir`` at ``prefix`` (the path of the site's public address),
    listening already (an ``OSError`` if the port is taken): make it before the build, so that
    a busy port is said at once, not after the work."""
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    handler = functools.partial(_Handler, directory=str(out_dir), prefix=prefix)
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.sunlight_prefix = prefix  # type: ignore[attr-defined]
    return server


def serve_site(server: http.server.ThreadingHTTPServer) -> None:
    """Serves until interrupted (Ctrl-C)."""
    host, port = server.server_address[:2]
    prefix = getattr(server, "sunlight_prefix", "/")
    print(f"门户已在 http://{host!s}:{port}{prefix} 提供服务（Ctrl-C 停止）")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def serve_in_background(out_dir: Path, host: str = "127.0.0.1", port: int = 0, prefix: str = "/"
                        ) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Starts a server on a thread (port 0: any free port); returns it and its base URL."""
    server = make_server(out_dir, host, port, prefix)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}{server.sunlight_prefix}"  # type: ignore[attr-defined]

