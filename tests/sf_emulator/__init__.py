"""A loopback Salesforce for tests and benchmarks: ``Emulator`` (server.py) over an ``Org`` (org.py)."""

from tests.sf_emulator.org import Org
from tests.sf_emulator.server import Emulator

__all__ = ["Emulator", "Org"]
