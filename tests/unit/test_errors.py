"""Every error searchcore raises on purpose is a SearchcoreError and the builtin it refines."""

from __future__ import annotations

import ast
import builtins
import inspect
from pathlib import Path

import pytest

import searchcore as sc
import searchcore.errors as errors

PACKAGE = Path(sc.__file__).parent
BUILTIN_EXCEPTIONS = {name for name, value in vars(builtins).items()
                      if isinstance(value, type) and issubclass(value, BaseException)}
# Python's own protocols, not errors of searchcore: a module's __getattr__ must raise AttributeError, and
# so must setting an attribute a Searcher does not have. The fault-injection hook of the tests raises the
# OSError the operating system would (which fileops then turns into an IndexIOError).
ALLOWED = {("__init__.py", "__getattr__", "AttributeError"), ("analysis.py", "__getattr__", "AttributeError"),
           ("search.py", "__setattr__", "AttributeError"),
           ("fileops.py", "__call__", "OSError")}


def _raised_builtins():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for child in ast.walk(node):
                    functions.setdefault(id(child), node.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
                name = node.exc.func.id
                if name in BUILTIN_EXCEPTIONS:
                    where = (path.name, functions.get(id(node), ""), name)
                    if where not in ALLOWED:
                        yield f"{path.relative_to(PACKAGE)}:{node.lineno} raises {name}"


def test_no_module_raises_a_bare_builtin_exception():
    assert list(_raised_builtins()) == []


def test_every_error_is_a_searchcore_error():
    for name, value in vars(errors).items():
        if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == errors.__name__:
            assert issubclass(value, sc.SearchcoreError), name


@pytest.mark.parametrize("call, builtin", [
    (lambda: sc.BM25(k1=-1), ValueError),
    (lambda: sc.Analyzer(stemmer="klingon"), ValueError),
    (lambda: sc.Phrase("   "), ValueError),
    (lambda: sc.Boost(sc.Term("oil"), "2"), TypeError),
])
def test_argument_errors_are_searchcore_errors_and_builtins(call, builtin):
    with pytest.raises(sc.SearchcoreError) as caught:
        call()
    assert isinstance(caught.value, builtin)


def test_more_like_this_of_an_unknown_id(tiny_index):
    with tiny_index.searcher() as s, pytest.raises(sc.SearchcoreError) as caught:
        s.more_like_this("nope")
    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == "no document with ID 'nope'"


def test_every_error_crosses_a_process_boundary_as_itself():
    """Errors are pickled to reach a server from its committer process (and a caller from a Dask worker):
    each comes back of the same class, with the same message and attributes."""
    import pickle

    from searchcore import errors as E

    made = [E.DocumentNotFoundError("afp-1"), E.IndexCorruptError("/ix/manifest.json", "checksum"),
            E.IndexExistsError("/ix"), E.IndexLockedError("/ix", 3.0), E.IndexNotFoundError("/ix"),
            E.IndexVersionError("/ix", 1, 4), E.LoaderError("bad line", "/x.jsonl", "line 3"),
            E.QueryParseError("unbalanced", "(oil", 0, ")"), E.DocumentError("no id"), E.SchemaError("kind"),
            E.ArgumentError("limit"), E.io_error("/ix/write.lock", "open", PermissionError(13, "denied")),
            E.io_error("/ix/seg/a.npy", "write", OSError(28, "No space left on device"))]
    classes = {type(e) for e in made}
    assert {E.IndexPermissionError, E.IndexIOError, E.IndexLockedError} <= classes
    for error in made:
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error) and str(back) == str(error) and back.args == error.args
        plain = {"cause", "_made_with"}  # exceptions inside compare by identity
        assert {k: v for k, v in vars(back).items() if k not in plain} == \
               {k: v for k, v in vars(error).items() if k not in plain}
        if isinstance(error, E.IndexIOError):
            assert (back.errno, back.filename, str(back.cause)) == (error.errno, error.filename, str(error.cause))
            assert back.errno == error.cause.errno and back.filename == error.path
