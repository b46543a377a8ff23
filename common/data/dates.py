"""Human-readable dates and their ISO form: the seq2seq recipe's default pairs, generated
offline from real calendar dates ("Tuesday, June 29, 2010" -> "2010-06-29").

The forms are those of deeplearning.ai's "Neural machine translation with attention"
assignment (its `nmt_utils.FORMATS`, which Babel formats in the en_US locale), written here
with Python's own `datetime` and `calendar`, in the same proportions (the full form ten times
as often as each other one):

    short   M/d/yy              1/8/07          medium  MMM d, y        Jan 8, 2007
    long    MMMM d, y           January 8, 2007 full    EEEE, MMMM d, y Tuesday, January 8, 2007
    d MMM YYY    8 Jan 2007     d MMMM YYY    8 January 2007    dd MMM YYY   08 Jan 2007
    d MMM, YYY   8 Jan, 2007    d MMMM, YYY   8 January, 2007   dd, MMM YYY  08, Jan 2007
    d MM YY      8 01 07        MMMM d YYY    January 8 2007    MMMM d, YYY  January 8, 2007
    dd.MM.YY     08.01.07

Each example is then written as it is, in lower case, in upper case, or (as the assignment
writes all of its examples) in lower case without commas. One difference, deliberate: the
assignment's `YYY` and `YY` are CLDR's week-based year, which Babel writes as the next year
for the last days of December in some years (31 Dec 2007 became "31 Dec 2008"); the year here
is the calendar year, so every input names the date it is paired with.

Dates are drawn uniformly from 1970-01-01 to 2029-12-31: sixty years, so a two-digit year
names one date (70-99: 19xx, 00-29: 20xx). The test split holds whole dates, so no test date
appears in training in any form.
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np

FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2029, 12, 31)
EXAMPLES = 20_000  # deeplearning.ai's assignment trains on 10,000
LOCALE_FORMS = ("short", "medium", "long", "full")
PATTERNS = (
    "d MMM YYY",
    "d MMMM YYY",
    "dd MMM YYY",
    "d MMM, YYY",
    "d MMMM, YYY",
    "dd, MMM YYY",
    "d MM YY",
    "MMMM d YYY",
    "MMMM d, YYY",
    "dd.MM.YY",
)
# The assignment's list, in its proportions: "full" ten times.
FORMATS = ("short", "medium", "long", *["full"] * 10, *PATTERNS)
CASES = ("as written", "lower", "upper", "lower without commas")


def english(pattern: str, date: dt.date) -> str:
    """`date` written in a CLDR-style `pattern` of the en_US locale: the four named forms or
    a pattern of d/dd (day), M/MM/MMM/MMMM (month number or English name), y/YYY (year),
    YY (two-digit year), EEEE (weekday), as Babel would (with the calendar year)."""
    pattern = {
        "short": "M/d/yy",
        "medium": "MMM d, y",
        "long": "MMMM d, y",
        "full": "EEEE, MMMM d, y",
    }.get(pattern, pattern)
    # calendar's names are the C locale's (English) unless a program calls setlocale.
    fields = {
        "EEEE": calendar.day_name[date.weekday()],
        "MMMM": calendar.month_name[date.month],
        "MMM": calendar.month_abbr[date.month],
        "MM": f"{date.month:02d}",
        "M": str(date.month),
        "dd": f"{date.day:02d}",
        "d": str(date.day),
        "YYY": str(date.year),
        "YY": f"{date.year % 100:02d}",
        "yy": f"{date.year % 100:02d}",
        "y": str(date.year),
    }
    written, rest = [], pattern
    while rest:
        letters = next((name for name in fields if rest.startswith(name)), None)
        if letters is None:  # a separator: space, comma, slash, dot
            written.append(rest[0])
            rest = rest[1:]
        else:
            written.append(fields[letters])
            rest = rest[len(letters) :]
    return "".join(written)


def in_case(text: str, case: str) -> str:
    if case == "lower":
        return text.lower()
    if case == "upper":
        return text.upper()
    if case == "lower without commas":
        return text.lower().replace(",", "")
    return text


def date_pairs(count: int = EXAMPLES, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(human-readable inputs, ISO dates, the form of each) for `count` dates drawn with
    `seed`: the same seed gives the same pairs. A date may be drawn twice, in two forms."""
    rng = np.random.default_rng(seed)
    days = (LAST_DAY - FIRST_DAY).days + 1
    offsets = rng.integers(0, days, size=count)
    forms = rng.integers(0, len(FORMATS), size=count)
    cases = rng.integers(0, len(CASES), size=count)
    sources, targets, names = [], [], []
    for offset, form, case in zip(offsets, forms, cases, strict=True):
        date = FIRST_DAY + dt.timedelta(days=int(offset))
        sources.append(in_case(english(FORMATS[form], date), CASES[case]))
        targets.append(date.isoformat())
        names.append(FORMATS[form])
    return (
        np.asarray(sources, dtype=object),
        np.asarray(targets, dtype=object),
        np.asarray(names, dtype=object),
    )
