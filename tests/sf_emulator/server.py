"""A loopback Salesforce over HTTPS: SOAP and OAuth login, REST query/queryAll, describe, Bulk 2.0.

It speaks the wire formats simple-salesforce expects (see research/salesforce.md §2): JSON error
bodies are lists of ``{message, errorCode}``, REST datetimes end ``+0000``, query pages link on
with ``nextRecordsUrl`` (always ``/query/``, even for queryAll), Bulk 2.0 jobs move
UploadComplete → InProgress → JobComplete over polls and serve CSV pages with
``Sforce-Locator`` / ``Sforce-NumberOfRecords``. TLS uses a trustme CA whose PEM file clients
trust through REQUESTS_CA_BUNDLE; the certificate also names login.salesforce.com,
test.salesforce.com and *.my.salesforce.com so that simple-salesforce's hard-coded login URLs
reach the emulator through its CONNECT proxy (``proxy.py``, via HTTPS_PROXY).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import re
import socket
import ssl
import threading
import time
from collections import Counter
from datetime import timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import trustme

from tests.sf_emulator import soql
from tests.sf_emulator.faults import FOREVER, Fault
from tests.sf_emulator.org import ObjectSpec, Org, csv_dt, rest_dt

HOSTS = (
    "127.0.0.1",
    "localhost",
    "login.salesforce.com",
    "test.salesforce.com",
    "*.my.salesforce.com",
)
_DATA = re.compile(r"^/services/data/v(?P<v>\d+\.\d)/(?P<rest>.*)$")


class Emulator:
    """Start with ``with Emulator(tmp_path) as emu:``; ``emu.org`` holds the records."""

    def __init__(
        self, workdir: Path, org: Org | None = None, *, page_size: int = 200, bulk_polls: int = 2
    ):
        self.org = org or Org()
        self.page_size = page_size
        self.bulk_polls = bulk_polls  # polls before a Bulk job reaches JobComplete
        self.users: dict[str, tuple[str, str]] = {"sync@example.com": ("pw", "TOKEN")}
        self.clients: dict[str, str] = {"cid": "secret"}
        self.tokens: set[str] = {"static-token"}
        self.hidden: set[str] = set()  # "Obj.Field" this user cannot see
        # The org's labels in its language: "Obj" or "Obj.Field" → label (else the API name),
        # and a picklist's values: "Obj.Field" → [(value, label)].
        self.labels: dict[str, str] = {}
        self.picklists: dict[str, list[tuple[str, str]]] = {}
        self.describe_hides = True  # False: describe still lists hidden fields (FLS changed since)
        self.query_timeout_wider_than: timedelta | None = None
        self.failing_jobs: list[str] = []  # errorMessages for the next Bulk jobs to fail
        self.csv_alphabetical = False  # Bulk CSV columns sorted by name, as up to API 49.0
        self.faults: list[Fault] = []
        self.calls: Counter[str] = Counter()
        self.queries: list[tuple[str, str]] = []  # (kind, SOQL) as received
        self.logins = 0
        self.api_usage = 0
        self.lock = threading.Lock()
        self._cursors: dict[str, tuple[str, list[tuple[Any, ...]], tuple[str, ...]]] = {}
        self._jobs: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._released = threading.Event()
        self.ca = trustme.CA()
        workdir.mkdir(parents=True, exist_ok=True)
        self.ca_path = workdir / "emulator-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_path))
        cert = self.ca.issue_cert(*HOSTS)
        self.ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(self.ssl)
        self.httpd = _Server(("127.0.0.1", 0), _Handler, self)
        self.port = self.httpd.server_address[1]
        self.proxy: Any = None

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> Emulator:
        from tests.sf_emulator.proxy import ConnectProxy

        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.proxy = ConnectProxy(self.port).start()
        return self

    def stop(self) -> None:
        self._released.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.proxy is not None:
            self.proxy.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self, mode: str = "token") -> dict[str, str]:
        """SF_* variables (and the CA bundle) for a client of this emulator."""
        base = {"REQUESTS_CA_BUNDLE": str(self.ca_path)}
        if mode == "token":
            return {**base, "SF_INSTANCE_URL": self.url, "SF_ACCESS_TOKEN": "static-token"}
        proxy = {"HTTPS_PROXY": self.proxy.url, "NO_PROXY": ""}
        if mode == "password":
            return {
                **base,
                **proxy,
                "SF_USERNAME": "sync@example.com",
                "SF_PASSWORD": "pw",
                "SF_SECURITY_TOKEN": "TOKEN",
            }
        return {
            **base,
            **proxy,
            "SF_CLIENT_ID": "cid",
            "SF_CLIENT_SECRET": "secret",
            "SF_DOMAIN": "acme.my.salesforce.com",
        }

    # --- fault injection -----------------------------------------------------------------

    def fail(
        self,
        kind: str,
        status: int,
        *,
        obj: str | None = None,
        after: int = 0,
        times: int = 1,
        code: str | None = None,
        message: str | None = None,
    ) -> Fault:
        return self._add(
            Fault(kind, obj, status=status, code=code, message=message, after=after, times=times)
        )

    def delay(
        self, kind: str, seconds: float, *, obj: str | None = None, after: int = 0, times: int = 1
    ) -> Fault:
        return self._add(Fault(kind, obj, delay=seconds, after=after, times=times))

    def expire(self, kind: str, *, obj: str | None = None, after: int = 0) -> Fault:
        return self._add(Fault(kind, obj, expire=True, after=after))

    def limit_after(self, calls: int) -> Fault:
        return self._add(Fault("*", None, status=403, after=calls, times=FOREVER))

    def block(self, kind: str, *, obj: str | None = None, after: int = 0) -> Fault:
        """Stop answering the matching request; ``fault.reached`` is set when it arrives."""
        return self._add(Fault(kind, obj, block=True, after=after))

    def _add(self, f: Fault) -> Fault:
        with self.lock:
            self.faults.append(f)
        return f

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def check_faults(self, kind: str, obj: str | None) -> Fault | None:
        with self.lock:
            self.calls[kind] += 1
            for f in self.faults:
                if f.matches(kind, obj):
                    return f
        return None

    # --- helpers used by the handler -----------------------------------------------------

    def new_token(self) -> str:
        token = f"00D000000000001!{next(self._ids):08d}"
        with self.lock:
            self.tokens.add(token)
            self.logins += 1
        return token

    def expire_sessions(self) -> None:
        with self.lock:
            self.tokens.clear()

    def visible_fields(self, spec: ObjectSpec) -> list[str]:
        return [
            f
            for f in spec.fields
            if not (self.describe_hides and f"{spec.name}.{f}" in self.hidden)
        ]

    def too_wide(self, q: soql.Query) -> bool:
        if self.query_timeout_wider_than is None or q.limit is not None:
            return False  # LIMIT queries on the indexed cursor stay fast
        cursor = (
            "SystemModstamp" if "SystemModstamp" in self.org.specs[q.obj].index else "CreatedDate"
        )
        lo, hi = q.bounds(cursor)
        now = self.org._now()
        return (
            (hi if hi is not None else now) - (lo if lo is not None else 0)
        ) > self.query_timeout_wider_than.total_seconds() * 1000

    def select(self, q: soql.Query, include_deleted: bool) -> list[tuple[Any, ...]]:
        with self.org.lock:
            rows = list(self.org.records[q.obj].values())
        return soql.run(q, self.org.specs[q.obj], rows, include_deleted)

    def new_cursor(self, obj: str, rows: list[tuple[Any, ...]], fields: tuple[str, ...]) -> str:
        loc = f"01g{next(self._ids):012d}"
        with self.lock:
            self._cursors[loc] = (obj, rows, fields)
        return loc


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr: tuple[str, int], handler: type, emu: Emulator):
        self.emu = emu
        super().__init__(addr, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # TLS handshake in the connection's own thread, so a slow client never blocks accept().
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stalls
            tls = self.emu.ssl.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            # The TLS wrapper is a second socket object over the same descriptor: close it
            # here, or it is only reclaimed (with a ResourceWarning) whenever GC runs.
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are part of the tests


def _fmt_json(t: str, v: Any) -> Any:
    if v is None:
        return None
    if t == "datetime":
        return rest_dt(v)
    return v


def _fmt_csv(t: str, v: Any) -> str:
    if v is None:
        return ""
    if t == "datetime":
        s = csv_dt(v)
    elif t == "boolean":
        s = "true" if v else "false"
    else:
        s = str(v)
    return '"' + s.replace('"', '""') + '"'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        return formatdate(self.server.emu.org._now() / 1000, usegmt=True)

    @property
    def emu(self) -> Emulator:
        return self.server.emu

    # --- plumbing ------------------------------------------------------------------------

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self._headers_buffer.append(b"\r\n" + body)  # headers and body in one write
            self.flush_headers()
        except OSError:
            pass

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        with self.emu.lock:
            self.emu.api_usage += 1
            usage = self.emu.api_usage
        h = {"Sforce-Limit-Info": f"api-usage={usage}/100000", **(headers or {})}
        self._send(status, json.dumps(obj).encode(), "application/json;charset=UTF-8", h)

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, [{"message": message, "errorCode": code}])

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _apply(self, kind: str, obj: str | None) -> bool:
        """Run a matching fault; True when it answered the request."""
        f = self.emu.check_faults(kind, obj)
        if f is None:
            return False
        if f.block:
            f.reached.set()
            self.emu._released.wait(120)
            self.close_connection = True
            return True
        if f.delay:
            time.sleep(f.delay)
            return False
        if f.expire:
            self.emu.expire_sessions()
            return False
        assert f.status is not None
        self._json(f.status, f.body())
        return True

    def _authorised(self) -> bool:
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        if token in self.emu.tokens:
            return True
        self._error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return False

    # --- routing -------------------------------------------------------------------------

    def do_POST(self) -> None:
        path = urlparse(self.path).path
        body = self._body()
        if path.startswith("/services/Soap/u/"):
            return self._soap_login(body)
        if path == "/services/oauth2/token":
            return self._oauth(body)
        m = _DATA.match(path)
        if m and m.group("rest") == "jobs/query":
            return self._bulk_create(m.group("v"), body)
        self._error(404, "NOT_FOUND", "The requested resource does not exist")

    def do_GET(self) -> None:
        url = urlparse(self.path)
        m = _DATA.match(url.path)
        if not m:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        v, rest = m.group("v"), m.group("rest").rstrip("/")
        params = {k: vals[0] for k, vals in parse_qs(url.query).items()}
        if rest in ("query", "queryAll"):
            return self._query(v, params.get("q", ""), rest == "queryAll")
        if rest.startswith(("query/", "queryAll/")):
            return self._query_more(v, rest.split("/", 1)[1])
        d = re.fullmatch(r"sobjects/(\w+)/describe", rest)
        if d:
            return self._describe(v, d.group(1))
        j = re.fullmatch(r"jobs/query/(\w+)(/results)?", rest)
        if j:
            if j.group(2):
                return self._bulk_results(j.group(1), params)
            return self._bulk_poll(j.group(1))
        self._error(404, "NOT_FOUND", "The requested resource does not exist")

    def do_DELETE(self) -> None:
        m = _DATA.match(urlparse(self.path).path)
        j = re.fullmatch(r"jobs/query/(\w+)", m.group("rest")) if m else None
        if not j or not self._authorised():
            return
        self.emu._jobs.pop(j.group(1), None)
        self._send(204, b"", "text/plain")

    # --- login ---------------------------------------------------------------------------

    def _soap_login(self, body: bytes) -> None:
        if self._apply("login", None):
            return
        text = body.decode()
        user = re.search(r"<n1:username>(.*?)</n1:username>", text, re.S)
        pw = re.search(r"<n1:password>(.*?)</n1:password>", text, re.S)
        known = self.emu.users.get(html.unescape(user.group(1)) if user else "")
        if not known or not pw or html.unescape(pw.group(1)) != known[0] + known[1]:
            fault = (
                '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
                'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
                'xmlns:sf="urn:fault.partner.soap.sforce.com" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
                "<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid "
                "username, password, security token; or user locked out.</faultstring><detail>"
                '<sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN'
                "</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security "
                "token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail>"
                "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
            )
            return self._send(500, fault.encode(), "text/xml;charset=UTF-8")
        token = self.emu.new_token()
        v = self.path.rstrip("/").rsplit("/", 1)[-1]
        ok = (
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>'
            f"<passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
            f"<serverUrl>{self.emu.url}/services/Soap/u/{v}/00D000000000001</serverUrl>"
            f"<sessionId>{token}</sessionId><userId>005000000000001AAA</userId>"
            "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
        )
        self._send(200, ok.encode(), "text/xml;charset=UTF-8")

    def _oauth(self, body: bytes) -> None:
        if self._apply("login", None):
            return
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        host = (self.headers.get("Host") or "").split(":")[0]
        if form.get("grant_type") != "client_credentials" or not host.endswith(
            ".my.salesforce.com"
        ):
            return self._send(
                400,
                json.dumps(
                    {
                        "error": "unsupported_grant_type",
                        "error_description": "grant type not supported",
                    }
                ).encode(),
                "application/json",
            )
        auth = self.headers.get("Authorization", "").removeprefix("Basic ")
        cid, _, secret = base64.b64decode(auth).decode().partition(":") if auth else ("", "", "")
        if self.emu.clients.get(cid) != secret or not cid:
            return self._send(
                400,
                json.dumps(
                    {"error": "invalid_client", "error_description": "invalid client credentials"}
                ).encode(),
                "application/json",
            )
        token = self.emu.new_token()
        body_out = {
            "access_token": token,
            "instance_url": self.emu.url,
            "id": "https://login.salesforce.com/id/00D000000000001/005000000000001",
            "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)),
        }
        self._send(200, json.dumps(body_out).encode(), "application/json")

    # --- REST ----------------------------------------------------------------------------

    def _describe(self, v: str, obj: str) -> None:
        if self._apply("describe", obj) or not self._authorised():
            return
        spec = self.emu.org.specs.get(obj)
        if spec is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        fields = [
            {
                "name": f,
                "type": "picklist" if f"{obj}.{f}" in self.emu.picklists else spec.types[f],
                "label": self.emu.labels.get(f"{obj}.{f}", f),
                "filterable": True,
                "nillable": f != "Id",
                "picklistValues": [
                    {"value": v, "label": lbl, "active": True, "defaultValue": False}
                    for v, lbl in self.emu.picklists.get(f"{obj}.{f}", [])
                ],
            }
            for f in self.emu.visible_fields(spec)
        ]
        self._json(
            200,
            {
                "name": obj,
                "label": self.emu.labels.get(obj, obj),
                "queryable": True,
                "fields": fields,
                "urls": {"describe": f"/services/data/v{v}/sobjects/{obj}/describe"},
            },
        )

    def _parse(self, text: str) -> soql.Query | None:
        try:
            return soql.parse(text, self.emu.org.specs, self.emu.hidden)
        except soql.SoqlError as e:
            self._error(400, e.code, e.message)
            return None

    def _query(self, v: str, text: str, include_deleted: bool) -> None:
        obj_guess = re.search(r"\bFROM\s+(\w+)", text, re.I)
        is_count = bool(re.match(r"\s*SELECT\s+COUNT\(\s*\)", text, re.I))
        kind = "count" if is_count else "query"
        if self._apply(kind, obj_guess.group(1) if obj_guess else None) or not self._authorised():
            return
        self.emu.queries.append((kind, text))
        q = self._parse(text)
        if q is None:
            return
        if self.emu.too_wide(q):
            return self._error(400, "QUERY_TIMEOUT", "Your query request was running for too long.")
        rows = self.emu.select(q, include_deleted)
        if q.count:
            return self._json(200, {"totalSize": len(rows), "done": True, "records": []})
        loc = self.emu.new_cursor(q.obj, rows, q.fields)
        self._page(v, loc, 0, len(rows))

    def _query_more(self, v: str, token: str) -> None:
        loc, _, off = token.rpartition("-")
        cur = self.emu._cursors.get(loc)
        if self._apply("query_more", cur[0] if cur else None) or not self._authorised():
            return
        if cur is None or not off.isdigit():
            return self._error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        self._page(v, loc, int(off), len(cur[1]))

    def _page(self, v: str, loc: str, offset: int, total: int) -> None:
        obj, rows, fields = self.emu._cursors[loc]
        spec = self.emu.org.specs[obj]
        idx = [(f, spec.index[f], spec.types[f]) for f in fields]
        chunk = rows[offset : offset + self.emu.page_size]
        records = []
        for r in chunk:
            rec: dict[str, Any] = {
                "attributes": {"type": obj, "url": f"/services/data/v{v}/sobjects/{obj}/{r[0]}"}
            }
            for f, i, t in idx:
                rec[f] = _fmt_json(t, r[i])
            records.append(rec)
        nxt = offset + len(chunk)
        body: dict[str, Any] = {"totalSize": total, "done": nxt >= total, "records": records}
        if nxt < total:
            body["nextRecordsUrl"] = f"/services/data/v{v}/query/{loc}-{nxt}"
        else:
            self.emu._cursors.pop(loc, None)
        self._json(200, body)

    # --- Bulk API 2.0 --------------------------------------------------------------------

    def _job_info(self, job: dict[str, Any]) -> dict[str, Any]:
        info = {
            k: job[k]
            for k in (
                "id",
                "operation",
                "object",
                "state",
                "concurrencyMode",
                "contentType",
                "apiVersion",
                "lineEnding",
                "columnDelimiter",
            )
        }
        info.update(
            createdById="005000000000001AAA",
            jobType="V2Query",
            createdDate="2024-01-01T00:00:00.000+0000",
            systemModstamp="2024-01-01T00:00:00.000+0000",
        )
        if job.get("errorMessage"):
            info["errorMessage"] = job["errorMessage"]
        if job["state"] == "JobComplete":
            info["numberRecordsProcessed"] = len(job["rows"])
        return info

    def _bulk_create(self, v: str, body: bytes) -> None:
        payload = json.loads(body or b"{}")
        text = str(payload.get("query", ""))
        obj_guess = re.search(r"\bFROM\s+(\w+)", text, re.I)
        if (
            self._apply("bulk_create", obj_guess.group(1) if obj_guess else None)
            or not self._authorised()
        ):
            return
        self.emu.queries.append(("bulk", text))
        q = self._parse(text)
        if q is None:
            return
        if q.count or q.order:
            return self._error(
                400,
                "API_ERROR",
                "Aggregate and ORDER BY queries are not supported by Bulk API 2.0 query jobs",
            )
        error = None
        if self.emu.too_wide(q):
            error = "QUERY_TIMEOUT: Your query request was running for too long."
        elif self.emu.failing_jobs:
            error = self.emu.failing_jobs.pop(0)
        job_id = f"750{next(self.emu._ids):015d}"
        job = {
            "id": job_id,
            "operation": payload.get("operation", "query"),
            "object": q.obj,
            "state": "UploadComplete",
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(v),
            "lineEnding": payload.get("lineEnding", "LF"),
            "columnDelimiter": payload.get("columnDelimiter", "COMMA"),
            "polls": 0,
            "errorMessage": error,
            "fields": q.fields,
            "rows": self.emu.select(q, payload.get("operation") == "queryAll"),
        }
        self.emu._jobs[job_id] = job
        self._json(200, self._job_info(job))

    def _bulk_poll(self, job_id: str) -> None:
        job = self.emu._jobs.get(job_id)
        if self._apply("bulk_poll", job["object"] if job else None) or not self._authorised():
            return
        if job is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        job["polls"] += 1
        if job["state"] in ("UploadComplete", "InProgress"):
            if job["polls"] >= self.emu.bulk_polls:
                job["state"] = "Failed" if job["errorMessage"] else "JobComplete"
            else:
                job["state"] = "InProgress"
        self._json(200, self._job_info(job))

    def _bulk_results(self, job_id: str, params: dict[str, str]) -> None:
        job = self.emu._jobs.get(job_id)
        if self._apply("bulk_results", job["object"] if job else None) or not self._authorised():
            return
        if job is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        if job["state"] != "JobComplete":
            return self._error(412, "JOB_NOT_COMPLETE", "Job is not complete")
        start = int(base64.b64decode(params["locator"]).decode()) if params.get("locator") else 0
        size = int(params.get("maxRecords") or 50_000)
        rows = job["rows"][start : start + size]
        spec = self.emu.org.specs[job["object"]]
        fields = sorted(job["fields"]) if self.emu.csv_alphabetical else job["fields"]
        idx = [(spec.index[f], spec.types[f]) for f in fields]
        out = io.StringIO()
        out.write(",".join(f'"{f}"' for f in fields) + "\n")
        for r in rows:
            out.write(",".join(_fmt_csv(t, r[i]) for i, t in idx) + "\n")
        end = start + len(rows)
        locator = base64.b64encode(str(end).encode()).decode() if end < len(job["rows"]) else "null"
        self._send(
            200,
            out.getvalue().encode(),
            "text/csv",
            {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(rows))},
        )
