#!/bin/sh
# Prints who it is and what it runs on; the demo runs the arm64 image's copy through emulation.
# Shell builtins only (plus uname), so it also runs in a bare chroot without /dev or /proc.
info=""
[ -r /app/build-info ] && read -r info </app/build-info
echo "${GREETING:-hello}, ${1:-world}: running on $(uname -m); ${info}"
