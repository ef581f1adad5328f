"""course_lib's map stays true: every module is named in the package docstring (the map a reader starts
from) and in its role's docstring, and every role the map lists exists."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import course_lib

PACKAGE = Path(course_lib.__file__).parent
ROLES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
MODULES = [(role, p.stem) for role in ROLES for p in sorted((PACKAGE / role).glob("*.py")) if p.stem != "__init__"]


def mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text) is not None


@pytest.mark.parametrize("role, module", MODULES, ids=[f"{r}.{m}" for r, m in MODULES])
def test_every_module_is_on_the_package_map(role: str, module: str) -> None:
    block = re.search(rf"^    {role}/(.*?)(?=^    \w+/|\Z)", course_lib.__doc__, re.M | re.S)
    assert block, f"course_lib's docstring has no line for the role {role}/"
    assert mentions(block.group(1), module), f"course_lib's package map does not name {role}/{module}"


@pytest.mark.parametrize("role, module", MODULES, ids=[f"{r}.{m}" for r, m in MODULES])
def test_every_module_is_named_in_its_roles_docstring(role: str, module: str) -> None:
    doc = importlib.import_module(f"course_lib.{role}").__doc__ or ""
    assert mentions(doc, module), f"course_lib/{role}/__init__.py's docstring does not name {module}"


def test_every_role_on_the_map_exists() -> None:
    listed = re.findall(r"^    (\w+)/", course_lib.__doc__, re.M)
    assert sorted(listed) == ROLES
