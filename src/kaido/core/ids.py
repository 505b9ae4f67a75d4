"""Stable identifiers derived from content, so the same finding or action always gets the same id."""

from __future__ import annotations

import hashlib


def stable_id(*parts: str, length: int = 16) -> str:
    """A short hex id that depends only on `parts` (order matters), never on time or randomness."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return digest[:length]
