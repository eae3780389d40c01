"""Run notebooks in Jupyter kernels for the report batch.

One way: a **reused kernel** per job. A worker starts one kernel and runs notebook
after notebook in it (the study-wide notebooks 01–08, then the per-participant
profiles): the kernel starts and imports its libraries once, and before each run
it is put back as it was when it started — a fresh namespace (``%reset -f``), no
open figure, matplotlib's settings and the warning filters as they were, the
warning registries cleared — so each run shows what a fresh kernel would (a
warning printed for one notebook is printed again for the next). Each run still
gives one executed notebook, numbered 1, 2, … as in a fresh kernel. A fresh
kernel per notebook cost about 3 s each (start, then pandas, matplotlib, seaborn,
scikit-learn imported again); tests/integration/test_batch_runs.py checks every
page of a study is the same byte for byte either way.

Kernels talk to this process over local IPC sockets in a private folder, not
TCP: nothing listens on a network port, and ipykernel has no reason to warn
about unencrypted TCP (issue 16 item 8). Kernels run in their own session, so
Ctrl-C reaches only this process; ``Cancel.stop()`` kills every kernel it
started, which ends a running cell at once (issue 19 item 9).
"""
from __future__ import annotations

import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat

# What runs silently in a kernel as it starts, before any notebook: the settings a
# notebook may change, as a fresh kernel has them once it has imported helpers.plots
# (the project style is set on that first import, which a reused kernel does not
# repeat), kept outside the namespace that %reset clears. The backend and interactive mode are not restored: the inline
# backend switches them on at the first figure (restoring the start's "not
# interactive" would keep every later figure off the page). Last, the heap the imports
# made is frozen (gc.freeze): the garbage collections after it, the one in each %reset
# among them, no longer walk the libraries' objects (about 0.9 s a run before).
SNAPSHOT = """\
import sys as _sys, types as _types, warnings as _warnings
import matplotlib as _mpl
import matplotlib.pyplot as _plt
import helpers.plots  # applies the project style on import, as a notebook's first import does
_state = _types.ModuleType("_transcript_themes_kernel_state")
_state.rc = _mpl.rcParams.copy()
_state.filters = list(_warnings.filters)
_sys.modules[_state.__name__] = _state
del _state, _sys, _types, _warnings, _mpl, _plt
import gc as _gc
_gc.collect()
_gc.freeze()
del _gc
"""

# What runs silently in a reused kernel between two runs: a fresh namespace
# (modules stay imported: that is the saving), no figure left open, matplotlib's
# settings and the warning filters as the kernel started with them (SNAPSHOT), and
# every warning shown again as a fresh kernel would. %reset comes last: it clears the
# names used here and then collects the garbage, the figures just closed included.
RESET = """\
import sys as _sys, warnings as _warnings
import matplotlib as _mpl
import matplotlib.pyplot as _plt
_plt.close("all")
_state = _sys.modules["_transcript_themes_kernel_state"]
_mpl.rcParams.update({_k: _v for _k, _v in _state.rc.items() if _k not in ("backend", "interactive")})
_warnings.filters[:] = _state.filters
_warnings.onceregistry.clear()
_warnings._filters_mutated()
for _m in list(_sys.modules.values()):
    try:
        _m.__dict__.get("__warningregistry__", {}).clear()
    except Exception:
        pass
%reset -f
"""


class Cancelled(Exception):
    """The run was cancelled (Ctrl-C) before or while this notebook ran."""


class CellFailed(Exception):
    """A cell raised; ``notebook`` holds the executed notebook up to that cell."""

    def __init__(self, notebook, ename: str, evalue: str):
        self.notebook, self.ename, self.evalue = notebook, ename, evalue
        super().__init__(f"{ename}: {evalue}")


class Cancel:
    """Shared by every worker of one batch: set once, it stops queued work and
    kills the running kernels."""

    def __init__(self):
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._managers: set = set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def register(self, manager) -> None:
        with self._lock:
            self._managers.add(manager)
        if self._event.is_set():
            self._kill(manager)

    def unregister(self, manager) -> None:
        with self._lock:
            self._managers.discard(manager)

    def stop(self) -> None:
        """Cancel: no new cell starts, and every running kernel is killed now
        (SIGKILL of its process; its worker then sees a dead kernel)."""
        self._event.set()
        with self._lock:
            managers = list(self._managers)
        for manager in managers:
            self._kill(manager)

    @staticmethod
    def _kill(manager) -> None:
        process = getattr(getattr(manager, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            try:
                process.send_signal(signal.SIGKILL)
            except OSError:
                pass


@dataclass
class Timing:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


class Kernel:
    """One Jupyter kernel (python3) with its working folder ``cwd``; use as a
    context manager. ``run(nb)`` executes a parameterised notebook in it;
    ``reset()`` prepares it for the next run."""

    def __init__(self, cwd: Path, cancel: Cancel, kernel_name: str = "python3"):
        self.cwd, self.cancel, self.kernel_name = Path(cwd), cancel, kernel_name
        self.client = None
        self._sockets: Path | None = None
        self.runs = 0

    def __enter__(self) -> "Kernel":
        from jupyter_client.manager import AsyncKernelManager
        from nbclient import NotebookClient

        self.cancel.check()
        # IPC sockets in a private folder (0700): short paths (a socket path is
        # limited to ~100 bytes) and no TCP port.
        self._sockets = Path(tempfile.mkdtemp(prefix="tt-kernel-"))
        manager = AsyncKernelManager(kernel_name=self.kernel_name, transport="ipc", ip=str(self._sockets / "k"))
        self.client = NotebookClient(nbformat.v4.new_notebook(), km=manager, kernel_name=self.kernel_name,
                                     timeout=None, allow_errors=False, record_timing=False,
                                     resources={"metadata": {"path": str(self.cwd)}})
        self.cancel.register(manager)
        try:
            self.client.start_new_kernel(cwd=str(self.cwd))
            self.client.start_new_kernel_client()
            reply = self.client.wait_for_reply(self.client.kc.kernel_info())
            self.language_info = (reply or {}).get("content", {}).get("language_info", {})
            self._silently(SNAPSHOT, "could not record the kernel's starting settings")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        client = self.client
        if client is not None and client.km is not None:
            self.cancel.unregister(client.km)
            try:
                if self.cancel.is_set():
                    Cancel._kill(client.km)
                client._cleanup_kernel()
            except Exception:
                pass
        if self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)

    def reset(self) -> None:
        """Fresh namespace, no open figure, settings and warning filters as the kernel
        started, warnings shown again."""
        self.cancel.check()
        self._silently(RESET, "could not reset the kernel between two runs")

    def _silently(self, code: str, failure: str) -> None:
        reply = self.client.wait_for_reply(self.client.kc.execute(code, silent=True, store_history=False))
        if not reply or reply["content"].get("status") != "ok":
            raise RuntimeError(failure)

    def run(self, nb, on_cell: Callable[[int], None] | None = None) -> Timing:
        """Execute every code cell of ``nb`` in place; execution counts 1, 2, …
        as in a fresh kernel. Raises ``CellFailed`` (outputs of the failing
        cell kept in ``nb``) or ``Cancelled``."""
        from nbclient.exceptions import CellExecutionError, DeadKernelError

        if self.runs:
            self.reset()
        self.runs += 1
        client = self.client
        client.nb = nb
        client.reset_execution_trackers()
        if self.language_info:
            nb.metadata["language_info"] = self.language_info
        count = 0
        start = time.time()
        for index, cell in enumerate(nb.cells):
            self.cancel.check()
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            count += 1
            try:
                client.execute_cell(cell, index, execution_count=count)
            except CellExecutionError as exc:
                self.cancel.check()
                raise CellFailed(nb, exc.ename, exc.evalue) from None
            except DeadKernelError:
                self.cancel.check()
                raise
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = count  # the kernel's own count runs on across runs
            if on_cell is not None:
                on_cell(index)
        return Timing(start, time.time())
