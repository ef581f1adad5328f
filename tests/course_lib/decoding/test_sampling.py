"""course_lib.decoding.sampling: temperature (T = 1 is softmax, T -> 0 the argmax, lowest id on ties),
top-k (exactly k non-zero, ties to the lower id, renormalised), top-p (the smallest high-probability set
reaching p, the crossing token kept), and a sampling step reproducible under a seeded generator whose
draws follow the filtered distribution."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from course_lib.decoding.sampling import apply_temperature, sample_next, top_k_filter, top_p_filter


def _probs(seed=0, shape=(4, 9)):
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(*shape, generator=g, dtype=torch.float64), -1)


# ---------------------------------------------------------------- temperature
def test_temperature_one_is_the_softmax():
    x = torch.randn(3, 6, dtype=torch.float64)
    torch.testing.assert_close(apply_temperature(x, 1.0), torch.softmax(x, -1))


def test_temperature_divides_the_logits():
    x = torch.randn(2, 3, 6, dtype=torch.float64)
    torch.testing.assert_close(apply_temperature(x, 0.5), torch.softmax(2 * x, -1))


def test_temperature_zero_is_the_one_hot_argmax_with_the_lowest_id_on_ties():
    x = torch.tensor([[0.0, 2.0, 2.0, 1.0], [5.0, -1.0, 5.0, 5.0]])
    torch.testing.assert_close(apply_temperature(x, 0), torch.tensor([[0.0, 1, 0, 0], [1.0, 0, 0, 0]]))


def test_small_temperature_approaches_the_argmax():
    x = torch.tensor([[0.0, 1.0, 0.5]], dtype=torch.float64)
    assert apply_temperature(x, 1e-3)[0, 1] > 1 - 1e-12


def test_negative_temperature_raises():
    with pytest.raises(ValueError, match="temperature must be >= 0, got -0.5"):
        apply_temperature(torch.zeros(1, 3), -0.5)


# ---------------------------------------------------------------- top-k
@pytest.mark.parametrize("k", [1, 2, 5, 8])
def test_top_k_keeps_exactly_k_largest_renormalised(k):
    p = _probs()
    out = top_k_filter(p, k)
    assert ((out > 0).sum(-1) == k).all()
    kept_ids = p.topk(k, -1).indices
    torch.testing.assert_close(out.gather(-1, kept_ids), p.gather(-1, kept_ids) / p.gather(-1, kept_ids).sum(-1, keepdim=True))
    torch.testing.assert_close(out.sum(-1), torch.ones(4, dtype=torch.float64))


def test_top_k_one_is_one_hot_and_k_at_least_v_unchanged():
    p = _probs()
    torch.testing.assert_close(top_k_filter(p, 1), torch.nn.functional.one_hot(p.argmax(-1), 9).double())
    torch.testing.assert_close(top_k_filter(p, 9), p)
    torch.testing.assert_close(top_k_filter(p, 50), p)


def test_top_k_ties_at_the_cut_keep_the_lower_ids():
    p = torch.tensor([[0.1, 0.3, 0.2, 0.2, 0.2]])
    torch.testing.assert_close(top_k_filter(p, 2), torch.tensor([[0.0, 0.6, 0.4, 0.0, 0.0]]))


def test_top_k_works_on_any_leading_axes():
    p = _probs(shape=(2, 3, 5))
    assert ((top_k_filter(p, 2) > 0).sum(-1) == 2).all()


@pytest.mark.parametrize("k", [0, -1, 1.5, True])
def test_top_k_rejects_k_below_one_or_not_an_integer(k):
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        top_k_filter(_probs(), k)


# ---------------------------------------------------------------- top-p
def _brute_top_p(row, p):
    """The smallest set (by size, then by the probabilities' order) of ids whose mass reaches p."""
    V = len(row)
    order = sorted(range(V), key=lambda i: (-row[i], i))
    for size in range(1, V + 1):
        if sum(row[i] for i in order[:size]) >= p - 1e-15:
            return set(order[:size])
    return set(range(V))


@pytest.mark.parametrize("p", [0.05, 0.3, 0.5, 0.8, 0.95])
def test_top_p_keeps_the_smallest_set_reaching_p(p):
    probs = _probs()
    out = top_p_filter(probs, p)
    for b in range(4):
        kept = set((out[b] > 0).nonzero().flatten().tolist())
        assert kept == _brute_top_p(probs[b].tolist(), p)
        torch.testing.assert_close(out[b, sorted(kept)], probs[b, sorted(kept)] / probs[b, sorted(kept)].sum())


def test_top_p_keeps_the_token_that_crosses_p():
    p = torch.tensor([[0.5, 0.3, 0.2]])
    torch.testing.assert_close(top_p_filter(p, 0.6), torch.tensor([[0.625, 0.375, 0.0]]))


def test_top_p_near_zero_keeps_one_token_and_one_keeps_all():
    probs = _probs()
    assert ((top_p_filter(probs, 1e-9) > 0).sum(-1) == 1).all()
    torch.testing.assert_close(top_p_filter(probs, 1.0), probs)


@pytest.mark.parametrize("p", [0.0, -0.1, 1.5])
def test_top_p_rejects_p_outside_zero_one(p):
    with pytest.raises(ValueError, match=r"p must be in \(0, 1\]"):
        top_p_filter(_probs(), p)


# ---------------------------------------------------------------- sampling
def test_same_seed_same_ids_and_shape_b():
    logits = torch.randn(6, 10)
    a = sample_next(logits, 1.0, generator=torch.Generator().manual_seed(3))
    b = sample_next(logits, 1.0, generator=torch.Generator().manual_seed(3))
    assert a.shape == (6,) and a.dtype == torch.long and torch.equal(a, b)


def test_sampling_uses_multinomial_on_the_filtered_distribution():
    logits = torch.randn(5, 10, dtype=torch.float64)
    want_p = top_p_filter(top_k_filter(apply_temperature(logits, 0.7), 4), 0.8)
    want = torch.multinomial(want_p, 1, generator=torch.Generator().manual_seed(9)).squeeze(-1)
    got = sample_next(logits, 0.7, top_k=4, top_p=0.8, generator=torch.Generator().manual_seed(9))
    assert torch.equal(got, want)


def test_temperature_zero_samples_the_argmax():
    logits = torch.randn(8, 10)
    assert torch.equal(sample_next(logits, 0.0), logits.argmax(-1))


def test_sample_frequencies_follow_the_distribution():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2]])).expand(20000, 3)
    ids = sample_next(logits, 1.0, generator=torch.Generator().manual_seed(0))
    freq = torch.bincount(ids, minlength=3) / 20000
    torch.testing.assert_close(freq, torch.tensor([0.5, 0.3, 0.2]), atol=0.015, rtol=0)


def test_top_k_samples_never_leave_the_kept_set():
    logits = torch.randn(1, 10).expand(2000, 10)
    ids = sample_next(logits, 1.5, top_k=3, generator=torch.Generator().manual_seed(1))
    assert set(ids.tolist()) <= set(logits[0].topk(3).indices.tolist())


def test_sample_next_rejects_non_2d_logits():
    with pytest.raises(ValueError, match=r"logits must have shape \(B, V\), got \(10,\)"):
        sample_next(torch.randn(10))


# ---------------------------------------------------------------- bad inputs
def test_top_k_accepts_a_numpy_integer_k():
    p = _probs()
    assert torch.equal(top_k_filter(p, np.int64(2)), top_k_filter(p, 2))


@pytest.mark.parametrize("fn", [lambda q: top_k_filter(q, 2), lambda q: top_p_filter(q, 0.5)])
@pytest.mark.parametrize("bad", [torch.tensor([[2.0, -1.0, 0.5]]), torch.tensor([[0.2, 0.2, 0.2]]),
                                 torch.zeros(1, 3), torch.tensor([[float("nan"), 0.5, 0.5]])])
def test_filters_reject_rows_that_are_not_probabilities(fn, bad):
    with pytest.raises(ValueError, match="probs must be probabilities"):
        fn(bad)


def test_temperature_that_is_not_a_number_raises_naming_it():
    with pytest.raises(ValueError, match="temperature must be a number >= 0"):
        apply_temperature(torch.zeros(2, 3), "hot")


@pytest.mark.parametrize("logits, match", [
    (torch.tensor([[float("nan"), 0.0]]), "nan"),
    (torch.tensor([[float("inf"), 0.0]]), r"\+inf"),
    (torch.tensor([[0.0, 1.0], [float("-inf"), float("-inf")]]), r"rows \[1\]"),
])
def test_sample_next_rejects_logits_without_a_distribution(logits, match):
    with pytest.raises(ValueError, match=match):
        sample_next(logits)
