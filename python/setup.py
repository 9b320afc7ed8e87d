"""Build hooks of the swiftpg wheel (the metadata is in pyproject.toml).

The package ships compiled code: ``libswiftpg.so`` (loaded with ctypes, so
any CPython 3 can use it) and, when the Makefile has built it, the CPython
extension module ``_gamestate*.so``. So the wheel is a platform wheel:
``py3-none-linux_x86_64`` with the library only, ``cp3X-cp3X-linux_x86_64``
with the extension module — never ``py3-none-any``. That wheel needs the
system OpenBLAS (Debian/Ubuntu ``libopenblas0``; ``make lib`` builds
against ``libopenblas-dev``); ``make wheel`` (tools/build_wheel.sh) repairs
it with auditwheel into a manylinux wheel that bundles OpenBLAS.

Building a wheel without the library fails with a message saying how to
make it (``make lib`` at the top level).
"""

import glob
import os

from setuptools import setup
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel  # setuptools >= 70.1
except ImportError:
    from wheel.bdist_wheel import bdist_wheel

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(HERE, "swiftpg")
LIBRARY = os.path.join(PACKAGE, "libswiftpg.so")


class BinaryDistribution(Distribution):
    """Compiled files are in the package: install to platlib, tag for the platform."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        python, abi, platform = super().get_tag()
        if not glob.glob(os.path.join(PACKAGE, "_gamestate*.so")):
            python, abi = "py3", "none"           # only ctypes-loaded code: any CPython 3
        return python, abi, platform

    def run(self):
        if not os.path.isfile(LIBRARY):
            raise SystemExit(f"error: {LIBRARY} is missing, so this wheel would ship no library: "
                             "run `make lib` at the top of the swiftpg checkout first")
        super().run()


setup(distclass=BinaryDistribution, cmdclass={"bdist_wheel": PlatformWheel})
