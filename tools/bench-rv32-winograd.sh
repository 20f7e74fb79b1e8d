#!/bin/sh
# bench-rv32-winograd.sh — the integer Winograd conv (src/kernels/fb-kernel-conv-winograd.c)
# against the direct conv on rv32imc: instructions per MAC of fb_conv_u8_u8_i8 with prepared
# weights (QEMU minstret, deterministic, load-independent) for a few 3x3 stride-1 shapes, the
# kernel scratch and the prepared weights' bytes of each path, and the .text of the Winograd
# object.  Builds two ELFs from the same sources, the second with the Winograd path disabled
# (-DFB_KI_WINO_MIN_CH=100000).
#
#   tools/bench-rv32-winograd.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=riscv64-unknown-elf-gcc
flags="-march=rv32imc -mabi=ilp32 -O2 -std=c99 --specs=picolibc.specs --oslib=semihost
  -Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x400000
  -Wl,--defsym=__ram=0x80400000 -Wl,--defsym=__ram_size=0x7000000"
k=$root/src/kernels
srcs="$k/fb-kernel-common.c $k/fb-kernel-pack.c $k/fb-kernel-conv.c $k/fb-kernel-conv-winograd.c
  $k/fb-kernel-depthwise.c $k/fb-kernel-linear.c $k/fb-kernel-add.c $k/fb-kernel-dispatch.c
  $k/fb-kernel-ref.c $k/fb-kernel-bench.c $root/tools/bench-rv32-winograd.c"
run () {
  qemu-system-riscv32 -machine virt -m 128M -display none -serial none -monitor none \
    -bios none -icount shift=0 -semihosting-config enable=on,target=native -kernel "$1" 2>&1
}
# shellcheck disable=SC2086
$cc $flags -I"$k" $srcs -o "$tmp/wino.elf"
# shellcheck disable=SC2086
$cc $flags -I"$k" -DFB_KI_WINO_MIN_CH=100000 $srcs -o "$tmp/direct.elf"
run "$tmp/wino.elf" > "$tmp/wino.txt"
run "$tmp/direct.elf" > "$tmp/direct.txt"
# shellcheck disable=SC2086
$cc $flags -c "$k/fb-kernel-conv-winograd.c" -o "$tmp/w.o"
python3 - "$tmp/direct.txt" "$tmp/wino.txt" <<'PY'
import sys
def rows(f):
    out = []
    for l in open(f):
        p = l.split()
        if p and p[0] == 'R':
            n = len(p)
            out.append((' '.join(p[1:n - 6]), int(p[n - 6]), int(p[n - 5]), int(p[n - 4]),
                        int(p[n - 3]), int(p[n - 2]), int(p[n - 1])))
    return out
d, w = rows(sys.argv[1]), rows(sys.argv[2])
print('u8 x i8 -> u8, 3x3 stride 1, prepared weights: instructions/MAC (rv32imc, QEMU minstret)')
print('%-28s %8s %8s %7s  %s' % ('shape', 'direct', 'winograd', 'ratio', 'scratch B / weights B (direct -> winograd), ok'))
for a, b in zip(d, w):
    print('%-28s %8.3f %8.3f %7.2f  %d/%d -> %d/%d %s%s' % (
        a[0], a[1] / a[2], b[1] / b[2], b[1] / a[1], a[5], a[6], b[5], b[6],
        'ok' if a[3] and b[3] else 'MISMATCH', '' if b[4] else ' (direct: not applicable)'))
PY
riscv64-unknown-elf-size "$tmp/w.o" | awk 'NR == 2 { print "fb-kernel-conv-winograd.o text: " $1 " B" }'
