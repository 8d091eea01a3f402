"""Test runs only: cache the code objects of modules imported from an AnsiballZ zip.

Python caches the bytecode of what it imports from directories, never of what it imports from a
zip; every module task of the suite compiled ansible-core's module_utils anew (a quarter of its
CPU). With HUC_TEST_CODE_CACHE set (tests/functional/playbook.py sets it, with this directory on
PYTHONPATH), a source is compiled once per Python version and loaded from that directory after.
The code is what compile() gives for the same source: nothing the modules do changes.
"""

import hashlib
import importlib.util
import marshal
import os
import zipimport

_CACHE = os.environ.get("HUC_TEST_CODE_CACHE")
_COMPILE = getattr(zipimport, "_compile_source", None)


def _renamed(code, filename):
    """The code with its file name (a task's temporary zip) made this task's, nested code too."""
    consts = tuple(_renamed(const, filename) if hasattr(const, "co_filename") else const for const in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def _cached_compile(pathname, source):
    # The zip's path differs per task; the path inside it and the source name the code.
    inner = pathname.split(".zip" + os.sep, 1)[-1]
    key = hashlib.sha256(importlib.util.MAGIC_NUMBER + inner.encode() + b"\0" + source).hexdigest()
    path = os.path.join(_CACHE, key)
    try:
        with open(path, "rb") as handle:
            return _renamed(marshal.load(handle), pathname)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    code = _COMPILE(pathname, source)
    try:
        os.makedirs(_CACHE, exist_ok=True)
        partial = "%s.%d" % (path, os.getpid())
        with open(partial, "wb") as handle:
            marshal.dump(code, handle)
        os.replace(partial, path)  # whole or absent for a process reading it at the same time
    except OSError:
        pass
    return code


if _CACHE and _COMPILE is not None:
    zipimport._compile_source = _cached_compile
