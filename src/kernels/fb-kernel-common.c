/* fb-kernel-common.c — status names, argument validation and counting shared by all families.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-kernel-internal.h"

/* Here, not in fb-kernel-dispatch.c: exported bundles compile fb-kernel-common.c with
 * the kernels they call, but not the dispatcher. */
#if FB_KI_AVX2
static int
detect_host_level (void)
{
#if FB_KI_VNNI
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw")
      && __builtin_cpu_supports ("avx512dq") && __builtin_cpu_supports ("avx512vl")
      && __builtin_cpu_supports ("avx512vnni"))
    return FB_KI_LEVEL_VNNI;
#endif
  return __builtin_cpu_supports ("avx2") ? FB_KI_LEVEL_AVX2 : FB_KI_LEVEL_BASELINE;
}

/* Resolved once per process. Threads that race on the first call all compute the same
 * value, so relaxed atomics suffice (no lock, no pthread_once: the kernels stay plain C99
 * plus the GCC/Clang builtins this path already needs). -1: not resolved yet. */
int
fb_ki_host_level (void)
{
  static int level = -1;
  int l = __atomic_load_n (&level, __ATOMIC_RELAXED);

  if (l < 0)
    {
      /* __builtin_cpu_supports needs the CPU model initialized, which a caller from
       * another library's constructor could run before libgcc's own initializer. */
      __builtin_cpu_init ();
      l = detect_host_level ();
      __atomic_store_n (&level, l, __ATOMIC_RELAXED);
    }
  return l;
}
#endif

const char *
fb_kernel_status_to_string (FbKernelStatus status)
{
  switch (status)
    {
    case FB_KERNEL_OK: return "ok";
    case FB_KERNEL_ERROR_NULL: return "null pointer";
    case FB_KERNEL_ERROR_BITS: return "unsupported bit-width";
    case FB_KERNEL_ERROR_DIM: return "dimension out of range";
    case FB_KERNEL_ERROR_CHANNELS: return "channel count not a multiple of 8/bits";
    case FB_KERNEL_ERROR_SHIFT: return "shift out of range";
    case FB_KERNEL_ERROR_SHAPE: return "output shape inconsistent with input";
    case FB_KERNEL_ERROR_BUFFER: return "scratch buffer missing or too small";
    case FB_KERNEL_ERROR_LAYOUT: return "prepared weights unsupported here or misaligned";
    default: return "unknown status";
    }
}

FbKernelArch
fb_kernel_arch (void)
{
  return FB_KI_ARCH;
}

const char *
fb_kernel_host_code (void)
{
#if FB_KI_SCALAR
  return "scalar";
#else
#if FB_KI_VNNI
  if (fb_ki_cpu_has_vnni ())
    return "avx512vnni";
#endif
#if FB_KI_AVX2
  if (fb_ki_cpu_has_avx2 ())
    return "avx2";
#endif
  return "baseline";
#endif
}

static int
dim_ok (int32_t v)
{
  return v >= 1 && v <= FB_KERNEL_MAX_DIM;
}

static int
pad_ok (int32_t v)
{
  return v >= 0 && v <= FB_KERNEL_MAX_DIM;
}

static int
multiple_ok (int32_t ch, int bits)
{
  return ch % (8 / bits) == 0;
}

/* 1 if out == (in + pa + pb - k) / s + 1 with in + pa + pb >= k (all already in range). */
static int
extent_ok (int32_t in, int32_t pa, int32_t pb, int32_t k, int32_t s, int32_t out)
{
  int32_t span = in + pa + pb;   /* < 3 * 32768, no overflow */
  if (span < k)
    return 0;
  return out == (span - k) / s + 1;
}

FbKernelStatus
fb_ki_check_conv (int in_bits, int out_bits, int w_bits, int depthwise, const FbConvParams *p)
{
  uint64_t red;

  if (p == NULL)
    return FB_KERNEL_ERROR_NULL;
  if (!fb_ki_bits_ok (in_bits) || !fb_ki_bits_ok (out_bits) || !fb_ki_bits_ok (w_bits))
    return FB_KERNEL_ERROR_BITS;
  if (!dim_ok (p->dim_in_x) || !dim_ok (p->dim_in_y) || !dim_ok (p->ch_in)
      || !dim_ok (p->dim_out_x) || !dim_ok (p->dim_out_y) || !dim_ok (p->ch_out)
      || !dim_ok (p->dim_kernel_x) || !dim_ok (p->dim_kernel_y)
      || !dim_ok (p->stride_x) || !dim_ok (p->stride_y)
      || !pad_ok (p->pad_top) || !pad_ok (p->pad_bottom)
      || !pad_ok (p->pad_left) || !pad_ok (p->pad_right))
    return FB_KERNEL_ERROR_DIM;
  if ((uint64_t) p->dim_in_x * (uint64_t) p->dim_in_y * (uint64_t) p->ch_in
        > (uint64_t) FB_KERNEL_MAX_ELEMENTS
      || (uint64_t) p->dim_out_x * (uint64_t) p->dim_out_y * (uint64_t) p->ch_out
        > (uint64_t) FB_KERNEL_MAX_ELEMENTS)
    return FB_KERNEL_ERROR_DIM;
  red = (uint64_t) p->dim_kernel_x * (uint64_t) p->dim_kernel_y
        * (uint64_t) (depthwise ? 1 : p->ch_in);
  if (red > FB_KERNEL_MAX_REDUCTION)
    return FB_KERNEL_ERROR_DIM;
  /* the depthwise weight tensor [Ky][Kx][C] must fit as well */
  if (depthwise && (uint64_t) p->dim_kernel_x * (uint64_t) p->dim_kernel_y * (uint64_t) p->ch_in
                     > (uint64_t) FB_KERNEL_MAX_ELEMENTS)
    return FB_KERNEL_ERROR_DIM;
  if (!multiple_ok (p->ch_in, in_bits) || !multiple_ok (p->ch_out, out_bits))
    return FB_KERNEL_ERROR_CHANNELS;
  if (depthwise && (p->ch_in != p->ch_out || !multiple_ok (p->ch_in, w_bits)))
    return FB_KERNEL_ERROR_CHANNELS;
  if (p->out_shift < 0 || p->out_shift > FB_KERNEL_MAX_SHIFT)
    return FB_KERNEL_ERROR_SHIFT;
  if (!extent_ok (p->dim_in_x, p->pad_left, p->pad_right, p->dim_kernel_x, p->stride_x,
                  p->dim_out_x)
      || !extent_ok (p->dim_in_y, p->pad_top, p->pad_bottom, p->dim_kernel_y, p->stride_y,
                     p->dim_out_y))
    return FB_KERNEL_ERROR_SHAPE;
  return FB_KERNEL_OK;
}

FbKernelStatus
fb_conv_check_params (int in_bits, int out_bits, int w_bits, int depthwise,
                      const FbConvParams *params)
{
  return fb_ki_check_conv (in_bits, out_bits, w_bits, depthwise != 0, params);
}

FbKernelStatus
fb_ki_check_linear (int in_bits, int out_bits, int w_bits, int32_t dim_vec, int32_t num_o,
                    int32_t out_shift)
{
  if (!fb_ki_bits_ok (in_bits) || !fb_ki_bits_ok (w_bits)
      || !(fb_ki_bits_ok (out_bits) || out_bits == 32))
    return FB_KERNEL_ERROR_BITS;
  if (dim_vec < 1 || dim_vec > FB_KERNEL_MAX_REDUCTION || num_o < 1 || num_o > FB_KERNEL_MAX_DIM)
    return FB_KERNEL_ERROR_DIM;
  if (!multiple_ok (dim_vec, in_bits) || (out_bits != 32 && !multiple_ok (num_o, out_bits)))
    return FB_KERNEL_ERROR_CHANNELS;
  if (out_bits != 32 && (out_shift < 0 || out_shift > FB_KERNEL_MAX_SHIFT))
    return FB_KERNEL_ERROR_SHIFT;
  return FB_KERNEL_OK;
}

/* Taps of a 1-D window inside [0, in) summed over all output positions. */
static uint64_t
valid_taps_1d (int32_t in, int32_t pad, int32_t k, int32_t s, int32_t out)
{
  uint64_t total = 0;
  int32_t o;
  for (o = 0; o < out; o++)
    {
      int32_t i0 = o * s - pad;
      int32_t lo = i0 < 0 ? -i0 : 0;
      int32_t hi = in - i0 < k ? in - i0 : k;
      if (hi > lo)
        total += (uint64_t) (hi - lo);
    }
  return total;
}

uint64_t
fb_conv_macs (const FbConvParams *p, int depthwise)
{
  uint64_t ty, tx;
  if (p == NULL)
    return 0;
  ty = valid_taps_1d (p->dim_in_y, p->pad_top, p->dim_kernel_y, p->stride_y, p->dim_out_y);
  tx = valid_taps_1d (p->dim_in_x, p->pad_left, p->dim_kernel_x, p->stride_x, p->dim_out_x);
  if (depthwise)
    return ty * tx * (uint64_t) p->ch_out;
  return ty * tx * (uint64_t) p->ch_in * (uint64_t) p->ch_out;
}
