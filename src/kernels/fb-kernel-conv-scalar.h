/* fb-kernel-conv-scalar.h — the scalar (RV32IMC) path of the conv template.
 * Included by fb-kernel-conv.c only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Blocks of 4 output pixels (along x, same output row) x 4 output channels.
 *
 * - im2col: the 4 pixels' columns (kernel rows inside the input only) are unpacked to one
 *   value per byte and stored in groups of 4 k steps, x[g * 16 + pixel * 4 + j], so a pixel's
 *   4 consecutive values are one word (word copies / in-register nibble spreading) and the
 *   inner loop reads everything through one pointer with constant offsets.  Sub-byte inputs
 *   whose taps are whole words go by whole words in a permuted k order, the weights laid out
 *   in the same order (conv_scalar_perm()).  A short block (fewer than 4 pixels left in the
 *   row) is padded with zero columns, outputs dropped.
 * - Weights are unpacked once per call into blocks of 4 channels (zero channels beyond
 *   ch_out), in the form the inner loop wants (see fb-kernel-rv32-asm.py).
 * - u8 x i8 ("plain"): 16 int32 accumulators, one mul + one add per MAC.
 * - Any sub-byte operand ("SWAR"): weights are biased to unsigned, w' = w + 2^(W-1), and
 *   2 (16-bit lanes) or 4 (8-bit lanes, u2 x i2) output channels share one 32-bit word, so
 *   one mul computes 2 or 4 products, which accumulate in the lanes of one register for up to
 *   T k steps (T = lane capacity / max product, e.g. 65535 / (255 * 15) = 17 for u8 x i4),
 *   then are flushed to the int32 accumulators.  On RV32 pairs of blocks go through one
 *   4 pixels x 8 channels loop (a pixel's value loaded once for 8 channels).  The bias is removed per output as
 *   acc -= 2^(W-1) * sum(x), the column sum of each pixel being computed once per block.
 *   u2 x i2 instead multiplies a pixel's word of 4 k steps by a channel's word of 4 weights
 *   in reversed byte order: the top byte of the product is their 4-step dot product (see
 *   fb_ki_rv32_dot4_4x4 in fb-kernel-rv32-asm.py).  u4 x i4 / i2 with Cin a multiple of 8
 *   ("T3", conv_scalar_t3()): 3 k steps per word in 12-bit lanes, their dot product in the
 *   high word of one mulhu (fb_ki_rv32_dot3_4x4).
 * - A column longer than FB_CONV_SC_KC k steps is gathered and multiplied in parts, the later
 *   parts adding to the accumulators, so the im2col stays under 1.5 KB.
 * - On RISC-V the k loops are assembly (fb-kernel-rv32-asm.inc); elsewhere (the tests force
 *   this path on the host) the C twins below compute exactly the same thing.
 */

#define FB_CONV_SC_PIX 4

/* Lanes per 32-bit word for input bits A and weight bits W (1 = plain int32 accumulation). */
FB_KI_INLINE int
fb_ki_swar_lanes (int A, int W)
{
  if (A == 8 && W == 8)
    return 1;
  if (A == 2 && W == 2)
    return 4;
  return 2;
}

/* Groups of 4 k steps that the lanes can accumulate before a flush. */
FB_KI_INLINE int32_t
fb_ki_swar_chunk4 (int A, int W)
{
  const int32_t maxprod = ((1 << A) - 1) * ((1 << W) - 1);
  const int lanes = fb_ki_swar_lanes (A, W);
  /* u2 x i2: 9-bit lanes in the high word of a mulhu (fb_ki_rv32_dot4_4x4), 14 groups */
  const int32_t cap = lanes == 4 ? 511 : 65535;
  return lanes == 1 ? 0 : cap / maxprod / 4;
}

/* Bytes of prepared weights per k step of a 4-channel block. */
FB_KI_INLINE size_t
fb_ki_swar_wbytes (int A, int W)
{
  return fb_ki_swar_lanes (A, W) == 2 ? 8 : 4;
}

static size_t
conv_scalar_kp (size_t k)
{
  return FB_KI_ALIGN_UP (k, 4);
}

/* Longest part of a column gathered at once (a multiple of 16): a longer reduction (a 1x1
 * conv on 1024 channels, a 3x3 on 64) is gathered and multiplied in parts of this many k
 * steps, so the im2col of 4 pixels takes at most 4 * 368 B and the whole scratch stays under
 * 2 KiB. */
#define FB_CONV_SC_KC 368

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) \
    && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FB_KI_LITTLE_ENDIAN 1
#else
#define FB_KI_LITTLE_ENDIAN 0
#endif

/* u4 x i4 / i2 by three k steps per mulhu ("T3", fb_ki_rv32_dot3_4x4): when each tap's
 * channels are whole 32-bit words of the input (cin a multiple of 8), the words of a kernel
 * row (kxn * cin / 8 of them, contiguous in the input) are spread by triplets v0 v1 v2 into 8
 * words of 3 values in 12-bit lanes (bits 4, 16, 28; M = 0xF00F00F0):
 *   v0 & M, (v0 << 4) & M, the same of v1 and v2, ((v0 >> 4) & M) | (v2 >> 8) << 28,
 *   ((v1 >> 4) & M) | (v2 >> 20) << 28
 * (a last 1 or 2 words: v & M, (v << 4) & M each, then (v >> 4) & M each, whose top lane is
 * empty).  conv_scalar_t3_k() gives the k step of each lane; the prepared weights follow it.
 * Taken when the column has at most 96 X words (16 bytes each for 4 pixels: the scalar conv's
 * scratch stays at most 64 bytes above the byte path's largest, 1,988 B). */
FB_KI_INLINE int32_t
conv_scalar_t3_row_words (int32_t kxn, int32_t cin)
{
  const int32_t r = kxn * cin / 8;
  return 8 * (r / 3) + 3 * (r % 3);
}

FB_KI_INLINE int
conv_scalar_t3 (const int A, const int W, const FbConvParams *p)
{
  return FB_KI_LITTLE_ENDIAN && A == 4 && W != 8 && p->ch_in % 8 == 0
         && (size_t) p->dim_kernel_y * (size_t) conv_scalar_t3_row_words (p->dim_kernel_x,
                                                                          p->ch_in)
              <= 96;
}

/* The k step (from the kernel row's start) of lane s of X word i of a kernel row of r input
 * words, or -1 for an empty lane. */
FB_KI_INLINE int32_t
conv_scalar_t3_k (int32_t r, int32_t i, int s)
{
  /* per word of a triplet: (input word, nibble) of lanes 0, 1, 2 */
  static const signed char full[8][3][2] = {
    { { 0, 1 }, { 0, 4 }, { 0, 7 } }, { { 0, 0 }, { 0, 3 }, { 0, 6 } },
    { { 1, 1 }, { 1, 4 }, { 1, 7 } }, { { 1, 0 }, { 1, 3 }, { 1, 6 } },
    { { 2, 1 }, { 2, 4 }, { 2, 7 } }, { { 2, 0 }, { 2, 3 }, { 2, 6 } },
    { { 0, 2 }, { 0, 5 }, { 2, 2 } }, { { 1, 2 }, { 1, 5 }, { 2, 5 } },
  };
  const int32_t t = i / 8, j = i % 8, base = 24 * t;
  if (t < r / 3)
    return base + 8 * full[j][s][0] + full[j][s][1];
  /* the last 1 or 2 words: v & M, (v << 4) & M per word, then (v >> 4) & M per word */
  {
    const int32_t n = r % 3;
    static const signed char nib[3][3] = { { 1, 4, 7 }, { 0, 3, 6 }, { 2, 5, -1 } };
    const int32_t kind = j < 2 * n ? j % 2 : 2, word = j < 2 * n ? j / 2 : j - 2 * n;
    return nib[kind][s] < 0 ? -1 : base + 8 * word + nib[kind][s];
  }
}

/* Reduction lengths (k steps, rounded up to groups of 4) up to which a variant of 16-bit SWAR
 * lanes may take the u8 x i8 form (conv_scalar_wide()); not measured beyond. */
#define FB_CONV_SC_WIDE_K 40

/* Whether the u8 x i8 form beats the 16-bit lanes for the operands (A, W, O), kp k steps
 * (rounded up to 4) and ch_out channels: ch_out * (kp - k0) <= kpx.  Per output pixel the lane
 * form costs about P + ch_out * (c + m * kp), the wide form P' + ch_out * (c' + m' * kp), with
 * m' - m = 0.9 (W = 4 lanes, a4w8) / 1.25 (a 2-bit operand) and c - c' = 34..45 (its C bias
 * correction and requantization), P - P' = 60..260 (the lanes' per-pixel gather, shared by
 * all channels); so the wide form pays below kp = k0 = (c - c') / (m' - m) whatever ch_out,
 * and up to kpx / ch_out k steps more.  Both chosen inside the region where every measured
 * layer takes its faster form (rv32imc, latency measure on the bundled networks' 1x1 convs of
 * 8..32 channels and 3x3 convs of 1 and 3 channels, and 1x1 convs of 12..40 channels to 8..256
 * channels on 14x14; docs/kernels.md, round 18): e.g. a8w2o8 at kp 32 pays to 48 channels
 * (0.907 at 16, 0.996 at 48) but not at 64 (1.015, fmnist-mbv1 pw3) or 192 (1.036,
 * mobilenet-v2 b5..b7 expand).  [log2(A) - 1][log2(W) - 1][log2(O) - 1] = { k0, kpx }. */
static const struct
{
  unsigned char k0;
  unsigned short kpx;
} fb_conv_sc_wide_rule[3][3][3] = {
  {
    { {  0,   0 }, {  0,   0 }, {  0,   0 } },   /* a2w2 o2 o4 o8 */
    { { 34,  84 }, { 32,  92 }, { 30,  76 } },   /* a2w4 o2 o4 o8 */
    { { 36,  84 }, { 33,  80 }, { 31, 128 } },   /* a2w8 o2 o4 o8 */
  },
  {
    { { 33,  48 }, { 29,  48 }, { 28,  44 } },   /* a4w2 o2 o4 o8 */
    { { 35,  44 }, { 31,  44 }, { 29,  68 } },   /* a4w4 o2 o4 o8 */
    { { 44, 132 }, { 40, 164 }, { 38, 152 } },   /* a4w8 o2 o4 o8 */
  },
  {
    { { 32, 168 }, { 29, 176 }, { 29, 176 } },   /* a8w2 o2 o4 o8 */
    { { 42, 220 }, { 37, 208 }, { 36, 256 } },   /* a8w4 o2 o4 o8 */
    { {  0,   0 }, {  0,   0 }, {  0,   0 } },   /* a8w8 o2 o4 o8 */
  },
};

/* Whether a variant with a sub-byte operand and 16-bit SWAR lanes (not T3) takes the u8 x i8
 * form: its prepared weights widened to int8 in the plain layout (1 B per weight instead of
 * the lanes' 2), its input gathered one value per byte, then the plain blocks, and for an
 * unsigned input the fused path with the variant's output epilogue.  On a short reduction
 * the SWAR path's per-output work (bias correction, requantization in C) and per-pixel gather
 * outweigh its cheaper products (fb_conv_sc_wide_rule).  A property of the operands and the
 * geometry (and the signed input flag) only, so that fb_conv_prepare_weights() and the call
 * agree. */
FB_KI_INLINE int
conv_scalar_wide (const int A, const int W, const int O, const FbConvParams *p)
{
  const size_t kp = conv_scalar_kp ((size_t) p->dim_kernel_x * (size_t) p->dim_kernel_y
                                    * (size_t) p->ch_in);
  const size_t k0 = fb_conv_sc_wide_rule[A >> 2][W >> 2][O >> 2].k0;
  return fb_ki_swar_lanes (A, W) == 2 && !conv_scalar_t3 (A, W, p)
         && !(p->flag_relu & FB_KERNEL_FLAG_SIGNED_IN) && kp <= FB_CONV_SC_WIDE_K
         && (kp <= k0
             || (p->ch_out > 0 && p->ch_out <= 4096
                 && (size_t) p->ch_out * (kp - k0)
                      <= fb_conv_sc_wide_rule[A >> 2][W >> 2][O >> 2].kpx));
}

/* Bytes of the prepared weights of one block of 4 channels (not conv_scalar_wide(), whose
 * blocks take 4 bytes per k step). */
FB_KI_INLINE size_t
conv_scalar_wblk (int A, int W, const FbConvParams *p)
{
  if (conv_scalar_t3 (A, W, p))
    return (size_t) p->dim_kernel_y
           * (size_t) conv_scalar_t3_row_words (p->dim_kernel_x, p->ch_in) * 16;
  return conv_scalar_kp ((size_t) p->dim_kernel_x * (size_t) p->dim_kernel_y
                         * (size_t) p->ch_in)
         * fb_ki_swar_wbytes (A, W);
}

/* Output channels per pass over an im2col block: the int32 accumulators of 4 pixels take
 * 4 * 4 * FB_CONV_SC_CH bytes of scratch whatever ch_out is (a multiple of 8, so every pass
 * starts on a whole output byte at 2 and 4 bits). */
#define FB_CONV_SC_CH 32

/* Zero bytes after the prepared layout: the fused path reads its weights in groups of 4 k
 * steps from the first kernel row inside the input, which can run up to 16 B past the last
 * block (those weights meet zero columns). */
#define FB_CONV_SC_WSLACK 16

/* Bytes of the prepared weights (fb_conv_prepare_weights()) but for conv_scalar_wide(): the
 * blocks of 4 channels, then for a signed input the int32 weight sum of each channel and
 * kernel row, then the slack. */
static size_t
conv_scalar_prepared_size (int in_bits, int w_bits, const FbConvParams *p)
{
  size_t cout4 = FB_KI_ALIGN_UP ((size_t) p->ch_out, 4);
  return cout4 / 4 * conv_scalar_wblk (in_bits, w_bits, p)
         + ((p->flag_relu & FB_KERNEL_FLAG_SIGNED_IN)
              ? (size_t) p->ch_out * (size_t) p->dim_kernel_y * 4 : 0)
         + FB_CONV_SC_WSLACK;
}

/* Bytes of the prepared weights (fb_conv_prepare_weights()), conv_scalar_wide() included: its
 * int8 blocks of 4 channels, 4 bytes per k step, then the slack. */
static size_t
conv_scalar_prepared_size_any (int in_bits, int out_bits, int w_bits, const FbConvParams *p)
{
  if (conv_scalar_wide (in_bits, w_bits, out_bits, p))
    return FB_KI_ALIGN_UP ((size_t) p->ch_out, 4)
             * conv_scalar_kp ((size_t) p->dim_kernel_x * (size_t) p->dim_kernel_y
                               * (size_t) p->ch_in)
           + FB_CONV_SC_WSLACK;
  return conv_scalar_prepared_size (in_bits, w_bits, p);
}

static size_t
conv_scalar_channels_per_pass (const FbConvParams *p)
{
  size_t cout4 = FB_KI_ALIGN_UP ((size_t) p->ch_out, 4);
  return cout4 < FB_CONV_SC_CH ? cout4 : FB_CONV_SC_CH;
}

/* Bytes of the im2col of 4 pixels: one byte per k step, at most FB_CONV_SC_KC of them
 * (T3: 16 bytes per group of 3 k steps, at most as many as that). */
FB_KI_INLINE size_t
conv_scalar_col_bytes (int in_bits, int w_bits, const FbConvParams *p)
{
  size_t k = (size_t) p->dim_kernel_x * (size_t) p->dim_kernel_y * (size_t) p->ch_in;
  size_t kc = conv_scalar_kp (k) < FB_CONV_SC_KC ? conv_scalar_kp (k) : FB_CONV_SC_KC;
  size_t t3 = conv_scalar_t3 (in_bits, w_bits, p) ? conv_scalar_wblk (in_bits, w_bits, p) : 0;
  return t3 > FB_CONV_SC_PIX * kc ? t3 : FB_CONV_SC_PIX * kc;
}

/* The scratch of conv_scalar_wide() without prepared weights (its int8 weights per call);
 * out of line (conv_scalar_buffer_size() is inlined into the variants). */
FB_KI_NOINLINE size_t
conv_scalar_buffer_size_wide (const FbConvParams *p)
{
  const size_t kp = conv_scalar_kp ((size_t) p->dim_kernel_x * (size_t) p->dim_kernel_y
                                    * (size_t) p->ch_in);
  return 4 + FB_CONV_SC_PIX * conv_scalar_channels_per_pass (p) * 4 + FB_CONV_SC_PIX * kp
         + FB_KI_ALIGN_UP ((size_t) p->ch_out, 4) * kp + FB_CONV_SC_WSLACK;
}

static size_t
conv_scalar_buffer_size (int in_bits, int w_bits, const FbConvParams *p)
{
  return 4                                                  /* alignment slack */
         + FB_CONV_SC_PIX * conv_scalar_channels_per_pass (p) * 4 /* int32 accumulators */
         + conv_scalar_col_bytes (in_bits, w_bits, p)       /* im2col of 4 pixels */
         + ((p->flag_relu & FB_KERNEL_FLAG_PREPARED_WEIGHTS)
              ? 0 : conv_scalar_prepared_size (in_bits, w_bits, p)); /* weights per call */
}


/* Whether a sub-byte input is gathered by whole words in the permuted k order: when every
 * tap's channels are whole 32-bit words of the input (cin a multiple of 32 / A), a word of
 * 8 / A values per byte is spread by one shift and mask per field, field f of each byte
 * landing in group f, so within each run of 32 / A k steps value i (field i % F of byte
 * i / F, F = 8 / A) is stored at position (i % F) * 4 + i / F.  The prepared weights are laid
 * out in the same order, so the dot products are unchanged. */
FB_KI_INLINE int
conv_scalar_perm (const int A, int32_t cin)
{
  return FB_KI_LITTLE_ENDIAN && A < 8 && cin % (32 / A) == 0;
}

/* The im2col position of k step k (see conv_scalar_perm()).  L9 (u2 x i2, the 9-bit lanes of
 * fb_ki_rv32_dot4_4x4): the word of 16 crumbs is spread by nibbles of its halves
 * (conv_scalar_l9_word()), group g taking crumbs 2g, 2g + 1, 2g + 9, 2g + 8 in lanes 0-3. */
FB_KI_INLINE size_t
conv_scalar_kpos (const int A, const int L9, const int perm, int32_t k)
{
  const int32_t F = 8 / A, U = 32 / A, i = k % U;
  if (perm && L9)
    return (size_t) (k - i + (i < 8 ? (i / 2) * 4 + i % 2 : ((i - 8) / 2) * 4 + 3 - i % 2));
  return perm ? (size_t) (k - i + (i % F) * 4 + i / F) : (size_t) k;
}

/* Unpack the weight rows and arrange them in blocks of 4 channels (see top of file).  The
 * biased value w + 2^(W-1) of a W-bit two's complement w is its bit pattern XOR 2^(W-1). */
FB_KI_INLINE void
conv_scalar_prepare_weights (const int A, const int W, const int perm, const uint8_t *weights,
                             int32_t k_len, size_t rb, size_t kp, int32_t cout, void *wbuf)
{
  const int lanes = fb_ki_swar_lanes (A, W);
  const int32_t cout4 = (cout + 3) & ~3;
  const int G = 4 / lanes;
  int32_t c, k;

  if (lanes == 1)
    {
      int8_t *wb = (int8_t *) wbuf;
      for (c = 0; c < cout4; c++)
        {
          int8_t *d = wb + (size_t) (c / 4) * kp * 4 + (size_t) (c % 4);
          const uint8_t *src = weights + (size_t) c * rb;
          for (k = 0; k < k_len && c < cout; k++)
            d[(size_t) k * 4] = (int8_t) src[k];
          /* zeros for channels >= cout and for k up to kp (the fused path multiplies the
           * zero values past a column's end with them) */
          for (; k < (int32_t) kp; k++)
            d[(size_t) k * 4] = 0;
        }
      return;
    }

  /* zero, then OR each channel's biased values into its lane (channels >= cout stay 0) */
  for (c = 0; c < cout4 / 4; c++)
    {
      uint32_t *d = (uint32_t *) wbuf + (size_t) c * kp * (size_t) G;
      for (k = 0; k < (int32_t) kp * G; k++)
        d[k] = 0;
    }
  for (c = 0; c < cout; c++)
    {
      uint32_t *d = (uint32_t *) wbuf + (size_t) (c / 4) * kp * (size_t) G
                    + (size_t) ((c % 4) / lanes);
      const int sh = (c % lanes) * (32 / lanes);
      const uint8_t *src = weights + (size_t) c * rb;
      if (W == 8)
        {
          for (k = 0; k < k_len; k++)
            d[conv_scalar_kpos (A, 0, perm, k) * G] |= (uint32_t) (src[k] ^ 0x80u) << sh;
        }
      else if (W == 4)
        {
          for (k = 0; k + 2 <= k_len; k += 2)
            {
              const uint32_t b = src[k / 2] ^ 0x88u;
              d[conv_scalar_kpos (A, 0, perm, k) * G] |= (b & 15u) << sh;
              d[conv_scalar_kpos (A, 0, perm, k + 1) * G] |= (b >> 4) << sh;
            }
          if (k < k_len)
            d[conv_scalar_kpos (A, 0, perm, k) * G] |= ((src[k / 2] ^ 0x08u) & 15u) << sh;
        }
      else if (lanes == 4)
        {
          /* u2 x i2 (dot4): per group of 4 k one word per channel, w'[k + j] at bit 29 - 9 j */
          uint32_t *dc = (uint32_t *) wbuf + (size_t) (c / 4) * kp + (size_t) (c % 4);
          for (k = 0; k < k_len; k++)
            {
              const size_t kk = conv_scalar_kpos (A, 1, perm, k);
              dc[kk & ~(size_t) 3] |= ((((uint32_t) src[k / 4] >> (2 * (k % 4))) & 3u) ^ 2u)
                                      << (29 - 9 * (kk % 4));
            }
        }
      else
        {
          for (k = 0; k + 4 <= k_len; k += 4)
            {
              const uint32_t b = src[k / 4] ^ 0xAAu;
              d[conv_scalar_kpos (A, 0, perm, k) * G] |= (b & 3u) << sh;
              d[conv_scalar_kpos (A, 0, perm, k + 1) * G] |= ((b >> 2) & 3u) << sh;
              d[conv_scalar_kpos (A, 0, perm, k + 2) * G] |= ((b >> 4) & 3u) << sh;
              d[conv_scalar_kpos (A, 0, perm, k + 3) * G] |= (b >> 6) << sh;
            }
          for (; k < k_len; k++)
            d[conv_scalar_kpos (A, 0, perm, k) * G]
              |= ((((uint32_t) src[k / 4] >> (2 * (k % 4))) & 3u) ^ 2u) << sh;
        }
    }
}

/* The whole prepared layout at @out (4-byte aligned): blocks, then the signed input's row
 * sums.  rowsum[c * Ky + ky] = the sum of channel c's weights in kernel row ky. */
FB_KI_INLINE void
conv_scalar_prepare_all (const int A, const int W, const uint8_t *weights, const FbConvParams *p,
                         uint8_t *out)
{
  const int32_t cin = p->ch_in, cout = p->ch_out;
  const int32_t kxn = p->dim_kernel_x, kyn = p->dim_kernel_y;
  const size_t k_len = (size_t) kxn * (size_t) kyn * (size_t) cin;
  const size_t kp = conv_scalar_kp (k_len);
  const size_t cout4 = FB_KI_ALIGN_UP ((size_t) cout, 4);
  const size_t rb = fb_kernel_weight_row_bytes (k_len, W);
  int32_t *rowsum = (int32_t *) (void *) (out + cout4 / 4 * conv_scalar_wblk (A, W, p));
  int32_t c, ky, e;

  if (conv_scalar_t3 (A, W, p))
    {
      /* per block, kernel row and X word one word per channel, w' of lane s at 28 - 12 s */
      const int32_t r = kxn * cin / 8, nx = conv_scalar_t3_row_words (kxn, cin);
      uint32_t *d = (uint32_t *) (void *) out;
      int32_t i, s;
      (void) kp;
      for (c = 0; c < (int32_t) cout4; c++)
        for (ky = 0; ky < kyn; ky++)
          for (i = 0; i < nx; i++)
            {
              uint32_t word = 0;
              for (s = 0; s < 3 && c < cout; s++)
                {
                  const int32_t k = conv_scalar_t3_k (r, i, s);
                  if (k >= 0)
                    word |= (uint32_t) (fb_ki_get_s (W, weights + (size_t) c * rb,
                                                     (size_t) (ky * kxn * cin + k))
                                        + (1 << (W - 1)))
                            << (28 - 12 * s);
                }
              d[((size_t) (c / 4) * (size_t) kyn * (size_t) nx + (size_t) ky * (size_t) nx
                 + (size_t) i) * 4 + (size_t) (c % 4)] = word;
            }
    }
  else
    conv_scalar_prepare_weights (A, W, conv_scalar_perm (A, cin), weights, (int32_t) k_len, rb,
                                 kp, cout, out);
  if (p->flag_relu & FB_KERNEL_FLAG_SIGNED_IN)
    for (c = 0; c < cout; c++)
      for (ky = 0; ky < kyn; ky++)
        {
          int32_t s = 0;
          for (e = 0; e < kxn * cin; e++)
            s += fb_ki_get_s (W, weights + (size_t) c * rb, (size_t) (ky * kxn * cin + e));
          rowsum[c * kyn + ky] = s;
        }
  memset ((uint8_t *) (void *) rowsum
            + ((p->flag_relu & FB_KERNEL_FLAG_SIGNED_IN) ? (size_t) cout * (size_t) kyn * 4 : 0),
          0, FB_CONV_SC_WSLACK);
}

/* The prepared layout of a variant widened to u8 x i8 (conv_scalar_wide()) at @out (4-byte
 * aligned): the u8 x i8 blocks of 4 channels, kp k steps of 4 int8 weights each (zeros for
 * the channels beyond ch_out and the k steps beyond the reduction), in the k order of the
 * input's gather (conv_scalar_kpos(): a sub-byte input with whole-word taps is gathered in
 * the permuted order), then the slack. */
static void
conv_scalar_prepare_wide (int A, int W, const uint8_t *weights, const FbConvParams *p,
                          uint8_t *out)
{
  const int32_t cout = p->ch_out;
  const int32_t k_len = p->dim_kernel_x * p->dim_kernel_y * p->ch_in;
  const size_t kp = conv_scalar_kp ((size_t) k_len);
  const size_t cout4 = FB_KI_ALIGN_UP ((size_t) cout, 4);
  const size_t rb = fb_kernel_weight_row_bytes ((size_t) k_len, W);
  const int perm = conv_scalar_perm (A, p->ch_in);
  int32_t c, k;

  memset (out, 0, cout4 * kp + FB_CONV_SC_WSLACK);
  for (c = 0; c < cout; c++)
    {
      int8_t *d = (int8_t *) (void *) out + (size_t) (c / 4) * kp * 4 + (size_t) (c % 4);
      for (k = 0; k < k_len; k++)
        d[conv_scalar_kpos (A, 0, perm, k) * 4]
          = (int8_t) fb_ki_get_s (W, weights + (size_t) c * rb, (size_t) k);
    }
}

#if FB_KI_SCALAR

#if defined(__riscv) && defined(__riscv_mul) && __riscv_xlen == 32 && !defined(FB_KERNEL_NO_ASM)
#define FB_KI_RV32_ASM 1
/* see fb-kernel-rv32-asm.py for the contract */
void fb_ki_rv32_plain_4x4 (const uint8_t *x, const int8_t *w, const uint8_t *xend, int32_t *acc,
                           int32_t stride_bytes, int32_t nblk, int32_t wblk_bytes);
void fb_ki_rv32_plain_4x4_add (const uint8_t *x, const int8_t *w, const uint8_t *xend,
                               int32_t *acc, int32_t stride_bytes, int32_t nblk,
                               int32_t wblk_bytes);
void fb_ki_rv32_swar2_4x4 (const uint8_t *x, const uint32_t *w, const uint8_t *xend,
                           int32_t *acc, int32_t stride_bytes, int32_t chunk_bytes, int32_t nblk,
                           int32_t wblk_bytes);
void fb_ki_rv32_swar2_4x8 (const uint8_t *x, const uint32_t *w, const uint8_t *xend,
                           int32_t *acc, int32_t stride_bytes, int32_t chunk_bytes, int32_t npair,
                           int32_t wblk_bytes);
void fb_ki_rv32_dot4_4x4 (const uint8_t *x, const uint32_t *w, const uint8_t *xend,
                          int32_t *acc, int32_t stride_bytes, int32_t chunk_bytes, int32_t nblk,
                          int32_t wblk_bytes);
void fb_ki_rv32_dot3_4x4 (const uint8_t *x, const uint32_t *w, const uint8_t *xend,
                          int32_t *acc, int32_t stride_bytes, int32_t chunk_bytes, int32_t nblk,
                          int32_t wblk_bytes);
struct FbKiRq;
void fb_ki_rv32_dot3_rq (const uint8_t *x, const uint8_t *w, const uint8_t *xend,
                         struct FbKiRq *job);
void fb_ki_rv32_dot4_rq (const uint8_t *x, const uint8_t *w, const uint8_t *xend,
                         struct FbKiRq *job);
void fb_ki_rv32_dot3_rq_si (const uint8_t *x, const uint8_t *w, const uint8_t *xend,
                            struct FbKiRq *job);
void fb_ki_rv32_dot4_rq_si (const uint8_t *x, const uint8_t *w, const uint8_t *xend,
                            struct FbKiRq *job);
void fb_ki_rv32_dot4_rq_seg (const uint8_t *x, const uint8_t *w, const uint8_t *xend,
                             struct FbKiRq *job, int32_t segb, int32_t wskip);
void fb_ki_rv32_plain_rq (const uint8_t *x, const int8_t *w, const uint8_t *xend, void *job);
void fb_ki_rv32_plain_rq2 (const uint8_t *x, const int8_t *w, const uint8_t *xend, void *job);
void fb_ki_rv32_plain_rq1 (const uint8_t *x, const int8_t *w, const uint8_t *xend, void *job);
/* the epilogues of fb_ki_rv32_plain_rq (not C-callable: only their addresses are taken) */
void fb_ki_rv32_rq_o8 (void);
void fb_ki_rv32_rq_o8s (void);
void fb_ki_rv32_rq_o4 (void);
void fb_ki_rv32_rq_o4s (void);
void fb_ki_rv32_rq_o2 (void);
void fb_ki_rv32_rq_o2s (void);
void fb_ki_rv32_rq_o8_hi (void);
void fb_ki_rv32_rq_o8s_hi (void);
void fb_ki_rv32_rq_o4_hi (void);
void fb_ki_rv32_rq_o4s_hi (void);
void fb_ki_rv32_rq_o2_hi (void);
void fb_ki_rv32_rq_o2s_hi (void);
void fb_ki_rv32_rq_o2t (void);
void fb_ki_rv32_rq_o2ts (void);
void fb_ki_rv32_rq_o8_sh (void);
void fb_ki_rv32_rq_o8s_sh (void);
void fb_ki_rv32_rq_o4_sh (void);
void fb_ki_rv32_rq_o4s_sh (void);
void fb_ki_rv32_rq_o2_sh (void);
void fb_ki_rv32_rq_o2s_sh (void);
struct FbKiG9;
void fb_ki_rv32_gather_l9 (uint8_t *col, const uint8_t *row, const struct FbKiG9 *job);
void fb_ki_rv32_gather_l9_si (uint8_t *col, const uint8_t *row, const struct FbKiG9 *job);
void fb_ki_rv32_gather_l9n (uint8_t *col, const uint8_t *row, const struct FbKiG9 *job);
#include "fb-kernel-rv32-asm.inc"
#else
#define FB_KI_RV32_ASM 0
#endif

/* The fused u8 x i8 path's job (fb_ki_rv32_plain_rq in fb-kernel-rv32-asm.py; the assembly
 * reads it as int32 words at the offsets listed there, hence int32_t for every field on
 * RV32).  kappa, lambda and out advance block by block. */
typedef struct FbKiRq {
  int32_t nblk, wblk;
  const int32_t *kappa, *lambda;
  int32_t pow, maxv;            /* 2^(32 - out_shift) (out_shift > 32: out_shift - 32; the _sh
                                 * epilogues: 32 - out_shift), 2^O - 1 */
  uint8_t *out;                 /* pixel 0's output byte of the block's first channel */
  int32_t d[3];                 /* bytes from pixel 0's output to pixel 1, 2, 3's */
  void (*epi) (void);           /* fb_ki_rv32_rq_o* (unused by the C twin) */
  const int32_t *corr;          /* fb_ki_rv32_dot{3,4}_rq: each pixel's bias correction */
  int32_t *acc;                 /* fb_ki_rv32_dot{3,4}_rq: 8 int32 of scratch */
  const int32_t *ccorr;         /* fb_ki_rv32_dot{3,4}_rq_si: each channel's offset correction */
} FbKiRq;

#if FB_KI_RV32_ASM
typedef char fb_ki_rq_layout_check[offsetof (FbKiRq, d) == 28 && offsetof (FbKiRq, epi) == 40
                                   && offsetof (FbKiRq, acc) == 48
                                   && offsetof (FbKiRq, ccorr) == 52 ? 1 : -1];
#endif

FB_KI_INLINE uint32_t
fb_ki_ld32 (const uint8_t *p)   /* p 4-byte aligned */
{
  uint32_t v;
#if defined(__GNUC__)
  memcpy (&v, __builtin_assume_aligned (p, 4), 4);
#else
  memcpy (&v, p, 4);
#endif
  return v;
}

FB_KI_INLINE void
fb_ki_st32 (uint8_t *p, uint32_t v)   /* p 4-byte aligned */
{
#if defined(__GNUC__)
  memcpy (__builtin_assume_aligned (p, 4), &v, 4);
#else
  memcpy (p, &v, 4);
#endif
}

/* SWAR sum of the 4 bytes of v into two 16-bit lanes (each lane grows by <= 510). */
FB_KI_INLINE uint32_t
fb_ki_bytesum2 (uint32_t v)
{
  return (v & 0x00FF00FFu) + ((v >> 8) & 0x00FF00FFu);
}

/* A signed input (SI) enters the unsigned products offset by 2^(A-1): flipping the top bit of
 * each A-bit two's complement value gives x + 2^(A-1) in [0, 2^A - 1] (in each byte of an
 * unpacked word: XOR with this pattern), and a padded tap holds 2^(A-1), the offset zero.
 * conv_scalar() takes 2^(A-1) times the weights of the gathered kernel rows back out. */
FB_KI_INLINE uint32_t
fb_ki_offset_word (const int A)
{
  return A == 8 ? 0x80808080u : A == 4 ? 0x08080808u : 0x02020202u;
}

/* u2 x i2's im2col words (L9, the 9-bit lanes of fb_ki_rv32_dot4_4x4): value j at bit
 * 3 + 9 j, i.e. byte j of a word of one value per byte shifted left by 3 + j.  From such a
 * word u (bytes <= 3): u * 40 puts byte j at 8 j + 3 and 8 j + 5, u * 80 at 8 j + 4 and 8 j + 6
 * (2-bit fields that do not overlap), of which the masks keep lanes 0, 2 and 1, 3. */
#define FB_KI_L9_PAD 0x80402010u   /* the signed input's offset 2 in the 4 lanes */
#define FB_KI_L9_M 0xC0603018u     /* the 4 lanes: bits 3-4, 12-13, 21-22, 30-31 */
FB_KI_INLINE uint32_t
fb_ki_l9 (uint32_t u)
{
  return ((u * 40u) & 0x00600018u) | ((u * 80u) & 0xC0003000u);
}

/* The multiplier of the whole-word L9 spread (conv_scalar_copy_groups()): a nibble pair
 * t = a + 4 b + 2^16 (c + 4 d) (4 crumbs, at bits 0, 2, 16, 18) times 2^3 + 2^10 + 2^14 is the
 * sum of 12 copies of crumbs, at bits 3, 10, 14 (a), 5, 12, 16 (b), 19, 26, 30 (c), 21, 28, 32
 * (d): 2-bit fields that do not overlap, so no carries, and the lanes hold a (bit 3), b (12),
 * d (21) and c (30); & FB_KI_L9_M keeps them.  Hidden from the optimizer so that it stays one
 * mul. */
FB_KI_INLINE uint32_t
fb_ki_l9_k (void)
{
  uint32_t k = (1u << 3) + (1u << 10) + (1u << 14);
#if defined(__GNUC__) && defined(__riscv)
  __asm__ ("" : "+r" (k));
#endif
  return k;
}

/* The 16 crumbs of v summed into its 4 bytes (<= 12 each). */
FB_KI_INLINE uint32_t
fb_ki_crumbsum4 (uint32_t v)
{
  const uint32_t h = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);   /* nibbles <= 6 */
  return (h + (h >> 4)) & 0x0F0F0F0Fu;
}

#include "fb-kernel-conv-im2col.h"

/* C twins of the assembly routines (same contract, same results). */
FB_KI_INLINE void
conv_sc_plain_c (const int ADD, const uint8_t *x0, const int8_t *w, const uint8_t *xend,
                 int32_t *acc, int32_t stride, int32_t nblk, size_t wblk)
{
  int32_t blk, j;
  for (blk = 0; blk < nblk; blk++, acc += 4)
    {
      int32_t s00 = 0, s01 = 0, s02 = 0, s03 = 0;   /* s<channel><pixel> */
      int32_t s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      int32_t s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      int32_t s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      const uint8_t *x = x0;
      const int8_t *wp = w + (size_t) blk * wblk;
      int32_t *a = acc;
      for (; x != xend; x += 16, wp += 16)
        for (j = 0; j < 4; j++)
          {
            const int32_t p0 = x[j], p1 = x[4 + j], p2 = x[8 + j], p3 = x[12 + j];
            int32_t b;
            b = wp[4 * j];     s00 += p0 * b; s01 += p1 * b; s02 += p2 * b; s03 += p3 * b;
            b = wp[4 * j + 1]; s10 += p0 * b; s11 += p1 * b; s12 += p2 * b; s13 += p3 * b;
            b = wp[4 * j + 2]; s20 += p0 * b; s21 += p1 * b; s22 += p2 * b; s23 += p3 * b;
            b = wp[4 * j + 3]; s30 += p0 * b; s31 += p1 * b; s32 += p2 * b; s33 += p3 * b;
          }
      if (ADD)
        {
          s00 += a[0]; s10 += a[1]; s20 += a[2]; s30 += a[3];
          s01 += a[stride]; s11 += a[stride + 1]; s21 += a[stride + 2]; s31 += a[stride + 3];
          s02 += a[2 * stride]; s12 += a[2 * stride + 1];
          s22 += a[2 * stride + 2]; s32 += a[2 * stride + 3];
          s03 += a[3 * stride]; s13 += a[3 * stride + 1];
          s23 += a[3 * stride + 2]; s33 += a[3 * stride + 3];
        }
      a[0] = s00; a[1] = s10; a[2] = s20; a[3] = s30;
      a += stride;
      a[0] = s01; a[1] = s11; a[2] = s21; a[3] = s31;
      a += stride;
      a[0] = s02; a[1] = s12; a[2] = s22; a[3] = s32;
      a += stride;
      a[0] = s03; a[1] = s13; a[2] = s23; a[3] = s33;
    }
}

FB_KI_INLINE void
conv_sc_swar_c (const int lanes, const uint8_t *x0, const uint32_t *w0, const uint8_t *xend,
                int32_t *acc, int32_t stride, int32_t chunk_bytes, int32_t nblk, size_t wblk)
{
  const int G = 4 / lanes;
  int32_t blk, q, g, j, lane;
  for (blk = 0; blk < nblk; blk++, acc += 4)
    {
      const uint8_t *x = x0;
      const uint32_t *w = (const uint32_t *) ((const uint8_t *) w0 + (size_t) blk * wblk);
      while (x != xend)
        {
          const uint8_t *cend = xend - x > chunk_bytes ? x + chunk_bytes : xend;
          uint32_t a[2][4] = { { 0, 0, 0, 0 }, { 0, 0, 0, 0 } };
          for (; x != cend; x += 16, w += 4 * G)
            for (j = 0; j < 4; j++)
              for (g = 0; g < G; g++)
                {
                  const uint32_t b = w[j * G + g];
                  for (q = 0; q < 4; q++)
                    a[g][q] += (uint32_t) x[4 * q + j] * b;
                }
          for (q = 0; q < 4; q++)
            for (g = 0; g < G; g++)
              for (lane = 0; lane < lanes; lane++)
                acc[q * stride + g * lanes + lane]
                  += (int32_t) ((a[g][q] >> (lane * 32 / lanes))
                                & (lanes == 2 ? 0xFFFFu : 0xFFu));
        }
    }
}

/* The fused u8 x i8 blocks (fb_ki_rv32_plain_rq): the plain sums of each block, requantized
 * and stored pixel 3 first (a repeated pixel's output is overwritten by the real one). */
FB_KI_INLINE void
conv_sc_plain_rq_c (const int O, const int SO, const uint8_t *x, const int8_t *w,
                    const uint8_t *xend, FbKiRq *job, int32_t shift)
{
  int32_t blk, q;
  for (blk = 0; blk < job->nblk; blk++)
    {
      int32_t a[4][4];   /* a[pixel][channel] */
      conv_sc_plain_c (0, x, w + (size_t) blk * (size_t) job->wblk, xend, &a[0][0], 4, 1, 0);
      for (q = 3; q >= 0; q--)
        fb_ki_requant_pack_any (O, SO, a[q], job->kappa, job->lambda, shift, 4,
                                job->out + (q > 0 ? job->d[q - 1] : 0));
      job->kappa += 4;
      job->lambda += 4;
      job->out += O / 2;
    }
}

/* u2 x i2 (mask 511) and T3 (mask 4095): see fb_ki_rv32_dot4_4x4 / fb_ki_rv32_dot3_4x4 in
 * fb-kernel-rv32-asm.py. */
FB_KI_INLINE void
conv_sc_dot4_c (const uint32_t mask, const uint8_t *x0, const uint32_t *w0, const uint8_t *xend,
                int32_t *acc, int32_t stride, int32_t chunk_bytes, int32_t nblk, size_t wblk)
{
  int32_t blk, q, c;
  for (blk = 0; blk < nblk; blk++, acc += 4)
    {
      const uint8_t *x = x0;
      const uint32_t *w = (const uint32_t *) ((const uint8_t *) w0 + (size_t) blk * wblk);
      while (x != xend)
        {
          const uint8_t *cend = xend - x > chunk_bytes ? x + chunk_bytes : xend;
          uint32_t a[4][4] = { { 0 } };
          for (; x != cend; x += 16, w += 4)
            for (q = 0; q < 4; q++)
              {
                const uint8_t *b = x + 4 * q;
                const uint32_t xw = (uint32_t) b[0] | (uint32_t) b[1] << 8
                                    | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
                for (c = 0; c < 4; c++)
                  a[q][c] += (uint32_t) (((uint64_t) xw * w[c]) >> 32);
              }
          for (q = 0; q < 4; q++)
            for (c = 0; c < 4; c++)
              acc[q * stride + c] += (int32_t) (a[q][c] & mask);
        }
    }
}

/* All channel blocks for one im2col block of kn k steps: sets acc[pixel * stride + channel]
 * (biased sums when SWAR), or adds to it when ADD (a later part of a long column).  w:
 * prepared weights of block 0 at the first k; wblk: bytes between blocks. */
FB_KI_INLINE void
conv_scalar_blocks (const int A, const int W, int ADD, const uint8_t *x, const uint8_t *w,
                    int32_t kn, int32_t *acc, int32_t stride, int32_t nblk, size_t wblk)
{
  const int lanes = fb_ki_swar_lanes (A, W);
  const int32_t groups = kn / 4, rem = kn % 4;
  const uint8_t *xend = x + (size_t) groups * 16;
  int32_t blk, q, c, j;

  if (lanes == 1)
    {
      if (groups > 0)
        {
#if FB_KI_RV32_ASM
          if (ADD)
            fb_ki_rv32_plain_4x4_add (x, (const int8_t *) w, xend, acc, stride * 4, nblk,
                                      (int32_t) wblk);
          else
            fb_ki_rv32_plain_4x4 (x, (const int8_t *) w, xend, acc, stride * 4, nblk,
                                  (int32_t) wblk);
#else
          conv_sc_plain_c (ADD, x, (const int8_t *) w, xend, acc, stride, nblk, wblk);
#endif
        }
      else if (!ADD)
        for (q = 0; q < 4; q++)
          for (c = 0; c < nblk * 4; c++)
            acc[q * stride + c] = 0;
      for (blk = 0; blk < nblk && rem > 0; blk++)
        {
          const int8_t *wb = (const int8_t *) (w + (size_t) blk * wblk) + (size_t) groups * 16;
          for (j = 0; j < rem; j++)
            for (q = 0; q < 4; q++)
              for (c = 0; c < 4; c++)
                acc[q * stride + blk * 4 + c] += (int32_t) xend[4 * q + j] * wb[4 * j + c];
        }
    }
  else
    {
      const int G = 4 / lanes;
      const int32_t chunk = fb_ki_swar_chunk4 (A, W) * 16;
      if (!ADD)
        for (q = 0; q < 4; q++)
          for (c = 0; c < nblk * 4; c++)
            acc[q * stride + c] = 0;
      if (groups > 0)
        {
#if FB_KI_RV32_ASM
          /* lanes 2: pairs of blocks by 4 x 8 (a pixel's value loaded once for 8 channels),
           * an odd last block by 4 x 4 */
          if (lanes == 2 && nblk >= 2)
            fb_ki_rv32_swar2_4x8 (x, (const uint32_t *) (const void *) w, xend, acc, stride * 4,
                                  chunk, nblk / 2, (int32_t) wblk);
          if (lanes == 2 && nblk % 2 != 0)
            fb_ki_rv32_swar2_4x4 (x, (const uint32_t *) (const void *) (w + (size_t) (nblk - 1)
                                                                             * wblk),
                                  xend, acc + (nblk - 1) * 4, stride * 4, chunk, 1,
                                  (int32_t) wblk);
          if (lanes != 2)
            fb_ki_rv32_dot4_4x4 (x, (const uint32_t *) (const void *) w, xend, acc, stride * 4,
                                 chunk, nblk, (int32_t) wblk);
#else
          if (lanes == 2)
            conv_sc_swar_c (lanes, x, (const uint32_t *) (const void *) w, xend, acc, stride,
                            chunk, nblk, wblk);
          else
            conv_sc_dot4_c (511, x, (const uint32_t *) (const void *) w, xend, acc, stride,
                            chunk, nblk, wblk);
#endif
        }
      /* (u2 x i2 has no rest: its channel counts are multiples of 4) */
      for (blk = 0; blk < nblk && rem > 0 && lanes == 2; blk++)
        {
          const uint32_t *ww = (const uint32_t *) (const void *) (w + (size_t) blk * wblk)
                               + (size_t) groups * 4 * (size_t) G;
          for (j = 0; j < rem; j++)
            for (q = 0; q < 4; q++)
              for (c = 0; c < 4; c++)
                {
                  const uint32_t word = ww[j * G + c / lanes];
                  const uint32_t wv = (word >> ((c % lanes) * 32 / lanes))
                                      & (lanes == 2 ? 0xFFFFu : 0xFFu);
                  acc[q * stride + blk * 4 + c] += (int32_t) ((uint32_t) xend[4 * q + j] * wv);
                }
        }
    }
}

/* T3 (conv_scalar_t3()): all channel blocks over ng X words of the 4 pixels' columns, the
 * acc set to the biased sums. */
FB_KI_INLINE void
conv_scalar_blocks_t3 (const uint8_t *x, const uint8_t *w, int32_t ng, int32_t *acc,
                       int32_t stride, int32_t nblk, size_t wblk)
{
  int32_t q, c;
  for (q = 0; q < 4; q++)
    for (c = 0; c < nblk * 4; c++)
      acc[q * stride + c] = 0;
  if (ng > 0)
    {
#if FB_KI_RV32_ASM
      fb_ki_rv32_dot3_4x4 (x, (const uint32_t *) (const void *) w, x + (size_t) ng * 16, acc,
                           stride * 4, 6 * 16, nblk, (int32_t) wblk);
#else
      conv_sc_dot4_c (4095, x, (const uint32_t *) (const void *) w, x + (size_t) ng * 16, acc,
                      stride, 6 * 16, nblk, wblk);
#endif
    }
}

/* The block of 4 pixels starting at output column ox: gather k steps [kb, ke) of their
 * columns (rows from ky_lo) into col, zero columns for pixels past npx; adds each pixel's
 * value sum to colsum when SUM. */
FB_KI_INLINE void
conv_scalar_gather (const int A, const int L9, const int SI, const int SUM, const uint8_t *input,
                    const FbConvParams *p, int32_t iy0, int32_t ox, int32_t npx, int32_t ky_lo,
                    int32_t ky_hi, int32_t kb, int32_t ke, int32_t kn, uint8_t *col,
                    int32_t *colsum)
{
  int32_t q, g;
  for (q = 0; q < FB_CONV_SC_PIX; q++)
    {
      const int32_t ix0 = (ox + q) * p->stride_x - p->pad_left;
      if (q >= npx)
        for (g = 0; g < (ke - kb + 3) / 4; g++)
          fb_ki_st32 (col + (size_t) g * 16 + (size_t) q * 4, 0);
      else if (kb == 0 && ke == kn)
        colsum[q] += conv_scalar_im2col (A, L9, SI, SUM, input, p, iy0, ix0, ky_lo, ky_hi,
                                         col + q * 4);
      else
        colsum[q] += conv_scalar_im2col_part (A, L9, SI, SUM, input, p, iy0, ix0, ky_lo, kb, ke,
                                              col + q * 4);
    }
}

#include "fb-kernel-conv-gather.h"

FB_KI_NOINLINE __attribute__ ((unused)) int conv_scalar_rq_ok (int A, int W, int SI,
                                                              const FbConvParams *p,
                                                              const int32_t *kappa, int thr);

/* Whether the fused path (fb_ki_rv32_plain_rq) takes the call: u8 x i8 from an unsigned
 * input, whole columns in one part, whole blocks of 4 channels, conv_scalar_rq_ok() (2:
 * with the _sh epilogues). */
FB_KI_INLINE int
conv_scalar_fused_ok (const int A, const int W, const int SI, const FbConvParams *p,
                      const int32_t *kappa, size_t kp)
{
  if (A != 8 || W != 8 || SI || kp > FB_CONV_SC_KC)
    return 0;
  return conv_scalar_rq_ok (A, W, SI, p, kappa, 0);
}

/* Whether the requantization in registers (fb_ki_rv32_rq_o*) can take a layer: whole
 * blocks of 4 channels, out_shift >= 1, then out_shift > 32, or thr (u2 x i2's 2-bit
 * thresholds take the outputs: conv_scalar_thresholds() and conv_scalar_l9_thresholds() are
 * exact in int64 for any int32 kappa and lambda and out_shift <= 60), or every
 * kappa * 2^t an int32 (t = 32 - out_shift; the requantization's high-word form): 1; else
 * 2 (the _sh epilogues: kappa times each sum << t, the same 64-bit value) when the largest
 * |sum| << t fits int32 (the reduction length, every tap, times the largest |input|,
 * 2^A - 1 or a signed input's 2^(A-1), and |weight|, 2^(W-1)); else 0.  A trained layer's
 * kappa is near 2^31 (the quantizer takes the largest shift that keeps kappa and lambda
 * within int32), so its kappa * 2^t overflows for any t > 0.  Not inlined: out of the
 * variants' code (GCC re-allocates a whole variant when its inlined code changes). */
FB_KI_NOINLINE __attribute__ ((unused)) int
conv_scalar_rq_ok (int A, int W, int SI, const FbConvParams *p, const int32_t *kappa, int thr)
{
  int32_t c;
  int64_t amax;
  if (p->ch_out % 4 != 0 || p->out_shift < 1)
    return 0;
  if (p->out_shift > 32 || thr)
    return 1;
  for (c = 0; c < p->ch_out; c++)
    {
      const int64_t k = (int64_t) kappa[c] * ((int64_t) 1 << (32 - p->out_shift));
      if (k < INT32_MIN || k > INT32_MAX)
        break;
    }
  if (c == p->ch_out)
    return 1;
  amax = (int64_t) p->dim_kernel_x * p->dim_kernel_y * p->ch_in
         * (SI ? (int64_t) 1 << (A - 1) : ((int64_t) 1 << A) - 1) * ((int64_t) 1 << (W - 1));
  return amax <= (INT32_MAX >> (32 - p->out_shift)) ? 2 : 0;
}

#if FB_KI_RV32_ASM
/* The job's requantization by the _sh epilogues (conv_scalar_rq_ok() 2): job->pow = t. */
FB_KI_INLINE void
conv_scalar_rq_sh (const int O, const int SO, const FbConvParams *p, FbKiRq *job)
{
  job->pow = 32 - p->out_shift;
  job->epi = O == 8 ? (SO ? fb_ki_rv32_rq_o8s_sh : fb_ki_rv32_rq_o8_sh)
             : O == 4 ? (SO ? fb_ki_rv32_rq_o4s_sh : fb_ki_rv32_rq_o4_sh)
                      : (SO ? fb_ki_rv32_rq_o2s_sh : fb_ki_rv32_rq_o2_sh);
}
#endif

/* The job's requantization fields (pow, maxv, epi) for output width O, signed when SO. */
FB_KI_INLINE void
conv_scalar_rq_setup (const int O, const int SO, const FbConvParams *p, FbKiRq *jp)
{
  FbKiRq job = { 0 };
  const int hi = p->out_shift > 32;

  job.pow = hi ? p->out_shift - 32 : (int32_t) ((uint32_t) 1 << (32 - p->out_shift));
  job.maxv = (1 << O) - 1;
#if FB_KI_RV32_ASM
  if (hi)
    job.epi = O == 8 ? (SO ? fb_ki_rv32_rq_o8s_hi : fb_ki_rv32_rq_o8_hi)
              : O == 4 ? (SO ? fb_ki_rv32_rq_o4s_hi : fb_ki_rv32_rq_o4_hi)
                       : (SO ? fb_ki_rv32_rq_o2s_hi : fb_ki_rv32_rq_o2_hi);
  else
    job.epi = O == 8 ? (SO ? fb_ki_rv32_rq_o8s : fb_ki_rv32_rq_o8)
              : O == 4 ? (SO ? fb_ki_rv32_rq_o4s : fb_ki_rv32_rq_o4)
                       : (SO ? fb_ki_rv32_rq_o2s : fb_ki_rv32_rq_o2);
#else
  (void) SO;
  job.epi = NULL;
#endif
  job.corr = NULL;
  job.acc = NULL;
  job.ccorr = NULL;
  *jp = job;
}

/* The fused path: per block of 4 pixels one gather and one call for all channels, which
 * requantizes each block of 4 channels in registers. */
FB_KI_INLINE void
conv_scalar_fused (const int A, const int O, const int SO, int sh, const uint8_t *input,
                   const uint8_t *wk,
                   const int32_t *kappa, const int32_t *lambda, uint8_t *output,
                   const FbConvParams *p, size_t kp, uint8_t *col)
{
  const int32_t kxn = p->dim_kernel_x, cin = p->ch_in;
  const size_t out_px_bytes = (size_t) p->ch_out * (size_t) O / 8;
  int32_t oy, ox, q;
  FbKiRq job;

  conv_scalar_rq_setup (O, SO, p, &job);
#if FB_KI_RV32_ASM
  if (sh)
    conv_scalar_rq_sh (O, SO, p, &job);
#else
  (void) sh;
#endif
  for (oy = 0; oy < p->dim_out_y; oy++)
    {
      int32_t ky_lo, ky_hi, kn, groups;
      const int32_t iy0 = fb_ki_rows_inside (p, oy, &ky_lo, &ky_hi);
      const int8_t *w;
      kn = (ky_hi - ky_lo) * kxn * cin;
      groups = kn > 0 ? (kn + 3) / 4 : 1;   /* a window all in the padding: one zero group */
      w = (const int8_t *) wk + (size_t) ky_lo * (size_t) kxn * (size_t) cin * 4;
      for (ox = 0; ox < p->dim_out_x; ox += FB_CONV_SC_PIX)
        {
          const int32_t npx = p->dim_out_x - ox < FB_CONV_SC_PIX ? p->dim_out_x - ox
                                                                 : FB_CONV_SC_PIX;
          const uint8_t *xend = col + (size_t) groups * 16;
          if (kn > 0 && A == 8)
            conv_scalar_gather_u8 (input, p, iy0, ox, npx, ky_lo, ky_hi, kn, col);
          else if (kn > 0)
            conv_scalar_gather_sub (A, input, p, iy0, ox, npx, ky_lo, ky_hi, kn, col);
          else
            for (q = 0; q < 4; q++)
              fb_ki_st32 (col + 4 * q, 0);
          job.nblk = p->ch_out / 4;
          job.wblk = (int32_t) kp * 4;
          job.kappa = kappa;
          job.lambda = lambda;
          job.out = output + ((size_t) oy * (size_t) p->dim_out_x + (size_t) ox) * out_px_bytes;
          for (q = 1; q < FB_CONV_SC_PIX; q++)
            job.d[q - 1] = (int32_t) ((size_t) (q < npx ? q : npx - 1) * out_px_bytes);
#if FB_KI_RV32_ASM
          /* a short block multiplies its pixels only */
          if (npx == 1)
            fb_ki_rv32_plain_rq1 (col, w, xend, &job);
          else if (npx == 2)
            fb_ki_rv32_plain_rq2 (col, w, xend, &job);
          else
            fb_ki_rv32_plain_rq (col, w, xend, &job);
#else
          conv_sc_plain_rq_c (O, SO, col, w, xend, &job, p->out_shift);
#endif
        }
    }
}

/* The T3 column of 4 pixels from output pixel ox on (npx real, the others' words zero),
 * colsum[q] the sum of pixel q's inputs. */
FB_KI_INLINE void
conv_scalar_gather_t3 (const int SI, const uint8_t *input, const FbConvParams *p, int32_t iy0,
                       int32_t ox, int32_t npx, int32_t ky_lo, int32_t ky_hi, int32_t t3nx,
                       uint8_t *col, int32_t *colsum)
{
  int32_t q, c;

  for (q = 0; q < FB_CONV_SC_PIX; q++)
    {
      if (q < npx)
        colsum[q] = conv_scalar_im2col_t3 (SI, 1, input, p, iy0,
                                           (ox + q) * p->stride_x - p->pad_left, ky_lo, ky_hi,
                                           col + q * 4);
      else
        for (c = 0; c < (ky_hi - ky_lo) * t3nx; c++)
          fb_ki_st32 (col + (size_t) c * 16 + (size_t) q * 4, 0);
    }
}

/* A signed input's offset correction of one channel for the kernel rows [ky_lo, ky_hi):
 * 2^(A-1) times its weights summed over them (rowsum_c: the channel's row sums, prepare_all's). */
FB_KI_INLINE int32_t
conv_scalar_si_corr (const int A, const int32_t *rowsum_c, int32_t ky_lo, int32_t ky_hi)
{
  int32_t ky, s = 0;
  for (ky = ky_lo; ky < ky_hi; ky++)
    s += rowsum_c[ky];
  return s * (1 << (A - 1));   /* s may be negative: no shift */
}

#if FB_KI_RV32_ASM
/* One block of 4 pixels (npx real, the others repeat the last) through fb_ki_rv32_dot3_rq
 * (T3) or fb_ki_rv32_dot4_rq (u2 x i2, nwords groups of 4 k steps), their _si forms for a
 * signed input, for all channels: the bias correction per pixel, then the job's per-block
 * fields (the epilogue advances kappa, lambda and out per channel block, so they restart
 * here). */
FB_KI_INLINE void
conv_scalar_rq_block (int t3, const int SI, FbKiRq *job, int32_t *colsum, int32_t bias,
                      const uint8_t *col, const uint8_t *w, int32_t nwords, const int32_t *kappa,
                      const int32_t *lambda, uint8_t *out, int32_t npx, size_t out_px_bytes)
{
  int32_t q;

  for (q = 0; q < FB_CONV_SC_PIX; q++)
    colsum[q] *= bias;
  job->corr = colsum;
  job->kappa = kappa;
  job->lambda = lambda;
  job->out = out;
  for (q = 1; q < FB_CONV_SC_PIX; q++)
    job->d[q - 1] = (int32_t) ((size_t) (q < npx ? q : npx - 1) * out_px_bytes);
  if (SI)
    (t3 ? fb_ki_rv32_dot3_rq_si : fb_ki_rv32_dot4_rq_si) (col, w, col + (size_t) nwords * 16,
                                                          job);
  else
    (t3 ? fb_ki_rv32_dot3_rq : fb_ki_rv32_dot4_rq) (col, w, col + (size_t) nwords * 16, job);
}

/* u2 x i2's 2-bit outputs by thresholds (fb_ki_rv32_rq_o2t[s] after fb_ki_rv32_dot4_rq,
 * whose sums lie within +-FB_KI_THR_R: at most 6 per k step, 368 k steps): per channel 4
 * int16, T1, T2, T3 and a flag.  Output level j (the 2-bit field before a signed output's
 * top bit is flipped) is reached when floor ((kappa v + lambda) / 2^s) >= L = j (SO: j - 2),
 * i.e. kappa v >= n = L 2^s - lambda: for kappa > 0 when v >= ceil (n / kappa) (T = that
 * - 1, the level is the number of T_j < v), for kappa < 0 when v <= floor (n / kappa) (T =
 * that + 1, flag 1, the number of v < T_j), for kappa = 0 for every v or none. */
#define FB_KI_THR_R 4096
FB_KI_INLINE void
conv_scalar_thresholds (const int SO, int32_t cout, const int32_t *kappa, const int32_t *lambda,
                        int32_t shift, int16_t *thr)
{
  const int64_t R = FB_KI_THR_R;
  int32_t c, j;
  for (c = 0; c < cout; c++, thr += 4)
    {
      const int64_t k = kappa[c];
      thr[3] = (int16_t) (k < 0);
      for (j = 1; j <= 3; j++)
        {
          const int64_t n = (int64_t) (SO ? j - 2 : j) * ((int64_t) 1 << shift) - lambda[c];
          int64_t t;
          if (k > 0)
            {
              if (n > k * R)
                t = R;
              else if (n <= -k * R)
                t = -R - 1;
              else
                {
                  t = n / k;   /* truncated: ceil unless n > 0 and inexact */
                  if (t * k < n)
                    t++;
                  t--;
                }
            }
          else if (k < 0)
            {
              if (n <= k * R)   /* n / k >= R */
                t = R + 1;
              else if (n > -k * R)   /* n / k < -R */
                t = -R;
              else
                {
                  t = n / k;   /* truncated: floor unless n > 0 and inexact */
                  if (n > 0 && t * k != n)
                    t--;
                  t++;
                }
            }
          else
            t = n <= 0 ? -R - 1 : R;
          thr[j - 1] = (int16_t) t;
        }
    }
}

/* Whether the thresholds take a u2 x i2 call's 2-bit outputs: 8 B per channel after the
 * routine's 8 words of acc (and a signed input's channel corrections) within the acc area,
 * enough outputs per channel to pay for them (~200 instructions per channel, 6 saved per
 * output), a shift that keeps 3 2^s within int64. */
FB_KI_INLINE int
conv_scalar_thr_ok (const int SI, const FbConvParams *p, int32_t chn)
{
  return 8 + (SI ? p->ch_out : 0) + 2 * p->ch_out <= FB_CONV_SC_PIX * chn
         && p->out_shift <= 60 && p->dim_out_x * p->dim_out_y >= 64;
}

/* The job of fb_ki_rv32_dot{3,4}_rq (wblk: bytes of prepared weights per channel block);
 * returns what job->kappa takes per block: kappa, or the thresholds (u2 x i2 to 2 bits,
 * conv_scalar_thr_ok()), computed here after the routine's acc and channel corrections. */
FB_KI_INLINE const int32_t *
conv_scalar_rq_job (const int O, const int SO, const int SI, int t3, const FbConvParams *p,
                    const int32_t *kappa, const int32_t *lambda, int32_t chn, int32_t *acc,
                    int32_t wblk, FbKiRq *job)
{
  conv_scalar_rq_setup (O, SO, p, job);
  job->acc = acc;
  job->nblk = p->ch_out / 4;   /* read, not changed, by the routine */
  job->wblk = wblk;
  job->ccorr = acc + 8;
  if (O == 2 && !t3 && conv_scalar_thr_ok (SI, p, chn))
    {
      int16_t *thr = (int16_t *) (void *) (acc + 8 + (SI ? p->ch_out : 0));
      conv_scalar_thresholds (SO, p->ch_out, kappa, lambda, p->out_shift, thr);
      job->epi = SO ? fb_ki_rv32_rq_o2ts : fb_ki_rv32_rq_o2t;
      return (const int32_t *) (const void *) thr;
    }
  return kappa;
}

/* conv_scalar_si_corr() of every channel, for the _si routines' job->ccorr. */
FB_KI_INLINE void
conv_scalar_rq_ccorr (const int A, int32_t cout, const int32_t *rowsum, int32_t kyn,
                      int32_t ky_lo, int32_t ky_hi, int32_t *cc)
{
  int32_t c;
  for (c = 0; c < cout; c++)
    cc[c] = conv_scalar_si_corr (A, rowsum + (size_t) c * (size_t) kyn, ky_lo, ky_hi);
}
#endif

/* A 1x1 conv at stride 1 without padding is one long row of pixels: p is pointed at flat, a
 * copy with one row, so that blocks of 4 run on across the image rows (a 7- or 14-wide row
 * would leave part of its last block empty).  A macro, not a function: conv_scalar() and
 * conv_scalar_l9_call() keep the code GCC emitted for them with the lines written out. */
#define FB_CONV_SC_FLAT_1X1(kxn, kyn, p, flat)                                                     \
  do                                                                                               \
    {                                                                                              \
      if ((kxn) == 1 && (kyn) == 1 && (p)->stride_x == 1 && (p)->stride_y == 1                     \
          && (p)->pad_top == 0 && (p)->pad_bottom == 0 && (p)->pad_left == 0                       \
          && (p)->pad_right == 0)                                                                  \
        {                                                                                          \
          (flat) = *(p);                                                                           \
          (flat).dim_in_x = (flat).dim_out_x = (p)->dim_in_x * (p)->dim_in_y;                      \
          (flat).dim_in_y = (flat).dim_out_y = 1;                                                  \
          (p) = &(flat);                                                                           \
        }                                                                                          \
    }                                                                                              \
  while (0)

#include "fb-kernel-conv-l9.h"

/* The C path's end of a channel pass: per pixel the bias correction (bias times its value
 * sum; bias 0 without SWAR lanes), a signed input's offset correction (2^(A-1) times the
 * channel's weight sum over kernel rows [ky_lo, ky_hi), rowsum from the pass's first
 * channel), then the requantization of nch channels to out (pixel 0's first byte). */
FB_KI_INLINE void
conv_scalar_finish (const int A, const int O, const int SO, const int SI, int32_t bias,
                    const int32_t *colsum, int32_t *acc, int32_t chn, int32_t npx, int32_t nch,
                    const int32_t *rowsum, int32_t kyn, int32_t ky_lo, int32_t ky_hi,
                    const int32_t *kappa, const int32_t *lambda, int32_t out_shift, uint8_t *out,
                    size_t out_px_bytes)
{
  int32_t q, c;
  for (q = 0; q < npx; q++)
    {
      int32_t *aq = acc + (size_t) q * (size_t) chn;
      const int32_t corr = bias * colsum[q];
      for (c = 0; c < nch && corr != 0; c++)
        aq[c] -= corr;
      if (SI)
        for (c = 0; c < nch; c++)
          aq[c] -= conv_scalar_si_corr (A, rowsum + (size_t) c * (size_t) kyn, ky_lo, ky_hi);
      fb_ki_requant_pack_any (O, SO, aq, kappa, lambda, out_shift, nch,
                              out + (size_t) q * out_px_bytes);
    }
}

/* SI, SO: signed input / output (0, 0 for every unsigned call: the code it always was). */
FB_KI_INLINE void
conv_scalar (const int A, const int O, const int W, const int SI, const int SO,
             const uint8_t *input, const uint8_t *weights, const int32_t *kappa,
             const int32_t *lambda, uint8_t *output, const FbConvParams *p, void *buffer)
{
  const int lanes = fb_ki_swar_lanes (A, W);
  const int32_t cin = p->ch_in, cout = p->ch_out;
  const int32_t kxn = p->dim_kernel_x, kyn = p->dim_kernel_y;
  const size_t k_len = (size_t) kxn * (size_t) kyn * (size_t) cin;
  const size_t kp = conv_scalar_kp (k_len);
  const size_t kc = kp < FB_CONV_SC_KC ? kp : FB_CONV_SC_KC;
  const size_t cout4 = FB_KI_ALIGN_UP ((size_t) cout, 4);
  const size_t wbk = fb_ki_swar_wbytes (A, W);
  const size_t out_px_bytes = (size_t) cout * (size_t) O / 8;
  const int32_t chn = (int32_t) conv_scalar_channels_per_pass (p);
  const int32_t bias = 1 << (W - 1);
  int32_t *acc = (int32_t *) fb_ki_align_ptr (buffer, 4);
  uint8_t *col = (uint8_t *) (acc + FB_CONV_SC_PIX * chn);
  const uint8_t *wk = weights;
  const int32_t *rowsum;
  const int t3 = conv_scalar_t3 (A, W, p), l9fast = conv_scalar_l9_fast (A, W, p);
  const int32_t t3nx = t3 ? conv_scalar_t3_row_words (kxn, cin) : 0;
  const size_t t3wblk = t3 ? conv_scalar_wblk (A, W, p) : 0;
  int32_t c0, oy, ox, q, k0;
  int fused;
  FbConvParams flat;
#if FB_KI_RV32_ASM
  FbKiRq job;
  int rqreg;   /* T3 or u2 x i2 requantized in registers (fb_ki_rv32_dot{3,4}_rq); 2: _sh */
  const int32_t *rqk = kappa;   /* job->kappa per block: kappa, or the thresholds */
#endif

  /* weights laid out at export time are read in place; otherwise once per call, here */
  if (!(p->flag_relu & FB_KERNEL_FLAG_PREPARED_WEIGHTS))
    {
      uint8_t *wbuf = col + (t3 ? conv_scalar_col_bytes (A, W, p) : FB_CONV_SC_PIX * kc);
      conv_scalar_prepare_all (A, W, weights, p, wbuf);
      wk = wbuf;
    }
  FB_CONV_SC_FLAT_1X1 (kxn, kyn, p, flat);
  fused = conv_scalar_fused_ok (A, W, SI, p, kappa, kp);
  if (fused)
    {
      conv_scalar_fused (A, O, SO, fused == 2, input, wk, kappa, lambda, output, p, kp, col);
      return;
    }
#if FB_KI_RV32_ASM
  /* (a signed input's channel corrections after the 8 words of the routine's acc) */
  rqreg = (t3 || lanes == 4) && (!SI || cout + 8 <= FB_CONV_SC_PIX * chn)
          ? conv_scalar_rq_ok (A, W, SI, p, kappa,
                               O == 2 && !t3 && conv_scalar_thr_ok (SI, p, chn)) : 0;
  if (rqreg)
    rqk = conv_scalar_rq_job (O, SO, SI, t3, p, kappa, lambda, chn, acc,
                              (int32_t) (t3 ? t3wblk : kp * wbk), &job);
  if (rqreg == 2)
    conv_scalar_rq_sh (O, SO, p, &job);
#endif
  /* signed input: rowsum[c * kyn + ky] = the sum of channel c's weights in kernel row ky */
  rowsum = (const int32_t *) (const void *) (wk + cout4 / 4 * (t3 ? t3wblk : kp * wbk));

  for (oy = 0; oy < p->dim_out_y; oy++)
    {
      int32_t ky_lo, ky_hi;
      const int32_t iy0 = fb_ki_rows_inside (p, oy, &ky_lo, &ky_hi);
      const size_t klo = (size_t) ky_lo * (size_t) kxn * (size_t) cin;
      int32_t kn;
      kn = (ky_hi - ky_lo) * kxn * cin;
#if FB_KI_RV32_ASM
      if (rqreg && SI)
        conv_scalar_rq_ccorr (A, cout, rowsum, kyn, ky_lo, ky_hi, acc + 8);
#endif

      for (ox = 0; ox < p->dim_out_x; ox += FB_CONV_SC_PIX)
        {
          const int32_t npx = p->dim_out_x - ox < FB_CONV_SC_PIX ? p->dim_out_x - ox
                                                                 : FB_CONV_SC_PIX;
          int32_t colsum[FB_CONV_SC_PIX] = { 0, 0, 0, 0 };

          /* a column that fits is gathered once for all channel passes, a longer one in
           * parts of kc k steps per pass */
          if (t3)
            conv_scalar_gather_t3 (SI, input, p, iy0, ox, npx, ky_lo, ky_hi, t3nx, col, colsum);
          else if (l9fast && (size_t) kn <= kc && kn > 0)
            {
              if (((uintptr_t) input & 3u) == 0 && p->stride_x == 1)
                conv_scalar_gather_l9 (1, 1, SI, input, p, iy0, ox, npx, ky_lo, ky_hi, col,
                                       colsum);
              else
                conv_scalar_gather_l9 (0, 0, SI, input, p, iy0, ox, npx, ky_lo, ky_hi, col,
                                       colsum);
            }
          else if ((size_t) kn <= kc)
            conv_scalar_gather (A, lanes == 4, SI, lanes > 1, input, p, iy0, ox, npx, ky_lo,
                                ky_hi, 0, kn, kn, col, colsum);
#if FB_KI_RV32_ASM
          /* (u2 x i2: the whole column in one part, whole groups of 4 k steps) */
          if (rqreg && kn > 0 && (t3 || ((size_t) kn <= kc && kn % 4 == 0)))
            {
              conv_scalar_rq_block (t3, SI, &job, colsum, bias, col,
                                    t3 ? wk + (size_t) ky_lo * (size_t) t3nx * 16
                                       : wk + klo * wbk,
                                    t3 ? (ky_hi - ky_lo) * t3nx : kn / 4, rqk, lambda,
                                    output + ((size_t) oy * (size_t) p->dim_out_x
                                              + (size_t) ox) * out_px_bytes,
                                    npx, out_px_bytes);
              continue;
            }
#endif
          for (c0 = 0; c0 < cout; c0 += chn)
            {
              const int32_t nch = cout - c0 < chn ? cout - c0 : chn;
              const uint8_t *wc = wk + ((size_t) c0 / 4 * kp + klo) * wbk;
              if ((size_t) kn > kc)
                for (q = 0; q < FB_CONV_SC_PIX; q++)
                  colsum[q] = 0;
              /* one call site of the blocks (the code is inlined per variant) */
              k0 = 0;
              if (t3)
                conv_scalar_blocks_t3 (col, wk + (size_t) c0 / 4 * t3wblk
                                              + (size_t) ky_lo * (size_t) t3nx * 16,
                                       (ky_hi - ky_lo) * t3nx, acc, chn, (nch + 3) / 4, t3wblk);
              else
              do
                {
                  const int32_t ke = kn - k0 < (int32_t) kc ? kn : k0 + (int32_t) kc;
                  if ((size_t) kn > kc)
                    conv_scalar_gather (A, lanes == 4, SI, lanes > 1, input, p, iy0, ox, npx,
                                        ky_lo, ky_hi, k0, ke, kn, col, colsum);
                  conv_scalar_blocks (A, W, k0 > 0, col, wc + (size_t) k0 * wbk, ke - k0, acc,
                                      chn, (nch + 3) / 4, kp * wbk);
                  k0 = ke;
                }
              while (k0 < kn);
              conv_scalar_finish (A, O, SO, SI, lanes > 1 ? bias : 0, colsum, acc, chn, npx,
                                  nch, rowsum + (size_t) c0 * (size_t) kyn, kyn, ky_lo, ky_hi,
                                  kappa + c0, lambda + c0, p->out_shift,
                                  output + ((size_t) oy * (size_t) p->dim_out_x + (size_t) ox)
                                             * out_px_bytes + (size_t) c0 * (size_t) O / 8,
                                  out_px_bytes);
            }
        }
    }
}

#include "fb-kernel-conv-wide.h"

#endif /* FB_KI_SCALAR */
