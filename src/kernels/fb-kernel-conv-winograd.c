/* fb-kernel-conv-winograd.c — the scalar (RV32IMC) conv of 8-bit activations and weights,
 * 3x3, stride 1, as integer Winograd F(2x2, 3x3), with weights transformed at export time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A 2x2 block of outputs of one channel needs 36 multiplications directly and 16 in the
 * Winograd domain; RV32IMC has no SIMD, so the multiply-add pairs are the cost and this path
 * does 16/36 of them.  Exact integer form:
 *   U = G' g G'^T   (4x4 per output and input channel), G' = 2 G = rows (2,0,0), (1,1,1),
 *                    (1,-1,1), (0,0,2): integers, |U| <= 9 * 128 = 1152 (int16)
 *   V = B^T d B     (4x4 per tile of 4x4 input pixels and input channel): u8 in [-510, 1020],
 *                    i8 in [-512, 512] (int16)
 *   M = sum over input channels of U (.) V,   Y = A^T M A = 4 * (the 2x2 direct sums)
 * so acc = Y / 4 exactly (an arithmetic shift), and the requantization is the direct path's:
 * the outputs are bit for bit those of the reference.  Everything is computed modulo 2^32
 * (uint32_t), which is exact whenever the final 4 * acc fits in int32: |acc| <= Cin * 9 * 128
 * * 255 < 2^29 for Cin <= 1827; fb_ki_conv_winograd_applies() takes Cin <= 1024.
 *
 * Loop nest (the kernel scratch stays at FB_WINO_SCRATCH bytes whatever the layer):
 *   tile row (2 output rows) x blocks of FB_WINO_T tiles along x (2 * FB_WINO_T columns)
 *     x passes of FB_WINO_CP output channels: Y[tile][r][s][channel] zeroed
 *       x chunks of FB_WINO_KC input channels x input-transform columns j = 0..3:
 *         V[i][ci][tile] for the 4 positions (i, j)           (int16, from the input bytes)
 *         x positions i x blocks of FB_WINO_CB channels: one GEMM of 8 channels x 2 tiles
 *           over the chunk, 16 accumulators in registers, then added to (subtracted from)
 *           the 1, 2 or 4 entries of Y that position (i, j) feeds (A has entries 0, +-1)
 *     then acc = Y >> 2, requantized and packed as the direct path does.
 *
 * Prepared weights (fb_conv_prepare_weights() when fb_ki_conv_winograd_applies()): int16
 * little-endian U[p][cout8 / 8][Cin][8], p = 4 i + j the position, output channels padded
 * with zeros to a multiple of 8: 32 bytes per input and output channel (direct i8: 9).
 */
#include "fb-kernel-internal.h"

#define FB_WINO_T  2   /* tiles per block (along x) */
#define FB_WINO_CB 8   /* output channels per GEMM block */
#define FB_WINO_CP 32  /* output channels per pass (Y's channel stride) */
#define FB_WINO_KC 32  /* input channels per chunk (V's length) */

/* Scratch: Y uint32 [T][4][CP], V int16 [4][KC][T], a row of KC zero bytes (input pixels
 * outside the input read from it), 4 bytes of alignment slack. */
#define FB_WINO_Y_BYTES (FB_WINO_T * 4 * FB_WINO_CP * 4)
#define FB_WINO_V_BYTES (4 * FB_WINO_KC * FB_WINO_T * 2)
#define FB_WINO_SCRATCH (4 + FB_WINO_Y_BYTES + FB_WINO_V_BYTES + FB_WINO_KC)

size_t
fb_ki_conv_winograd_buffer_size (const FbConvParams *p)
{
  (void) p;
  return FB_WINO_SCRATCH;
}

size_t
fb_ki_conv_winograd_weights_size (const FbConvParams *p)
{
  return 16 * FB_KI_ALIGN_UP ((size_t) p->ch_out, FB_WINO_CB) * (size_t) p->ch_in * 2;
}

/* U = G' g G'^T of one 3x3 kernel g. */
static void
wino_weight_transform (const int32_t g[3][3], int32_t u[4][4])
{
  static const int32_t gp[4][3] = { { 2, 0, 0 }, { 1, 1, 1 }, { 1, -1, 1 }, { 0, 0, 2 } };
  int32_t t[4][3], i, j, k;
  for (i = 0; i < 4; i++)
    for (k = 0; k < 3; k++)
      t[i][k] = gp[i][0] * g[0][k] + gp[i][1] * g[1][k] + gp[i][2] * g[2][k];
  for (i = 0; i < 4; i++)
    for (j = 0; j < 4; j++)
      u[i][j] = t[i][0] * gp[j][0] + t[i][1] * gp[j][1] + t[i][2] * gp[j][2];
}

void
fb_ki_conv_winograd_prepare (const uint8_t *weights, const FbConvParams *p, uint8_t *prepared)
{
  const size_t cin = (size_t) p->ch_in, cout = (size_t) p->ch_out;
  const size_t cout8 = FB_KI_ALIGN_UP (cout, FB_WINO_CB), rb = 9 * cin;
  size_t co, ci;
  int32_t g[3][3], u[4][4], q, pos;

  for (co = 0; co < cout8; co++)
    for (ci = 0; ci < cin; ci++)
      {
        for (q = 0; q < 9; q++)
          g[q / 3][q % 3] = co < cout ? (int32_t) (int8_t) weights[co * rb + (size_t) q * cin + ci]
                                      : 0;
        wino_weight_transform (g, u);
        for (pos = 0; pos < 16; pos++)
          {
            const size_t e = (((size_t) pos * (cout8 / FB_WINO_CB) + co / FB_WINO_CB) * cin + ci)
                             * FB_WINO_CB + co % FB_WINO_CB;
            const uint32_t v = (uint32_t) u[pos / 4][pos % 4];
            prepared[2 * e] = (uint8_t) (v & 0xFFu);
            prepared[2 * e + 1] = (uint8_t) ((v >> 8) & 0xFFu);
          }
      }
}

#if FB_KI_SCALAR

/* Which entries Y[r][s] (bit 2 r + s) position p = 4 i + j feeds with +1 and with -1:
 * A^T = rows (1, 1, 1, 0), (0, 1, -1, -1). */
static const uint8_t wino_plus[16] = {
  0x1, 0x3, 0x1, 0x0, 0x5, 0xF, 0x5, 0x0, 0x1, 0x3, 0x9, 0x8, 0x0, 0x0, 0x8, 0x8,
};
static const uint8_t wino_minus[16] = {
  0x0, 0x0, 0x2, 0x2, 0x0, 0x0, 0xA, 0xA, 0x4, 0xC, 0x6, 0x2, 0x4, 0xC, 0x4, 0x0,
};

/* The GEMM of one position: acc[2 c + t] = sum over the input channels k of u[8 k + c] *
 * v[2 k + t] (8 channels x 2 tiles), modulo 2^32; v ends at vend (kn = (vend - v) / 2 >= 0).
 * On RV32IM assembly: GCC's scheduler hoists the 8 weight loads and then spills two of the
 * 16 accumulators on every step (50 instead of 45 instructions per input channel). */
#if defined(__riscv) && defined(__riscv_mul) && __riscv_xlen == 32 && !defined(FB_KERNEL_NO_ASM)
#define FB_WINO_ASM 1
void fb_ki_rv32_wino_8x2 (const int16_t *u, const int16_t *v, const int16_t *vend,
                          uint32_t *acc);

/* one input channel: x0, x1 (a4, a5) the two tiles' V, then per channel c: w (a6) = u[c],
 * two products (a7) into the accumulators s0..s11, t3..t6 */
#define FB_WINO_MAC(uo, r0, r1)                                                              \
  "lh a6, " uo "(a0)\n" "mul a7, a6, a4\n" "add " r0 ", " r0 ", a7\n"                      \
  "mul a7, a6, a5\n" "add " r1 ", " r1 ", a7\n"
#define FB_WINO_STEP(v0, v1, u0, u1, u2, u3, u4, u5, u6, u7)                                 \
  "lh a4, " v0 "(a1)\n" "lh a5, " v1 "(a1)\n"                                               \
  FB_WINO_MAC (u0, "s0", "s1") FB_WINO_MAC (u1, "s2", "s3") FB_WINO_MAC (u2, "s4", "s5")     \
  FB_WINO_MAC (u3, "s6", "s7") FB_WINO_MAC (u4, "s8", "s9") FB_WINO_MAC (u5, "s10", "s11")   \
  FB_WINO_MAC (u6, "t3", "t4") FB_WINO_MAC (u7, "t5", "t6")

__asm__ (
  ".text\n"
  ".balign 4\n"
  ".globl fb_ki_rv32_wino_8x2\n"
  ".type fb_ki_rv32_wino_8x2, @function\n"
  "fb_ki_rv32_wino_8x2:\n"
  "addi sp, sp, -48\n"
  "sw s0, 0(sp)\n" "sw s1, 4(sp)\n" "sw s2, 8(sp)\n" "sw s3, 12(sp)\n"
  "sw s4, 16(sp)\n" "sw s5, 20(sp)\n" "sw s6, 24(sp)\n" "sw s7, 28(sp)\n"
  "sw s8, 32(sp)\n" "sw s9, 36(sp)\n" "sw s10, 40(sp)\n" "sw s11, 44(sp)\n"
  "li s0, 0\n" "li s1, 0\n" "li s2, 0\n" "li s3, 0\n" "li s4, 0\n" "li s5, 0\n"
  "li s6, 0\n" "li s7, 0\n" "li s8, 0\n" "li s9, 0\n" "li s10, 0\n" "li s11, 0\n"
  "li t3, 0\n" "li t4, 0\n" "li t5, 0\n" "li t6, 0\n"
  /* an odd count: one step first, then two per iteration */
  "sub t0, a2, a1\n"
  "andi t0, t0, 4\n"
  "beqz t0, 2f\n"
  FB_WINO_STEP ("0", "2", "0", "2", "4", "6", "8", "10", "12", "14")
  "addi a0, a0, 16\n"
  "addi a1, a1, 4\n"
  "2:\n"
  "beq a1, a2, 3f\n"
  "1:\n"
  FB_WINO_STEP ("0", "2", "0", "2", "4", "6", "8", "10", "12", "14")
  FB_WINO_STEP ("4", "6", "16", "18", "20", "22", "24", "26", "28", "30")
  "addi a0, a0, 32\n"
  "addi a1, a1, 8\n"
  "bne a1, a2, 1b\n"
  "3:\n"
  "sw s0, 0(a3)\n" "sw s1, 4(a3)\n" "sw s2, 8(a3)\n" "sw s3, 12(a3)\n"
  "sw s4, 16(a3)\n" "sw s5, 20(a3)\n" "sw s6, 24(a3)\n" "sw s7, 28(a3)\n"
  "sw s8, 32(a3)\n" "sw s9, 36(a3)\n" "sw s10, 40(a3)\n" "sw s11, 44(a3)\n"
  "sw t3, 48(a3)\n" "sw t4, 52(a3)\n" "sw t5, 56(a3)\n" "sw t6, 60(a3)\n"
  "lw s0, 0(sp)\n" "lw s1, 4(sp)\n" "lw s2, 8(sp)\n" "lw s3, 12(sp)\n"
  "lw s4, 16(sp)\n" "lw s5, 20(sp)\n" "lw s6, 24(sp)\n" "lw s7, 28(sp)\n"
  "lw s8, 32(sp)\n" "lw s9, 36(sp)\n" "lw s10, 40(sp)\n" "lw s11, 44(sp)\n"
  "addi sp, sp, 48\n"
  "ret\n"
  ".size fb_ki_rv32_wino_8x2, .-fb_ki_rv32_wino_8x2\n");
#undef FB_WINO_STEP
#undef FB_WINO_MAC
#else
#define FB_WINO_ASM 0
#endif

static void
wino_gemm (const int16_t *FB_KI_RESTRICT u, const int16_t *FB_KI_RESTRICT v, int32_t kn,
           uint32_t *FB_KI_RESTRICT acc)
{
#if FB_WINO_ASM
  fb_ki_rv32_wino_8x2 (u, v, v + (size_t) kn * FB_WINO_T, acc);
#else
  int32_t k, c;
  for (c = 0; c < 2 * FB_WINO_CB; c++)
    acc[c] = 0;
  for (k = 0; k < kn; k++, v += FB_WINO_T, u += FB_WINO_CB)
    for (c = 0; c < FB_WINO_CB; c++)
      {
        acc[2 * c] += (uint32_t) (int32_t) u[c] * (uint32_t) (int32_t) v[0];
        acc[2 * c + 1] += (uint32_t) (int32_t) u[c] * (uint32_t) (int32_t) v[1];
      }
#endif
}

/* Adds acc[2 c + t] to (subtracts it from) y[rs * CP + t * 4 * CP + c] for the bits rs of
 * plus (minus). */
static void
wino_fold (const uint32_t *FB_KI_RESTRICT acc, uint32_t *FB_KI_RESTRICT y, unsigned plus,
           unsigned minus)
{
  int rs, c;
  for (rs = 0; rs < 4; rs++, y += FB_WINO_CP)
    {
      uint32_t *y1 = y + 4 * FB_WINO_CP;
      if ((plus >> rs) & 1u)
        for (c = 0; c < FB_WINO_CB; c++)
          {
            y[c] += acc[2 * c];
            y1[c] += acc[2 * c + 1];
          }
      else if ((minus >> rs) & 1u)
        for (c = 0; c < FB_WINO_CB; c++)
          {
            y[c] -= acc[2 * c];
            y1[c] -= acc[2 * c + 1];
          }
    }
}

/* V[i][ci][t] for i = 0..3 of input-transform column J, one tile: px[2 a + b] points at input
 * channel k0 of the tile's pixel (row a, the b-th of the two columns J reads), or at zeros.
 * Row combination R_a (B^T's row J over the columns): J 0: d0 - d2, 1: d1 + d2, 2: d2 - d1,
 * 3: d1 - d3; then V0 = R0 - R2, V1 = R1 + R2, V2 = R2 - R1, V3 = R1 - R3. */
FB_KI_INLINE void
wino_input_column (const int SI, const int J, const uint8_t *const *px, int32_t kn, int16_t *v)
{
  const uint8_t *p00 = px[0], *p01 = px[1], *p10 = px[2], *p11 = px[3];
  const uint8_t *p20 = px[4], *p21 = px[5], *p30 = px[6], *p31 = px[7];
  int32_t ci;

#define FB_WINO_LD(q) (SI ? (int32_t) (int8_t) (q)[ci] : (int32_t) (q)[ci])
#define FB_WINO_R(a, b) (J == 1 ? (a) + (b) : J == 2 ? (b) - (a) : (a) - (b))
  for (ci = 0; ci < kn; ci++, v += FB_WINO_T)
    {
      const int32_t r0 = FB_WINO_R (FB_WINO_LD (p00), FB_WINO_LD (p01));
      const int32_t r1 = FB_WINO_R (FB_WINO_LD (p10), FB_WINO_LD (p11));
      const int32_t r2 = FB_WINO_R (FB_WINO_LD (p20), FB_WINO_LD (p21));
      const int32_t r3 = FB_WINO_R (FB_WINO_LD (p30), FB_WINO_LD (p31));
      v[0] = (int16_t) (r0 - r2);
      v[FB_WINO_KC * FB_WINO_T] = (int16_t) (r1 + r2);
      v[2 * FB_WINO_KC * FB_WINO_T] = (int16_t) (r2 - r1);
      v[3 * FB_WINO_KC * FB_WINO_T] = (int16_t) (r1 - r3);
    }
#undef FB_WINO_R
#undef FB_WINO_LD
}

static void
wino_input_column_any (int si, int j, const uint8_t *const *px, int32_t kn, int16_t *v)
{
  switch (j + 4 * si)
    {
    case 0: wino_input_column (0, 0, px, kn, v); break;
    case 1: wino_input_column (0, 1, px, kn, v); break;
    case 2: wino_input_column (0, 2, px, kn, v); break;
    case 3: wino_input_column (0, 3, px, kn, v); break;
    case 4: wino_input_column (1, 0, px, kn, v); break;
    case 5: wino_input_column (1, 1, px, kn, v); break;
    case 6: wino_input_column (1, 2, px, kn, v); break;
    default: wino_input_column (1, 3, px, kn, v); break;
    }
}

/* Where a block starts and what it covers. */
typedef struct {
  int32_t oy0, ox0;        /* output row and column of tile 0's top-left output */
  int32_t c0, nch;         /* output channels [c0, c0 + nch) of this pass */
} WinoBlock;

/* acc = Y / 4, requantized and packed, for the outputs of the block inside the output. */
FB_KI_INLINE void
wino_output (const int O, const int SO, uint32_t *y, const int32_t *kappa,
             const int32_t *lambda, uint8_t *output, const FbConvParams *p, const WinoBlock *b)
{
  const size_t out_px_bytes = (size_t) p->ch_out * (size_t) O / 8;
  int32_t t, rs, c;
  for (t = 0; t < FB_WINO_T; t++)
    for (rs = 0; rs < 4; rs++)
      {
        const int32_t oy = b->oy0 + rs / 2, ox = b->ox0 + 2 * t + rs % 2;
        int32_t *acc = (int32_t *) (y + (size_t) (t * 4 + rs) * FB_WINO_CP);
        if (oy >= p->dim_out_y || ox >= p->dim_out_x)
          continue;
        for (c = 0; c < b->nch; c++)
          acc[c] >>= 2;   /* exact: the sum is 4 times the direct one */
        fb_ki_requant_pack_any (O, SO, acc, kappa + b->c0, lambda + b->c0, p->out_shift, b->nch,
                                output + ((size_t) oy * (size_t) p->dim_out_x + (size_t) ox)
                                           * out_px_bytes
                                       + (size_t) b->c0 * (size_t) O / 8);
      }
}

/* The pointers of wino_input_column() for tile t of block b, column group j, chunk k0. */
static void
wino_pixels (const uint8_t *input, const FbConvParams *p, const WinoBlock *b, int32_t t,
             int32_t j, int32_t k0, const uint8_t *zeros, const uint8_t *px[8])
{
  const int32_t col0 = j == 0 ? 0 : 1, col1 = j == 0 ? 2 : j == 3 ? 3 : 2;
  int32_t a, e;
  for (a = 0; a < 4; a++)
    for (e = 0; e < 2; e++)
      {
        const int32_t iy = b->oy0 - p->pad_top + a;
        const int32_t ix = b->ox0 + 2 * t - p->pad_left + (e == 0 ? col0 : col1);
        px[2 * a + e] = iy < 0 || iy >= p->dim_in_y || ix < 0 || ix >= p->dim_in_x
                          ? zeros
                          : input + ((size_t) iy * (size_t) p->dim_in_x + (size_t) ix)
                                      * (size_t) p->ch_in + (size_t) k0;
      }
}

/* One pass of one block: Y of its tiles and channels over all input channels. */
static void
wino_block (const uint8_t *input, const int16_t *u, const FbConvParams *p, const WinoBlock *b,
            uint32_t *y, int16_t *v, const uint8_t *zeros)
{
  const int32_t cin = p->ch_in, si = (p->flag_relu & FB_KERNEL_FLAG_SIGNED_IN) != 0;
  const size_t ncob = FB_KI_ALIGN_UP ((size_t) p->ch_out, FB_WINO_CB) / FB_WINO_CB;
  const int32_t nb = (b->nch + FB_WINO_CB - 1) / FB_WINO_CB;
  uint32_t acc[2 * FB_WINO_CB];
  int32_t k0, j, i, t, cb;

  memset (y, 0, FB_WINO_Y_BYTES);
  for (k0 = 0; k0 < cin; k0 += FB_WINO_KC)
    {
      const int32_t kn = cin - k0 < FB_WINO_KC ? cin - k0 : FB_WINO_KC;
      for (j = 0; j < 4; j++)
        {
          for (t = 0; t < FB_WINO_T; t++)
            {
              const uint8_t *px[8];
              wino_pixels (input, p, b, t, j, k0, zeros, px);
              wino_input_column_any (si, j, px, kn, v + t);
            }
          for (i = 0; i < 4; i++)
            {
              const int32_t pos = 4 * i + j;
              for (cb = 0; cb < nb; cb++)
                {
                  wino_gemm (u + (((size_t) pos * ncob + (size_t) (b->c0 / FB_WINO_CB + cb))
                                  * (size_t) cin + (size_t) k0) * FB_WINO_CB,
                             v + (size_t) i * FB_WINO_KC * FB_WINO_T, kn, acc);
                  wino_fold (acc, y + (size_t) cb * FB_WINO_CB, wino_plus[pos], wino_minus[pos]);
                }
            }
        }
    }
}

void
fb_ki_conv_winograd (int out_bits, const uint8_t *input, const uint8_t *prepared,
                     const int32_t *kappa, const int32_t *lambda, uint8_t *output,
                     const FbConvParams *p, void *buffer)
{
  const int so = (p->flag_relu & FB_KERNEL_FLAG_SIGNED_OUT) != 0;
  uint32_t *y = (uint32_t *) fb_ki_align_ptr (buffer, 4);
  int16_t *v = (int16_t *) (void *) ((uint8_t *) y + FB_WINO_Y_BYTES);
  uint8_t *zeros = (uint8_t *) v + FB_WINO_V_BYTES;
  const int16_t *u = (const int16_t *) (const void *) prepared;
  WinoBlock b;

  memset (zeros, 0, FB_WINO_KC);
  for (b.oy0 = 0; b.oy0 < p->dim_out_y; b.oy0 += 2)
    for (b.ox0 = 0; b.ox0 < p->dim_out_x; b.ox0 += 2 * FB_WINO_T)
      for (b.c0 = 0; b.c0 < p->ch_out; b.c0 += FB_WINO_CP)
        {
          b.nch = p->ch_out - b.c0 < FB_WINO_CP ? p->ch_out - b.c0 : FB_WINO_CP;
          wino_block (input, u, p, &b, y, v, zeros);
          switch (out_bits * 2 + so)
            {
            case 16: wino_output (8, 0, y, kappa, lambda, output, p, &b); break;
            case 17: wino_output (8, 1, y, kappa, lambda, output, p, &b); break;
            case 8: wino_output (4, 0, y, kappa, lambda, output, p, &b); break;
            case 9: wino_output (4, 1, y, kappa, lambda, output, p, &b); break;
            case 4: wino_output (2, 0, y, kappa, lambda, output, p, &b); break;
            default: wino_output (2, 1, y, kappa, lambda, output, p, &b); break;
            }
        }
}

#endif /* FB_KI_SCALAR */
