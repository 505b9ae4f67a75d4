"""Hot reload: the current policy, swapped only for a valid new one.

A `PolicyHolder` is fed new text by whoever watches the source — `watch_file` for a file, the
agent's ConfigMap informer for a ConfigMap (its `data["policy.yaml"]`). A bad text never
replaces a good policy: the holder keeps the last good one, records the error for `/readyz`,
the API and the dashboard, and logs it. Subscribers hear about each accepted change.

ConfigMap volumes are updated by swapping a `..data` symlink to a new directory, so the file's
path stays the same while its content changes at once; `watch_file` therefore compares content
hashes, not modification times, and reads through the symlinks on every poll.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from kaido.config.errors import PolicyError
from kaido.config.loader import parse_policy
from kaido.config.policy import Policy
from kaido.core.clock import Clock

__all__ = ["CONFIGMAP_KEY", "PolicyHolder", "watch_file"]

CONFIGMAP_KEY = "policy.yaml"
"""The key of a ConfigMap's `data` that holds the policy."""

_log = logging.getLogger(__name__)


class PolicyHolder:
    """The current policy, the last reload error, and who to tell about changes."""

    def __init__(
        self, initial: Policy | None = None, *, source: str = "defaults", environ: Mapping[str, str] | None = None
    ) -> None:
        self._policy = initial if initial is not None else Policy()
        self._environ = dict(environ or {})
        self._subscribers: list[Callable[[Policy], None]] = []
        self.source = source
        self.last_error: str | None = None
        self.generation = 0  # bumped on every accepted change

    @property
    def current(self) -> Policy:
        return self._policy

    def update(self, text: str, *, source: str, environ: Mapping[str, str] | None = None) -> bool:
        """Parse `text` (with the holder's environment overrides, or `environ`) and swap it in.

        False, with `last_error` set and the previous policy kept, when the text is invalid. A text
        equal to the current policy clears the error without a new generation, so a re-delivered
        ConfigMap does not wake every subscriber.
        """
        try:
            policy = parse_policy(text, source=source, environ=self._environ if environ is None else environ)
        except PolicyError as e:
            self.report_error(str(e), source=source)
            return False
        self.last_error = None
        changed = self._policy.diff(policy)
        if not changed:
            return True
        self._policy, self.source = policy, source
        self.generation += 1
        _log.info("policy from %s applied (generation %d); changed: %s", source, self.generation, ", ".join(changed))
        for callback in list(self._subscribers):
            try:
                callback(policy)
            except Exception:  # one broken subscriber must not keep the policy from the others
                _log.exception("policy subscriber %r failed on generation %d", callback, self.generation)
        return True

    def report_error(self, message: str, *, source: str) -> None:
        """Record a failed reload; the current policy stays."""
        self.last_error = message
        _log.error(
            "policy from %s rejected; keeping generation %d from %s:\n%s", source, self.generation, self.source, message
        )

    def subscribe(self, callback: Callable[[Policy], None]) -> Callable[[], None]:
        """Call `callback(policy)` after each accepted change; returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe


async def watch_file(
    holder: PolicyHolder,
    path: Path,
    *,
    clock: Clock,
    interval: float = 2.0,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Poll `path` every `interval` seconds of `clock` and feed changed content to `holder`; runs
    until cancelled. A missing or unreadable file is reported once and the policy is kept."""
    seen: str | None = None
    while True:
        seen = _poll(holder, path, seen, environ)
        await clock.sleep(interval)


def _poll(holder: PolicyHolder, path: Path, seen: str | None, environ: Mapping[str, str] | None) -> str | None:
    """One look at the file; returns the digest now considered applied (None after an error)."""
    try:
        content = path.read_bytes()  # small file; follows the ConfigMap volume's symlinks
    except OSError as e:
        message = f"{path}: cannot read the policy file ({e.strerror}); keeping the last good policy"
        if holder.last_error != message:
            holder.report_error(message, source=str(path))
        return None
    digest = hashlib.sha256(content).hexdigest()
    if digest == seen:
        return seen
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as e:
        holder.report_error(f"{path}: the policy file is not UTF-8 text ({e.reason})", source=str(path))
        return digest
    holder.update(text, source=str(path), environ=environ)
    return digest
