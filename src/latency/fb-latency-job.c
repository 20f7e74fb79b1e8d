/* fb-latency-job.c — one kernel call to measure (pure C99, no GLib).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-latency-job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb-kernel-workload.h"

void
fb_latency_arena_init (FbLatencyArena *a, void *base, size_t size)
{
  uintptr_t u = (uintptr_t) base, aligned = (u + 15u) & ~(uintptr_t) 15u;
  a->base = (uint8_t *) aligned;
  a->size = size > (size_t) (aligned - u) ? size - (size_t) (aligned - u) : 0;
  a->used = 0;
}

void
fb_latency_arena_reset (FbLatencyArena *a)
{
  a->used = 0;
}

void *
fb_latency_arena_alloc (FbLatencyArena *a, size_t bytes)
{
  size_t n = (bytes + 15u) & ~(size_t) 15u;
  void *p;
  if (n == 0)
    n = 16;
  if (n > a->size - a->used)
    return NULL;
  p = a->base + a->used;
  a->used += n;
  return p;
}

int
fb_latency_job_format (const FbLatencyJob *j, char *buf, size_t n)
{
  const FbConvParams *p = &j->conv;
  int len = snprintf (buf, n,
                      "J %lu %d %ld %ld %ld  %ld %ld %ld %ld %ld %ld %ld %ld  %ld %ld %ld %ld "
                      "%ld %ld %ld  %ld %ld %ld %ld %ld %ld %lu %lu %lu %lu %lu",
                      (unsigned long) j->id, (int) j->family, (long) j->in_bits,
                      (long) j->mid_bits, (long) j->out_bits, (long) p->dim_in_x,
                      (long) p->dim_in_y, (long) p->ch_in, (long) p->dim_out_x,
                      (long) p->dim_out_y, (long) p->ch_out, (long) p->dim_kernel_x,
                      (long) p->dim_kernel_y, (long) p->pad_top, (long) p->pad_bottom,
                      (long) p->pad_left, (long) p->pad_right, (long) p->stride_x,
                      (long) p->stride_y, (long) p->flag_relu, (long) j->dim_vec,
                      (long) j->num_o, (long) j->dim_x, (long) j->dim_y, (long) j->ch,
                      (long) j->shift, (unsigned long) j->scratch_bytes,
                      (unsigned long) j->seed, (unsigned long) j->input_offset,
                      (unsigned long) j->input2_offset, (unsigned long) j->output_offset);
  return len < 0 || (size_t) len >= n ? -1 : len;
}

int
fb_latency_job_parse (const char *line, FbLatencyJob *j)
{
  long v[FB_LATENCY_JOB_N_FIELDS];
  const char *p = line;
  char *end;
  int i;

  if (p[0] != 'J' || p[1] != ' ')
    return -1;
  p += 2;
  for (i = 0; i < FB_LATENCY_JOB_N_FIELDS; i++)
    {
      while (*p == ' ')
        p++;
      v[i] = strtol (p, &end, 10);
      if (end == p)
        return -1;
      p = end;
    }
  while (*p == ' ' || *p == '\r' || *p == '\n')
    p++;
  if (*p != '\0' || v[1] < 0 || v[1] >= (long) FB_KERNEL_N_FAMILIES)
    return -1;
  memset (j, 0, sizeof *j);
  j->id = (uint32_t) v[0];
  j->family = (FbKernelFamily) v[1];
  j->in_bits = (int32_t) v[2];
  j->mid_bits = (int32_t) v[3];
  j->out_bits = (int32_t) v[4];
  j->conv.dim_in_x = (int32_t) v[5];
  j->conv.dim_in_y = (int32_t) v[6];
  j->conv.ch_in = (int32_t) v[7];
  j->conv.dim_out_x = (int32_t) v[8];
  j->conv.dim_out_y = (int32_t) v[9];
  j->conv.ch_out = (int32_t) v[10];
  j->conv.dim_kernel_x = (int32_t) v[11];
  j->conv.dim_kernel_y = (int32_t) v[12];
  j->conv.pad_top = (int32_t) v[13];
  j->conv.pad_bottom = (int32_t) v[14];
  j->conv.pad_left = (int32_t) v[15];
  j->conv.pad_right = (int32_t) v[16];
  j->conv.stride_x = (int32_t) v[17];
  j->conv.stride_y = (int32_t) v[18];
  j->conv.flag_relu = (int32_t) v[19];
  j->dim_vec = (int32_t) v[20];
  j->num_o = (int32_t) v[21];
  j->dim_x = (int32_t) v[22];
  j->dim_y = (int32_t) v[23];
  j->ch = (int32_t) v[24];
  j->shift = (int32_t) v[25];
  j->conv.out_shift = j->shift;
  j->scratch_bytes = (uint32_t) v[26];
  j->seed = (uint32_t) v[27];
  j->input_offset = (uint32_t) v[28];
  j->input2_offset = (uint32_t) v[29];
  j->output_offset = (uint32_t) v[30];
  return 0;
}

static size_t
packed (size_t n, int bits)
{
  return (n * (size_t) bits + 7u) / 8u;
}

void
fb_latency_job_sizes (const FbLatencyJob *j, size_t *input, size_t *input2, size_t *weights,
                      size_t *output)
{
  const FbConvParams *p = &j->conv;
  size_t in = 0, in2 = 0, w = 0, out = 0;
  switch (j->family)
    {
    case FB_KERNEL_FAMILY_CONV:
    case FB_KERNEL_FAMILY_DEPTHWISE:
      in = packed ((size_t) p->dim_in_x * (size_t) p->dim_in_y * (size_t) p->ch_in, j->in_bits);
      out = packed ((size_t) p->dim_out_x * (size_t) p->dim_out_y * (size_t) p->ch_out,
                    j->out_bits);
      if (j->family == FB_KERNEL_FAMILY_DEPTHWISE)
        w = (size_t) p->dim_kernel_x * (size_t) p->dim_kernel_y
            * packed ((size_t) p->ch_in, j->mid_bits);
      else
        w = (size_t) p->ch_out
            * fb_kernel_weight_row_bytes ((size_t) p->dim_kernel_x * (size_t) p->dim_kernel_y
                                          * (size_t) p->ch_in, j->mid_bits);
      break;
    case FB_KERNEL_FAMILY_LINEAR:
    case FB_KERNEL_FAMILY_LINEAR_I32:
      in = packed ((size_t) j->dim_vec, j->in_bits);
      w = (size_t) j->num_o * fb_kernel_weight_row_bytes ((size_t) j->dim_vec, j->mid_bits);
      out = j->family == FB_KERNEL_FAMILY_LINEAR_I32 ? (size_t) j->num_o * 4u
                                                     : packed ((size_t) j->num_o, j->out_bits);
      break;
    case FB_KERNEL_FAMILY_ADD:
      {
        size_t n = (size_t) j->dim_x * (size_t) j->dim_y * (size_t) j->ch;
        in = packed (n, j->in_bits);
        in2 = packed (n, j->mid_bits);
        out = packed (n, j->out_bits);
      }
      break;
    case FB_KERNEL_FAMILY_AVGPOOL:
      in = packed ((size_t) j->dim_x * (size_t) j->dim_y * (size_t) j->ch, j->in_bits);
      out = packed ((size_t) j->ch, j->in_bits);
      break;
    case FB_KERNEL_FAMILY_AVGPOOL2D:
    case FB_KERNEL_FAMILY_MAXPOOL2D:
      in = packed ((size_t) p->dim_in_x * (size_t) p->dim_in_y * (size_t) p->ch_in, j->in_bits);
      out = packed ((size_t) p->dim_out_x * (size_t) p->dim_out_y * (size_t) p->ch_in,
                    j->in_bits);
      break;
    default:
      break;
    }
  if (input)
    *input = in;
  if (input2)
    *input2 = in2;
  if (weights)
    *weights = w;
  if (output)
    *output = out;
}

static size_t
scratch_size (const FbLatencyJob *j)
{
  if (j->scratch_bytes > 0)
    return j->scratch_bytes;
  switch (j->family)
    {
    case FB_KERNEL_FAMILY_CONV:
      return fb_conv_get_buffer_size (j->in_bits, j->out_bits, j->mid_bits, &j->conv);
    case FB_KERNEL_FAMILY_DEPTHWISE:
      return fb_depthwise_get_buffer_size (j->in_bits, j->out_bits, j->mid_bits, &j->conv);
    case FB_KERNEL_FAMILY_LINEAR:
    case FB_KERNEL_FAMILY_LINEAR_I32:
      return fb_linear_get_buffer_size (j->in_bits, j->out_bits, j->mid_bits, j->dim_vec,
                                        j->num_o);
    default:
      return 0;
    }
}

static int32_t
n_channels (const FbLatencyJob *j)
{
  switch (j->family)
    {
    case FB_KERNEL_FAMILY_CONV:
    case FB_KERNEL_FAMILY_DEPTHWISE:
      return j->conv.ch_out;
    case FB_KERNEL_FAMILY_LINEAR:
    case FB_KERNEL_FAMILY_LINEAR_I32:
      return j->num_o;
    default:
      return 0;
    }
}

size_t
fb_latency_job_arena_bytes (const FbLatencyJob *j, int with_io)
{
  size_t in, in2, w, out, ch = (size_t) n_channels (j);
  fb_latency_job_sizes (j, &in, &in2, &w, &out);
  /* every block rounded up to 16 bytes (+16 each for the rounding) */
  return w + 3 * 4 * ch + scratch_size (j) + (with_io ? in + in2 + out : 0) + 8 * 16;
}

void
fb_latency_fill_random (uint32_t *state, uint8_t *dst, size_t n)
{
  size_t i = 0;
  if (*state == 0)
    *state = 0x9E3779B9u;
  for (; i + 4 <= n; i += 4)
    {
      uint32_t r = fb_kernel_workload_random (state);
      dst[i] = (uint8_t) r;
      dst[i + 1] = (uint8_t) (r >> 8);
      dst[i + 2] = (uint8_t) (r >> 16);
      dst[i + 3] = (uint8_t) (r >> 24);
    }
  if (i < n)
    {
      uint32_t r = fb_kernel_workload_random (state);
      for (; i < n; i++, r >>= 8)
        dst[i] = (uint8_t) r;
    }
}

static uint32_t
isqrt (uint32_t v)
{
  uint32_t r = 0;
  while ((r + 1) * (r + 1) <= v)
    r++;
  return r;
}

/* Requantization parameters of a trained layer's order of magnitude for shift d: the
 * accumulator of a K-long reduction of random operands spreads over about
 * sqrt(K) * 2^A * 2^(W-1) / 2, kappa maps that onto the 2^O output levels (times a random
 * factor in [0.5, 1.5)), lambda adds the rounding term and a random offset of up to half
 * the output range. */
static void
fill_requant (uint32_t *s, const FbLatencyJob *j, int32_t k_len, int32_t *kappa,
              int32_t *lambda, int32_t n)
{
  const int d = j->shift < 0 ? 0 : j->shift > 62 ? 62 : j->shift;
  const int O = j->out_bits > 8 ? 8 : j->out_bits;
  int64_t spread = (int64_t) isqrt ((uint32_t) (k_len > 0 ? k_len : 1))
                   * ((int64_t) 1 << j->in_bits) * ((int64_t) 1 << (j->mid_bits - 1)) / 2;
  int64_t k0 = (((int64_t) 1 << d) * ((int64_t) 1 << O)) / (spread > 0 ? spread : 1);
  int64_t range = ((int64_t) 1 << d) * (((int64_t) 1 << O) - 1) / 2;
  int32_t i;
  if (range > 0x3fffffff)
    range = 0x3fffffff;
  if (k0 < 2)
    k0 = 2;
  if (k0 > 0x3fffffff)
    k0 = 0x3fffffff;
  for (i = 0; i < n; i++)
    {
      int64_t k = k0 / 2 + (int64_t) (fb_kernel_workload_random (s) % (uint32_t) k0);
      int64_t l = (d > 0 ? ((int64_t) 1 << (d - 1)) : 0)
                  + (int64_t) (fb_kernel_workload_random (s) % (uint32_t) (2 * range + 1)) - range;
      kappa[i] = (int32_t) (k > 0x7fffffff ? 0x7fffffff : k);
      lambda[i] = (int32_t) (l > 0x7fffffff ? 0x7fffffff : l < -0x7fffffff ? -0x7fffffff : l);
    }
}

int
fb_latency_job_setup (const FbLatencyJob *j, FbLatencyArena *a, int with_io, FbLatencyCall *c)
{
  uint32_t s = j->seed ? j->seed : 0x2545F491u;
  int32_t ch = n_channels (j);
  size_t i;

  memset (c, 0, sizeof *c);
  if (j->in_bits < 2 || j->in_bits > 8 || j->out_bits < 2
      || (j->family != FB_KERNEL_FAMILY_AVGPOOL && j->family != FB_KERNEL_FAMILY_AVGPOOL2D
          && j->family != FB_KERNEL_FAMILY_MAXPOOL2D && (j->mid_bits < 2 || j->mid_bits > 8)))
    return -1;
  fb_latency_job_sizes (j, &c->input_bytes, &c->input2_bytes, &c->weight_bytes,
                        &c->output_bytes);
  c->scratch_size = scratch_size (j);

  if (c->weight_bytes > 0)
    {
      c->weights = (uint8_t *) fb_latency_arena_alloc (a, c->weight_bytes);
      if (c->weights == NULL)
        return -1;
      fb_latency_fill_random (&s, c->weights, c->weight_bytes);
      /* conv / linear rows are padded with zero bits to a whole byte */
      if (j->family == FB_KERNEL_FAMILY_CONV || j->family == FB_KERNEL_FAMILY_LINEAR
          || j->family == FB_KERNEL_FAMILY_LINEAR_I32)
        {
          size_t k = j->family == FB_KERNEL_FAMILY_CONV
                       ? (size_t) j->conv.dim_kernel_x * (size_t) j->conv.dim_kernel_y
                           * (size_t) j->conv.ch_in
                       : (size_t) j->dim_vec;
          size_t row = fb_kernel_weight_row_bytes (k, j->mid_bits);
          unsigned used = (unsigned) ((k * (size_t) j->mid_bits) % 8u);
          if (used != 0)
            for (i = 0; i < (size_t) ch; i++)
              c->weights[i * row + row - 1] &= (uint8_t) ((1u << used) - 1u);
        }
    }
  if (j->family == FB_KERNEL_FAMILY_LINEAR_I32)
    {
      c->bias = (int32_t *) fb_latency_arena_alloc (a, (size_t) ch * 4u);
      if (c->bias == NULL)
        return -1;
      for (i = 0; i < (size_t) ch; i++)
        c->bias[i] = (int32_t) (fb_kernel_workload_random (&s) % 200001u) - 100000;
    }
  else if (ch > 0)
    {
      int32_t k_len = j->family == FB_KERNEL_FAMILY_CONV
                        ? j->conv.dim_kernel_x * j->conv.dim_kernel_y * j->conv.ch_in
                      : j->family == FB_KERNEL_FAMILY_DEPTHWISE
                        ? j->conv.dim_kernel_x * j->conv.dim_kernel_y
                        : j->dim_vec;
      c->kappa = (int32_t *) fb_latency_arena_alloc (a, (size_t) ch * 4u);
      c->lambda = (int32_t *) fb_latency_arena_alloc (a, (size_t) ch * 4u);
      if (c->kappa == NULL || c->lambda == NULL)
        return -1;
      fill_requant (&s, j, k_len, c->kappa, c->lambda, ch);
    }
  if (j->family == FB_KERNEL_FAMILY_ADD)
    {
      const int d = j->shift;
      const int O = j->out_bits;
      c->m1 = (int32_t) (((int64_t) 1 << d) * ((1 << O) - 1) / ((1 << j->in_bits) - 1) / 2);
      c->m2 = (int32_t) (((int64_t) 1 << d) * ((1 << O) - 1) / ((1 << j->mid_bits) - 1) / 2);
    }
  if (c->scratch_size > 0)
    {
      c->scratch = fb_latency_arena_alloc (a, c->scratch_size);
      if (c->scratch == NULL)
        return -1;
    }
  if (with_io)
    {
      c->input = (uint8_t *) fb_latency_arena_alloc (a, c->input_bytes);
      if (c->input == NULL)
        return -1;
      fb_latency_fill_random (&s, c->input, c->input_bytes);
      if (c->input2_bytes > 0)
        {
          c->input2 = (uint8_t *) fb_latency_arena_alloc (a, c->input2_bytes);
          if (c->input2 == NULL)
            return -1;
          fb_latency_fill_random (&s, c->input2, c->input2_bytes);
        }
      if (j->family == FB_KERNEL_FAMILY_LINEAR_I32)
        {
          c->output32 = (int32_t *) fb_latency_arena_alloc (a, c->output_bytes);
          if (c->output32 == NULL)
            return -1;
        }
      else
        {
          c->output = (uint8_t *) fb_latency_arena_alloc (a, c->output_bytes);
          if (c->output == NULL)
            return -1;
        }
    }
  return 0;
}

FbKernelStatus
fb_latency_job_run (const FbLatencyJob *j, const FbLatencyCall *c)
{
  switch (j->family)
    {
    case FB_KERNEL_FAMILY_CONV:
      {
        FbConvFunc f = fb_conv_lookup (j->in_bits, j->out_bits, j->mid_bits);
        return f == NULL ? FB_KERNEL_ERROR_BITS
                         : f (c->input, c->weights, c->kappa, c->lambda, c->output, &j->conv,
                              c->scratch, c->scratch_size);
      }
    case FB_KERNEL_FAMILY_DEPTHWISE:
      {
        FbDepthwiseFunc f = fb_depthwise_lookup (j->in_bits, j->out_bits, j->mid_bits);
        return f == NULL ? FB_KERNEL_ERROR_BITS
                         : f (c->input, c->weights, c->kappa, c->lambda, c->output, &j->conv,
                              c->scratch, c->scratch_size);
      }
    case FB_KERNEL_FAMILY_LINEAR:
      {
        FbLinearFunc f = fb_linear_lookup (j->in_bits, j->out_bits, j->mid_bits);
        return f == NULL ? FB_KERNEL_ERROR_BITS
                         : f (c->input, c->weights, c->kappa, c->lambda, c->output, j->dim_vec,
                              j->num_o, j->shift, j->conv.flag_relu, c->scratch,
                              c->scratch_size);
      }
    case FB_KERNEL_FAMILY_LINEAR_I32:
      {
        FbLinearI32Func f = fb_linear_i32_lookup (j->in_bits, j->mid_bits);
        return f == NULL ? FB_KERNEL_ERROR_BITS
                         : f (c->input, c->weights, c->bias, c->output32, j->dim_vec, j->num_o,
                              j->conv.flag_relu, c->scratch, c->scratch_size);
      }
    case FB_KERNEL_FAMILY_ADD:
      {
        FbAddFunc f = fb_add_lookup (j->in_bits, j->mid_bits, j->out_bits);
        return f == NULL ? FB_KERNEL_ERROR_BITS
                         : f (c->input, c->input2, c->output, j->dim_x, j->dim_y, j->ch, c->m1,
                              c->m2, j->shift, j->conv.flag_relu);
      }
    case FB_KERNEL_FAMILY_AVGPOOL:
      {
        FbAvgPoolFunc f = fb_avgpool_lookup (j->in_bits);
        return f == NULL ? FB_KERNEL_ERROR_BITS
                         : f (c->input, c->output, j->dim_x, j->dim_y, j->ch, j->conv.flag_relu);
      }
    case FB_KERNEL_FAMILY_AVGPOOL2D:
    case FB_KERNEL_FAMILY_MAXPOOL2D:
      {
        FbPool2dFunc f = j->family == FB_KERNEL_FAMILY_AVGPOOL2D ? fb_avgpool2d_lookup (j->in_bits)
                                                                : fb_maxpool2d_lookup (j->in_bits);
        return f == NULL ? FB_KERNEL_ERROR_BITS : f (c->input, c->output, &j->conv);
      }
    default:
      return FB_KERNEL_ERROR_NULL;
    }
}

uint32_t
fb_latency_call_hash (const FbLatencyJob *j, const FbLatencyCall *c)
{
  return fb_kernel_workload_output_hash (j->family, c->output, c->output_bytes, c->output32,
                                (size_t) j->num_o);
}
