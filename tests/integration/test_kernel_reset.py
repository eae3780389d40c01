"""The reused report kernel between two runs (helpers.report.execution): what one
notebook leaves behind is gone for the next, and the libraries' heap is frozen so
the collection in each reset does not walk it again."""
import nbformat

from helpers.report.execution import Cancel, Kernel


def _notebook(*sources: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def _value(nb, cell: int) -> str:
    return "".join(o.get("data", {}).get("text/plain", "") for o in nb.cells[cell].outputs)


def test_a_reset_closes_figures_clears_names_and_keeps_the_heap_frozen(tmp_path):
    leaves_behind = _notebook(
        "import gc, matplotlib.pyplot as plt\n"
        "fig = plt.figure()\n"
        "class Cycle: pass\n"
        "a, b = Cycle(), Cycle(); a.other, b.other = b, a\n"
        "import weakref; probe = weakref.ref(a)\n"
        "import sys; sys.modules['_probe_holder'] = type(sys)('_probe_holder'); sys.modules['_probe_holder'].ref = probe",
        "gc.get_freeze_count() > 1000")
    looks_around = _notebook(
        "import gc, sys, matplotlib.pyplot as plt\n"
        "(plt.get_fignums(), sorted(n for n in dir() if n in ('fig', 'a', 'b', 'probe', 'Cycle')),"
        " sys.modules['_probe_holder'].ref() is None, gc.get_freeze_count() > 1000)")
    with Kernel(tmp_path, Cancel()) as kernel:
        kernel.run(leaves_behind)
        kernel.run(looks_around)
    assert _value(leaves_behind, 1) == "True"  # the imports' heap frozen at start
    # No open figure, none of the first run's names, its reference cycle collected, heap still frozen.
    assert _value(looks_around, 0) == "([], [], True, True)"
