"""Small numbers, as the national collection publishes them: suppressed under 5, rounded to 5, and
never recoverable by difference from a total."""

import pytest

from app.reports.suppression import SUPPRESSED, rounded, shared


@pytest.mark.parametrize(
    "n, shown",
    [
        (0, SUPPRESSED),
        (1, SUPPRESSED),
        (4, SUPPRESSED),
        (5, 5),
        (7, 5),
        (8, 10),
        (12, 10),
        (13, 15),
        (102, 100),
    ],
)
def test_counts_under_5_are_hidden_and_the_rest_rounded_to_the_nearest_5(n, shown):
    assert rounded(n) == shown


def test_a_total_is_the_sum_of_its_rounded_parts_and_percentages_come_from_them():
    row = shared({"fully": 12, "partially": 8, "not": 6})
    assert row.cells == {"fully": 10, "partially": 10, "not": 5}
    assert row.total == 25  # not 26 rounded (25), but the sum of what is shown
    assert row.percentages == {"fully": 40, "partially": 40, "not": 20}


def test_a_total_that_would_reveal_the_one_hidden_cell_is_hidden_too():
    row = shared({"fully": 20, "partially": 10, "not": 3})
    assert row.cells["not"] == SUPPRESSED
    # With the true total (33, shown as 35) a reader would work out "not" as 35 - 30 = 5-ish.
    assert row.total == SUPPRESSED
    assert row.percentages == {"fully": SUPPRESSED, "partially": SUPPRESSED, "not": SUPPRESSED}


def test_two_hidden_cells_are_added_together_rounded_which_reveals_neither():
    row = shared({"fully": 20, "partially": 3, "not": 4})
    assert row.cells == {"fully": 20, "partially": SUPPRESSED, "not": SUPPRESSED}
    assert row.total == 20 + 5  # 3 + 4 = 7, shown rounded as 5
    two_small = shared({"fully": 20, "partially": 1, "not": 2})
    assert two_small.total == SUPPRESSED  # 1 + 2 = 3 would be a count under 5


def test_an_empty_breakdown_is_all_hidden_and_a_zero_total():
    row = shared({"fully": 0, "partially": 0})
    assert row.cells == {"fully": SUPPRESSED, "partially": SUPPRESSED}
    assert row.total == SUPPRESSED
