"""The deliveries' quantiles read from a few ranked values equal the quantiles of all the values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.results.figures import percentile, percentile_of_ranked, ranks_needed


@given(
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=300),
    st.sampled_from([0, 50, 95, 100]),
)
def test_the_ranks_a_quantile_needs_give_the_quantile_of_all_values(values, q):
    ordered = sorted(values)
    low, high = ranks_needed(len(ordered), q)
    only = {low: ordered[low], high: ordered[high]}  # what the database hands back: two rows, not all
    assert percentile_of_ranked(only, len(ordered), q) == percentile(values, q)


def test_the_ranks_of_the_median_and_the_95th_percentile():
    assert ranks_needed(1, 50) == (0, 0)
    assert ranks_needed(4, 50) == (1, 2)  # (4 - 1) * 0.5 = 1.5: between the 2nd and the 3rd value
    assert ranks_needed(21, 95) == (19, 19)
    assert percentile_of_ranked({1: 10.0, 2: 20.0}, 4, 50) == 15.0
    assert percentile_of_ranked({}, 0, 50) is None


def test_category_figures_name_each_category_beside_its_code() -> None:
    from hub.results.figures import plan_coverage, problem_rate

    assert problem_rate({"school": (4, 2), "newkind": (1, 0)}).rows == [
        ("newkind", "newkind", 1, 0, 0.0),
        ("school", "学校", 4, 2, 0.5),
    ]
    coverage = plan_coverage({"hotel": 1}, {"hotel": 4}, {"hotel": 0.05})
    assert coverage.column("name") == ["住宿业"] and coverage.rows[0][2:] == (1, 4, 0.25, 0.05)
