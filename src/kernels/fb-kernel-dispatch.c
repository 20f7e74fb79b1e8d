/* fb-kernel-dispatch.c — variant tables and lookup by bit-widths, from the X-macro list.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-kernel-internal.h"

/* index of a bit-width in 8, 4, 2 order, -1 if invalid */
static int
bits_index (int b)
{
  return b == 8 ? 0 : b == 4 ? 1 : b == 2 ? 2 : -1;
}

static int
index3 (int a, int b, int c)
{
  int ia = bits_index (a), ib = bits_index (b), ic = bits_index (c);
  if (ia < 0 || ib < 0 || ic < 0)
    return -1;
  return ia * 9 + ib * 3 + ic;
}

#define FB_PTR_CONV(i, o, w) fb_conv_u##i##_u##o##_i##w,
#define FB_PTR_DW(i, o, w) fb_depthwise_u##i##_u##o##_i##w,
#define FB_PTR_LIN(i, o, w) fb_linear_u##i##_u##o##_i##w,
#define FB_PTR_LIN32(i, w) fb_linear_u##i##_i32_i##w,
#define FB_PTR_ADD(a, b, o) fb_add_u##a##_u##b##_u##o,
#define FB_PTR_POOL(b) fb_avgpool_u##b,
#define FB_PTR_AVG2D(b) fb_avgpool2d_u##b,
#define FB_PTR_MAX2D(b) fb_maxpool2d_u##b,

static const FbConvFunc conv_table[] = { FB_KERNEL_VARIANTS_IOW (FB_PTR_CONV) };
static const FbDepthwiseFunc dw_table[] = { FB_KERNEL_VARIANTS_IOW (FB_PTR_DW) };
static const FbLinearFunc lin_table[] = { FB_KERNEL_VARIANTS_IOW (FB_PTR_LIN) };
static const FbLinearI32Func lin32_table[] = { FB_KERNEL_VARIANTS_IW (FB_PTR_LIN32) };
static const FbAddFunc add_table[] = { FB_KERNEL_VARIANTS_ADD (FB_PTR_ADD) };
static const FbAvgPoolFunc pool_table[] = { FB_KERNEL_VARIANTS_POOL (FB_PTR_POOL) };
static const FbPool2dFunc avg2d_table[] = { FB_KERNEL_VARIANTS_AVGPOOL2D (FB_PTR_AVG2D) };
static const FbPool2dFunc max2d_table[] = { FB_KERNEL_VARIANTS_MAXPOOL2D (FB_PTR_MAX2D) };

/* The tables above are indexed by index3() / bits_index(); that holds as long as the lists
 * in fb-kernel-variants.inc are complete and in 8, 4, 2 order.  Checked at compile time: */
typedef char fb_ki_conv_table_check[sizeof conv_table / sizeof conv_table[0] == 27 ? 1 : -1];
typedef char fb_ki_lin32_table_check[sizeof lin32_table / sizeof lin32_table[0] == 9 ? 1 : -1];
typedef char fb_ki_add_table_check[sizeof add_table / sizeof add_table[0] == 27 ? 1 : -1];
typedef char fb_ki_pool_table_check[sizeof pool_table / sizeof pool_table[0] == 3 ? 1 : -1];

FbConvFunc
fb_conv_lookup (int in_bits, int out_bits, int w_bits)
{
  int i = index3 (in_bits, out_bits, w_bits);
  return i < 0 ? NULL : conv_table[i];
}

FbDepthwiseFunc
fb_depthwise_lookup (int in_bits, int out_bits, int w_bits)
{
  int i = index3 (in_bits, out_bits, w_bits);
  return i < 0 ? NULL : dw_table[i];
}

FbLinearFunc
fb_linear_lookup (int in_bits, int out_bits, int w_bits)
{
  int i = index3 (in_bits, out_bits, w_bits);
  return i < 0 ? NULL : lin_table[i];
}

FbLinearI32Func
fb_linear_i32_lookup (int in_bits, int w_bits)
{
  int ia = bits_index (in_bits), iw = bits_index (w_bits);
  return ia < 0 || iw < 0 ? NULL : lin32_table[ia * 3 + iw];
}

FbAddFunc
fb_add_lookup (int in1_bits, int in2_bits, int out_bits)
{
  int i = index3 (in1_bits, in2_bits, out_bits);
  return i < 0 ? NULL : add_table[i];
}

FbAvgPoolFunc
fb_avgpool_lookup (int bits)
{
  int i = bits_index (bits);
  return i < 0 ? NULL : pool_table[i];
}

FbPool2dFunc
fb_avgpool2d_lookup (int bits)
{
  int i = bits_index (bits);
  return i < 0 ? NULL : avg2d_table[i];
}

FbPool2dFunc
fb_maxpool2d_lookup (int bits)
{
  int i = bits_index (bits);
  return i < 0 ? NULL : max2d_table[i];
}

#define FB_VAR_CONV(i, o, w) { "fb_conv_u" #i "_u" #o "_i" #w, i, o, w },
#define FB_VAR_DW(i, o, w) { "fb_depthwise_u" #i "_u" #o "_i" #w, i, o, w },
#define FB_VAR_LIN(i, o, w) { "fb_linear_u" #i "_u" #o "_i" #w, i, o, w },
#define FB_VAR_LIN32(i, w) { "fb_linear_u" #i "_i32_i" #w, i, 32, w },
#define FB_VAR_ADD(a, b, o) { "fb_add_u" #a "_u" #b "_u" #o, a, o, b },
#define FB_VAR_POOL(b) { "fb_avgpool_u" #b, b, b, 0 },
#define FB_VAR_AVG2D(b) { "fb_avgpool2d_u" #b, b, b, 0 },
#define FB_VAR_MAX2D(b) { "fb_maxpool2d_u" #b, b, b, 0 },

static const FbKernelVariant conv_vars[] = { FB_KERNEL_VARIANTS_IOW (FB_VAR_CONV) };
static const FbKernelVariant dw_vars[] = { FB_KERNEL_VARIANTS_IOW (FB_VAR_DW) };
static const FbKernelVariant lin_vars[] = { FB_KERNEL_VARIANTS_IOW (FB_VAR_LIN) };
static const FbKernelVariant lin32_vars[] = { FB_KERNEL_VARIANTS_IW (FB_VAR_LIN32) };
static const FbKernelVariant add_vars[] = { FB_KERNEL_VARIANTS_ADD (FB_VAR_ADD) };
static const FbKernelVariant pool_vars[] = { FB_KERNEL_VARIANTS_POOL (FB_VAR_POOL) };
static const FbKernelVariant avg2d_vars[] = { FB_KERNEL_VARIANTS_AVGPOOL2D (FB_VAR_AVG2D) };
static const FbKernelVariant max2d_vars[] = { FB_KERNEL_VARIANTS_MAXPOOL2D (FB_VAR_MAX2D) };

const FbKernelVariant *
fb_kernel_family_variants (FbKernelFamily family, size_t *n_variants)
{
  const FbKernelVariant *v = NULL;
  size_t n = 0;
  switch (family)
    {
    case FB_KERNEL_FAMILY_CONV: v = conv_vars; n = sizeof conv_vars / sizeof *v; break;
    case FB_KERNEL_FAMILY_DEPTHWISE: v = dw_vars; n = sizeof dw_vars / sizeof *v; break;
    case FB_KERNEL_FAMILY_LINEAR: v = lin_vars; n = sizeof lin_vars / sizeof *v; break;
    case FB_KERNEL_FAMILY_LINEAR_I32: v = lin32_vars; n = sizeof lin32_vars / sizeof *v; break;
    case FB_KERNEL_FAMILY_ADD: v = add_vars; n = sizeof add_vars / sizeof *v; break;
    case FB_KERNEL_FAMILY_AVGPOOL: v = pool_vars; n = sizeof pool_vars / sizeof *v; break;
    case FB_KERNEL_FAMILY_AVGPOOL2D: v = avg2d_vars; n = sizeof avg2d_vars / sizeof *v; break;
    case FB_KERNEL_FAMILY_MAXPOOL2D: v = max2d_vars; n = sizeof max2d_vars / sizeof *v; break;
    default: break;
    }
  if (n_variants != NULL)
    *n_variants = n;
  return v;
}

const char *
fb_kernel_family_name (FbKernelFamily family)
{
  switch (family)
    {
    case FB_KERNEL_FAMILY_CONV: return "conv";
    case FB_KERNEL_FAMILY_DEPTHWISE: return "depthwise";
    case FB_KERNEL_FAMILY_LINEAR: return "linear";
    case FB_KERNEL_FAMILY_LINEAR_I32: return "linear_i32";
    case FB_KERNEL_FAMILY_ADD: return "add";
    case FB_KERNEL_FAMILY_AVGPOOL: return "avgpool";
    case FB_KERNEL_FAMILY_AVGPOOL2D: return "avgpool2d";
    case FB_KERNEL_FAMILY_MAXPOOL2D: return "maxpool2d";
    default: return NULL;
    }
}
