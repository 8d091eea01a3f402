"""Test runs only: keep compiled code between the runs of the suite (tests/functional/playbook.py sets
this up: this directory on PYTHONPATH, HUC_TEST_CODE_CACHE and HUC_TEST_ANSIBALLZ_CACHE).

- In a module process: the code objects of what it imports from its AnsiballZ zip. Python caches
  the bytecode of what it imports from directories, never from a zip, so every module task
  compiled ansible-core's module_utils anew (a quarter of its CPU). A source is compiled once per
  Python version and loaded from HUC_TEST_CODE_CACHE after; the code is what compile() gives for
  the same source.
- In ansible-playbook: the AnsiballZ payloads. ansible-core builds one per module and process (it
  reads the module and every module_util it imports) and keeps it in the process's own temporary
  directory, so each playbook run built each module it used anew: ~0.25 CPU-s, as much as the
  module task itself. The payloads of this checkout's modules and ansible-core's are shared
  between runs under HUC_TEST_ANSIBALLZ_CACHE, a directory named by a digest of the collection's
  plugins (playbook.py) and, below it, of this ansible-core: a payload is ansible-core's own file,
  built by ansible-core from the same sources.
"""

import hashlib
import importlib.abc
import importlib.util
import marshal
import os
import shutil
import sys
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


_PAYLOADS = os.environ.get("HUC_TEST_ANSIBALLZ_CACHE")
# The sources whose payloads may be shared (realpaths): the collection's plugins (which the digest covers).
_SHARED_SOURCES = tuple(path for path in os.environ.get("HUC_TEST_ANSIBALLZ_SOURCES", "").split(os.pathsep) if path)


def _share_payloads(module_common):
    """Wrap ansible-core's payload builder: seed its per-process cache from the shared one, publish what it built."""
    from ansible import constants, release

    build = getattr(module_common, "_find_module_utils", None)
    if build is None:
        return
    version = "%s %s %s" % (release.__version__, os.path.dirname(os.path.dirname(release.__file__)), sys.version)
    shared = os.path.join(_PAYLOADS, hashlib.sha256(version.encode()).hexdigest()[:16])
    sources = _SHARED_SOURCES + (os.path.dirname(os.path.realpath(release.__file__)) + os.sep,)

    def find_module_utils(*args, **kwargs):
        module_path = kwargs.get("module_path")
        if not module_path or not os.path.realpath(module_path).startswith(sources):
            return build(*args, **kwargs)
        local = os.path.join(constants.DEFAULT_LOCAL_TMP, "ansiballz_cache")
        try:
            os.makedirs(local, exist_ok=True)
            os.makedirs(shared, exist_ok=True)
            for name in set(os.listdir(shared)) - set(os.listdir(local)):
                if not name.startswith("."):
                    os.symlink(os.path.join(shared, name), os.path.join(local, name))
        except OSError:
            pass
        built = build(*args, **kwargs)
        try:
            for name in os.listdir(local):
                path = os.path.join(local, name)
                if name.endswith((".lock", "-part")) or os.path.islink(path) or os.path.exists(os.path.join(shared, name)):
                    continue
                partial = os.path.join(shared, ".%s.%d" % (name, os.getpid()))
                shutil.copyfile(path, partial)
                os.replace(partial, os.path.join(shared, name))  # whole or absent for a run reading it
        except OSError:
            pass
        return built

    module_common._find_module_utils = find_module_utils


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls _share_payloads once ansible.executor.module_common is imported (controller processes only)."""

    def find_spec(self, name, path=None, target=None):
        if name != "ansible.executor.module_common":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            _share_payloads(module)

        spec.loader.exec_module = exec_module
        return spec


if _PAYLOADS:
    sys.meta_path.insert(0, _AfterImport())
