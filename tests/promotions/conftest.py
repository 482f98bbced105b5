"""The orders fixtures (divisions, an address) for the promotions tests."""

from tests.orders.conftest import address, divisions

__all__ = ["address", "divisions"]
