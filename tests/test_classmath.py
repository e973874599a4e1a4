"""Imbalance arithmetic for two and several classes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advisor import classmath, facts, fields
from advisor.errors import InputError

COUNTS = st.lists(st.integers(1, 10**6), min_size=2, max_size=12)


def test_three_classes_by_hand():
    s = classmath.summarize([900, 80, 20])
    assert s.balanced == pytest.approx([1000 / 2700, 1000 / 240, 1000 / 60])
    assert s.pos_weight == pytest.approx([100 / 900, 920 / 80, 980 / 20])
    assert s.oversample == [900] * 3 and s.undersample == [20] * 3
    assert s.focal_alpha[2] > s.focal_alpha[1] > s.focal_alpha[0]


def test_two_classes_agree_with_the_ratio_facts():
    by_counts = facts.derive(fields.normalize_setup({"class_counts": "950,50"}))
    by_ratio = facts.derive(fields.normalize_setup({"class_ratio": "1:19"}))
    assert by_counts["imbalance_ratio"] == pytest.approx(by_ratio["imbalance_ratio"])
    assert by_counts["class_weight_minority"] == pytest.approx(by_ratio["class_weight_minority"])
    assert classmath.pos_weights([950, 50])[1] == pytest.approx(by_ratio["pos_weight"])
    assert classmath.focal_alphas([950, 50])[1] == pytest.approx(by_ratio["focal_alpha"])
    assert by_counts["class_weights"] == "[0.5263, 10]" and by_counts["num_classes"] == 2


@given(COUNTS)
def test_balanced_weights_give_every_class_the_same_total(counts):
    weights = classmath.balanced_weights(counts)
    totals = [w * c for w, c in zip(weights, counts)]
    assert totals == pytest.approx([sum(counts) / len(counts)] * len(counts))


@given(COUNTS)
def test_weights_order_follows_rarity(counts):
    for values in (classmath.balanced_weights(counts), classmath.focal_alphas(counts),
                   classmath.effective_number_weights(counts), classmath.pos_weights(counts)):
        for (ca, wa), (cb, wb) in zip(zip(counts, values), list(zip(counts, values))[1:]):
            if ca < cb:
                assert wa >= wb - 1e-12
    assert sum(classmath.focal_alphas(counts)) == pytest.approx(1)
    assert sum(classmath.effective_number_weights(counts)) == pytest.approx(len(counts))


@given(COUNTS)
def test_sampler_draws_each_class_equally(counts):
    weights = classmath.sampler_weights(counts)
    mass = [w * c for w, c in zip(weights, counts)]
    assert mass == pytest.approx([1.0] * len(counts))


@pytest.mark.parametrize("bad", ["900", "900,0", "a,b", "900,-3"])
def test_bad_class_counts_name_the_field(bad):
    with pytest.raises(InputError, match="class_counts"):
        fields.normalize_setup({"class_counts": bad})


def test_imbalance_command(run_cli):
    code, out, err = run_cli("imbalance", "--class-counts", "900,80,20", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["counts"] == [900, 80, 20] and report["imbalance_ratio"] == 45
    code, out, _ = run_cli("imbalance", "--imbalance", "1:20", "--dataset-size", "2100", "--format", "json")
    assert json.loads(out)["counts"] == [2000, 100]
    code, _, err = run_cli("imbalance")
    assert code == 2 and "class_counts" in err
