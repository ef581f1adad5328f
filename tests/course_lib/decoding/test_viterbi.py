"""course_lib.decoding.viterbi promises: the returned path of every row is the brute-force argmax over all K^L
paths and its score is that path's score; paths have each row's real length; padding content changes nothing;
it agrees with pytorch-crf's decode; batch 1 and length 1 work; a forbidden transition (bio_constraints) is never
used; a row starting with padding is refused."""
from __future__ import annotations

import itertools

import pytest
import torch

from course_lib.decoding.viterbi import viterbi_decode
from course_lib.layers.crf import bio_constraints, path_score

f64 = torch.float64


def _case(B=4, T=5, K=3, lengths=(5, 1, 3, 2), seed=0):
    g = torch.Generator().manual_seed(seed)
    em = torch.randn(B, T, K, generator=g, dtype=f64)
    mask = torch.arange(T)[None] < torch.tensor(lengths[:B])[:, None]
    return (em, mask, torch.randn(K, generator=g, dtype=f64), torch.randn(K, K, generator=g, dtype=f64),
            torch.randn(K, generator=g, dtype=f64))


def _score(em, p, start, trans, end):
    return (start[p[0]] + sum(em[t, y] for t, y in enumerate(p)) + sum(trans[a, b] for a, b in zip(p, p[1:]))
            + end[p[-1]]).item()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_viterbi_equals_brute_force_argmax(seed):
    em, mask, start, trans, end = _case(seed=seed)
    scores, paths = viterbi_decode(em, mask, start, trans, end)
    for b in range(em.shape[0]):
        n = int(mask[b].sum())
        best = max(itertools.product(range(3), repeat=n), key=lambda p: _score(em[b], p, start, trans, end))
        assert paths[b] == list(best)
        assert abs(scores[b].item() - _score(em[b], best, start, trans, end)) < 1e-10


def test_viterbi_scores_are_path_scores():
    em, mask, start, trans, end = _case(B=4, T=7, K=4, lengths=(7, 2, 5, 1))
    scores, paths = viterbi_decode(em, mask, start, trans, end)
    tags = torch.zeros(4, 7, dtype=torch.long)
    for b, p in enumerate(paths):
        tags[b, :len(p)] = torch.tensor(p)
    assert torch.allclose(scores, path_score(em, tags, mask, start, trans, end), atol=1e-10)


def test_padding_content_changes_nothing():
    em, mask, start, trans, end = _case()
    em2 = em.clone()
    em2[~mask] = 1e6
    assert viterbi_decode(em, mask, start, trans, end)[1] == viterbi_decode(em2, mask, start, trans, end)[1]


def test_agrees_with_pytorch_crf_decode():
    torchcrf = pytest.importorskip("torchcrf")
    em, mask, start, trans, end = _case(B=5, T=8, K=6, lengths=(8, 3, 1, 6, 8), seed=4)
    ref = torchcrf.CRF(6, batch_first=True).double()
    with torch.no_grad():
        ref.start_transitions.copy_(start)
        ref.transitions.copy_(trans)
        ref.end_transitions.copy_(end)
    assert viterbi_decode(em, mask, start, trans, end)[1] == ref.decode(em, mask)


def test_batch_one_length_one():
    em, mask, start, trans, end = _case(B=1, T=1, K=4, lengths=(1,))
    scores, paths = viterbi_decode(em, mask, start, trans, end)
    assert paths == [[int((start + em[0, 0] + end).argmax())]]
    assert torch.allclose(scores, (start + em[0, 0] + end).max()[None])


def test_constraints_keep_paths_valid_iob2():
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    s_mask, t_mask = bio_constraints(names)
    g = torch.Generator().manual_seed(0)
    em = 3 * torch.randn(16, 9, 5, generator=g)
    mask = torch.ones(16, 9, dtype=torch.bool)
    _, paths = viterbi_decode(em, mask, s_mask, t_mask, torch.zeros(5))
    for p in paths:
        assert not names[p[0]].startswith("I-")
        for a, b in zip(p, p[1:]):
            assert not names[b].startswith("I-") or names[a][2:] == names[b][2:]


def test_a_row_starting_with_padding_is_refused():
    em, mask, start, trans, end = _case()
    mask[2, 0] = False
    with pytest.raises(ValueError, match="start with padding"):
        viterbi_decode(em, mask, start, trans, end)


@pytest.mark.parametrize("fill", [float("inf"), float("nan")])
def test_non_finite_padding_changes_no_path(fill):
    g = torch.Generator().manual_seed(5)
    em = torch.randn(3, 4, 3, generator=g, dtype=torch.float64)
    mask = torch.arange(4)[None] < torch.tensor([4, 2, 1])[:, None]
    start, trans, end = torch.randn(3, generator=g), torch.randn(3, 3, generator=g), torch.randn(3, generator=g)
    em2 = em.clone()
    em2[~mask] = fill
    want, got = viterbi_decode(em, mask, start, trans, end), viterbi_decode(em2, mask, start, trans, end)
    assert got[1] == want[1] and torch.allclose(got[0], want[0])


def test_integer_transitions_are_refused_naming_the_dtype():
    em = torch.randn(2, 3, 3)
    with pytest.raises(ValueError, match="transitions must be floating.*torch.int64"):
        viterbi_decode(em, torch.ones(2, 3, dtype=torch.bool), torch.zeros(3), torch.zeros(3, 3, dtype=torch.long),
                       torch.zeros(3))
