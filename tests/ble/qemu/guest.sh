#!/bin/sh
# Inside the VM, chrooted into the host's root (read-only 9p): BlueZ up, then the guest test.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
modprobe hci_vhci
mkdir -p /run/dbus /tmp/bluetooth
dbus-daemon --system --fork --nopidfile
/usr/libexec/bluetooth/bluetoothd -n > /tmp/bluetoothd.log 2>&1 &
sleep 1
cd /work/main && /work/venv/bin/python tests/ble/qemu/guest.py
echo o > /proc/sysrq-trigger
