"""One device helper for the whole course: every day's source takes its device from course_lib's
`setup_notebook` (CUDA when there is one, `COURSE_DEVICE` to override) and never names a device itself, so
the same notebooks run on a CPU laptop and on a CUDA machine."""
from __future__ import annotations

import re

import pytest

from support import DAYS, ROOT

# what a notebook would write to pick a device by hand
HAND_PICKED = re.compile(r"""\.cuda\(|torch\.device\(\s*["'](cpu|cuda)|device\s*=\s*["'](cpu|cuda)""")


def source(day: str) -> str:
    return (ROOT / "sources" / f"{day}.py").read_text()


@pytest.mark.parametrize("day", DAYS)
def test_every_day_takes_its_device_from_setup_notebook(day: str) -> None:
    assert re.search(r"^device = setup_notebook\(", source(day), re.M), (
        f"sources/{day}.py must start with `device = setup_notebook(...)` (course_lib picks CPU or CUDA)")


@pytest.mark.parametrize("day", DAYS)
def test_no_day_picks_a_device_by_hand(day: str) -> None:
    found = [m.group(0) for m in HAND_PICKED.finditer(source(day))]
    assert not found, f"sources/{day}.py picks a device itself: {found}; use the `device` setup_notebook returns"


def test_the_pattern_finds_a_device_picked_by_hand() -> None:
    for line in ("x = x.cuda()", "model.to(torch.device('cuda'))", "t = torch.zeros(3, device='cuda')",
                 "h = torch.zeros(2, device=\"cpu\")"):
        assert HAND_PICKED.search(line), line
    assert not HAND_PICKED.search("model.to(device)\nx = y.detach().cpu().numpy()\nz = torch.empty(2, device='meta')")
