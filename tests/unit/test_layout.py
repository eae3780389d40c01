"""The layout follows the data (issue 15): no import cycle between helpers modules,
dependencies one way (shared <- ingest/interop <- study <- analysis <- plots <- report <-
__main__), the entry points not shadowed by their modules, and the 0.1 module paths still
importable for one release, with a DeprecationWarning.

The import graph is read from the source (AST) of every module under src/helpers: module-level
and function-level imports both count, and so does ``importlib.import_module("helpers.…")`` with
a literal (or f-string) name; imports under ``if TYPE_CHECKING:`` (annotations only, never
run) do not. Importing ``helpers.a.b`` runs ``helpers/a/__init__.py`` too, so an
edge to a module is also an edge to the packages above it (except ``helpers`` itself, whose
``__init__`` imports no helpers module, and the importer's own packages, which are initialised
before it runs; an explicit import from its own package still counts).
"""
from __future__ import annotations

import ast
import importlib
import sys
import warnings
from pathlib import Path

import helpers

SRC = Path(helpers.__file__).resolve().parent
REPO = SRC.parents[1]

SHARED = {"helpers", "helpers.errors", "helpers.atomic", "helpers.tables", "helpers.hierarchy", "helpers.textutil",
          "helpers.textmap", "helpers.matching", "helpers.ids", "helpers.safety", "helpers.safezip",
          "helpers.counting", "helpers.counting_levels", "helpers.counting_coders", "helpers.counting_turns", "helpers.counting_checks", "helpers.leakscan",
          "helpers.paths"}
# rank of each stage: a module may import modules of its own rank or lower, never higher
STAGES = [("shared", 0), ("ingest", 1), ("interop", 1), ("study", 2), ("analysis", 3), ("plots", 4),
          ("report", 5), ("cli", 6)]
RANK = dict(STAGES)


def stage(module: str) -> str:
    if module in SHARED:
        return "shared"
    if module == "helpers.study":
        return "study"
    if module == "helpers.__main__":
        return "cli"
    part = module.split(".")[1]
    if part in {"ingest", "interop", "analysis", "plots", "report"}:
        return part
    raise AssertionError(f"{module} belongs to no stage: add it to SHARED or a subpackage")


def modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


def _with_parents(name: str, known, importer: str) -> set[str]:
    """``name`` (or the longest prefix of it that is a module) and the packages above it,
    except the importer's own packages (initialised before the importer runs)."""
    parts = name.split(".")
    while parts and ".".join(parts) not in known:
        parts.pop()
    own = importer.split(".")
    own = {".".join(own[:i]) for i in range(1, len(own))}
    found = {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
    return {m for m in found if m not in own or m == name}


def _literal_prefix(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return node.values[0].value.rstrip(".")  # f"helpers.interop.{x}": at least the package
    return None


def _run_time_nodes(tree):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:`` (never run: an
    annotation's type only)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", getattr(child.test, "attr", None)) == "TYPE_CHECKING":
                stack.extend(child.orelse)
                continue
            stack.append(child)


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph = {}
    for module, (path, is_package) in known.items():
        edges = set()
        for node in _run_time_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "helpers":
                        edges |= _with_parents(alias.name, known, module)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".") if is_package else module.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != "helpers":
                    continue
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    edges |= _with_parents(full if full in known else target, known, module)
            elif (isinstance(node, ast.Call) and node.args
                  and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"):
                name = _literal_prefix(node.args[0])
                if name and name.split(".")[0] == "helpers":
                    edges |= _with_parents(name, known, module)
        edges.discard(module)
        edges.discard("helpers")  # __init__ imports no helpers module (checked below)
        graph[module] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as [a, b, …, a], or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_find_cycle_reports_the_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_function_level_and_importlib_imports():
    graph = import_graph()
    # helpers.interop.refi names Study in an annotation only (under TYPE_CHECKING)
    assert "helpers.study" not in graph["helpers.interop.refi"]
    # helpers.study imports ingest only inside a function (auto-ingest)
    assert "helpers.ingest.pipeline" in graph["helpers.study"]
    # the coding sources reach the interop readers through importlib
    assert "helpers.interop.taguette" in graph["helpers.ingest.coding.common"]
    # importing a submodule runs its package's __init__
    assert "helpers.interop" in graph["helpers.ingest.coding.common"]


def test_no_import_cycle_between_helpers_modules():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_dependencies_run_one_way():
    wrong = []
    for module, edges in import_graph().items():
        for target in edges:
            if RANK[stage(target)] > RANK[stage(module)]:
                wrong.append(f"{module} ({stage(module)}) imports {target} ({stage(target)})")
    assert not wrong, "\n".join(sorted(wrong))


def test_package_init_imports_no_helpers_module():
    tree = ast.parse((SRC / "__init__.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and (node.module or "").split(".")[0] != "helpers"
        if isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] != "helpers" for a in node.names)


def test_every_module_imports():
    for module in modules():
        importlib.import_module(module)


def test_modules_and_entry_points_do_not_clash():
    import helpers.analysis.cooccurrence as co

    assert Path(co.__file__) == SRC / "analysis" / "cooccurrence.py"
    assert callable(helpers.cooccurrence) and helpers.cooccurrence is co.cooccurrence
    import helpers.analysis.agreement as ag

    assert helpers.agreement is ag.agreement
    assert not hasattr(type(helpers), "__setattr__") or type(helpers) is type(sys)  # a plain module




def test_dir_and_all_list_the_entry_points():
    assert "cooccurrence" in helpers.__all__ and "load_study" in helpers.__all__
    listed = dir(helpers)
    assert set(helpers.__all__) <= set(listed)
    assert {"ingest", "analysis", "report", "study"} <= set(listed)
    for package in ("helpers.ingest", "helpers.analysis", "helpers.report"):
        mod = importlib.import_module(package)
        for name in mod.__all__:
            assert getattr(mod, name) is not None, f"{package}.{name}"


def test_ingest_package_exposes_build_and_run_ingest():
    import helpers.ingest
    from helpers.ingest import pipeline

    assert helpers.ingest.build is pipeline.build
    assert helpers.ingest.run_ingest is pipeline.run_ingest






def test_an_old_path_is_the_same_module_object():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = importlib.import_module("helpers.frequency")
    new = importlib.import_module("helpers.analysis.frequency")
    assert old is new
    assert new.__spec__.name == "helpers.analysis.frequency"  # the alias did not take its spec


def test_the_repository_uses_no_old_path():
    """Nothing in src, tests, notebooks or bench imports a 0.1 path."""
    old_names = set(helpers._MOVED)
    wrong = []
    files = [*SRC.rglob("*.py"), *(REPO / "tests").rglob("*.py"), *(REPO / "notebooks").glob("*.py"),
             *(REPO / "bench").rglob("*.py")]
    for path in files:
        # test_layout.py and test_layout_cli.py (its fresh-interpreter half) name the old paths on purpose
        if "bad_inputs" in path.parts or path.name in ("test_layout.py", "test_layout_cli.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("helpers."):
                names = [node.value]
            for name in names:
                if name.startswith("helpers.") and name[len("helpers."):] in old_names:
                    if isinstance(node, ast.ImportFrom) and name != node.module and name.endswith(
                            (".cooccurrence", ".agreement")) and node.module == "helpers":
                        continue  # ``from helpers import cooccurrence``: the function
                    wrong.append(f"{path.relative_to(REPO)}:{node.lineno}: {name}")
    assert not wrong, "\n".join(wrong)


# Modules still over 500 lines, by path under src/helpers: may only shrink (a listed module
# that is short enough fails the test until it is struck from here).
LONG_ALLOWED: set[str] = set()


def test_no_module_over_500_lines():
    """Issue 15: no module in src/helpers over ~500 lines (every module, every stage), except
    those of ``LONG_ALLOWED``."""
    lengths = {path.relative_to(SRC).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
               for path in sorted(SRC.rglob("*.py"))}
    long = {name: n for name, n in lengths.items() if n > 500 and name not in LONG_ALLOWED}
    assert not long, f"over 500 lines (split by concern): {long}"
    done = sorted(name for name in LONG_ALLOWED if lengths.get(name, 0) <= 500)
    assert not done, "no longer over 500 lines (strike from LONG_ALLOWED): " + ", ".join(done)


def test_every_from_import_of_a_helpers_name_resolves():
    """Every ``from helpers.… import name`` in src, tests, notebooks and bench, at module level or
    inside a function (a lazy import runs only when its function does), names something that
    exists: a module moved or split leaves no import behind that fails at run time."""
    import importlib.util

    broken = []
    for folder in ("src", "tests", "notebooks", "bench"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                        and node.module.split(".")[0] == "helpers"):
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    module = importlib.import_module(node.module)
                    for alias in node.names:
                        if alias.name != "*" and not hasattr(module, alias.name) \
                                and importlib.util.find_spec(f"{node.module}.{alias.name}") is None:
                            broken.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.module} has no {alias.name}")
    assert not broken, "\n".join(broken)
