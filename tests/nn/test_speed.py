"""The speed machinery of the numpy engine (issue 16) keeps the results what they were:
flat parameter buffers, chunked threaded updates, cheaper dropout masks, the BLAS thread
choice. (Speed itself is measured by `make bench`, not here.)"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from fcnet import nn
from fcnet.nn import _threads


@pytest.fixture
def threads():
    before = _threads.get_num_threads()
    yield _threads.set_num_threads
    _threads.set_num_threads(before)


@pytest.mark.parametrize("n_threads", [1, 2, 3])
@pytest.mark.parametrize("n", [1, 1000, _threads.MIN_CHUNK * 5 + 7])
def test_run_chunks_covers_every_element_once(threads, n_threads, n):
    threads(n_threads)
    hits = np.zeros(n, np.int64)
    seen = set()
    lock = threading.Lock()

    def fn(lo, hi):
        hits[lo:hi] += 1
        with lock:
            seen.add(threading.get_ident())

    _threads.run_chunks(fn, n)
    assert (hits == 1).all()
    if n_threads == 1:
        assert seen == {threading.get_ident()}


def test_run_chunks_raises_what_a_chunk_raised_and_does_not_hang(threads):
    threads(2)

    def fn(lo, hi):
        if lo > 0:
            raise ValueError(f"chunk at {lo}")

    with pytest.raises(ValueError, match="chunk at"):
        _threads.run_chunks(fn, _threads.MIN_CHUNK * 6)
    with pytest.raises(ValueError, match="threads: expected an int >= 1"):
        _threads.set_num_threads(0)


def _model(dtype="float32", dropout=0.0):
    rng = np.random.default_rng(0)
    layers = [nn.Linear(5, 300, rng=rng, dtype=dtype), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout, rng=rng))
    return nn.Sequential(*layers, nn.Linear(300, 3, rng=rng, dtype=dtype))


def _train(model, opt, steps=5):
    rng = np.random.default_rng(1)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        x = rng.standard_normal((16, 5)).astype(model.dtype)
        loss_fn(model(x), rng.integers(0, 3, 16))
        opt.zero_grad()
        model.backward(loss_fn.backward(), need_input_grad=False)
        opt.step()


def test_parameters_live_in_the_optimisers_flat_buffer():
    model = _model()
    opt = nn.Adam(model.parameters())
    for p in model.parameters():
        assert np.shares_memory(p.data, opt._data) and np.shares_memory(p.grad, opt._grad)
    _train(model, opt)
    for p, m in zip(model.parameters(), opt.exp_avg, strict=True):
        assert np.shares_memory(p.data, opt._data) and np.shares_memory(m, opt._m)
        assert np.abs(m).sum() > 0  # the moments moved


@pytest.mark.parametrize("n_threads", [1, 2])
def test_flat_threaded_adam_equals_the_per_parameter_formula(threads, n_threads):
    """Adam on the flat buffers, in chunks on threads, against the textbook lines per
    parameter (float64, so any difference is an error, not rounding)."""
    threads(n_threads)
    _threads.MIN_CHUNK, before = 1024, _threads.MIN_CHUNK  # several chunks on this model
    try:
        model = _model("float64")
        ref = {k: v.copy() for k, v in model.state_dict().items()}
        opt = nn.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
        m = {k: np.zeros_like(v) for k, v in ref.items()}
        v = {k: np.zeros_like(w) for k, w in ref.items()}
        rng = np.random.default_rng(2)
        for t in range(1, 4):
            grads = {k: rng.standard_normal(w.shape) for k, w in ref.items()}
            for name, p in model.named_parameters():
                p.grad = grads[name]
            opt.step()
            for k, w in ref.items():
                g = grads[k] + 1e-3 * w
                m[k] = 0.9 * m[k] + 0.1 * g
                v[k] = 0.999 * v[k] + 0.001 * g * g
                mhat, vhat = m[k] / (1 - 0.9**t), v[k] / (1 - 0.999**t)
                ref[k] = w - 1e-2 * mhat / (np.sqrt(vhat) + 1e-8)
        for k, w in model.state_dict().items():
            np.testing.assert_allclose(w, ref[k], rtol=1e-12, atol=1e-14, err_msg=k)
    finally:
        _threads.MIN_CHUNK = before


def test_replaced_data_and_assigned_grads_are_taken_into_the_buffers():
    p = nn.Parameter(np.ones(4, np.float32))
    opt = nn.SGD([p], lr=0.5)
    p.data = np.full(4, 3.0, np.float32)  # replaced, not written into
    p.grad = np.ones(4, np.float32)
    opt.step()
    np.testing.assert_array_equal(p.data, [2.5] * 4)
    assert np.shares_memory(p.data, opt._data)
    with pytest.raises(ValueError, match="expected parameters of one dtype"):
        nn.Adam([nn.Parameter(np.ones(2, np.float32)), nn.Parameter(np.ones(2))])


def test_a_second_optimiser_on_the_same_parameters_takes_them_over():
    model = _model()
    a = nn.Adam(model.parameters())
    b = nn.Adam(model.parameters())
    _train(model, b, steps=2)
    assert all(np.shares_memory(p.data, b._data) for p in model.parameters())
    _train(model, a, steps=2)  # a gathers them back, values kept
    assert all(np.shares_memory(p.data, a._data) for p in model.parameters())
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_dropout_masks_keep_one_minus_p_and_average_one():
    d = nn.Dropout(0.2, rng=0)
    x = np.ones((400, 500), np.float32)
    out = d(x)
    kept = out != 0
    assert abs(kept.mean() - 0.8) < 0.005
    assert np.unique(out[kept]).size == 1
    assert out.mean() == pytest.approx(1.0, abs=0.01)  # E[mask] = 1
    np.testing.assert_array_equal(d.backward(np.ones_like(x)), out)  # d(x mask)/dx = mask
    again = nn.Dropout(0.2, rng=0)(x)
    np.testing.assert_array_equal(again, out)  # the seed decides the mask
    odd = nn.Dropout(0.5, rng=1)(np.ones((3, 7), np.float32))  # 21 values: not a multiple of 4
    assert set(np.unique(odd)) <= {0.0, 2.0}


@pytest.mark.parametrize("fast", ["one", "all"])
def test_blas_threads_keep_the_faster_choice_and_restore_the_setting(fast):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2, user_api="blas"):  # two to choose from
        _blas_threads_choose(fast)


def _blas_threads_choose(fast):
    blas = _threads.BlasThreads()
    assert blas.choices == (1, 2)
    blas.current = 2  # as on a quiet machine (a loaded one starts with 1)
    before = [lib.num_threads for lib in blas._libs]
    now = [0.0]
    blas._clock = lambda: now[0]  # a clock under which the slow choice's steps take 10x

    def step():
        one = blas._libs[0].num_threads == 1
        now[0] += 1.0 if one == (fast == "one") else 10.0
        return "done"

    assert all(blas.run(step) == "done" for _ in range(200))
    assert blas.current == (1 if fast == "one" else 2)
    assert blas.switches == (1 if fast == "one" else 0)
    assert blas._interval > blas.FIRST_INTERVAL  # losing probes grow rarer
    assert [lib.num_threads for lib in blas._libs] == before


def test_blas_threads_start_with_one_thread_on_a_loaded_machine(monkeypatch):
    from threadpoolctl import threadpool_limits

    monkeypatch.setattr(_threads.os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    with threadpool_limits(limits=2, user_api="blas"):
        assert _threads.BlasThreads().current == 1
    monkeypatch.setattr(_threads.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    with threadpool_limits(limits=2, user_api="blas"):
        assert _threads.BlasThreads().current == 2


def test_blas_threads_judge_by_mean_steps_beside_a_busy_neighbour():
    """Two threads beside a busy core: some steps at full speed, most a time slice late.
    Their best step beats one thread's, their mean does not: one thread is chosen."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2, user_api="blas"):
        blas = _threads.BlasThreads()
        blas.current = 2
        now, calls = [0.0], [0]

        def step():
            calls[0] += 1
            two = blas._libs[0].num_threads == 2
            now[0] += (1.0 if calls[0] % 3 == 0 else 10.0) if two else 3.0

        blas._clock = lambda: now[0]
        for _ in range(200):
            blas.run(step)
        assert blas.current == 1 and blas.switches == 1
