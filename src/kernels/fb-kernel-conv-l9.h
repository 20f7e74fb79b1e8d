/* fb-kernel-conv-l9.h — the scalar conv path's u2 x i2 blocks gathered by the assembly
 * routine fb_ki_rv32_gather_l9[_si] (fb-kernel-rv32-asm.py), and the padded edge columns
 * skipped (conv_scalar_l9_edges()).  Included once, by fb-kernel-conv-scalar.h (it uses that
 * header's FbKiRq, fb_ki_bytesum2, the routines' declarations); not a public header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#if FB_KI_RV32_ASM
/* fb_ki_rv32_gather_l9[n]'s job (see fb-kernel-rv32-asm.py; int32 words on RV32) and its table
 * of (column offset, columns - 2) per input pixel of a block's kernel row. */
#define FB_KI_G9_NREL 16
typedef struct FbKiG9 {
  int32_t nky;
  const int32_t *tend;
  int32_t x0, win, pxb, rowb, colrow, dq;
  int32_t *rsum;
  const int32_t *tab;
  uint32_t padsum;   /* _si: a padded pixel's crumb sums (8 per word and byte) */
  int32_t tabv[2 * FB_KI_G9_NREL], rsumv[FB_KI_G9_NREL];
} FbKiG9;

typedef char fb_ki_g9_layout_check[offsetof (FbKiG9, dq) == 28 && offsetof (FbKiG9, tab) == 36
                                   && offsetof (FbKiG9, padsum) == 40
                                   && FB_KI_G9_NREL % 4 == 0 ? 1 : -1];

/* Whether fb_ki_rv32_gather_l9[_si] can take this call's full blocks (conv_scalar_l9_fast(),
 * an aligned input at stride 1; its byte sums: words per pixel times kernel rows <= 21);
 * if so, its job's call-invariant fields and table. */
FB_KI_INLINE int
conv_scalar_g9_setup (const uint8_t *input, const FbConvParams *p, FbKiG9 *g)
{
  const int32_t kxn = p->dim_kernel_x, cin = p->ch_in, nrel = kxn + FB_CONV_SC_PIX - 1;
  int32_t rel;
  if (((uintptr_t) input & 3u) != 0 || p->stride_x != 1 || nrel > FB_KI_G9_NREL
      || cin / 16 * p->dim_kernel_y > 21)
    return 0;
  g->win = p->dim_in_x;
  g->pxb = cin / 4;
  g->rowb = p->dim_in_x * (cin / 4);
  g->colrow = kxn * cin * 4;
  g->dq = 4 - cin * 4;
  g->rsum = g->rsumv;
  g->tab = g->tabv;
  g->tend = g->tabv + 2 * nrel;
  g->padsum = (uint32_t) (cin / 16) * 0x08080808u;
  for (rel = 0; rel < nrel; rel++)
    {
      const int32_t q_lo = rel >= kxn ? rel - kxn + 1 : 0;
      const int32_t q_hi = rel < FB_CONV_SC_PIX - 1 ? rel : FB_CONV_SC_PIX - 1;
      g->tabv[2 * rel] = q_lo * 4 + (rel - q_lo) * cin * 4;
      g->tabv[2 * rel + 1] = q_hi - q_lo - 1;
    }
  return 1;
}

/* The gather's per-input-pixel sums (rsumv, one per relative input pixel) cleared before a
 * gather call, 4 words per step (nrel <= FB_KI_G9_NREL, a multiple of 4): a loop of one
 * store per word became a call of picolibc's memset, which stores byte by byte (68
 * instructions for 4 words). */
FB_KI_INLINE void
conv_scalar_g9_clear (FbKiG9 *g, int32_t nrel)
{
  int32_t rel;
  for (rel = 0; rel < nrel; rel += 4)
    {
      g->rsumv[rel] = 0;
      g->rsumv[rel + 1] = 0;
      g->rsumv[rel + 2] = 0;
      g->rsumv[rel + 3] = 0;
    }
}

/* After a gather call: out[j] = the sum of pixel j's nk taps (relative input pixels j ... j
 * + nk - 1), j < n.  While a byte lane of nk taps' sums fits (<= 12 per input word, kernel
 * row and tap: words per pixel * nky * nk <= 21) the taps' rsumv words are added as bytes, a
 * sliding window, and folded once per pixel; else rsumv's byte lanes are folded to one sum
 * per input pixel first. */
FB_KI_INLINE void
conv_scalar_g9_sums (FbKiG9 *g, int32_t nk, int32_t n, int32_t *out)
{
  const int32_t nrel = nk + n - 1;
  int32_t rel, j, k;
  if (g->pxb / 4 * g->nky * nk <= 21)
    {
      uint32_t s = 0;
      for (k = 0; k < nk - 1; k++)
        s += (uint32_t) g->rsumv[k];
      for (j = 0; j < n; j++)
        {
          uint32_t b;
          s += (uint32_t) g->rsumv[j + nk - 1];
          b = fb_ki_bytesum2 (s);
          out[j] = (int32_t) ((b & 0xFFFFu) + (b >> 16));
          s -= (uint32_t) g->rsumv[j];   /* its lanes are within s's: no borrow */
        }
      return;
    }
  for (rel = 0; rel < nrel; rel++)
    {
      const uint32_t b = fb_ki_bytesum2 ((uint32_t) g->rsumv[rel]);
      g->rsumv[rel] = (int32_t) ((b & 0xFFFFu) + (b >> 16));
    }
  for (j = 0; j < n; j++)
    {
      int32_t s = 0;
      for (k = 0; k < nk; k++)
        s += g->rsumv[j + k];
      out[j] = s;
    }
}

/* The unsigned gather for this job: _l9n when a pixel is 2 input words (pxb == 8), which sums
 * a word's crumbs in nibbles and folds the pixel's to bytes once (fb-kernel-rv32-asm.py). */
typedef void (*FbKiG9Fn) (uint8_t *col, const uint8_t *row, const struct FbKiG9 *job);

FB_KI_INLINE FbKiG9Fn
conv_scalar_g9_fn (const FbKiG9 *g)
{
  return g->pxb == 8 ? fb_ki_rv32_gather_l9n : fb_ki_rv32_gather_l9;
}

/* A full block through fb_ki_rv32_gather_l9[_si]: the columns of kernel rows [ky_lo, ky_hi), and
 * colsum[q] = the sum of pixel q's values (its taps x0 + q ... x0 + q + Kx - 1). */
FB_KI_INLINE void
conv_scalar_g9 (const int SI, FbKiG9 *g, const uint8_t *input, const FbConvParams *p,
                int32_t iy0, int32_t ox, int32_t ky_lo, int32_t ky_hi, uint8_t *col,
                int32_t *colsum)
{
  const int32_t kxn = p->dim_kernel_x;
  conv_scalar_g9_clear (g, kxn + FB_CONV_SC_PIX - 1);
  g->nky = ky_hi - ky_lo;
  g->x0 = ox - p->pad_left;
  (SI ? fb_ki_rv32_gather_l9_si : conv_scalar_g9_fn (g)) (
      col, input + (size_t) (iy0 + ky_lo) * (size_t) g->rowb, g);
  conv_scalar_g9_sums (g, kxn, FB_CONV_SC_PIX, colsum);
}

/* One run of n consecutive pixels of a row (1 <= n <= 4) into the block's columns from q0
 * on: fb_ki_rv32_gather_l9 with table tab (nk taps per kernel row, first input pixel x0),
 * its rows from row on (all kyn inside), colsum[q0 + j] = pixel j's value sum. */
FB_KI_INLINE void
conv_scalar_g9_run (FbKiG9 *g, const int32_t *tab, int32_t nk, int32_t n, int32_t x0,
                    int32_t kyn, const uint8_t *row, uint8_t *col, int32_t q0, int32_t *colsum)
{
  const int32_t nrel = nk + n - 1;
  conv_scalar_g9_clear (g, nrel);
  g->tab = tab;
  g->tend = tab + 2 * nrel;
  g->colrow = nk * g->pxb * 16;
  g->x0 = x0;
  g->nky = kyn;
  conv_scalar_g9_fn (g) (col + 4 * q0, row, g);
  conv_scalar_g9_sums (g, nk, n, colsum + q0);
}

/* The table of fb_ki_rv32_gather_l9 for runs of n pixels with nk taps per kernel row. */
FB_KI_INLINE void
conv_scalar_g9_table (int32_t nk, int32_t n, int32_t cin, int32_t *tab)
{
  int32_t rel;
  for (rel = 0; rel < nk + n - 1; rel++)
    {
      const int32_t q_lo = rel >= nk ? rel - nk + 1 : 0, q_hi = rel < n - 1 ? rel : n - 1;
      tab[2 * rel] = q_lo * 4 + (rel - q_lo) * cin * 4;
      tab[2 * rel + 1] = q_hi - q_lo - 1;
    }
}

/* Whether conv_scalar_l9_edges() takes the rows whose kernel rows are all inside (within
 * conv_scalar_l9_call()): an unsigned input, a 3-wide kernel at stride 1 with one column of
 * padding on either side. */
FB_KI_INLINE int
conv_scalar_l9_edges_ok (const FbConvParams *p)
{
  return !(p->flag_relu & FB_KERNEL_FLAG_SIGNED_IN) && p->dim_kernel_x == 3 && p->stride_y == 1
         && p->pad_left == 1 && p->pad_right == 1 && p->dim_out_x == p->dim_in_x
         && p->dim_out_x >= 6;
}

/* The requantized block of 4 pixels whose columns are in col (nw groups), weights w (seg:
 * segments of segb bytes, wskip apart, fb_ki_rv32_dot4_rq_seg), output offsets off[q]. */
FB_KI_INLINE void
conv_scalar_l9_rq (FbKiRq *job, int32_t *colsum, const uint8_t *col, const uint8_t *w, int32_t nw,
                   int seg, int32_t segb, const int32_t *kq, const int32_t *lambda, uint8_t *out,
                   const size_t *off)
{
  int32_t q;
  for (q = 0; q < FB_CONV_SC_PIX; q++)
    colsum[q] *= 2;   /* the weights' bias 2^(W-1) */
  job->corr = colsum;
  job->kappa = kq;
  job->lambda = lambda;
  job->out = out + off[0];
  for (q = 1; q < FB_CONV_SC_PIX; q++)
    job->d[q - 1] = (int32_t) (off[q] - off[0]);
  if (seg)
    fb_ki_rv32_dot4_rq_seg (col, w, col + (size_t) nw * 16, job, segb, segb / 2);
  else
    fb_ki_rv32_dot4_rq (col, w, col + (size_t) nw * 16, job);
}

/* u2 x i2 (conv_scalar_l9_edges_ok()) on output rows [oy_lo, oy_hi), all of whose kernel
 * rows are inside: the padded edge taps skipped.  The rows' inner pixels (x = 1 ... W - 2)
 * go in blocks of 4 in row-major order (a block may span two rows: runs of pixels gathered
 * apart), the edge columns x = 0 and W - 1 in blocks of 4 rows, whose columns hold the 2
 * taps inside per kernel row (fb_ki_rv32_dot4_rq_seg: 2/3 of the groups); the edge pixels
 * of the last rows % 4 rows in blocks with all their taps (the padded ones zero). */
FB_KI_NOINLINE __attribute__ ((unused)) void
conv_scalar_l9_edges (FbKiG9 *g, FbKiRq *job, const uint8_t *input, const uint8_t *wk,
                      const int32_t *kq, const int32_t *lambda, uint8_t *output,
                      const FbConvParams *p, int32_t oy_lo, int32_t oy_hi, uint8_t *col,
                      size_t out_px_bytes)
{
  const int32_t wo = p->dim_out_x, ni = wo - 2, cin = p->ch_in, kyn = p->dim_kernel_y;
  const int32_t nint = (oy_hi - oy_lo) * ni, tapb = cin * 4, nw = kyn * 3 * cin / 4;
  int32_t tab[5][2 * 6];   /* [n]: runs of n pixels, all 3 taps; [0]: 1 pixel, 2 taps */
  int32_t colsum[FB_CONV_SC_PIX], i, q, n, x, y, r, npx, rx[FB_CONV_SC_PIX], ry[FB_CONV_SC_PIX];
  size_t off[FB_CONV_SC_PIX];
  const FbKiG9 keep = *g;   /* conv_scalar_g9()'s table and column stride, restored at the end */

  conv_scalar_g9_table (2, 1, cin, tab[0]);
  for (n = 1; n <= 4; n++)
    conv_scalar_g9_table (3, n, cin, tab[n]);
  /* full blocks of inner pixels: a run of 4 in row y, or the row's last n0 and the next
   * row's first 4 - n0 (positions kept as y, x: no division per pixel) */
  for (i = 0, y = oy_lo, x = 1; i + FB_CONV_SC_PIX <= nint; i += FB_CONV_SC_PIX)
    {
      const uint8_t *row = input + (size_t) (y - p->pad_top) * (size_t) g->rowb;
      const int32_t n0 = wo - 1 - x;   /* inner pixels left in row y (>= 1) */
      const size_t o0 = ((size_t) y * (size_t) wo + (size_t) x) * out_px_bytes;
      n = n0 < FB_CONV_SC_PIX ? n0 : FB_CONV_SC_PIX;
      conv_scalar_g9_run (g, tab[n], 3, n, x - 1, kyn, row, col, 0, colsum);
      for (q = 0; q < n; q++)
        off[q] = o0 + (size_t) q * out_px_bytes;
      if (n < FB_CONV_SC_PIX)
        {
          const size_t o1 = ((size_t) (y + 1) * (size_t) wo + 1) * out_px_bytes;
          conv_scalar_g9_run (g, tab[FB_CONV_SC_PIX - n], 3, FB_CONV_SC_PIX - n, 0, kyn,
                              row + g->rowb, col, n, colsum);
          for (q = n; q < FB_CONV_SC_PIX; q++)
            off[q] = o1 + (size_t) (q - n) * out_px_bytes;
          y++;
          x = 1 + FB_CONV_SC_PIX - n;
        }
      else if ((x += FB_CONV_SC_PIX) == wo - 1)
        {
          y++;
          x = 1;
        }
      conv_scalar_l9_rq (job, colsum, col, wk, nw, 0, 0, kq, lambda, output, off);
    }
  /* the inner pixels left (< 4), and then the edge pixels of the last rows % 4 rows */
  for (; i < nint + (oy_hi - oy_lo) % 4 * 2; i += 4)
    {
      npx = 0;
      for (q = 0; q < FB_CONV_SC_PIX && i + q < nint + (oy_hi - oy_lo) % 4 * 2; q++, npx++)
        {
          const int32_t j = i + q, e = j - nint;
          ry[q] = j < nint ? oy_lo + j / ni : oy_hi - (oy_hi - oy_lo) % 4 + e / 2;
          rx[q] = j < nint ? 1 + j % ni : (e % 2) * (wo - 1);
        }
      for (; q < FB_CONV_SC_PIX; q++)   /* a short block repeats its last pixel */
        {
          ry[q] = ry[npx - 1];
          rx[q] = rx[npx - 1];
        }
      for (q = 0; q < FB_CONV_SC_PIX; q += n)
        {
          const uint8_t *row = input + (size_t) (ry[q] - p->pad_top) * (size_t) g->rowb;
          for (n = 1; q + n < FB_CONV_SC_PIX && q + n < npx && ry[q + n] == ry[q]
                      && rx[q + n] == rx[q] + n && rx[q] >= 1; n++)
            ;
          conv_scalar_g9_run (g, tab[n], 3, n, rx[q] - 1, kyn, row, col, q, colsum);
        }
      for (q = 0; q < FB_CONV_SC_PIX; q++)
        off[q] = ((size_t) ry[q] * (size_t) wo + (size_t) rx[q]) * out_px_bytes;
      conv_scalar_l9_rq (job, colsum, col, wk, nw, 0, 0, kq, lambda, output, off);
    }
  /* the edge columns in blocks of 4 rows: x = 0 (taps 1, 2), x = W - 1 (taps 0, 1) */
  for (y = oy_lo; y + FB_CONV_SC_PIX <= oy_hi; y += FB_CONV_SC_PIX)
    for (r = 0; r < 2; r++)
      {
        const int32_t x = r ? wo - 1 : 0;
        for (q = 0; q < FB_CONV_SC_PIX; q++)
          {
            conv_scalar_g9_run (g, tab[0], 2, 1, r ? wo - 2 : 0, kyn,
                                input + (size_t) (y + q - p->pad_top) * (size_t) g->rowb, col, q,
                                colsum);
            off[q] = ((size_t) (y + q) * (size_t) wo + (size_t) x) * out_px_bytes;
          }
        conv_scalar_l9_rq (job, colsum, col, wk + (r ? 0 : tapb), kyn * 2 * cin / 4, 1,
                           2 * tapb, kq, lambda, output, off);
      }
  g->tab = keep.tab;
  g->tend = keep.tend;
  g->colrow = keep.colrow;
}

/* u2 x i2's 2-bit-output thresholds for fb_ki_rv32_rq_o2m (fb-kernel-rv32-asm.py), made
 * without int64 divisions: per channel 4 int16, T1, T2, T3 and (channel 0 of a block of 4)
 * the block's output XOR mask.  conv_scalar_thresholds()'s condition with one direction:
 * with K = |kappa|, m = n - 1 (kappa >= 0) or -n (kappa < 0), n = L 2^s - lambda, T =
 * clamp (floor (m / K), -R - 1, R), the field is the number of T_j < v, XOR 3 for kappa < 0
 * (its level is the number of v <= T_j; SO's top-bit flip 2 is in the mask too).  Inside
 * the clamp |m| < K (R + 1) < 2^44: q = (m >> sh) / (K >> sh) (sh = the bits of K above 16,
 * a 32-bit division of a dividend < 2^30) is within 2 of floor (m / K), corrected by the
 * exact remainder r = m - q K.  Checked on the host against conv_scalar_thresholds() for
 * 30 M (kappa, lambda, shift, SO), edge values included: equal. */
void fb_ki_rv32_rq_o2m (void);

FB_KI_NOINLINE __attribute__ ((unused)) void
conv_scalar_l9_thresholds (const int SO, int32_t cout, const int32_t *kappa,
                           const int32_t *lambda, int32_t shift, int16_t *thr)
{
  const int32_t R = FB_KI_THR_R;
  int32_t c, j;
  for (c = 0; c < cout; c++, thr += 4)
    {
      const int32_t k = kappa[c];
      const uint32_t K = k < 0 ? 0u - (uint32_t) k : (uint32_t) k;
      const int64_t D = k < 0 ? -((int64_t) 1 << shift) : ((int64_t) 1 << shift);
      const int64_t hi = (int64_t) K * (R + 1), lo = -hi;
      int64_t m = (int64_t) (SO ? -1 : 1) * ((int64_t) 1 << shift) - lambda[c];
      uint32_t t = K >> 16;
      int32_t sh = 0, Ks;
      int16_t *mask;
      if (t >= 256)
        {
          sh += 8;
          t >>= 8;
        }
      if (t >= 16)
        {
          sh += 4;
          t >>= 4;
        }
      if (t >= 4)
        {
          sh += 2;
          t >>= 2;
        }
      sh += (int32_t) (t >= 2) + (int32_t) (t >= 1);
      Ks = (int32_t) (K >> sh);
      m = k < 0 ? -m : m - 1;
      mask = thr - (c % 4) * 4 + 3;   /* channel 0's slot 3 */
      if (c % 4 == 0)
        *mask = (int16_t) (SO ? 0xAA : 0);
      if (k < 0)
        *mask = (int16_t) (*mask ^ (3 << (2 * (c % 4))));
      for (j = 0; j < 3; j++, m += D)
        {
          int32_t q;
          if (k == 0)
            q = m < 0 ? -R - 1 : R;   /* m = n - 1: n <= 0 is m < 0 */
          else if (m >= hi)
            q = R;
          else if (m < lo)
            q = -R - 1;
          else
            {
              const uint32_t ml = (uint32_t) m, mh = (uint32_t) ((uint64_t) m >> 32);
              int64_t r;
              q = (int32_t) ((ml >> sh) | ((mh << 1) << (31 - sh))) / Ks;
              r = m - (int64_t) q * (int64_t) K;
              while (r < 0)
                {
                  q--;
                  r += K;
                }
              while (r >= (int64_t) K)
                {
                  q++;
                  r -= K;
                }
            }
          thr[j] = (int16_t) q;
        }
    }
}

/* conv_scalar_rq_job() for conv_scalar_l9_call(), the thresholds by
 * conv_scalar_l9_thresholds(); every field set one by one (conv_scalar_rq_setup()'s
 * zeroed copy of the job was a call of picolibc's byte-wise memset, ~230 instructions). */
FB_KI_INLINE const int32_t *
conv_scalar_l9_rq_job (const int O, const int SO, const int SI, const FbConvParams *p,
                       const int32_t *kappa, const int32_t *lambda, int32_t chn, int32_t *acc,
                       int32_t wblk, FbKiRq *job)
{
  const int hi = p->out_shift > 32;
  job->pow = hi ? p->out_shift - 32 : (int32_t) ((uint32_t) 1 << (32 - p->out_shift));
  job->maxv = (1 << O) - 1;
  if (hi)
    job->epi = O == 8 ? (SO ? fb_ki_rv32_rq_o8s_hi : fb_ki_rv32_rq_o8_hi)
               : O == 4 ? (SO ? fb_ki_rv32_rq_o4s_hi : fb_ki_rv32_rq_o4_hi)
                        : (SO ? fb_ki_rv32_rq_o2s_hi : fb_ki_rv32_rq_o2_hi);
  else
    job->epi = O == 8 ? (SO ? fb_ki_rv32_rq_o8s : fb_ki_rv32_rq_o8)
               : O == 4 ? (SO ? fb_ki_rv32_rq_o4s : fb_ki_rv32_rq_o4)
                        : (SO ? fb_ki_rv32_rq_o2s : fb_ki_rv32_rq_o2);
  job->kappa = kappa;   /* (kappa, lambda, out and d are set per block) */
  job->lambda = lambda;
  job->out = NULL;
  job->d[0] = job->d[1] = job->d[2] = 0;
  job->corr = NULL;
  job->acc = acc;
  job->nblk = p->ch_out / 4;   /* read, not changed, by the routine */
  job->wblk = wblk;
  job->ccorr = acc + 8;
  if (O == 2 && conv_scalar_thr_ok (SI, p, chn))
    {
      int16_t *thr = (int16_t *) (void *) (acc + 8 + (SI ? p->ch_out : 0));
      conv_scalar_l9_thresholds (SO, p->ch_out, kappa, lambda, p->out_shift, thr);
      job->epi = fb_ki_rv32_rq_o2m;
      return (const int32_t *) (const void *) thr;
    }
  return kappa;
}

/* u2 x i2 (fb_conv_u2_u*_i2 on RV32, FB_CONV_L9_HOOK_2_2 in fb-kernel-conv.c) with prepared
 * weights, requantized in registers (fb_ki_rv32_dot4_rq[_si]) from an aligned input at stride
 * 1 (conv_scalar_g9_setup()), every output row with kernel rows inside and its whole column
 * in one part: the whole call, returning 1; else 0 with nothing written (conv_generic() and
 * conv_scalar() take the call, and report any error).  The same set-up as conv_scalar()'s,
 * then full blocks gathered by fb_ki_rv32_gather_l9[_si], short ones by
 * conv_scalar_gather_l9(), the padded edge columns skipped by conv_scalar_l9_edges() when
 * conv_scalar_l9_edges_ok().  One function for the three variants, called before
 * conv_generic(), so that the others' code is not changed by it (a call in conv_scalar(),
 * even in code removed for them, changed GCC's code for every variant). */
FB_KI_NOINLINE __attribute__ ((unused)) int
conv_scalar_l9_call (int O, const uint8_t *input, const uint8_t *weights, const int32_t *kappa,
                     const int32_t *lambda, uint8_t *output, const FbConvParams *params,
                     void *buffer, size_t buffer_size)
{
  const FbConvParams *p = params;
  int32_t kxn, kyn, cin, cout, oy, ox, ky_lo, ky_hi, e_lo = 0, e_hi = 0, chn, cc_lo = -1,
          cc_hi = -1;
  int SI, SO, rq;
  size_t kp, kc, out_px_bytes;
  int32_t *acc;
  uint8_t *col;
  const int32_t *kq, *rowsum;
  FbConvParams flat;
  FbKiRq jobv, *job = &jobv;
  FbKiG9 g;

  if (input == NULL || weights == NULL || kappa == NULL || lambda == NULL || output == NULL
      || params == NULL || buffer == NULL || fb_ki_check_conv (2, O, 2, 0, params) != FB_KERNEL_OK
      || !(params->flag_relu & FB_KERNEL_FLAG_PREPARED_WEIGHTS)
      || (params->flag_relu & FB_KERNEL_FLAG_HOST_PREPARED) || ((uintptr_t) weights & 3u) != 0)
    return 0;
  SI = (params->flag_relu & FB_KERNEL_FLAG_SIGNED_IN) != 0;
  SO = (params->flag_relu & FB_KERNEL_FLAG_SIGNED_OUT) != 0;
  kxn = p->dim_kernel_x;
  kyn = p->dim_kernel_y;
  cin = p->ch_in;
  cout = p->ch_out;
  /* (conv_scalar_kp(), conv_scalar_channels_per_pass() and conv_scalar_buffer_size() written
   * out: a call from here changed GCC's inlining of them into the other variants) */
  kp = FB_KI_ALIGN_UP ((size_t) kxn * (size_t) kyn * (size_t) cin, 4);
  kc = kp < FB_CONV_SC_KC ? kp : FB_CONV_SC_KC;
  out_px_bytes = (size_t) cout * (size_t) O / 8;
  chn = FB_KI_ALIGN_UP (cout, 4) < FB_CONV_SC_CH ? FB_KI_ALIGN_UP (cout, 4) : FB_CONV_SC_CH;
  if (buffer_size < 4 + (size_t) (FB_CONV_SC_PIX * chn * 4) + FB_CONV_SC_PIX * kc)
    return 0;
  acc = (int32_t *) fb_ki_align_ptr (buffer, 4);
  col = (uint8_t *) (acc + FB_CONV_SC_PIX * chn);
  FB_CONV_SC_FLAT_1X1 (kxn, kyn, p, flat);
  if (!conv_scalar_l9_fast (2, 2, p) || (SI && cout + 8 > FB_CONV_SC_PIX * chn))
    return 0;
  rq = conv_scalar_rq_ok (2, 2, SI, p, kappa, O == 2 && conv_scalar_thr_ok (SI, p, chn));
  if (!rq || !conv_scalar_g9_setup (input, p, &g) || (size_t) (kyn * kxn * cin) > kc)
    return 0;
  for (oy = 0; oy < p->dim_out_y; oy++)
    {
      fb_ki_rows_inside (p, oy, &ky_lo, &ky_hi);
      if (ky_hi == ky_lo)
        return 0;
    }
  kq = conv_scalar_l9_rq_job (O, SO, SI, p, kappa, lambda, chn, acc, (int32_t) kp * 4, job);
  if (rq == 2)
    conv_scalar_rq_sh (O, SO, p, job);
  rowsum = (const int32_t *) (const void *) (weights + FB_KI_ALIGN_UP ((size_t) cout, 4) * kp);
  if (conv_scalar_l9_edges_ok (p))
    {
      e_lo = p->pad_top;
      e_hi = p->dim_in_y - kyn + p->pad_top + 1 < p->dim_out_y
             ? p->dim_in_y - kyn + p->pad_top + 1 : p->dim_out_y;
    }
  for (oy = 0; oy < p->dim_out_y; oy++)
    {
      const int32_t iy0 = fb_ki_rows_inside (p, oy, &ky_lo, &ky_hi);
      const int32_t kn = (ky_hi - ky_lo) * kxn * cin;
      const uint8_t *w = weights + (size_t) ky_lo * (size_t) kxn * (size_t) cin * 4;
      if (oy == e_lo && e_hi > e_lo)
        {
          conv_scalar_l9_edges (&g, job, input, weights, kq, lambda, output, p, e_lo, e_hi, col,
                                out_px_bytes);
          oy = e_hi - 1;
          continue;
        }
      if (SI && (ky_lo != cc_lo || ky_hi != cc_hi))   /* as the row before's: kept */
        {
          conv_scalar_rq_ccorr (2, cout, rowsum, kyn, ky_lo, ky_hi, acc + 8);
          cc_lo = ky_lo;
          cc_hi = ky_hi;
        }
      for (ox = 0; ox < p->dim_out_x; ox += FB_CONV_SC_PIX)
        {
          const int32_t npx = p->dim_out_x - ox < FB_CONV_SC_PIX ? p->dim_out_x - ox
                                                                 : FB_CONV_SC_PIX;
          uint8_t *out = output + ((size_t) oy * (size_t) p->dim_out_x + (size_t) ox)
                                  * out_px_bytes;
          int32_t colsum[FB_CONV_SC_PIX] = { 0, 0, 0, 0 };
          if (npx == FB_CONV_SC_PIX)
            conv_scalar_g9 (SI, &g, input, p, iy0, ox, ky_lo, ky_hi, col, colsum);
          else if (SI)
            conv_scalar_gather_l9 (1, 1, 1, input, p, iy0, ox, npx, ky_lo, ky_hi, col, colsum);
          else
            conv_scalar_gather_l9 (1, 1, 0, input, p, iy0, ox, npx, ky_lo, ky_hi, col, colsum);
          if (SI)
            conv_scalar_rq_block (0, 1, job, colsum, 2, col, w, kn / 4, kq, lambda, out, npx,
                                  out_px_bytes);
          else
            conv_scalar_rq_block (0, 0, job, colsum, 2, col, w, kn / 4, kq, lambda, out, npx,
                                  out_px_bytes);
        }
    }
  return 1;
}
#endif
