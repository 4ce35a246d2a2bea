"""Sphinx configuration of the documentation site (``make docs``).

The pages are the Markdown files of ``docs/``, read by MyST where they are, so
the README's links and GitHub's rendering of them keep working. The API
reference comes from the docstrings (autodoc, with Django set up first) and the
settings table from ``django_twostep.conf`` (``_ext/twostep_settings.py``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE / "_ext")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docs_settings")

import django  # noqa: E402  (after the path and the settings module are set)

django.setup()

import django_twostep  # noqa: E402

project = "django-twostep"
author = "django-twostep contributors"
copyright = "django-twostep contributors"
release = django_twostep.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "twostep_settings",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext"]

# Links such as [the catalogue](api.md#error-catalogue) are checked: a missing
# page or anchor is a warning, and `make docs` turns warnings into errors.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence", "deflist"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

# Other projects' inventories need the network; `make docs` runs offline (CI has
# none), so they are fetched only when DOCS_INTERSPHINX=1 (a site built online).
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
if os.environ.get("DOCS_INTERSPHINX") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "django": (
            "https://docs.djangoproject.com/en/stable/",
            "https://docs.djangoproject.com/en/stable/_objects/",
        ),
        "django-otp": ("https://django-otp-official.readthedocs.io/en/stable/", None),
    }

# Nitpicky (-n): every reference must resolve. Other projects' types are found
# only through their inventories (above); their docs are not part of this build.
# rest_framework, drf_spectacular, pyotp and pytest publish none that covers them.
_NO_INVENTORY = r"(rest_framework|drf_spectacular|pyotp|fido2|_pytest)(\..+)?"
_INVENTORY = r"(django|django_otp|collections|datetime|enum|typing|uuid)(\..+)?"
nitpick_ignore_regex = [(r"py:.*", _NO_INVENTORY)]
if not intersphinx_mapping:
    nitpick_ignore_regex.append((r"py:.*", _INVENTORY))
    # Names from `if TYPE_CHECKING:` imports, which autodoc sees unqualified.
    nitpick_ignore = [
        ("py:class", name) for name in ("AbstractBaseUser", "Device", "HttpRequest", "Promise")
    ]
# Type variables of generic signatures: not API of their own.
nitpick_ignore_regex += [
    (r"py:(class|obj)", r"(django_twostep\.(conf|flows\.codes)\.)?T"),
    (r"py:class", r"django_twostep\.decorators\.ViewFunc"),
    (r"py:class", r"django_twostep\.api\.schema\.F"),
]

html_theme = "furo"
html_title = f"django-twostep {release}"
