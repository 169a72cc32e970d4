"""A loopback Salesforce for tests and benchmarks: ``Emulator`` over an in-memory ``Org``."""

from tests.sf_emulator.org import Org
from tests.sf_emulator.server import Emulator

__all__ = ["Emulator", "Org"]
