"""The pinned environment: requirements.txt and environment.yml agree, torch is exactly 2.13.0, and what
is installed is what is pinned. The README's test command is what CI runs."""
from __future__ import annotations

import re
from importlib.metadata import version

import yaml

from support import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.+\-]+)$")


def pins(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        match = PIN.match(line.strip())
        assert match, f"not an exact pin (name==version): {line!r}"
        out[match.group(1).lower()] = match.group(2)
    return out


def requirements() -> dict[str, str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return pins([l for l in lines if l.strip() and not l.lstrip().startswith("#")])


def conda_pip_section() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip) == 1, "environment.yml needs exactly one pip section"
    assert "python=3.11" in env["dependencies"]
    return pins(pip[0])


def test_requirements_and_environment_yml_pin_the_same_versions() -> None:
    assert requirements() == conda_pip_section()


def test_torch_is_pinned_exactly() -> None:
    assert requirements()["torch"] == "2.13.0"


def test_installed_versions_are_the_pinned_ones() -> None:
    wrong = {}
    for name, pinned in requirements().items():
        installed = version(name).split("+")[0]
        if installed != pinned:
            wrong[name] = f"pinned {pinned}, installed {installed}"
    assert not wrong, f"re-run `python3 course.py test` to reinstall: {wrong}"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "python3 course.py test" in ci and "python3 course.py test" in readme
    assert "python3 course.py lab" in readme
