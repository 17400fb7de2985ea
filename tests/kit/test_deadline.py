"""The request budget."""

from __future__ import annotations

import time

import pytest
from arbiter_kit.deadline import Deadline
from arbiter_kit.errors import DeadlineExceeded


def test_remaining_counts_down_and_never_goes_negative() -> None:
    d = Deadline.after(5.0)
    assert 4.5 < d.remaining() <= 5.0
    assert not d.expired()
    past = Deadline(time.monotonic() - 1.0)
    assert past.remaining() == 0.0
    assert past.expired()


def test_timeout_is_what_is_left_capped_and_less_the_reserve() -> None:
    d = Deadline.after(5.0)
    assert 4.5 < d.timeout() <= 5.0
    assert d.timeout(cap=1.0) == 1.0
    assert 3.5 < d.timeout(reserve=1.0) <= 4.0
    assert Deadline.after(0.5).timeout(cap=30.0) <= 0.5


def test_timeout_raises_when_nothing_is_left() -> None:
    with pytest.raises(DeadlineExceeded):
        Deadline(time.monotonic() - 0.001).timeout()
    with pytest.raises(DeadlineExceeded):
        Deadline.after(0.5).timeout(reserve=1.0)


def test_shorter_takes_whichever_comes_first() -> None:
    d = Deadline.after(10.0)
    assert d.shorter(1.0).remaining() <= 1.0
    assert d.shorter(60.0) == d
