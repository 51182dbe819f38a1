"""The default boot scenarios (scenarios/boot-el1.toml, boot-hyp.toml), with
the same stops and expectations, booted through U-Boot's booti instead of
QEMU's -kernel: kernel _start with the hand-off registers and MMU state,
init_kernel, the first return to user and the root task's entry at EL0."""
import os

import pytest

from bootcheck.board import uboot
from scenario_runner import ROOT, judge, run_scenario

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

SCENARIOS = ["boot-el1", "boot-hyp"]


def cases():
    from bootcheck.boot import scenario
    out = []
    for stem in SCENARIOS:
        path = os.path.join(ROOT, "scenarios", f"{stem}.toml")
        out += [pytest.param(path, i, id=f"{stem}-{k}") for i, k in enumerate(scenario.kernel_ids(path))]
    return out


@pytest.mark.parametrize("path,kernel_index", cases())
def test_scenario_through_uboot(path, kernel_index, request, tmp_path_factory):
    why = uboot.missing()
    if why:
        pytest.skip(why)
    prepared, run = run_scenario(path, kernel_index, request, tmp_path_factory,
                                 firmware=uboot.BootiFirmware())
    problems, text = judge(prepared, run)
    print(text)
    assert "## Flattened Device Tree blob at" in run.serial, "U-Boot did not run booti\n" + text
    assert "loader: DTB from payload kernel.dtb" in run.serial, text
    assert not problems, "\n".join(problems) + "\n\n" + text
