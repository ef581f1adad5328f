"""course_lib.training.benchmark: the harness of Day 13's "course in one table". The four models map ids to
logits at every position; the recurrent layers have exactly the course's parameter formula (GRU 3x, LSTM 4x the
RNN); the attention model attends causally to its own earlier states (brute force in float64, gradcheck); the
timer returns the median of the timed steps per length and model, in a shuffled order, and trains them; recall
accuracy counts only the copied symbols; the names data is Day 08's split; nats per character matches
cross-entropy by hand; the n-gram baseline is Day 08's (order and k chosen on validation); bad arguments (shapes,
models without an embedding, empty or non-finite values) are rejected with messages that say what was expected."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course_lib.training.benchmark as bm
from course_lib.data.tasks import IGNORE, copy_task
from course_lib.models.ngram import NGramLM


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


# ------------------------------------------------------------------------------ models and parameters
@pytest.mark.parametrize("cell", bm.CELLS)
def test_every_model_maps_ids_b_t_to_logits_b_t_v(cell):
    torch.manual_seed(0)
    model = bm.SequenceModel(cell, 11, embed_dim=5, hidden=7)
    for shape in ((3, 9), (1, 1), (1, 4), (2, 1)):
        ids = torch.randint(0, 11, shape)
        assert model(ids).shape == (*shape, 11)


@pytest.mark.parametrize("cell", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("sizes", [(16, 64), (1, 1), (7, 3)])
def test_recurrent_layer_parameters_equal_the_course_formula(cell, sizes):
    D, H = sizes
    model = bm.SequenceModel(cell, 10, embed_dim=D, hidden=H)
    assert bm.count_parameters(model.rnn) == bm.recurrent_parameter_formula(cell, D, H)
    assert bm.count_parameters(getattr(nn, cell)(D, H)) == bm.recurrent_parameter_formula(cell, D, H)


def test_gru_has_3_and_lstm_4_times_the_rnn_recurrent_parameters():
    rnn = bm.recurrent_parameter_formula("RNN", 16, 64)
    assert rnn == 64 * (16 + 64) + 2 * 64
    assert bm.recurrent_parameter_formula("GRU", 16, 64) == 3 * rnn
    assert bm.recurrent_parameter_formula("LSTM", 16, 64) == 4 * rnn
    assert bm.recurrent_parameter_formula("GRU+attention", 16, 64) == 3 * rnn


def test_attention_model_adds_the_score_matrix_and_a_wider_read_out():
    V, E, H = 10, 16, 64
    plain, attn = bm.SequenceModel("GRU", V, E, H), bm.SequenceModel("GRU+attention", V, E, H)
    assert bm.count_parameters(attn) - bm.count_parameters(plain) == H * H + H * V


def test_count_parameters_skips_frozen_parameters_and_rejects_non_modules():
    layer = nn.Linear(3, 2)
    layer.bias.requires_grad_(False)
    assert bm.count_parameters(layer) == 6
    with pytest.raises(TypeError, match="nn.Module"):
        bm.count_parameters(torch.zeros(3))


@pytest.mark.parametrize("cell", bm.CELLS)
def test_no_model_looks_at_later_positions(cell):
    torch.manual_seed(1)
    model = bm.SequenceModel(cell, 9, embed_dim=4, hidden=6).eval()
    ids = torch.randint(0, 9, (2, 8))
    changed = ids.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % 9
    with torch.no_grad():
        a, b = model(ids), model(changed)
    torch.testing.assert_close(a[:, :5], b[:, :5], rtol=0, atol=0)
    assert not torch.allclose(a[:, 5:], b[:, 5:])


def test_attention_equals_a_step_by_step_softmax_over_earlier_states_in_float64():
    torch.manual_seed(2)
    model = bm.SequenceModel("GRU+attention", 8, embed_dim=3, hidden=5).double()
    ids = torch.randint(0, 8, (3, 6))
    states, _ = model.rnn(model.embed(ids))                                   # (B, T, H)
    W = model.score.weight                                                     # query -> W q
    expected = []
    for t in range(ids.shape[1]):
        q = states[:, t] @ W.T                                                 # (B, H)
        scores = torch.einsum("bh,bsh->bs", q, states[:, :t + 1])              # (B, t + 1)
        context = torch.einsum("bs,bsh->bh", scores.softmax(dim=-1), states[:, :t + 1])
        expected.append(model.head(torch.cat([states[:, t], context], dim=-1)))
    torch.testing.assert_close(model(ids), torch.stack(expected, dim=1), rtol=1e-12, atol=1e-12)


def test_attention_model_passes_gradcheck_in_float64():
    torch.manual_seed(3)
    model = bm.SequenceModel("GRU+attention", 6, embed_dim=3, hidden=4).double()
    ids = torch.randint(0, 6, (2, 5))
    names = ["score.weight", "embed.weight"]
    params = dict(model.named_parameters())

    def f(w_score, w_embed):
        return torch.func.functional_call(model, {**params, "score.weight": w_score, "embed.weight": w_embed},
                                          (ids,))

    inputs = tuple(params[n].detach().clone().requires_grad_(True) for n in names)
    assert torch.autograd.gradcheck(f, inputs)


def test_models_reject_unknown_cells_bad_sizes_and_bad_ids_saying_what_came():
    with pytest.raises(ValueError, match=r"cell must be one of .*'Transformer'"):
        bm.SequenceModel("Transformer", 10)
    with pytest.raises(ValueError, match=r"hidden must be an integer >= 1, got 0"):
        bm.SequenceModel("GRU", 10, hidden=0)
    model = bm.SequenceModel("RNN", 10)
    with pytest.raises(ValueError, match=r"long tensor \(B, T\), got torch.float32 of shape \(2, 3\)"):
        model(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"long tensor \(B, T\), got torch.int64 of shape \(3,\)"):
        model(torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"in \[0, 10\), got values from 0 to 10"):
        model(torch.tensor([[0, 10]]))
    with pytest.raises(ValueError, match="cell must be one of"):
        bm.recurrent_parameter_formula("gru", 3, 4)


# ------------------------------------------------------------------------------ timing
def test_time_train_steps_gives_one_positive_median_per_length_and_model_and_trains_them():
    torch.manual_seed(4)
    models = {c: bm.SequenceModel(c, 7, embed_dim=4, hidden=8) for c in ("RNN", "GRU+attention")}
    before = {c: m.head.weight.detach().clone() for c, m in models.items()}
    times = bm.time_train_steps(models, batch=2, lengths=(5, 3), warmup=1, repeat=3)
    assert list(times) == [5, 3] and all(list(t) == ["RNN", "GRU+attention"] for t in times.values())
    assert all(isinstance(t, float) and 0 < t < 5 for per in times.values() for t in per.values())
    assert all(not torch.equal(before[c], m.head.weight) for c, m in models.items())


def test_time_train_steps_takes_the_median_of_the_timed_steps(monkeypatch):
    clock = iter([0.0, 10.0, 13.0, 20.0, 22.0, 30.0, 35.0, 40.0, 40.5])   # warm-up start, then 3, 2, 5, 0.5 s
    monkeypatch.setattr(bm, "_clock", lambda: next(clock))
    times = bm.time_train_steps({"RNN": bm.SequenceModel("RNN", 5, 2, 3)}, 2, (4,), warmup=1, repeat=4)
    assert times == {4: {"RNN": 2.5}}


def test_time_train_steps_times_every_length_and_model_repeat_times_in_a_shuffled_order(monkeypatch):
    order = []
    monkeypatch.setattr(bm, "_lm_loss", lambda model, pair, ignore_index: (
        order.append((pair[0].shape[1], model.cell)), model(pair[0]).sum())[1])
    models = {c: bm.SequenceModel(c, 5, 2, 3) for c in ("RNN", "LSTM", "GRU")}
    bm.time_train_steps(models, 2, (3, 4), warmup=1, repeat=5)
    rounds = [order[i:i + 6] for i in range(0, len(order), 6)]
    assert len(rounds) == 6 and all(sorted(r) == sorted((L, c) for L in (3, 4) for c in models) for r in rounds)
    assert len({tuple(r) for r in rounds}) > 1


def test_harness_functions_say_they_need_a_model_with_an_embedding(names):
    splits, vocab = names
    for call in (lambda: bm.time_train_steps({"linear": nn.Linear(3, 3)}, 2, (3,)),
                 lambda: bm.copy_recall(nn.GRU(3, 3), 5, 1),
                 lambda: bm.train_char_lm(nn.Linear(3, 3), splits.train, vocab, 1)):
        with pytest.raises(TypeError, match=r"an `embed` nn.Embedding \(a SequenceModel\), got (Linear|GRU)"):
            call()


def test_train_char_lm_refuses_empty_or_non_string_texts(names):
    _, vocab = names
    model = bm.SequenceModel("GRU", len(vocab), 4, 8)
    for texts in ([], "anna", ["anna", 3]):
        with pytest.raises(ValueError, match="texts must be a non-empty list of strings"):
            bm.train_char_lm(model, texts, vocab, 1)


def test_time_train_steps_rejects_empty_models_and_bad_counts():
    model = {"RNN": bm.SequenceModel("RNN", 5, 2, 3)}
    with pytest.raises(ValueError, match="models is empty"):
        bm.time_train_steps({}, 2, (3,))
    with pytest.raises(ValueError, match="repeat must be an integer >= 1, got 0"):
        bm.time_train_steps(model, 2, (3,), repeat=0)
    with pytest.raises(ValueError, match="warmup must be an integer >= 0, got -1"):
        bm.time_train_steps(model, 2, (3,), warmup=-1)
    with pytest.raises(ValueError, match="length must be an integer >= 1, got 0"):
        bm.time_train_steps(model, 2, (3, 0))
    with pytest.raises(ValueError, match=r"lengths must be a non-empty sequence of ints, e.g. \(100, 400\), got 3"):
        bm.time_train_steps(model, 2, 3)


# ------------------------------------------------------------------------------ copy task
class _Oracle(nn.Module):
    """Predicts given logits whatever the input: to check what recall_accuracy counts."""

    def __init__(self, logits):
        super().__init__()
        self.embed = nn.Embedding(logits.shape[-1], 1)
        self.logits = logits

    def forward(self, ids):
        return self.logits


def test_recall_accuracy_counts_only_the_copied_symbols():
    inputs, targets = copy_task(4, 3, 2, 8, generator=torch.Generator().manual_seed(0))   # (4, 8)
    guess = targets.clamp(min=0)                                                # right on every target
    guess[0, -1] = (guess[0, -1] % 8) + 1                                       # one copied symbol wrong
    guess[:, 0] = 0                                                             # ignored positions: wrong
    logits = F.one_hot(guess, 10).float()
    assert bm.recall_accuracy(_Oracle(logits), inputs, targets) == pytest.approx(11 / 12)


def test_recall_accuracy_names_the_shapes_when_inputs_targets_or_logits_disagree():
    model = bm.SequenceModel("RNN", 10, 2, 3)
    with pytest.raises(ValueError, match=r"same shape, got \(2, 5\) and \(3, 5\)"):
        bm.recall_accuracy(model, torch.zeros(2, 5, dtype=torch.long), torch.zeros(3, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"same shape, got \(5,\) and \(5,\)"):
        bm.recall_accuracy(model, torch.zeros(5, dtype=torch.long), torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"logits \(B, T, V\) = \(2, 3, 'V'\), got \(2, 10\)"):
        bm.recall_accuracy(_Oracle(torch.zeros(2, 10)), torch.zeros(2, 3, dtype=torch.long),
                           torch.zeros(2, 3, dtype=torch.long))


def test_recall_accuracy_rejects_targets_without_symbols():
    targets = torch.full((2, 3), IGNORE)
    with pytest.raises(ValueError, match="no symbol to recall"):
        bm.recall_accuracy(_Oracle(torch.zeros(2, 3, 10)), torch.zeros(2, 3, dtype=torch.long), targets)


def test_copy_recall_trains_a_gru_to_recall_at_distance_one():
    torch.manual_seed(0)
    model = bm.SequenceModel("GRU", 10, embed_dim=8, hidden=32)
    accuracy = bm.copy_recall(model, 1, 60, n_copy=1, batch=32, lr=3e-2, n_test=200)
    assert accuracy > 0.9


def test_copy_recall_is_repeatable_with_a_seed_and_rejects_a_wrong_vocabulary():
    runs = []
    for _ in range(2):
        torch.manual_seed(5)
        runs.append(bm.copy_recall(bm.SequenceModel("RNN", 10, 4, 8), 3, 5, batch=8, n_test=50, seed=2))
    assert runs[0] == runs[1]
    with pytest.raises(ValueError, match=r"n_symbols \+ 2 = 10 tokens, the model has 12"):
        bm.copy_recall(bm.SequenceModel("RNN", 12, 4, 8), 3, 5)


# ------------------------------------------------------------------------------ names LM
@pytest.fixture(scope="module")
def names():
    return bm.names_data()


def test_names_data_is_day08s_80_10_10_split_with_a_30_symbol_vocabulary(names):
    splits, vocab = names
    n = len(splits.train) + len(splits.validation) + len(splits.test)
    assert abs(len(splits.train) - 0.8 * n) <= 1 and abs(len(splits.test) - 0.1 * n) <= 1
    assert not set(splits.train) & set(splits.test) and not set(splits.validation) & set(splits.test)
    assert len(vocab) == 30


def test_lm_batch_shifts_by_one_and_pads_on_the_right(names):
    _, vocab = names
    x, y = bm.lm_batch(["ab", "abcd"], vocab)
    assert x.shape == y.shape == (2, 5)
    assert x[:, 0].tolist() == [vocab.bos_id] * 2
    assert y[0].tolist() == vocab.encode("ab").tolist()[1:] + [vocab.pad_id] * 2
    assert torch.equal(x[1, 1:], y[1, :-1])
    with pytest.raises(ValueError, match="non-empty list of strings"):
        bm.lm_batch("ab", vocab)


def test_nats_per_char_of_a_uniform_model_is_log_v(names):
    splits, vocab = names
    model = bm.SequenceModel("LSTM", len(vocab), 4, 8, pad_id=vocab.pad_id)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    assert bm.nats_per_char(model, splits.test[:50], vocab) == pytest.approx(math.log(len(vocab)), abs=1e-6)


def test_nats_per_char_equals_cross_entropy_over_real_symbols_by_hand(names):
    splits, vocab = names
    torch.manual_seed(6)
    model = bm.SequenceModel("GRU+attention", len(vocab), 4, 8, pad_id=vocab.pad_id)
    texts = splits.validation[:20]
    total, count = 0.0, 0
    with torch.no_grad():
        for text in texts:                                                     # one name at a time: no padding
            ids = vocab.encode(text).unsqueeze(0)                              # (1, n + 2)
            logp = model(ids[:, :-1]).log_softmax(dim=-1)[0]                   # (n + 1, V)
            total -= logp.gather(1, ids[0, 1:, None]).sum().item()
            count += ids.shape[1] - 1
    assert bm.nats_per_char(model, texts, vocab) == pytest.approx(total / count, rel=1e-5)


def test_train_char_lm_lowers_the_loss_and_checks_the_vocabulary(names):
    splits, vocab = names
    torch.manual_seed(7)
    model = bm.SequenceModel("GRU", len(vocab), 8, 16, pad_id=vocab.pad_id)
    before = bm.nats_per_char(model, splits.validation, vocab)
    losses = bm.train_char_lm(model, splits.train, vocab, 40, batch=32, lr=2e-2)
    assert len(losses) == 40
    assert bm.nats_per_char(model, splits.validation, vocab) < before - 0.3
    with pytest.raises(ValueError, match=r"vocabulary \(12\) is not the names vocabulary \(30\)"):
        bm.train_char_lm(bm.SequenceModel("GRU", 12), splits.train, vocab, 1)


def test_ngram_nats_chooses_order_and_k_on_validation_and_scores_the_test_names(names):
    splits, _ = names
    best = bm.ngram_nats(splits, orders=(1, 2), ks=(0.1, 1.0))
    val = {(n, k): NGramLM(n, k).fit(splits.train).nll(splits.validation) for n in (1, 2) for k in (0.1, 1.0)}
    assert (best.order, best.k) == min(val, key=val.get) == (2, best.k)
    assert best.validation == pytest.approx(val[best.order, best.k])
    assert best.test == pytest.approx(NGramLM(2, best.k).fit(splits.train).nll(splits.test))
    with pytest.raises(ValueError, match=r"non-empty, got orders=\(3,\), ks=\(\)"):
        bm.ngram_nats(splits, orders=(3,), ks=())


# ------------------------------------------------------------------------------ small helpers
def test_seed_spread_is_max_minus_min_and_zero_for_one_seed():
    assert bm.seed_spread([2.0, 2.5, 2.1]) == pytest.approx(0.5)
    assert bm.seed_spread([3.0]) == 0.0
    assert bm.seed_spread((1, 4)) == 3


def test_seed_spread_refuses_empty_non_numeric_and_non_finite_values_saying_which():
    with pytest.raises(ValueError, match=r"non-empty sequence of numbers .* got \[\]"):
        bm.seed_spread([])
    with pytest.raises(ValueError, match="non-empty sequence of numbers"):
        bm.seed_spread("12")
    with pytest.raises(TypeError, match=r"values\[1\] must be a number, got str 'a'"):
        bm.seed_spread([1.0, "a"])
    with pytest.raises(ValueError, match=r"values\[0\] is nan: every seed's value must be finite"):
        bm.seed_spread([math.nan, 1.0])
    with pytest.raises(ValueError, match=r"values\[1\] is inf"):
        bm.seed_spread([1.0, math.inf])
