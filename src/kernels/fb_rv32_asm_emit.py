# fb_rv32_asm_emit.py — what the RV32 assembly generators (fb-kernel-rv32-asm.py,
# fb-kernel-rv32-dw-asm.py) share: turning a routine's lines into a top-level __asm__
# statement and writing the generated .inc next to the generators.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import os


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
