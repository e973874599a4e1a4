"""Imbalance arithmetic for two and several classes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advisor.estimate import classmath
from advisor.facts import derive as facts
from advisor.setup import fields
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


def test_the_report_shows_counts_and_ratio_as_they_are_typed(run_json):
    # typed inside (a tuple, a Ratio), the same text in the setup and the facts of the JSON output
    report = run_json("--class-counts", "900, 80, 20")
    for shown in (report["setup"], report["facts"]):
        assert shown["class_counts"] == "900,80,20" and shown["class_ratio"] == "1:45"
    assert report["facts"]["class_weights"] == "[0.3704, 4.167, 16.67]"
    assert report["setup"]["num_classes"] == report["facts"]["num_classes"] == 3


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
    assert json.loads(out)["counts"] == [100, 2000]  # minority first, as in 1:20
    code, _, err = run_cli("imbalance")
    assert code == 2 and "class_counts" in err


def test_imbalance_from_a_ratio_is_exact_and_says_what_it_assumes(run_cli):
    # once: counts 9901, 99 "in the order given" for 1:100, an unstated total of 10,000, imbalance 100.0101…
    code, out, err = run_cli("imbalance", "--imbalance", "1:100", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["imbalance_ratio"] == 100 and report["order"] == "minority, majority"
    assert report["counts"] is None and report["oversample_to"] is None and report["assumptions"]
    assert report["pos_weight"] == [100, 0.01] and report["balanced_class_weights"] == pytest.approx([50.5, 0.505])
    code, out, _ = run_cli("imbalance", "--imbalance", "100:1", "--dataset-size", "50k")
    assert code == 0 and "minority, majority" in out and "495, 49,505" in out and "e+" not in out
    assert "assumed: counts split from --dataset-size 50,000" in " ".join(out.split())


def test_imbalance_from_counts_keeps_the_given_order(run_cli):
    code, out, _ = run_cli("imbalance", "--class-counts", "20,80000,900")
    assert code == 0 and "in the order given" in out and "20, 80,000, 900" in out and "e+" not in out


@given(st.floats(1, 1e9), st.integers(2, 300))
def test_geometric_minority_share_matches_the_sum_it_replaces(imbalance, k):
    by_sum = 1 / sum(imbalance ** (i / (k - 1)) for i in range(k))
    assert classmath.geometric_minority_share(imbalance, k) == pytest.approx(by_sum, rel=1e-9)


def test_ten_million_classes_cost_what_two_do():
    # `--num-classes 1e30` looped over every class; the range now stops at 10 million, in closed form
    derived = facts.derive(fields.normalize_setup({"class_ratio": "1:100", "num_classes": "1e7"}))
    assert 0 < derived["minority_share"] < 1e-7
    with pytest.raises(InputError, match="num_classes: .*maximum of 10,000,000"):
        fields.normalize_setup({"num_classes": "1e30"})


@pytest.mark.parametrize("bad, message", [("900,1e308", "maximum"), (",".join(["5"] * 10_001), "more than"),
                                          ("900,1,5", None)])
def test_class_counts_are_bounded(bad, message):
    if message is None:  # a list: commas separate classes, so 1,5 is two classes
        assert fields.normalize_setup({"class_counts": bad})["num_classes"] == 3
        return
    with pytest.raises(InputError, match=f"class_counts: .*{message}"):
        fields.normalize_setup({"class_counts": bad})
