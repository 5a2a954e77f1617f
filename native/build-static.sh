#!/bin/sh
# Builds berth's static executables (berth-init, berth-shim, berth-reaper)
# into the directory given, for node-gyp (binding.gyp's static-executables).
#
# With musl-gcc where it is installed: these binaries start on every run and
# every exec, and a static glibc binary spends ~0.8 ms in its start-up
# (CPU feature probing, which traps to the hypervisor in a VM) before main;
# a musl one ~0.1 ms. Elsewhere the system compiler, with glibc.
# BERTH_STATIC_CC chooses the compiler.
set -eu
out=$(mkdir -p "$1" && cd "$1" && pwd)
cd "$(dirname "$0")/.."

cc=${BERTH_STATIC_CC:-}
if [ -z "$cc" ]; then
  if command -v musl-gcc >/dev/null 2>&1; then cc=musl-gcc; else cc=cc; fi
fi
set -- -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -Inative/include -Inative/common
if [ "$(basename "$cc")" = musl-gcc ]; then
  # musl's headers leave out the kernel's (linux/, asm/): they come from the
  # system's, after musl's own
  headers=$out/obj/musl-kernel-headers
  mkdir -p "$headers"
  multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
  ln -sfn /usr/include/linux "$headers/linux"
  ln -sfn "/usr/include/$multiarch/asm" "$headers/asm"
  ln -sfn /usr/include/asm-generic "$headers/asm-generic"
  set -- "$@" -idirafter "$headers"
fi

build() { # name, sources...
  name=$1
  shift
  # a running shim's binary cannot be overwritten (ETXTBSY): the new one is renamed over it
  "$cc" "$@" -o "$out/.$name.new" && mv -f "$out/.$name.new" "$out/$name"
}
build berth-init "$@" -Inative/init native/common/*.c native/init/*.c
build berth-shim "$@" -Inative/shim native/common/*.c native/shim/*.c
build berth-reaper "$@" native/reaper/reaper.c
