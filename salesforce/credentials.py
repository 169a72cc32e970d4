"""Who the sync logs in as, read from the environment (never app.yaml: secrets stay out of files).

Three ways, checked in this order:

* ``SF_USERNAME`` + ``SF_PASSWORD`` + ``SF_SECURITY_TOKEN`` (+ ``SF_DOMAIN``: ``login``, the
  default, ``test`` for a sandbox, or the My Domain): SOAP username-password login;
* ``SF_INSTANCE_URL`` + ``SF_ACCESS_TOKEN``: a session someone else obtained (no renewal);
* ``SF_CLIENT_ID`` + ``SF_CLIENT_SECRET`` with ``SF_DOMAIN`` = the My Domain host
  (``acme.my.salesforce.com``): OAuth client credentials.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlparse

from salesforce.errors import CredentialsError

Mode = Literal["password", "token", "client_credentials"]

_HOW = (
    "Set one of:\n"
    "  SF_USERNAME, SF_PASSWORD, SF_SECURITY_TOKEN (and SF_DOMAIN=test for a sandbox)\n"
    "  SF_INSTANCE_URL, SF_ACCESS_TOKEN\n"
    "  SF_CLIENT_ID, SF_CLIENT_SECRET, SF_DOMAIN=<your My Domain, e.g. acme.my.salesforce.com>\n"
    "See docs/sync.md."
)
_DOMAIN = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)


@dataclass(frozen=True)
class Credentials:
    mode: Mode
    domain: str = "login"  # simple-salesforce's form: https://{domain}.salesforce.com
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    instance_url: str | None = None
    access_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)

    @property
    def renewable(self) -> bool:
        """Whether an expired session can be replaced by logging in again."""
        return self.mode != "token"

    def who(self) -> str:
        """A description for messages, without secrets."""
        if self.mode == "password":
            return f"SF_USERNAME={self.username} on {self.domain}.salesforce.com"
        if self.mode == "token":
            return f"SF_ACCESS_TOKEN on {self.instance_url}"
        return f"SF_CLIENT_ID on {self.domain}.salesforce.com"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials:
        """Read SF_* variables; a missing or malformed one raises CredentialsError naming it."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value is not None and value.strip() else None

        user, pw, token = get("SF_USERNAME"), get("SF_PASSWORD"), env.get("SF_SECURITY_TOKEN")
        inst, access = get("SF_INSTANCE_URL"), get("SF_ACCESS_TOKEN")
        cid, secret = get("SF_CLIENT_ID"), get("SF_CLIENT_SECRET")
        domain_raw = get("SF_DOMAIN")

        if user or pw:
            missing = [n for n, v in (("SF_USERNAME", user), ("SF_PASSWORD", pw)) if not v]
            if token is None:
                missing.append("SF_SECURITY_TOKEN")
            if missing:
                raise CredentialsError(
                    f"{', '.join(missing)} not set: username-password login needs SF_USERNAME, "
                    "SF_PASSWORD and SF_SECURITY_TOKEN (set SF_SECURITY_TOKEN= empty if your "
                    "network is on the org's trusted IP list)."
                )
            return cls(
                "password",
                domain=_domain(domain_raw or "login"),
                username=user,
                password=pw,
                security_token=(token or "").strip(),
            )
        if inst or access:
            if not inst or not access:
                name = "SF_INSTANCE_URL" if not inst else "SF_ACCESS_TOKEN"
                raise CredentialsError(
                    f"{name} not set: a session login needs both SF_INSTANCE_URL and "
                    "SF_ACCESS_TOKEN."
                )
            url = urlparse(inst if "://" in inst else f"https://{inst}")
            if url.scheme != "https" or not url.hostname:
                raise CredentialsError(
                    f'SF_INSTANCE_URL: "{inst}" is not an https URL like https://acme.my.salesforce.com'
                )
            return cls("token", instance_url=f"https://{url.netloc}", access_token=access)
        if cid or secret:
            if not cid or not secret:
                name = "SF_CLIENT_ID" if not cid else "SF_CLIENT_SECRET"
                raise CredentialsError(
                    f"{name} not set: client-credentials login needs SF_CLIENT_ID and "
                    "SF_CLIENT_SECRET."
                )
            domain = _domain(domain_raw or "")
            if domain in {"", "login", "test"}:
                raise CredentialsError(
                    "SF_DOMAIN: client-credentials login must go to your My Domain "
                    "(e.g. SF_DOMAIN=acme.my.salesforce.com), not login or test."
                )
            return cls("client_credentials", domain=domain, client_id=cid, client_secret=secret)
        raise CredentialsError("No Salesforce credentials in the environment. " + _HOW)


def _domain(raw: str) -> str:
    """``https://acme.my.salesforce.com/`` → ``acme.my`` (simple-salesforce adds the rest)."""
    host = raw.strip().lower()
    if "://" in host:
        host = urlparse(host).netloc
    host = host.rstrip("/").removesuffix(".salesforce.com")
    if host and not _DOMAIN.match(host):
        raise CredentialsError(
            f'SF_DOMAIN: "{raw}" is not a host; write login, test or your My Domain '
            "(acme.my.salesforce.com)"
        )
    return host
