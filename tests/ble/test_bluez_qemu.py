"""bleak's real BlueZ backend, end to end, inside a QEMU VM (manual: ``pytest -m qemu``).

The VM boots the host's Debian kernel with a small busybox initramfs that mounts the host root
read-only over 9p, chroots into it and runs ``qemu/guest.sh``: hci_vhci, D-Bus, bluetoothd, and
``qemu/guest.py`` (a bumble controller on /dev/vhci with the virtual sensor beside it; formlab's
scan and record over bleak's BlueZ backend). Software emulation (``-cpu max``: the venv's
Python needs the host's instruction set): about two minutes.
Needs the Debian packages qemu-system-x86 linux-image-amd64 bluez busybox-static.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.qemu

HERE = Path(__file__).resolve().parent
#: what the initramfs needs to mount the host root; their dependencies come from modules.dep
MODULES = ["virtio_pci", "9pnet_virtio", "9p"]
INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /mnt
mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev
for m in {modules}; do insmod /modules/$m.ko; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro hostroot /mnt
for d in tmp run var/lib/bluetooth; do mount -t tmpfs tmpfs /mnt/$d; done
mount --bind /dev /mnt/dev && mount --bind /proc /mnt/proc && mount --bind /sys /mnt/sys
exec chroot /mnt /bin/sh {guest}
"""


def _kernel() -> tuple[Path, Path]:
    kernels = sorted(Path("/boot").glob("vmlinuz-*"))
    if not kernels or not shutil.which("qemu-system-x86_64") or not Path("/usr/libexec/bluetooth/bluetoothd").exists():
        pytest.skip("needs qemu-system-x86, linux-image-amd64 and bluez installed")
    version = kernels[-1].name.removeprefix("vmlinuz-")
    return kernels[-1], Path("/lib/modules") / version


def _initramfs(tmp: Path, modules_dir: Path) -> Path:
    root = tmp / "initramfs"
    (root / "bin").mkdir(parents=True)
    (root / "modules").mkdir()
    shutil.copy("/bin/busybox", root / "bin" / "busybox")
    deps = {}
    for line in (modules_dir / "modules.dep").read_text().splitlines():
        path, _, needs = line.partition(":")
        deps[path] = needs.split()
    by_name = {path.rsplit("/", 1)[-1].removesuffix(".ko"): path for path in deps}
    order: list[str] = []

    def visit(path: str) -> None:
        for need in deps[path]:
            visit(need)
        if path not in order:
            order.append(path)

    for name in MODULES:
        visit(by_name[name])
    names = []
    for path in order:
        name = path.rsplit("/", 1)[-1].removesuffix(".ko")
        shutil.copy(modules_dir / path, root / "modules" / f"{name}.ko")
        names.append(name)
    init = root / "init"
    init.write_text(INIT.format(modules=" ".join(names), guest=HERE / "qemu" / "guest.sh"))
    init.chmod(0o755)
    image = tmp / "initramfs.cpio"
    files = subprocess.run(["find", "."], cwd=root, capture_output=True, text=True, check=True).stdout
    with open(image, "wb") as out:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, input=files.encode(), stdout=out, check=True)
    return image


def test_record_through_bluez_in_a_vm(tmp_path):
    kernel, modules_dir = _kernel()
    initramfs = _initramfs(tmp_path, modules_dir)
    cmd = ["qemu-system-x86_64", "-m", "1536", "-smp", "2", "-cpu", "max", "-nographic", "-no-reboot",
           "-kernel", str(kernel), "-initrd", str(initramfs),
           "-append", "console=ttyS0 panic=-1 quiet",
           "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("QEMU-RESULT ")]
    assert lines, proc.stdout[-3000:]
    result = json.loads(lines[-1].removeprefix("QEMU-RESULT "))
    assert "error" not in result, result
    assert result["found"] == [["formlab-virtual", "formlab IMU profile"]]
    assert result["rows_are_delivered_samples"], result
    assert result["rows"] > 1500 and result["samples_lost"] == 0 and result["ended_by"] == "duration"
