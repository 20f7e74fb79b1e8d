/* fb-kernel-depthwise.c — the depthwise family fb_depthwise_uI_uO_iW (one template, 27 variants).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Weights are [Ky][Kx][C] packed along C (the layout fb_kernel_pack_depthwise_weights()
 * writes), so for one tap the weights of consecutive channels are consecutive, exactly like
 * the input pixel they multiply.  For each output pixel only the taps inside the input are
 * visited.  With stride 1, two neighbouring pixels whose windows lie inside the input along x
 * are computed together (each weight load serves both, each input column is loaded once).
 * Channels are processed 4 at a time with the accumulators in registers, activations and
 * weights unpacked on the fly from their packed bytes; the int32 sums of the pixel(s) go to the
 * scratch buffer (8 bytes per channel) and are requantized together.  This is the scalar
 * (RV32) path; it also runs on the host when FB_KERNEL_FORCE_SCALAR is defined.
 *
 * Host path (FB_KERNEL_ARCH_HOST): vectorized across channels instead.  The weights are
 * unpacked once per call to int16 [Ky*Kx][C]; a sub-byte input has the input rows of each
 * output row unpacked to int16 (an 8-bit input is read in place), so the channel loops run over
 * at least 16-bit lanes and vectorize even for few channels.  Per output pixel only the taps
 * inside the input are visited: a kernel row of 3 taps is one pass over the channels (3
 * products per int32 accumulator load/store), other widths one pass per tap.  Each u*i product
 * fits int16 exactly (|255 * -128| < 2^15), so the compiler can multiply in 16-bit lanes.  The
 * requantization is vectorized too (fb_ki_requant_pack_host()).  GCC vectorizes these loops
 * (SSE2 baseline; an AVX2 copy of every variant is selected at run time on x86-64 when the CPU
 * has it; on a CPU with AVX-512 VNNI that copy requantizes with fb_ki_requant_pack_vnni()).
 * Results are bit-identical: the same int32 sums, the same requantization.
 */
#include "fb-kernel-internal.h"

/* Host scratch: alignment slack, int16 weights [Ky*Kx][C], int32 accumulators and output bytes
 * of one pixel, and for a sub-byte input the Ky input rows of an output row unpacked to int16.
 * Natural alignment is enough (the vector loads are unaligned). */
#define FB_DW_HOST_ALIGN 4

static size_t
dw_host_buffer_size (int in_bits, const FbConvParams *p)
{
  const size_t ch = (size_t) p->ch_in;
  const size_t taps = (size_t) p->dim_kernel_x * (size_t) p->dim_kernel_y;
  const size_t rows = in_bits == 8 ? 0
                                   : (size_t) p->dim_kernel_y * (size_t) p->dim_in_x * ch * 2;
  return FB_DW_HOST_ALIGN + FB_KI_ALIGN_UP (taps * ch * 2, FB_DW_HOST_ALIGN) + ch * 8 + rows;
}

/* Scalar path: channels per pass (a multiple of 8, so every pass starts on a whole byte of
 * packed input, weights and output). */
#define FB_DW_SC_CH 64

size_t
fb_depthwise_get_buffer_size_for_arch (FbKernelArch arch, int in_bits, int out_bits, int w_bits,
                                       const FbConvParams *params)
{
  if (fb_ki_check_conv (in_bits, out_bits, w_bits, 1, params) != FB_KERNEL_OK)
    return 0;
  if (arch != FB_KERNEL_ARCH_HOST && arch != FB_KERNEL_ARCH_SCALAR)
    return 0;
  if (arch == FB_KERNEL_ARCH_HOST)
    return dw_host_buffer_size (in_bits, params);
  /* int32 accumulators of two output pixels, FB_DW_SC_CH channels at a time, or of one
   * channel's output row (dw_sc_plane3) */
  {
    const size_t pix = (size_t) (params->ch_out < FB_DW_SC_CH ? params->ch_out : FB_DW_SC_CH) * 8;
    const size_t row = (size_t) params->dim_out_x * 4;
    return 4 + (pix > row ? pix : row);
  }
}

size_t
fb_depthwise_get_buffer_size (int in_bits, int out_bits, int w_bits, const FbConvParams *params)
{
  return fb_depthwise_get_buffer_size_for_arch (FB_KI_ARCH, in_bits, out_bits, w_bits, params);
}

/* 4 consecutive values (the first at a byte boundary) of a packed unsigned A-bit row. */
FB_KI_INLINE void
dw_load4_u (const int A, const uint8_t *p, int32_t v[4])
{
  if (A == 8)
    {
      v[0] = p[0]; v[1] = p[1]; v[2] = p[2]; v[3] = p[3];
    }
  else if (A == 4)
    {
      const uint32_t b0 = p[0], b1 = p[1];
      v[0] = (int32_t) (b0 & 15u); v[1] = (int32_t) (b0 >> 4);
      v[2] = (int32_t) (b1 & 15u); v[3] = (int32_t) (b1 >> 4);
    }
  else
    {
      const uint32_t b = p[0];
      v[0] = (int32_t) (b & 3u); v[1] = (int32_t) ((b >> 2) & 3u);
      v[2] = (int32_t) ((b >> 4) & 3u); v[3] = (int32_t) (b >> 6);
    }
}

/* The same for signed W-bit values. */
FB_KI_INLINE void
dw_load4_s (const int W, const uint8_t *p, int32_t v[4])
{
  if (W == 8)
    {
      v[0] = (int8_t) p[0]; v[1] = (int8_t) p[1]; v[2] = (int8_t) p[2]; v[3] = (int8_t) p[3];
    }
  else if (W == 4)
    {
      const int32_t b0 = (int8_t) p[0], b1 = (int8_t) p[1];
      v[0] = (int32_t) ((uint32_t) b0 << 28) >> 28; v[1] = b0 >> 4;
      v[2] = (int32_t) ((uint32_t) b1 << 28) >> 28; v[3] = b1 >> 4;
    }
  else
    {
      const int32_t b = (int8_t) p[0];
      v[0] = (int32_t) ((uint32_t) b << 30) >> 30;
      v[1] = (int32_t) ((uint32_t) b << 28) >> 30;
      v[2] = (int32_t) ((uint32_t) b << 26) >> 30;
      v[3] = b >> 6;
    }
}

/* Geometry of one output row shared by the scalar helpers. */
typedef struct {
  size_t in_px, w_tap, out_px, in_row, w_row;
  int32_t chn, ch4;
} DwScGeom;

/* Two neighbouring output pixels (ox, ox + 1), stride 1, windows inside the input along x:
 * each weight load serves both and each input column is loaded once. */
FB_KI_INLINE void
dw_sc_pair (const int A, const int O, const int W, const uint8_t *input,
            const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
            uint8_t *output, const FbConvParams *p, int32_t *acc, const DwScGeom *g,
            int32_t oy, int32_t ox, int32_t iy0, int32_t ky_lo, int32_t ky_hi)
{
  const int32_t ch = p->ch_in, kxn = p->dim_kernel_x, ix0 = ox * p->stride_x - p->pad_left;
  const int32_t nky = ky_hi - ky_lo, chn = g->chn;
  const uint8_t *x0 = input + ((size_t) (iy0 + ky_lo) * (size_t) p->dim_in_x + (size_t) ix0)
                                * g->in_px;
  const uint8_t *w0 = weights + (size_t) ky_lo * g->w_row;
  int32_t *acc2 = acc + chn;
  int32_t c0, c, ky, kx, e;

  for (c0 = 0; c0 < ch; c0 += chn)
    {
      const int32_t c1 = ch - c0 < chn ? ch : c0 + chn, c14 = c1 < g->ch4 ? c1 : g->ch4;
      for (c = c0; c < c14; c += 4)
        {
          int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
          const uint8_t *xr = x0 + (size_t) c * (size_t) A / 8;
          const uint8_t *wr = w0 + (size_t) c * (size_t) W / 8;
          for (ky = 0; ky < nky; ky++, xr += g->in_row, wr += g->w_row)
            {
              const uint8_t *xp = xr + g->in_px, *wp = wr;
              int32_t xa[4], xb[4], wv[4];
              dw_load4_u (A, xr, xa);
              for (kx = 0; kx < kxn; kx++, xp += g->in_px, wp += g->w_tap)
                {
                  dw_load4_s (W, wp, wv);
                  dw_load4_u (A, xp, xb);
                  a0 += xa[0] * wv[0]; b0 += xb[0] * wv[0];
                  a1 += xa[1] * wv[1]; b1 += xb[1] * wv[1];
                  a2 += xa[2] * wv[2]; b2 += xb[2] * wv[2];
                  a3 += xa[3] * wv[3]; b3 += xb[3] * wv[3];
                  xa[0] = xb[0]; xa[1] = xb[1]; xa[2] = xb[2]; xa[3] = xb[3];
                }
            }
          acc[c - c0] = a0; acc[c - c0 + 1] = a1; acc[c - c0 + 2] = a2; acc[c - c0 + 3] = a3;
          acc2[c - c0] = b0; acc2[c - c0 + 1] = b1; acc2[c - c0 + 2] = b2; acc2[c - c0 + 3] = b3;
        }
      for (e = c14 > c0 ? c14 : c0; e < c1; e++)
        {
          int32_t sa = 0, sb = 0;
          for (ky = 0; ky < nky; ky++)
            for (kx = 0; kx < kxn; kx++)
              {
                const size_t px = (size_t) (iy0 + ky_lo + ky) * (size_t) p->dim_in_x
                                  + (size_t) (ix0 + kx);
                const int32_t wv = fb_ki_get_s (W, weights,
                                                ((size_t) (ky_lo + ky) * (size_t) kxn
                                                 + (size_t) kx) * (size_t) ch + (size_t) e);
                sa += fb_ki_get_u (A, input, px * (size_t) ch + (size_t) e) * wv;
                sb += fb_ki_get_u (A, input, (px + 1) * (size_t) ch + (size_t) e) * wv;
              }
          acc[e - c0] = sa;
          acc2[e - c0] = sb;
        }
      fb_ki_requant_pack (O, acc, kappa + c0, lambda + c0, p->out_shift, c1 - c0,
                          output + ((size_t) oy * (size_t) p->dim_out_x + (size_t) ox) * g->out_px
                            + (size_t) c0 * (size_t) O / 8);
      fb_ki_requant_pack (O, acc2, kappa + c0, lambda + c0, p->out_shift, c1 - c0,
                          output + ((size_t) oy * (size_t) p->dim_out_x + (size_t) ox + 1)
                                     * g->out_px
                            + (size_t) c0 * (size_t) O / 8);
    }
}

/* One output pixel: only the taps inside the input. */
FB_KI_INLINE void
dw_sc_pixel (const int A, const int O, const int W, const uint8_t *input,
             const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
             uint8_t *output, const FbConvParams *p, int32_t *acc, const DwScGeom *g,
             int32_t oy, int32_t ox, int32_t iy0, int32_t ky_lo, int32_t ky_hi)
{
  const int32_t ch = p->ch_in, kxn = p->dim_kernel_x, chn = g->chn;
  const int32_t ix0 = ox * p->stride_x - p->pad_left;
  const int32_t kx_lo = ix0 < 0 ? (-ix0 < kxn ? -ix0 : kxn) : 0;
  int32_t kx_hi = p->dim_in_x - ix0 < kxn ? p->dim_in_x - ix0 : kxn;
  const int32_t nky = ky_hi - ky_lo;
  const uint8_t *x0, *w0;
  int32_t nkx, c0, c, ky, kx, e;

  if (kx_hi < kx_lo)
    kx_hi = kx_lo;
  nkx = kx_hi - kx_lo;
  /* first tap inside the input (only dereferenced when there is one) */
  x0 = nky > 0 && nkx > 0
         ? input + ((size_t) (iy0 + ky_lo) * (size_t) p->dim_in_x + (size_t) (ix0 + kx_lo))
                     * g->in_px
         : input;
  w0 = weights + ((size_t) ky_lo * (size_t) kxn + (size_t) kx_lo) * g->w_tap;

  for (c0 = 0; c0 < ch; c0 += chn)
    {
      const int32_t c1 = ch - c0 < chn ? ch : c0 + chn, c14 = c1 < g->ch4 ? c1 : g->ch4;
      for (c = c0; c < c14; c += 4)
        {
          int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          const uint8_t *xr = x0 + (size_t) c * (size_t) A / 8;
          const uint8_t *wr = w0 + (size_t) c * (size_t) W / 8;
          for (ky = 0; ky < nky; ky++, xr += g->in_row, wr += g->w_row)
            {
              const uint8_t *xp = xr, *wp = wr;
              for (kx = 0; kx < nkx; kx++, xp += g->in_px, wp += g->w_tap)
                {
                  int32_t xv[4], wv[4];
                  dw_load4_u (A, xp, xv);
                  dw_load4_s (W, wp, wv);
                  s0 += xv[0] * wv[0];
                  s1 += xv[1] * wv[1];
                  s2 += xv[2] * wv[2];
                  s3 += xv[3] * wv[3];
                }
            }
          acc[c - c0] = s0; acc[c - c0 + 1] = s1; acc[c - c0 + 2] = s2; acc[c - c0 + 3] = s3;
        }
      /* ch % 4 remaining channels (only with 8- or 4-bit operands) */
      for (e = c14 > c0 ? c14 : c0; e < c1; e++)
        {
          int32_t s = 0;
          for (ky = 0; ky < nky; ky++)
            for (kx = 0; kx < nkx; kx++)
              {
                const size_t px = (size_t) (iy0 + ky_lo + ky) * (size_t) p->dim_in_x
                                  + (size_t) (ix0 + kx_lo + kx);
                const size_t tap = (size_t) (ky_lo + ky) * (size_t) kxn + (size_t) (kx_lo + kx);
                s += fb_ki_get_u (A, input, px * (size_t) ch + (size_t) e)
                     * fb_ki_get_s (W, weights, tap * (size_t) ch + (size_t) e);
              }
          acc[e - c0] = s;
        }
      fb_ki_requant_pack (O, acc, kappa + c0, lambda + c0, p->out_shift, c1 - c0,
                          output + ((size_t) oy * (size_t) p->dim_out_x + (size_t) ox) * g->out_px
                            + (size_t) c0 * (size_t) O / 8);
    }
}

/* Unsigned A-bit element of the channel (bit sh of the byte) at q. */
#define DW_X(q) (A == 8 ? (int32_t) (q)[0] : (int32_t) (((q)[0] >> sh) & ((1u << A) - 1u)))
/* The 3 kernel rows of the next input column: loaded, the row pointers advanced */
#define DW_COL(v0, v1, v2)                                                                    \
  (v0 = DW_X (q0), v1 = DW_X (q1), v2 = DW_X (q2), q0 += in_px, q1 += in_px, q2 += in_px)
#define DW_DOT(x0, x1, x2, y0, y1, y2, z0, z1, z2)                                            \
  (x0 * w00 + y0 * w01 + z0 * w02 + x1 * w10 + y1 * w11 + z1 * w12 + x2 * w20 + y2 * w21      \
   + z2 * w22)

/* The interior outputs [ox_lo, ox_hi) of one channel of a 3x3 window sliding along x at
 * stride S, all of whose columns are inside the input, into accs[ox]: the 9 weights and the
 * window in registers, one (S = 1; unrolled 3 times so the columns rotate by renaming) or two
 * (S = 2) input columns loaded per output, one pointer per kernel row.  q: the channel's first
 * column of output ox_lo. */
FB_KI_INLINE void
dw_sc_sweep3 (const int A, const int S, const uint8_t *q, int32_t sh, size_t in_px, size_t d1,
              size_t d2, const int32_t *w, int32_t *accs, int32_t n)
{
  const int32_t w00 = w[0], w01 = w[1], w02 = w[2], w10 = w[3], w11 = w[4], w12 = w[5];
  const int32_t w20 = w[6], w21 = w[7], w22 = w[8];
  const uint8_t *q0 = q, *q1 = q + d1, *q2 = q + d2;
  int32_t a0, a1, a2, b0, b1, b2, c0, c1, c2;
  int32_t *end = accs + n;

  if (n <= 0)
    return;
  DW_COL (a0, a1, a2);
  if (S == 1)
    {
      DW_COL (b0, b1, b2);
      for (; n >= 3; n -= 3, accs += 3)
        {
          DW_COL (c0, c1, c2);
          accs[0] = DW_DOT (a0, a1, a2, b0, b1, b2, c0, c1, c2);
          DW_COL (a0, a1, a2);
          accs[1] = DW_DOT (b0, b1, b2, c0, c1, c2, a0, a1, a2);
          DW_COL (b0, b1, b2);
          accs[2] = DW_DOT (c0, c1, c2, a0, a1, a2, b0, b1, b2);
        }
      for (; accs < end; accs++)
        {
          DW_COL (c0, c1, c2);
          *accs = DW_DOT (a0, a1, a2, b0, b1, b2, c0, c1, c2);
          a0 = b0; a1 = b1; a2 = b2; b0 = c0; b1 = c1; b2 = c2;
        }
    }
  else
    for (; accs < end; accs++)
      {
        DW_COL (b0, b1, b2);
        DW_COL (c0, c1, c2);
        *accs = DW_DOT (a0, a1, a2, b0, b1, b2, c0, c1, c2);
        a0 = c0; a1 = c1; a2 = c2;
      }
}

#if defined(__riscv) && defined(__riscv_mul) && __riscv_xlen == 32 && !defined(FB_KERNEL_NO_ASM)
/* RV32IM assembly of dw_sc_sweep3() (fb-kernel-rv32-asm.py, defined in fb-kernel-conv.c's
 * object): GCC spills the 9 weights and the window of the C twin. */
#define DW_ASM_DECLARE(a, s)                                                                  \
  void fb_ki_rv32_dw3_a##a##_s##s (const uint8_t *q0, size_t in_px, const uint8_t *q1,         \
                                   const uint8_t *q2, const int32_t *w, int32_t *accs,        \
                                   int32_t n, int32_t sh);
DW_ASM_DECLARE (8, 1)
DW_ASM_DECLARE (8, 2)
DW_ASM_DECLARE (4, 1)
DW_ASM_DECLARE (4, 2)
DW_ASM_DECLARE (2, 1)
DW_ASM_DECLARE (2, 2)
#undef DW_ASM_DECLARE
#define DW_ASM_CALL(a, s) fb_ki_rv32_dw3_a##a##_s##s (q, in_px, q + d1, q + d2, w, accs, n, sh)
FB_KI_INLINE void
dw_sc_sweep3_call (const int A, const int S, const uint8_t *q, int32_t sh, size_t in_px,
                   size_t d1, size_t d2, const int32_t *w, int32_t *accs, int32_t n)
{
  if (n <= 0)
    return;
  if (A == 8)
    S == 1 ? DW_ASM_CALL (8, 1) : DW_ASM_CALL (8, 2);
  else if (A == 4)
    S == 1 ? DW_ASM_CALL (4, 1) : DW_ASM_CALL (4, 2);
  else
    S == 1 ? DW_ASM_CALL (2, 1) : DW_ASM_CALL (2, 2);
}
#undef DW_ASM_CALL
#define DW_SWEEP3 dw_sc_sweep3_call

/* Stride 1: a channel's output rows swept, requantized and stored by the assembly of
 * fb-kernel-rv32-dw-asm.py (its header has the contract; the field order is the .inc's). */
typedef struct {
  const uint8_t *q0, *q1, *q2;
  int32_t in_px, in_step;
  uint8_t *op;
  int32_t out_px, out_row, nrows, gbytes, rem, warm, drain;
  int32_t kappa, lam_lo, lam_hi, maxv, sh, mask, osh;
  const int32_t *w;
  int32_t shr, row_back, thr;
} DwRowJob;
#include "fb-kernel-rv32-dw-asm.inc"
void fb_ki_rv32_dwrow_a8_o8 (const DwRowJob *job);
void fb_ki_rv32_dwrow_a8_os (const DwRowJob *job);
void fb_ki_rv32_dwrow_a4_o8 (const DwRowJob *job);
void fb_ki_rv32_dwrow_a4_os (const DwRowJob *job);
void fb_ki_rv32_dwrow_a2_o8 (const DwRowJob *job);
void fb_ki_rv32_dwrow_a2_os (const DwRowJob *job);
void fb_ki_rv32_dwrow_s2_a8_o8 (const DwRowJob *job);
void fb_ki_rv32_dwrow_s2_a8_os (const DwRowJob *job);
void fb_ki_rv32_dwrow_s2_a4_o8 (const DwRowJob *job);
void fb_ki_rv32_dwrow_s2_a4_os (const DwRowJob *job);
void fb_ki_rv32_dwrow_s2_a2_o8 (const DwRowJob *job);
void fb_ki_rv32_dwrow_s2_a2_os (const DwRowJob *job);
/* Stride 1, pairs of output rows in 16-bit SWAR lanes (fb_ki_rv32_dwpair_*). */
typedef struct {
  const uint8_t *q0;
  int32_t in_px, in_row;
  uint8_t *op;
  int32_t out_row, out_px, npairs, gbytes, rem, warm, drain;
  int32_t kappa, lam_lo, lam_hi, maxv, shr, mask, osh;
  const int32_t *w;
  int32_t row_back, thr, sh;
  int32_t tb; /* fb_ki_rv32_dwpair32_all_*: 1 the padded top pair first, 2 the bottom one last */
} DwPairJob;
void fb_ki_rv32_dwpair_a8_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_a8_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_as_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_as_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_ar_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_ar_os (const DwPairJob *job);
/* _at: a sub-byte input's channel at the top of its byte, each byte shifted down (stride 1) */
void fb_ki_rv32_dwpair_at_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_at_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_pad_at_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_pad_at_os (const DwPairJob *job);
/* A whole channel in one call (the padded top pair, the pairs, the padded bottom pair) */
void fb_ki_rv32_dwpair_all_a8_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_all_a8_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_all_as_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_all_as_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_all_ar_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_all_ar_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_all_at_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_all_at_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_a8_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_a8_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_as_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_as_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_ar_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_ar_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_pad_a8_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_pad_a8_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_pad_as_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_pad_as_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_pad_ar_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_pad_ar_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_pad_a8_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_pad_a8_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_pad_as_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_pad_as_os (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_pad_ar_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair_s2_pad_ar_os (const DwPairJob *job);
typedef void (*DwPairFn) (const DwPairJob *job);
/* Stride 1, 8-bit input, pairs of output rows in 32-bit sums (the channels whose lanes do
 * not fit 16 bits): fb_ki_rv32_dwpair32_*, dwrow's requantization. */
void fb_ki_rv32_dwpair32_a8_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_a8_os (const DwPairJob *job);
void fb_ki_rv32_dwpair32_pad_a8_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_pad_a8_os (const DwPairJob *job);
/* the same for a channel whose lam_hi is 0 (_h0: no add of it, out_px in a register) */
void fb_ki_rv32_dwpair32_a8_o8_h0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_a8_os_h0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_pad_a8_o8_h0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_pad_a8_os_h0 (const DwPairJob *job);
/* [lam_hi is 0][pad][sub-byte output] */
static const DwPairFn dw_pair32_fns[2][2][2] = {
  { { fb_ki_rv32_dwpair32_a8_o8, fb_ki_rv32_dwpair32_a8_os },
    { fb_ki_rv32_dwpair32_pad_a8_o8, fb_ki_rv32_dwpair32_pad_a8_os } },
  { { fb_ki_rv32_dwpair32_a8_o8_h0, fb_ki_rv32_dwpair32_a8_os_h0 },
    { fb_ki_rv32_dwpair32_pad_a8_o8_h0, fb_ki_rv32_dwpair32_pad_a8_os_h0 } }
};
/* The same for a channel whose shr is 0 (out_shift <= 31): no `sra`, out_px in a register
 * (_h0: osh) */
void fb_ki_rv32_dwpair32_a8_o8_s0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_a8_os_s0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_pad_a8_o8_s0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_pad_a8_os_s0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_a8_o8_h0_s0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_a8_os_h0_s0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_pad_a8_o8_h0_s0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_pad_a8_os_h0_s0 (const DwPairJob *job);
static const DwPairFn dw_pair32_s0_fns[2][2][2] = {
  { { fb_ki_rv32_dwpair32_a8_o8_s0, fb_ki_rv32_dwpair32_a8_os_s0 },
    { fb_ki_rv32_dwpair32_pad_a8_o8_s0, fb_ki_rv32_dwpair32_pad_a8_os_s0 } },
  { { fb_ki_rv32_dwpair32_a8_o8_h0_s0, fb_ki_rv32_dwpair32_a8_os_h0_s0 },
    { fb_ki_rv32_dwpair32_pad_a8_o8_h0_s0, fb_ki_rv32_dwpair32_pad_a8_os_h0_s0 } }
};
/* A whole channel in one call (the padded top pair, the pairs, the padded bottom pair) */
void fb_ki_rv32_dwpair32_all_a8_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_os (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_o8_h0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_os_h0 (const DwPairJob *job);
/* [lam_hi is 0][sub-byte output] */
static const DwPairFn dw_pair32_all_fns[2][2] = {
  { fb_ki_rv32_dwpair32_all_a8_o8, fb_ki_rv32_dwpair32_all_a8_os },
  { fb_ki_rv32_dwpair32_all_a8_o8_h0, fb_ki_rv32_dwpair32_all_a8_os_h0 }
};
/* The same into an output zeroed first, an output under thr not stored: [lam_hi is 0 (then
 * also thr >= 0, kappa > 0: no output negative)][osh / 2] (0: the channel stores its byte;
 * 1-3: ORs in at osh 2, 4, 6, its shr >= osh) */
void fb_ki_rv32_dwpair32_all_a8_oz (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_os2 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_os4 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_os6 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_oz_h0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_os2_h0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_os4_h0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_os6_h0 (const DwPairJob *job);
static const DwPairFn dw_pair32_allz_fns[2][4] = {
  { fb_ki_rv32_dwpair32_all_a8_oz, fb_ki_rv32_dwpair32_all_a8_os2,
    fb_ki_rv32_dwpair32_all_a8_os4, fb_ki_rv32_dwpair32_all_a8_os6 },
  { fb_ki_rv32_dwpair32_all_a8_oz_h0, fb_ki_rv32_dwpair32_all_a8_os2_h0,
    fb_ki_rv32_dwpair32_all_a8_os4_h0, fb_ki_rv32_dwpair32_all_a8_os6_h0 }
};
/* The same for a channel whose shr is 0 (out_shift <= 31): no `sra`, out_px (or with _h0 a
 * sub-byte channel's osh) in a register: the output zeroed, the channel storing its byte
 * (_oz_s0, _oz_h0_s0: lam_hi 0, thr >= 0, kappa > 0), or ORing in (_os_s0, _os_h0_s0: lam_hi
 * 0) */
void fb_ki_rv32_dwpair32_all_a8_oz_s0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_oz_h0_s0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_os_s0 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_all_a8_os_h0_s0 (const DwPairJob *job);
/* A sub-byte input's channel in place (lanes), ORing in at osh 4 with shr >= 4: the high word
 * >> (shr - 4), no osh */
void fb_ki_rv32_dwpair_all_as_os4 (const DwPairJob *job);
static const DwPairFn dw_pair32_all_s0_fns[4] = {
  fb_ki_rv32_dwpair32_all_a8_oz_s0, fb_ki_rv32_dwpair32_all_a8_oz_h0_s0,
  fb_ki_rv32_dwpair32_all_a8_os_s0, fb_ki_rv32_dwpair32_all_a8_os_h0_s0
};
/* The same at stride 2 (both axes): fb_ki_rv32_dwpair32_s2_*, 5 input rows per pair;
 * [lam_hi == 0 (the _lh0 forms, which do not add it)][pad][sub-byte output]. */
void fb_ki_rv32_dwpair32_s2_a8_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_a8_os (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_pad_a8_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_pad_a8_os (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_lh0_a8_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_lh0_a8_os (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_lh0_pad_a8_o8 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_lh0_pad_a8_os (const DwPairJob *job);
static const DwPairFn dw_pair32_s2_fns[2][2][2] = {
  { { fb_ki_rv32_dwpair32_s2_a8_o8, fb_ki_rv32_dwpair32_s2_a8_os },
    { fb_ki_rv32_dwpair32_s2_pad_a8_o8, fb_ki_rv32_dwpair32_s2_pad_a8_os } },
  { { fb_ki_rv32_dwpair32_s2_lh0_a8_o8, fb_ki_rv32_dwpair32_s2_lh0_a8_os },
    { fb_ki_rv32_dwpair32_s2_lh0_pad_a8_o8, fb_ki_rv32_dwpair32_s2_lh0_pad_a8_os } }
};
/* The same into an output zeroed first (dw_sc_std3_zero()), an output under thr not stored:
 * [lam_hi is 0, thr >= 0, kappa > 0 (_h0: no output negative)][pad][osh / 2] (0: the channel
 * stores its byte; 1-3: ORs in at osh 2, 4, 6, its shr >= osh) */
void fb_ki_rv32_dwpair32_s2_a8_oz (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_a8_os2 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_a8_os4 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_a8_os6 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_pad_a8_oz (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_pad_a8_os2 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_pad_a8_os4 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_pad_a8_os6 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_h0_a8_oz (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_h0_a8_os2 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_h0_a8_os4 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_h0_a8_os6 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_h0_pad_a8_oz (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_h0_pad_a8_os2 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_h0_pad_a8_os4 (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_h0_pad_a8_os6 (const DwPairJob *job);
/* [4]: a sub-byte output's channel at bit 0; its _h0 form (ozs) and the _h0 os forms take
 * job->mask as the sum from which on the output is maxv */
void fb_ki_rv32_dwpair32_s2_h0_a8_ozs (const DwPairJob *job);
void fb_ki_rv32_dwpair32_s2_h0_pad_a8_ozs (const DwPairJob *job);
/* the general byte form's full pairs in passes of four output rows (the same job and
 * contract; an odd last pair in the same routine) when shr is 0, i.e. out_shift <= 32;
 * another shr jumps to fb_ki_rv32_dwpair32_s2_a8_oz */
void fb_ki_rv32_dwquad32_s2_a8_oz (const DwPairJob *job);
static const DwPairFn dw_pair32_s2z_fns[2][2][5] = {
  { { fb_ki_rv32_dwquad32_s2_a8_oz, fb_ki_rv32_dwpair32_s2_a8_os2,
      fb_ki_rv32_dwpair32_s2_a8_os4, fb_ki_rv32_dwpair32_s2_a8_os6,
      fb_ki_rv32_dwquad32_s2_a8_oz },
    { fb_ki_rv32_dwpair32_s2_pad_a8_oz, fb_ki_rv32_dwpair32_s2_pad_a8_os2,
      fb_ki_rv32_dwpair32_s2_pad_a8_os4, fb_ki_rv32_dwpair32_s2_pad_a8_os6,
      fb_ki_rv32_dwpair32_s2_pad_a8_oz } },
  { { fb_ki_rv32_dwpair32_s2_h0_a8_oz, fb_ki_rv32_dwpair32_s2_h0_a8_os2,
      fb_ki_rv32_dwpair32_s2_h0_a8_os4, fb_ki_rv32_dwpair32_s2_h0_a8_os6,
      fb_ki_rv32_dwpair32_s2_h0_a8_ozs },
    { fb_ki_rv32_dwpair32_s2_h0_pad_a8_oz, fb_ki_rv32_dwpair32_s2_h0_pad_a8_os2,
      fb_ki_rv32_dwpair32_s2_h0_pad_a8_os4, fb_ki_rv32_dwpair32_s2_h0_pad_a8_os6,
      fb_ki_rv32_dwpair32_s2_h0_pad_a8_ozs } }
};
typedef void (*DwRowFn) (const DwRowJob *job);
static const DwRowFn dw_row_fns[2][3][2] = {
  { { fb_ki_rv32_dwrow_a8_o8, fb_ki_rv32_dwrow_a8_os },
    { fb_ki_rv32_dwrow_a4_o8, fb_ki_rv32_dwrow_a4_os },
    { fb_ki_rv32_dwrow_a2_o8, fb_ki_rv32_dwrow_a2_os } },
  { { fb_ki_rv32_dwrow_s2_a8_o8, fb_ki_rv32_dwrow_s2_a8_os },
    { fb_ki_rv32_dwrow_s2_a4_o8, fb_ki_rv32_dwrow_s2_a4_os },
    { fb_ki_rv32_dwrow_s2_a2_o8, fb_ki_rv32_dwrow_s2_a2_os } }
};
/* [input: 8-bit, in place, shifted down, at the top][sub-byte output] */
static const DwPairFn dw_pair_all_fns[4][2] = {
  { fb_ki_rv32_dwpair_all_a8_o8, fb_ki_rv32_dwpair_all_a8_os },
  { fb_ki_rv32_dwpair_all_as_o8, fb_ki_rv32_dwpair_all_as_os },
  { fb_ki_rv32_dwpair_all_ar_o8, fb_ki_rv32_dwpair_all_ar_os },
  { fb_ki_rv32_dwpair_all_at_o8, fb_ki_rv32_dwpair_all_at_os }
};
/* [stride - 1][pad][input: 8-bit, sub-byte in place, sub-byte shifted down, sub-byte at the
 * top of its byte (stride 1 only; at stride 2 the shifted-down routine)][sub-byte output] */
static const DwPairFn dw_pair_fns[2][2][4][2] = {
  { { { fb_ki_rv32_dwpair_a8_o8, fb_ki_rv32_dwpair_a8_os },
      { fb_ki_rv32_dwpair_as_o8, fb_ki_rv32_dwpair_as_os },
      { fb_ki_rv32_dwpair_ar_o8, fb_ki_rv32_dwpair_ar_os },
      { fb_ki_rv32_dwpair_at_o8, fb_ki_rv32_dwpair_at_os } },
    { { fb_ki_rv32_dwpair_pad_a8_o8, fb_ki_rv32_dwpair_pad_a8_os },
      { fb_ki_rv32_dwpair_pad_as_o8, fb_ki_rv32_dwpair_pad_as_os },
      { fb_ki_rv32_dwpair_pad_ar_o8, fb_ki_rv32_dwpair_pad_ar_os },
      { fb_ki_rv32_dwpair_pad_at_o8, fb_ki_rv32_dwpair_pad_at_os } } },
  { { { fb_ki_rv32_dwpair_s2_a8_o8, fb_ki_rv32_dwpair_s2_a8_os },
      { fb_ki_rv32_dwpair_s2_as_o8, fb_ki_rv32_dwpair_s2_as_os },
      { fb_ki_rv32_dwpair_s2_ar_o8, fb_ki_rv32_dwpair_s2_ar_os },
      { fb_ki_rv32_dwpair_s2_ar_o8, fb_ki_rv32_dwpair_s2_ar_os } },
    { { fb_ki_rv32_dwpair_s2_pad_a8_o8, fb_ki_rv32_dwpair_s2_pad_a8_os },
      { fb_ki_rv32_dwpair_s2_pad_as_o8, fb_ki_rv32_dwpair_s2_pad_as_os },
      { fb_ki_rv32_dwpair_s2_pad_ar_o8, fb_ki_rv32_dwpair_s2_pad_ar_os },
      { fb_ki_rv32_dwpair_s2_pad_ar_o8, fb_ki_rv32_dwpair_s2_pad_ar_os } } }
};
#define DW_ROW_ASM 1
#else
#define DW_SWEEP3 dw_sc_sweep3
#define DW_ROW_ASM 0
#endif

/* Requantize one channel's accumulators of a row into the output pixels (stride out_px; a
 * sub-byte output: the first channel of a byte stores, the others OR in).  HI: shift >= 32
 * (given shift - 32).  Otherwise the 64-bit shift by d < 32 is done on the two words, with
 * the clip decided before the shift (negative: 0; a high word >= 2^d: above any maxv). */
FB_KI_INLINE void
dw_sc_requant_row (const int O, const int HI, const int32_t *accs, int32_t n, int32_t ka,
                   int32_t la, int32_t shift, uint8_t *o, size_t out_px, int32_t osh)
{
  const uint32_t maxv = (1u << O) - 1u;
  const int32_t *end = accs + n;

  for (; accs < end; accs++, o += out_px)
    {
      uint32_t y;
      if (HI)
        y = (uint32_t) fb_ki_requant_hi (*accs, ka, la, shift, (int32_t) maxv);
      else
        {
          const int64_t v = (int64_t) ka * *accs + la;
          const uint32_t lo = (uint32_t) v, hi = (uint32_t) ((uint64_t) v >> 32);
          if ((int32_t) hi < 0)
            y = 0;
          else
            {
              y = (lo >> shift) | ((hi << 1) << (31 - shift));
              if ((hi >> shift) != 0 || y > maxv)
                y = maxv;
            }
        }
      if (O == 8 || osh == 0)
        *o = (uint8_t) y;
      else
        *o = (uint8_t) (*o | (y << osh));
    }
}

#include "fb-kernel-depthwise-rv32.h"

/* Channel c's weights of a kernel 3 wide and kyn (1-3) high into wf[0 .. 3 kyn), returning
 * their sum |w| (the row sweep's overflow bound; unused without it). */
FB_KI_INLINE int32_t
dw_sc_unpack9 (const int W, const uint8_t *weights, int32_t ch, int32_t c, int32_t kyn,
               int32_t *wf)
{
  int32_t bound = 0, k;

  if (((size_t) ch * (size_t) W) % 8 == 0)
    {
      /* every tap of the channel at the same bit of its byte: one load and two shifts
       * per weight (the generic access cost ~3x that per channel) */
      const uint8_t *wp = weights + (size_t) c * (size_t) W / 8;
      const size_t wstep = (size_t) ch * (size_t) W / 8;
      const int32_t up = 32 - W - ((c * W) & 7);
      if (kyn == 3)
        {
          /* unrolled, with the sum |w| (the loops took 10 instructions per weight each) */
#define DW_UNPACK_W(k)                                                                        \
  wf[k] = W == 8 ? (int8_t) *wp : (int32_t) ((uint32_t) *wp << up) >> (32 - W);               \
  bound += wf[k] < 0 ? -wf[k] : wf[k];                                                        \
  wp += wstep
          DW_UNPACK_W (0);
          DW_UNPACK_W (1);
          DW_UNPACK_W (2);
          DW_UNPACK_W (3);
          DW_UNPACK_W (4);
          DW_UNPACK_W (5);
          DW_UNPACK_W (6);
          DW_UNPACK_W (7);
          DW_UNPACK_W (8);
#undef DW_UNPACK_W
        }
      else
        for (k = 0; k < 3 * kyn; k++, wp += wstep)
          {
            wf[k] = (int32_t) ((uint32_t) *wp << up) >> (32 - W);
            bound += wf[k] < 0 ? -wf[k] : wf[k];
          }
    }
  else
    for (k = 0; k < 3 * kyn; k++)
      {
        wf[k] = fb_ki_get_s (W, weights, (size_t) k * (size_t) ch + (size_t) c);
        bound += wf[k] < 0 ? -wf[k] : wf[k];
      }
  return bound;
}

/* A kernel 3 wide and at most 3 high, stride S (1 or 2) along x: channel by channel (the
 * channel's weights unpacked once), output row by output row: the interior outputs by the
 * sweep, the few at the left/right edge with their taps checked, then the row requantized
 * straight into the output pixels (accs: dim_out_x int32).  Kernel rows outside the input get
 * zero weights and read row ky_lo.  HI: out_shift >= 32. */
FB_KI_INLINE void
dw_sc_plane3 (const int A, const int O, const int W, const int S, const int HI,
              const uint8_t *input, const uint8_t *weights, const int32_t *kappa,
              const int32_t *lambda, uint8_t *output, const FbConvParams *p, const DwScGeom *g,
              int32_t *accs)
{
  const int32_t ch = p->ch_in, in_x = p->dim_in_x, nox = p->dim_out_x, pad_l = p->pad_left;
  const int32_t kyn = p->dim_kernel_y, shift = HI ? p->out_shift - 32 : p->out_shift;
  const size_t in_px = g->in_px;
  /* interior outputs (every column inside the input): [ox_lo, ox_hi) */
  int32_t ox_lo = pad_l <= 0 ? 0 : (pad_l + S - 1) / S;
  int32_t ox_hi = in_x - 3 + pad_l < 0 ? 0 : (in_x - 3 + pad_l) / S + 1;
  /* kernel rows inside the input for the last output row */
  const int32_t b_iy0 = (p->dim_out_y - 1) * p->stride_y - p->pad_top;
  const int32_t b_lo = b_iy0 < 0 ? -b_iy0 : 0;
  const int32_t b_hi = p->dim_in_y - b_iy0 < kyn ? p->dim_in_y - b_iy0 : kyn;
  int32_t c, k, ox, oy;

#if DW_ROW_ASM
  DwRowJob plan;
  DwPairJob pplan;
  DwRowGroup grp[DW_MAX_GROUPS];
  DwS2Keep keep;
  int32_t ngrp = 0;
  const int rows = dw_sc_rows_plan (O, S, p, g, &plan, grp, &ngrp);
  /* stride 1, a padded top row, an even number of full rows, a padded bottom row: a channel
   * in pairs may go in one call */
  const int std3 = rows && S == 1 && p->stride_y == 1 && ngrp == 3 && grp[0].ky_lo == 1
                   && grp[0].ky_hi == 3 && grp[0].n == 1 && grp[1].ky_lo == 0
                   && grp[1].ky_hi == 3 && grp[1].n >= 2 && grp[1].n % 2 == 0
                   && grp[2].ky_lo == 0 && grp[2].ky_hi == 2 && grp[2].n == 1;
  /* the row sweep's weights (dw_sc_rows_asm()): its zero rows set once; out_shift >= 32
   * unpacks the channel's weights straight into wx + 9 (taken << 0) */
  int32_t wx[21], wfa[9];
  int32_t *const wf = HI ? wx + 9 : wfa;
  /* stride 2, a padded top row and an odd number of full rows (3 or more): the same */
  const int s2std = rows && S == 2 && p->stride_y == 2 && ngrp == 2 && grp[0].ky_lo == 1
                    && grp[0].ky_hi == 3 && grp[0].n == 1 && grp[1].ky_lo == 0
                    && grp[1].ky_hi == 3 && grp[1].n >= 3 && grp[1].n % 2 == 1;
  size_t s3off[6] = { 0, 0, 0, 0, 0, 0 };
  if (rows)
    dw_sc_pair_plan (p, &plan, &pplan);
  if (std3)
    {
      dw_sc_pairs_all_plan (p, g, &plan, &pplan, grp, s3off);
      dw_sc_std3_zero (A, W, p, output, &plan, &s3off[2]);
    }
  if (S == 2)
    keep.zero = 0;
  if (s2std)
    {
      dw_sc_s2_plan (p, g, &plan, grp, s3off);
      dw_sc_std3_zero (A, W, p, output, &plan, &s3off[5]);
      dw_s2_zero (A, W, p, output, &plan, s3off, &keep);
    }
  wx[6] = wx[7] = wx[8] = wx[18] = wx[19] = wx[20] = 0;
  keep.c = -1;
  keep.full = 1;
#else
  int32_t wf[9];
#endif

  if (ox_hi > nox)
    ox_hi = nox;
  if (ox_lo > ox_hi)
    ox_lo = ox_hi;
  for (c = 0; c < ch; c++)
    {
      const int32_t sh = (c * A) & 7;
      int32_t wz[9], wb[9], z_lo = -1, z_hi = -1, bound = 0;
      bound = dw_sc_unpack9 (W, weights, ch, c, kyn, wf);
      for (k = 3 * kyn; k < 9; k++)
        wf[k] = 0;
#if DW_ROW_ASM
      if (rows && dw_sc_rows_asm (A, O, S, HI, input, wf, bound, wx, kappa[c], lambda[c], output,
                                  p, g, c, &plan, &pplan, grp, ngrp, std3 || s2std, s3off,
                                  &keep))
        continue;
#else
      (void) bound;
#endif
      for (k = 0; k < 9; k++)
        wb[k] = k >= 3 * b_lo && k < 3 * b_hi ? wf[k] : 0;
      for (oy = 0; oy < p->dim_out_y; oy++)
        {
          const int32_t iy0 = oy * p->stride_y - p->pad_top;
          const int32_t ky_lo = iy0 < 0 ? -iy0 : 0;
          const int32_t ky_hi = p->dim_in_y - iy0 < kyn ? p->dim_in_y - iy0 : kyn;
          const int32_t *w = wf;
          const uint8_t *r0;
          size_t d1, d2;
          if (ky_lo >= ky_hi) /* window entirely in the padding */
            {
              for (ox = 0; ox < nox; ox++)
                accs[ox] = 0;
              goto requant;
            }
          if (ky_lo > 0 || ky_hi < kyn)
            {
              /* rebuilt only when the rows in the padding change; the last row's set is made
               * per channel up front, so a call's cost stays linear in its rows after the
               * first (what the latency harness's row slices extrapolate) */
              if (ky_lo == b_lo && ky_hi == b_hi)
                w = wb;
              else
                {
                  if (ky_lo != z_lo || ky_hi != z_hi)
                    for (k = 0, z_lo = ky_lo, z_hi = ky_hi; k < 9; k++)
                      wz[k] = k >= 3 * ky_lo && k < 3 * ky_hi ? wf[k] : 0;
                  w = wz;
                }
            }
          d1 = 1 >= ky_lo && 1 < ky_hi ? (size_t) (1 - ky_lo) * g->in_row : 0;
          d2 = 2 >= ky_lo && 2 < ky_hi ? (size_t) (2 - ky_lo) * g->in_row : 0;
          r0 = input + (size_t) (iy0 + ky_lo) * g->in_row + (size_t) c * (size_t) A / 8;
          DW_SWEEP3 (A, S, r0 + (size_t) (ox_lo * S - pad_l) * in_px, sh, in_px, d1, d2, w,
                     accs + ox_lo, ox_hi - ox_lo);
          for (ox = 0; ox < nox; ox++)
            {
              int32_t s = 0, kx;
              if (ox == ox_lo)
                ox = ox_hi;
              if (ox >= nox)
                break;
              for (kx = 0; kx < 3; kx++)
                {
                  const int32_t ix = ox * S - pad_l + kx;
                  const uint8_t *q = r0 + (size_t) (ix >= 0 && ix < in_x ? ix : 0) * in_px;
                  if (ix >= 0 && ix < in_x)
                    s += DW_X (q) * w[kx] + DW_X (q + d1) * w[3 + kx] + DW_X (q + d2) * w[6 + kx];
                }
              accs[ox] = s;
            }
        requant:
          dw_sc_requant_row (O, HI, accs, nox, kappa[c], lambda[c], shift,
                             output + (size_t) oy * (size_t) nox * g->out_px
                               + (size_t) c * (size_t) O / 8,
                             g->out_px, (c * O) & 7);
        }
    }
}
#undef DW_DOT
#undef DW_COL
#undef DW_X

FB_KI_INLINE void
depthwise_impl (const int A, const int O, const int W, const uint8_t *input,
                const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
                uint8_t *output, const FbConvParams *p, void *buffer)
{
  const int32_t ch = p->ch_in, kxn = p->dim_kernel_x, kyn = p->dim_kernel_y;
  /* 3-wide kernels at stride 1 or 2 sweep whole rows (dw_sc_plane3) */
  const int row3 = kxn == 3 && kyn <= 3 && (p->stride_x == 1 || p->stride_x == 2);
  int32_t *acc = (int32_t *) fb_ki_align_ptr (buffer, 4);
  DwScGeom g;
  int32_t oy, ox;

  g.in_px = (size_t) ch * (size_t) A / 8;
  g.w_tap = (size_t) ch * (size_t) W / 8;
  g.out_px = (size_t) ch * (size_t) O / 8;
  g.in_row = (size_t) p->dim_in_x * g.in_px;
  g.w_row = (size_t) kxn * g.w_tap;
  g.ch4 = ch & ~3;
  /* channels per pass: the accumulators of 2 pixels take 8 * FB_DW_SC_CH bytes at most */
  g.chn = ch < FB_DW_SC_CH ? ch : FB_DW_SC_CH;
  if (row3)
    {
#define DW_PLANE3(S, HI)                                                                      \
  dw_sc_plane3 (A, O, W, S, HI, input, weights, kappa, lambda, output, p, &g, acc)
      if (p->stride_x == 1)
        {
          if (p->out_shift >= 32)
            DW_PLANE3 (1, 1);
          else
            DW_PLANE3 (1, 0);
        }
      else if (p->out_shift >= 32)
        DW_PLANE3 (2, 1);
      else
        DW_PLANE3 (2, 0);
#undef DW_PLANE3
      return;
    }
  for (oy = 0; oy < p->dim_out_y; oy++)
    {
      int32_t ky_lo, ky_hi;
      const int32_t iy0 = fb_ki_rows_inside (p, oy, &ky_lo, &ky_hi);
      for (ox = 0; ox < p->dim_out_x; ox++)
        {
          const int32_t ix0 = ox * p->stride_x - p->pad_left;
          if (p->stride_x == 1 && ox + 1 < p->dim_out_x && ix0 >= 0
              && ix0 + 1 + kxn <= p->dim_in_x && ky_hi > ky_lo)
            {
              dw_sc_pair (A, O, W, input, weights, kappa, lambda, output, p, acc, &g, oy, ox,
                          iy0, ky_lo, ky_hi);
              ox++;
            }
          else
            dw_sc_pixel (A, O, W, input, weights, kappa, lambda, output, p, acc, &g, oy, ox,
                         iy0, ky_lo, ky_hi);
        }
    }
}


/* ------------------------------------------------------------------------------------------ */
/* Host path                                                                                  */

#if !FB_KI_SCALAR

/* Runtime selection of the AVX2 copies (GCC/Clang on x86-64). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(FB_KERNEL_NO_AVX2)
#define FB_DW_AVX2 1
#else
#define FB_DW_AVX2 0
#endif

/* acc (+)= one kernel row of 3 taps: acc[c] gets x_k[c] * w_k[c] for the 3 taps k (x: u8
 * bytes or unpacked int16).  Each product fits int16 exactly (|255 * -128| < 2^15), which lets
 * the compiler multiply in 16-bit lanes.  ADD = 0 stores instead of accumulating. */
#define FB_DW_DEFINE_ROW3(suffix, T)                                                          \
  FB_KI_INLINE void                                                                           \
  dw_host_row3_##suffix (const int ADD, const T *FB_KI_RESTRICT x0,                           \
                         const T *FB_KI_RESTRICT x1, const T *FB_KI_RESTRICT x2,              \
                         const int16_t *FB_KI_RESTRICT w0, const int16_t *FB_KI_RESTRICT w1,  \
                         const int16_t *FB_KI_RESTRICT w2, int32_t n,                         \
                         int32_t *FB_KI_RESTRICT acc)                                         \
  {                                                                                           \
    int32_t i;                                                                                \
    for (i = 0; i < n; i++)                                                                   \
      {                                                                                       \
        const int32_t s = (int16_t) (x0[i] * w0[i]) + (int16_t) (x1[i] * w1[i])               \
                          + (int16_t) (x2[i] * w2[i]);                                        \
        acc[i] = ADD ? acc[i] + s : s;                                                        \
      }                                                                                       \
  }                                                                                           \
  FB_KI_INLINE void                                                                           \
  dw_host_tap_##suffix (const int ADD, const T *FB_KI_RESTRICT x0,                            \
                        const int16_t *FB_KI_RESTRICT w0, int32_t n,                          \
                        int32_t *FB_KI_RESTRICT acc)                                          \
  {                                                                                           \
    int32_t i;                                                                                \
    for (i = 0; i < n; i++)                                                                   \
      {                                                                                       \
        const int32_t s = (int16_t) (x0[i] * w0[i]);                                          \
        acc[i] = ADD ? acc[i] + s : s;                                                        \
      }                                                                                       \
  }

FB_DW_DEFINE_ROW3 (u8, uint8_t)
FB_DW_DEFINE_ROW3 (i16, int16_t)

/* The taps of kernel rows [ky_lo, ky_hi), columns [kx_lo, kx_lo + nkx) of one output pixel;
 * x points at the input pixel of the first column in row ky_lo, rows x_row elements apart. */
#define FB_DW_DEFINE_PIXEL(suffix, T)                                                         \
  FB_KI_INLINE void                                                                           \
  dw_host_pixel_##suffix (const T *x, size_t x_row, const int16_t *wbuf, int32_t ch,          \
                          int32_t kxn, int32_t ky_lo, int32_t ky_hi, int32_t kx_lo,           \
                          int32_t nkx, int32_t *acc)                                          \
  {                                                                                           \
    int first = 1;                                                                            \
    int32_t ky, kx;                                                                           \
    for (ky = ky_lo; ky < ky_hi && nkx > 0; ky++, x += x_row)                                 \
      {                                                                                       \
        const int16_t *wr = wbuf + ((size_t) ky * (size_t) kxn + (size_t) kx_lo) * (size_t) ch; \
        const T *xp = x;                                                                      \
        if (nkx == 3)                                                                         \
          {                                                                                   \
            if (first)                                                                        \
              dw_host_row3_##suffix (0, xp, xp + ch, xp + 2 * (size_t) ch, wr, wr + ch,       \
                                     wr + 2 * (size_t) ch, ch, acc);                          \
            else                                                                              \
              dw_host_row3_##suffix (1, xp, xp + ch, xp + 2 * (size_t) ch, wr, wr + ch,       \
                                     wr + 2 * (size_t) ch, ch, acc);                          \
            first = 0;                                                                        \
          }                                                                                   \
        else                                                                                  \
          for (kx = 0; kx < nkx; kx++, xp += ch, wr += ch)                                    \
            {                                                                                 \
              if (first)                                                                      \
                dw_host_tap_##suffix (0, xp, wr, ch, acc);                                    \
              else                                                                            \
                dw_host_tap_##suffix (1, xp, wr, ch, acc);                                    \
              first = 0;                                                                      \
            }                                                                                 \
      }                                                                                       \
    if (first) /* window entirely in the padding */                                           \
      memset (acc, 0, (size_t) ch * sizeof (int32_t));                                        \
  }

FB_DW_DEFINE_PIXEL (u8, uint8_t)
FB_DW_DEFINE_PIXEL (i16, int16_t)

#if FB_KI_VNNI
/* The AVX-512 requantization as a call (the taps stay AVX2 code: GCC's 512-bit vectorization
 * of them is no faster for the usual 16-64 channels). */
#define FB_DW_DEFINE_RQ(o)                                                                    \
  __attribute__ ((target (FB_KI_VNNI_TARGET), noinline)) static void                          \
  dw_requant_vnni_u##o (const int32_t *acc, const int32_t *kappa, const int32_t *lambda,      \
                        int32_t shift, int32_t n, uint8_t *dst)                               \
  {                                                                                           \
    fb_ki_requant_pack_vnni (o, acc, kappa, lambda, shift, n, dst);                           \
  }
FB_DW_DEFINE_RQ (8)
FB_DW_DEFINE_RQ (4)
FB_DW_DEFINE_RQ (2)
#define FB_DW_REQUANT_VNNI(O, acc, kappa, lambda, shift, n, dst)                              \
  ((O) == 8 ? dw_requant_vnni_u8 (acc, kappa, lambda, shift, n, dst)                          \
   : (O) == 4 ? dw_requant_vnni_u4 (acc, kappa, lambda, shift, n, dst)                        \
              : dw_requant_vnni_u2 (acc, kappa, lambda, shift, n, dst))
#else
#define FB_DW_REQUANT_VNNI(O, acc, kappa, lambda, shift, n, dst) ((void) 0)
#endif

/* V: requantize with the AVX-512 code (only in the copy selected when the CPU has it). */
FB_KI_INLINE void
dw_host (const int V, const int A, const int O, const int W, const uint8_t *input,
         const uint8_t *weights,
         const int32_t *kappa, const int32_t *lambda, uint8_t *output, const FbConvParams *p,
         void *buffer)
{
  const int32_t ch = p->ch_in, kxn = p->dim_kernel_x, kyn = p->dim_kernel_y;
  const int32_t in_x = p->dim_in_x;
  const size_t out_px = (size_t) ch * (size_t) O / 8, w_tap = (size_t) ch * (size_t) W / 8;
  const size_t taps = (size_t) kxn * (size_t) kyn;
  const size_t row_n = (size_t) in_x * (size_t) ch; /* values in one input row */
  int16_t *wbuf = (int16_t *) fb_ki_align_ptr (buffer, FB_DW_HOST_ALIGN);
  int32_t *acc = (int32_t *) (wbuf + FB_KI_ALIGN_UP (taps * (size_t) ch * 2, FB_DW_HOST_ALIGN) / 2);
  uint8_t *tmp = (uint8_t *) (acc + ch);
  int16_t *rows = (int16_t *) (acc + 2 * (size_t) ch);
  size_t t;
  int32_t c, oy, ox, ky;

  /* weights of every tap to int16 (once per call) */
  for (t = 0; t < taps; t++)
    for (c = 0; c < ch; c++)
      wbuf[t * (size_t) ch + (size_t) c] = (int16_t) fb_ki_get_s (W, weights + t * w_tap,
                                                                 (size_t) c);

  for (oy = 0; oy < p->dim_out_y; oy++)
    {
      int32_t ky_lo, ky_hi;
      const int32_t iy0 = fb_ki_rows_inside (p, oy, &ky_lo, &ky_hi);
      /* sub-byte input: the input rows of this output row unpacked to int16, so the channel
       * loops run over 16-bit lanes (long enough to vectorize even for few channels) */
      if (A != 8)
        for (ky = ky_lo; ky < ky_hi; ky++)
          fb_ki_unpack_u_i16 (A, input + (size_t) (iy0 + ky) * row_n * (size_t) A / 8,
                              (int32_t) row_n, rows + (size_t) (ky - ky_lo) * row_n, 1);
      for (ox = 0; ox < p->dim_out_x; ox++)
        {
          const int32_t ix0 = ox * p->stride_x - p->pad_left;
          const int32_t kx_lo = ix0 < 0 ? (-ix0 < kxn ? -ix0 : kxn) : 0;
          int32_t kx_hi = in_x - ix0 < kxn ? in_x - ix0 : kxn;
          size_t x_off;
          if (kx_hi < kx_lo)
            kx_hi = kx_lo;
          /* first tap's pixel (only dereferenced when the window has taps) */
          x_off = kx_hi > kx_lo ? (size_t) (ix0 + kx_lo) * (size_t) ch : 0;
          if (A == 8)
            dw_host_pixel_u8 (input + (ky_hi > ky_lo ? (size_t) (iy0 + ky_lo) * row_n : 0) + x_off,
                              row_n, wbuf, ch, kxn, ky_lo, ky_hi, kx_lo, kx_hi - kx_lo, acc);
          else
            dw_host_pixel_i16 (rows + x_off, row_n, wbuf, ch, kxn, ky_lo, ky_hi, kx_lo,
                               kx_hi - kx_lo, acc);
          if (V)
            FB_DW_REQUANT_VNNI (O, acc, kappa, lambda, p->out_shift, ch,
                                output + ((size_t) oy * (size_t) p->dim_out_x + (size_t) ox)
                                           * out_px);
          else
            fb_ki_requant_pack_host (O, acc, kappa, lambda, p->out_shift, ch,
                                     output + ((size_t) oy * (size_t) p->dim_out_x
                                               + (size_t) ox) * out_px,
                                     tmp);
        }
    }
}

#endif /* !FB_KI_SCALAR */

/* ------------------------------------------------------------------------------------------ */
/* The template and its variants                                                              */

/* The argument checks of every depthwise entry point. */
FB_KI_INLINE FbKernelStatus
depthwise_check (const int A, const int O, const int W, const uint8_t *input,
                 const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
                 uint8_t *output, const FbConvParams *params, void *buffer, size_t buffer_size)
{
  FbKernelStatus st;

  if (input == NULL || weights == NULL || kappa == NULL || lambda == NULL || output == NULL
      || params == NULL)
    return FB_KERNEL_ERROR_NULL;
  st = fb_ki_check_conv (A, O, W, 1, params);
  if (st != FB_KERNEL_OK)
    return st;
  /* the prepared layout exists where the AVX-512 code runs, for unsigned calls */
  if ((params->flag_relu & FB_KERNEL_FLAG_HOST_PREPARED)
      && (fb_depthwise_host_prepared_size (A, O, W, params) == 0
          || (params->flag_relu & (FB_KERNEL_FLAGS_SIGNED | FB_KERNEL_FLAG_PREPARED_WEIGHTS))
          || ((uintptr_t) weights & 63u) != 0))
    return FB_KERNEL_ERROR_LAYOUT;
  if (buffer == NULL || buffer_size < fb_depthwise_get_buffer_size (A, O, W, params))
    return FB_KERNEL_ERROR_BUFFER;
  return FB_KERNEL_OK;
}

FB_KI_INLINE FbKernelStatus
depthwise_generic (const int A, const int O, const int W, const uint8_t *input,
                   const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
                   uint8_t *output, const FbConvParams *params, void *buffer, size_t buffer_size)
{
  FbKernelStatus st = depthwise_check (A, O, W, input, weights, kappa, lambda, output, params, buffer,
                                       buffer_size);

  if (st != FB_KERNEL_OK)
    return st;
  if (params->flag_relu & FB_KERNEL_FLAGS_SIGNED)
    fb_ki_conv_direct (A, O, W, 1, (params->flag_relu & FB_KERNEL_FLAG_SIGNED_IN) != 0,
                       (params->flag_relu & FB_KERNEL_FLAG_SIGNED_OUT) != 0, input, weights,
                       kappa, lambda, output, params);
  else
    depthwise_impl (A, O, W, input, weights, kappa, lambda, output, params, buffer);
  return FB_KERNEL_OK;
}

#if FB_KI_SCALAR

#define FB_DEPTHWISE_DEFINE(i, o, w)                                                          \
  FbKernelStatus                                                                              \
  fb_depthwise_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights,              \
                                   const int32_t *kappa, const int32_t *lambda,               \
                                   uint8_t *output, const FbConvParams *params, void *buffer, \
                                   size_t buffer_size)                                        \
  {                                                                                           \
    return depthwise_generic (i, o, w, input, weights, kappa, lambda, output, params, buffer, \
                              buffer_size);                                                   \
  }


#else /* host: the same validation, then the vectorized path (AVX2 copy when available) */

#if FB_DW_AVX2
/* One run-time selected copy of a variant's host path, compiled for AVX2: V = 0 requantizes
 * with the AVX2 code (the "avx2" copy), V = 1 with the AVX-512 code (the "vnni" copy). */
#define FB_DW_COPY_DEFINE(kind, V, i, o, w)                                                   \
  __attribute__ ((target ("avx2"), noinline)) static void                                     \
  dw_host_##kind##_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights,          \
                                       const int32_t *kappa, const int32_t *lambda,           \
                                       uint8_t *output, const FbConvParams *params,           \
                                       void *buffer)                                          \
  {                                                                                           \
    dw_host (V, i, o, w, input, weights, kappa, lambda, output, params, buffer);              \
  }
#define FB_DW_AVX2_DEFINE(i, o, w) FB_DW_COPY_DEFINE (avx2, 0, i, o, w)
#if FB_KI_VNNI
#define FB_DW_VNNI_DEFINE(i, o, w) FB_DW_COPY_DEFINE (vnni, 1, i, o, w)
#if FB_KI_X86_FILES
#define FB_DW_X86_CALL(i, o, w)                                                               \
  fb_ki_depthwise_x86 (i, o, w, input, weights, kappa, lambda, output, params, buffer) ||
#else
#define FB_DW_X86_CALL(i, o, w)
#endif
#define FB_DW_VNNI_CALL(i, o, w)                                                              \
  if (fb_ki_cpu_has_vnni ())                                                                  \
    {                                                                                         \
      if (FB_DW_X86_CALL (i, o, w) 0)                                                         \
        return FB_KERNEL_OK;                                                                  \
      dw_host_vnni_u##i##_u##o##_i##w (input, weights, kappa, lambda, output, params,         \
                                       buffer);                                               \
      return FB_KERNEL_OK;                                                                    \
    }
#else
#define FB_DW_VNNI_DEFINE(i, o, w)
#define FB_DW_VNNI_CALL(i, o, w)
#endif
#define FB_DW_AVX2_CALL(i, o, w)                                                              \
  FB_DW_VNNI_CALL (i, o, w)                                                                   \
  if (fb_ki_cpu_has_avx2 ())                                                                  \
    {                                                                                         \
      dw_host_avx2_u##i##_u##o##_i##w (input, weights, kappa, lambda, output, params,         \
                                       buffer);                                               \
      return FB_KERNEL_OK;                                                                    \
    }
#else
#define FB_DW_AVX2_DEFINE(i, o, w)
#define FB_DW_VNNI_DEFINE(i, o, w)
#define FB_DW_AVX2_CALL(i, o, w)
#endif

#define FB_DEPTHWISE_DEFINE(i, o, w)                                                          \
  FB_DW_AVX2_DEFINE (i, o, w)                                                                 \
  FB_DW_VNNI_DEFINE (i, o, w)                                                                 \
  FbKernelStatus                                                                              \
  fb_depthwise_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights,              \
                                   const int32_t *kappa, const int32_t *lambda,               \
                                   uint8_t *output, const FbConvParams *params, void *buffer, \
                                   size_t buffer_size)                                        \
  {                                                                                           \
    FbKernelStatus st = depthwise_check (i, o, w, input, weights, kappa, lambda, output,      \
                                         params, buffer, buffer_size);                        \
    if (st != FB_KERNEL_OK)                                                                   \
      return st;                                                                              \
    if (params->flag_relu & FB_KERNEL_FLAGS_SIGNED)                                           \
      {                                                                                       \
        fb_ki_conv_direct (i, o, w, 1, (params->flag_relu & FB_KERNEL_FLAG_SIGNED_IN) != 0,   \
                           (params->flag_relu & FB_KERNEL_FLAG_SIGNED_OUT) != 0, input,       \
                           weights, kappa, lambda, output, params);                           \
        return FB_KERNEL_OK;                                                                  \
      }                                                                                       \
    FB_DW_AVX2_CALL (i, o, w)                                                                 \
    dw_host (0, i, o, w, input, weights, kappa, lambda, output, params, buffer);                 \
    return FB_KERNEL_OK;                                                                      \
  }

#endif /* FB_KI_SCALAR */

FB_KERNEL_VARIANTS_IOW (FB_DEPTHWISE_DEFINE)

size_t
fb_depthwise_host_prepared_size (int in_bits, int out_bits, int w_bits,
                                 const FbConvParams *params)
{
  if (params == NULL || fb_ki_check_conv (in_bits, out_bits, w_bits, 1, params) != FB_KERNEL_OK
      || (params->flag_relu & FB_KERNEL_FLAGS_SIGNED))
    return 0;
#if FB_KI_X86_FILES && !FB_KI_SCALAR
  if (fb_ki_cpu_has_vnni () && fb_ki_depthwise_x86_applies (out_bits, params))
    return fb_ki_depthwise_x86_prepared_size (out_bits, params);
#endif
  return 0;
}

FbKernelStatus
fb_depthwise_host_prepare (int in_bits, int out_bits, int w_bits, const FbConvParams *params,
                           const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
                           uint8_t *prepared)
{
  if (params == NULL || weights == NULL || kappa == NULL || lambda == NULL || prepared == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (fb_depthwise_host_prepared_size (in_bits, out_bits, w_bits, params) == 0)
    {
      /* an invalid geometry says why; a valid one has no prepared layout here */
      const FbKernelStatus st = fb_ki_check_conv (in_bits, out_bits, w_bits, 1, params);
      return st != FB_KERNEL_OK ? st : FB_KERNEL_ERROR_LAYOUT;
    }
  if (((uintptr_t) prepared & 63u) != 0)
    return FB_KERNEL_ERROR_LAYOUT;
#if FB_KI_X86_FILES && !FB_KI_SCALAR
  fb_ki_depthwise_x86_prepare (out_bits, w_bits, weights, kappa, lambda, params, prepared);
#endif
  return FB_KERNEL_OK;
}
