"""What waits for each person: the queues of the workbenches and the counts in the navigation."""

from __future__ import annotations

from typing import Any


def nav_counts(user: Any) -> dict[str, int]:
    """Counts per navigation link ("total" for the workbench itself). Filled in per role."""
    return {}
