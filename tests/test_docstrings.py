"""The Examples sections of the docstrings run and print what they show."""

import doctest
import importlib
import io
import pkgutil
from pathlib import Path

import pytest

import skbio_plastic

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(skbio_plastic.__path__, "skbio_plastic.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_examples_exist_for_every_public_estimator():
    for name in skbio_plastic.__all__:
        obj = getattr(skbio_plastic, name)
        if isinstance(obj, type):
            assert ">>>" in (obj.__doc__ or ""), f"{name} has no Examples section"


DOC_DIR = Path(__file__).resolve().parents[1] / "doc"


@pytest.mark.parametrize("page", sorted(DOC_DIR.glob("*.rst")), ids=lambda p: p.name)
def test_doc_pages_are_valid_restructuredtext(page):
    """Tables, lists and literal blocks parse; Sphinx's own roles are not judged."""
    core = pytest.importorskip("docutils.core")
    messages = io.StringIO()
    core.publish_doctree(
        page.read_text(),
        settings_overrides={"warning_stream": messages, "report_level": 2},
    )
    sphinx_only = ("Unknown interpreted text role", "Unknown directive type")
    problems = [
        line
        for line in messages.getvalue().splitlines()
        if ("ERROR" in line or "WARNING" in line)
        and not any(text in line for text in sphinx_only)
    ]
    assert not problems, f"{page.name}: {problems}"
