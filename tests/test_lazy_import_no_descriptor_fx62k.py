"""A lazy import of a C extension at the limit of open files is said as that limit, not as a
missing package (fx62k, finding 5).

At EMFILE the dynamic loader cannot open the extension's `.so`: Python raises ImportError
("...so: cannot open shared object file: Too many open files"), which `import_optional` turned
into MissingDependencyError "Install it with: pip install ..." (exit 8). docs/cli.md promises the
open-files advice for a failed lazy import. The child here sets RLIMIT_NOFILE to the descriptors
it has open, then imports a standard-library extension it has not loaded (its folder's listing
cached by another one first), through `import_optional`, and reports the error as the CLI does.
"""

from __future__ import annotations

import importlib.util

import pytest
from tests._helpers.python_process import child_env, run_python

from tfhub import errors
from tfhub.program.report import report

_EXTENSION = "_ctypes_test"  # Built with CPython, never imported by tfhub.

_CHILD = """
import os, resource, sys
import _bz2  # The listing of lib-dynload is cached: only the .so's own open needs a descriptor.
from tfhub.program.report import report
from tfhub.utils import lazy
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
fds = {int(fd) for fd in os.listdir("/proc/self/fd")}  # Its own descriptor is closed after.
resource.setrlimit(resource.RLIMIT_NOFILE, (min(set(range(max(fds) + 2)) - fds) - 1, hard))
try:
    lazy.import_optional(sys.argv[1], purpose="the probe")
except ImportError as err:
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    print(type(err).__name__, type(err.__cause__).__name__)
    sys.exit(report(err))
"""


def _extension_file() -> str | None:
    spec = importlib.util.find_spec(_EXTENSION)
    origin = spec.origin if spec is not None else None
    return origin if origin and origin.endswith(".so") else None


@pytest.mark.skipif(_extension_file() is None, reason=f"no {_EXTENSION} shared object here")
def test_an_extension_import_at_the_limit_says_to_raise_it() -> None:
    done = run_python(_CHILD, _EXTENSION, env=child_env(), timeout=60, check=False)
    assert done.stdout == "MissingDependencyError ImportError\n", done.stderr
    assert done.returncode == 1, done.stderr  # Not 8, "missing dependency".
    assert done.stderr.startswith("tfhub: OS error: the probe needs the package '_ctypes_test'")
    assert "Too many open files" in done.stderr
    assert "`ulimit -n` is " in done.stderr and "Raise that limit" in done.stderr
    assert "pip install" not in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_bare_import_error_of_no_descriptor_gets_the_advice(capsys) -> None:
    err = ImportError("/x/_c.so: cannot open shared object file: Too many open files")
    assert report(err) == 1
    said = capsys.readouterr().err
    assert said.startswith("tfhub: OS error: /x/_c.so: cannot open shared object file: Too many")
    assert "`ulimit -n` is " in said and said.endswith(", then run again.\n")


def test_a_missing_package_is_still_said_as_before(capsys) -> None:
    from tfhub.utils import lazy

    with pytest.raises(errors.MissingDependencyError, match="pip install") as caught:
        lazy.import_optional("no_such_module_fx62k", purpose="the probe")
    assert report(caught.value) == 8
    assert capsys.readouterr().err.startswith("tfhub: missing dependency: the probe needs")
