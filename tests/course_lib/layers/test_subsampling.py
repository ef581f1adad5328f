"""course_lib.layers.subsampling: conv_output_length equals the lengths nn.Conv1d and nn.Conv2d produce for
many kernel sizes, strides, paddings and dilations (ints and tensors); 0 stays 0; too short is refused;
ConvSubsampler maps (B, T, n_mels) to (B, T', channels * n_mels') with out_lengths from output_length applied
twice, each utterance's output equal to its output alone (padding does not leak), batch 1, length 1, a custom
output_length is used and checked; gradients flow; bad input raises errors naming expected and got."""
from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from course_lib.layers.subsampling import ConvSubsampler, conv_output_length


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Tiny convolutions: torch's thread pool only adds overhead on a busy machine."""


GRID = list(itertools.product([1, 2, 3, 5], [1, 2, 3], [0, 1, 2], [1, 2]))   # kernel, stride, padding, dilation


def test_conv_output_length_equals_nn_conv1d_for_ints():
    for k, s, p, d in GRID:
        conv = nn.Conv1d(1, 1, k, stride=s, padding=p, dilation=d)
        for length in range(1, 30):
            if length + 2 * p < d * (k - 1) + 1:
                continue
            out = conv_output_length(length, k, s, p, d)
            assert type(out) is int and out == conv(torch.zeros(1, 1, length)).shape[-1], (length, k, s, p, d)


def test_conv_output_length_equals_nn_conv2d_per_dimension_for_tensors():
    for k, s, p, d in GRID[::3]:
        conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
        lengths = torch.tensor([L for L in range(1, 25) if L + 2 * p >= d * (k - 1) + 1])
        out = conv_output_length(lengths, k, s, p, d)
        assert out.dtype == torch.long and out.shape == lengths.shape
        for L, o in zip(lengths.tolist(), out.tolist()):
            assert o == conv(torch.zeros(1, 1, L, 7)).shape[2]


def test_conv_output_length_keeps_a_tensors_shape_and_accepts_int32():
    lengths = torch.tensor([[10, 11], [12, 13]], dtype=torch.int32)
    out = conv_output_length(lengths, 3, 2, 1)
    assert out.dtype == torch.long and out.tolist() == [[5, 6], [6, 7]]


def test_conv_output_length_of_0_is_0():
    assert conv_output_length(0, 3, 2, 1) == 0 and conv_output_length(0, 5) == 0
    assert conv_output_length(torch.tensor([0, 4]), 3).tolist() == [0, 2]


def test_the_course_subsampling_quarters_the_frames():
    twice = lambda L: conv_output_length(conv_output_length(L, 3, 2, 1), 3, 2, 1)  # noqa: E731
    assert [twice(L) for L in (1, 2, 4, 5, 100, 101, 429)] == [1, 1, 1, 2, 25, 26, 108]


@pytest.mark.parametrize("args, error, match", [
    ((2, 3), ValueError, r"a length of 2 is shorter than the kernel's reach: .* = 3"),
    ((torch.tensor([5, 1]), 3), ValueError, "a length of 1 is shorter"),
    ((2, 2, 1, 0, 2), ValueError, r"a length of 2 .* = 3"),
    ((-1, 3), ValueError, "lengths must be >= 0, got -1"),
    ((torch.tensor([-2]), 3), ValueError, "lengths must be >= 0, got a minimum of -2"),
    ((torch.tensor([4.0]), 3), TypeError, "integer tensor, got a tensor of dtype torch.float32"),
    ((4.0, 3), TypeError, "lengths must be an int, got float"),
    ((4, 0), ValueError, "kernel_size must be >= 1, got 0"),
    ((4, 3, 0), ValueError, "stride must be >= 1"),
    ((4, 3, 1, -1), ValueError, "padding must be >= 0"),
    ((4, 3, 1, 0, 0), ValueError, "dilation must be >= 1"),
    ((4, 3, True), TypeError, "stride must be an int, got bool"),
])
def test_conv_output_length_refuses_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        conv_output_length(*args)


# ------------------------------------------------------------------------------ ConvSubsampler
def test_conv_subsampler_shapes_and_lengths():
    torch.manual_seed(0)
    m = ConvSubsampler(40, channels=8)
    out, lengths = m(torch.randn(3, 100, 40), torch.tensor([100, 37, 1]))
    assert out.shape == (3, 25, 8 * 10) and m.out_features == 80 and m.out_mels == 10
    assert lengths.tolist() == [conv_output_length(conv_output_length(L, 3, 2, 1), 3, 2, 1) for L in (100, 37, 1)]
    assert lengths.dtype == torch.long


def test_conv_subsampler_is_two_strided_conv2d_with_relu():
    torch.manual_seed(0)
    m = ConvSubsampler(13, channels=4)
    feats = torch.randn(1, 20, 13)
    x = torch.relu(m.conv2(torch.relu(m.conv1(feats[:, None]))))                # (1, 4, 5, 4)
    out, _ = m(feats, torch.tensor([20]))
    torch.testing.assert_close(out, x.permute(0, 2, 1, 3).reshape(1, 5, 16))


def test_conv_subsampler_output_does_not_depend_on_the_batch_padding():
    torch.manual_seed(0)
    m = ConvSubsampler(16, channels=4).double()
    feats = torch.randn(4, 41, 16, dtype=torch.float64)
    lengths = torch.tensor([41, 30, 9, 1])
    out, out_lengths = m(feats, lengths)
    for b in range(4):
        alone, alone_len = m(feats[b: b + 1, : lengths[b]], lengths[b: b + 1])
        assert alone_len.item() == out_lengths[b].item()
        torch.testing.assert_close(out[b, : out_lengths[b]], alone[0], rtol=1e-12, atol=1e-12)
        assert (out[b, out_lengths[b]:] == 0).all()


def test_conv_subsampler_ignores_what_is_in_the_padding():
    torch.manual_seed(0)
    m = ConvSubsampler(8, channels=3)
    feats = torch.randn(2, 30, 8)
    other = feats.clone()
    other[1, 11:] = 1e3
    lengths = torch.tensor([30, 11])
    torch.testing.assert_close(m(feats, lengths)[0], m(other, lengths)[0])


def test_conv_subsampler_batch_of_one_and_length_one():
    out, lengths = ConvSubsampler(40)(torch.randn(1, 1, 40), torch.tensor([1]))
    assert out.shape == (1, 1, 320) and lengths.tolist() == [1]


def test_conv_subsampler_uses_the_output_length_it_is_given():
    calls = []

    def mine(lengths, kernel_size, stride=1, padding=0, dilation=1):
        calls.append((lengths.tolist(), kernel_size, stride, padding))
        return conv_output_length(lengths, kernel_size, stride, padding, dilation)

    ConvSubsampler(40, 4, output_length=mine)(torch.randn(2, 50, 40), torch.tensor([50, 20]))
    assert calls == [([50, 20], 3, 2, 1), ([25, 10], 3, 2, 1)]


def test_conv_subsampler_refuses_an_output_length_that_disagrees_with_the_convolution():
    wrong = lambda lengths, kernel_size, stride=1, padding=0, dilation=1: lengths // stride + 1  # noqa: E731
    m = ConvSubsampler(40, 4, output_length=wrong)
    with pytest.raises(ValueError, match=r"gave lengths in \[26, 26\] after convolution 1, but its output has "
                                         r"25 frames"):
        m(torch.randn(1, 50, 40), torch.tensor([50]))
    m = ConvSubsampler(40, 4, output_length=lambda lengths, **kw: lengths.tolist())
    with pytest.raises(ValueError, match="must return a tensor of shape"):
        m(torch.randn(1, 50, 40), torch.tensor([50]))
    m = ConvSubsampler(40, 4, output_length=lambda lengths, **kw: conv_output_length(lengths, **kw).float())
    with pytest.raises(TypeError, match="must return an integer tensor .* got dtype torch.float32"):
        m(torch.randn(1, 50, 40), torch.tensor([50]))
    with pytest.raises(TypeError, match="output_length must be a function"):
        ConvSubsampler(40, output_length=3)


def test_conv_subsampler_refuses_an_output_length_wrong_for_a_shorter_row_only():
    def odd_wrong(lengths, kernel_size, stride=1, padding=0, dilation=1):    # L // 2: one short for odd L
        return torch.where(lengths == lengths.max(), conv_output_length(lengths, kernel_size, stride, padding),
                           lengths // stride)
    with pytest.raises(ValueError, match=r"output_length\(9, kernel_size=3, stride=2, padding=1\) gave 4 frames "
                                         r"after convolution 1, but the convolution makes 5 frames of a row of 9"):
        ConvSubsampler(40, 4, output_length=odd_wrong)(torch.randn(2, 20, 40), torch.tensor([20, 9]))


def test_conv_subsampler_accepts_a_correct_output_length_for_every_length():
    m = ConvSubsampler(8, 2)
    feats = torch.randn(60, 60, 8)
    out, lengths = m(feats, torch.arange(1, 61))
    assert lengths.tolist() == [conv_output_length(conv_output_length(L, 3, 2, 1), 3, 2, 1) for L in range(1, 61)]


def test_conv_subsampler_refuses_nan_features():
    with pytest.raises(ValueError, match="finite, got NaN or inf"):
        ConvSubsampler(40, 4)(torch.full((1, 5, 40), float("nan")), torch.tensor([5]))


def test_conv_subsampler_passes_gradients_to_its_input():
    m = ConvSubsampler(8, channels=2).double()
    feats = torch.randn(2, 9, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda f: m(f, torch.tensor([9, 5]))[0], (feats,))


@pytest.mark.parametrize("feats, lengths, match", [
    (torch.randn(2, 10, 39), torch.tensor([10, 5]), r"\(B, T, n_mels = 40\), got torch.float32 \(2, 10, 39\)"),
    (torch.randn(10, 40), torch.tensor([10]), r"got torch.float32 \(10, 40\)"),
    (torch.zeros(2, 10, 40, dtype=torch.long), torch.tensor([10, 5]), "got torch.int64"),
    (torch.randn(2, 10, 40), torch.tensor([10]), r"integer tensor \(B,\) = \(2,\), got torch.int64 \(1,\)"),
    (torch.randn(2, 10, 40), torch.tensor([10.0, 5.0]), "got torch.float32"),
    (torch.randn(2, 10, 40), torch.tensor([11, 5]), r"\[1, T = 10\], got min 5, max 11"),
    (torch.randn(2, 10, 40), torch.tensor([10, 0]), "got min 0"),
])
def test_conv_subsampler_refuses_bad_input(feats, lengths, match):
    with pytest.raises(ValueError, match=match):
        ConvSubsampler(40, 4)(feats, lengths)
