#!/usr/bin/env python3
# fb-kernel-rv32-asm.py — generates fb-kernel-rv32-asm.inc, the RV32IM inner loops of the
# scalar conv/linear path.  Run it after changing it:  python3 fb-kernel-rv32-asm.py
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# All routines use the standard calling convention and compute nblk blocks of 4 pixels x 4
# output channels that share one im2col block:
#   x      im2col block, groups of 4 k steps: x[g * 16 + pixel * 4 + j]  (u8, one value/byte)
#   w      prepared weights of the first channel block at the first k (plain: int8
#          w[k * 4 + channel]; swar2: uint32 w[k * 2 + h] = w'[2h] | w'[2h+1] << 16;
#          swar4: uint32 w[k] = w'[0] | w'[1] << 8 | w'[2] << 16 | w'[3] << 24, where
#          w' = w + 2^(W-1)); block b's weights start at w + b * wblk_bytes
#   xend   x + 16 * number of 4-step groups (> x)
#   acc    int32 accumulators acc[pixel * stride_bytes / 4 + channel], block b at acc + 4 * b;
#          plain STORES the sums (plain_add adds them), swar ADDS them (the caller zeroes
#          acc first)
#   chunk  (swar only) bytes of x after which the packed lanes are flushed (16 * T/4)
# Plain: per 8 k steps and block (128 MACs) 32 lbu + 32 lb + 128 mul + 128 add + 3 = 323
# instructions (2.52 per MAC; the k loops run two groups of 4 k steps per iteration).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fb_rv32_asm_emit import prologue, restore_saved, write_inc  # noqa: E402

S = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11',
     't3', 't4', 't5', 't6']
P = ['t0', 't1', 't2', 'a6']


def unrolled2(group, end, tmp, ws=16):
    # the k loop over groups of 16 bytes of x (a0; ws bytes of w, a1) up to x = end, two
    # groups per iteration; an odd count enters at the second group with both pointers
    # moved back; group(i) emits group i (0 or 1) of an iteration
    return [f'sub {tmp}, {end}, a0', f'andi {tmp}, {tmp}, 16', f'beqz {tmp}, 6f',
            'addi a0, a0, -16', f'addi a1, a1, -{ws}', 'j 7f', '6:'] + group(0) + ['7:'] \
        + group(1) + ['addi a0, a0, 32', f'addi a1, a1, {2 * ws}', f'bne a0, {end}, 6b']


def plain(add=False):
    # void fb_ki_rv32_plain_4x4[_add] (x, w, xend, acc, stride_bytes, nblk, wblk_bytes)
    # _add adds the sums to acc (a later part of a long column) instead of storing them
    name = 'fb_ki_rv32_plain_4x4' + ('_add' if add else '')
    L = prologue(name, 64)
    L += ['sw a0, 48(sp)', 'sw a1, 52(sp)', 'sw a6, 56(sp)', 'sw a5, 60(sp)']
    L.append('4:')
    L += [f'li {r}, 0' for r in S]

    def group(i):
        out, off = [], 16 * i
        for j in range(4):
            out += [f'lbu {P[q]}, {off + 4 * q + j}(a0)' for q in range(4)]
            for c in range(4):
                out.append(f'lb a7, {off + 4 * j + c}(a1)')
                for q in range(4):
                    out += [f'mul a5, {P[q]}, a7', f'add {S[c * 4 + q]}, {S[c * 4 + q]}, a5']
        return out
    L += unrolled2(group, 'a2', 'a5')
    L.append('mv t0, a3')
    for q in range(4):
        for c in range(4):
            if add:
                L += [f'lw a5, {4 * c}(t0)', f'add {S[c * 4 + q]}, {S[c * 4 + q]}, a5']
            L.append(f'sw {S[c * 4 + q]}, {4 * c}(t0)')
        if q < 3:
            L.append('add t0, t0, a4')
    # next block
    L += ['lw a0, 48(sp)', 'lw a1, 52(sp)', 'lw t0, 56(sp)', 'add a1, a1, t0', 'sw a1, 52(sp)',
          'addi a3, a3, 16', 'lw t0, 60(sp)', 'addi t0, t0, -1', 'sw t0, 60(sp)', 'bnez t0, 4b']
    L += restore_saved()
    L += ['addi sp, sp, 64', 'ret', f'.size {name}, .-{name}']
    return name, L


def swar(lanes):
    # void fb_ki_rv32_swarN_4x4 (x, w, xend, acc, stride_bytes, chunk_bytes, nblk, wblk_bytes)
    # lanes 2: 2 words per k (channels 0,1 | 2,3), 16-bit lanes; lanes 4: 1 word, 8-bit lanes
    name = f'fb_ki_rv32_swar{lanes}_4x4'
    G = 4 // lanes
    acc = [f's{i}' for i in range(4 * G)]          # packed acc A[g*4+q]
    L = prologue(name, 64)
    # s11 = x start, t6 = blocks left, 48(sp) = w of the block, 52(sp) = wblk_bytes
    L += ['mv s11, a0', 'mv t6, a6', 'sw a1, 48(sp)', 'sw a7, 52(sp)']
    if lanes == 2:
        L.append('li s10, 65535')
    L.append('5:')                                  # block loop
    L.append('1:')                                  # chunk loop
    L += ['add s9, a0, a5', 'bleu s9, a2, 2f', 'mv s9, a2', '2:']
    L += [f'li {r}, 0' for r in acc]

    def group(i):
        out = []
        for j in range(4):
            out += [f'lbu {P[q]}, {16 * i + 4 * q + j}(a0)' for q in range(4)]
            for g in range(G):
                out.append(f'lw a7, {16 * G * i + 4 * (j * G + g)}(a1)')
                for q in range(4):
                    out += [f'mul s8, {P[q]}, a7',
                            f'add {acc[g * 4 + q]}, {acc[g * 4 + q]}, s8']
        return out
    L += unrolled2(group, 's9', 't4', 16 * G)      # k loop
    # flush the lanes into acc
    L.append('mv t3, a3')
    for q in range(4):
        for g in range(G):
            v = acc[g * 4 + q]
            for lane in range(lanes):
                c = g * lanes + lane
                if lanes == 2:
                    L.append(f'and t4, {v}, s10' if lane == 0 else f'srli t4, {v}, 16')
                else:
                    if lane == 0:
                        L.append(f'andi t4, {v}, 255')
                    elif lane == 3:
                        L.append(f'srli t4, {v}, 24')
                    else:
                        L += [f'srli t4, {v}, {8 * lane}', 'andi t4, t4, 255']
                L += [f'lw t5, {4 * c}(t3)', 'add t5, t5, t4', f'sw t5, {4 * c}(t3)']
        if q < 3:
            L.append('add t3, t3, a4')
    L.append('bne a0, a2, 1b')
    # next block
    L += ['mv a0, s11', 'lw a1, 48(sp)', 'lw t3, 52(sp)', 'add a1, a1, t3', 'sw a1, 48(sp)',
          'addi a3, a3, 16', 'addi t6, t6, -1', 'bnez t6, 5b']
    L += restore_saved()
    L += ['addi sp, sp, 64', 'ret', f'.size {name}, .-{name}']
    return name, L


def swar2_4x8():
    # void fb_ki_rv32_swar2_4x8 (x, w, xend, acc, stride_bytes, chunk_bytes, npair, wblk_bytes)
    # swar2_4x4 on two channel blocks at once (8 channels: block b at w, b + 1 at w + wblk,
    # accumulators acc[pixel * stride + 0..7]), npair pairs (acc advances by 32, w by
    # 2 * wblk per pair): a pixel's value is loaded once for 8 channels, so per k step 4 lbu
    # + 4 lw + 16 mul + 16 add for 32 MACs (1.25 per MAC, was 22 for 16 with 4 x 4).
    name = 'fb_ki_rv32_swar2_4x8'
    A = S                                           # A[h * 8 + g * 4 + q]: packed acc
    W1 = 'ra'                                       # the second block's weights
    F = {'ra': 48, 'x': 52, 'w': 56, 'wblk': 60, 'left': 64, 'stride': 68, 'chunk': 72}
    L = prologue(name, 80)
    L += [f'sw ra, {F["ra"]}(sp)', f'sw a0, {F["x"]}(sp)', f'sw a1, {F["w"]}(sp)',
          f'sw a7, {F["wblk"]}(sp)', f'sw a6, {F["left"]}(sp)', f'sw a4, {F["stride"]}(sp)',
          f'sw a5, {F["chunk"]}(sp)']
    L.append('5:')                                  # pair loop: a1, ra = the two blocks
    L += [f'lw a1, {F["w"]}(sp)', f'lw a5, {F["wblk"]}(sp)', f'add {W1}, a1, a5']
    L.append('1:')                                  # chunk loop: a4 = its end
    L += [f'lw a4, {F["chunk"]}(sp)', 'add a4, a0, a4', 'bleu a4, a2, 2f', 'mv a4, a2', '2:']
    L += [f'li {r}, 0' for r in A]

    def group(i):
        out = []
        for j in range(4):
            out += [f'lbu {P[q]}, {16 * i + 4 * q + j}(a0)' for q in range(4)]
            for h, wp in enumerate(('a1', W1)):
                for g in range(2):
                    out.append(f'lw a7, {32 * i + 4 * (j * 2 + g)}({wp})')
                    for q in range(4):
                        r = A[h * 8 + g * 4 + q]
                        out += [f'mul a5, {P[q]}, a7', f'add {r}, {r}, a5']
        return out
    # the k loop, two groups per iteration (an odd count enters at the second group)
    L += ['sub a5, a4, a0', 'andi a5, a5, 16', 'beqz a5, 6f',
          'addi a0, a0, -16', 'addi a1, a1, -32', f'addi {W1}, {W1}, -32', 'j 7f', '6:']
    L += group(0) + ['7:'] + group(1)
    L += ['addi a0, a0, 32', 'addi a1, a1, 64', f'addi {W1}, {W1}, 64', 'bne a0, a4, 6b']
    # flush the lanes into acc (the pixel registers are free here)
    L += ['mv t0, a3', f'lw a4, {F["stride"]}(sp)', 'li a6, 65535']
    for q in range(4):
        for h in range(2):
            for g in range(2):
                v = A[h * 8 + g * 4 + q]
                for lane in range(2):
                    c = h * 4 + g * 2 + lane
                    L.append(f'and t1, {v}, a6' if lane == 0 else f'srli t1, {v}, 16')
                    L += [f'lw t2, {4 * c}(t0)', 'add t2, t2, t1', f'sw t2, {4 * c}(t0)']
        if q < 3:
            L.append('add t0, t0, a4')
    L.append('bne a0, a2, 1b')
    # next pair
    L += [f'lw a0, {F["x"]}(sp)', f'lw a1, {F["w"]}(sp)', f'lw a5, {F["wblk"]}(sp)',
          'add a1, a1, a5', 'add a1, a1, a5', f'sw a1, {F["w"]}(sp)', 'addi a3, a3, 32',
          f'lw a5, {F["left"]}(sp)', 'addi a5, a5, -1', f'sw a5, {F["left"]}(sp)', 'bnez a5, 5b']
    L += restore_saved()
    L += [f'lw ra, {F["ra"]}(sp)', 'addi sp, sp, 80', 'ret', f'.size {name}, .-{name}']
    return name, L


def dot_group(mul, Pk, X, off, first=False):
    # One group of the 4 pixels x 4 channels dot: the 4 pixels' words X[q] at a0 + off, each
    # channel's weight word at a1 + off + 4c into a7, Pk[q * 4 + c] += X[q] * a7 (low word by
    # mul, high by mulhu); first: the chunk's first group sets the accumulators (no zeroing).
    out = [f'lw {X[q]}, {off + 4 * q}(a0)' for q in range(4)]
    for c in range(4):
        out.append(f'lw a7, {off + 4 * c}(a1)')
        for q in range(4):
            if first:
                out.append(f'{mul} {Pk[q * 4 + c]}, {X[q]}, a7')
            else:
                out += [f'{mul} a5, {X[q]}, a7', f'add {Pk[q * 4 + c]}, {Pk[q * 4 + c]}, a5']
    return out


def dot_chunk(group, U, Pk):
    # A chunk of the 4 x 4 dot, ra = its end: U groups unrolled when it is whole (the first
    # sets the accumulators), else one group per iteration from zeroed accumulators; ends
    # with a0/a1 past it, at label 4 (the caller's flush follows).
    L = []
    for g in range(U):
        L += group(16 * g, g == 0)
    L += [f'addi a0, a0, {16 * U}', f'addi a1, a1, {16 * U}', 'j 4f']
    L.append('3:')                                  # a shorter last chunk
    L += [f'li {r}, 0' for r in Pk]
    L.append('9:')
    L += group(0)
    L += ['addi a0, a0, 16', 'addi a1, a1, 16', 'bne a0, ra, 9b']
    return L


def dot4(hi=False):
    # void fb_ki_rv32_dot4_4x4 (x, w, xend, acc, stride_bytes, chunk_bytes, nblk, wblk_bytes)
    # u2 x i2 (9-bit lanes in the high word, issue 19 round 7): w holds per group of 4 k steps
    # one word per channel c (at 4 * c), its biased weight w'[k + j] at bit 29 - 9 j; the
    # im2col word X of a pixel holds x[k + j] at bit 3 + 9 j (byte j, shifted by 3 + j).  So
    # the 64-bit X * W is the sum of x[k + i] w'[k + j] 2^(32 + 9 (i - j)): the diagonal, the
    # 4-step dot product (<= 4 * 3 * 3 = 36), at 2^32; the terms with i < j at 2^23, 2^14,
    # 2^5 sum to at most 9 * (3 * 2^23 + 2 * 2^14 + 2^5) < 2^28 < 2^32, so they carry nothing
    # into the high word; those with i > j start at 2^41 (bit 9 of the high word).  The high
    # word (mulhu) thus holds the dot product in its low 9 bits, and 14 such high words add
    # up exactly (<= 14 * 36 = 504 < 512; the bits above wrap harmlessly, chunk_bytes =
    # 14 * 16), so a packed accumulator gives its 56-MAC sum with one andi 511.  Per group
    # and block: 4 + 4 lw + 16 mulhu + 16 add for 64 MACs; the full chunk is unrolled, its
    # first group by plain multiplies.
    # hi (fb_ki_rv32_dot3_4x4, u4 x i4/i2): the words hold 3 k steps in 12-bit lanes, X's
    # x[k + s] at bit 4 + 12 s, W's w'[k + s] at bit 28 - 12 s, so the high word of X * W
    # (mulhu) is their 3-step dot product (<= 675) in its low 12 bits: the terms below bit 32
    # (x0 w1 + x1 w2 at 2^20, x0 w2 at 2^8) sum to less than 2^32, so they carry nothing into
    # it, and those above start at bit 44.  6 such high words add up exactly (<= 4050, the
    # lanes above wrap harmlessly; chunk_bytes = 6 * 16), so a packed accumulator gives its
    # 18-MAC sum with one and.  Per group and block 4 + 4 lw, 16 mulhu, 16 add for 48 MACs.
    name = 'fb_ki_rv32_dot3_4x4' if hi else 'fb_ki_rv32_dot4_4x4'
    U = 6 if hi else 14                             # groups per whole (unrolled) chunk
    mul = 'mulhu'
    Pk = S                                          # Pk[q * 4 + c]: packed accumulators
    X = ['t0', 't1', 't2', 'a6']
    L = prologue(name, 80)
    # 48: x start, 52: w of the block, 56: wblk, 60: blocks left, 64: chunk bytes, 68: ra
    L += ['sw a0, 48(sp)', 'sw a1, 52(sp)', 'sw a7, 56(sp)', 'sw a6, 60(sp)', 'sw a5, 64(sp)',
          'sw ra, 68(sp)']

    def group(off, first=False):
        return dot_group(mul, Pk, X, off, first)

    L.append('5:')                                  # block loop
    L.append('1:')                                  # chunk loop: ra = its end
    L += ['lw t0, 64(sp)', 'add ra, a0, t0', 'bleu ra, a2, 2f', 'mv ra, a2', '2:']
    L += ['sub t1, ra, a0', 'bne t1, t0, 3f']       # a whole chunk: unrolled
    L += dot_chunk(group, U, Pk)
    L.append('4:')                                  # flush: the dot lanes into acc
    L.append('mv t0, a3')
    if hi:
        L.append('li t1, 4095')
    for q in range(4):
        for c in range(4):
            L += [f'and a5, {Pk[q * 4 + c]}, t1' if hi else f'andi a5, {Pk[q * 4 + c]}, 511',
                  f'lw a7, {4 * c}(t0)', 'add a7, a7, a5', f'sw a7, {4 * c}(t0)']
        if q < 3:
            L.append('add t0, t0, a4')
    L.append('bne a0, a2, 1b')
    # next block
    L += ['lw a0, 48(sp)', 'lw a1, 52(sp)', 'lw t0, 56(sp)', 'add a1, a1, t0', 'sw a1, 52(sp)',
          'addi a3, a3, 16', 'lw t0, 60(sp)', 'addi t0, t0, -1', 'sw t0, 60(sp)', 'bnez t0, 5b']
    L += restore_saved()
    L += ['lw ra, 68(sp)', 'addi sp, sp, 80', 'ret', f'.size {name}, .-{name}']
    return name, L


# The fused path (u8 x i8, unsigned input, the whole column in one part): every channel block
# is requantized in registers right after its k loop and stored, no int32 accumulators in
# memory.  job (int32 words; pointers are 4 bytes on RV32):
#   0 nblk, 4 wblk_bytes, 8 kappa, 12 lambda (of the current block; advanced by 16 per
#   block), 16 pow = 2^t with t = 32 - out_shift, 20 maxv = 2^O - 1, 24 out (the output byte
#   of pixel 0 and the block's first channel; advanced by 4 * O / 8 per block), 28/32/36 the
#   bytes from pixel 0's output to pixel 1/2/3's (a pixel past the row repeats the last real
#   one: stores go from pixel 3 down to 0, so the real value lands last), 40 the epilogue
#   (fb_ki_rv32_rq_o*), chosen by the output width, signedness and out_shift > 32 (then
#   pow holds out_shift - 32).
# Requantization exact in 64 bits with the result in the high word (out_shift d in [1, 32],
# kappa' = kappa * 2^t fits int32, checked by the caller):
#   y = mulh (kappa', acc) + hi (lambda * 2^t) + carry (lo (kappa' * acc) + lo (lambda * 2^t))
# = floor ((kappa * acc + lambda) / 2^d); d > 32 (the _hi epilogues): t = 0 and the high word
# shifted right by d - 32; then clipped (a signed output: + 2^(O-1) before the clip and the
# field's top bit flipped after it).  Per output 8 instructions (+3 when clipped: slt, mul
# and the jump back), per channel 7.
RQ_JOB = {'nblk': 0, 'wblk': 4, 'kappa': 8, 'lambda': 12, 'pow': 16, 'maxv': 20, 'out': 24,
          'd1': 28, 'd2': 32, 'd3': 36, 'epi': 40,
          'corr': 44, 'acc': 48, 'ccorr': 52}   # the last three: fb_ki_rv32_dot{3,4}_rq only
# the frame of fb_ki_rv32_plain_rq, which its epilogue shares (called with the same sp)
RQ_FRAME = {'x': 48, 'job': 52, 'epi_ra': 56, 'w': 60, 'xend': 64, 'left': 68, 'ra': 72,
            'ccorr': 76}   # the last: fb_ki_rv32_dot{3,4}_rq_si only


def rq_next_block(loop):
    # The requantizing routines' end of a channel block (after the epilogue's call): the
    # weights to the next block, the blocks left counted down (back to loop while any),
    # then the saved registers restored and the return (the caller adds its .size).
    F, J = RQ_FRAME, RQ_JOB
    L = [f'lw a1, {F["w"]}(sp)', f'lw a5, {F["job"]}(sp)', f'lw a5, {J["wblk"]}(a5)',
         'add a1, a1, a5', f'sw a1, {F["w"]}(sp)', f'lw a5, {F["left"]}(sp)',
         'addi a5, a5, -1', f'sw a5, {F["left"]}(sp)', f'bnez a5, {loop}']
    L += restore_saved()
    L += [f'lw ra, {F["ra"]}(sp)', 'addi sp, sp, 80', 'ret']
    return L


def plain_rq(NP=4):
    # void fb_ki_rv32_plain_rq[NP] (x, w, xend, job): the plain 4 x 4 k loop over job->nblk
    # channel blocks, each then handed to job->epi in the 16 registers S[c * 4 + q].  NP = 1
    # or 2: the last block of a row with that many pixels (job->d repeats the last one) runs
    # the k loop on them only; the epilogue stores the other pixels' registers first, to the
    # same addresses.
    name = 'fb_ki_rv32_plain_rq' + ('' if NP == 4 else str(NP))
    F, J = RQ_FRAME, RQ_JOB
    L = prologue(name, 80)
    L += [f'sw a0, {F["x"]}(sp)', f'sw a3, {F["job"]}(sp)', f'sw a1, {F["w"]}(sp)',
          f'sw a2, {F["xend"]}(sp)', f'lw t0, {J["nblk"]}(a3)', f'sw t0, {F["left"]}(sp)',
          f'sw ra, {F["ra"]}(sp)']
    L.append('4:')
    L += [f'lw a0, {F["x"]}(sp)', f'lw a1, {F["w"]}(sp)', f'lw a2, {F["xend"]}(sp)']

    def group(i, first=False):
        out, off = [], 16 * i
        for j in range(4):
            out += [f'lbu {P[q]}, {off + 4 * q + j}(a0)' for q in range(NP)]
            for c in range(4):
                out.append(f'lb a7, {off + 4 * j + c}(a1)')
                for q in range(NP):
                    if first and j == 0:     # the first k step sets the sums
                        out.append(f'mul {S[c * 4 + q]}, {P[q]}, a7')
                    else:
                        out += [f'mul a5, {P[q]}, a7', f'add {S[c * 4 + q]}, {S[c * 4 + q]}, a5']
        return out
    L += group(0, True)
    L += ['addi a0, a0, 16', 'addi a1, a1, 16', 'beq a0, a2, 8f']
    L += unrolled2(group, 'a2', 'a5')
    L += ['8:', f'lw a5, {F["job"]}(sp)', f'lw a5, {J["epi"]}(a5)', 'jalr ra, 0(a5)']
    return name, L + rq_next_block('4b') + [f'.size {name}, .-{name}']


def dot_rq(hi=True, si=False, seg=False):
    # void fb_ki_rv32_dot3_rq (x, w, xend, job): the fused form of fb_ki_rv32_dot3_4x4 (u4 x
    # i4/i2 from an unsigned input, the whole column in one part, xend > x) for job->nblk
    # channel blocks: the flushes of a block's chunks of 6 groups add up in job->acc (8
    # words, [pixel * 2 + h]) with two channels per word, 2h in the low and 2h + 1 in the
    # high 16 bits (a lane takes at most 16 flushes of <= 4050 with the 96-word cap: 64,800
    # < 2^16, so 7 instructions per pair of sums instead of 8); at the end the sums minus
    # job->corr[pixel] (the bias correction 2^(W-1) * the pixel's value sum) go to job->epi
    # in S[c * 4 + q] as fb_ki_rv32_plain_rq hands them (same frame, RQ_FRAME).  Instead of
    # the C zeroing, correction and 64-bit requantization per output.  hi = 0:
    # fb_ki_rv32_dot4_rq, the same for fb_ki_rv32_dot4_4x4 (u2 x i2: chunks of 14 groups, the
    # dot in the low 9 bits of the high word, <= 504 per flush; a lane's total is at most 9 per
    # k step, 3,312 < 2^16 for the 368 k steps of a column in one part).
    # si (_si, a signed input): the sums also lose job->ccorr[channel] (2^(A-1) times the
    # channel's weights summed over the column's kernel rows), 4 words per channel block.
    # A block's first chunk stores its flush (no zeroing of job->acc, no loads), its last
    # one goes straight to the epilogue's registers with job->acc's sums added (9
    # instructions per pair of sums instead of 12); a column of one chunk uses no job->acc.
    # The packed sum of pixel q, channel c is S[c * 4 + q] from the start (the epilogue's
    # order).
    # seg (fb_ki_rv32_dot4_rq_seg (x, w, xend, job, segb, wskip), u2 x i2, unsigned): the
    # column is made of segments of segb bytes (whole groups; the taps of one kernel row that
    # are inside the input, e.g. 2 of 3 at a padded edge), the weights of the next segment
    # start wskip bytes after the end of this one's; a chunk ends at a segment's end (frame
    # of 96 bytes, segb and wskip at 80 and 84).
    name = (('fb_ki_rv32_dot3_rq' if hi else 'fb_ki_rv32_dot4_rq') + ('_si' if si else '')
            + ('_seg' if seg else ''))
    FR = 96 if seg else 80
    U = 6 if hi else 14
    F, J = RQ_FRAME, RQ_JOB
    X = ['t0', 't1', 't2', 'a6']
    Pk = [S[c * 4 + q] for q in range(4) for c in range(4)]   # Pk[q * 4 + c]
    L = prologue(name, FR)
    L += [f'sw a0, {F["x"]}(sp)', f'sw a3, {F["job"]}(sp)', f'sw a1, {F["w"]}(sp)',
          f'sw a2, {F["xend"]}(sp)', f'lw t0, {J["nblk"]}(a3)', f'sw t0, {F["left"]}(sp)',
          f'sw ra, {F["ra"]}(sp)']
    if si:
        L += [f'lw t0, {J["ccorr"]}(a3)', f'sw t0, {F["ccorr"]}(sp)']
    if seg:
        L += ['sw a4, 80(sp)', 'sw a5, 84(sp)']

    def group(off, first=False):
        return dot_group('mulhu', Pk, X, off, first)

    def next_seg(more, end):
        # at a segment's end: to `end` at the column's, else a2 and a1 to the next segment
        # and on at `more`
        return [f'lw a5, {F["xend"]}(sp)', f'beq a0, a5, {end}', 'lw a5, 80(sp)',
                'add a2, a2, a5', 'lw a5, 84(sp)', 'add a1, a1, a5', f'j {more}']

    def glab(short, g):
        return f'.L{name}_{short}_g{g}'

    def chunk(short):
        # a whole chunk unrolled (its first group sets the packed sums), ending with a0/a1
        # past it; a shorter one (n < U groups to xend) at label `short`, after the routine's
        # end, sets the sums by its first group and jumps into this unrolled code at group
        # U + 1 - n (short_entry())
        out = [f'addi ra, a0, {16 * U}', f'bgtu ra, a2, {short}f']
        for g in range(U):
            out += ([glab(short, g) + ':'] if g > 0 else []) + group(16 * g, g == 0)
        return out + [glab(short, U) + ':', f'addi a0, a0, {16 * U}', f'addi a1, a1, {16 * U}']

    def short_entry(short):
        # the shorter last chunk of n = (xend - x) / 16 groups (1 <= n < U): its first group
        # sets the sums, then a0/a1 move back by 16 (U - n) (a0 = xend - 16 U) so that the
        # unrolled groups U + 1 - n ... U - 1 of chunk(short) read the n - 1 others and its
        # end leaves a0 = xend; the entry from a table indexed by n (10 instructions instead
        # of zeroing the 16 sums and 3 of loop per group)
        tab = f'.L{name}_{short}_tab'
        out = [f'{short}:'] + group(0, True)
        out += ['sub a5, a2, a0', 'add a1, a1, a5', f'addi a1, a1, -{16 * U}',
                f'addi a0, a2, -{16 * U}', 'srli a5, a5, 2', f'lla a7, {tab}', 'add a7, a7, a5',
                'lw a7, -4(a7)', 'jr a7']
        out += ['.pushsection .rodata', '.balign 4', f'{tab}:']
        out += [f'.word {glab(short, U + 1 - n)}' for n in range(1, U)]
        return out + ['.popsection']

    def ext(r, dst=None):
        # the dot lanes of packed sum r (T3: t1 = 4095) into dst (default: r itself)
        d = dst or r
        return [f'and {d}, {r}, t1' if hi else f'andi {d}, {r}, 511']

    def flush(store):
        # the lanes into job->acc: pair h of pixel q as one word (2h low, 2h + 1 high half)
        out = ['li t1, 4095'] if hi else []
        for q in range(4):
            for h in range(2):
                lo, up = Pk[q * 4 + 2 * h], Pk[q * 4 + 2 * h + 1]
                if hi:
                    out += [f'and a5, {lo}, t1', f'slli a7, {up}, 20', 'srli a7, a7, 4']
                else:
                    out += [f'andi a5, {lo}, 511', f'andi a7, {up}, 511', 'slli a7, a7, 16']
                o = 8 * q + 4 * h
                if store:
                    out += ['add a5, a5, a7', f'sw a5, {o}(a3)']
                else:
                    out += ['add a5, a5, a7', f'lw a7, {o}(a3)', 'add a7, a7, a5',
                            f'sw a7, {o}(a3)']
        return out

    L.append('5:')                                  # block loop
    L += [f'lw a5, {F["job"]}(sp)', f'lw a3, {J["acc"]}(a5)', f'lw a4, {J["corr"]}(a5)']
    if seg:
        L += [f'lw a0, {F["x"]}(sp)', f'lw a1, {F["w"]}(sp)', 'lw a2, 80(sp)', 'add a2, a2, a0']
    else:
        L += [f'lw a0, {F["x"]}(sp)', f'lw a1, {F["w"]}(sp)', f'lw a2, {F["xend"]}(sp)']
    L += chunk(3)
    if seg:
        L += ['6:', 'bne a0, a2, 61f'] + next_seg('61f', '7f')[:-1]
        L += ['61:'] + flush(True) + ['j 2f']
    else:
        L += ['6:', 'beq a0, a2, 7f'] + flush(True) + ['j 2f']
    L += ['1:'] + flush(False)
    L += ['2:'] + chunk(13)
    L += ['4:', 'bne a0, a2, 1b']
    if seg:
        L += next_seg('1b', '41f') + ['41:']
    # the last chunk's lanes plus job->acc's sums minus the corrections to the epilogue's
    # registers, then to it
    L += (['li t1, 4095'] if hi else []) + ['li t2, 65535']
    for q in range(4):
        L.append(f'lw t0, {4 * q}(a4)')
        for h in range(2):
            lo, up = Pk[q * 4 + 2 * h], Pk[q * 4 + 2 * h + 1]
            L += [f'lw a5, {8 * q + 4 * h}(a3)'] + ext(lo) + ext(up)
            L += ['and a7, a5, t2', f'add {lo}, {lo}, a7', 'srli a7, a5, 16',
                  f'add {up}, {up}, a7', f'sub {lo}, {lo}, t0', f'sub {up}, {up}, t0']
    L.append('10:')
    if si:
        CC = ['a1', 'a2', 'a6', 'a7']             # (a0-a2 are reloaded per block)
        L += [f'lw a0, {F["ccorr"]}(sp)'] + [f'lw {CC[c]}, {4 * c}(a0)' for c in range(4)]
        L += ['addi a0, a0, 16', f'sw a0, {F["ccorr"]}(sp)']
        L += [f'sub {S[c * 4 + q]}, {S[c * 4 + q]}, {CC[c]}' for c in range(4) for q in range(4)]
    L += [f'lw a5, {F["job"]}(sp)', f'lw a5, {J["epi"]}(a5)', 'jalr ra, 0(a5)']
    nb = rq_next_block('5b')
    L += [f'addi sp, sp, {FR}' if l == 'addi sp, sp, 80' else l for l in nb]
    # a column of one chunk: its lanes minus the corrections, job->acc unused
    L += ['7:'] + (['li t1, 4095'] if hi else [])
    for q in range(4):
        L.append(f'lw t0, {4 * q}(a4)')
        for c in range(4):
            L += ext(Pk[q * 4 + c]) + [f'sub {Pk[q * 4 + c]}, {Pk[q * 4 + c]}, t0']
    L.append('j 10b')
    L += short_entry(3) + short_entry(13)
    return name, L + [f'.size {name}, .-{name}']


def rq_epi(O, SO, HI, SH=False):
    # fb_ki_rv32_rq_o<O>[s][_hi]: not C-callable.  Called by fb_ki_rv32_plain_rq (its frame
    # at sp) with the sums of channel c, pixel q in S[c * 4 + q]; requantizes and stores them,
    # advances job->kappa, ->lambda, ->out.  Clobbers every register but sp, gp, tp and the
    # s registers it does not store from.  _hi: out_shift > 32, job->pow holds out_shift - 32
    # and the high word is shifted by it (t = 0).
    # _sh (SH, out_shift in [1, 32] when kappa * 2^t overflows int32, a trained layer's
    # kappa near 2^31): kappa as it is times each sum << t (job->pow holds t, in POW; 2^t
    # made per channel for lambda * 2^t), the same 64-bit value kappa acc 2^t + lambda 2^t,
    # exact when every |acc| << t fits int32 (checked by the caller from the reduction's
    # length and the operands' widths): per output one sll more, per channel one
    # instruction more (li, sll for the mul of kappa).
    name = (f'fb_ki_rv32_rq_o{O}' + ('s' if SO else '') + ('_hi' if HI else '')
            + ('_sh' if SH else ''))
    assert not (HI and SH)
    F, Jo = RQ_FRAME, RQ_JOB
    J, K, LLO, LHI, X, T, MAXV, POW = 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'
    OP = ['t0', 't1', 't2', 'ra']
    per = 8 // O
    fixes = []
    L = ['.text', '.balign 4', f'.globl {name}', f'.type {name}, @function', f'{name}:',
         f'sw ra, {F["epi_ra"]}(sp)', f'lw {J}, {F["job"]}(sp)', f'lw {MAXV}, {Jo["maxv"]}({J})',
         f'lw {POW}, {Jo["pow"]}({J})', f'lw {OP[0]}, {Jo["out"]}({J})']
    for q in (1, 2, 3):
        L += [f'lw {T}, {Jo["d" + str(q)]}({J})', f'add {OP[q]}, {OP[0]}, {T}']
    n = 0
    for c in range(4):
        if HI:
            L += [f'lw {X}, {Jo["kappa"]}({J})', f'lw {K}, {4 * c}({X})',
                  f'lw {X}, {Jo["lambda"]}({J})', f'lw {LLO}, {4 * c}({X})',
                  f'srai {LHI}, {LLO}, 31']
        elif SH:
            L += [f'lw {X}, {Jo["kappa"]}({J})', f'lw {K}, {4 * c}({X})',
                  f'lw {X}, {Jo["lambda"]}({J})', f'lw {X}, {4 * c}({X})',
                  f'li {T}, 1', f'sll {T}, {T}, {POW}', f'mul {LLO}, {X}, {T}',
                  f'mulhsu {LHI}, {X}, {T}']
            if SO:
                L.append(f'addi {LHI}, {LHI}, {1 << (O - 1)}')
        else:
            L += [f'lw {X}, {Jo["kappa"]}({J})', f'lw {K}, {4 * c}({X})', f'mul {K}, {K}, {POW}',
                  f'lw {X}, {Jo["lambda"]}({J})', f'lw {X}, {4 * c}({X})',
                  f'mul {LLO}, {X}, {POW}', f'mulhsu {LHI}, {X}, {POW}']
            if SO:
                L.append(f'addi {LHI}, {LHI}, {1 << (O - 1)}')
        e = c % per
        for q in (3, 2, 1, 0):
            v = S[c * 4 + q]
            if SH:
                L.append(f'sll {v}, {v}, {POW}')
            L += [f'mul {X}, {K}, {v}', f'mulh {T}, {K}, {v}', f'add {X}, {X}, {LLO}',
                  f'sltu {X}, {X}, {LLO}', f'add {T}, {T}, {X}', f'add {v}, {T}, {LHI}']
            if HI:
                L.append(f'sra {v}, {v}, {POW}')
                if SO:
                    L.append(f'addi {v}, {v}, {1 << (O - 1)}')
            L += [f'bgtu {v}, {MAXV}, .Lfix_{name}_{n}', f'.Lback_{name}_{n}:']
            # out of range: 0 below, maxv above ((v > 0) * maxv)
            fixes += [f'.Lfix_{name}_{n}:', f'slt {X}, zero, {v}', f'mul {v}, {X}, {MAXV}',
                      f'j .Lback_{name}_{n}']
            n += 1
            b = S[(c - e) * 4 + q]          # the register the pixel's byte is packed in
            if e > 0:
                L += [f'slli {v}, {v}, {e * O}', f'or {b}, {b}, {v}']
            if e == per - 1:
                if SO:
                    L.append(f'xori {b}, {b}, {sum(1 << (O * i + O - 1) for i in range(per))}')
                L.append(f'sb {b}, {c // per}({OP[q]})')
    for key, step in (('kappa', 16), ('lambda', 16), ('out', O // 2)):
        L += [f'lw {X}, {Jo[key]}({J})', f'addi {X}, {X}, {step}', f'sw {X}, {Jo[key]}({J})']
    L += [f'lw ra, {F["epi_ra"]}(sp)', 'ret'] + fixes + [f'.size {name}, .-{name}']
    return name, L


def rq_thr_head(name, J, X, A, OP):
    # The threshold epilogues' entry: ra saved, the job (J), its kappa pointer (X) and the
    # four output pointers (OP, out + d[q]).
    F, Jo = RQ_FRAME, RQ_JOB
    L = ['.text', '.balign 4', f'.globl {name}', f'.type {name}, @function', f'{name}:',
         f'sw ra, {F["epi_ra"]}(sp)', f'lw {J}, {F["job"]}(sp)', f'lw {X}, {Jo["kappa"]}({J})',
         f'lw {OP[0]}, {Jo["out"]}({J})']
    for q in (1, 2, 3):
        L += [f'lw {A}, {Jo["d" + str(q)]}({J})', f'add {OP[q]}, {OP[0]}, {A}']
    return L


def rq_thr_tail(name, J, X):
    # The threshold epilogues' exit: job->kappa advanced by 32, job->out by 1, ra back.
    F, Jo = RQ_FRAME, RQ_JOB
    return [f'addi {X}, {X}, 32', f'sw {X}, {Jo["kappa"]}({J})', f'lw {X}, {Jo["out"]}({J})',
            f'addi {X}, {X}, 1', f'sw {X}, {Jo["out"]}({J})',
            f'lw ra, {F["epi_ra"]}(sp)', 'ret', f'.size {name}, .-{name}']


def rq_thr(SO):
    # fb_ki_rv32_rq_o2t[s]: the 2-bit outputs of fb_ki_rv32_dot4_rq by thresholds, not
    # C-callable (called as fb_ki_rv32_rq_o* is, sums in S[c * 4 + q]).  job->kappa points at
    # 4 int16 per channel (conv_scalar_thresholds()): T1, T2, T3 and a flag; the output level
    # (+ 2 when SO: the stored field before its top bit is flipped) is the number of j with
    # T_j < v (flag 0, kappa >= 0) or v < T_j (flag 1, kappa < 0), 5 instructions per output
    # instead of 8-11; job->kappa advances by 32, job->out by 1.
    name = 'fb_ki_rv32_rq_o2t' + ('s' if SO else '')
    J, X, T1, T2, T3, FL, A, B = 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'
    OP = ['t0', 't1', 't2', 'ra']
    L = rq_thr_head(name, J, X, A, OP)
    for c in range(4):
        L += [f'lh {T1}, {8 * c}({X})', f'lh {T2}, {8 * c + 2}({X})', f'lh {T3}, {8 * c + 4}({X})',
              f'lh {FL}, {8 * c + 6}({X})', f'bnez {FL}, .Lneg_{name}_{c}']
        for neg in (0, 1):
            if neg:
                L.append(f'.Lneg_{name}_{c}:')
            for q in (3, 2, 1, 0):
                v = S[c * 4 + q]
                d = v if c == 0 else B
                if neg:
                    L += [f'slt {A}, {v}, {T1}', f'slt {B}, {v}, {T2}', f'add {A}, {A}, {B}',
                          f'slt {B}, {v}, {T3}', f'add {d}, {A}, {B}']
                else:
                    L += [f'slt {A}, {T1}, {v}', f'slt {B}, {T2}, {v}', f'add {A}, {A}, {B}',
                          f'slt {B}, {T3}, {v}', f'add {d}, {A}, {B}']
                if c > 0:
                    b = S[q]
                    L += [f'slli {d}, {d}, {2 * c}', f'or {b}, {b}, {d}']
            if not neg:
                L.append(f'j .Ldone_{name}_{c}')
        L.append(f'.Ldone_{name}_{c}:')
    for q in (3, 2, 1, 0):
        if SO:
            L.append(f'xori {S[q]}, {S[q]}, {0xAA}')
        L.append(f'sb {S[q]}, 0({OP[q]})')
    L += rq_thr_tail(name, J, X)
    return name, L


def rq_thr_mask():
    # fb_ki_rv32_rq_o2m: rq_thr's epilogue without the per-channel flag (u2 x i2's own path,
    # conv_scalar_l9_thresholds()): job->kappa points at 4 int16 per channel, T1, T2, T3
    # and (channel 0 of each block of 4) the block's output XOR mask; the field of channel c
    # is the number of j with T_j < v for every channel, XOR the mask's bits 2c, 2c + 1 (3
    # for kappa < 0: 3 - n = n ^ 3; SO's top-bit flip 2 folded in), so 3 lh per channel
    # and one lh and 4 xor per block instead of 4 lh, a branch and a jump per channel (and
    # SO's 4 xori); job->kappa advances by 32, job->out by 1.
    name = 'fb_ki_rv32_rq_o2m'
    J, X, T1, T2, T3, FL, A, B = 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'
    OP = ['t0', 't1', 't2', 'ra']
    L = rq_thr_head(name, J, X, A, OP)
    for c in range(4):
        L += [f'lh {T1}, {8 * c}({X})', f'lh {T2}, {8 * c + 2}({X})', f'lh {T3}, {8 * c + 4}({X})']
        for q in (3, 2, 1, 0):
            v = S[c * 4 + q]
            d = v if c == 0 else B
            L += [f'slt {A}, {T1}, {v}', f'slt {B}, {T2}, {v}', f'add {A}, {A}, {B}',
                  f'slt {B}, {T3}, {v}', f'add {d}, {A}, {B}']
            if c > 0:
                L += [f'slli {d}, {d}, {2 * c}', f'or {S[q]}, {S[q]}, {d}']
    L.append(f'lh {FL}, 6({X})')
    for q in (3, 2, 1, 0):
        L += [f'xor {S[q]}, {S[q]}, {FL}', f'sb {S[q]}, 0({OP[q]})']
    L += rq_thr_tail(name, J, X)
    return name, L


# fb_ki_rv32_gather_l9's job (FbKiG9 in fb-kernel-conv-scalar.h), int32 words.
G9_JOB = {'nky': 0, 'tend': 4, 'x0': 8, 'win': 12, 'pxb': 16, 'rowb': 20, 'colrow': 24,
          'dq': 28, 'rsum': 32, 'tab': 36, 'padsum': 40}


def gather_l9(si=False, nib=False):
    # void fb_ki_rv32_gather_l9 (uint8_t *col, const uint8_t *row, const FbKiG9 *job): the
    # u2 x i2 im2col of a block of 4 pixels at stride 1 from an unsigned, 4-byte aligned input
    # with whole-word taps (conv_scalar_gather_l9()'s ALIGNED, S1 form for npx = 4), the C's
    # per-input-pixel set-up and spills replaced.  col: the block's column of kernel row
    # ky_lo, row: the input row iy0 + ky_lo at x = 0; job: nky kernel rows (col advancing by
    # colrow bytes, row by rowb), per kernel row the input pixels x = x0 + rel, rel = 0 ...
    # nrel - 1, one table entry (2 int32) each from tab to tend: the byte offset in col of
    # the first column that has x as a tap, and the number of such columns minus 2 (columns
    # dq bytes apart).  Each input word (pxb / 4 per pixel) is spread into 4 L9 words by
    # nibbles of its halves (15 instructions; conv_scalar_gather_l9()) and stored into those
    # columns (4 sw each, a copy of the word loop per column count), its crumbs summed into
    # bytes (8); a pixel x outside [0, win) stores zero words.  rsum[rel] += the pixel's
    # crumb sums as 4 bytes (<= 12 per word and byte: the caller takes this only while
    # pxb / 4 * nky <= 21).  si (_si, a signed input): each word XOR 0xAAAAAAAA (the offset
    # to unsigned), a pixel outside stores the offset zero's L9 word 0x80402010 and adds
    # padsum (its crumb sums, 8 per word and byte) to rsum[rel].  nib (n, unsigned input, 2
    # words per pixel: pxb == 8): a word's crumbs summed into nibbles only (<= 6 each, 4
    # instructions + the add; <= 12 for the pixel), the pixel's nibbles folded to bytes
    # once (4: each nibble masked before the add, their sum may exceed 15).
    name = 'fb_ki_rv32_gather_l9' + ('_si' if si else '') + ('n' if nib else '')
    assert not (si and nib)
    J = G9_JOB
    N, K, M, C33, C0F, DQ, XA = 's0', 's1', 's2', 's3', 's4', ['s5', 's6'], 's7'
    X, Pp, T, R, WIN, TEND, PXB = 's8', 's9', 's10', 's11', 'ra', 'a3', 'a4'
    D, SP, WEND = 'a5', 'a6', 'a7'
    V, H, CS, XW = 't0', 't1', 't2', ['t3', 't4', 't5', 't6']
    L = prologue(name, 64)
    L += ['sw ra, 48(sp)', f'lw t0, {J["nky"]}(a2)', 'sw t0, 52(sp)',
          f'li {N}, 0x000F000F', f'li {K}, {(1 << 3) + (1 << 10) + (1 << 14)}',
          f'li {M}, 0xC0603018', f'li {C33}, 0x33333333', f'li {C0F}, 0x0F0F0F0F',
          *([f'li {XA}, 0xAAAAAAAA'] if si else []),
          f'lw {DQ[0]}, {J["dq"]}(a2)', f'add {DQ[1]}, {DQ[0]}, {DQ[0]}',
          f'lw {WIN}, {J["win"]}(a2)',
          f'lw {TEND}, {J["tend"]}(a2)', f'lw {PXB}, {J["pxb"]}(a2)']
    L.append('1:')                                  # kernel row
    L += [f'lw {X}, {J["x0"]}(a2)', f'mul {Pp}, {X}, {PXB}', f'add {Pp}, {Pp}, a1',
          f'lw {T}, {J["tab"]}(a2)', f'lw {R}, {J["rsum"]}(a2)']
    L.append('2:')                                  # input pixel x
    L += [f'lw {D}, 0({T})', f'lw {H}, 4({T})', f'addi {T}, {T}, 8', f'add {D}, a0, {D}',
          f'bgeu {X}, {WIN}, 8f', f'mv {SP}, {Pp}', f'add {WEND}, {Pp}, {PXB}', f'li {CS}, 0',
          f'bltz {H}, 11f', f'beqz {H}, 12f', f'addi {H}, {H}, -1', f'beqz {H}, 13f', 'j 14f']
    for nc in range(1, 5):
        L.append(f'{10 + nc}:')
        L += [f'lw {V}, 0({SP})'] + ([f'xor {V}, {V}, {XA}'] if si else [])
        L += [f'and {XW[0]}, {V}, {N}', f'mul {XW[0]}, {XW[0]}, {K}',
              f'and {XW[0]}, {XW[0]}, {M}']
        for i in (1, 2, 3):
            L += [f'srli {XW[i]}, {V}, {4 * i}', f'and {XW[i]}, {XW[i]}, {N}',
                  f'mul {XW[i]}, {XW[i]}, {K}', f'and {XW[i]}, {XW[i]}, {M}']
        L += [f'srli {H}, {V}, 2', f'and {H}, {H}, {C33}', f'and {V}, {V}, {C33}',
              f'add {H}, {H}, {V}']
        L += [] if nib else [f'srli {V}, {H}, 4', f'add {H}, {H}, {V}', f'and {H}, {H}, {C0F}']
        L += [f'add {CS}, {CS}, {H}']
        L += [f'sw {XW[i]}, {16 * i}({D})' for i in range(4)]
        for j in range(1, nc):   # column 3 from column 2's address
            L += [f'add {V}, {D}, {DQ[j - 1]}' if j < 3 else f'add {V}, {V}, {DQ[0]}']
            L += [f'sw {XW[i]}, {16 * i}({V})' for i in range(4)]
        L += [f'addi {D}, {D}, 64', f'addi {SP}, {SP}, 4', f'bne {SP}, {WEND}, {10 + nc}b']
        L += ['j 3f'] if nc < 4 else []
    L += ['3:']
    L += [f'srli {V}, {CS}, 4', f'and {V}, {V}, {C0F}', f'and {CS}, {CS}, {C0F}',
          f'add {CS}, {CS}, {V}'] if nib else []
    L += [f'lw {V}, 0({R})', f'add {V}, {V}, {CS}', f'sw {V}, 0({R})']
    L.append('4:')                                  # next input pixel
    L += [f'addi {X}, {X}, 1', f'add {Pp}, {Pp}, {PXB}', f'addi {R}, {R}, 4',
          f'bne {T}, {TEND}, 2b']
    L += ['lw t0, 52(sp)', 'addi t0, t0, -1', 'sw t0, 52(sp)', 'beqz t0, 9f',
          f'lw t1, {J["colrow"]}(a2)', 'add a0, a0, t1', f'lw t1, {J["rowb"]}(a2)',
          'add a1, a1, t1', 'j 1b']
    # x outside the input: zero words into the H + 2 columns
    Z = XW[0] if si else 'zero'
    L += ['8:', f'addi {H}, {H}, 2', f'mv {WEND}, {PXB}']
    L += [f'li {Z}, 0x80402010'] if si else []
    L += ['5:', f'mv {V}, {D}', f'mv {CS}, {H}']
    L += ['6:'] + [f'sw {Z}, {16 * i}({V})' for i in range(4)]
    L += [f'add {V}, {V}, {DQ[0]}', f'addi {CS}, {CS}, -1', f'bnez {CS}, 6b',
          f'addi {D}, {D}, 64', f'addi {WEND}, {WEND}, -4', f'bnez {WEND}, 5b']
    if si:
        L += [f'lw {CS}, {J["padsum"]}(a2)', 'j 3b']
    else:
        L += ['j 4b']
    L += ['9:'] + restore_saved()
    L += ['lw ra, 48(sp)', 'addi sp, sp, 64', 'ret', f'.size {name}, .-{name}']
    return name, L


def dw3(A, S):
    # void fb_ki_rv32_dw3_aA_sS (q0, in_px, q1, q2, w, accs, n, sh)
    # One channel of a 3x3 depthwise window sliding along x at stride S over n >= 1 outputs
    # whose input columns are all inside the input: q0/q1/q2 point at the channel's byte in
    # the first column of kernel rows 0/1/2 (columns in_px bytes apart), w = int32 weights
    # [ky * 3 + kx], accs[i] = the int32 sum of output i.  A < 8: the value is bits
    # [sh, sh + A) of the byte.  Weights and the window stay in registers; S = 1 loads one
    # column per output (3 outputs per iteration, the columns rotate by renaming), S = 2 two.
    name = f'fb_ki_rv32_dw3_a{A}_s{S}'
    Wr = [f's{i}' for i in range(9)]
    cols = [['s9', 's10', 's11'], ['t3', 't4', 't5'], ['t6', 't0', 't1']]
    Q = ['a0', 'a2', 'a3']
    L = prologue(name, 48)
    L += [f'lw {Wr[k]}, {4 * k}(a4)' for k in range(9)]
    L += ['slli a6, a6, 2', 'add a6, a6, a5']       # a6 = end of accs

    def load(c):
        out = []
        for r in range(3):
            out.append(f'lbu {cols[c][r]}, 0({Q[r]})')
            if A != 8:
                out += [f'srl {cols[c][r]}, {cols[c][r]}, a7',
                        f'andi {cols[c][r]}, {cols[c][r]}, {(1 << A) - 1}']
            out.append(f'add {Q[r]}, {Q[r]}, a1')
        return out

    def dot(order, off):
        out = []
        first = True
        for r in range(3):
            for kx in range(3):
                x = cols[order[kx]][r]
                if first:
                    out.append(f'mul a4, {x}, {Wr[r * 3 + kx]}')
                    first = False
                else:
                    out += [f'mul t2, {x}, {Wr[r * 3 + kx]}', 'add a4, a4, t2']
        out.append(f'sw a4, {off}(a5)')
        return out

    L += load(0)
    if S == 1:
        L += load(1)
        rot = [(0, 1, 2), (1, 2, 0), (2, 0, 1)]
        L += ['1:', 'addi t2, a5, 12', 'bgtu t2, a6, 2f']
        for i, o in enumerate(rot):
            L += load(o[2]) + dot(o, 4 * i)
        L += ['addi a5, a5, 12', 'j 1b', '2:']
        # 1 or 2 outputs left (n >= 1)
        for i, o in enumerate(rot[:2]):
            L += ['beq a5, a6, 3f'] + load(o[2]) + dot(o, 0) + ['addi a5, a5, 4']
    else:
        # window (a, b, c) then (c, b', a'): two outputs per iteration, no moves
        L += ['1:', 'addi t2, a5, 8', 'bgtu t2, a6, 2f']
        L += load(1) + load(2) + dot((0, 1, 2), 0)
        L += load(1) + load(0) + dot((2, 1, 0), 4)
        L += ['addi a5, a5, 8', 'j 1b', '2:', 'beq a5, a6, 3f']
        L += load(1) + load(2) + dot((0, 1, 2), 0)
    L.append('3:')
    L += restore_saved()
    L += ['addi sp, sp, 48', 'ret', f'.size {name}, .-{name}']
    return name, L


write_inc('fb-kernel-rv32-asm.inc',
          '/* fb-kernel-rv32-asm.inc — GENERATED by fb-kernel-rv32-asm.py, do not edit.\n'
          ' * RV32IM inner loops of the scalar path; see the generator for the contract.\n'
          ' *\n * SPDX-License-Identifier: GPL-3.0-or-later\n */\n\n',
          (plain(), plain(True), swar(2), swar2_4x8(), dot4(), dot4(True), plain_rq(), plain_rq(2),
           plain_rq(1), dot_rq(), dot_rq(False), dot_rq(True, True), dot_rq(False, True),
           dot_rq(False, False, True))
          + tuple(rq_epi(o, so, hi) for o in (8, 4, 2) for so in (0, 1) for hi in (0, 1))
          + (rq_thr(0), rq_thr(1), rq_thr_mask(), gather_l9(), gather_l9(True), gather_l9(nib=True))
          + tuple(dw3(a, st) for a in (8, 4, 2) for st in (1, 2))
          + tuple(rq_epi(o, so, 0, True) for o in (8, 4, 2) for so in (0, 1)))
