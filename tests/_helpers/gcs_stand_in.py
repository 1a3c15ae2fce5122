"""A stand-in for Google Cloud Storage on 127.0.0.1 that TensorFlow's GCS file system talks to.

gs:// is read by TensorFlow itself (libcurl, to the fixed hosts www.googleapis.com and
storage.googleapis.com), so a child process is pointed at the stand-in (`GcsStandIn.env`): a
CONNECT proxy (HTTPS_PROXY) that ends TLS with a certificate for those hosts which
CURL_CA_BUNDLE trusts, GOOGLE_AUTH_TOKEN_FOR_TESTING as the bearer token and NO_GCE_CHECK so
that no metadata server is asked. TensorFlow reads those settings when it first reads a gs://
path, hence the child. Each bucket misbehaves its own way (see `_Gcs`); any other bucket holds
`ARCHIVE` under every object name.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import http.server
import io
import json
import os
import shutil
import socketserver
import ssl
import subprocess
import tarfile
import threading
import time
import urllib.parse
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.http_server import self_signed_certificate
from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python

TOKEN = "ya29.np40-bearer-secret"  # Google access tokens start with "ya29.".
ESCAPES_BODY = b"denied\x1b]0;owned\x07\x1b[2J\rforged line\nsecond line"
STALLED_SIZE = 1 << 20  # What the "stalls" bucket's objects say they hold (it sends a trickle).
RECORDS_NAME = "emb-00000-of-00001.tfrecords"  # The file in a "records-trickle" folder.
OTHERS_NAMES = ("ann.index", "notes.txt")  # The files in a "holds-others" folder.
ESCAPED_NAME = "a\x1b]0;owned\x07\x1b[2Jb"  # The file in an "escname" folder.
WRITABLE = "writable"  # The bucket that works (`GcsStandIn.objects`).
REFUSE_COPY = "refuse-copy-into"  # A folder of WRITABLE that no copy goes into.
REFUSE_READ = "refuse-read"  # A folder of WRITABLE whose objects' reads are refused (403).
TRICKLE_ONCE = "trickle-once"  # A folder of WRITABLE whose objects' first read trickles.
MARKER_PAGES = "marker-pages"  # A folder of WRITABLE where tfhub_module.pb's listing pages on.
TRICKLE_UPLOADS = "trickle-uploads"  # A folder of WRITABLE whose files' uploads trickle.
TRICKLE_UPLOAD_ONCE = "trickle-upload-once"  # One whose first file upload trickles.
REFUSE_UPLOADS = "refuse-uploads"  # A folder of WRITABLE whose files' uploads are refused (403).
TRICKLE_MANIFEST = "trickle-manifest"  # One where a copy onto a `.manifest.json` trickles.
STALLED_LISTING = "stalled-listing"  # One whose full listing (a glob's) pages on.
LISTING_PAGES = "listing-pages"  # A folder of WRITABLE where a model's listings page on.
# The names below LISTING_PAGES whose listings (TensorFlow's listdir, isdir, a missing file's
# exists, a checkpoint's lookup of its index) always offer another page.
PAGED_NAMES = frozenset({"variables", "assets", "saved_model.pb"})
# Folders of WRITABLE where only one kind of listing of a `variables` folder pages on: by folder
# (a delimiter "/": TensorFlow's listdir), or of all below (no delimiter nor maxResults: its
# glob; its isdir and exists ask for one name).
DELIMITED_PAGES = "delimited-pages"
RECURSIVE_PAGES = "recursive-pages"
SLOW_DATA_STAT = "slow-data-stat"  # A folder of WRITABLE where a data file's size never comes.
# TFHUB_HTTP_TIMEOUT and TFHUB_HTTP_RETRY_TIMEOUT of a scenario child (`GcsStandIn.short_env`):
# a bounded call gives up after their sum, 3 s.
SHORT_TIMEOUTS = (1, 2)
# Rows a scenario child runs at once (`run_scenarios`) for a module whose rows share no state of
# the process: their waits overlap (a plan of 18 export rows, 62 s one by one, took 20 s). More
# at once stretch each row's own time (its share of the CPU), which `ended` bounds.
ROWS_AT_ONCE = 6

# session 44 exports
# A folder of WRITABLE where another export's tfhub_module.pb (OTHER_MARKER) appears as soon as
# the first ask for one there (its metadata) has been answered "no such object": a module
# exported into the same folder at the same time (`_Gcs.marker_appears`).
MARKER_APPEARS = "marker-appears"
OTHER_MARKER = b"another export's marker"
# Folders of WRITABLE where a copy (so a move) onto a file of a `variables` folder inside a
# timestamped (10-digit) export folder below them trickles, or is refused (403 "copy refused"):
# an exporter's move of its checkpoint into `<base>/<seconds>/...` (`_Gcs.variables_move`).
STALLED_VARIABLES_MOVES = "stalled-variables-moves"
REFUSED_VARIABLES_MOVES = "refused-variables-moves"


def _archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in {"saved_model.pb": b"\x08\x01" * 64, "assets/v.txt": b"a\nb\n"}.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


ARCHIVE = _archive()


class _Gcs(http.server.BaseHTTPRequestHandler):
    """GCS's JSON API (www.googleapis.com) and media host (storage.googleapis.com) behind a
    CONNECT proxy; the bucket names the misbehaviour:

    pages-forever: a listing always offers another page (nextPageToken), so TensorFlow's
        exists() and isdir() never end; its objects do not exist.
    stalls: every object exists (STALLED_SIZE bytes), and its read sends a byte every 0.2 s
        until the stand-in stops (TensorFlow's idle timeout never fires).
    resized: an object's metadata says 1000 bytes more than its read sends.
    escapes, echoes, html, cut, missing: an object's read is answered with a 403 quoting
        terminal escapes, a 401 echoing the bearer token, an HTML page, half the archive then
        a closed connection, a 404.
    records-trickle: a folder's listing names one RECORDS_NAME in it, which exists
        (STALLED_SIZE bytes) and is read as "stalls" objects are (a trickle).
    dirs-only: takes a folder's marker (an empty upload, as tf.io.gfile.makedirs sends) and
        refuses any other upload (a file's) with a 403, as every other bucket refuses writes.
    silent-writes: an upload is never answered (until the stand-in stops).
    holds-others: any folder holds OTHERS_NAMES (a file the tools do not write, and an index
        file), as its listing says; like every bucket it refuses writes and deletes.
    escname: any folder holds ESCAPED_NAME (terminal escapes in a file's name).
    list403: a listing is refused (403); TensorFlow's isdir() takes that for "no folder".
    writable: a working bucket, held in `objects` (name -> bytes, shared with the test): it
        lists (prefix, delimiter), reads (Range), uploads (simple and resumable), deletes and
        copies (rewriteTo) as GCS does; a copy (so a move) into a folder named
        "refuse-copy-into" is refused (403), one into a sub-folder of it is not. In a folder
        named REFUSE_READ, an object's read is refused (403); in one named TRICKLE_ONCE, its
        first read trickles (as "stalls" objects do) and later ones are served; in one named
        MARKER_PAGES, the listing of the prefix `.../tfhub_module.pb/` (TensorFlow's exists()
        of a missing tfhub_module.pb) always offers another page.
        Uploads of a file (a body that is not empty: not a folder's marker) into a folder named
        TRICKLE_UPLOADS are answered as "stalls" objects are read (a trickle, never stored);
        in one named TRICKLE_UPLOAD_ONCE, the first such upload below it trickles and later
        ones are stored; in one named REFUSE_UPLOADS they are refused (403 "upload refused").
        In one named TRICKLE_MANIFEST, a copy (so a move) onto a name ending `.manifest.json`
        trickles. In one named STALLED_LISTING, a listing of the folder itself without
        maxResults (a glob's; an isdir() asks for one result) always offers another page.
        In one named LISTING_PAGES, the listing of a prefix with a folder of PAGED_NAMES below
        it (`.../variables/`, `.../assets/vocab.txt/`, `.../saved_model.pb/`) always offers
        another page: a model's files are read, its checkpoint's and assets' listings never end.
        In one named DELIMITED_PAGES, only a listing by folder (a delimiter) of a `variables`
        folder pages on; in one named RECURSIVE_PAGES, only one of all below it. In one
        named SLOW_DATA_STAT, the metadata of a checkpoint's data file (`.data-` in its name)
        is never answered (until the stand-in stops).
    """

    protocol_version = "HTTP/1.1"
    tls: ssl.SSLContext
    requests: list[str]
    stopping: threading.Event
    objects: dict[str, bytes]
    trickled: set[str]  # The TRICKLE_ONCE objects whose first read was a trickle.

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_CONNECT(self) -> None:
        self.send_response(200, "Connection established")
        self.end_headers()
        connection = self.tls.wrap_socket(self.connection, server_side=True)
        self.connection = connection
        self.rfile = connection.makefile("rb")
        self.wfile = connection.makefile("wb", buffering=0)
        self.close_connection = False

    def answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # An upload (and PUT, DELETE, PATCH): recorded and refused.
        self.requests.append(f"{self.command} {self.headers.get('Host', '')}{self.path}")
        url = urllib.parse.urlsplit(self.path)
        if f"/b/{WRITABLE}/" in url.path:  # The working bucket (not a misbehaviour).
            self.write_object(url, self.body())
            return
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = url.path.split("/")  # /upload/storage/v1/b/BUCKET/o?uploadType=...
        bucket = parts[5] if len(parts) > 5 and parts[1] == "upload" else ""
        marker = "uploadType=media" in url.query and self.command == "POST"
        if bucket == "silent-writes":
            self.stopping.wait()  # No answer, until the stand-in stops.
            self.close_connection = True
        elif bucket == "dirs-only" and marker:  # A folder's marker: taken.
            self.answer(200, json.dumps({"name": "marker/", "size": "0"}).encode())
        else:
            self.answer(403, b'{"error": {"code": 403, "message": "read-only stand-in"}}')

    do_PUT = do_DELETE = do_PATCH = do_POST

    def do_GET(self) -> None:
        host = self.headers.get("Host", "")
        url = urllib.parse.urlsplit(self.path)
        self.requests.append(f"GET {host}{self.path}")
        parts = url.path.split("/")
        if host.startswith("www.") and len(parts) > 5 and parts[4] == WRITABLE:
            self.api_writable(parts, url.query)
            return
        if not host.startswith("www.") and parts[1] == WRITABLE:
            self.media_writable(urllib.parse.unquote("/".join(parts[2:])))
            return
        if host.startswith("www."):  # /storage/v1/b/BUCKET[/o[/NAME]]
            self.api(parts[4], len(parts), url.query)
        else:  # /BUCKET/NAME
            self.media(parts[1])

    def api(self, bucket: str, depth: int, query: str) -> None:
        updated = "2026-01-01T00:00:00.000Z"
        if depth == 6 and bucket == "pages-forever":  # Listing: another page, always.
            time.sleep(0.01)  # Pacing, so that the thread left paging does not spin.
            self.answer(200, b'{"nextPageToken": "again"}')
        elif depth == 6 and bucket == "records-trickle":  # Listing: one record file.
            prefix = urllib.parse.parse_qs(query).get("prefix", [""])[0]
            listed = [] if RECORDS_NAME in prefix else [{"name": prefix + RECORDS_NAME}]
            self.answer(200, json.dumps({"items": listed}).encode())
        elif depth == 6 and bucket in ("holds-others", "escname"):  # Listing: its names.
            names = OTHERS_NAMES if bucket == "holds-others" else (ESCAPED_NAME,)
            prefix = urllib.parse.parse_qs(query).get("prefix", [""])[0]
            inside = prefix.endswith("/") and not prefix.rstrip("/").endswith(names)
            listed = [{"name": prefix + name, "size": "1"} for name in names if inside]
            self.answer(200, json.dumps({"items": listed}).encode())
        elif depth == 6 and bucket == "list403":  # Listing: refused.
            self.answer(403, b'{"error": {"code": 403, "message": "listing refused"}}')
        elif depth > 6 and bucket in ("resized", "stalls", "records-trickle"):  # Metadata.
            size = len(ARCHIVE) + 1000 if bucket == "resized" else STALLED_SIZE
            self.answer(
                200, json.dumps({"size": str(size), "generation": "2", "updated": updated}).encode()
            )
        elif depth > 6:  # An object's metadata: there is no such object.
            self.answer(404, b'{"error": {"code": 404, "message": "No such object"}}')
        else:
            self.answer(200, json.dumps({"name": bucket, "location": "US"}).encode())

    def media(self, bucket: str) -> None:
        if bucket == "escapes":
            self.answer(403, ESCAPES_BODY, "text/plain")
        elif bucket == "echoes":  # What a proxy or a debugging endpoint may send back.
            said = f"Invalid token {self.headers['Authorization']} (the token {TOKEN})"
            self.answer(401, said.encode(), "text/plain")
        elif bucket == "html":
            self.answer(200, b"<html><body>Sign in to the network</body></html>", "text/html")
        elif bucket == "cut":  # Says the whole archive, sends half and hangs up.
            self.send_response(200)
            self.send_header("Content-Length", str(len(ARCHIVE)))
            self.end_headers()
            self.wfile.write(ARCHIVE[: len(ARCHIVE) // 2])
            self.close_connection = True
        elif bucket == "missing":
            self.answer(404, b"No such object: missing/m.tar.gz", "text/plain")
        elif bucket in ("stalls", "records-trickle"):
            self.trickle()
        else:  # As GCS answers a Range request (TensorFlow reads 64 MiB blocks).
            self.send_response(206)
            self.send_header("Content-Range", f"bytes 0-{len(ARCHIVE) - 1}/{len(ARCHIVE)}")
            self.send_header("Content-Length", str(len(ARCHIVE)))
            self.end_headers()
            self.wfile.write(ARCHIVE)

    def answer_json(self, status: int, value: object) -> None:
        self.answer(status, json.dumps(value).encode())

    def metadata(self, name: str) -> dict[str, str]:
        size = str(len(self.objects[name]))
        return {"name": name, "size": size, "generation": "1", "updated": "2026-01-01T00:00:00Z"}

    def api_writable(self, parts: list[str], query: str) -> None:
        """GET /storage/v1/b/writable/o[/NAME]: a listing (prefix, delimiter) or metadata."""
        if len(parts) > 6:
            name = urllib.parse.unquote("/".join(parts[6:]))
            if self.marker_appears(name):  # session 44 exports
                return
            if SLOW_DATA_STAT in name.split("/") and ".data-" in name:
                self.stopping.wait()  # No answer, until the stand-in stops.
                self.close_connection = True
                return
            if name in self.objects:
                self.answer_json(200, self.metadata(name))
            else:
                self.answer_json(404, {"error": {"code": 404, "message": "No such object"}})
            return
        asked = urllib.parse.parse_qs(query)
        prefix = asked.get("prefix", [""])[0]
        delimiter = asked.get("delimiter", [""])[0]
        stalled = prefix.endswith(f"{STALLED_LISTING}/") and "maxResults" not in asked
        if stalled or f"{MARKER_PAGES}/" in prefix and prefix.endswith("tfhub_module.pb/"):
            time.sleep(0.01)  # Pacing, so that the thread left paging does not spin.
            self.answer_json(200, {"nextPageToken": "again"})
            return
        if _pages_on(prefix) or _pages_on_variables(prefix, delimiter, "maxResults" in asked):
            time.sleep(0.01)  # Pacing, so that the thread left paging does not spin.
            self.answer_json(200, {"nextPageToken": "again"})
            return
        items, prefixes = [], set()
        for name in sorted(self.objects):
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix) :]
            if delimiter and delimiter in rest:
                prefixes.add(prefix + rest.split(delimiter)[0] + delimiter)
            else:
                items.append(self.metadata(name))
        self.answer_json(200, {"items": items, "prefixes": sorted(prefixes)})

    def media_writable(self, name: str) -> None:
        """GET storage.googleapis.com/writable/NAME, with a Range header as TensorFlow sends."""
        if name not in self.objects:
            self.answer(404, b"No such object", "text/plain")
            return
        folders = name.split("/")[:-1]
        if REFUSE_READ in folders:
            self.answer(403, b'{"error": {"code": 403, "message": "read refused"}}')
            return
        if TRICKLE_ONCE in folders and name not in self.trickled:
            self.trickled.add(name)
            self.trickle()
            return
        data = self.objects[name]
        start, _, end = self.headers.get("Range", "bytes=0-").removeprefix("bytes=").partition("-")
        first, last = int(start), min(int(end or len(data) - 1), len(data) - 1)
        if first >= len(data):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
        self.send_header("Content-Length", str(last - first + 1))
        self.end_headers()
        self.wfile.write(data[first : last + 1])

    def body(self) -> bytes:
        """The request's body: TensorFlow sends an upload's chunked (with a Content-Length)."""
        if "chunked" not in self.headers.get("Transfer-Encoding", ""):
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0], 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()  # The empty line after the last (empty) chunk.
        return b"".join(chunks)

    def write_object(self, url: urllib.parse.SplitResult, body: bytes) -> None:
        """POST/PUT/DELETE of the working bucket: an upload (simple, or resumable: a session
        URL then its PUT), a copy (rewriteTo) or a removal."""
        asked = urllib.parse.parse_qs(url.query)
        parts = url.path.split("/")
        if self.command == "DELETE":
            name = urllib.parse.unquote("/".join(parts[6:]))
            found = self.objects.pop(name, None) is not None
            self.answer(204 if found else 404, b"")
        elif "rewriteTo" in parts:
            at = parts.index("rewriteTo")
            source = urllib.parse.unquote("/".join(parts[6:at]))
            target = urllib.parse.unquote("/".join(parts[at + 4 :]))
            if self.variables_move(target):  # session 44 exports
                return
            if source not in self.objects or target.rpartition("/")[0].endswith(REFUSE_COPY):
                self.answer_json(403, {"error": {"code": 403, "message": "copy refused"}})
                return
            if TRICKLE_MANIFEST in target.split("/") and target.endswith(".manifest.json"):
                self.trickle()
                return
            self.objects[target] = self.objects[source]
            self.answer_json(200, {"done": True, "resource": self.metadata(target)})
        elif asked.get("uploadType") == ["resumable"] and self.command == "POST":
            session = url._replace(query=url.query + "&upload_id=1").geturl()
            self.send_response(200)
            self.send_header("Location", f"https://www.googleapis.com{session}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:  # A simple upload, a resumable session's PUT of the whole file, or its status.
            name = asked["name"][0]
            if body and self.refused_or_trickled(name):
                return
            if not self.headers.get("Content-Range", "").startswith("bytes */"):
                self.objects[name] = body
            self.answer_json(200, self.metadata(name))

    def refused_or_trickled(self, name: str) -> bool:
        """Answers the upload of a file `name` if its folder refuses it or makes it trickle
        (REFUSE_UPLOADS, TRICKLE_UPLOADS, TRICKLE_UPLOAD_ONCE): True then."""
        folders = name.split("/")[:-1]
        if REFUSE_UPLOADS in folders:
            self.answer_json(403, {"error": {"code": 403, "message": "upload refused"}})
            return True
        once = (
            folders[: folders.index(TRICKLE_UPLOAD_ONCE) + 1]
            if TRICKLE_UPLOAD_ONCE in folders
            else []
        )
        first = bool(once) and "upload:" + "/".join(once) not in self.trickled
        if TRICKLE_UPLOADS in folders or first:
            if first:
                self.trickled.add("upload:" + "/".join(once))
            self.trickle()
            return True
        return False

    # session 44 exports

    def marker_appears(self, name: str) -> bool:
        """Answers the first ask for the metadata of a tfhub_module.pb in a MARKER_APPEARS folder
        (404), storing OTHER_MARKER there meanwhile: True then."""
        in_folder = MARKER_APPEARS in name.split("/")[:-1]
        if not in_folder or not name.endswith("/tfhub_module.pb") or name in self.objects:
            return False
        self.objects[name] = OTHER_MARKER
        self.answer_json(404, {"error": {"code": 404, "message": "No such object"}})
        return True

    def variables_move(self, target: str) -> bool:
        """Answers a copy onto `target`, a file of a `variables` folder in a timestamped export
        below STALLED_VARIABLES_MOVES (a trickle) or REFUSED_VARIABLES_MOVES (403): True then."""
        folders = target.split("/")[:-1]
        stamped = any(len(name) == 10 and name.isdigit() for name in folders)
        if not stamped or "variables" not in folders:
            return False
        if STALLED_VARIABLES_MOVES in folders:
            self.trickle()
            return True
        if REFUSED_VARIABLES_MOVES in folders:
            self.answer_json(403, {"error": {"code": 403, "message": "copy refused"}})
            return True
        return False

    def trickle(self) -> None:
        """Answers a read of STALLED_SIZE bytes with one byte every 0.2 s, until the stand-in
        stops: a read that never ends, yet never idles long enough for TensorFlow to give up."""
        self.send_response(206)
        self.send_header("Content-Range", f"bytes 0-{STALLED_SIZE - 1}/{STALLED_SIZE}")
        self.send_header("Content-Length", str(STALLED_SIZE))
        self.end_headers()
        self.close_connection = True
        with contextlib.suppress(OSError):  # The reader gave up (its process ended).
            for _ in range(STALLED_SIZE - 1):  # Never all of it.
                if self.stopping.wait(0.2):  # Pacing; the stand-in's end stops it.
                    return
                self.wfile.write(b"x")


def _pages_on(prefix: str) -> bool:
    """Whether WRITABLE's listing of `prefix` pages on: a folder of PAGED_NAMES is below a
    LISTING_PAGES folder in it."""
    parts = prefix.split("/")
    if LISTING_PAGES not in parts:
        return False
    return not PAGED_NAMES.isdisjoint(parts[parts.index(LISTING_PAGES) + 1 :])


def _pages_on_variables(prefix: str, delimiter: str, bounded: bool) -> bool:
    """Whether WRITABLE's listing of `prefix` pages on: a `variables` folder below a
    DELIMITED_PAGES folder listed by folder, or below a RECURSIVE_PAGES one listed whole (no
    delimiter, and no `bounded` number of names asked for)."""
    parts = prefix.split("/")
    if delimiter:
        folder = DELIMITED_PAGES
    elif not bounded:
        folder = RECURSIVE_PAGES
    else:
        return False
    return folder in parts and "variables" in parts[parts.index(folder) + 1 :]


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False


@dataclasses.dataclass(frozen=True)
class GcsStandIn:
    """A running stand-in: its proxy URL, the CA bundle to trust, the requests it received."""

    proxy: str
    bundle: str
    requests: list[str]
    objects: dict[str, bytes] = dataclasses.field(default_factory=dict)  # The WRITABLE bucket's.

    def env(self, **extra: str) -> dict[str, str]:
        """A child's environment (`child_env`) whose TensorFlow reads gs:// from the stand-in,
        retrying a failed request once after 10 ms, with `extra` added."""
        return child_env(
            HTTPS_PROXY=self.proxy,
            https_proxy=self.proxy,
            NO_PROXY="",
            no_proxy="",
            CURL_CA_BUNDLE=self.bundle,
            GOOGLE_AUTH_TOKEN_FOR_TESTING=TOKEN,
            NO_GCE_CHECK="true",
            GCS_RETRY_CONFIG_MAX_RETRIES="1",
            GCS_RETRY_CONFIG_INIT_DELAY_TIME_US="10000",
            **extra,
        )

    def short_env(self, **extra: str) -> dict[str, str]:
        """`env` with SHORT_TIMEOUTS as TFHUB_HTTP_TIMEOUT and TFHUB_HTTP_RETRY_TIMEOUT."""
        timeout, retry_timeout = SHORT_TIMEOUTS
        return self.env(
            TFHUB_HTTP_TIMEOUT=str(timeout), TFHUB_HTTP_RETRY_TIMEOUT=str(retry_timeout), **extra
        )


@contextlib.contextmanager
def serve_gcs(folder: Path, handler_class: type | None = None) -> Iterator[GcsStandIn]:
    """Runs the stand-in (its certificate made in `folder`) until the block ends; skips the test
    if openssl, which makes the certificate, is not installed. `handler_class`: a subclass of
    the stand-in's request handler (`_Gcs`) a test answers some requests with itself."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a certificate for the GCS stand-in")
    cert, key = self_signed_certificate(
        folder, "/CN=googleapis", "DNS:www.googleapis.com,DNS:storage.googleapis.com"
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    seen: list[str] = []
    stopping = threading.Event()
    objects: dict[str, bytes] = {}
    state = {
        "tls": context,
        "requests": seen,
        "stopping": stopping,
        "objects": objects,
        "trickled": set(),
    }
    handler = type("Handler", (handler_class or _Gcs,), state)
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proxy = f"http://127.0.0.1:{server.server_address[1]}"
        yield GcsStandIn(proxy, os.fspath(cert), seen, objects)
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()


# Source for a child (`run_scenarios`): Beam's FileSystem for gs:// paths through TensorFlow's
# file system, so that a Beam pipeline in the child writes to the stand-in (Beam's own GCS
# file system needs google-cloud-storage and talks to another API). Beam picks it by scheme.
BEAM_GS_FILESYSTEM = """
from apache_beam.io.filesystem import CompressedFile, CompressionTypes, FileMetadata, FileSystem

class TensorFlowGcsFileSystem(FileSystem):
    @classmethod
    def scheme(cls):
        return "gs"

    def join(self, base, *paths):
        return "/".join([base.rstrip("/"), *(path.strip("/") for path in paths)])

    def split(self, path):
        head, _, tail = path.rstrip("/").rpartition("/")
        return head, tail

    def has_dirs(self):
        return False

    def mkdirs(self, path):
        tf.io.gfile.makedirs(path)

    def _list(self, prefix):
        folder = prefix if prefix.endswith("/") else prefix.rpartition("/")[0] + "/"
        if tf.io.gfile.isdir(folder):
            for root, _, names in tf.io.gfile.walk(folder):
                for name in names:
                    path = root.rstrip("/") + "/" + name
                    if path.startswith(prefix):
                        yield self.metadata(path)

    def _open(self, path, mode, compression_type):
        compression = FileSystem._get_compression_type(path, compression_type)
        raw = tf.io.gfile.GFile(path, mode)
        if compression == CompressionTypes.UNCOMPRESSED:
            return raw
        return CompressedFile(raw, compression_type=compression)

    def create(self, path, mime_type=None, compression_type=CompressionTypes.AUTO):
        return self._open(path, "wb", compression_type)

    def open(self, path, mime_type=None, compression_type=CompressionTypes.AUTO):
        return self._open(path, "rb", compression_type)

    def copy(self, sources, targets):
        for source, target in zip(sources, targets):
            tf.io.gfile.copy(source, target, overwrite=True)

    def rename(self, sources, targets):
        for source, target in zip(sources, targets):
            tf.io.gfile.rename(source, target, overwrite=True)

    def exists(self, path):
        return tf.io.gfile.exists(path)

    def size(self, path):
        return tf.io.gfile.stat(path).length

    def last_updated(self, path):
        return 0.0

    def checksum(self, path):
        return str(self.size(path))

    def metadata(self, path):
        return FileMetadata(path, self.size(path), 0.0)

    def delete(self, paths):
        for path in paths:
            if tf.io.gfile.isdir(path):
                tf.io.gfile.rmtree(path)
            elif tf.io.gfile.exists(path):
                tf.io.gfile.remove(path)

# Beam 2.78 imports its own GCS file system without its client library, so two would answer
# for gs:// ("Found more than one filesystem"): in this child the stand-in's is the one.
import apache_beam.io.filesystems  # Imports (registers) Beam's own file systems first.

for _other in FileSystem.get_all_subclasses():
    if _other is not TensorFlowGcsFileSystem and _other.scheme() == "gs":
        _other.scheme = classmethod(lambda cls: "gs-beam-own")
"""


# A child that runs `scenario(report, name, *fields)` for each row (name, *fields) of the JSON
# plan in argv[2], each in a daemon thread waited for argv[1] seconds at most, argv[3] rows at a
# time (taken in plan order), and prints one JSON line per row: what it put in `report`, or the
# error it raised (class, bases, module, message, `.path`, the cause's class), the seconds it
# took, and whether it was still running.
_SCENARIO_CHILD = """
import contextlib, io, json, os, sys, threading, time
import tensorflow as tf

{scenario}

bound = float(sys.argv[1])
rows = iter(json.loads(sys.argv[2]))
taking = threading.Lock()  # One worker takes the next row at a time.

def run_queue_wait():
    # The seconds this thread (the row's own) spent ready to run but kept waiting for a CPU
    # (Linux's schedstat; 0 where it is missing). Other threads' waits are not the row's: rows
    # side by side, and the stand-in's threads serving other children, wait at the same time.
    path = f"/proc/self/task/{{threading.get_native_id()}}/schedstat"
    with contextlib.suppress(OSError, IndexError, ValueError):
        with open(path) as stats:
            return int(stats.read().split()[1]) / 1e9
    return 0.0

def run(report, name, fields):
    before = run_queue_wait()
    start = time.monotonic()
    try:
        scenario(report, name, *fields)
    except BaseException as err:
        report["type"] = type(err).__name__
        report["bases"] = [cls.__name__ for cls in type(err).__mro__]
        report["module"] = type(err).__module__
        report["message"] = str(err)
        report["path"] = getattr(err, "path", None)
        report["cause"] = type(err.__cause__).__name__
    report["seconds"] = time.monotonic() - start
    report["waited"] = max(0.0, run_queue_wait() - before)
    report["hung"] = False

def work():
    while True:
        with taking:
            row = next(rows, None)
        if row is None:
            return
        name, *fields = row
        report = {{"name": name, "hung": True}}
        thread = threading.Thread(target=run, args=(report, name, fields), daemon=True)
        thread.start()
        thread.join(bound)
        with taking:
            print(json.dumps(report), flush=True)

workers = [threading.Thread(target=work) for _ in range(int(sys.argv[3]))]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
os._exit(0)  # The calls left running (TensorFlow's cannot be stopped) end with the process.
"""


def run_scenarios(
    scenario: str,
    plan: list[tuple[object, ...]],
    *,
    bound: float,
    env: dict[str, str],
    at_once: int = 1,
    processes: int = 1,
) -> tuple[dict[str, dict[str, object]], str]:
    """Runs each row of `plan` through `scenario` in a child process (TensorFlow reads the
    stand-in's settings when it first reads a gs:// path, hence the child), forked from a warm
    server (`run_warm_python`: one for the GCS_* settings of `env`, which TensorFlow reads when
    imported; the proxy, certificate and token it reads at each request).

    Args:
        scenario: Python source defining `scenario(report, name, *fields)` (imports included),
            which puts what it got in the dict `report` or raises.
        plan: rows (name, *fields).
        bound: seconds a row may run before the child moves on (it is reported "hung").
        env: the child's environment (`GcsStandIn.env`).
        at_once: how many rows run at the same time in a child (each in its own thread, taken
            in plan order): more than 1 only for rows that share no state of the process
            (os.environ, sys.stderr, a row reading what another wrote), as a row's waits (its
            timeouts) then overlap the others'.
        processes: how many children run at the same time, each forked from the warm server
            with the rows `plan[i::processes]` (row i goes to child i % processes): more than 1
            for rows that change the process's state (os.environ, sys.stderr) but may run at
            the same time as others of the plan in another process (they share the stand-in),
            so that their waits overlap. Rows in one child still run in plan order.

    Returns:
        (each row's report by name, the children's stderr, one after the other).
    """
    code = _SCENARIO_CHILD.format(scenario=scenario)
    groups = [plan[first::processes] for first in range(processes) if plan[first::processes]]

    def run(rows: list[tuple[object, ...]]) -> subprocess.CompletedProcess[str]:
        arguments = (str(bound), json.dumps(rows), str(at_once))
        return run_warm_python(code, *arguments, env=env, timeout=240)

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(groups)) as pool:
        runs = list(pool.map(run, groups))
    found = {}
    for done in runs:
        for line in done.stdout.splitlines():
            if line.startswith("{"):
                report = json.loads(line)
                found[report["name"]] = report
    return found, "".join(done.stderr for done in runs)


class MachineTooBusyWarning(UserWarning):
    """A row's time bound was not checked: the row's thread waited for a CPU for more than half
    of the row's seconds, so its own seconds say too little to judge."""


def own_seconds(report: dict[str, object]) -> float | None:
    """The seconds a scenario's report from `run_scenarios` took, less the seconds that the
    row's own thread spent ready to run but kept waiting for a CPU meanwhile (Linux's
    schedstat; none where it is missing). On an idle machine that is its time; on a busy one (a
    load of 25 on 2 cores stretched a 3 s timeout's row past 7 s) it takes the machine's share
    out, so that a bound on it still says the row ended near its timeouts rather than hours
    later. Only that thread's waits count (never those of rows side by side or of the stand-in's
    threads serving others), so the result is never below the row's time on a CPU.

    Returns:
        The row's own seconds, or None when its thread waited more than half of them: a machine
        too busy to judge the row's time by (`within_own_seconds` says so).
    """
    seconds = float(report["seconds"])  # type: ignore[arg-type]
    waited = float(report.get("waited", 0.0))  # type: ignore[arg-type]
    return None if waited > seconds / 2 else seconds - waited


def within_own_seconds(report: dict[str, object], within: float) -> None:
    """Checks that the scenario's report took less than `within` seconds of its own
    (`own_seconds`), or, where the machine was too busy to judge, warns so
    (`MachineTooBusyWarning`, shown in pytest's warnings summary) instead of checking.

    Raises:
        AssertionError: the row's own seconds are `within` or more.
    """
    seconds = own_seconds(report)
    if seconds is None:
        said = f"waited {report['waited']} s of its {report['seconds']} s"
        warnings.warn(
            MachineTooBusyWarning(
                f"machine too busy to judge the time of the row {report.get('name')!r}: its "
                f"thread {said} for a CPU; its bound of {within:g} s was not checked"
            ),
            stacklevel=2,
        )
        return
    assert seconds < within, report


def ended(
    reports: dict[str, dict[str, object]], name: str, stderr: str, *, within: float
) -> dict[str, object]:
    """The report of the scenario `name` from `run_scenarios`, checked to have ended (not hung)
    in an error (no result) within `within` seconds of its own (`within_own_seconds`: a busy
    machine's waits for a CPU aside), and the child's `stderr` checked to hold no access token
    of the stand-in's."""
    report = reports[name]
    assert not report["hung"], f"{name} did not end: {report}"
    assert "result" not in report, report
    within_own_seconds(report, within)
    assert TOKEN not in stderr
    return report


def timed_out(
    report: dict[str, object], path: str, *, bases: tuple[str, ...], settings: tuple[float, float]
) -> str:
    """The message of a scenario's timeout error from `ended`, checked: a tfhub error of every
    class in `bases` (and TimeoutError, OSError) naming `path` and both settings (seconds of
    TFHUB_HTTP_TIMEOUT and TFHUB_HTTP_RETRY_TIMEOUT), cut by their sum, not by a failure."""
    assert report["module"] == "tfhub.errors", report
    for base in (*bases, "TimeoutError", "OSError"):
        assert base in report["bases"], report  # type: ignore[operator]
    message = str(report["message"])
    assert path in message, message
    timeout, retry_timeout = settings
    assert f"TFHUB_HTTP_TIMEOUT={timeout:g} s" in message, message
    assert f"TFHUB_HTTP_RETRY_TIMEOUT={retry_timeout:g} s" in message, message
    assert float(report["seconds"]) >= timeout + retry_timeout, report  # type: ignore[arg-type]
    return message
