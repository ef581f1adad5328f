"""course_lib.batching.padding: pad_sequences, lengths_to_mask, pack/unpack and the collate functions agree with
torch.nn.utils.rnn and a per-sequence computation, and reject bad input with a clear message."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from course_lib.batching.padding import lengths_to_mask, pack, pad_sequences, unpack
from course_lib.batching.padding import collate_padded, collate_tagged


def _seqs(lengths: list[int], feat: int | None = None) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return [torch.randn(n, feat, generator=g) if feat else torch.randint(1, 9, (n,), generator=g) for n in lengths]


@pytest.mark.parametrize("lengths", [[3, 1, 2], [1], [4, 4], [2, 0, 5]])
@pytest.mark.parametrize("feat", [None, 3])
@pytest.mark.parametrize("batch_first", [True, False])
def test_pad_sequences_matches_torch(lengths, feat, batch_first) -> None:
    seqs = _seqs(lengths, feat)
    got = pad_sequences(seqs, pad_value=-1, batch_first=batch_first)
    assert torch.equal(got, pad_sequence(seqs, batch_first=batch_first, padding_value=-1))


def test_pad_sequences_errors() -> None:
    with pytest.raises(ValueError, match="at least one"):
        pad_sequences([])
    with pytest.raises(ValueError, match=r"sequence 1 has shape \(2, 4\)"):
        pad_sequences([torch.zeros(3, 3), torch.zeros(2, 4)])
    with pytest.raises(TypeError, match="sequence 0 is a list"):
        pad_sequences([[1, 2]])


def test_lengths_to_mask() -> None:
    mask = lengths_to_mask(torch.tensor([3, 0, 1]), max_len=4)
    assert mask.dtype == torch.bool
    assert mask.tolist() == [[True, True, True, False], [False] * 4, [True, False, False, False]]
    assert lengths_to_mask(torch.tensor([2, 1])).shape == (2, 2)
    with pytest.raises(ValueError, match="exceeds max_len"):
        lengths_to_mask(torch.tensor([5]), max_len=3)
    with pytest.raises(ValueError, match="1-D integer"):
        lengths_to_mask(torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=">= 0"):
        lengths_to_mask(torch.tensor([-1, 2]))


def test_pack_runs_an_lstm_on_real_steps_only_and_keeps_the_order() -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 5, batch_first=True).double()
    lengths = torch.tensor([2, 5, 1])  # unsorted on purpose
    seqs = [torch.randn(n, 3, dtype=torch.float64) for n in lengths.tolist()]
    out, lens = unpack(lstm(pack(pad_sequences(seqs), lengths))[0], total_length=5)
    assert lens.tolist() == [2, 5, 1] and out.shape == (3, 5, 5)
    for b, seq in enumerate(seqs):  # each row equals the LSTM run on that sequence alone
        alone, _ = lstm(seq[None])
        torch.testing.assert_close(out[b, : len(seq)], alone[0], atol=1e-12, rtol=0)
        assert torch.all(out[b, len(seq):] == 0)


# ------------------------------------------------------------------------------ collate
@pytest.mark.parametrize("lengths", [[3, 1, 2], [1], [4, 4], [2, 5, 5, 1]])
def test_collate_padded_matches_torch_and_the_mask(lengths) -> None:
    g = torch.Generator().manual_seed(0)
    seqs = [torch.randint(1, 9, (n,), generator=g) for n in lengths]
    padded, lens, mask = collate_padded(seqs, pad_value=-1)
    assert torch.equal(padded, pad_sequence(seqs, batch_first=True, padding_value=-1))
    assert lens.dtype == torch.long and lens.tolist() == lengths
    assert mask.dtype == torch.bool and mask.shape == padded.shape
    assert torch.equal(mask, padded != -1)


def test_collate_tagged_pads_ids_and_tags_separately() -> None:
    pairs = [(torch.tensor([5, 6, 7]), torch.tensor([1, 2, 0])), (torch.tensor([8]), torch.tensor([3]))]
    ids, tags, lens, mask = collate_tagged(pairs, pad_id=9, tag_pad_id=4)
    assert ids.tolist() == [[5, 6, 7], [8, 9, 9]]
    assert tags.tolist() == [[1, 2, 0], [3, 4, 4]]
    assert lens.tolist() == [3, 1]
    assert mask.tolist() == [[True, True, True], [True, False, False]]


def test_collate_tagged_errors() -> None:
    with pytest.raises(ValueError, match="at least one"):
        collate_tagged([])
    with pytest.raises(ValueError, match=r"pair 0: ids \(3,\) and tags \(2,\)"):
        collate_tagged([(torch.tensor([1, 2, 3]), torch.tensor([1, 2]))])


def test_pack_and_lengths_to_mask_refuse_lengths_given_as_a_python_list_naming_the_expected_tensor():
    import pytest as _pytest
    import torch as _torch
    from course_lib.batching.padding import lengths_to_mask, pack
    with _pytest.raises(TypeError, match=r"lengths_to_mask: lengths must be a 1-D integer tensor \(B,\), e.g. "
                                         r"torch.tensor\(lengths\), got list"):
        lengths_to_mask([3, 1])
    with _pytest.raises(TypeError, match=r"pack: lengths must be a 1-D integer tensor \(B,\).*got list"):
        pack(_torch.zeros(2, 3, 4), [3, 1])
