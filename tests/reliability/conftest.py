"""The reliability suite's long tests (marked `torture`) run only when TINYCRM_TORTURE is set,
as `.ci/run` does; the default suite skips them."""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("TINYCRM_TORTURE"):
        return
    skip = pytest.mark.skip(reason="a torture test: set TINYCRM_TORTURE=1 to run it (.ci/run does)")
    for item in items:
        if "torture" in item.keywords:
            item.add_marker(skip)
