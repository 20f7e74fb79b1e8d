/* fb-kernel-x86.h — AVX-512 helpers of the x86-only kernel files (fb-kernel-*-x86.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef FB_KERNEL_X86_H
#define FB_KERNEL_X86_H

#include "fb-kernel-internal.h"

#if FB_KI_X86_FILES

/* Requantization constants of 16 channels: kappa (its even lanes are what vpmuldq reads),
 * kappa's odd lanes moved down, lambda of the even and of the odd channels in int64. */
typedef struct {
  __m512i k, k_odd, l_even, l_odd;
} FbKiRq;

FB_KI_VNNI_INLINE FbKiRq
fb_ki_rq_load (const int32_t *kappa, const int32_t *lambda, __mmask16 m)
{
  FbKiRq r;
  const __m512i l = _mm512_maskz_loadu_epi32 (m, lambda);
  const __m512i even = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i odd = _mm512_setr_epi32 (1, 3, 5, 7, 9, 11, 13, 15, 0, 0, 0, 0, 0, 0, 0, 0);
  r.k = _mm512_maskz_loadu_epi32 (m, kappa);
  r.k_odd = _mm512_srli_epi64 (r.k, 32);
  r.l_even = _mm512_cvtepi32_epi64 (_mm512_castsi512_si256 (_mm512_permutexvar_epi32 (even, l)));
  r.l_odd = _mm512_cvtepi32_epi64 (_mm512_castsi512_si256 (_mm512_permutexvar_epi32 (odd, l)));
  return r;
}

/* clip ((kappa·acc + lambda) >> shift, 0, 2^O - 1) of 16 channels: the 64-bit sums are
 * shifted arithmetically (floor, as the formula) and narrowed to int16 with signed saturation,
 * the even channels 0, 2, .., 14 into *we, the odd ones into *wo; packuswb then clamps them to
 * [0, 255] (the clamps compose to the clip to [0, 255]), a byte min to 2^O - 1 for 4/2 bits.
 * Only the products, sums and shifts are 512-bit operations (the host formula's 64-bit clamps
 * were 6 more). */
FB_KI_VNNI_INLINE void
fb_ki_rq_narrow (__m512i acc, const FbKiRq *r, __m128i sh, __m128i *we, __m128i *wo)
{
  const __m512i ve = _mm512_sra_epi64 (_mm512_add_epi64 (_mm512_mul_epi32 (acc, r->k),
                                                         r->l_even), sh);
  const __m512i vo = _mm512_sra_epi64 (
    _mm512_add_epi64 (_mm512_mul_epi32 (_mm512_srli_epi64 (acc, 32), r->k_odd), r->l_odd), sh);
  *we = _mm512_cvtsepi64_epi16 (ve);
  *wo = _mm512_cvtsepi64_epi16 (vo);
}

/* Requantized 16 channels (fb_ki_rq_narrow()) packed to O bits and stored (mout: the valid
 * bytes); TOP as in fb_ki_rq_store2(). */
FB_KI_VNNI_INLINE void
fb_ki_rq_store (const int O, const int TOP, __m512i acc, const FbKiRq *r, __m128i sh, uint8_t *dst,
                __mmask16 mout)
{
  __m128i we, wo;
  fb_ki_rq_narrow (acc, r, sh, &we, &wo);
  if (O == 8)
    /* interleaved back into channel order */
    _mm_mask_storeu_epi8 (dst, mout, _mm_packus_epi16 (_mm_unpacklo_epi16 (we, wo),
                                                       _mm_unpackhi_epi16 (we, wo)));
  else if (O == 4 && TOP)
    {
      /* sh is the shift less 4 (fb_ki_rq_store2()): y is the high nibble of each byte */
      const __m128i t = _mm_packus_epi16 (we, wo);
      _mm_mask_storeu_epi8 (dst, mout, _mm_ternarylogic_epi32 (_mm_srli_epi16 (t, 4),
                                                               _mm_srli_si128 (t, 8),
                                                               _mm_set1_epi8 (0x0F), 0xE4));
    }
  else
    {
      /* t: even channels in bytes 0-7, odd ones in bytes 8-15, clipped; byte j of u is
       * y[2j] | y[2j+1] << O (the 16-bit shift moves each byte's bits within it: t ≤ 15) */
      const __m128i t = _mm_min_epu8 (_mm_packus_epi16 (we, wo), _mm_set1_epi8 ((1 << O) - 1));
      const __m128i u = _mm_or_si128 (t, _mm_slli_epi16 (_mm_srli_si128 (t, 8), O));
      if (O == 4)
        _mm_mask_storeu_epi8 (dst, mout, u);
      else
        {
          /* 4-bit pairs -> x0 + 16 x1 in 16-bit lanes -> bytes */
          const __m128i z = _mm_maddubs_epi16 (u, _mm_set1_epi16 (0x1001));
          _mm_mask_storeu_epi8 (dst, mout, _mm_packus_epi16 (z, z));
        }
    }
}

/* fb_ki_rq_store2() below at 4/2 bits (TOP 0) without its stores: the packed bytes of p in bytes
 * 0 .. 2·O - 1 of the result, those of q in the next 2·O bytes. */
FB_KI_VNNI_INLINE __m128i
fb_ki_rq_pack2 (const int O, __m512i acc_p, __m512i acc_q, const FbKiRq *r, __m128i sh)
{
  __m128i we_p, wo_p, we_q, wo_q, e, o, u;
  fb_ki_rq_narrow (acc_p, r, sh, &we_p, &wo_p);
  fb_ki_rq_narrow (acc_q, r, sh, &we_q, &wo_q);
  /* e: the even channels of p (bytes 0-7) and q (8-15), o the odd ones, clipped; byte j of u
   * is y[2j] | y[2j+1] << O of p (bytes 0-7) and of q (8-15) */
  e = _mm_min_epu8 (_mm_packus_epi16 (we_p, we_q), _mm_set1_epi8 ((1 << O) - 1));
  o = _mm_min_epu8 (_mm_packus_epi16 (wo_p, wo_q), _mm_set1_epi8 ((1 << O) - 1));
  u = _mm_or_si128 (e, _mm_slli_epi16 (o, O));
  if (O == 2)
    {
      /* 4-bit pairs -> x0 + 16 x1 in 16-bit lanes -> bytes 0-3 of p, 4-7 of q */
      const __m128i z = _mm_maddubs_epi16 (u, _mm_set1_epi16 (0x1001));
      u = _mm_packus_epi16 (z, z);
    }
  return u;
}

/* The two pixels' packed 4/2-bit fields of fb_ki_rq_pack2() stored: p's from byte 0, q's from
 * byte 8 (4 bits) or 4 (2 bits).  Two literal shifts: clang wants the byte shift's count
 * constant before inlining. */
FB_KI_VNNI_INLINE void
fb_ki_store_pair (const int O, __m128i u, uint8_t *dst_p, uint8_t *dst_q, __mmask16 mout)
{
  _mm_mask_storeu_epi8 (dst_p, mout, u);
  if (O == 4)
    _mm_mask_storeu_epi8 (dst_q, mout, _mm_srli_si128 (u, 8));
  else
    _mm_mask_storeu_epi8 (dst_q, mout, _mm_srli_si128 (u, 4));
}

/* fb_ki_rq_store() of two pixels' 16 channels (same channels, same constants) at once: at
 * 4/2 bits the two pixels share each byte operation (2 packs and 2 mins of both pixels' even /
 * odd halves, one merge, for 2 bits one madd and pack), 3.5 / 4.5 operations per pixel
 * instead of 5 / 7 (8 bits: 3).  TOP (4 bits only): sh is the output shift less 4 (the
 * caller's shift is at least 4), which spares the mins: 2.5 operations per pixel. */
FB_KI_VNNI_INLINE void
fb_ki_rq_store2 (const int O, const int TOP, __m512i acc_p, __m512i acc_q, const FbKiRq *r,
                 __m128i sh, uint8_t *dst_p, uint8_t *dst_q, __mmask16 mout)
{
  __m128i we_p, wo_p, we_q, wo_q, e, o, u;
  if (O == 8)
    {
      fb_ki_rq_store (8, 0, acc_p, r, sh, dst_p, mout);
      fb_ki_rq_store (8, 0, acc_q, r, sh, dst_q, mout);
      return;
    }
  if (O == 4 && TOP)
    {
      fb_ki_rq_narrow (acc_p, r, sh, &we_p, &wo_p);
      fb_ki_rq_narrow (acc_q, r, sh, &we_q, &wo_q);
      /* the sums were shifted by shift - 4 (floor of floor: the same y in the high nibble);
       * packuswb's clamp to 255 is then the clip to 15, and byte j of the output is the high
       * nibble of e's byte j moved down merged with that of o's: one vpternlogd (select) */
      e = _mm_srli_epi16 (_mm_packus_epi16 (we_p, we_q), 4);
      o = _mm_packus_epi16 (wo_p, wo_q);
      u = _mm_ternarylogic_epi32 (e, o, _mm_set1_epi8 (0x0F), 0xE4);
      fb_ki_store_pair (4, u, dst_p, dst_q, mout);
      return;
    }
  fb_ki_store_pair (O, fb_ki_rq_pack2 (O, acc_p, acc_q, r, sh), dst_p, dst_q, mout);
}

/* 2-bit outputs by comparison with per-channel thresholds (the 3x3 depthwise): y ≥ j
 * (j = 1, 2, 3) ⇔ kappa·acc + lambda ≥ j·2^s =: N_j (int64, exact).  kappa > 0: acc ≥
 * ceil (N_j / kappa); kappa < 0: acc ≤ floor (N_j / kappa) ⇔ ~acc ≥ ceil (N_j / |kappa|) − 1
 * (~ reverses the order), so the lanes of negative kappa compare ~acc (s: all ones there);
 * kappa = 0: always (N_j ≤ 0) or never.  Thresholds saturate to int32: every sum is below
 * 65 536 · 255 · 128 < 2^31 − 1 in magnitude, so INT32_MAX is never reached and INT32_MIN
 * always.  The ceiling, made per call without a division: r ≈ 1/a (a = |kappa|, vrcp14pd and
 * two Newton steps, relative error ≈ 2^-52) and q = N_j·r in double (N_j, |N_j| < 2^33, and a
 * exact) is within 2^33 / a · 2^-50 < 1/a of N_j / a; a quotient that is not an integer is
 * at least 1/a from the next integer, so its ceiling is exact, and an integer quotient k
 * gives k or k + 1, which one exact test a·(c − 1) ≥ N_j (int64) corrects.  Needs s ≤ 31.
 * Per pixel y then needs no multiply, shift, clip or narrowing: 3 vpcmpd per 16 channels
 * instead of 9 operations (fb_ki_rq_narrow()). */
typedef struct {
  __m512i t[3], s;
} FbKiThr;

/* Output pixels per call from which the thresholds pay for their set-up (≈ 120 vector
 * operations per 16 channels and call, against ≈ 9 saved per pixel pair; measured on
 * fmnist-mbv1's 3×3 depthwise: slower at 7×7, faster at 14×14 and 28×28). */
#define FB_KI_THR_PIXELS 128

FB_KI_VNNI_INLINE FbKiThr
fb_ki_thr_load (const int32_t *kappa, const int32_t *lambda, int32_t shift, __mmask16 m)
{
  FbKiThr r;
  const __m512i k = _mm512_maskz_loadu_epi32 (m, kappa), l = _mm512_maskz_loadu_epi32 (m, lambda);
  const __mmask16 kneg = _mm512_cmplt_epi32_mask (k, _mm512_setzero_si512 ());
  const __mmask16 kzero = _mm512_cmpeq_epi32_mask (k, _mm512_setzero_si512 ());
  const __m512d one = _mm512_set1_pd (1.0);
  __m256i half[3][2];
  int h, j;

  r.s = _mm512_movm_epi32 (kneg);
  for (h = 0; h < 2; h++)
    {
      const __m256i kh = h ? _mm512_extracti64x4_epi64 (k, 1) : _mm512_castsi512_si256 (k);
      const __m256i lh = h ? _mm512_extracti64x4_epi64 (l, 1) : _mm512_castsi512_si256 (l);
      const __mmask8 mz = (__mmask8) (kzero >> (8 * h)), mn = (__mmask8) (kneg >> (8 * h));
      /* a = |kappa| (exact in double, INT32_MIN too; 1 where kappa = 0, masked below), its
       * int64 copy, r ≈ 1/a */
      const __m512d a = _mm512_mask_mov_pd (_mm512_abs_pd (_mm512_cvtepi32_pd (kh)), mz, one);
      const __m512i a64 = _mm512_cvttpd_epi64 (a);
      const __m512i l64 = _mm512_cvtepi32_epi64 (lh);
      __m512d rc = _mm512_rcp14_pd (a);
      rc = _mm512_fmadd_pd (rc, _mm512_fnmadd_pd (a, rc, one), rc);
      rc = _mm512_fmadd_pd (rc, _mm512_fnmadd_pd (a, rc, one), rc);
      for (j = 0; j < 3; j++)
        {
          const __m512i n64 = _mm512_sub_epi64 (_mm512_set1_epi64 ((long long) (j + 1) << shift),
                                                l64);
          /* the ceiling clamped to [-2^31 - 2, 2^31 + 1] (a·c then fits in int64; the
           * narrowing saturates anything past int32 to the same answer) */
          const __m512d q = _mm512_roundscale_pd (_mm512_mul_pd (_mm512_cvtepi64_pd (n64), rc),
                                                  _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
          __m512i c = _mm512_cvttpd_epi64 (_mm512_min_pd (
            _mm512_max_pd (q, _mm512_set1_pd (-2147483650.0)), _mm512_set1_pd (2147483649.0)));
          const __m512i c1 = _mm512_sub_epi64 (c, _mm512_set1_epi64 (1));
          c = _mm512_mask_mov_epi64 (c, _mm512_cmpge_epi64_mask (_mm512_mullo_epi64 (c1, a64), n64),
                                     c1);
          c = _mm512_mask_sub_epi64 (c, mn, c, _mm512_set1_epi64 (1));
          /* kappa = 0: -2^40 (always) where N_j <= 0, else 2^40 (never) */
          c = _mm512_mask_mov_epi64 (
            c, mz, _mm512_mask_blend_epi64 (_mm512_cmple_epi64_mask (n64, _mm512_setzero_si512 ()),
                                            _mm512_set1_epi64 (1ll << 40),
                                            _mm512_set1_epi64 (-(1ll << 40))));
          half[j][h] = _mm512_cvtsepi64_epi32 (c);
        }
    }
  for (j = 0; j < 3; j++)
    r.t[j] = _mm512_inserti64x4 (_mm512_castsi256_si512 (half[j][0]), half[j][1], 1);
  return r;
}

/* Two pixels' 16 channels at 2 bits by comparison (fb_ki_thr_load()): fb_ki_rq_pack2()'s
 * bytes (p's 4 in bytes 0-3, q's in 4-7).  y = the number of thresholds met, counted in bytes
 * (both pixels' masks joined: 32 lanes), then y0 + 4 y1 and of those t0 + 16 t1 by
 * multiply-adds, narrowed to bytes. */
FB_KI_VNNI_INLINE __m128i
fb_ki_thr_pack2 (__m512i acc_p, __m512i acc_q, const FbKiThr *t)
{
  const __m512i p = _mm512_xor_si512 (acc_p, t->s), q = _mm512_xor_si512 (acc_q, t->s);
  const __m256i one = _mm256_set1_epi8 (1);
  __m256i y = _mm256_maskz_mov_epi8 (
    _mm512_kunpackw (_mm512_cmpge_epi32_mask (q, t->t[0]), _mm512_cmpge_epi32_mask (p, t->t[0])),
    one);
  y = _mm256_mask_add_epi8 (
    y, _mm512_kunpackw (_mm512_cmpge_epi32_mask (q, t->t[1]), _mm512_cmpge_epi32_mask (p, t->t[1])),
    y, one);
  y = _mm256_mask_add_epi8 (
    y, _mm512_kunpackw (_mm512_cmpge_epi32_mask (q, t->t[2]), _mm512_cmpge_epi32_mask (p, t->t[2])),
    y, one);
  return _mm256_cvtepi32_epi8 (_mm256_madd_epi16 (
    _mm256_maddubs_epi16 (y, _mm256_set1_epi16 (0x0401)), _mm256_set1_epi32 (0x00100001)));
}

/* The 32-bit requantization of 4/2-bit outputs (fb_ki_rq32_ok()): when every accumulator
 * has |acc| < 2^15 and the shift is at least 16, with kappa = kh·2^16 + kl and lambda =
 * lh·2^16 + ll (kl, ll in [0, 2^16), kh, lh the arithmetic shifts by 16):
 *   kappa·acc + lambda = 2^16·(kh·acc + lh) + (kl·acc + ll),
 * where |kl·acc + ll| ≤ (2^16 − 1)(2^15 − 1) + 2^16 − 1 = 2^15 (2^16 − 1) < 2^31 (exact in
 * int32), and floor (X / 2^s) = floor ((kh·acc + lh + floor (low / 2^16)) / 2^(s − 16)) for
 * s ≥ 16, whose operands are each below 2^15 · 2^15 + 2^16 in magnitude: exact too.  So the
 * same y as the 64-bit path, in int32 lanes in channel order (no even / odd halves to narrow).
 * In FbKiRq: k = kl, k_odd = kh, l_even = ll, l_odd = lh, as int32 lanes. */
FB_KI_VNNI_INLINE int
fb_ki_rq32_ok (size_t k_len, int A, int W, int32_t shift)
{
  return shift >= 16 && k_len * (size_t) ((1 << A) - 1) * ((size_t) 1 << (W - 1)) < 32768u;
}

FB_KI_VNNI_INLINE FbKiRq
fb_ki_rq32_load (const int32_t *kappa, const int32_t *lambda, __mmask16 m)
{
  FbKiRq r;
  const __m512i k = _mm512_maskz_loadu_epi32 (m, kappa), l = _mm512_maskz_loadu_epi32 (m, lambda);
  const __m512i lo16 = _mm512_set1_epi32 (0xFFFF);
  r.k = _mm512_and_si512 (k, lo16);
  r.k_odd = _mm512_srai_epi32 (k, 16);
  r.l_even = _mm512_and_si512 (l, lo16);
  r.l_odd = _mm512_srai_epi32 (l, 16);
  return r;
}

/* y = (kappa·acc + lambda) >> shift of 16 channels; sh16: the shift less 16. */
FB_KI_VNNI_INLINE __m512i
fb_ki_rq32 (__m512i acc, const FbKiRq *r, __m128i sh16)
{
  const __m512i low = _mm512_add_epi32 (_mm512_mullo_epi32 (acc, r->k), r->l_even);
  const __m512i hi = _mm512_add_epi32 (_mm512_mullo_epi32 (acc, r->k_odd), r->l_odd);
  return _mm512_sra_epi32 (_mm512_add_epi32 (hi, _mm512_srai_epi32 (low, 16)), sh16);
}

/* fb_ki_rq_pack2()'s bytes from the 32-bit form: y clipped (max 0, vpmovusdb's saturation to
 * 255, a byte min to 2^O − 1), then the fields merged by multiply-adds: 4 bits y0 + 16 y1;
 * 2 bits y0 + 4 y1, then of those pairs x0 + 16 x1. */
FB_KI_VNNI_INLINE __m128i
fb_ki_rq32_pack2 (const int O, __m512i acc_p, __m512i acc_q, const FbKiRq *r, __m128i sh16)
{
  const __m512i zero = _mm512_setzero_si512 ();
  const __m128i top = _mm_set1_epi8 ((1 << O) - 1);
  const __m128i bp = _mm_min_epu8 (
    _mm512_cvtusepi32_epi8 (_mm512_max_epi32 (fb_ki_rq32 (acc_p, r, sh16), zero)), top);
  const __m128i bq = _mm_min_epu8 (
    _mm512_cvtusepi32_epi8 (_mm512_max_epi32 (fb_ki_rq32 (acc_q, r, sh16), zero)), top);
  if (O == 4)
    return _mm_packus_epi16 (_mm_maddubs_epi16 (bp, _mm_set1_epi16 (0x1001)),
                             _mm_maddubs_epi16 (bq, _mm_set1_epi16 (0x1001)));
  {
    const __m128i t = _mm_packus_epi16 (_mm_maddubs_epi16 (bp, _mm_set1_epi16 (0x0401)),
                                        _mm_maddubs_epi16 (bq, _mm_set1_epi16 (0x0401)));
    const __m128i z = _mm_maddubs_epi16 (t, _mm_set1_epi16 (0x1001));
    return _mm_packus_epi16 (z, z);
  }
}

/* fb_ki_rq_store2() at 4/2 bits with the pack of the 64-bit (R32 0) or 32-bit form. */
FB_KI_VNNI_INLINE void
fb_ki_rq_store2r (const int O, const int R32, __m512i acc_p, __m512i acc_q, const FbKiRq *r,
                  __m128i sh, uint8_t *dst_p, uint8_t *dst_q, __mmask16 mout)
{
  fb_ki_store_pair (O, R32 ? fb_ki_rq32_pack2 (O, acc_p, acc_q, r, sh)
                           : fb_ki_rq_pack2 (O, acc_p, acc_q, r, sh), dst_p, dst_q, mout);
}

/* Two pixels' 64 channels (4 vectors, fb_ki_rq_pack2() of each) at 4/2 bits, stored whole: 2·O
 * bytes per pixel and vector, the 4 vectors contiguous in the output (8·O bytes per pixel), so
 * 1 (2 bits) or 2 (4 bits) plain 16-byte stores per pixel instead of 4 masked ones. */
FB_KI_VNNI_INLINE void
fb_ki_rq_store2x4 (const int O, const int R32, const __m512i *acc_p, const __m512i *acc_q,
                   const FbKiRq *r, __m128i sh, uint8_t *dst_p, uint8_t *dst_q)
{
#define FB_KI_PACK2(j)                                                                          (R32 ? fb_ki_rq32_pack2 (O, acc_p[j], acc_q[j], &r[j], sh)                                         : fb_ki_rq_pack2 (O, acc_p[j], acc_q[j], &r[j], sh))
  const __m128i u0 = FB_KI_PACK2 (0), u1 = FB_KI_PACK2 (1), u2 = FB_KI_PACK2 (2);
  const __m128i u3 = FB_KI_PACK2 (3);
#undef FB_KI_PACK2
  if (O == 4)
    {
      /* u_j: p's 8 bytes, then q's */
      _mm_storeu_si128 ((__m128i *) (void *) dst_p, _mm_unpacklo_epi64 (u0, u1));
      _mm_storeu_si128 ((__m128i *) (void *) (dst_p + 16), _mm_unpacklo_epi64 (u2, u3));
      _mm_storeu_si128 ((__m128i *) (void *) dst_q, _mm_unpackhi_epi64 (u0, u1));
      _mm_storeu_si128 ((__m128i *) (void *) (dst_q + 16), _mm_unpackhi_epi64 (u2, u3));
    }
  else
    {
      /* u_j: p's 4 bytes, then q's; t01 = p0 p1 q0 q1 (dwords) */
      const __m128i t01 = _mm_unpacklo_epi32 (u0, u1), t23 = _mm_unpacklo_epi32 (u2, u3);
      _mm_storeu_si128 ((__m128i *) (void *) dst_p, _mm_unpacklo_epi64 (t01, t23));
      _mm_storeu_si128 ((__m128i *) (void *) dst_q, _mm_unpackhi_epi64 (t01, t23));
    }
}

/* n unsigned A-bit values (n a multiple of 8/A) to bytes, 16 source bytes per step. */
FB_KI_VNNI_INLINE void
fb_ki_unpack_u_row (const int A, const uint8_t *src, int32_t n, uint8_t *dst)
{
  const __m128i m = _mm_set1_epi8 (A == 4 ? 15 : 3);
  int32_t i = 0;

  /* 64 values per step in one zmm: each source byte zero-extended to a 16-bit (4 bits) or
   * 32-bit (2 bits) lane, whose bytes then take its fields by shifts and one masked merge
   * (5-7 operations for 64 values against 16-20 in 128-bit registers) */
  if (A == 4)
    for (; i + 64 <= n; i += 64)
      {
        const __m512i w = _mm512_cvtepu8_epi16 (
          _mm256_loadu_si256 ((const __m256i *) (const void *) (src + i / 2)));
        const __m512i hi = _mm512_and_si512 (_mm512_slli_epi16 (w, 4), _mm512_set1_epi16 (0x0F00));
        /* ternary 0xEA: (w & 0x000F) | hi */
        _mm512_storeu_si512 ((void *) (dst + i),
                             _mm512_ternarylogic_epi32 (w, _mm512_set1_epi16 (0x000F), hi, 0xEA));
      }
  else if (A == 2)
    for (; i + 64 <= n; i += 64)
      {
        const __m512i d = _mm512_cvtepu8_epi32 (
          _mm_loadu_si128 ((const __m128i *) (const void *) (src + i / 4)));
        const __m512i t = _mm512_or_si512 (d, _mm512_slli_epi32 (d, 6));
        /* ternary 0xA8: (t | t << 12) & 0x03030303 */
        _mm512_storeu_si512 ((void *) (dst + i),
                             _mm512_ternarylogic_epi32 (t, _mm512_slli_epi32 (t, 12),
                                                        _mm512_set1_epi32 (0x03030303), 0xA8));
      }
  if (A == 4)
    for (; i + 32 <= n; i += 32)
      {
        const __m128i b = _mm_loadu_si128 ((const __m128i *) (const void *) (src + i / 2));
        const __m128i lo = _mm_and_si128 (b, m), hi = _mm_and_si128 (_mm_srli_epi16 (b, 4), m);
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i), _mm_unpacklo_epi8 (lo, hi));
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i + 16), _mm_unpackhi_epi8 (lo, hi));
      }
  else if (A == 2)
    for (; i + 64 <= n; i += 64)
      {
        const __m128i b = _mm_loadu_si128 ((const __m128i *) (const void *) (src + i / 4));
        const __m128i c0 = _mm_and_si128 (b, m), c1 = _mm_and_si128 (_mm_srli_epi16 (b, 2), m);
        const __m128i c2 = _mm_and_si128 (_mm_srli_epi16 (b, 4), m);
        const __m128i c3 = _mm_and_si128 (_mm_srli_epi16 (b, 6), m);
        const __m128i l01 = _mm_unpacklo_epi8 (c0, c1), l23 = _mm_unpacklo_epi8 (c2, c3);
        const __m128i h01 = _mm_unpackhi_epi8 (c0, c1), h23 = _mm_unpackhi_epi8 (c2, c3);
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i), _mm_unpacklo_epi16 (l01, l23));
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i + 16), _mm_unpackhi_epi16 (l01, l23));
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i + 32), _mm_unpacklo_epi16 (h01, h23));
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i + 48), _mm_unpackhi_epi16 (h01, h23));
      }
  if (A == 4)
    for (; i + 16 <= n; i += 16)
      {
        const __m128i b = _mm_loadl_epi64 ((const __m128i *) (const void *) (src + i / 2));
        const __m128i lo = _mm_and_si128 (b, m), hi = _mm_and_si128 (_mm_srli_epi16 (b, 4), m);
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i), _mm_unpacklo_epi8 (lo, hi));
      }
  else if (A == 2)
    for (; i + 16 <= n; i += 16)
      {
        int32_t w;
        __m128i b, l01, l23;
        memcpy (&w, src + i / 4, 4);
        b = _mm_cvtsi32_si128 (w);
        l01 = _mm_unpacklo_epi8 (_mm_and_si128 (b, m), _mm_and_si128 (_mm_srli_epi16 (b, 2), m));
        l23 = _mm_unpacklo_epi8 (_mm_and_si128 (_mm_srli_epi16 (b, 4), m),
                                 _mm_and_si128 (_mm_srli_epi16 (b, 6), m));
        _mm_storeu_si128 ((__m128i *) (void *) (dst + i), _mm_unpacklo_epi16 (l01, l23));
      }
  fb_ki_unpack_u_u8 (A, src + (size_t) i * (size_t) A / 8, n - i, dst + i, 1);
}

/* fb_ki_unpack_u_row() out of line (once per input row): inlined, GCC hoists its vector
 * constants into the caller's loops, and with a sub-byte output's constants a 4/2-bit conv ran
 * out of zmm registers and spilled in its multiply loop. */
__attribute__ ((target (FB_KI_VNNI_TARGET), noinline, unused)) static void
fb_ki_unpack_u_row_call (int A, const uint8_t *src, int32_t n, uint8_t *dst)
{
  if (A == 4)
    fb_ki_unpack_u_row (4, src, n, dst);
  else
    fb_ki_unpack_u_row (2, src, n, dst);
}

#endif /* FB_KI_X86_FILES */

#endif /* FB_KERNEL_X86_H */
