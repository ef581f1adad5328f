"""The in-kernel guard: every course_lib module, subpackages included, is protected, a decorated check
helper's own code is restored, and the report after a test cell names the check that failed (CheckFailed's
`.check`)."""
from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import course_lib
from course_tools.grader.kernel_guard import Event, Label, import_tree
from course_tools.grader.sandbox import PRELOAD, STRICT_CLASS_MODULES, TRUSTED_MODULES, WALK_PACKAGES
from course_tools.grader.scan import release_bindings
from course_tools.notebooks import read
from graderclass.day01 import PATCH_CODE
from support import ROOT, nbgrader_env

DAY = "day01_rnn"
MARKER = "@@guard@@"


def module_names(package: str, root: Path) -> list[str]:
    """Every module file below a package folder, as a dotted name."""
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if "__pycache__" not in parts:
            names.append(".".join([package, *(parts[:-1] if parts[-1] == "__init__" else parts)]))
    return names


def test_import_tree_imports_modules_of_subpackages_without_an_init_file(tmp_path: Path, monkeypatch) -> None:
    for rel in ("pkg/__init__.py", "pkg/a.py", "pkg/sub/b.py", "pkg/sub/deeper/c.py", "pkg/sub/__pycache__/x.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    import_tree("pkg")
    assert {"pkg.a", "pkg.sub.b", "pkg.sub.deeper.c"} <= set(sys.modules)
    for name in [n for n in sys.modules if n == "pkg" or n.startswith("pkg.")]:
        monkeypatch.delitem(sys.modules, name)


GUARDED_KERNEL = '''
import json, os, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
config = json.loads(sys.argv[2])
with open(config["secret_file"], "wb") as f:
    f.write(b"k" * 32)
guard = {"__name__": "course_grader_guard"}
exec(compile(open(sys.argv[1]).read(), "<course-grader-guard>", "exec"), guard)
guard["install"](config)
for cell in json.loads(sys.argv[3]):
    shell.run_cell(cell)
'''


@pytest.mark.slow
def test_the_guard_protects_course_lib_restores_check_code_and_reports_the_failed_check_by_name(tmp_path) -> None:
    release = read(ROOT / "notebooks" / DAY / f"{DAY}.ipynb")
    bindings = release_bindings(release)
    checks = next(module for alias, module, attr in bindings if alias == "check_equal")
    lib = Path(course_lib.__file__).resolve().parent
    trusted = [sys.prefix, sys.base_prefix, *site.getsitepackages(), str(lib)]
    config = {"preload": PRELOAD, "walk_packages": WALK_PACKAGES, "trusted_modules": TRUSTED_MODULES,
              "trusted_code": trusted, "allow_read": trusted, "deny_read": [str(ROOT / "solutions")],
              "deny_components": [], "allow_write": [str(tmp_path)], "submission_dirs": [str(tmp_path)],
              "deny_suffixes": [".db"], "bindings": bindings, "strict_class_modules": STRICT_CLASS_MODULES,
              "secret_file": str(tmp_path / "key"), "marker": MARKER}
    probe = textwrap.dedent(f"""
        import importlib
        unguarded = []
        for name in {module_names("course_lib", lib)!r}:
            try:
                setattr(importlib.import_module(name), "_probe", None)
                unguarded.append(name)
            except PermissionError:
                pass
        print("UNGUARDED", unguarded)
        """)
    cells = [f"from {checks} import check_close", probe, PATCH_CODE,
             f"__course_guard__('{Label.PRE}test_x', 'n1')",
             "check_close(1.0, 2.0, 'hidden check: one is two')",
             f"__course_guard__('{Label.POST}test_x', 'n2')"]
    script = tmp_path / "kernel.py"
    script.write_text(GUARDED_KERNEL)
    guard_source = Path(sys.modules[Label.__module__].__file__)
    result = subprocess.run([sys.executable, str(script), str(guard_source), json.dumps(config), json.dumps(cells)],
                            cwd=tmp_path, env=dict(nbgrader_env(), PYTHONPATH=os.pathsep.join([str(ROOT)])),
                            capture_output=True, text=True, timeout=300)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "UNGUARDED []" in out, out
    reports = {r["label"]: r for r in (json.loads(line.split(" ", 2)[2]) for line in out.splitlines()
                                       if line.startswith(MARKER))}
    pre, post = reports[f"{Label.PRE}test_x"], reports[f"{Label.POST}test_x"]
    assert f"{checks}.check_close.__code__ was replaced" in pre["findings"], pre["findings"]
    assert post["outcome"] == {"error": "CheckFailed", "check": "hidden check: one is two"}, post
    blocked = [e for e in pre["events"] if e["kind"] == Event.MODULE_ATTRIBUTE]
    assert len(blocked) == len(module_names("course_lib", lib)), blocked
