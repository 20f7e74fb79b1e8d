/* fb-cli-bench.c — freebits-cli bench kernels [--target host|rv32imc] [--json]
 *                                             [--family NAME] [--min-time SECONDS]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs every kernel variant of every family on the benchmark suite of fb-kernel-bench.h
 * (standard shape per family, plus two more conv layers) and reports:
 *  - host: MACs per second of the kernel and of the plain reference implementation, timed in
 *    the same run, and their ratio (add and avgpool: input elements per second);
 *  - rv32imc: instructions per MAC (per element for add and avgpool), counted with the
 *    minstret CSR under qemu-system-riscv32 -icount shift=0 (deterministic).  The ELF is built
 *    at run time: the kernel sources are compiled with riscv64-unknown-elf-gcc (rv32imc, ilp32,
 *    picolibc, semihosting) from $FB_SOURCE_ROOT/src/kernels, else from the source tree this
 *    program was built from (fb-rv32.h in src/latency: shared with the latency harness, cached
 *    in ~/.cache/freebits/rv32).  Each rv32imc output is checked against the host's (same seeds,
 *    FNV-1a of the output bytes); every host output is checked against the reference.
 * Exit status: 0, 1 if a kernel failed or disagreed, 2 on bad usage or a missing toolchain.
 */
#include <string.h>

#include <gio/gio.h>

#include "fb-build-config.h"
#include "fb-cli.h"
#include "fb-kernel-bench.h"
#include "fb-kernels.h"
#include "fb-rv32.h"

typedef struct {
  FbKernelFamily family;
  char *kernel;
  const char *shape;
  FbKernelBenchShape dims;
  int in_bits, out_bits, w_bits;
  guint64 work;
  /* host */
  double per_second, ref_per_second;
  /* rv32imc */
  guint64 instructions;
  gboolean ok;   /* host: equals the reference; rv32imc: equals the host output */
} Row;

static void
row_free (gpointer p)
{
  Row *r = p;
  g_free (r->kernel);
  g_free (r);
}

static gboolean
family_selected (const char *only, FbKernelFamily f)
{
  return only == NULL || g_str_equal (only, fb_kernel_family_name (f));
}

/* Repeats fn until at least min_time seconds have passed; returns seconds per call. */
static double
time_calls (void (*fn) (FbKernelBenchCase *), FbKernelBenchCase *c, double min_time)
{
  guint64 reps = 1, n;
  for (;;)
    {
      gint64 t0 = g_get_monotonic_time (), t1;
      for (n = 0; n < reps; n++)
        fn (c);
      t1 = g_get_monotonic_time ();
      if ((double) (t1 - t0) * 1e-6 >= min_time || reps >= ((guint64) 1 << 40))
        return (double) (t1 - t0) * 1e-6 / (double) reps;
      reps *= (t1 - t0) > 1000 ? 2 : 8;
    }
}

static void
call_kernel (FbKernelBenchCase *c)
{
  fb_kernel_bench_run (c);
}

static void
call_ref (FbKernelBenchCase *c)
{
  fb_kernel_bench_run_ref (c);
}

static Row *
new_row (FbKernelBenchCase *c, const char *shape_name)
{
  Row *r = g_new0 (Row, 1);
  r->family = c->family;
  r->kernel = g_strdup (c->variant->name);
  r->shape = shape_name;
  r->dims = c->shape;
  r->in_bits = c->variant->in_bits;
  r->out_bits = c->variant->out_bits;
  r->w_bits = c->variant->w_bits;
  r->work = c->work;
  return r;
}

static int
bench_host (const char *only, double min_time, GPtrArray *rows)
{
  FbKernelFamily family;
  const char *shape_name;
  FbKernelBenchShape shape;
  gsize i, v;
  int failures = 0;

  for (i = 0; fb_kernel_bench_suite (i, &family, &shape_name, &shape); i++)
    {
      gsize nv = 0;
      if (!family_selected (only, family))
        continue;
      fb_kernel_family_variants (family, &nv);
      for (v = 0; v < nv; v++)
        {
          FbKernelBenchCase c;
          Row *r;
          if (fb_kernel_bench_setup (&c, family, v, &shape, fb_kernel_bench_seed (i, v)) != 0)
            {
              g_printerr ("freebits-cli: cannot set up %s variant %" G_GSIZE_FORMAT "\n",
                          fb_kernel_family_name (family), v);
              failures++;
              continue;
            }
          r = new_row (&c, shape_name);
          r->ok = fb_kernel_bench_run (&c) == FB_KERNEL_OK;
          fb_kernel_bench_run_ref (&c);
          r->ok = r->ok && fb_kernel_bench_matches_ref (&c);
          failures += !r->ok;
          {
            /* best of 3, kernel and reference interleaved: the machine may be shared */
            double tk = G_MAXDOUBLE, tr = G_MAXDOUBLE;
            int rep;
            for (rep = 0; rep < 3; rep++)
              {
                tk = MIN (tk, time_calls (call_kernel, &c, min_time));
                tr = MIN (tr, time_calls (call_ref, &c, min_time));
              }
            r->per_second = (double) c.work / tk;
            r->ref_per_second = (double) c.work / tr;
          }
          g_ptr_array_add (rows, r);
          fb_kernel_bench_clear (&c);
        }
    }
  return failures;
}

static int
bench_rv32 (const char *only, GPtrArray *rows)
{
  static const char *files[] = {
    "fb-kernel-common.c", "fb-kernel-pack.c", "fb-kernel-conv.c", "fb-kernel-depthwise.c",
    "fb-kernel-conv-winograd.c",
    "fb-kernel-linear.c", "fb-kernel-add.c", "fb-kernel-dispatch.c", "fb-kernel-ref.c",
    "fb-kernel-bench.c", "fb-kernel-bench-rv32.c",
  };
  g_autoptr (FbRv32Toolchain) tc = NULL;
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *src = NULL, *elf = NULL, *out = NULL;
  g_autoptr (GError) error = NULL;
  const char *inc[2] = { NULL, NULL };
  gboolean temporary = FALSE, ran;
  char **lines, **l;
  gsize i;
  int failures = 0;

  tc = fb_rv32_toolchain_find (&error);
  if (tc == NULL)
    {
      g_printerr ("freebits-cli: %s\n", error->message);
      return -2;
    }
#ifdef FB_KERNELS_SOURCE_DIR
  src = fb_rv32_find_source_dir ("src/kernels", "fb-kernels.h", FB_KERNELS_SOURCE_DIR);
#else
  src = fb_rv32_find_source_dir ("src/kernels", "fb-kernels.h", NULL);
#endif
  if (src == NULL)
    {
      g_printerr ("freebits-cli: kernel sources not found; set FB_SOURCE_ROOT to the freebits "
                  "source tree\n");
      return -2;
    }
  for (i = 0; i < G_N_ELEMENTS (files); i++)
    g_ptr_array_add (sources, g_build_filename (src, files[i], NULL));
  g_ptr_array_add (sources, NULL);
  inc[0] = src;
  elf = fb_rv32_build_elf (tc, "kernel-bench", (const char *const *) sources->pdata, inc,
                           &temporary, NULL, &error);
  if (elf == NULL)
    {
      g_printerr ("freebits-cli: building the rv32imc benchmark failed: %s\n", error->message);
      return -1;
    }
  ran = fb_rv32_run (tc, elf, NULL, &out, NULL, &error);
  if (temporary)
    fb_rv32_remove_temporary (elf);
  if (!ran)
    {
      g_printerr ("freebits-cli: running the rv32imc benchmark failed: %s\n", error->message);
      return -1;
    }

  g_strdelimit (out, "\r", '\n');
  lines = g_strsplit (out, "\n", -1);
  for (l = lines; *l != NULL; l++)
    {
      char **f;
      FbKernelFamily family;
      const char *shape_name;
      FbKernelBenchShape shape;
      gsize si, v, nv = 0;
      const FbKernelVariant *vars;
      if (!g_str_has_prefix (*l, "R "))
        {
          if (g_str_has_prefix (*l, "E "))
            {
              g_printerr ("freebits-cli: rv32imc: %s\n", *l);
              failures++;
            }
          continue;
        }
      f = g_strsplit (*l, " ", -1);
      if (g_strv_length (f) != 8)
        {
          g_strfreev (f);
          continue;
        }
      /* find the suite entry and variant, and run the same workload on the host */
      for (si = 0; fb_kernel_bench_suite (si, &family, &shape_name, &shape); si++)
        {
          if (!g_str_equal (fb_kernel_family_name (family), f[1])
              || !g_str_equal (shape_name, f[3]))
            continue;
          vars = fb_kernel_family_variants (family, &nv);
          for (v = 0; v < nv; v++)
            if (g_str_equal (vars[v].name, f[2]))
              break;
          if (v < nv && family_selected (only, family))
            {
              FbKernelBenchCase c;
              if (fb_kernel_bench_setup (&c, family, v, &shape, fb_kernel_bench_seed (si, v)) == 0)
                {
                  Row *r = new_row (&c, shape_name);
                  char hash[16];
                  fb_kernel_bench_run (&c);
                  g_snprintf (hash, sizeof hash, "%08lx",
                              (unsigned long) fb_kernel_bench_output_hash (&c));
                  r->instructions = g_ascii_strtoull (f[4], NULL, 10);
                  r->ok = g_str_equal (hash, f[6]) && g_str_equal (f[7], "0")
                          && g_ascii_strtoull (f[5], NULL, 10) == c.work;
                  failures += !r->ok;
                  g_ptr_array_add (rows, r);
                  fb_kernel_bench_clear (&c);
                }
            }
          break;
        }
      g_strfreev (f);
    }
  g_strfreev (lines);
  if (rows->len == 0)
    {
      g_printerr ("freebits-cli: the rv32imc benchmark printed no results\n");
      return -1;
    }
  return failures;
}

static void
add_shape_json (JsonBuilder *b, const Row *r)
{
  json_builder_set_member_name (b, "shape");
  json_builder_begin_object (b);
  if (r->family == FB_KERNEL_FAMILY_CONV || r->family == FB_KERNEL_FAMILY_DEPTHWISE)
    {
      const FbConvParams *p = &r->dims.conv;
      const struct { const char *k; gint64 v; } m[] = {
        { "in_h", p->dim_in_y }, { "in_w", p->dim_in_x }, { "cin", p->ch_in },
        { "out_h", p->dim_out_y }, { "out_w", p->dim_out_x }, { "cout", p->ch_out },
        { "kernel_h", p->dim_kernel_y }, { "kernel_w", p->dim_kernel_x },
        { "pad_top", p->pad_top }, { "pad_bottom", p->pad_bottom },
        { "pad_left", p->pad_left }, { "pad_right", p->pad_right },
        { "stride_h", p->stride_y }, { "stride_w", p->stride_x },
      };
      gsize i;
      for (i = 0; i < G_N_ELEMENTS (m); i++)
        {
          fb_json_add_int (b, m[i].k, m[i].v);
        }
    }
  else if (r->family == FB_KERNEL_FAMILY_LINEAR || r->family == FB_KERNEL_FAMILY_LINEAR_I32)
    {
      fb_json_add_int (b, "dim_vec", r->dims.dim_vec);
      fb_json_add_int (b, "num_o", r->dims.num_o);
    }
  else
    {
      fb_json_add_int (b, "h", r->dims.dim_y);
      fb_json_add_int (b, "w", r->dims.dim_x);
      fb_json_add_int (b, "c", r->dims.ch);
    }
  json_builder_end_object (b);
}

static void
print_json (gboolean rv32, GPtrArray *rows)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  guint i;

  json_builder_begin_object (b);
  fb_json_add_string (b, "format", "freebits-kernel-bench/1");
  fb_json_add_string (b, "target", rv32 ? "rv32imc" : "host");
  fb_json_add_string (b, "unit", rv32 ? "instructions_per_mac" : "macs_per_second");
  json_builder_set_member_name (b, "provenance");
  json_builder_begin_object (b);
  fb_json_add_string (b, "tool", "freebits-cli " FB_VERSION);
  fb_json_add_string (b, "method", rv32 ? "minstret under qemu-system-riscv32 -icount shift=0, "
                                           "riscv64-unknown-elf-gcc -march=rv32imc -O2"
                                         : "monotonic clock, same-run reference");
  if (!rv32) /* which run-time selected copy of the host kernels ran */
    fb_json_add_string (b, "host_code", fb_kernel_host_code ());
  json_builder_set_member_name (b, "work");
  json_builder_add_string_value (b, "MACs over taps inside the input; add and avgpool: "
                                    "input elements");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  for (i = 0; i < rows->len; i++)
    {
      const Row *r = g_ptr_array_index (rows, i);
      json_builder_begin_object (b);
      fb_json_add_string (b, "family", fb_kernel_family_name (r->family));
      fb_json_add_string (b, "kernel", r->kernel);
      fb_json_add_string (b, "shape_name", r->shape);
      add_shape_json (b, r);
      fb_json_add_int (b, "macs", (gint64) r->work);
      if (rv32)
        {
          fb_json_add_int (b, "instructions", (gint64) r->instructions);
          fb_json_add_double (b, "instructions_per_mac", (double) r->instructions / (double) r->work);
          json_builder_set_member_name (b, "matches_host");
        }
      else
        {
          fb_json_add_double (b, "macs_per_second", r->per_second);
          fb_json_add_double (b, "ref_macs_per_second", r->ref_per_second);
          fb_json_add_double (b, "speedup_vs_ref", r->per_second / r->ref_per_second);
          json_builder_set_member_name (b, "matches_ref");
        }
      json_builder_add_boolean_value (b, r->ok);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  fb_cli_print_json (root);
}

static void
print_table (gboolean rv32, GPtrArray *rows)
{
  guint i;
  if (rv32)
    g_print ("%-24s %-10s %14s %12s %10s  %s\n", "kernel", "shape", "instructions", "MACs",
             "instr/MAC", "check");
  else
    g_print ("%-24s %-10s %12s %12s %8s  %s\n", "kernel", "shape", "MMAC/s", "ref MMAC/s",
             "speedup", "check");
  for (i = 0; i < rows->len; i++)
    {
      const Row *r = g_ptr_array_index (rows, i);
      if (rv32)
        g_print ("%-24s %-10s %14" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT " %10.3f  %s\n",
                 r->kernel, r->shape, r->instructions, r->work,
                 (double) r->instructions / (double) r->work, r->ok ? "ok" : "MISMATCH");
      else
        g_print ("%-24s %-10s %12.1f %12.1f %8.1f  %s\n", r->kernel, r->shape,
                 r->per_second * 1e-6, r->ref_per_second * 1e-6,
                 r->per_second / r->ref_per_second, r->ok ? "ok" : "MISMATCH");
    }
  g_print ("\nMACs: over taps inside the input (add, avgpool: input elements).  %s\n",
           rv32 ? "Instructions counted with minstret under QEMU (-icount), im2col and "
                  "requantization included."
                : "Reference: the plain int32 implementation, timed in the same run.");
}

int
fb_cli_bench (int argc, char **argv)
{
  g_autofree char *target = NULL, *family = NULL;
  gboolean json = FALSE;
  double min_time = 0.01;
  GOptionEntry entries[] = {
    FB_CLI_TARGET_ENTRY (&target, "host (timed, default) or rv32imc "
      "(instruction counts under QEMU)"),
    FB_CLI_JSON_ENTRY (&json, "Print freebits-kernel-bench/1 JSON"),
    { "family", 'f', 0, G_OPTION_ARG_STRING, &family, "Only conv, depthwise, linear, "
      "linear_i32, add or avgpool", "NAME" },
    { "min-time", 0, 0, G_OPTION_ARG_DOUBLE, &min_time, "Host: seconds per measurement, "
      "best of 3 (default 0.01)", "SECONDS" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("kernels");
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (row_free);
  gboolean rv32;
  int failures;

  g_option_context_set_summary (context,
                                "Benchmark every kernel variant: MACs/s and the ratio to the "
                                "reference on the host,\ninstructions per MAC on rv32imc.");
  /* "bench search" has its own options (fb-cli-bench-search.c). */
  if (argc >= 2 && g_str_equal (argv[1], "search"))
    return fb_cli_bench_search (argc, argv);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!fb_cli_parse (context, entries, &argc, &argv))
    return FB_CLI_EXIT_INPUT;
  if (argc != 2 || !g_str_equal (argv[1], "kernels"))
    return fb_cli_usage (context, "expected \"bench kernels\" or \"bench search\"");
  if (target != NULL && !g_str_equal (target, "host") && !g_str_equal (target, "rv32imc"))
    return fb_cli_usage (context, "--target must be host or rv32imc");
  if (family != NULL)
    {
      int f, found = 0;
      for (f = 0; f < FB_KERNEL_N_FAMILIES; f++)
        found |= g_str_equal (family, fb_kernel_family_name ((FbKernelFamily) f));
      if (!found)
        return fb_cli_usage (context, "unknown --family");
    }
  if (!(min_time > 0 && min_time < 3600))
    return fb_cli_usage (context, "--min-time must be positive");
  rv32 = target != NULL && g_str_equal (target, "rv32imc");

  failures = rv32 ? bench_rv32 (family, rows) : bench_host (family, min_time, rows);
  if (failures == -2)
    return FB_CLI_EXIT_INPUT;
  if (failures < 0)
    return FB_CLI_EXIT_FAILED;
  if (json)
    print_json (rv32, rows);
  else
    print_table (rv32, rows);
  if (failures > 0)
    {
      g_printerr ("freebits-cli: %d kernel results disagree with the %s\n", failures,
                  rv32 ? "host" : "reference");
      return FB_CLI_EXIT_FAILED;
    }
  return FB_CLI_EXIT_OK;
}
