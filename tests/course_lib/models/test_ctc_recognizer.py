"""course_lib.models.ctc_recognizer: CTCRecognizer maps feats (B, T, n_mels) and lengths to log_probs
(T', B, n_classes) normalised over classes, with out_lengths = conv_output_length(., 3, 2, 1) applied twice;
batch 1; an utterance's output equals its output alone (packing: padding reaches neither GRU direction); the
output_length it is given is the one used; normalize_utterances standardises each utterance over its real frames;
it learns a tiny batch with F.ctc_loss until greedy decoding reads the targets; bad sizes raise errors."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_lib.data.speech import N_MELS
from course_lib.decoding.ctc import ctc_greedy
from course_lib.layers.subsampling import conv_output_length
from course_lib.models.ctc_recognizer import CTCRecognizer, normalize_utterances


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Small model: torch's thread pool only adds overhead on a busy machine."""


def twice(lengths: torch.Tensor) -> torch.Tensor:
    return conv_output_length(conv_output_length(lengths, 3, 2, 1), 3, 2, 1)


def test_shapes_lengths_and_normalised_log_probs():
    torch.manual_seed(0)
    model = CTCRecognizer()
    lengths = torch.tensor([120, 57, 9])
    log_probs, out_lengths = model(torch.randn(3, 120, N_MELS), lengths)
    assert log_probs.shape == (30, 3, 11) and out_lengths.tolist() == twice(lengths).tolist()
    torch.testing.assert_close(log_probs.exp().sum(-1), torch.ones(30, 3))
    assert (log_probs <= 0).all()


def test_default_sizes():
    model = CTCRecognizer()
    assert model.gru.hidden_size == 128 and model.gru.num_layers == 1 and model.gru.bidirectional
    assert model.subsampler.channels == 32 and model.out.out_features == 11 and model.subsampler.n_mels == N_MELS == 40
    assert sum(p.numel() for p in model.parameters()) == 357_995


def test_batch_of_one_and_of_one_frame():
    model = CTCRecognizer(n_mels=16, channels=4, hidden_size=8)
    log_probs, out_lengths = model(torch.randn(1, 1, 16), torch.tensor([1]))
    assert log_probs.shape == (1, 1, 11) and out_lengths.tolist() == [1]


def test_an_utterances_output_equals_its_output_alone():
    torch.manual_seed(0)
    model = CTCRecognizer(n_mels=16, channels=4, hidden_size=8, num_layers=2).double()
    feats = torch.randn(3, 50, 16, dtype=torch.float64)
    lengths = torch.tensor([50, 21, 6])
    log_probs, out_lengths = model(feats, lengths)
    for b in range(3):
        alone, n = model(feats[b: b + 1, : lengths[b]], lengths[b: b + 1])
        assert n.item() == out_lengths[b].item()
        torch.testing.assert_close(log_probs[: n.item(), b], alone[:, 0], rtol=1e-10, atol=1e-10)


def test_the_output_length_it_is_given_is_used():
    seen = []

    def mine(lengths, kernel_size, stride=1, padding=0, dilation=1):
        seen.append(lengths.tolist())
        return conv_output_length(lengths, kernel_size, stride, padding, dilation)

    model = CTCRecognizer(n_mels=16, channels=4, hidden_size=8, output_length=mine)
    model(torch.randn(2, 20, 16), torch.tensor([20, 7]))
    assert seen == [[20, 7], [10, 4]]


def test_normalize_utterances_standardises_real_frames_and_zeroes_padding():
    feats = torch.randn(2, 30, 5, dtype=torch.float64) * 3 + 7
    lengths = torch.tensor([30, 12])
    out = normalize_utterances(feats, lengths, eps=0.0)
    for b, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(out[b, :n].mean(0), torch.zeros(5, dtype=torch.float64), atol=1e-12, rtol=0)
        torch.testing.assert_close(out[b, :n].std(0, unbiased=False), torch.ones(5, dtype=torch.float64))
        assert (out[b, n:] == 0).all()


@pytest.mark.parametrize("feats, lengths, kwargs, match", [
    (torch.zeros(5, 40), torch.tensor([5]), {}, r"floating tensor \(B, T, M\), got torch.float32 \(5, 40\)"),
    (torch.zeros(2, 5, 40, dtype=torch.long), torch.tensor([5, 5]), {}, "got torch.int64"),
    (torch.zeros(2, 5, 40), torch.tensor([5]), {}, r"\(B,\) = \(2,\), got torch.int64 \(1,\)"),
    (torch.zeros(1, 5, 40), torch.tensor([5.0]), {}, "got torch.float32"),
    (torch.zeros(1, 5, 40), torch.tensor([9]), {}, r"\[1, T = 5\], got min 9"),
    (torch.zeros(1, 5, 40), torch.tensor([0]), {}, "got min 0"),
    (torch.zeros(1, 5, 40), torch.tensor([5]), dict(eps=-1.0), "eps must be a finite number >= 0, got -1.0"),
    (torch.full((1, 5, 40), float("nan")), torch.tensor([5]), {}, "NaN or inf"),
])
def test_normalize_utterances_refuses_bad_input_naming_expected_and_got(feats, lengths, kwargs, match):
    with pytest.raises(ValueError, match=match):
        normalize_utterances(feats, lengths, **kwargs)


def test_the_model_refuses_an_output_length_that_undercounts():
    undercount = lambda L, kernel_size, stride, padding: (L + 2 * padding - kernel_size) // stride  # noqa: E731
    with pytest.raises(ValueError, match=r"output_length\(17, .*\) gave 8 frames after convolution 1, but the "
                                         r"convolution makes 9"):
        CTCRecognizer(output_length=undercount)(torch.zeros(2, 17, 40), torch.tensor([17, 9]))


def test_normalize_makes_the_model_blind_to_a_per_mel_offset_and_scale():
    torch.manual_seed(0)
    model = CTCRecognizer(n_mels=16, channels=4, hidden_size=8, normalize=True).double()
    feats, lengths = torch.randn(2, 40, 16, dtype=torch.float64), torch.tensor([40, 25])
    shifted = feats + torch.randn(16, dtype=torch.float64) * 5
    torch.testing.assert_close(model(feats, lengths)[0], model(shifted, lengths)[0], rtol=1e-9, atol=1e-9)
    scaled = feats * 2.5                     # (x - m) / (s + eps): the eps = 1e-3 leaves a trace of the scale
    torch.testing.assert_close(model(feats, lengths)[0], model(scaled, lengths)[0], rtol=0, atol=1e-2)


def test_it_learns_a_tiny_batch():
    torch.manual_seed(0)
    model = CTCRecognizer(n_mels=8, channels=4, hidden_size=32)
    targets = torch.tensor([[3, 5, 5], [1, 2, 0]])
    target_lengths = torch.tensor([3, 2])
    feats = torch.randn(2, 40, 8)
    lengths = torch.tensor([40, 32])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        log_probs, out_lengths = model(feats, lengths)
        loss = F.ctc_loss(log_probs, targets, out_lengths, target_lengths)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.1
    assert ctc_greedy(*model(feats, lengths)) == [[3, 5, 5], [1, 2]]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n_classes=1), ValueError, "n_classes must be >= 2"),
    (dict(hidden_size=0), ValueError, "hidden_size must be >= 1"),
    (dict(num_layers=1.0), TypeError, "num_layers must be an int"),
    (dict(channels=0), ValueError, "channels must be >= 1"),
    (dict(n_mels="40"), TypeError, "n_mels must be an int"),
    (dict(normalize=1), TypeError, "normalize must be a bool"),
])
def test_bad_sizes_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        CTCRecognizer(**kwargs)


def test_bad_input_is_refused_naming_expected_and_got():
    model = CTCRecognizer(n_mels=16, channels=4, hidden_size=8)
    with pytest.raises(ValueError, match=r"n_mels = 16\), got torch.float32 \(2, 10, 40\)"):
        model(torch.randn(2, 10, 40), torch.tensor([10, 5]))
    with pytest.raises(ValueError, match=r"\[1, T = 10\]"):
        model(torch.randn(2, 10, 16), torch.tensor([10, 0]))
