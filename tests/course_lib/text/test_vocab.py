"""course_lib.text.vocab: build_vocab orders by frequency then alphabetically with the specials first; Vocab
encodes, decodes and round-trips, and rejects bad input."""
from __future__ import annotations

import re
from collections import Counter

import pytest
import torch

from course_lib.data.names import load_names
from course_lib.text.vocab import BOS, EOS, PAD, SPECIALS, UNK, Vocab, build_vocab


# ------------------------------------------------------------------------------ build_vocab
def test_specials_are_the_four_course_tokens_in_order():
    assert SPECIALS == (PAD, UNK, BOS, EOS) == ("<pad>", "<unk>", "<bos>", "<eos>")


def test_build_vocab_orders_by_frequency():
    # a: 3, n: 2, b: 2, c: 1 -> a, then b before n (tie, alphabetical), then c
    assert build_vocab(["banana", "cab"]) == list(SPECIALS) + ["a", "b", "n", "c"]


def test_build_vocab_breaks_ties_alphabetically():
    assert build_vocab(["zyx", "xyz"]) == list(SPECIALS) + ["x", "y", "z"]
    assert build_vocab(["zzyyx", "xy"]) == list(SPECIALS) + ["y", "x", "z"]
    # code point order: upper case and punctuation before lower case
    assert build_vocab(["b", "a", "B", "-"]) == list(SPECIALS) + ["-", "B", "a", "b"]


def test_build_vocab_counts_across_all_texts_not_per_text():
    # "q" is in only one text but 4 times; "e" is in three texts, once each
    assert build_vocab(["qqqq", "e", "e", "e"])[4:] == ["q", "e"]


def test_build_vocab_min_count():
    texts = ["aaa", "bb", "c"]
    assert build_vocab(texts, min_count=1)[4:] == ["a", "b", "c"]
    assert build_vocab(texts, min_count=2)[4:] == ["a", "b"]
    assert build_vocab(texts, min_count=3)[4:] == ["a"]
    assert build_vocab(texts, min_count=4) == list(SPECIALS)
    with pytest.raises(ValueError, match="min_count must be >= 1, got 0"):
        build_vocab(texts, min_count=0)


def test_build_vocab_matches_a_counter_on_real_names():
    names = load_names()[:300]
    counts = Counter("".join(names))
    vocab = build_vocab(names)
    chars = vocab[len(SPECIALS):]
    assert sorted(chars) == sorted(counts)
    assert len(chars) == len(set(chars))
    for earlier, later in zip(chars, chars[1:]):
        assert (-counts[earlier], earlier) < (-counts[later], later)


def test_build_vocab_empty_input():
    assert build_vocab([]) == list(SPECIALS)
    assert build_vocab(["", ""]) == list(SPECIALS)


def test_build_vocab_custom_specials_come_first_and_are_not_counted_twice():
    vocab = build_vocab(["a#b#", "##"], specials=("#", "<pad>"))
    assert vocab == ["#", "<pad>", "a", "b"]
    assert vocab.count("#") == 1
    assert build_vocab(["ab"], specials=()) == ["a", "b"]


def test_build_vocab_accepts_any_iterable_of_strings():
    assert build_vocab(t for t in ["ba", "a"]) == list(SPECIALS) + ["a", "b"]
    assert build_vocab(("ba", "a")) == list(SPECIALS) + ["a", "b"]


def test_build_vocab_rejects_a_single_string():
    with pytest.raises(TypeError, match="not one string"):
        build_vocab("banana")


def test_build_vocab_returns_a_new_list_each_time():
    a = build_vocab(["ab"])
    a.append("zzz")
    assert build_vocab(["ab"]) == list(SPECIALS) + ["a", "b"]


# ------------------------------------------------------------------------------ Vocab
@pytest.fixture
def vocab() -> Vocab:
    return Vocab(build_vocab(["banana", "cab"]))  # <pad> <unk> <bos> <eos> a b n c


def test_vocab_basics(vocab):
    assert len(vocab) == 8
    assert vocab.itos == list(SPECIALS) + ["a", "b", "n", "c"]
    assert vocab.stoi == {tok: i for i, tok in enumerate(vocab.itos)}
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)


def test_vocab_special_ids_follow_itos_order():
    v = Vocab(["x", EOS, BOS, "y", UNK, PAD])
    assert (v.pad_id, v.unk_id, v.bos_id, v.eos_id) == (5, 4, 2, 1)
    assert v.encode("xy").tolist() == [2, 0, 3, 1]


def test_vocab_encode_with_bos_eos(vocab):
    ids = vocab.encode("cab")
    assert isinstance(ids, torch.Tensor) and ids.dtype == torch.long and ids.shape == (5,)
    assert ids.tolist() == [2, 7, 4, 5, 3]


def test_vocab_encode_without_bos_eos(vocab):
    ids = vocab.encode("cab", add_bos_eos=False)
    assert ids.dtype == torch.long and ids.tolist() == [7, 4, 5]
    empty = vocab.encode("", add_bos_eos=False)
    assert empty.shape == (0,) and empty.dtype == torch.long
    assert vocab.encode("").tolist() == [2, 3]


def test_vocab_encode_unknown_characters_become_unk(vocab):
    assert vocab.encode("zab!", add_bos_eos=False).tolist() == [1, 4, 5, 1]
    # a special token's spelling is just characters to the default tokenizer
    assert vocab.encode("<eos>", add_bos_eos=False).tolist() == [1] * 5


def test_vocab_encode_rejects_non_strings(vocab):
    with pytest.raises(TypeError, match="encode expects a str, got list"):
        vocab.encode(["a", "b"])


def test_vocab_custom_tokenize():
    v = Vocab(list(SPECIALS) + ["the", "cat"], tokenize=str.split)
    assert v.encode("the cat sat").tolist() == [2, 4, 5, 1, 3]
    assert v.decode([4, 5]) == "thecat"


def test_vocab_decode_stops_at_eos_and_strips_pad_and_bos(vocab):
    assert vocab.decode([2, 7, 4, 5, 3]) == "cab"
    assert vocab.decode([2, 7, 4, 3, 5, 6]) == "ca"  # nothing after <eos>
    assert vocab.decode([2, 0, 7, 0, 4, 2, 5, 0, 0]) == "cab"  # no <eos>: to the end, pads/bos dropped
    assert vocab.decode([3, 4]) == ""
    assert vocab.decode([]) == ""
    assert vocab.decode([7, 1, 4]) == "c<unk>a"  # <unk> is kept: it stands for a real token


def test_vocab_decode_without_stripping(vocab):
    assert vocab.decode([2, 7, 3, 4, 0], strip_specials=False) == "<bos>c<eos>a<pad>"


def test_vocab_decode_accepts_tensors(vocab):
    assert vocab.decode(torch.tensor([2, 7, 4, 5, 3])) == "cab"
    assert vocab.decode(vocab.encode("banana")) == "banana"


def test_vocab_round_trip_on_names():
    names = load_names()
    v = Vocab(build_vocab(names))
    for name in names[::7]:
        assert v.decode(v.encode(name)) == name
        assert v.decode(v.encode(name, add_bos_eos=False)) == name
    assert v.unk_id not in torch.cat([v.encode(n) for n in names]).tolist()


def test_vocab_of_build_vocab_min_count():
    v = Vocab(build_vocab(["aaa", "b"], min_count=2))
    assert v.itos == list(SPECIALS) + ["a"]
    assert v.encode("ab", add_bos_eos=False).tolist() == [4, v.unk_id]


def test_vocab_rejects_duplicates():
    with pytest.raises(ValueError, match="duplicate"):
        Vocab(list(SPECIALS) + ["a", "b", "a"])
    with pytest.raises(ValueError, match="duplicate"):
        Vocab(list(SPECIALS) + [PAD])


def test_vocab_rejects_missing_specials():
    with pytest.raises(ValueError, match=re.escape("missing ['<bos>', '<eos>']")):
        Vocab([PAD, UNK, "a"])
    with pytest.raises(ValueError, match=re.escape("missing ['<pad>', '<unk>', '<bos>', '<eos>']")):
        Vocab(["a", "b"])


@pytest.mark.parametrize("bad", [8, 100, -1])
def test_vocab_decode_rejects_out_of_range_ids(vocab, bad):
    with pytest.raises(ValueError, match=re.escape(f"id {bad} is outside the vocabulary (size 8)")):
        vocab.decode([2, 4, bad])
    with pytest.raises(ValueError, match=re.escape(f"id {bad} is outside the vocabulary (size 8)")):
        vocab.decode(torch.tensor([2, 4, bad]))


def test_vocab_decode_rejects_non_1d_tensors(vocab):
    with pytest.raises(ValueError, match=re.escape("1-D sequence of ids, got shape (2, 3)")):
        vocab.decode(torch.tensor([[2, 4, 3], [2, 5, 3]]))
    with pytest.raises(ValueError, match=re.escape("got shape ()")):
        vocab.decode(torch.tensor(4))
