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

/* clip ((kappa·acc + lambda) >> shift) of 16 channels as bytes (fb_ki_requant_pack_host()'s
 * clamp-then-logical-shift form), packed to O bits and stored (nbytes valid bytes). */
FB_KI_VNNI_INLINE void
fb_ki_rq_store (const int O, __m512i acc, const FbKiRq *r, __m128i sh, uint8_t *dst,
                   __mmask16 mout)
{
  const __m512i zero = _mm512_setzero_si512 (), maxv = _mm512_set1_epi64 ((1 << O) - 1);
  __m512i ve = _mm512_add_epi64 (_mm512_mul_epi32 (acc, r->k), r->l_even);
  __m512i vo = _mm512_add_epi64 (_mm512_mul_epi32 (_mm512_srli_epi64 (acc, 32), r->k_odd),
                                 r->l_odd);
  __m128i y;
  ve = _mm512_min_epu64 (_mm512_srl_epi64 (_mm512_max_epi64 (ve, zero), sh), maxv);
  vo = _mm512_min_epu64 (_mm512_srl_epi64 (_mm512_max_epi64 (vo, zero), sh), maxv);
  /* channel 2j in the low half of 64-bit lane j, channel 2j+1 in its high half */
  y = _mm512_cvtepi32_epi8 (_mm512_or_si512 (ve, _mm512_slli_epi64 (vo, 32)));
  if (O == 8)
    _mm_mask_storeu_epi8 (dst, mout, y);
  else if (O == 4)
    {
      const __m128i z = _mm_maddubs_epi16 (y, _mm_set1_epi16 (0x1001));
      _mm_mask_storeu_epi8 (dst, mout, _mm_packus_epi16 (z, z));
    }
  else
    {
      const __m128i z = _mm_madd_epi16 (_mm_maddubs_epi16 (y, _mm_set1_epi16 (0x0401)),
                                        _mm_set1_epi32 (0x00100001));
      const __m128i b = _mm_packus_epi32 (z, z);
      _mm_mask_storeu_epi8 (dst, mout, _mm_packus_epi16 (b, b));
    }
}

#endif /* FB_KI_X86_FILES */

#endif /* FB_KERNEL_X86_H */
