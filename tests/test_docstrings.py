"""The Examples sections of the docstrings run and print what they show."""

import doctest
import importlib
import pkgutil

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
