"""The ghost lab: build a patched kernel, pack an initramfs, boot it in QEMU."""
