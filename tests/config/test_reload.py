"""Hot reload: a bad policy never replaces a good one; files and ConfigMap symlink swaps are followed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kaido.config import Policy, PolicyHolder, watch_file
from kaido.core import ManualClock


def test_update_swaps_in_a_valid_policy_and_tells_subscribers() -> None:
    holder = PolicyHolder()
    seen: list[Policy] = []
    holder.subscribe(seen.append)
    assert holder.update("modes: {healing: observe}\n", source="configmap kaido/policy") is True
    assert holder.current.modes.healing == "observe"
    assert (holder.generation, holder.source, holder.last_error) == (1, "configmap kaido/policy", None)
    assert seen == [holder.current]


def test_a_bad_reload_keeps_the_last_good_policy_and_reports(caplog: pytest.LogCaptureFixture) -> None:
    holder = PolicyHolder()
    holder.update("modes: {healing: observe}\n", source="cm")
    good = holder.current
    seen: list[Policy] = []
    holder.subscribe(seen.append)
    with caplog.at_level(logging.ERROR, logger="kaido.config"):
        assert holder.update("modes: {healing: enforced}\n", source="cm") is False
    assert holder.current is good
    assert holder.generation == 1
    assert holder.last_error is not None
    assert holder.last_error.startswith("cm: modes.healing: 'enforced' is not one of")
    assert seen == []
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert "keeping generation 1" in record.getMessage()
    assert "'enforced' is not one of" in record.getMessage()
    assert holder.update("modes: {healing: recommend}\n", source="cm") is True
    assert (holder.last_error, holder.generation, holder.current.modes.healing) == (None, 2, "recommend")


def test_the_same_policy_again_clears_the_error_without_a_new_generation() -> None:
    holder = PolicyHolder()
    seen: list[Policy] = []
    holder.subscribe(seen.append)
    holder.update(": bad", source="cm")
    assert holder.last_error is not None
    assert holder.update("", source="cm") is True
    assert (holder.last_error, holder.generation, seen) == (None, 0, [])


def test_reloads_apply_the_environment_overrides() -> None:
    holder = PolicyHolder(environ={"KAIDO_PAUSED": "true"})
    holder.update("modes: {healing: observe}\n", source="cm")
    assert holder.current.paused is True
    assert holder.current.modes.healing == "observe"


def test_a_failing_subscriber_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    holder = PolicyHolder()
    seen: list[int] = []

    def broken(policy: Policy) -> None:
        raise RuntimeError("boom")

    holder.subscribe(broken)
    unsubscribe = holder.subscribe(lambda policy: seen.append(holder.generation))
    with caplog.at_level(logging.ERROR, logger="kaido.config"):
        assert holder.update("paused: true\n", source="cm") is True
    assert seen == [1]
    assert "subscriber" in caplog.records[0].getMessage()
    unsubscribe()
    holder.update("paused: false\n", source="cm")
    assert seen == [1]


@contextlib.asynccontextmanager
async def watching(holder: PolicyHolder, path: Path, clock: ManualClock) -> AsyncIterator[None]:
    task = asyncio.create_task(watch_file(holder, path, clock=clock, interval=2.0))
    await clock.run_for(0)  # the first poll happens at once
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_watch_file_follows_changes_and_survives_bad_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("modes: {healing: observe}\n")
    clock, holder = ManualClock(), PolicyHolder()
    async with watching(holder, path, clock):
        assert (holder.current.modes.healing, holder.generation, holder.source) == ("observe", 1, str(path))

        path.write_text("modes: {healing: off}\n")
        await clock.run_for(1.0)
        assert holder.current.modes.healing == "observe", "not before the next poll"
        await clock.run_for(1.0)
        assert (holder.current.modes.healing, holder.generation) == ("off", 2)

        path.write_text("modes: {healing: sometimes}\n")
        await clock.run_for(2.0)
        assert holder.current.modes.healing == "off"
        assert holder.last_error is not None
        assert f"{path}: modes.healing: 'sometimes'" in holder.last_error

        path.unlink()
        await clock.run_for(2.0)
        assert holder.current.modes.healing == "off"
        assert holder.last_error is not None
        assert "cannot read the policy file" in holder.last_error

        path.write_text("modes: {healing: off}\n")  # the good content back: the error clears
        await clock.run_for(2.0)
        assert (holder.last_error, holder.generation) == (None, 2)


def _configmap_volume(directory: Path, revision: str, text: str) -> None:
    """Write `text` the way the kubelet updates a ConfigMap volume: a new directory, then an atomic
    rename of the `..data` symlink onto it."""
    target = directory / f"..{revision}"
    target.mkdir()
    (target / "policy.yaml").write_text(text)
    temporary = directory / "..data_tmp"
    temporary.symlink_to(target.name)
    os.replace(temporary, directory / "..data")
    link = directory / "policy.yaml"
    if not link.is_symlink():
        link.symlink_to("..data/policy.yaml")


async def test_watch_file_follows_a_configmap_symlink_swap(tmp_path: Path) -> None:
    _configmap_volume(tmp_path, "2026_01_01", "paused: false\n")
    clock, holder = ManualClock(), PolicyHolder()
    async with watching(holder, tmp_path / "policy.yaml", clock):
        assert holder.current.paused is False
        _configmap_volume(tmp_path, "2026_01_02", "paused: true\n")
        await clock.run_for(2.0)
        assert holder.current.paused is True
        assert holder.generation == 1
