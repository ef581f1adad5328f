"""First names from the 1990 US Census lists, as shipped by the `names` package (MIT licence;
the census data itself is public domain). About 5,000 first names, offline."""
from __future__ import annotations

import importlib.resources


def _read(resource: str) -> list[str]:
    try:
        files = importlib.resources.files("names")
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError("course_lib.data.names.load_names needs the 'names' package: "
                                  "pip install names==0.3.0 (it is in requirements.txt)") from err
    names = []
    for line in (files / resource).read_text(encoding="ascii").splitlines():
        if line.strip():
            names.append(line.split()[0].lower())
    return names


def load_names(kind: str = "first") -> list[str]:
    """Lower-case names, sorted by census frequency (most common first), without duplicates.

    kind: "female", "male" or "first" (both, interleaved by frequency rank)."""
    if kind == "female":
        return _read("dist.female.first")
    if kind == "male":
        return _read("dist.male.first")
    if kind == "first":
        seen, out = set(), []
        female, male = _read("dist.female.first"), _read("dist.male.first")
        for i in range(max(len(female), len(male))):
            for source in (female, male):
                if i < len(source) and source[i] not in seen:
                    seen.add(source[i])
                    out.append(source[i])
        return out
    raise ValueError(f"kind must be 'female', 'male' or 'first', got {kind!r}")
