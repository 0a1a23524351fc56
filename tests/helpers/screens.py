"""The two renderers of cs.index.screen: the pure-Python reference
(`ScreenText`) and the native core (`NativeScreenText`, cs/index/_screen.c,
built by `pip install -e .`). Tests run on both, and compare them."""

import pytest

from cs.index import screen
from tests.helpers.tools import missing_tool

RENDERERS = ("python", "native")


def renderer(name: str):
    """The renderer class called `name` (a missing native build skips on a
    developer's machine, fails in CI: .ci/setup builds it)."""
    if name == "python":
        return screen.ScreenText
    if screen.NativeScreenText is None:
        missing_tool("the native renderer (cs/index/_screen.c, built by `pip install -e .`; CS_PURE_PYTHON unset)")
    return screen.NativeScreenText


def each_renderer(module_globals: dict, name: str = "ScreenText"):
    """An autouse fixture, parametrized over both renderers, that makes the
    module's `ScreenText` the one under test."""

    @pytest.fixture(autouse=True, params=RENDERERS)
    def _renderer(request, monkeypatch):
        monkeypatch.setitem(module_globals, name, renderer(request.param))
        return request.param

    return _renderer


def lines_of(cls, chunks, cols=80, rows=24, ops=None):
    """Everything a renderer returns for `chunks`, in order: after chunk i, ops[i]
    says what the caller does (pop / take_retired / visible / display / a
    resize / a pickle round trip), then close()."""
    import pickle

    s = cls(cols, rows)
    out = []
    for i, chunk in enumerate(chunks):
        s.feed(chunk, (i, "mark"))
        op = ops[i] if ops else "pop"
        if op == "pop":
            out.append(("pop", s.pop_finished()))
        elif op == "retired":
            out.append(("retired", s.take_retired()))
        elif op == "visible":
            out.append(("visible", s.visible()))
        elif op == "display":
            out.append(("display", s.display()))
        elif isinstance(op, tuple):
            s.resize(*op)
        elif op == "pickle":
            s = pickle.loads(pickle.dumps(s))
    out.append(("close", s.close()))
    out.append(("display", s.display()))
    return out
