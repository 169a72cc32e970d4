"""simple-salesforce, made safe to run unattended: retries, re-login, errors sorted by what to do.

simple-salesforce retries nothing but a 401 on REST calls in renewable login modes, so every call
the sync makes goes through ``Api.call``:

* 5xx, 429, connection errors and read timeouts → retried with exponential backoff, bounded;
* INVALID_SESSION_ID (401) → one new login, then the call again (a session token given in
  SF_ACCESS_TOKEN cannot be renewed: stop with a message saying so);
* REQUEST_LIMIT_EXCEEDED (403) → ``LimitExceeded``, never retried (it would only burn quota);
* QUERY_TIMEOUT / INVALID_FIELD (400) → typed exceptions the sync reacts to;
* anything else → ``SalesforceRefused`` with Salesforce's own message.

The requests session keeps ``trust_env``, so REQUESTS_CA_BUNDLE, HTTPS_PROXY and NO_PROXY work as
for any requests program; SSL_CERT_FILE, which requests ignores, is honoured here.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from salesforce.credentials import Credentials
from salesforce.errors import (
    AuthFailed,
    InvalidField,
    LimitExceeded,
    NetworkError,
    QueryTimedOut,
    SalesforceRefused,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Description(Mapping[str, tuple[str, str]]):
    """An object's describe: field name → (label, Salesforce type), in the org's language;
    also the object's label and each picklist's (value, label) pairs."""

    fields: dict[str, tuple[str, str]]
    label: str = ""
    picklists: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> tuple[str, str]:
        return self.fields[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)


T = TypeVar("T")

RETRYABLE_STATUS = {406, 420, 429, 500, 502, 503, 504}
_NO_COLUMN = re.compile(r"No such column '([A-Za-z0-9_]+)'")


class HttpSession(requests.Session):
    """A requests session with a default timeout that remembers the server's clock.

    ``Date`` of the latest response gives the sync an honest "data as of" in Salesforce's time
    rather than this machine's.
    """

    def __init__(self, timeout: float = 120.0):
        super().__init__()
        self.timeout = timeout
        self.server_time: datetime | None = None
        self.calls = 0
        ca = os.environ.get("SSL_CERT_FILE")
        if ca and not (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")):
            # requests reads only REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE; with those unset it falls
            # back to session.verify, so this keeps their precedence.
            self.verify = ca
        self.hooks["response"].append(self._on_response)

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        self.calls += 1
        return super().request(method, url, *args, **kwargs)

    def _on_response(self, r: requests.Response, *args: Any, **kwargs: Any) -> None:
        date = r.headers.get("Date")
        if date:
            try:
                self.server_time = parsedate_to_datetime(date).astimezone(UTC)
            except (TypeError, ValueError):
                pass


def login(creds: Credentials, version: str, session: requests.Session) -> Salesforce:
    """Log in with simple-salesforce; failures become AuthFailed / NetworkError with advice."""
    try:
        if creds.mode == "password":
            return Salesforce(
                username=creds.username,
                password=creds.password,
                security_token=creds.security_token,
                domain=creds.domain,
                version=version,
                session=session,
            )
        if creds.mode == "token":
            return Salesforce(
                instance_url=creds.instance_url,
                session_id=creds.access_token,
                version=version,
                session=session,
            )
        return Salesforce(
            consumer_key=creds.client_id,
            consumer_secret=creds.client_secret,
            domain=creds.domain,
            version=version,
            session=session,
        )
    except SalesforceAuthenticationFailed as e:
        hint = {
            "password": "check SF_USERNAME, SF_PASSWORD, SF_SECURITY_TOKEN and SF_DOMAIN",
            "client_credentials": "check SF_CLIENT_ID, SF_CLIENT_SECRET and SF_DOMAIN "
            "(the connected app needs the client credentials flow and a run-as user)",
            "token": "check SF_ACCESS_TOKEN",
        }[creds.mode]
        raise AuthFailed(
            f"Salesforce refused the login ({creds.who()}): {e.code}: {e.message}; {hint}."
        ) from None
    except requests.exceptions.SSLError as e:
        raise NetworkError(_tls_message(e)) from None
    except requests.exceptions.RequestException as e:
        raise NetworkError(_network_message(creds.who(), e)) from None


def _tls_message(e: Exception) -> str:
    return (
        f"TLS failed talking to Salesforce ({_short(e)}). Behind a company proxy that inspects "
        "TLS, point REQUESTS_CA_BUNDLE (or SSL_CERT_FILE) at your company's CA bundle."
    )


def _network_message(where: str, e: Exception) -> str:
    return (
        f"Could not reach Salesforce ({where}): {_short(e)}. Check the network; behind a proxy "
        "set HTTPS_PROXY."
    )


def _short(e: Exception) -> str:
    text = str(e)
    return text if len(text) < 300 else text[:300] + "…"


def error_code(e: SalesforceError) -> str:
    content = e.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", ""))
    if isinstance(content, dict):
        return str(content.get("errorCode", ""))
    return ""


def error_message(e: SalesforceError) -> str:
    content = e.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("message", "")).strip()
    return str(content)[:300]


class Api:
    """One logged-in Salesforce connection with the retry and re-login policy of this module.

    ``sleep`` is injectable so tests run the backoff instantly.
    """

    def __init__(
        self,
        creds: Credentials,
        *,
        version: str = "59.0",
        timeout: float = 120.0,
        attempts: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.creds = creds
        self.version = version
        self.session = HttpSession(timeout)
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.logins = 0
        self.sf = self._login()

    def _login(self) -> Salesforce:
        self.logins += 1
        return login(self.creds, self.version, self.session)

    @property
    def instance(self) -> str:
        return str(self.sf.sf_instance)

    def server_now(self) -> datetime:
        """Salesforce's clock at the latest response (this machine's if none was dated)."""
        return self.session.server_time or datetime.now(UTC).replace(microsecond=0)

    def call(self, fn: Callable[[Salesforce], T], what: str) -> T:
        """Run ``fn(sf)`` under the retry / re-login policy. ``what`` names it in messages."""
        relogged = False
        for attempt in range(1, self.attempts + 1):
            try:
                return fn(self.sf)
            except SalesforceExpiredSession:
                self._login_again(relogged, what)
                relogged = True
            except (SalesforceRefusedRequest, SalesforceMalformedRequest) as e:
                raise _refused(e, what) from None
            except SalesforceGeneralError as e:
                if e.status not in RETRYABLE_STATUS or attempt == self.attempts:
                    raise SalesforceRefused(
                        f"Salesforce failed {what} ({e.status} {error_code(e) or ''}) after "
                        f"{attempt} attempt(s): {error_message(e)}"
                    ) from None
                self._pause(attempt, f"{what}: HTTP {e.status}")
            except SalesforceError as e:
                raise SalesforceRefused(
                    f"Salesforce refused {what}: {e.status}: {error_message(e)}"
                ) from None
            except requests.exceptions.SSLError as e:
                raise NetworkError(_tls_message(e)) from None
            except (
                requests.exceptions.ConnectionError,
                requests.exceptions.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as e:
                if attempt == self.attempts:
                    raise NetworkError(
                        _network_message(self.instance, e) + f" ({attempt} attempts)"
                    ) from None
                self._pause(attempt, f"{what}: {type(e).__name__}")
        raise AssertionError("unreachable")  # the loop returns or raises

    def _login_again(self, relogged: bool, what: str) -> None:
        """A new session after Salesforce ended one, once; a token kpibot cannot renew, or a
        session ended again at once, is refused."""
        if not self.creds.renewable:
            raise AuthFailed(
                "The Salesforce session in SF_ACCESS_TOKEN has expired or is invalid; "
                "get a new token (or use SF_USERNAME/SF_PASSWORD/SF_SECURITY_TOKEN or "
                "client credentials, which kpibot renews itself)."
            ) from None
        if relogged:
            raise AuthFailed(
                f"Salesforce ended the session again right after a new login ({self.creds.who()})."
            ) from None
        log.info("session expired during %s; logging in again", what)
        self.sf = self._login()

    def _pause(self, attempt: int, why: str) -> None:
        delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        log.warning(
            "%s; retrying in %.1fs (attempt %d of %d)", why, delay, attempt + 1, self.attempts
        )
        self.sleep(delay)

    def describe_fields(self, obj: str) -> Description:
        """The fields of ``obj`` this user can read (describe omits the others): name →
        (label in the org's language, Salesforce field type); with the object's label and its
        picklists' value labels."""
        desc = self.call(lambda sf: getattr(sf, obj).describe(), f"describe {obj}")
        return Description(
            fields={
                f["name"]: (str(f.get("label") or f["name"]), str(f.get("type") or "string"))
                for f in desc["fields"]
            },
            label=str(desc.get("label") or obj),
            picklists={
                f["name"]: tuple(
                    (str(v["value"]), str(v.get("label") or v["value"]))
                    for v in f.get("picklistValues") or ()
                    if v.get("value") is not None
                )
                for f in desc["fields"]
                if f.get("picklistValues")
            },
        )

    def count(self, soql: str) -> int:
        res = self.call(lambda sf: sf.query(soql, include_deleted=True), "a COUNT() query")
        return int(res["totalSize"])

    def first_cursor(self, obj: str, cursor: str) -> datetime | None:
        """The oldest ``cursor`` value of ``obj`` (deleted records included), or None if empty."""
        q = f"SELECT {cursor} FROM {obj} ORDER BY {cursor} ASC LIMIT 1"
        res = self.call(lambda sf: sf.query(q, include_deleted=True), f"the oldest {obj}")
        if not res["records"] or res["records"][0].get(cursor) is None:
            return None
        return datetime.fromisoformat(res["records"][0][cursor]).astimezone(UTC)

    def query_pages(self, soql: str) -> Iterator[list[dict[str, Any]]]:
        """REST queryAll, one list of records per page, following nextRecordsUrl.

        Pages are fetched one call at a time (not query_all_iter) so a failed page is retried
        alone instead of restarting the query.
        """
        res = self.call(lambda sf: sf.query(soql, include_deleted=True), "a query")
        while True:
            yield res["records"]
            if res.get("done", True):
                return
            url: str = res["nextRecordsUrl"]

            def more(sf: Salesforce, u: str = url) -> Any:
                return sf.query_more(u, identifier_is_url=True)

            res = self.call(more, "a query page")


def _refused(e: SalesforceRefusedRequest | SalesforceMalformedRequest, what: str) -> Exception:
    """The error a request Salesforce refused (403) or found malformed (400) raises: the API
    limit, a query timeout and an unknown field are their own types."""
    code = error_code(e)
    if isinstance(e, SalesforceRefusedRequest) and code == "REQUEST_LIMIT_EXCEEDED":
        return LimitExceeded(f"Salesforce API request limit reached: {error_message(e)}")
    if isinstance(e, SalesforceMalformedRequest):
        if code == "QUERY_TIMEOUT":
            return QueryTimedOut(error_message(e))
        if code == "INVALID_FIELD":
            m = _NO_COLUMN.search(error_message(e))
            if m:
                return InvalidField(m.group(1), error_message(e))
    return SalesforceRefused(f"Salesforce refused {what}: {code or e.status}: {error_message(e)}")
