"""NumPy submodules that importing scipy.sparse loads and no scoring command uses, loaded on first use instead.

scipy (1.15 on) builds its array-API namespace by `from numpy import *`, which imports every submodule numpy lists
in `__all__`, among them numpy.f2py (a Fortran wrapper generator) and numpy.testing: some 0.1-0.25 s of a scoring
command's start-up of about one second, for modules it never touches. `defer()` puts a module in their place that
the standard library's importlib.util.LazyLoader loads in full on the first attribute anyone reads from it, so a
program that does use one sees no difference beyond when it is loaded.

Only the command line calls it, for the scoring commands, each a process of its own (cabletags.cli.main): an
embedding program's modules are its own business, and on Python 3.11 a lazy module's first use is not safe from two
threads at once (fixed in 3.12), which a command's single main thread never risks.
"""
from __future__ import annotations

import importlib.util
import sys
from importlib.machinery import SourceFileLoader, SourcelessFileLoader

__all__ = ["DEFERRED", "defer"]

# loaded by scipy.sparse's import and by nothing the scoring commands run (numpy.random and numpy.fft are: scipy
# reads them at import, so deferring them would save nothing)
DEFERRED = ("numpy.f2py", "numpy.testing", "numpy.ma", "numpy.polynomial", "numpy.ctypeslib", "numpy.char",
            "numpy.rec")


def defer(names=DEFERRED) -> list[str]:
    """Put a lazily loaded module in the place of each of `names` (dotted names of submodules of an imported or
    importable package) that is not imported yet; returns the names deferred. A name that cannot be found, or that
    is no Python source (an extension module), is left alone: it is imported as usual when it is used."""
    done = []
    for name in names:
        if name in sys.modules:
            continue
        parent, _, child = name.rpartition(".")
        try:
            spec = importlib.util.find_spec(name)  # imports the parent package
        except (ImportError, ValueError):
            continue
        # Python source (or its bytecode) only: an extension module's loader makes its module object itself, which
        # a lazy loader cannot defer
        if spec is None or not isinstance(spec.loader, (SourceFileLoader, SourcelessFileLoader)):
            continue
        lazy = importlib.util.LazyLoader(spec.loader)
        spec.loader = lazy
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        lazy.exec_module(module)
        if parent:
            # as the import system does for a submodule: `numpy.f2py` as an attribute finds it without numpy's own
            # __getattr__ importing it again
            setattr(sys.modules[parent], child, module)
        done.append(name)
    return done
