"""The native cores as optional extensions: the renderer's (cs/index/_screen.c)
and the recorder's hot path (cs/record/_relay.c). An install without a C
compiler still works, with the pure-Python renderer and recorder loop
(docs/rendering.md, docs/architecture.md)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("cs.index._screen", ["cs/index/_screen.c"], optional=True, extra_compile_args=["-O2"]),
        Extension("cs.record._relay", ["cs/record/_relay.c"], optional=True, extra_compile_args=["-O2"]),
    ]
)
