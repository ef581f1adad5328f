"""course_lib.layers.crf promises: path_score is start + emissions + transitions between real steps + end of the
last real tag; log_partition equals logsumexp over all K^T paths (brute force) and stays finite for huge scores;
crf_nll equals -pytorch-crf's mean log-likelihood in float64 with copied parameters; gradients pass gradcheck;
padding never changes a result; batch 1 and length 1 work; a row starting with padding is refused;
bio_constraints forbids exactly what IOB2 forbids with a finite penalty."""
from __future__ import annotations

import itertools

import pytest
import torch

from course_lib.layers import crf
from course_lib.layers.crf import CRF, bio_constraints, crf_nll, log_partition, path_score

f64 = torch.float64


def _case(B=4, T=5, K=3, lengths=(5, 1, 3, 2), seed=0):
    g = torch.Generator().manual_seed(seed)
    em = torch.randn(B, T, K, generator=g, dtype=f64)
    tags = torch.randint(0, K, (B, T), generator=g)
    mask = torch.arange(T)[None] < torch.tensor(lengths[:B])[:, None]
    start, trans, end = (torch.randn(K, generator=g, dtype=f64), torch.randn(K, K, generator=g, dtype=f64),
                         torch.randn(K, generator=g, dtype=f64))
    return em, tags, mask, start, trans, end


def _brute_score(em, path, start, trans, end):
    s = start[path[0]] + sum(em[t, y] for t, y in enumerate(path)) + end[path[-1]]
    return s + sum(trans[a, b] for a, b in zip(path, path[1:]))


def _all_scores(em, n, start, trans, end):
    K = em.shape[-1]
    return {p: _brute_score(em, p, start, trans, end) for p in itertools.product(range(K), repeat=n)}


def test_path_score_matches_the_formula_row_by_row():
    em, tags, mask, start, trans, end = _case()
    got = path_score(em, tags, mask, start, trans, end)
    assert got.shape == (4,)
    for b in range(4):
        n = int(mask[b].sum())
        assert torch.allclose(got[b], _brute_score(em[b], tags[b, :n].tolist(), start, trans, end), atol=1e-12)


def test_log_partition_equals_logsumexp_over_all_paths():
    em, _, mask, start, trans, end = _case(K=3)
    got = log_partition(em, mask, start, trans, end)
    for b in range(4):
        n = int(mask[b].sum())
        want = torch.logsumexp(torch.stack(list(_all_scores(em[b], n, start, trans, end).values())), 0)
        assert torch.allclose(got[b], want, atol=1e-10)


def test_log_partition_is_finite_for_huge_scores():
    em, _, mask, start, trans, end = _case()
    got = log_partition(1000 * em, mask, start, trans, end)
    assert torch.isfinite(got).all()


@pytest.mark.parametrize("fill", [1e6, -1e6])
def test_padding_content_changes_nothing(fill):
    em, tags, mask, start, trans, end = _case()
    em2, tags2 = em.clone(), tags.clone()
    em2[~mask] = fill
    tags2[~mask] = 2
    assert torch.allclose(path_score(em, tags, mask, start, trans, end), path_score(em2, tags2, mask, start, trans, end))
    assert torch.allclose(log_partition(em, mask, start, trans, end), log_partition(em2, mask, start, trans, end))


def test_crf_nll_matches_pytorch_crf_mean_log_likelihood():
    torchcrf = pytest.importorskip("torchcrf")
    em, tags, mask, start, trans, end = _case(B=4, T=6, K=5, lengths=(6, 1, 4, 2), seed=3)
    ref = torchcrf.CRF(5, batch_first=True).double()
    with torch.no_grad():
        ref.start_transitions.copy_(start)
        ref.transitions.copy_(trans)
        ref.end_transitions.copy_(end)
    want = -ref(em, tags, mask=mask, reduction="mean")
    assert torch.allclose(crf_nll(em, tags, mask, start, trans, end), want, atol=1e-10)


def test_crf_nll_is_the_mean_of_log_z_minus_path_score():
    em, tags, mask, start, trans, end = _case()
    want = (log_partition(em, mask, start, trans, end) - path_score(em, tags, mask, start, trans, end)).mean()
    got = crf_nll(em, tags, mask, start, trans, end)
    assert got.dim() == 0 and torch.allclose(got, want)


def test_gradcheck_log_partition_and_crf_nll():
    em, tags, mask, start, trans, end = _case(B=3, T=4, K=3, lengths=(4, 1, 2))
    args = [x.clone().requires_grad_(True) for x in (em, start, trans, end)]
    assert torch.autograd.gradcheck(lambda e, s, tr, en: log_partition(e, mask, s, tr, en), args)
    assert torch.autograd.gradcheck(lambda e, s, tr, en: crf_nll(e, tags, mask, s, tr, en), args)


def test_batch_one_length_one():
    em, tags, mask, start, trans, end = _case(B=1, T=1, K=4, lengths=(1,))
    assert torch.allclose(path_score(em, tags, mask, start, trans, end), start[tags[0, 0]] + em[0, 0, tags[0, 0]] + end[tags[0, 0]])
    assert torch.allclose(log_partition(em, mask, start, trans, end), torch.logsumexp(start + em[0, 0] + end, 0)[None])


def test_a_row_starting_with_padding_is_refused():
    em, tags, mask, start, trans, end = _case()
    mask[1, 0] = False
    for fn in (lambda: log_partition(em, mask, start, trans, end), lambda: path_score(em, tags, mask, start, trans, end)):
        with pytest.raises(ValueError, match=r"rows \[1\] start with padding"):
            fn()


def test_wrong_shapes_and_dtypes_are_named():
    em, tags, mask, start, trans, end = _case()
    with pytest.raises(ValueError, match=r"transitions \(3, 3\)"):
        log_partition(em, mask, start, trans[:2], end)
    with pytest.raises(ValueError, match="bool tensor of shape"):
        log_partition(em, mask.long(), start, trans, end)
    with pytest.raises(ValueError, match="torch.long"):
        path_score(em, tags.int(), mask, start, trans, end)
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        path_score(em, tags + 5, mask, start, trans, end)
    with pytest.raises(ValueError, match="left-aligned"):
        log_partition(em, torch.tensor([[True, False, True, False, False]] * 4), start, trans, end)


NAMES = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def test_bio_constraints_forbid_exactly_the_iob2_violations():
    s, tr = bio_constraints(NAMES, penalty=-50.0)
    assert s.tolist() == [0, 0, -50, 0, -50]
    allowed = {(1, 2), (2, 2), (3, 4), (4, 4)}
    for i in range(5):
        for j in range(5):
            want = -50.0 if NAMES[j].startswith("I-") and (i, j) not in allowed else 0.0
            assert tr[i, j].item() == want, (NAMES[i], NAMES[j])


def test_bio_constraints_default_penalty_is_finite_and_large():
    s, tr = bio_constraints(NAMES)
    assert torch.isfinite(tr).all() and tr.min().item() == -1e4 and s.dtype == torch.float32


@pytest.mark.parametrize("bad", [["O", "X-PER"], ["O", "B-"], ["o"]])
def test_bio_constraints_refuses_unknown_tag_names(bad):
    with pytest.raises(ValueError, match="'O', 'B-X' or 'I-X'"):
        bio_constraints(bad)


def test_crf_module_nll_and_decode_use_its_parameters():
    torch.manual_seed(0)
    layer = CRF(3).double()
    em, tags, mask, *_ = _case()
    assert torch.allclose(layer.nll(em, tags, mask), crf_nll(em, tags, mask, layer.start, layer.transitions, layer.end))
    scores, paths = layer.decode(em, mask)
    assert [len(p) for p in paths] == mask.sum(1).tolist()
    assert crf.CRF is CRF


@pytest.mark.parametrize("fill", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_padding_changes_no_score_and_no_gradient(fill):
    em, tags, mask, start, trans, end = _case()
    em2 = em.clone()
    em2[~mask] = fill
    em2.requires_grad_(True)
    assert torch.allclose(path_score(em2, tags, mask, start, trans, end), path_score(em, tags, mask, start, trans, end))
    assert torch.allclose(log_partition(em2, mask, start, trans, end), log_partition(em, mask, start, trans, end))
    loss = crf_nll(em2, tags, mask, start, trans, end)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(em2.grad).all() and (em2.grad[~mask] == 0).all()


@pytest.mark.parametrize("which", ["start", "transitions", "end"])
def test_integer_crf_scores_are_refused_naming_the_dtype(which):
    em, tags, mask, start, trans, end = _case()
    scores = {"start": start, "transitions": trans, "end": end}
    scores[which] = scores[which].long()
    with pytest.raises(ValueError, match=f"{which} must be floating.*torch.int64"):
        path_score(em, tags, mask, scores["start"], scores["transitions"], scores["end"])


def test_scores_on_another_device_than_the_emissions_are_named():
    em, tags, mask, start, trans, end = _case()
    with pytest.raises(ValueError, match="same device.*meta"):
        log_partition(em, mask, start.to("meta"), trans, end)


@pytest.mark.parametrize("penalty", [float("-inf"), -float("1e400")])
def test_bio_constraints_refuses_an_infinite_penalty(penalty):
    with pytest.raises(ValueError, match="finite negative number.*-inf"):
        bio_constraints(NAMES, penalty)


@pytest.mark.parametrize("names, error, message", [("O", TypeError, "list of tag names, got str"),
                                                   ([], ValueError, "at least one tag name"),
                                                   (["O", "B-X", "O"], ValueError, "twice.*'O'")])
def test_bio_constraints_refuses_a_string_no_names_or_repeated_names(names, error, message):
    with pytest.raises(error, match=message):
        bio_constraints(names)


def test_bio_constraints_reads_the_type_after_the_prefix_hyphens_included():
    names = ["O", "B-GEO", "I-GEO", "B-GEO-LOC", "I-GEO-LOC"]
    _, tr = bio_constraints(names, -1.0)
    assert tr[1, 4] == -1.0 and tr[3, 2] == -1.0 and tr[3, 4] == 0.0 and tr[1, 2] == 0.0


@pytest.mark.parametrize("bad", [True, 2.0, "3"])
def test_crf_module_refuses_a_non_int_number_of_tags(bad):
    with pytest.raises(ValueError, match="num_tags must be a positive int"):
        CRF(bad)


def test_crf_module_decode_names_a_wrong_bias_shape():
    em, tags, mask, *_ = _case()
    with pytest.raises(ValueError, match=r"transition_bias must have shape \(3, 3\), got \(4, 4\)"):
        CRF(3).double().decode(em, mask, None, torch.zeros(4, 4, dtype=f64))
