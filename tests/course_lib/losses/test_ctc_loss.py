"""course_lib.losses.ctc: ctc_nll equals F.ctc_loss in float64 on seeded random batches (repeats, infeasible
targets, zero_infinity, target length 0, input length 0, blank other than 0, every reduction), and its gradients
through log_softmax equal torch's; it is the true gradient (gradcheck) -- w.r.t. the log-probabilities themselves
torch's backward adds exp(log_probs) (it assumes log_softmax inputs), which is tested as such; ctc_alpha and the
loss equal a brute-force sum over every frame-level path; a target needs T >= L + adjacent repeats; no NaN
gradients; bad input raises errors naming what was expected and what came."""
from __future__ import annotations

import itertools
import math
import random

import pytest
import torch
import torch.nn.functional as F

from course_lib.losses.ctc import _log_add, ctc_alpha, ctc_nll


def random_case(seed: int, feasible_only: bool = False):
    """log-probs (T, N, C) float64 (from logits, kept), padded targets with repeats, lengths, blank."""
    rng = random.Random(seed)
    t, n, c = rng.randint(1, 12), rng.randint(1, 4), rng.randint(2, 6)
    blank = rng.choice([0, 0, c - 1, rng.randrange(c)])
    labels = [k for k in range(c) if k != blank]
    alphabet = rng.sample(labels, rng.randint(1, min(2, len(labels))))     # few labels: repeats are common
    s = rng.randint(0, 6)
    targets = torch.tensor([[rng.choice(alphabet) for _ in range(s)] for _ in range(n)], dtype=torch.long)
    targets = targets.reshape(n, s)
    target_lengths = torch.tensor([rng.randint(0, s) for _ in range(n)])
    input_lengths = torch.tensor([rng.randint(0, t) for _ in range(n)])
    input_lengths[rng.randrange(n)] = t                                   # one at full length
    if feasible_only:
        for i in range(n):
            tl = int(target_lengths[i])
            need = tl + sum(int(targets[i, j] == targets[i, j + 1]) for j in range(tl - 1))
            if need > t:
                target_lengths[i], need = 0, 0
            input_lengths[i] = max(int(input_lengths[i]), need)
    g = torch.Generator().manual_seed(seed)
    logits = (torch.randn(t, n, c, generator=g, dtype=torch.float64) * 2).requires_grad_()
    return logits, targets, input_lengths, target_lengths, blank


CASES = range(150)
SETTINGS = [(reduction, zero_infinity) for reduction in ("none", "sum", "mean") for zero_infinity in (False, True)]


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Tiny tensors: torch's thread pool only adds overhead on a busy machine."""


def test_ctc_nll_equals_torch_ctc_loss_on_random_batches_for_every_reduction_and_zero_infinity():
    n_inf = 0
    for seed in CASES:
        logits, targets, il, tl, blank = random_case(seed)
        lp = logits.detach().log_softmax(-1)
        for reduction, zero_infinity in SETTINGS:
            ours = ctc_nll(lp, targets, il, tl, blank, reduction, zero_infinity)
            theirs = F.ctc_loss(lp, targets, il, tl, blank, reduction, zero_infinity)
            torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12,
                                       msg=f"seed {seed}, {reduction}, zero_infinity={zero_infinity}")
        n_inf += int(torch.isinf(F.ctc_loss(lp, targets, il, tl, blank, "none")).sum())
    assert n_inf > 30          # the random cases do exercise infeasible targets


def test_ctc_nll_gradients_through_log_softmax_equal_torchs_for_every_reduction_and_zero_infinity():
    compared = 0
    for seed in range(80):
        logits, targets, il, tl, blank = random_case(seed)
        for reduction, zero_infinity in SETTINGS:
            theirs = F.ctc_loss(logits.log_softmax(-1), targets, il, tl, blank, reduction, zero_infinity)
            if not torch.isfinite(theirs).all():
                continue                            # torch's gradient of an infinite loss is NaN
            weights = torch.rand(theirs.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
            ours = ctc_nll(logits.log_softmax(-1), targets, il, tl, blank, reduction, zero_infinity)
            g_ours, = torch.autograd.grad((ours * weights).sum(), logits)
            g_theirs, = torch.autograd.grad((theirs * weights).sum(), logits)
            torch.testing.assert_close(g_ours, g_theirs, rtol=1e-10, atol=1e-12,
                                       msg=f"seed {seed}, {reduction}, zero_infinity={zero_infinity}")
            compared += 1
    assert compared > 200


def test_ctc_nll_gradient_wrt_log_probs_is_torchs_minus_exp_log_probs():
    """torch's backward returns d loss / d log_probs + exp(log_probs) * (d out / d loss_n), a form that is only
    right after log_softmax; ours is the plain derivative."""
    for seed in range(40):
        logits, targets, il, tl, blank = random_case(seed, feasible_only=True)
        lp = logits.detach().log_softmax(-1).requires_grad_()
        g_ours, = torch.autograd.grad(ctc_nll(lp, targets, il, tl, blank, "sum"), lp)
        g_theirs, = torch.autograd.grad(F.ctc_loss(lp, targets, il, tl, blank, "sum"), lp)
        frames = torch.arange(lp.shape[0])[:, None] < il[None, :]                        # (T, N)
        torch.testing.assert_close(g_theirs - g_ours, lp.detach().exp() * frames[..., None], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_ctc_nll_passes_gradcheck_in_float64(reduction):
    logits = torch.randn(6, 3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    targets, il, tl = torch.tensor([[1, 1, 2], [3, 2, 0], [2, 0, 0]]), torch.tensor([6, 5, 3]), torch.tensor([3, 2, 0])
    fn = lambda x: ctc_nll(x.log_softmax(-1), targets, il, tl, 0, reduction)         # noqa: E731
    assert torch.autograd.gradcheck(fn, (logits.clone().requires_grad_(),))
    direct = lambda lp: ctc_nll(lp, targets, il, tl, 0, reduction)                    # noqa: E731
    assert torch.autograd.gradcheck(direct, (logits.log_softmax(-1).requires_grad_(),))


def test_ctc_nll_passes_gradcheck_with_zero_infinity_and_an_infeasible_target():
    logits = torch.randn(3, 2, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    targets, il, tl = torch.tensor([[1, 1, 2], [1, 2, 0]]), torch.tensor([3, 3]), torch.tensor([3, 2])
    fn = lambda x: ctc_nll(x.log_softmax(-1), targets, il, tl, zero_infinity=True)    # noqa: E731
    assert torch.autograd.gradcheck(fn, (logits.requires_grad_(),))


def test_infeasible_targets_give_zero_not_nan_gradients_with_and_without_zero_infinity():
    logits = torch.randn(3, 2, 4, dtype=torch.float64, requires_grad=True)
    targets, il, tl = torch.tensor([[1, 1, 2], [1, 2, 3]]), torch.tensor([3, 3]), torch.tensor([3, 2])
    for zero_infinity in (False, True):
        loss = ctc_nll(logits.log_softmax(-1), targets, il, tl, reduction="none", zero_infinity=zero_infinity)
        assert loss[0].item() == (0.0 if zero_infinity else math.inf) and math.isfinite(loss[1].item())
        grad, = torch.autograd.grad(loss[1] + (loss[0] if zero_infinity else 0), logits, retain_graph=True)
        assert torch.isfinite(grad).all() and (grad[:, 0] == 0).all() and (grad[:, 1] != 0).any()
        grad0, = torch.autograd.grad(loss[0], logits)
        assert (grad0 == 0).all()


# ------------------------------------------------------------------------------ brute force
def collapse(path, blank):
    out, prev = [], None
    for c in path:
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return out


def brute_alpha(lp: torch.Tensor, target: list[int], blank: int) -> torch.Tensor:
    t_max, c = lp.shape
    states = 2 * len(target) + 1
    alpha = torch.full((t_max, states), -math.inf, dtype=torch.float64)
    for t in range(t_max):
        for path in itertools.product(range(c), repeat=t + 1):
            labels = collapse(path, blank)
            for s in range(states):
                k = (s + 1) // 2                              # labels read by state s
                end = target[k - 1] if s % 2 else blank
                if labels == target[:k] and path[-1] == end:
                    score = sum(lp[i, path[i]].item() for i in range(t + 1))
                    alpha[t, s] = torch.logaddexp(alpha[t, s], torch.tensor(score, dtype=torch.float64))
    return alpha


def brute_nll(lp: torch.Tensor, target: list[int], blank: int) -> float:
    total = -math.inf
    for path in itertools.product(range(lp.shape[1]), repeat=lp.shape[0]):
        if collapse(path, blank) == target:
            score = sum(lp[i, p].item() for i, p in enumerate(path))
            total = float(torch.logaddexp(torch.tensor(total, dtype=torch.float64),
                                          torch.tensor(score, dtype=torch.float64)))
    return -total


BRUTE = [([1, 1], 0), ([1, 2], 0), ([2], 0), ([], 0), ([1, 1, 1], 0), ([0, 2], 1), ([1, 2, 1], 0), ([1, 1], 2)]


@pytest.mark.parametrize("target, blank", BRUTE)
def test_ctc_alpha_equals_the_brute_force_sum_over_paths(target, blank):
    lp = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(len(target))).log_softmax(-1)
    alpha = ctc_alpha(lp, torch.tensor(target, dtype=torch.long), blank)
    assert alpha.shape == (5, 2 * len(target) + 1) and alpha.dtype == torch.float64
    torch.testing.assert_close(alpha, brute_alpha(lp, target, blank), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("target, blank", BRUTE)
def test_ctc_nll_equals_the_brute_force_sum_over_paths(target, blank):
    lp = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(7)).log_softmax(-1)
    padded = torch.tensor([target + [0] * (3 - len(target))])
    ours = ctc_nll(lp[:, None], padded, [5], [len(target)], blank, reduction="none")
    assert ours.item() == pytest.approx(brute_nll(lp, target, blank), rel=1e-12)


def test_the_loss_is_minus_logsumexp_of_the_last_two_alphas():
    lp = torch.randn(7, 1, 4, dtype=torch.float64).log_softmax(-1)
    target = torch.tensor([3, 1, 1])
    alpha = ctc_alpha(lp[:, 0], target)
    loss = ctc_nll(lp, target[None], [7], [3], reduction="none")
    torch.testing.assert_close(loss[0], -torch.logsumexp(alpha[-1, -2:], 0))


def test_a_target_needs_as_many_frames_as_labels_plus_adjacent_repeats():
    lp = torch.randn(6, 1, 3, dtype=torch.float64).log_softmax(-1)
    for target in ([1, 1, 1], [1, 2, 1, 2], [1, 1, 2, 2], [2, 2, 2, 1]):
        need = len(target) + sum(a == b for a, b in zip(target, target[1:]))
        for t in range(1, 7):
            loss = ctc_nll(lp[:t], torch.tensor([target]), [t], [len(target)], reduction="none")
            assert math.isinf(loss.item()) == (t < need), (target, t)


def test_target_length_0_scores_the_all_blank_path():
    lp = torch.randn(4, 2, 3, dtype=torch.float64).log_softmax(-1)
    loss = ctc_nll(lp, torch.zeros(2, 0, dtype=torch.long), [4, 2], [0, 0], reduction="none")
    torch.testing.assert_close(loss, -torch.stack([lp[:4, 0, 0].sum(), lp[:2, 1, 0].sum()]))


def test_half_precision_log_probs_work_and_keep_their_dtype():
    lp = torch.randn(6, 2, 4).log_softmax(-1)
    targets, il, tl = torch.tensor([[1, 2], [3, 3]]), torch.tensor([6, 5]), torch.tensor([2, 2])
    for dtype in (torch.float16, torch.bfloat16):
        ours = ctc_nll(lp.to(dtype), targets, il, tl)
        assert ours.dtype == dtype
        torch.testing.assert_close(ours.float(), F.ctc_loss(lp, targets, il, tl), rtol=0.02, atol=0.02)


def test_input_length_0_gives_0_for_an_empty_target_and_inf_otherwise():
    lp = torch.randn(3, 2, 3, dtype=torch.float64).log_softmax(-1)
    loss = ctc_nll(lp, torch.tensor([[1], [1]]), [0, 0], [0, 1], reduction="none")
    assert loss.tolist() == [0.0, math.inf]


def test_mean_divides_each_loss_by_its_target_length_clamped_at_1():
    lp = torch.randn(8, 3, 4, dtype=torch.float64).log_softmax(-1)
    targets, il, tl = torch.tensor([[1, 2, 3], [1, 0, 0], [2, 2, 0]]), [8, 8, 8], torch.tensor([3, 0, 2])
    per = ctc_nll(lp, targets, il, tl, reduction="none")
    torch.testing.assert_close(ctc_nll(lp, targets, il, tl), (per / torch.tensor([3.0, 1.0, 2.0])).mean())
    torch.testing.assert_close(ctc_nll(lp, targets, il, tl, reduction="sum"), per.sum())


def test_padding_values_beyond_a_targets_length_are_ignored():
    lp = torch.randn(6, 2, 4, dtype=torch.float64).log_softmax(-1)
    a = ctc_nll(lp, torch.tensor([[1, 2, 0], [3, 0, 0]]), [6, 6], [2, 1], reduction="none")
    b = ctc_nll(lp, torch.tensor([[1, 2, 3], [3, 3, 3]]), [6, 6], [2, 1], reduction="none")
    torch.testing.assert_close(a, b)


def test_frames_beyond_an_input_length_change_nothing():
    lp = torch.randn(6, 2, 4, dtype=torch.float64).log_softmax(-1)
    other = lp.clone()
    other[4:, 0] = torch.randn(2, 4, dtype=torch.float64).log_softmax(-1)
    targets = torch.tensor([[1, 2], [3, 1]])
    torch.testing.assert_close(ctc_nll(lp, targets, [4, 6], [2, 2], reduction="none"),
                               ctc_nll(other, targets, [4, 6], [2, 2], reduction="none"))


def test_batch_of_one_and_length_one():
    lp = torch.randn(1, 1, 3, dtype=torch.float64).log_softmax(-1)
    torch.testing.assert_close(ctc_nll(lp, torch.tensor([[2]]), [1], [1], reduction="none"), -lp[0, :, 2])
    expected = torch.stack([lp[0, 0, 0], lp[0, 0, 2], torch.tensor(-math.inf, dtype=torch.float64)])[None]
    torch.testing.assert_close(ctc_alpha(lp[:, 0], torch.tensor([2])), expected)


def test_ctc_alpha_of_an_empty_target_is_the_running_blank_sum():
    lp = torch.randn(4, 3, dtype=torch.float64).log_softmax(-1)
    torch.testing.assert_close(ctc_alpha(lp, torch.zeros(0, dtype=torch.long)), lp[:, 0].cumsum(0)[:, None])


def test_ctc_nll_works_in_float32_and_keeps_the_dtype():
    lp = torch.randn(10, 2, 5).log_softmax(-1)
    targets, il, tl = torch.tensor([[1, 2], [3, 3]]), torch.tensor([10, 9]), torch.tensor([2, 2])
    ours = ctc_nll(lp, targets, il, tl)
    assert ours.dtype == torch.float32
    torch.testing.assert_close(ours, F.ctc_loss(lp, targets, il, tl), rtol=1e-5, atol=1e-5)


def test_ctc_nll_accepts_int32_targets_and_lists_of_lengths():
    lp = torch.randn(5, 2, 4, dtype=torch.float64).log_softmax(-1)
    a = ctc_nll(lp, torch.tensor([[1, 2], [3, 0]], dtype=torch.int32), [5, 4], [2, 1])
    b = F.ctc_loss(lp, torch.tensor([[1, 2], [3, 0]]), torch.tensor([5, 4]), torch.tensor([2, 1]))
    torch.testing.assert_close(a, b)


def test_log_add_is_minus_inf_with_zero_gradient_when_all_terms_are_minus_inf():
    x = torch.tensor([-math.inf, 0.5, -math.inf], requires_grad=True)
    y = torch.tensor([-math.inf, 1.5, 2.0], requires_grad=True)
    out = _log_add(x, y)
    assert out[0].item() == -math.inf
    torch.testing.assert_close(out[1:], torch.logaddexp(x, y)[1:])
    gx, gy = torch.autograd.grad(out[1:].sum() + 0 * out[0], (x, y))
    assert torch.isfinite(gx).all() and torch.isfinite(gy).all() and gx[0] == 0 and gy[0] == 0


# ------------------------------------------------------------------------------ bad input
LP = torch.randn(4, 2, 3).log_softmax(-1)
TG = torch.tensor([[1, 2], [2, 0]])


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((LP[0], TG, [4, 4], [2, 1]), {}, ValueError, r"shape \(T, N, C\), got \(2, 3\)"),
    ((LP.long(), TG, [4, 4], [2, 1]), {}, TypeError, "floating point .* got dtype torch.int64"),
    (([[0.0]], TG, [4, 4], [2, 1]), {}, TypeError, "tensor .T, N, C., got list"),
    ((LP, TG.float(), [4, 4], [2, 1]), {}, TypeError, "integer tensor .N, S.* got dtype torch.float32"),
    ((LP, TG.flatten(), [4, 4], [2, 1]), {}, ValueError, r"\(N, S\) with N = 2 .* got \(4,\)"),
    ((LP, TG[:1], [4, 4], [2, 1]), {}, ValueError, r"got \(1, 2\)"),
    ((LP, TG, [5, 4], [2, 1]), {}, ValueError, r"input_lengths must lie in \[0, 4\] .* max 5"),
    ((LP, TG, [4, -1], [2, 1]), {}, ValueError, "input_lengths must lie in .* min -1"),
    ((LP, TG, [4], [2, 1]), {}, ValueError, r"input_lengths must have shape \(N,\) = \(2,\), got \(1,\)"),
    ((LP, TG, torch.tensor([4.0, 4.0]), [2, 1]), {}, TypeError, "input_lengths must be an integer tensor"),
    ((LP, TG, [4, 4], [3, 1]), {}, ValueError, r"target_lengths must lie in \[0, 2\]"),
    ((LP, TG, [4, 4], [2, 2]), {}, ValueError, r"holds the blank \(0\) within its length"),
    ((LP, torch.tensor([[1, 3], [2, 0]]), [4, 4], [2, 1]), {}, ValueError, r"classes in \[0, 3\), got min 1, max 3"),
    ((LP, TG, [4, 4], [2, 1]), dict(blank=3), ValueError, r"blank must be a class index in \[0, 3\), got 3"),
    ((LP, TG, [4, 4], [2, 1]), dict(blank=0.0), TypeError, "blank must be an int"),
    ((LP, TG, [4, 4], [2, 1]), dict(reduction="average"), ValueError, "reduction must be one of"),
    ((LP, TG, [4, 4], [2, 1]), dict(zero_infinity=1), TypeError, "zero_infinity must be a bool"),
    ((LP.clone().fill_(float("nan")), TG, [4, 4], [2, 1]), {}, ValueError, "NaN or \\+inf"),
    ((LP[:, :0], TG[:0], [], []), {}, ValueError, r"must not be empty .* got \(4, 0, 3\)"),
    ((LP[:0], TG, [0, 0], [0, 0]), {}, ValueError, r"must not be empty .* got \(0, 2, 3\)"),
])
def test_ctc_nll_refuses_bad_input_naming_expected_and_got(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        ctc_nll(*args, **kwargs)


@pytest.mark.parametrize("args, error, match", [
    ((LP, torch.tensor([1])), ValueError, r"shape \(T, C\), got \(4, 2, 3\)"),
    ((LP[:, 0], torch.tensor([[1]])), ValueError, r"shape \(L,\) .one utterance., got \(1, 1\)"),
    ((LP[:, 0], [1, 2]), TypeError, "integer tensor .L.., got list"),
    ((LP[:, 0], torch.tensor([0, 1])), ValueError, "holds the blank"),
    ((LP[:, 0], torch.tensor([5])), ValueError, r"classes in \[0, 3\)"),
])
def test_ctc_alpha_refuses_bad_input_naming_expected_and_got(args, error, match):
    with pytest.raises(error, match=match):
        ctc_alpha(*args)
