"""The native renderer core (cs/index/_screen.c) as an optional extension: an
install without a C compiler still works, with the pure-Python renderer
(cs.index.screen selects the implementation; docs/rendering.md)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("cs.index._screen", ["cs/index/_screen.c"], optional=True, extra_compile_args=["-O2"])])
