# fb_rv32_asm_emit.py — what the RV32 assembly generators (fb-kernel-rv32-asm.py,
# fb-kernel-rv32-dw-asm.py) share: turning a routine's lines into a top-level __asm__
# statement and writing the generated .inc next to the generators.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import os


def prologue(name, frame):
    """A global routine's label, a stack frame of `frame` bytes and s0-s11 saved at its
    bottom (every generated routine uses all twelve callee-saved registers)."""
    return (['.text', '.balign 4', f'.globl {name}', f'.type {name}, @function', f'{name}:',
             f'addi sp, sp, -{frame}'] + [f'sw s{i}, {4 * i}(sp)' for i in range(12)])


def restore_saved():
    """s0-s11 back from the bottom of the frame prologue() made."""
    return [f'lw s{i}, {4 * i}(sp)' for i in range(12)]


def emit(fn):
    name, L = fn
    body = '\n'.join(f'  "{l}\\n"' for l in L)
    return f'__asm__ (\n{body}\n);\n'


def write_inc(inc_name, header, fns):
    """Writes inc_name (beside this file): the header comment lines, then every routine."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, inc_name), 'w') as f:
        f.write(header)
        for fn in fns:
            f.write(emit(fn) + '\n')
