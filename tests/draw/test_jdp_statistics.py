"""JDP §3 draws with the inclusion probabilities of weighted sampling without replacement.

Fixed seeds, so the outcome is deterministic; the chi-square critical values are at p = 0.001.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from itertools import permutations

from hub.draw import jdp

DRAWS = 4000
WEIGHTS = [1, 2, 3, 4]
CHI2_P001 = {3: 16.266, 5: 20.515}  # chi-square table, upper 0.1 % points
ROSTER = jdp.format_roster([jdp.RosterEntry(f"E{i}", "s", w, "-") for i, w in enumerate(WEIGHTS)])
POOL = b""
REVEALS = {"hub": "5a" * 16}
COMMITMENTS = {"hub": jdp.commitment("hub", REVEALS["hub"], "sha256")}


def drawn(quota: int, n: int) -> Counter[frozenset[str]]:
    """Samples of `quota` entities from ROSTER over n draws, the entropy string making each seed different."""
    plan = {
        "protocol": "JDP-2",
        "task_id": "STAT",
        "hash": "sha256",
        "quotas": {"s": quota},
        "team": [],
        "avoid_home_district": False,
    }
    return Counter(
        frozenset(s["entity_id"] for s in jdp.draw(plan, ROSTER, POOL, COMMITMENTS, REVEALS, f"draw {i}")["selections"])
        for i in range(n)
    )


def sample_probabilities(quota: int) -> dict[frozenset[str], Fraction]:
    """Exact, by enumeration: the smallest of w uniform tickets is an exponential race, i.e. successive
    sampling proportional to weight among those not yet drawn."""
    probabilities: Counter[frozenset[str]] = Counter()
    for order in permutations(range(len(WEIGHTS)), quota):
        p, left = Fraction(1), sum(WEIGHTS)
        for i in order:
            p *= Fraction(WEIGHTS[i], left)
            left -= WEIGHTS[i]
        probabilities[frozenset(f"E{i}" for i in order)] += p  # type: ignore[assignment]
    return dict(probabilities)


def chi_square(observed: Counter, expected: dict, n: int) -> float:
    return sum((observed.get(k, 0) - float(p) * n) ** 2 / (float(p) * n) for k, p in expected.items())


def test_quota_one_picks_each_entity_with_probability_weight_over_total() -> None:
    expected = sample_probabilities(1)
    assert expected == {frozenset({f"E{i}"}): Fraction(w, 10) for i, w in enumerate(WEIGHTS)}
    observed = drawn(1, DRAWS)
    assert sum(observed.values()) == DRAWS
    assert chi_square(observed, expected, DRAWS) < CHI2_P001[3]


def test_quota_two_gives_the_exact_pair_and_inclusion_probabilities() -> None:
    expected = sample_probabilities(2)
    assert sum(expected.values()) == 1 and len(expected) == 6
    inclusion = {f"E{i}": sum(p for pair, p in expected.items() if f"E{i}" in pair) for i in range(4)}
    assert sum(inclusion.values()) == 2
    # not 2 * w / sum(w): sampling without replacement flattens the inclusion of heavy entities
    assert inclusion["E3"] < Fraction(8, 10) and inclusion["E0"] > Fraction(2, 10)
    observed = drawn(2, DRAWS)
    assert chi_square(observed, expected, DRAWS) < CHI2_P001[5]
    for entity, p in inclusion.items():
        share = sum(n for pair, n in observed.items() if entity in pair) / DRAWS
        assert abs(share - float(p)) < 4 * (float(p) * (1 - float(p)) / DRAWS) ** 0.5


def test_the_chi_square_check_would_notice_sampling_proportional_to_weight_squared() -> None:
    skewed = {frozenset({f"E{i}"}): Fraction(w * w, 30) for i, w in enumerate(WEIGHTS)}
    assert chi_square(drawn(1, DRAWS), skewed, DRAWS) > CHI2_P001[3]
