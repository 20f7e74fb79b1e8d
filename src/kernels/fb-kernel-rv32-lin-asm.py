#!/usr/bin/env python3
# fb-kernel-rv32-lin-asm.py — generates fb-kernel-rv32-lin-asm.inc, the RV32IM 16-row blocks of
# the linear kernels (included by fb-kernel-linear.c on RISC-V).  Run it after changing it:
#   python3 fb-kernel-rv32-lin-asm.py
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The weights of a 16-row block are laid out [step][16]: 64 bytes per input word.  Every
# routine is `void name (const uint32_t *x, const uint32_t *w, int32_t ns, int32_t *sum)`: a0 x
# (the staged input words), a1 the block's words, a2 ns (the number of input words, >= 1),
# a3 the 16 dot products (out).  The .inc also holds the templates of lin_step8 ()'s inline
# asm (8 rows of one input word, GCC's 16-row C loop for the HI blocks longer than c words).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fb_rv32_asm_emit import prologue, restore_saved, write_inc  # noqa: E402

S16 = [f's{i}' for i in range(12)] + ['t0', 't1', 't2', 't3']   # r16()'s 16 sums
RUN8 = ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 'a7']        # hi16x6()'s running sums


def hi16x6():
    # HI with c = 6 (u4 x i4: T = 3, L = 12; u2 x i2: T = 4, L = 9, c = 6 of its 14 by the
    # entry _l9), a 16-row block as two halves of 8 rows, all in registers: the 8 running
    # sums (t0-t6, a7), the 8 dot products (s0-s7), two groups of 6 words unrolled, the first
    # word of a group written by `mulhu` (no reset) and the take-out an `and` with the mask
    # 2^L - 1 and an `add`: 19 instructions per row and group of 18 MACs (u4 x i4), where the
    # 16-row loop with the sums in memory needed 25 and the low word (T = 3, L = 11, at every
    # word) 24.  The r = ns mod 12 words that do not fill a pair of groups (r = 12 when ns is
    # a multiple of 12) come first: their first word written by `mulhu` as the first word of
    # a group is, then x and w moved back by 12 - r words and a jump (through the table at
    # the end, set once per call) to word 13 - r of the pair, or to the take-out after word
    # 11 (r = 1) or after word 5 (r = 7).  In the loop: a0 x, a1 w, a2 the end of x, a4 the
    # mask, a5 the x word, a6 a product; s8 x, s9 the half's words, s10 x moved back, ra the
    # move of w (bytes), s11 the jump's target; the end of the output at 52(sp).
    name, l9 = 'fb_ki_rv32_lin_hi16x6', 'fb_ki_rv32_lin_hi16x6_l9'

    def row(p, off, s):
        if p % 6 == 0:
            return [f'lw a6, {off}(a1)', f'mulhu {s}, a6, a5']
        return [f'lw a6, {off}(a1)', 'mulhu a6, a6, a5', f'add {s}, {s}, a6']

    def word(p):
        out = [f'lw a5, {4 * p}(a0)']
        for i, s in enumerate(RUN8):
            out += row(p, p * 64 + 4 * i, s)
        return out

    def outs():
        out = []
        for i, s in enumerate(RUN8):
            out += [f'and a6, {s}, a4', f'add s{i}, s{i}, a6']
        return out

    def lab(p):
        return {6: '.Lfb_lin_hi6_out1', 12: '.Lfb_lin_hi6_out2'}.get(p, f'.Lfb_lin_hi6_w{p}')

    L = ['.text', '.align 2', f'.globl {name}', f'.type {name}, @function',
         f'.globl {l9}', f'.type {l9}, @function',
         f'{l9}:', 'li a4, 511', 'j 3f',                 # L = 9 (u2 x i2)
         f'{name}:', 'lui a4, 1', 'addi a4, a4, -1',     # L = 12 (u4 x i4)
         '3:', 'addi sp, sp, -64'] + [f'sw s{i}, {4 * i}(sp)' for i in range(12)]
    L += ['sw ra, 48(sp)', 'addi a6, a3, 64', 'sw a6, 52(sp)',   # the end of the output
          'li a6, 12', 'remu a5, a2, a6', 'bnez a5, 1f', 'mv a5, a6',   # r, 12 for 0
          '1:', 'slli a2, a2, 2', 'add a2, a0, a2',      # the end of x
          'sub a6, a6, a5', 'slli a7, a6, 2', 'sub s10, a0, a7',   # x moved back by 12 - r
          'slli ra, a6, 6',                              # and w
          'lla s11, .Lfb_lin_hi6_tab', 'slli a7, a5, 2', 'add a7, s11, a7', 'lw a7, -4(a7)',
          'add s11, s11, a7',                            # the jump's target
          'mv s8, a0', 'mv s9, a1']
    # a half: rows s9 on; the first word of the r, then the jump
    L += ['2:'] + [f'li s{i}, 0' for i in range(8)] + ['mv a1, s9', 'lw a5, 0(s8)']
    for i, s in enumerate(RUN8):
        L += row(0, 4 * i, s)
    L += ['mv a0, s10', 'sub a1, a1, ra', 'jr s11', '1:']
    for p in range(12):
        if p % 6:
            L.append(f'{lab(p)}:')
        L += word(p)
        if p % 6 == 5:
            L += [f'{lab(p + 1)}:'] + outs()
    L += ['addi a0, a0, 48', 'addi a1, a1, 768', 'bltu a0, a2, 1b']
    L += [f'sw s{i}, {4 * i}(a3)' for i in range(8)]
    L += ['addi a3, a3, 32', 'addi s9, s9, 32', 'lw a6, 52(sp)', 'bne a3, a6, 2b']
    L += restore_saved() + ['lw ra, 48(sp)', 'addi sp, sp, 64', 'ret', '.align 2']
    # per r = 1 .. 12: the second take-out, words 11 .. 7, the first take-out, words 5 .. 1
    tab = [f'{lab(p)} - .Lfb_lin_hi6_tab' for p in range(12, 0, -1)]
    L += ['.Lfb_lin_hi6_tab:'] + [f'.word {tab[i]}, {tab[i + 1]}' for i in range(0, 12, 2)]
    L += [f'.size {name}, .-{name}', f'.size {l9}, .-{l9}']
    return name, L


def r16(name, pre, first, row, post=None):
    # a 16-row block in one pass: the 16 sums in registers (s0-s11, t0-t3), two words per
    # iteration.  The first word writes the sums (no reset); an odd count of the words left
    # enters the loop at its second word, x and w moved back by a word.  a2 becomes the end
    # of x, a4 the x word, a5 a product, a6 a constant of pre.  first (r, s) / row (off, s)
    # emit a row's step, r the row, s its sum, off the weight's byte offset; post (s) the
    # take-out of a sum before it is stored.
    L = prologue(name, 48) + pre + ['slli a2, a2, 2', 'add a2, a0, a2', 'lw a4, 0(a0)']
    for r, s in enumerate(S16):
        L += first(r, s)
    L += ['addi a0, a0, 4', 'addi a1, a1, 64', 'beq a0, a2, 3f', 'sub a5, a2, a0',
          'andi a5, a5, 4', 'beqz a5, 1f', 'addi a0, a0, -4', 'addi a1, a1, -64', 'j 2f']
    for p, lab in enumerate(('1:', '2:')):
        L += [lab, f'lw a4, {4 * p}(a0)']
        for r, s in enumerate(S16):
            L += row(p * 64 + 4 * r, s)
    L += ['addi a0, a0, 8', 'addi a1, a1, 128', 'bltu a0, a2, 1b', '3:']
    if post:
        for s in S16:
            L += post(s)
    L += [f'sw {s}, {4 * r}(a3)' for r, s in enumerate(S16)]
    L += restore_saved() + ['addi sp, sp, 48', 'ret', f'.size {name}, .-{name}']
    return name, L


def dir16():
    # DIRECT (u4 x i2, u2 x i4: T = 4, L = 8, the dot product the top byte of the low word,
    # taken out at every word): per word the x load and per row lw, mul, srli 24, add (65
    # instructions per 64 MACs; GCC's loop of lin_step16 () took 70)
    return r16('fb_ki_rv32_lin_dir16', [],
               lambda r, s: [f'lw a5, {4 * r}(a1)', 'mul a5, a5, a4', f'srli {s}, a5, 24'],
               lambda off, s: [f'lw a5, {off}(a1)', 'mul a5, a5, a4', 'srli a5, a5, 24',
                               f'add {s}, {s}, a5'])


def s16x16():
    # S16 (u8 x i8: T = 2, the signed top half of the low word plus 2^15, a6): per row lw,
    # mul, add 2^15, srai 16, add (81 per 32 MACs, GCC's 85)
    return r16('fb_ki_rv32_lin_s16x16', ['lui a6, 8'],
               lambda r, s: [f'lw a5, {4 * r}(a1)', 'mul a5, a5, a4', 'add a5, a5, a6',
                             f'srai {s}, a5, 16'],
               lambda off, s: [f'lw a5, {off}(a1)', 'mul a5, a5, a4', 'add a5, a5, a6',
                               'srai a5, a5, 16', f'add {s}, {s}, a5'])


def hic16(L):
    # HI of 8-bit x sub-byte operands when the block's words fit c (c = 137 for 8 x 4 bits,
    # L = 20; 2741 for 8 x 2 bits, L = 22): per row lw, mulhu, add and one take-out (`and`
    # with 2^L - 1, a6) at the end
    return r16(f'fb_ki_rv32_lin_hi16x{L}', [f'lui a6, {hex(1 << (L - 12))}', 'addi a6, a6, -1'],
               lambda r, s: [f'lw a5, {4 * r}(a1)', f'mulhu {s}, a5, a4'],
               lambda off, s: [f'lw a5, {off}(a1)', 'mulhu a5, a5, a4', f'add {s}, {s}, a5'],
               lambda s: [f'and {s}, {s}, a6'])


def step8():
    # lin_step8 ()'s inline asm, one statement per mode: 8 rows of one input word X_, W_ the
    # block's words, B_ the first row's byte offset (a constant: the offsets are immediates),
    # V_[0..7] the running sums, T_ a product, K_ the shift (DIRECT) or 2^15 (S16); the
    # parameters are not the operands' names, which the preprocessor would replace
    modes = {'HI': ['mulhu %[t], %[t], %[x]'], 'ACC': ['mul %[t], %[t], %[x]'],
             'DIRECT': ['mul %[t], %[t], %[x]', 'srl %[t], %[t], %[k]'],
             'S16': ['mul %[t], %[t], %[x]', 'add %[t], %[t], %[k]', 'srai %[t], %[t], 16']}
    nl = ' \\\n           '
    sums = ', '.join(f'[r{i}] "+r" ((V_)[{i}])' for i in range(8)) + ', [t] "=&r" (T_)'
    offs = ', '.join(f'[o{i}] "i" ((B_) + {4 * i})' for i in range(8))
    out = ''
    for mode, ops in modes.items():
        rows = [' '.join(f'"{ins}\\n\\t"' for ins in [f'lw %[t], %[o{i}](%[w])'] + ops
                         + [f'add %[r{i}], %[r{i}], %[t]']) for i in range(8)]
        k = ', [k] "r" (K_)' if mode in ('DIRECT', 'S16') else ''
        out += (f'#define FB_LIN_STEP8_{mode}(V_, T_, X_, W_, K_, B_) \\\n  __asm__ ('
                + nl.join(rows) + f'{nl}: {sums}{nl}: [x] "r" (X_), [w] "r" (W_){k}, '
                + f'"m" (*(const uint32_t (*)[16]) (W_)),{nl}  {offs})\n')
    return out + '\n'


def prototypes(fns):
    return ''.join(f'void {n} (const uint32_t *x, const uint32_t *w, int32_t ns, int32_t *sum);\n'
                   for n in fns) + '\n'


write_inc('fb-kernel-rv32-lin-asm.inc',
          '/* fb-kernel-rv32-lin-asm.inc — GENERATED by fb-kernel-rv32-lin-asm.py, do not edit.\n'
          ' * RV32IM 16-row blocks of the linear kernels; see the generator for the contract.\n'
          ' *\n * SPDX-License-Identifier: GPL-3.0-or-later\n */\n\n' + step8()
          + prototypes(['fb_ki_rv32_lin_hi16x6', 'fb_ki_rv32_lin_hi16x6_l9',
                        'fb_ki_rv32_lin_s16x16', 'fb_ki_rv32_lin_hi16x20',
                        'fb_ki_rv32_lin_hi16x22', 'fb_ki_rv32_lin_dir16']),
          (hi16x6(), dir16(), s16x16(), hic16(20), hic16(22)))
