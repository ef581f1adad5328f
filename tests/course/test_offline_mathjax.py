"""Equations render without a network: feedback HTML carries MathJax inline and references nothing
remote; the formgrader's pages load the MathJax the Jupyter server serves (jupyter-server-mathjax)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from course_tools import mathjax
from support.lab import ROOT, lab_env

DAY = "day01_rnn"


class Resources(HTMLParser):
    """What a page loads (src/href of script, link, img, iframe) and the text of its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attrs_ = dict(attrs)
        for name in ("src", "href"):
            if tag in ("script", "link", "img", "iframe") and attrs_.get(name):
                self.urls.append(attrs_[name])
        if tag == "script" and not attrs_.get("src"):
            self._in_script = True
            self.inline.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline[-1] += data


def parse(html: str) -> Resources:
    page = Resources()
    page.feed(html)
    return page


def nbgrader(course: Path, env: dict, *args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "[ERROR]" not in result.stderr, f"nbgrader {args}:\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def feedback_html(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Feedback for one student who handed in the untouched release, made by the real nbgrader steps in
    a throw-away copy of the course."""
    tmp = tmp_path_factory.mktemp("mathjax")
    course = tmp / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / DAY, course / "solutions" / DAY)
    env = lab_env(tmp, None)
    env["COURSE_GRADEBOOK"] = f"sqlite:///{course / 'gradebook.db'}"
    nbgrader(course, env, "generate_assignment", DAY, "--force")
    shutil.copytree(course / "notebooks" / DAY, course / "submitted" / "alice" / DAY)
    nbgrader(course, env, "autograde", DAY, "--student", "alice")
    nbgrader(course, env, "generate_feedback", DAY, "--student", "alice")
    yield course / "feedback" / "alice" / DAY / f"{DAY}.html"


@pytest.mark.slow
def test_feedback_references_nothing_remote(feedback_html: Path) -> None:
    page = parse(feedback_html.read_text())
    remote = [url for url in page.urls if url.startswith(("http:", "https:", "//"))]
    assert not remote, f"feedback loads from the network: {remote}"
    assert "cdnjs.cloudflare.com" not in feedback_html.read_text()


@pytest.mark.slow
def test_feedback_carries_the_local_mathjax_inline(feedback_html: Path) -> None:
    source = mathjax.mathjax3_file()
    assert source.is_file(), f"the MathJax file inlined into feedback is missing: {source}"
    page = parse(feedback_html.read_text())
    code = source.read_text(encoding="utf-8")
    assert any(len(s) >= len(code) and code[:2000] in s and code[-2000:] in s for s in page.inline), \
        "feedback does not hold the whole MathJax script inline"
    assert any("window.MathJax" in s and "inlineMath" in s for s in page.inline), "MathJax config missing"
    assert r"\tanh" in feedback_html.read_text(), "the notebook's LaTeX should be in the page for MathJax"


@pytest.mark.slow
def test_feedback_equations_render_offline_in_a_browser(feedback_html: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    from support.browser import ARTIFACTS, chromium, offline, screenshot
    with chromium() as driver:
        offline(driver)
        driver.get(feedback_html.as_uri())
        WebDriverWait(driver, 60).until(lambda d: d.execute_script(
            "return document.querySelectorAll('mjx-container svg').length"))
        rendered = driver.execute_script("return document.querySelectorAll('mjx-container').length")
        errors = driver.execute_script("return document.querySelectorAll('mjx-merror').length")
        target = driver.find_element("css selector", "mjx-container")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
        screenshot(driver, ARTIFACTS, "feedback-offline-mathjax")
    assert rendered >= 10 and errors == 0, (rendered, errors)


def test_formgrader_pages_load_the_server_mathjax(tmp_path: Path) -> None:
    """The formgrader renders a submission with nbconvert's 'formgrade' template at
    {base}formgrader/submissions/<id>/: its MathJax URL must lead to the served local copy."""
    import jupyter_server_mathjax
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", str(ROOT)).load_config()
    config.HTMLExporter.template_name = "formgrade"
    exporter = HTMLExporter(config=config)
    nb = nbformat.read(ROOT / "notebooks" / DAY / f"{DAY}.ipynb", as_version=4)
    resources = {"base_url": "/user/x", "assignment_id": DAY, "notebook_id": DAY, "submission_id": "abc",
                 "index": 0, "total": 1, "student": "alice", "last_name": "", "first_name": "",
                 "notebook_path": "/user/x/tree/autograded/alice/day01_rnn/day01_rnn.ipynb"}
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    scripts = [url for url in parse(html).urls if "MathJax" in url]
    assert len(scripts) == 1, scripts
    url = scripts[0]
    assert not url.startswith(("http:", "https:", "//")), url
    page = "https://host/user/x/formgrader/submissions/abc/"
    from urllib.parse import urljoin, urlsplit
    served = urlsplit(urljoin(page, url)).path
    assert served == "/user/x/static/jupyter_server_mathjax/MathJax.js", served
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    assert (static / "MathJax.js").is_file()
    config_name = url.split("config=")[1].split(",")[0]
    assert (static / "config" / f"{config_name}.js").is_file(), config_name
    assert (static / "fonts" / "HTML-CSS" / "STIX-Web" / "woff").is_dir()
