"""A student's day in a real browser (headless Debian Chromium, Selenium), against the course started as
the README says: `python3 course.py lab`, student view, with an nbgrader exchange in which the instructor
has released Day 01.

Fetch Day 01 in the Assignments tab -> open it from there -> run its first cell -> fill in the first
exercise -> its visible test passes -> Validate -> Submit in the Assignments tab -> the file in the
exchange holds the answer. A screenshot of each step is kept in test-artifacts/browser/ (not committed)."""
from __future__ import annotations

import re
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.browser import ARTIFACTS, chromium, require_chromium, screenshot
from support.lab import COURSE_ID, ROOT, Lab, running_lab

DAY = "day01_rnn"
EXERCISE = "build_vocab"
STEP_TIMEOUT_S = 60      # one UI step (a page, a kernel start, a fetch)
VALIDATE_TIMEOUT_S = 240  # Validate reruns the whole notebook (grading budget)


def solution(source: Path, grade_id: str) -> str:
    """The model answer of an exercise: the lines between its BEGIN/END SOLUTION markers, dedented."""
    text = source.read_text()
    cell = text[text.index(f'grade_id="{grade_id}"'):]
    body = cell[cell.index("### BEGIN SOLUTION"):cell.index("### END SOLUTION")].splitlines()[1:]
    return textwrap.dedent("\n".join(body)).strip()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    require_chromium()
    tmp = tmp_path_factory.mktemp("browser")
    # the student has answered JupyterLab's "notified about official Jupyter news?" toast with No
    settings = tmp / "jupyter-config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    with running_lab(tmp, exchange_days=[DAY]) as lab:
        yield lab


class Student:
    """What the student does, as clicks and keys; `shot` keeps a numbered screenshot of each step."""

    def __init__(self, driver, lab: Lab) -> None:
        from selenium.webdriver.support.ui import WebDriverWait
        self.driver, self.lab, self.step = driver, lab, 0
        self.wait = WebDriverWait(driver, STEP_TIMEOUT_S, poll_frequency=0.2)

    def shot(self, name: str) -> None:
        self.step += 1
        screenshot(self.driver, ARTIFACTS, f"{self.step:02d}-{name}")

    def find(self, css: str, text: str | None = None, within=None, timeout: float = STEP_TIMEOUT_S):
        """The first visible element matching `css` (and containing `text`), once there is one."""
        from selenium.webdriver.support.ui import WebDriverWait

        def found(_):
            for element in (within or self.driver).find_elements("css selector", css):
                try:
                    if element.is_displayed() and (text is None or text in element.text):
                        return element
                except Exception:  # stale: the UI re-rendered, look again
                    continue
            return False
        return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(
            found, f"no visible {css!r}" + (f" with text {text!r}" if text else ""))

    def keys(self, *keys: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains
        ActionChains(self.driver).send_keys(*keys).perform()

    def chord(self, modifier: str, key: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains
        ActionChains(self.driver).key_down(modifier).send_keys(key).key_up(modifier).perform()

    def cell(self, contains: str):
        return self.find(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell", contains)

    def run_cell(self, cell) -> str:
        """Click into the cell, Shift+Enter, wait for its execution count; returns its output text."""
        from selenium.webdriver.common.keys import Keys
        editor = cell.find_element("css selector", ".cm-content")
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", editor)
        editor.click()
        self.chord(Keys.SHIFT, Keys.ENTER)
        prompt = cell.find_element("css selector", ".jp-InputPrompt")
        self.wait.until(lambda _: re.fullmatch(r"\[\d+\]:", prompt.text.strip()),
                        f"cell did not finish: prompt {prompt.text!r}")
        return "\n".join(o.text for o in cell.find_elements("css selector", ".jp-OutputArea-output"))


@pytest.mark.slow
def test_student_fetches_answers_validates_and_submits_in_the_browser(lab: Lab) -> None:
    from selenium.webdriver.common.keys import Keys

    for old in ARTIFACTS.glob("[0-9][0-9]-*.png"):
        old.unlink()
    started = time.monotonic()
    answer = solution(ROOT / "sources" / f"{DAY}.py", EXERCISE)
    with chromium() as driver:
        me = Student(driver, lab)
        driver.get(f"{lab.url}/lab?token={lab.token}")
        me.find("#jp-MainMenu .lm-MenuBar-item", "Nbgrader")
        me.find(".jp-DirListing-content")  # the file browser, on the (empty) working copy
        me.shot("lab-student-view")
        assert not driver.find_elements("css selector", "#nbgrader-create_assignemnt"), "Create Assignment shown"

        # the Assignments tab lists Day 01 as released; Fetch puts it in the working copy
        me.find("#jp-MainMenu .lm-MenuBar-item", "Nbgrader").click()
        items = [i.text for i in me.find(".lm-Menu").find_elements("css selector", ".lm-Menu-item") if i.text.strip()]
        me.shot("nbgrader-menu")
        assert items == ["Assignment List"], f"students should see only the assignment list: {items}"
        me.find(".lm-Menu .lm-Menu-item", "Assignment List").click()
        fetch = me.find("#released_assignments_list .list_item button", "Fetch")
        me.shot("assignments-released")
        fetch.click()
        link = me.find("#fetched_assignments_list .list_item a.assignment-notebooks-link", DAY)
        assert (lab.work / DAY / f"{DAY}.ipynb").is_file(), "fetched outside the working copy"
        me.find(".jp-DirListing-item", DAY)  # and the file browser shows it
        me.shot("assignments-fetched")

        # open the fetched notebook from the Assignments tab
        link.click()
        me.find(f"#nbgrader-{COURSE_ID}-{DAY} a", DAY).click()
        first = me.cell("setup_notebook")
        me.find(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=STEP_TIMEOUT_S)
        me.shot("day01-open")
        assert "device" in me.run_cell(first).lower(), "the first cell prints the device"
        me.shot("first-cell-ran")

        # fill in the first exercise: replace `raise NotImplementedError()` by the answer (as pasted)
        cell = me.cell(f"def {EXERCISE}(")
        editor = cell.find_element("css selector", ".cm-content")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", editor)
        line = next(l for l in cell.find_elements("css selector", ".cm-line") if "raise NotImplementedError" in l.text)
        line.click()
        me.keys(Keys.END)
        me.chord(Keys.SHIFT, Keys.HOME)  # selects the line's text, keeps its indentation
        line_text = driver.execute_script("return arguments[0].textContent", line)
        indent = line_text[:len(line_text) - len(line_text.lstrip())]
        driver.execute_cdp_cmd("Input.insertText", {"text": answer.replace("\n", "\n" + indent)})
        me.wait.until(lambda _: "NotImplementedError" not in editor.text and "counts" in editor.text)
        me.shot("answer-typed")
        output = me.run_cell(cell)
        assert "Error" not in output, output
        test_cell = me.cell(f"{EXERCISE}([")
        output = me.run_cell(test_cell)
        assert not test_cell.find_elements("css selector", "[data-mime-type='application/vnd.jupyter.stderr']"), output
        assert "Error" not in output and "Traceback" not in output, f"the visible test failed:\n{output}"
        me.shot("visible-test-passed")

        # save, then Validate: the other exercises are still open, so their tests fail, not this one
        me.chord(Keys.CONTROL, "s")
        me.find(".jp-NotebookPanel-toolbar button, .jp-NotebookPanel-toolbar .jp-ToolbarButtonComponent",
                "Validate").click()
        dialog = me.find(".jp-Dialog", "Validation Results", timeout=VALIDATE_TIMEOUT_S)
        body = dialog.find_element("css selector", ".jp-Dialog-body").text
        me.shot("validate-results")
        assert "NotImplementedError" in body, body[:2000]
        assert f'{EXERCISE}(["banana", "cab"])' not in body, "the answered exercise is listed as failing"
        me.find(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()

        # Submit from the Assignments tab: the exchange receives the edited notebook
        me.find(".lm-DockPanel-tabBar .lm-TabBar-tab", "Assignments").click()
        me.find("#fetched_assignments_list .list_item button", "Submit").click()
        me.find("#submitted_assignments_list .list_item", "UTC")
        me.shot("submitted")
    submitted = sorted((lab.exchange / COURSE_ID / "inbound").glob(f"*+{DAY}+*/{DAY}.ipynb"))
    assert len(submitted) == 1, submitted
    text = submitted[0].read_text()
    first_line = answer.splitlines()[0]
    assert first_line.replace('"', '\\"') in text, "the submitted notebook does not hold the student's answer"
    print(f"browser walk: {time.monotonic() - started:.0f} s")
