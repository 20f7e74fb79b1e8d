/* fb-kernel-pack.c — packing and unpacking of sub-byte tensors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-kernel-pack.h"

#include <string.h>

int
fb_kernel_bits_valid (int bits)
{
  return bits == 8 || bits == 4 || bits == 2;
}

size_t
fb_kernel_packed_bytes (size_t n, int bits)
{
  if (!fb_kernel_bits_valid (bits))
    return 0;
  /* n * bits / 8 rounded up, without overflowing n * bits */
  return n / 8 * (size_t) bits + ((n % 8) * (size_t) bits + 7) / 8;
}

size_t
fb_kernel_weight_row_bytes (size_t n, int bits)
{
  return fb_kernel_packed_bytes (n, bits);
}

/* The checks every function starts with. */
static FbKernelStatus
check_args (const void *a, const void *b, int bits)
{
  if (a == NULL || b == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (!fb_kernel_bits_valid (bits))
    return FB_KERNEL_ERROR_BITS;
  return FB_KERNEL_OK;
}

/* Whether all n values are in the signed bits-bit range; checked before anything is written
 * so that an error leaves the output untouched. */
static int
signed_in_range (const int8_t *values, size_t n, int bits)
{
  const int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
  size_t i;
  for (i = 0; i < n; i++)
    if (values[i] < lo || values[i] > hi)
      return 0;
  return 1;
}

/* ORs the low bits of v in as element i of a packed array cleared beforehand. */
static void
put_bits (uint8_t *packed, size_t i, int bits, unsigned v)
{
  const size_t bit = i * (size_t) bits;
  packed[bit / 8] |= (uint8_t) ((v & ((1u << bits) - 1u)) << (bit % 8));
}

static unsigned
get_bits (const uint8_t *packed, size_t i, int bits)
{
  const size_t bit = i * (size_t) bits;
  return (packed[bit / 8] >> (bit % 8)) & ((1u << bits) - 1u);
}

/* Sign-extends a bits-bit field without implementation-defined conversions. */
static int8_t
sign_extend (unsigned v, int bits)
{
  const unsigned sign = 1u << (bits - 1);
  return (int8_t) ((int) (v ^ sign) - (int) sign);
}

/* Packs n checked values (bits-bit patterns in their low bits) into packed. */
static void
put_all (const uint8_t *values, size_t n, int bits, uint8_t *packed)
{
  size_t i;
  if (bits == 8)
    {
      memcpy (packed, values, n);
      return;
    }
  memset (packed, 0, fb_kernel_packed_bytes (n, bits));
  for (i = 0; i < n; i++)
    put_bits (packed, i, bits, values[i]);
}

/* Unpacks n values, sign-extended when is_signed (stored as bytes of two's complement). */
static FbKernelStatus
get_all (const uint8_t *packed, size_t n, int bits, uint8_t *values, int is_signed)
{
  size_t i;
  FbKernelStatus st = check_args (values, packed, bits);

  if (st != FB_KERNEL_OK)
    return st;
  for (i = 0; i < n; i++)
    values[i] = is_signed ? (uint8_t) sign_extend (get_bits (packed, i, bits), bits)
                          : (uint8_t) get_bits (packed, i, bits);
  return FB_KERNEL_OK;
}

FbKernelStatus
fb_kernel_pack_unsigned (const uint8_t *values, size_t n, int bits, uint8_t *packed)
{
  size_t i;
  FbKernelStatus st = check_args (values, packed, bits);

  if (st != FB_KERNEL_OK)
    return st;
  for (i = 0; i < n; i++)
    if (values[i] > (1u << bits) - 1u)
      return FB_KERNEL_ERROR_DIM;
  put_all (values, n, bits, packed);
  return FB_KERNEL_OK;
}

FbKernelStatus
fb_kernel_unpack_unsigned (const uint8_t *packed, size_t n, int bits, uint8_t *values)
{
  return get_all (packed, n, bits, values, 0);
}

FbKernelStatus
fb_kernel_pack_signed (const int8_t *values, size_t n, int bits, uint8_t *packed)
{
  FbKernelStatus st = check_args (values, packed, bits);

  if (st != FB_KERNEL_OK)
    return st;
  if (!signed_in_range (values, n, bits))
    return FB_KERNEL_ERROR_DIM;
  put_all ((const uint8_t *) values, n, bits, packed);
  return FB_KERNEL_OK;
}

FbKernelStatus
fb_kernel_unpack_signed (const uint8_t *packed, size_t n, int bits, int8_t *values)
{
  return get_all (packed, n, bits, (uint8_t *) values, 1);
}

size_t
fb_kernel_conv_weights_bytes (size_t n_rows, size_t row_len, int bits)
{
  return n_rows * fb_kernel_weight_row_bytes (row_len, bits);
}

FbKernelStatus
fb_kernel_pack_conv_weights (const int8_t *weights, size_t n_rows, size_t row_len, int bits,
                             uint8_t *packed)
{
  size_t r, rb;
  FbKernelStatus st = check_args (weights, packed, bits);

  if (st != FB_KERNEL_OK)
    return st;
  if (!signed_in_range (weights, n_rows * row_len, bits))
    return FB_KERNEL_ERROR_DIM;
  rb = fb_kernel_weight_row_bytes (row_len, bits);
  for (r = 0; r < n_rows && st == FB_KERNEL_OK; r++)
    st = fb_kernel_pack_signed (weights + r * row_len, row_len, bits, packed + r * rb);
  return st;
}

FbKernelStatus
fb_kernel_unpack_conv_weights (const uint8_t *packed, size_t n_rows, size_t row_len, int bits,
                               int8_t *weights)
{
  size_t r, rb;
  FbKernelStatus st = check_args (weights, packed, bits);

  if (st != FB_KERNEL_OK)
    return st;
  rb = fb_kernel_weight_row_bytes (row_len, bits);
  for (r = 0; r < n_rows && st == FB_KERNEL_OK; r++)
    st = fb_kernel_unpack_signed (packed + r * rb, row_len, bits, weights + r * row_len);
  return st;
}

size_t
fb_kernel_depthwise_weights_bytes (size_t ch, size_t ky, size_t kx, int bits)
{
  return fb_kernel_packed_bytes (ch * ky * kx, bits);
}

static FbKernelStatus
check_depthwise (const void *a, const void *b, size_t ch, int bits)
{
  FbKernelStatus st = check_args (a, b, bits);
  if (st == FB_KERNEL_OK && ch % (size_t) (8 / bits) != 0)
    return FB_KERNEL_ERROR_CHANNELS;
  return st;
}

FbKernelStatus
fb_kernel_pack_depthwise_weights (const int8_t *weights, size_t ch, size_t ky, size_t kx,
                                  int bits, uint8_t *packed)
{
  size_t c, t, taps = ky * kx;
  FbKernelStatus st = check_depthwise (weights, packed, ch, bits);

  if (st != FB_KERNEL_OK)
    return st;
  if (!signed_in_range (weights, ch * taps, bits))
    return FB_KERNEL_ERROR_DIM;
  memset (packed, 0, fb_kernel_depthwise_weights_bytes (ch, ky, kx, bits));
  for (t = 0; t < taps; t++)
    for (c = 0; c < ch; c++)
      put_bits (packed, t * ch + c, bits, (unsigned) (uint8_t) weights[c * taps + t]);
  return FB_KERNEL_OK;
}

FbKernelStatus
fb_kernel_unpack_depthwise_weights (const uint8_t *packed, size_t ch, size_t ky, size_t kx,
                                    int bits, int8_t *weights)
{
  size_t c, t, taps = ky * kx;
  FbKernelStatus st = check_depthwise (weights, packed, ch, bits);

  if (st != FB_KERNEL_OK)
    return st;
  for (t = 0; t < taps; t++)
    for (c = 0; c < ch; c++)
      weights[c * taps + t] = sign_extend (get_bits (packed, t * ch + c, bits), bits);
  return FB_KERNEL_OK;
}
