"""The time facts of invented situations: dates at each precision, the events they date
and what each is about, year and quarter ends, stated durations, what did not happen up
to a date, and hostile input."""

from __future__ import annotations

import datetime as dt

import pytest
from arbiter_audit.facts.dates import find_dates
from arbiter_audit.facts.time import FINANCIAL_YEAR_END, OTHER_PERIOD, QUARTER_END, read
from arbiter_audit.model import Fact, FactKind


def _events(text: str) -> list[Fact]:
    return [f for f in read(text) if f.kind is FactKind.EVENT and not f.negated]


def _durations(text: str) -> list[Fact]:
    return [f for f in read(text) if f.kind is FactKind.DURATION]


@pytest.mark.parametrize(
    ("words", "when", "until", "value"),
    [
        ("on 27 July 2023", dt.date(2023, 7, 27), dt.date(2023, 7, 27), "2023-07-27"),
        ("on Tuesday 7 November 2023", dt.date(2023, 11, 7), dt.date(2023, 11, 7), "2023-11-07"),
        ("on March 5, 2023", dt.date(2023, 3, 5), dt.date(2023, 3, 5), "2023-03-05"),
        ("in March 2023", dt.date(2023, 3, 1), dt.date(2023, 3, 31), "2023-03"),
        ("in late April 2023", dt.date(2023, 4, 21), dt.date(2023, 4, 30), "2023-04-21/2023-04-30"),
        ("at the end of September 2023", dt.date(2023, 9, 21), dt.date(2023, 9, 30), None),
        ("in mid-2023", dt.date(2023, 4, 1), dt.date(2023, 9, 30), None),
        ("in 2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31), "2024"),
        ("on 2024-02-29", dt.date(2024, 2, 29), dt.date(2024, 2, 29), "2024-02-29"),
    ],
)
def test_a_date_is_read_at_its_precision(
    words: str, when: dt.date, until: dt.date, value: str | None
) -> None:
    text = f"The firm filed its return {words}."
    (event,) = _events(text)
    assert (event.when, event.until) == (when, until)
    if value is not None:
        assert event.value == value
    assert words.endswith(text[event.span.start : event.span.end])


def test_a_day_without_a_year_takes_the_year_of_the_date_before_it() -> None:
    text = (
        "The money arrived on the afternoon of 14 May 2024. Treasury moved it to the client "
        "account the next morning, 15 May."
    )
    days = [e.when for e in _events(text)]
    assert days == [dt.date(2024, 5, 14), dt.date(2024, 5, 15)]


def test_the_next_day_is_the_day_after_the_event_before_it() -> None:
    (_, after) = _events("The complaint arrived on 30 June 2023 and was logged the next day.")
    assert after.when == dt.date(2023, 7, 1)


def test_no_date_is_read_from_numbers_that_are_not_dates() -> None:
    text = "Under section 2017 the firm paid USD 31,000 to 12 clients; 31 February 2023 is no day."
    assert all(d.precision != "day" for d in find_dates(text))
    assert [e.value for e in _events(text)] == ["2023-02"]


def test_each_event_is_about_its_own_clause() -> None:
    text = (
        "A client complained to the broker on 3 March 2024. The broker logged the complaint "
        "and sent its final response on 20 March 2024."
    )
    complained, responded = _events(text)
    assert "complained" in complained.topic
    assert responded.topic == "sent its final response"
    assert responded.text.endswith("on 20 March 2024")


def test_two_dates_in_either_order_keep_their_own_topics() -> None:
    text = "The firm wrote to the FSRA on 4 September 2023 saying it would close on 2 October 2023."
    wrote, close = _events(text)
    assert "wrote to the FSRA" in wrote.topic and "close" not in wrote.topic
    assert "close" in close.topic
    reverse = "It closed its office on 2 October 2023, having told the FSRA on 4 September 2023."
    closed, told = _events(reverse)
    assert closed.when == dt.date(2023, 10, 2) and "told the FSRA" in told.topic


def test_a_financial_year_end_is_an_event_with_or_without_its_year() -> None:
    text = (
        "A broker whose financial year ends on 31 March sent its accounts for the year to "
        "31 March 2023 on 20 July 2023."
    )
    facts = _events(text)
    ends = [f for f in facts if f.topic == FINANCIAL_YEAR_END]
    assert [f.value for f in ends] == ["--03-31", "2023-03-31"]
    assert ends[0].when is None and ends[1].when == dt.date(2023, 3, 31)
    assert "year-end" not in facts[-1].topic


def test_a_year_end_and_a_quarter_end_written_after_the_date() -> None:
    year_end = _events("A firm with a 31 December 2022 year-end filed on 19 May 2023.")[0]
    quarter = _events("Its return for the June 2024 quarter-end was filed on 12 July 2024.")[0]
    assert year_end.topic == FINANCIAL_YEAR_END and year_end.when == dt.date(2022, 12, 31)
    assert quarter.topic == QUARTER_END and quarter.when == quarter.until == dt.date(2024, 6, 30)


@pytest.mark.parametrize(
    ("words", "quantity", "unit", "value"),
    [
        ("filed the report 40 days later", 40, "day", "P40D"),
        ("reviewed it again eleven months after the first review", 11, "month", "P11M"),
        ("keeps the records for seven years after filing", 7, "year", "P7Y"),
        ("promised to answer within a week", 1, "week", "P1W"),
        ("answered within ten days", 10, "day", "P10D"),
        ("gave investors 30 days' written notice", 30, "day", "P30D"),
        ("gave 12 business days notice", 12, "business day", "12 business days"),
    ],
)
def test_a_stated_duration_is_read_with_its_unit(
    words: str, quantity: float, unit: str, value: str
) -> None:
    (duration,) = _durations(f"The firm {words}.")
    assert (duration.quantity, duration.unit, duration.value) == (quantity, unit, value)


def test_a_number_of_days_with_nothing_saying_it_is_a_length_is_not_a_duration() -> None:
    assert _durations("The firm employs 40 staff and has two days of records.") == []


def test_a_duration_is_about_what_it_runs_from() -> None:
    (duration,) = _durations("The fee rose, effective 30 days after it wrote to unitholders.")
    assert "wrote to unitholders" in duration.topic


def test_nothing_further_up_to_a_date_is_a_negated_event() -> None:
    text = (
        "Staff completed sanctions training in January 2022. No further training of any kind "
        "was delivered before the FSRA's visit in October 2023."
    )
    negated = [f for f in read(text) if f.negated]
    assert len(negated) == 1 and negated[0].kind is FactKind.EVENT
    assert "training" in negated[0].topic and negated[0].until == dt.date(2023, 10, 31)
    visit = [e for e in _events(text) if e.when == dt.date(2023, 10, 1)]
    assert visit and "training" not in visit[0].topic


def test_nothing_done_since_names_the_event_it_follows() -> None:
    text = (
        "The firm's last risk review was completed in March 2022; nothing had been done since. "
        "The FSRA inspected it in November 2023."
    )
    (negated,) = [f for f in read(text) if f.negated]
    assert "risk review" in negated.topic and negated.when == dt.date(2023, 11, 1)


@pytest.mark.parametrize(
    "words",
    [
        "the letter set no special deadline",
        "the notice had not specified any other time period",
    ],
)
def test_a_statement_that_no_other_period_was_set(words: str) -> None:
    (fact,) = [f for f in read(f"On 1 May 2023 the FSRA wrote to the bank; {words}.") if f.negated]
    assert fact.topic == OTHER_PERIOD and fact.kind is FactKind.DURATION


def test_every_fact_span_holds_its_words() -> None:
    text = (
        "On 2 October 2023 a broker received client money; it reached the client account on "
        "9 October 2023, 7 days later, and no other deadline applied."
    )
    facts = read(text)
    assert len(facts) >= 3
    for fact in facts:
        assert text[fact.span.start : fact.span.end].strip()
        assert fact.id == ""


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01\x1f\x7f" * 500,
        "On 1 June 2023 " * 600,
        "within " * 2000 + "days",
        "no further " * 1000 + "before",
        ("In 2023 the firm, on 5 May 2023, and " * 250)[:8001],
        "1" * 8000,
    ],
)
def test_hostile_input_does_not_break_the_reader(text: str) -> None:
    facts = read(text)
    assert all(0 <= f.span.start <= f.span.end <= len(text) for f in facts)
