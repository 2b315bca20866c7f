"""The abuse limits' window arithmetic: open-session slots and the sliding failure window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liveness_api.windows import OpenSlots, failures_in_window, numbers, retry_after_seconds, stale_failures

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
T = int(NOW.timestamp())
WINDOW = timedelta(seconds=180)


def test_slots_expired_at_or_before_now_are_not_open() -> None:
    slots = OpenSlots.of({"a": T - 1, "b": T, "c": T + 1, "d": T + 179}, NOW)
    assert slots.live == {"c": T + 1, "d": T + 179}
    assert slots.expired == ("a", "b")


@pytest.mark.parametrize(
    ("held", "slot", "cap", "room"),
    [
        ({}, "x", 1, True),
        ({"a": T + 5}, "x", 1, False),
        ({"a": T + 5}, "a", 1, True),  # a replay of a held slot
        ({"a": T + 5}, "x", 2, True),
        ({"a": T + 5, "b": T + 9}, "x", 2, False),
        ({"a": T - 5, "b": T + 9}, "x", 2, True),  # an expired slot does not count
    ],
)
def test_room_for_a_slot(held: dict[str, int], slot: str, cap: int, room: bool) -> None:
    assert OpenSlots.of(held, NOW).has_room(slot, cap) is room


def test_a_slot_frees_when_the_oldest_open_session_expires() -> None:
    assert OpenSlots.of({"a": T + 90, "b": T + 30, "c": T - 10}, NOW).frees_at() == NOW + timedelta(seconds=30)


def test_failures_count_in_a_window_sliding_with_now() -> None:
    failures = {"a": T - 180, "b": T - 179, "c": T - 60, "d": T}
    assert failures_in_window(failures, NOW, WINDOW) == 3  # exactly 180 s old is out
    assert stale_failures(failures, NOW, WINDOW) == ("a",)
    later = NOW + timedelta(seconds=121)
    assert failures_in_window(failures, later, WINDOW) == 1
    assert stale_failures(failures, later, WINDOW) == ("a", "b", "c")


def test_four_failures_per_fixed_window_are_five_in_a_sliding_one() -> None:
    # Four at the end of one 180-second stretch, one at the start of the next: five within 10 seconds.
    failures = {f"s{index}": T - 5 + index for index in range(4)} | {"next": T + 5}
    assert failures_in_window(failures, NOW + timedelta(seconds=5), WINDOW) == 5


@pytest.mark.parametrize(("seconds", "wait"), [(0, 1), (-3, 1), (0.2, 1), (1, 1), (1.5, 2), (180, 180)])
def test_retry_after_is_whole_seconds_and_at_least_one(seconds: float, wait: int) -> None:
    assert retry_after_seconds(NOW + timedelta(seconds=seconds), NOW) == wait


def test_number_maps_read_from_dynamodb_items() -> None:
    assert numbers({"m": {"M": {"a": {"N": "7"}}}}, "m") == {"a": 7}
    assert numbers({}, "m") == {}
