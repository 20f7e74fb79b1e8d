/* fb-kernel-conv-x86.c — the AVX-512 VNNI convolution (x86-64 host only).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * vpdpbusd multiplies 4 u8 activations by 4 i8 weights and adds the 4 products (exact in
 * 16 bits) to an int32 lane, wrapping.  The reduction bound (65 536 · 255 · 128 < 2^31) keeps
 * every partial sum in int32, so the sums equal the portable kernel's; sub-byte activations
 * are unpacked to bytes first.  Weights are in the order [group g][channel c][4] (16 channels
 * = one zmm; each kernel row padded to a multiple of 4 with zero weights), rearranged on each
 * call in the scratch, or once per layer by fb_conv_host_prepare_weights()
 * (FB_KERNEL_FLAG_HOST_PREPARED).  Activations are broadcast 4 bytes at a time; a block is 4
 * pixels × up to 64 channels (16 zmm accumulators), requantized in registers and packed
 * straight into the output (fb_ki_rq_store()).  1×1 kernels with an 8-bit input read the input
 * pixels in place, others go through a u8 im2col (zero taps in the padding).
 *
 * Only built into the library when FB_KERNEL_X86_FILES is defined (see fb-kernel-internal.h).
 */
#include "fb-kernel-x86.h"

#if FB_KI_X86_FILES

#define CONVX_ALIGN 64
#define CONVX_PX 4 /* output pixels per block */

/* Each kernel row's Kx·Cin values padded to a multiple of 4 (fb-kernel-conv.c sizes the
 * scratch with the same layout). */
static size_t
convx_krow (const FbConvParams *p)
{
  return FB_KI_ALIGN_UP ((size_t) p->dim_kernel_x * (size_t) p->ch_in, 4);
}

size_t
fb_ki_conv_x86_weights_size (const FbConvParams *p)
{
  return (size_t) p->dim_kernel_y * convx_krow (p) * FB_KI_ALIGN_UP ((size_t) p->ch_out, 16);
}

/* Weights of vector v, group g at wv + (g * nvec + v) * 64: the 4 k-steps 4g..4g+3 of 16
 * channels.  Written one byte at a time from the packed rows (once per layer). */
void
fb_ki_conv_x86_prepare (int w_bits, const uint8_t *weights, const FbConvParams *p, uint8_t *wv)
{
  const size_t k_len = (size_t) p->dim_kernel_x * (size_t) p->dim_kernel_y * (size_t) p->ch_in;
  const size_t kr = (size_t) p->dim_kernel_x * (size_t) p->ch_in, krow = convx_krow (p);
  const size_t ng = (size_t) p->dim_kernel_y * krow / 4;
  const size_t cout16 = FB_KI_ALIGN_UP ((size_t) p->ch_out, 16), nvec = cout16 / 16;
  const size_t rb = fb_kernel_weight_row_bytes (k_len, w_bits);
  size_t g, c, j;

  for (g = 0; g < ng; g++)
    for (c = 0; c < cout16; c++)
      for (j = 0; j < 4; j++)
        {
          const size_t q = 4 * g + j, ky = q / krow, r = q % krow;
          int32_t v = 0;
          if (c < (size_t) p->ch_out && r < kr)
            {
              const uint8_t *row = weights + c * rb;
              const size_t k = ky * kr + r;
              v = w_bits == 8 ? fb_ki_get_s (8, row, k)
                  : w_bits == 4 ? fb_ki_get_s (4, row, k) : fb_ki_get_s (2, row, k);
            }
          wv[(g * nvec + c / 16) * 64 + (c % 16) * 4 + j] = (uint8_t) v;
        }
}

/* NP pixels × NC vectors: kernel row ky of pixel P starts at x[P * kyn + ky], ngr groups of 4
 * per kernel row; w points at the block's first vector of group 0, nvec vectors per group; the
 * sums are requantized (rq[j], cleft channels from the block's first) and stored at
 * y[p] + j * 16 * O / 8. */
FB_KI_VNNI_INLINE void
convx_block (const int O, const int NC, const int R32, const uint8_t *const *x, int32_t kyn, const uint8_t *w,
             size_t nvec, size_t ngr, size_t np, uint8_t *const *y, const FbKiRq *rq,
             __m128i sh, int32_t cleft)
{
  __m512i a0[4], a1[4], a2[4], a3[4];
  size_t g;
  int32_t ky;
  int j;

  for (j = 0; j < NC; j++)
    a0[j] = a1[j] = a2[j] = a3[j] = _mm512_setzero_si512 ();
  for (ky = 0; ky < kyn; ky++)
    {
      const uint8_t *x0 = x[ky], *x1 = x[kyn + ky], *x2 = x[2 * kyn + ky];
      const uint8_t *x3 = x[3 * kyn + ky];
      for (g = 0; g < ngr; g++, w += nvec * 64)
        {
          __m512i wv[4], b;
          int32_t v;
          for (j = 0; j < NC; j++)
            wv[j] = _mm512_load_si512 ((const void *) (w + 64 * j));
#define CONVX_PIXEL(X, A)                                                                     \
          memcpy (&v, X + 4 * g, 4);                                                          \
          b = _mm512_set1_epi32 (v);                                                          \
          for (j = 0; j < NC; j++)                                                            \
            A[j] = _mm512_dpbusd_epi32 (A[j], b, wv[j]);
          CONVX_PIXEL (x0, a0)
          CONVX_PIXEL (x1, a1)
          CONVX_PIXEL (x2, a2)
          CONVX_PIXEL (x3, a3)
#undef CONVX_PIXEL
        }
    }
  /* 4/2 bits, 64 channels of pixel pairs: one whole store per pixel and 16 bytes */
  if (O < 8 && NC == 4 && cleft >= 64 && np > 1)
    {
      fb_ki_rq_store2x4 (O, R32, a0, a1, rq, sh, y[0], y[1]);
      if (np > 3)
        fb_ki_rq_store2x4 (O, R32, a2, a3, rq, sh, y[2], y[3]);
      else if (np > 2)
        /* q = p: the pair's second half is not stored (y[3] = y[2]) */
        fb_ki_rq_store2x4 (O, R32, a2, a2, rq, sh, y[2], y[2]);
      return;
    }
  /* unrolled, so that the accumulator arrays stay registers (else GCC keeps them in memory
   * and spills inside the group loop) */
#pragma GCC unroll 4
  for (j = 0; j < NC; j++)
    {
      const int32_t left = cleft - 16 * j < 16 ? cleft - 16 * j : 16;
      const __mmask16 mo = (__mmask16) ((1u << (left * O / 8)) - 1u);
      const size_t off = (size_t) j * 16 * (size_t) O / 8;
      /* pixels in pairs: at 4/2 bits a pair shares the packing's byte operations */
      if (O < 8 && R32)
        {
          /* a pixel without a pair: paired with itself, stored once (y[q] = y[p] then) */
          fb_ki_rq_store2r (O, 1, a0[j], np > 1 ? a1[j] : a0[j], &rq[j], sh, y[0] + off,
                            y[np > 1 ? 1 : 0] + off, mo);
          if (np > 2)
            fb_ki_rq_store2r (O, 1, a2[j], np > 3 ? a3[j] : a2[j], &rq[j], sh, y[2] + off,
                              y[np > 3 ? 3 : 2] + off, mo);
          continue;
        }
      if (np > 1)
        fb_ki_rq_store2 (O, 0, a0[j], a1[j], &rq[j], sh, y[0] + off, y[1] + off, mo);
      else
        fb_ki_rq_store (O, 0, a0[j], &rq[j], sh, y[0] + off, mo);
      if (np > 3)
        fb_ki_rq_store2 (O, 0, a2[j], a3[j], &rq[j], sh, y[2] + off, y[3] + off, mo);
      else if (np > 2)
        fb_ki_rq_store (O, 0, a2[j], &rq[j], sh, y[2] + off, mo);
    }
}

/* The ring of padded input rows: row r of the input padded with pad_top / pad_bottom zero rows
 * and pad_left / pad_right zero columns (r in [0, pad_top + dim_in_y + pad_bottom)), as u8
 * (sub-byte inputs unpacked once per row and call, whatever Cout), then 4 bytes of slack: a
 * kernel row padded to a multiple of 4 reads up to 3 bytes past its end, which meet zero
 * weights.  A block of CONVX_PX output pixels spans at most CONVX_PX output rows; their kernel
 * rows r = oy·Sy + ky fit in n slots: slot r mod n (n = Ky + 3·Sy) when the rows of
 * neighbouring output rows overlap (Sy ≤ Ky), else (oy mod 4)·Ky + ky (n = 4·Ky).
 * fb-kernel-conv.c sizes the scratch with the same formula (conv_vnni_ring_size()). */
typedef struct {
  int32_t n, *tag;        /* slots; the padded row each holds, -1 none */
  const uint8_t **x;      /* a block's kernel-row pointers, [CONVX_PX][Ky] */
  uint8_t *rows;          /* n rows of stride bytes */
  size_t stride;
} ConvxRing;

static uint8_t *
convx_ring_init (ConvxRing *ring, const FbConvParams *p, uint8_t *mem)
{
  const size_t ky = (size_t) p->dim_kernel_y, sy = (size_t) p->stride_y;
  const size_t cin = (size_t) p->ch_in;
  const size_t wp = (size_t) p->dim_in_x + (size_t) p->pad_left + (size_t) p->pad_right;
  const size_t left = (size_t) p->pad_left * cin, mid = (size_t) p->dim_in_x * cin;
  int32_t i;

  ring->n = (int32_t) (sy <= ky ? ky + (CONVX_PX - 1) * sy : CONVX_PX * ky);
  ring->stride = FB_KI_ALIGN_UP (wp * cin + 4, CONVX_ALIGN);
  ring->x = (const uint8_t **) (void *) mem;
  ring->tag = (int32_t *) (void *) (mem + sizeof (void *) * CONVX_PX * ky);
  ring->rows = mem + FB_KI_ALIGN_UP (4 * (size_t) ring->n + sizeof (void *) * CONVX_PX * ky,
                                     CONVX_ALIGN);
  for (i = 0; i < ring->n; i++)
    {
      uint8_t *d = ring->rows + (size_t) i * ring->stride;
      ring->tag[i] = -1;
      memset (d, 0, left);
      memset (d + left + mid, 0, ring->stride - left - mid);
    }
  return ring->rows + (size_t) ring->n * ring->stride;
}

/* Kernel row ky of output row oy, filled in its slot if the slot holds another row. */
FB_KI_VNNI_INLINE const uint8_t *
convx_ring_row (const int A, ConvxRing *ring, const uint8_t *input, const FbConvParams *p,
                int32_t oy, int32_t ky)
{
  const int32_t r = oy * p->stride_y + ky, kyn = p->dim_kernel_y;
  const int32_t slot = p->stride_y <= kyn ? r % ring->n : (oy % CONVX_PX) * kyn + ky;
  uint8_t *d = ring->rows + (size_t) slot * ring->stride;

  if (ring->tag[slot] != r)
    {
      const int32_t iy = r - p->pad_top;
      const size_t cin = (size_t) p->ch_in, n = (size_t) p->dim_in_x * cin;
      uint8_t *m = d + (size_t) p->pad_left * cin;
      if (iy < 0 || iy >= p->dim_in_y)
        memset (m, 0, n);
      else if (A == 8)
        memcpy (m, input + (size_t) iy * n, n);
      else
        fb_ki_unpack_u_row_call (A, input + (size_t) iy * n * (size_t) A / 8, (int32_t) n, m);
      ring->tag[slot] = r;
    }
  return d;
}

/* Scratch (fb-kernel-conv.c's VNNI layout): [g][c][4] weights, int8 rows, the ring of input
 * rows, then 4·Cout16·4 bytes, here the requantization constants (FbKiRq per 16 channels:
 * 256 bytes, the same).  1×1 kernels on 8-bit inputs without padding, Cin a multiple of 4,
 * read the input pixels in place. */
FB_KI_VNNI_INLINE void
convx (const int A, const int O, const int W, const uint8_t *input, const uint8_t *weights,
       const int32_t *kappa, const int32_t *lambda, uint8_t *output, const FbConvParams *p,
       void *buffer)
{
  const int32_t cin = p->ch_in, cout = p->ch_out;
  const int32_t kxn = p->dim_kernel_x, kyn = p->dim_kernel_y;
  const size_t k_len = (size_t) kxn * (size_t) kyn * (size_t) cin;
  const size_t kr = (size_t) kxn * (size_t) cin, krow = convx_krow (p);
  const size_t kq = (size_t) kyn * krow, ng = kq / 4, ngr = krow / 4;
  const size_t cout16 = FB_KI_ALIGN_UP ((size_t) cout, 16), nvec = cout16 / 16;
  const size_t rb = fb_kernel_weight_row_bytes (k_len, W);
  const size_t out_px_bytes = (size_t) cout * (size_t) O / 8;
  const size_t npix = (size_t) p->dim_out_x * (size_t) p->dim_out_y;
  const size_t step_x = (size_t) p->stride_x * (size_t) cin;
  const int in_place = A == 8 && kxn == 1 && kyn == 1 && cin % 4 == 0 && p->pad_top == 0
                       && p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0;
  /* 2-bit outputs of whole blocks of 64 channels whose sums stay below 2^15: the 32-bit
   * requantization (fb-kernel-x86.h).  Measured (tools/bench-host.sh): faster than the 64-bit
   * path there (fmnist-mbv1's 1x1 convs of 64/128 channels, 0.07-0.19 us each), slower with
   * 4-bit outputs, fewer channels (the first conv, 16; 32) and in the 3x3 depthwise. */
  const int r32 = O == 2 && cout % 64 == 0 && fb_ki_rq32_ok (k_len, A, W, p->out_shift);
  const __m128i sh = _mm_cvtsi32_si128 (p->out_shift - (r32 ? 16 : 0));
  uint8_t *wv = (uint8_t *) fb_ki_align_ptr (buffer, CONVX_ALIGN);
  int8_t *rows = (int8_t *) (wv + FB_KI_ALIGN_UP (kq * cout16, CONVX_ALIGN));
  uint8_t *ring_mem = (uint8_t *) rows + FB_KI_ALIGN_UP (kq * (size_t) cout + k_len, CONVX_ALIGN);
  ConvxRing ring;
  FbKiRq *rq = (FbKiRq *) (void *) convx_ring_init (&ring, p, ring_mem);
  const uint8_t *wsrc = wv;
  size_t g, v, pix;
  int32_t c, ky, q, oy = 0, ox = 0;

  if (p->flag_relu & FB_KERNEL_FLAG_HOST_PREPARED)
    wsrc = weights;
  else
    {
      const uint8_t *src;
      size_t src_stride;
      /* weight rows as int8 with each kernel row padded to krow (8-bit rows whose kernel rows
       * need no padding are read in place) */
      if (W == 8 && kr == krow)
        {
          src = weights;
          src_stride = rb;
        }
      else
        {
          int8_t *flat = rows + kq * (size_t) cout;
          memset (rows, 0, kq * (size_t) cout);
          for (c = 0; c < cout; c++)
            {
              fb_ki_unpack_s_i8 (W, weights + (size_t) c * rb, (int32_t) k_len, flat);
              for (ky = 0; ky < kyn; ky++)
                memcpy (rows + (size_t) c * kq + (size_t) ky * krow, flat + (size_t) ky * kr, kr);
            }
          src = (const uint8_t *) rows;
          src_stride = kq;
        }
      /* [g][c][4]: a dword gather per 16 channels and group (missing channels are zero) */
      {
        const __m512i idx = _mm512_mullo_epi32 (_mm512_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                                                   10, 11, 12, 13, 14, 15),
                                                _mm512_set1_epi32 ((int) src_stride));
        for (v = 0; v < nvec; v++)
          {
            const size_t left = (size_t) cout - v * 16;
            const __mmask16 m = left >= 16 ? (__mmask16) 0xFFFF
                                           : (__mmask16) ((1u << left) - 1u);
            const uint8_t *base = src + v * 16 * src_stride;
            for (g = 0; g < ng; g++)
              _mm512_store_si512 ((void *) (wv + (g * nvec + v) * 64),
                                  _mm512_mask_i32gather_epi32 (_mm512_setzero_si512 (), m, idx,
                                                               (const void *) (base + 4 * g), 1));
          }
      }
    }
  for (v = 0; v < nvec; v++)
    {
      const size_t left = (size_t) cout - v * 16;
      const __mmask16 m = left >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << left) - 1u);
      rq[v] = r32 ? fb_ki_rq32_load (kappa + v * 16, lambda + v * 16, m)
                  : fb_ki_rq_load (kappa + v * 16, lambda + v * 16, m);
    }

  for (pix = 0; pix < npix; pix += CONVX_PX)
    {
      const size_t np = npix - pix < CONVX_PX ? npix - pix : CONVX_PX;
      uint8_t *y[CONVX_PX];
      for (q = 0; q < CONVX_PX; q++)
        {
          /* the previous pixel's row pointers (of the block before for q = 0): the next pixel
           * of the same output row is step_x further; a pixel past the end repeats the
           * block's last one (never stored) */
          const uint8_t **xq = ring.x + q * kyn;
          const uint8_t *const *xp = ring.x + (q > 0 ? q - 1 : CONVX_PX - 1) * kyn;
          if ((size_t) q >= np)
            {
              for (ky = 0; ky < kyn; ky++)
                xq[ky] = xp[ky];
              y[q] = y[q - 1];
              continue;
            }
          y[q] = output + (pix + (size_t) q) * out_px_bytes;
          if (in_place)
            xq[0] = input + ((size_t) oy * (size_t) p->stride_y * (size_t) p->dim_in_x
                             + (size_t) ox * (size_t) p->stride_x) * (size_t) cin;
          else if (ox > 0 && pix + (size_t) q > 0)
            for (ky = 0; ky < kyn; ky++)
              xq[ky] = xp[ky] + step_x;
          else
            for (ky = 0; ky < kyn; ky++)
              xq[ky] = convx_ring_row (A, &ring, input, p, oy, ky);
          if (++ox == p->dim_out_x)
            {
              ox = 0;
              oy++;
            }
        }
      for (v = 0; v < nvec; v += 4)
        {
          const uint8_t *wb = wsrc + v * 64;
          uint8_t *yv[CONVX_PX];
          const int32_t cleft = cout - (int32_t) v * 16;
          for (q = 0; q < CONVX_PX; q++)
            yv[q] = y[q] + v * 16 * (size_t) O / 8;
#define CONVX_BLOCKS(R)                                                                       \
  switch (nvec - v)                                                                           \
    {                                                                                         \
    case 1: convx_block (O, 1, R, ring.x, kyn, wb, nvec, ngr, np, yv, rq + v, sh, cleft); break; \
    case 2: convx_block (O, 2, R, ring.x, kyn, wb, nvec, ngr, np, yv, rq + v, sh, cleft); break; \
    case 3: convx_block (O, 3, R, ring.x, kyn, wb, nvec, ngr, np, yv, rq + v, sh, cleft); break; \
    default: convx_block (O, 4, R, ring.x, kyn, wb, nvec, ngr, np, yv, rq + v, sh, cleft); break; \
    }
          if (O == 2 && r32)
            CONVX_BLOCKS (1)
          else
            CONVX_BLOCKS (0)
#undef CONVX_BLOCKS
        }
    }
}

#define FB_CONVX_DEFINE(i, o, w)                                                              \
  __attribute__ ((target (FB_KI_VNNI_TARGET), noinline)) static void                          \
  convx_u##i##_u##o##_i##w (const uint8_t *input, const uint8_t *weights,                     \
                            const int32_t *kappa, const int32_t *lambda, uint8_t *output,     \
                            const FbConvParams *p, void *buffer)                              \
  {                                                                                           \
    convx (i, o, w, input, weights, kappa, lambda, output, p, buffer);                        \
  }
FB_KERNEL_VARIANTS_IOW (FB_CONVX_DEFINE)

typedef void (*ConvxFunc) (const uint8_t *input, const uint8_t *weights, const int32_t *kappa,
                           const int32_t *lambda, uint8_t *output, const FbConvParams *p,
                           void *buffer);
#define FB_CONVX_PTR(i, o, w) convx_u##i##_u##o##_i##w,
static const ConvxFunc convx_table[27] = { FB_KERNEL_VARIANTS_IOW (FB_CONVX_PTR) };

static int
convx_bits_index (int b)
{
  return b == 8 ? 0 : b == 4 ? 1 : 2;
}

void
fb_ki_conv_x86 (int in_bits, int out_bits, int w_bits, const uint8_t *input,
                const uint8_t *weights, const int32_t *kappa, const int32_t *lambda,
                uint8_t *output, const FbConvParams *p, void *buffer)
{
  convx_table[convx_bits_index (in_bits) * 9 + convx_bits_index (out_bits) * 3
              + convx_bits_index (w_bits)](input, weights, kappa, lambda, output, p, buffer);
}

#else
/* ISO C forbids an empty translation unit */
typedef int fb_kernel_conv_x86_unused;
#endif /* FB_KI_X86_FILES */
