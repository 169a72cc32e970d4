"""Bulk API 2.0 queryAll jobs through simple-salesforce's ``bulk2`` client.

simple-salesforce creates the job (``POST jobs/query``), polls it through UploadComplete and
InProgress until JobComplete (Failed or Aborted raise), then pages the CSV results with the
``Sforce-Locator`` header until it reads ``null``. Each page arrives as one CSV text with its
own header row.

A job is all or nothing here: if any step fails, the caller discards the pages it staged and
``Api.call`` runs a new job (results of a half-read job are not resumable through
simple-salesforce's public API, and a fresh job sees fresher data anyway).
"""

from __future__ import annotations

from collections.abc import Callable

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceOperationError

from salesforce.errors import QueryTimedOut

# Words in a failed job's errorMessage that mean "the query was too heavy": narrow the window.
_TOO_HEAVY = ("QUERY_TIMEOUT", "Retried more than", "Query timeout", "query timeout")


class BulkJobFailed(Exception):
    """The job ended Failed or Aborted for a reason other than a timeout."""


def run_query_job(
    sf: Salesforce,
    obj: str,
    soql: str,
    on_page: Callable[[str], None],
    *,
    page_size: int = 50_000,
    poll: float = 2.0,
) -> None:
    """Run ``soql`` as a Bulk 2.0 queryAll job and hand each CSV page to ``on_page``.

    queryAll, not query: deleted records carry the deletions, and Task/Event rows older than a
    year are archived and only queryAll returns them.
    """
    try:
        pages = getattr(sf.bulk2, obj).query_all(soql, max_records=page_size, wait=poll)
        for page in pages:
            on_page(page)
    except SalesforceOperationError as e:
        text = str(e)
        if any(w in text for w in _TOO_HEAVY):
            raise QueryTimedOut(text) from None
        raise BulkJobFailed(text) from None
