"""The broken-input corpus (fixtures/broken/cases.py, built by `make all`):
every malformed kernel, root task, DTB and payload archive is refused by the
pack step with its exact `pack: error:` line, and, packed without the
pre-check, by the booted loader with its exact `loader: error:` line, after
which the loader prints nothing, never enters the kernel, and powers the
machine off."""

import json
import os

import pytest
from elftools.elf.elffile import ELFFile

from bootcheck.boot import qemu_machine
from bootcheck.pack import images

BUILD = os.environ.get("BUILD", os.path.join(images.ROOT, "build"))
MANIFEST = os.path.join(BUILD, "fixtures", "broken", "cases.json")
MIN_CASES = 30


def _load_manifest():
    if not os.path.exists(MANIFEST):
        return {"good": None, "cases": []}
    with open(MANIFEST) as f:
        return json.load(f)


CORPUS = _load_manifest()
CASES = CORPUS["cases"]
PACKABLE = [c for c in CASES if c["pack_error"] is not None]


def build_path(rel):
    """Manifest paths are relative to $(BUILD); "" and None mean "not given"."""
    return os.path.join(BUILD, rel) if rel else rel


def loader_end_of(image):
    with open(image, "rb") as f:
        sym = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name("__loader_end")
        assert sym, f"{image} has no __loader_end"
        return sym[0]["st_value"]


def expected_line(template, inputs, image_for_loader_end):
    line = template
    for slot in ("kernel", "roottask", "dtb"):
        line = line.replace("{" + slot + "}", inputs.get(slot) or "")
    if "{loader_end}" in line:
        line = line.replace("{loader_end}", f"{loader_end_of(image_for_loader_end):#x}")
    return line


def pack_unchecked(case, out, monkeypatch):
    """The case's payload linked behind the loader with no pre-check: an
    archive case as its own archive (PAYLOAD_CPIO), any other case from its
    files by the ordinary pack step."""
    payload = {k: build_path(v) for k, v in case["payload"].items()}
    if payload["archive"]:
        monkeypatch.setenv("PAYLOAD_CPIO", payload["archive"])
        r = images.pack("", "", out, unchecked=True)
    else:
        r = images.pack(payload["kernel"], payload["roottask"], out, dtb=payload["dtb"],
                        unchecked=True)
    assert r.returncode == 0, f"packing without the pre-check failed:\n{r.output}"
    return payload, r.image


def test_corpus_is_built():
    assert os.path.exists(MANIFEST), f"{MANIFEST} is missing: run `make all` first"
    assert len(CASES) >= MIN_CASES, f"only {len(CASES)} broken inputs in {MANIFEST}"
    assert {c["slot"] for c in CASES} == {"kernel", "roottask", "dtb", "archive"}


@pytest.mark.slow
@pytest.mark.parametrize("case", PACKABLE, ids=[c["id"] for c in PACKABLE])
def test_pack_step_refuses(case, tmp_path, monkeypatch):
    inputs = {k: build_path(v) for k, v in case["pack_inputs"].items()}
    out = tmp_path / "image.elf"
    r = images.pack(inputs["kernel"], inputs["roottask"], out, dtb=inputs["dtb"])
    assert r.returncode != 0, f"{case['id']} ({case['mutation']}) was packed:\n{r.output}"
    assert not out.exists(), "a refused pack step must not leave an image behind"
    image = None
    if "{loader_end}" in case["pack_error"]:
        # The loader's extent depends on the payload it is linked with.
        _, image = pack_unchecked(case, tmp_path / "unchecked.elf", monkeypatch)
    want = expected_line(case["pack_error"], inputs, image)
    errors = [l for l in r.output.splitlines() if l.startswith("pack: error:")]
    assert errors == [want], f"{case['id']} ({case['mutation']}):\n{r.output}"


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_loader_refuses(case, booter, tmp_path, monkeypatch):
    payload, image = pack_unchecked(case, tmp_path / "image.elf", monkeypatch)
    r = booter.boot(image, machine=qemu_machine.machine_at_el(1), timeout=5,
                    deliberate="a broken payload (its kernel may not even parse): the loader refuses it at EL1")
    want = expected_line(case["loader_error"], payload, image)
    lines = [l for l in r.lines if l.strip()]
    assert want in lines, f"{case['id']} ({case['mutation']}): want {want!r}\n{r.describe()}"
    assert lines[-1] == want, f"the loader printed more after its error:\n{r.describe()}"
    assert sum(l.startswith("loader: error:") for l in lines) == 1, r.describe()
    assert not any(l.startswith("loader: jumping to kernel") for l in lines), r.describe()
    assert not r.timed_out and r.exit_code == 0, (
        f"QEMU must power off by itself within 5 s: {r.describe()}")


# Controls: the good inputs every case is derived from are accepted, so each
# refusal above is the mutation's doing.

@pytest.mark.qemu
@pytest.mark.parametrize("via", ["pack-step", "payload-archive"])
def test_good_inputs_boot(via, booter, tmp_path, monkeypatch):
    good = CORPUS["good"]
    assert good, f"{MANIFEST} is missing: run `make all` first"
    if via == "payload-archive":
        monkeypatch.setenv("PAYLOAD_CPIO", build_path(good["archive"]))
        r = images.pack("", "", tmp_path / "image.elf", unchecked=True)
    else:
        r = images.pack(build_path(good["kernel"]), build_path(good["roottask"]),
                        tmp_path / "image.elf", dtb=build_path(good["dtb"]))
    assert r.returncode == 0, r.output
    boot = booter.boot(r.image, kernel=build_path(good["kernel"]), timeout=10,
                       stop_patterns=("probe: done",))
    assert "loader: error:" not in boot.serial, boot.describe()
    assert boot.stopped_on == "probe: done", boot.describe()
