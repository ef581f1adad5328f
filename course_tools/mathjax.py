"""MathJax without a network, for the HTML that nbgrader writes.

nbgrader's feedback and formgrader templates call nbconvert's `mathjax()` macro, which loads MathJax 2
from a CDN: offline, every equation shows as raw LaTeX. nbgrader_config.py puts templates/ first on the
HTML exporter's template path, where `mathjax.html.j2` replaces that macro:

- feedback (templates/feedback/): MathJax 3 (tex-svg-full, from the pinned django-static-mathjax
  package) inline in the page, so the file renders wherever it is opened: from disk, an LMS download,
  or the Assignments tab. SVG output needs no font files; the full TeX bundle needs no extension loads.
- formgrader (templates/formgrade/): the MathJax 2 that the jupyter-server-mathjax server extension
  serves (the formgrader's own script calls MathJax 2's API), at a URL relative to the page.
"""
from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

COMPONENT = "tex-svg-full.js"
CONFIG = """window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
        processEscapes: true, processEnvironments: true, tags: 'ams'},
  options: {enableMenu: false},
  svg: {fontCache: 'global'}
};"""


def mathjax3_file() -> Path:
    """The MathJax 3 component inlined into feedback (installed by django-static-mathjax)."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("MathJax 3 is missing: install the pinned django-static-mathjax "
                                  "(python3 course.py test sets the environment up)")
    return Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5" / COMPONENT


@cache
def _script() -> str:
    code = mathjax3_file().read_text(encoding="utf-8")
    code = re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)  # cannot end the element early
    return (f"<!-- MathJax 3 ({COMPONENT}, Apache-2.0), inline so that equations render offline -->\n"
            f"<script>\n{CONFIG}\n</script>\n<script>\n{code}\n</script>")


def inline_mathjax(_: object = None) -> str:
    """Jinja filter (`{{ none | inline_mathjax }}`): the <script> elements that configure and hold MathJax 3."""
    return _script()
