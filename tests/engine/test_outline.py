"""Outlining threaded loops: free names become parameters, += counters become reductions."""
from astrosim.engine.outline import outline_prange_loops


def test_prange_loop_becomes_a_function_with_its_free_names_and_reductions():
    text = "\n".join([
        "for _b in range(_ts.shape[0]):",
        "    _nf__3 = 0",
        "    for _idx__3 in numba.prange(N__3):",
        "        y__3 = _a4[_b, _idx__3]",
        "        _y__3 = _lio_1__3 * y__3",
        "        _a4[_b, _idx__3] = _y__3",
        "        if not (abs(_y__3) < np.inf):",
        "            _nf__3 += 1",
        "    if _nf__3 > 0:",
        "        pass",
    ])
    main, functions = outline_prange_loops(text)
    assert "numba.prange" not in main
    assert "    _nf__3 = _threaded_loop0(N__3, _a4, _b, _lio_1__3, _nf__3)" in main
    assert "def _threaded_loop0(N__3, _a4, _b, _lio_1__3, _nf__3):" in functions
    assert "parallel=True" in functions and functions.rstrip().endswith("return _nf__3")
    namespace = {}
    exec("import numpy as np\nimport numba\n" + functions.replace("cache=True", "cache=False"),
         namespace)
    import numpy as np

    a = np.ones((1, 5))
    assert namespace["_threaded_loop0"](5, a, 0, 2.0, 0) == 0
    np.testing.assert_array_equal(a, 2.0)
    a[0, 3] = np.inf
    assert namespace["_threaded_loop0"](5, a, 0, 2.0, 0) == 1


def test_text_without_prange_is_unchanged():
    text = "for _k in range(3):\n    x = 1"
    assert outline_prange_loops(text) == (text, "")
