"""Outlining threaded loops: free names become parameters, += counters become reductions."""
from astrosim.engine.names import MODULE_HEADER
from astrosim.engine.outline import outline_prange_loops


def test_prange_loop_becomes_a_function_with_its_free_names_and_reductions():
    text = "\n".join([
        "for _0b in range(_0ts.shape[0]):",
        "    _nf__3 = 0",
        "    for _idx__3 in _0prange(N__3):",
        "        y__3 = _0a4[_0b, _idx__3]",
        "        _y__3 = _lio_1__3 * y__3",
        "        _0a4[_0b, _idx__3] = _y__3",
        "        if not (_0abs(_y__3) < _0np.inf):",
        "            _nf__3 += 1",
        "    if _nf__3 > 0:",
        "        pass",
    ])
    main, functions = outline_prange_loops(text)
    assert "_0prange" not in main
    assert "    _nf__3 = _0threaded_loop0(N__3, _0a4, _0b, _lio_1__3, _nf__3)" in main
    assert "def _0threaded_loop0(N__3, _0a4, _0b, _lio_1__3, _nf__3):" in functions
    assert "parallel=True" in functions and functions.rstrip().endswith("return _nf__3")
    namespace = {}
    exec(MODULE_HEADER + functions.replace("cache=True", "cache=False"),
         namespace)
    import numpy as np

    a = np.ones((1, 5))
    assert namespace["_0threaded_loop0"](5, a, 0, 2.0, 0) == 0
    np.testing.assert_array_equal(a, 2.0)
    a[0, 3] = np.inf
    assert namespace["_0threaded_loop0"](5, a, 0, 2.0, 0) == 1


def test_text_without_prange_is_unchanged():
    text = "for _k in range(3):\n    x = 1"
    assert outline_prange_loops(text) == (text, "")
