"""Shared test set-up."""
import gc

import pytest


@pytest.fixture(autouse=True)
def _restore_gc():
    # The CLI pauses the cyclic GC while a command runs and restores it; should a
    # command ever fail to, the rest of the test session still collects.
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
