"""Type stubs cover every public function with the same parameters, and
every public function and class has a docstring with an example."""

import ast
import inspect
from pathlib import Path

import pytest

import schedlab
from schedlab import optimize, theory

PACKAGE = Path(schedlab.__file__).parent
MODULES = [(schedlab, "__init__.pyi"), (theory, "theory.pyi"), (optimize, "optimize.pyi")]


def stub_functions(name):
    tree = ast.parse((PACKAGE / name).read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            a = node.args
            out[node.name] = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
        if isinstance(node, ast.ClassDef):
            out[node.name] = None
    return out


def public(module):
    names = [n for n in module.__all__ if not n.startswith("__")]
    return [(n, getattr(module, n)) for n in names]


@pytest.mark.parametrize("module,stub", MODULES, ids=[m.__name__ for m, _ in MODULES])
def test_stubs_match_the_signatures(module, stub):
    stubs = stub_functions(stub)
    for name, obj in public(module):
        if inspect.ismodule(obj) or name == "ScenarioError":
            continue
        assert name in stubs, f"{name} missing from {stub}"
        if inspect.isfunction(obj):
            assert stubs[name] == list(inspect.signature(obj).parameters), name


@pytest.mark.parametrize("module", [schedlab, theory, optimize], ids=lambda m: m.__name__)
def test_docstrings_have_examples(module):
    assert "Example" in module.__doc__
    for name, obj in public(module):
        if inspect.ismodule(obj) or name == "ScenarioError":
            continue
        doc = inspect.getdoc(obj) or ""
        assert doc, f"{module.__name__}.{name} has no docstring"
        if inspect.isfunction(obj) or name in ("RunResult", "SweepResult", "GanttResult", "Picture"):
            assert ">>>" in doc, f"{module.__name__}.{name} has no example"


def test_help_reads_well():
    text = inspect.getdoc(schedlab.run)
    for word in ("scenario", "seed", "replications", "compare", "ScenarioError", "KeyboardInterrupt", ">>>"):
        assert word in text
    assert str(inspect.signature(schedlab.run)).startswith("(scenario")
    assert schedlab.__version__ == "0.1.0"


@pytest.mark.parametrize("name", ["schedlab", "schedlab._core", "schedlab._convert",
                                  "schedlab.theory", "schedlab.optimize"])
def test_docstring_examples_run(name):
    import doctest
    import importlib

    module = importlib.import_module(name)
    result = doctest.testmod(
        module,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        extraglobs={"schedlab": schedlab, "theory": theory, "optimize": optimize},
    )
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} example(s) of {name} failed (see the output above)"
