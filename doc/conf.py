"""Sphinx configuration of the skbio_plastic documentation.

Build with ``python -m sphinx -b html doc doc/_build/html`` from the repository
root (``pip install ".[docs]"`` first). Add ``-D plot_gallery=0`` to skip
running the gallery examples.
"""

import os
import sys
from datetime import date

# Document the source tree, installed or not.
sys.path.insert(0, os.path.abspath(".."))

try:
    from skbio_plastic import __version__ as release
except ImportError:  # an estimator module is missing or broken: still build
    release = "unknown"

project = "skbio_plastic"
author = "skbio_plastic developers"
copyright = f"{date.today().year}, {author}"
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = []
exclude_patterns = ["_build"]
# results.md is not a source document: results.rst shows it verbatim.
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"

# -- autodoc / autosummary / numpydoc ----------------------------------------
# The API page lists members itself, without generated stub files.
autosummary_generate = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- sphinx-gallery ------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "write_computation_times": False,
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"skbio_plastic {release}"
html_static_path = []


def _skip_sklearn_members(app, what, name, obj, skip, options):
    """Leave out members inherited from scikit-learn's base classes and mixins.

    ``get_params``, ``set_output``, ``fit_transform``, ``score``, the metadata
    routing methods...: they are documented by scikit-learn, and their
    docstrings link to labels that exist only in scikit-learn's documentation.
    """
    module = getattr(obj, "__module__", None) or ""
    if what == "class" and module.startswith("sklearn."):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_members)
