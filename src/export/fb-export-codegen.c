/* fb-export-codegen.c — the text of a generated C bundle.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-build-config.h"
#include "fb-error.h"
#include "fb-export-codegen.h"
#include "fb-rv32.h"

/* A C identifier from a layer or tensor name: other characters become '_', a leading digit
 * or a kernel's namespace gets a prefix; @used makes it unique. The suffix is tried until it is free: a_b_2, a_b and
 * a-b once gave a_b_2 twice. (Layer identifiers are only used with a suffix such as _weights,
 * and every suffix is distinct, so unique bases give unique symbols.) */
static char *
make_ident (const char *name, const char *prefix, GHashTable *used, guint index)
{
  GString *s = g_string_new (prefix);
  char *ident;

  for (const char *p = name; *p; p++)
    g_string_append_c (s, g_ascii_isalnum (*p) ? *p : '_');
  /* fb_* and conv_scalar_* belong to the bundled kernels (fb_kernel_pack_conv_weights). */
  if (s->len == 0 || g_ascii_isdigit (s->str[0]) || g_str_has_prefix (s->str, "fb_") ||
      g_str_has_prefix (s->str, "conv_scalar_"))
    g_string_prepend (s, "l_");
  if (g_hash_table_contains (used, s->str))
    {
      gsize base = s->len;
      for (guint n = index; g_hash_table_contains (used, s->str); n++)
        {
          g_string_truncate (s, base);
          g_string_append_printf (s, "_%u", n);
        }
    }
  ident = g_string_free (s, FALSE);
  g_hash_table_add (used, g_strdup (ident));
  return ident;
}

static const FbIntStep *
step_at (FbExportCodegen *cg, guint i)
{
  return fb_int_network_get_step (cg->network, i);
}

static FbNetwork *
cg_net (FbExportCodegen *cg)
{
  return fb_int_network_get_network (cg->network);
}

/* Output channels of a step's kappa/lambda/bias arrays; 0 when it has none. */
static gsize
step_channels (const FbPlanStep *s)
{
  switch (s->kind)
    {
    case FB_PLAN_CONV:
    case FB_PLAN_DEPTHWISE:
      return (gsize) s->conv.ch_out;
    case FB_PLAN_LINEAR:
    case FB_PLAN_LINEAR_I32:
      return (gsize) s->num_o_neurons;
    case FB_PLAN_ADD:
    case FB_PLAN_AVGPOOL:
    case FB_PLAN_AVGPOOL2D:
    case FB_PLAN_MAXPOOL2D:
      break;
    }
  return 0;
}

static FbKernelFamily
step_family (const FbPlanStep *s)
{
  switch (s->kind)
    {
    case FB_PLAN_CONV: return FB_KERNEL_FAMILY_CONV;
    case FB_PLAN_DEPTHWISE: return FB_KERNEL_FAMILY_DEPTHWISE;
    case FB_PLAN_LINEAR: return FB_KERNEL_FAMILY_LINEAR;
    case FB_PLAN_LINEAR_I32: return FB_KERNEL_FAMILY_LINEAR_I32;
    case FB_PLAN_ADD: return FB_KERNEL_FAMILY_ADD;
    case FB_PLAN_AVGPOOL: return FB_KERNEL_FAMILY_AVGPOOL;
    case FB_PLAN_AVGPOOL2D: return FB_KERNEL_FAMILY_AVGPOOL2D;
    case FB_PLAN_MAXPOOL2D: return FB_KERNEL_FAMILY_MAXPOOL2D;
    }
  g_assert_not_reached ();
}

static gboolean
family_used (FbExportCodegen *cg, FbKernelFamily family)
{
  for (guint i = 0; i < fb_plan_get_n_steps (cg->plan); i++)
    if (step_family (fb_plan_get_step (cg->plan, i)) == family)
      return TRUE;
  return FALSE;
}

static gsize prepared_length (const FbIntStep *is);
static gboolean has_prepared (const FbIntStep *is);

gboolean
fb_export_codegen_init (FbExportCodegen *cg, FbIntNetwork *network, FbLatencyTable *table,
                        const char *config_label, GError **error)
{
  FbNetwork *net = fb_int_network_get_network (network);
  FbPrecisionConfig *config;
  g_autoptr (GHashTable) used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_layers = fb_network_get_n_layers (net), n_tensors = fb_network_get_n_tensors (net);

  memset (cg, 0, sizeof *cg);
  cg->network = fb_int_network_ref (network);
  cg->plan = fb_plan_ref (fb_int_network_get_plan (network));
  cg->table = table != NULL ? fb_latency_table_ref (table) : NULL;
  /* The label goes into C comments and the Makefile: printable ASCII, no comment end. */
  cg->config_label = g_strdup (config_label != NULL && *config_label ? config_label : "custom");
  for (char *p = cg->config_label; *p; p++)
    if (!g_ascii_isprint (*p) || *p == '*' || *p == '#' || *p == '\\')
      *p = '_';
  cg->per_layer = g_new0 (FbLayerMetrics, n_layers);
  cg->kernel_files = g_ptr_array_new ();
  config = fb_plan_get_config (cg->plan);

  if (fb_int_network_get_arch (network) != FB_KERNEL_ARCH_HOST)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("export needs the integer network lowered for the host architecture"));
      return FALSE;
    }
  if (table != NULL && !fb_latency_table_check_network (table, net, error))
    return FALSE;
  if (!fb_metrics_compute (config, table, &cg->metrics, cg->per_layer, error))
    return FALSE;
  /* The bundle also builds for rv32imc, whose kernels need other scratch sizes; the figures
   * are metrics' (one computation), the arena is this plan's. */
  if (!fb_plan_compute_ram (config, &cg->ram, error))
    return FALSE;
  g_assert (cg->ram.arena_bytes == fb_plan_get_arena_bytes (cg->plan));

  cg->layer_idents = g_new0 (char *, n_layers + 1);
  for (guint i = 0; i < n_layers; i++)
    cg->layer_idents[i] = make_ident (fb_network_get_layer (net, i)->name, "", used, i);
  cg->tensor_idents = g_new0 (char *, n_tensors + 1);
  for (guint t = 0; t < n_tensors; t++)
    cg->tensor_idents[t] = make_ident (fb_network_get_tensor (net, t)->name, "t_", used, t);


  for (guint i = 0; i < fb_int_network_get_n_steps (network); i++)
    {
      const FbIntStep *is = step_at (cg, i);
      gsize ch = step_channels (is->step);
      cg->const_bytes += is->weights != NULL ? is->step->weight_bytes : 0;
      cg->const_bytes_mcu += has_prepared (is) ? prepared_length (is)
                             : is->weights != NULL ? is->step->weight_bytes : 0;
      cg->const_bytes_mcu += (is->kappa != NULL ? 4 * ch : 0) + (is->lambda != NULL ? 4 * ch : 0) +
                             (is->bias != NULL ? 4 * ch : 0);
      cg->const_bytes += (is->kappa != NULL ? 4 * ch : 0) + (is->lambda != NULL ? 4 * ch : 0) +
                         (is->bias != NULL ? 4 * ch : 0);
    }

  g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernels.h");
  g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-internal.h");
  g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-common.c");
  /* fb_kernel_weight_row_bytes () lives with the packing helpers */
  g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-pack.h");
  g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-pack.c");
  /* the rv32 assembly of the depthwise sweep is defined in fb-kernel-conv.c's object too */
  if (family_used (cg, FB_KERNEL_FAMILY_CONV) || family_used (cg, FB_KERNEL_FAMILY_DEPTHWISE))
    {
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-conv.c");
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-conv-winograd.c");
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-conv-scalar.h");
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-conv-im2col.h");
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-conv-l9.h");
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-conv-gather.h");
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-conv-wide.h");
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-rv32-asm.inc");
    }
  if (family_used (cg, FB_KERNEL_FAMILY_DEPTHWISE))
    {
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-depthwise.c");
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-depthwise-rv32.h");
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-rv32-dw-asm.inc");
    }
  if (family_used (cg, FB_KERNEL_FAMILY_LINEAR) || family_used (cg, FB_KERNEL_FAMILY_LINEAR_I32))
    {
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-linear.c");
      g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-rv32-lin-asm.inc");
    }
  if (family_used (cg, FB_KERNEL_FAMILY_ADD) || family_used (cg, FB_KERNEL_FAMILY_AVGPOOL) ||
      family_used (cg, FB_KERNEL_FAMILY_AVGPOOL2D) || family_used (cg, FB_KERNEL_FAMILY_MAXPOOL2D))
    g_ptr_array_add (cg->kernel_files, (gpointer) "fb-kernel-add.c");
  return TRUE;
}

void
fb_export_codegen_clear (FbExportCodegen *cg)
{
  g_clear_pointer (&cg->network, fb_int_network_unref);
  g_clear_pointer (&cg->plan, fb_plan_unref);
  g_clear_pointer (&cg->table, fb_latency_table_unref);
  g_clear_pointer (&cg->config_label, g_free);
  g_clear_pointer (&cg->per_layer, g_free);
  g_clear_pointer (&cg->layer_idents, g_strfreev);
  g_clear_pointer (&cg->tensor_idents, g_strfreev);
  g_clear_pointer (&cg->kernel_files, g_ptr_array_unref);
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptions shared by the comments and the README                                        */

static char *
describe_shape (const FbShape *s)
{
  return g_strdup_printf ("%ux%ux%u", s->h, s->w, s->c);
}

static char *
describe_bits (const FbPlanStep *s)
{
  switch (s->kind)
    {
    case FB_PLAN_ADD:
      return g_strdup_printf ("a%u b%u o%u", s->in_bits, s->mid_bits, s->out_bits);
    case FB_PLAN_AVGPOOL:
      return g_strdup_printf ("a%u o%u", s->in_bits, s->out_bits);
    case FB_PLAN_LINEAR_I32:
      return g_strdup_printf ("a%u w%u o32 (int32 logits)", s->in_bits, s->mid_bits);
    default:
      return g_strdup_printf ("a%u w%u o%u", s->in_bits, s->mid_bits, s->out_bits);
    }
}

static char *
describe_op (const FbLayer *l)
{
  switch (l->op)
    {
    case FB_OP_CONV2D:
    case FB_OP_DEPTHWISE_CONV2D:
      return g_strdup_printf ("%s %ux%u, stride %ux%u, pad %u,%u,%u,%u", fb_op_to_string (l->op),
                              l->kernel_h, l->kernel_w, l->stride_h, l->stride_w, l->pad_top,
                              l->pad_bottom, l->pad_left, l->pad_right);
    default:
      return g_strdup (fb_op_to_string (l->op));
    }
}

static char *
describe_latency (FbExportCodegen *cg, guint layer)
{
  g_autofree char *v = NULL;
  if (cg->table == NULL)
    return g_strdup ("no latency table");
  v = fb_metrics_format_count ((guint64) llround (cg->per_layer[layer].latency));
  return g_strdup_printf ("table latency %s %s (%s)", v,
                          fb_latency_unit_to_string (fb_latency_table_get_unit (cg->table)),
                          fb_latency_table_get_target (cg->table));
}

static void
append_header_comment (GString *s, FbExportCodegen *cg, const char *file, const char *what)
{
  FbNetwork *net = cg_net (cg);
  g_string_append_printf (s,
    "/* %s — %s\n"
    " *\n"
    " * Network %s (topology sha256 %.16s…), precision config %s.\n"
    " * Generated by freebits-cli %s export; see README.md.\n"
    " */\n",
    file, what, fb_network_get_name (net), fb_network_get_sha256 (net), cg->config_label,
    FB_VERSION);
}

/* ------------------------------------------------------------------------------------------ */
/* network.h                                                                                   */

char *
fb_export_codegen_network_h (FbExportCodegen *cg)
{
  FbNetwork *net = cg_net (cg);
  const FbTensor *in = fb_network_get_input (net);
  GString *s = g_string_new (NULL);
  gboolean values = fb_network_get_output_kind (net) == FB_OUTPUT_VALUES;
  char in_scale[G_ASCII_DTOSTR_BUF_SIZE], out_scale[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_dtostr (in_scale, sizeof in_scale, fb_network_get_input_scale (net));
  g_ascii_dtostr (out_scale, sizeof out_scale,
                  fb_int_network_get_tensor_scale (cg->network, fb_network_get_logits (net)->index));
  append_header_comment (s, cg, "network.h", "the exported network, one call per inference");
  g_string_append_printf (s,
    "#ifndef FB_NETWORK_H\n"
    "#define FB_NETWORK_H\n"
    "\n"
    "#include <stdint.h>\n"
    "\n"
    "#include \"fb-kernels.h\"  /* FB_KERNEL_SCALAR_BUILD */\n"
    "\n"
    "#define FB_NETWORK_NAME \"%s\"\n"
    "\n"
    "/* Input: HWC, one byte per element, x_int = round (x / FB_NETWORK_INPUT_SCALE)\n"
    " * + FB_NETWORK_INPUT_ZERO_POINT clipped to u8 (or to i8, two's complement, when\n"
    " * FB_NETWORK_INPUT_SIGNED). */\n"
    "#define FB_NETWORK_INPUT_H      %u\n"
    "#define FB_NETWORK_INPUT_W      %u\n"
    "#define FB_NETWORK_INPUT_C      %u\n"
    "#define FB_NETWORK_INPUT_BYTES  %u\n"
    "#define FB_NETWORK_INPUT_SIGNED %d\n"
    "#define FB_NETWORK_INPUT_SCALE  %s\n"
    "#define FB_NETWORK_INPUT_ZERO_POINT %d\n"
    "/* Output: FB_NETWORK_CLASSES int32 values; FB_NETWORK_OUTPUT_VALUES 0: logits, the\n"
    " * predicted class is the index of the first maximum; 1: real values, each int32 times\n"
    " * FB_NETWORK_OUTPUT_SCALE (the real value of one unit, also right for logits). */\n"
    "#define FB_NETWORK_CLASSES      %u\n"
    "#define FB_NETWORK_OUTPUT_VALUES %d\n"
    "#define FB_NETWORK_OUTPUT_SCALE %s\n"
    "\n"
    "/* Scratch of one inference: the activation arena (every intermediate tensor at the\n"
    " * offset the plan gave it, so tensors alive at the same time never overlap), then the\n"
    " * kernels' work buffer, whose size depends on the kernels' code path: the scalar one\n"
    " * (rv32imc, any 32-bit MCU) or the 64-bit host one.  Any alignment. */\n"
    "#define FB_NETWORK_ARENA_BYTES           %" G_GSIZE_FORMAT "\n"
    "#define FB_NETWORK_KERNEL_SCRATCH_OFFSET %" G_GSIZE_FORMAT "\n"
    "#if FB_KERNEL_SCALAR_BUILD\n"
    "#define FB_NETWORK_KERNEL_SCRATCH_BYTES  %" G_GSIZE_FORMAT "\n"
    "#define FB_NETWORK_SCRATCH_BYTES         %" G_GSIZE_FORMAT "\n"
    "#else\n"
    "#define FB_NETWORK_KERNEL_SCRATCH_BYTES  %" G_GSIZE_FORMAT "\n"
    "#define FB_NETWORK_SCRATCH_BYTES         %" G_GSIZE_FORMAT "\n"
    "#endif\n"
    "\n"
    "/* Constant data in weights.c (weights, kappa, lambda, bias); a scalar build stores the\n"
    " * conv and linear weights in its kernels' order (weights.h). */\n"
    "#if FB_KERNEL_SCALAR_BUILD\n"
    "#define FB_NETWORK_WEIGHT_BYTES          %" G_GSIZE_FORMAT "\n"
    "#else\n"
    "#define FB_NETWORK_WEIGHT_BYTES          %" G_GSIZE_FORMAT "\n"
    "#endif\n"
    "\n"
    "/* Runs one inference: @input FB_NETWORK_INPUT_BYTES bytes, @logits FB_NETWORK_CLASSES\n"
    " * int32, @scratch FB_NETWORK_SCRATCH_BYTES bytes (contents need not be preserved).\n"
    " * Returns 0, or the negative FbKernelStatus of the first layer that failed. */\n"
    "int fb_network_run (const uint8_t *input, int32_t *logits, uint8_t *scratch);\n"
    "\n"
    "#endif /* FB_NETWORK_H */\n",
    fb_network_get_name (net), in->shape.h, in->shape.w, in->shape.c,
    in->shape.h * in->shape.w * in->shape.c, fb_network_get_input_signed (net) ? 1 : 0, in_scale,
    fb_network_get_input_zero_point (net), fb_int_network_get_n_classes (cg->network),
    values ? 1 : 0, out_scale,
    cg->ram.arena_bytes, cg->ram.kernel_scratch_offset, cg->ram.mcu_scratch_bytes, cg->ram.mcu_bytes,
    cg->ram.host_scratch_bytes, cg->ram.host_bytes, cg->const_bytes_mcu, cg->const_bytes);
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* network.c                                                                                   */

/* The C expression of a tensor's buffer in fb_network_run(). */
static const char *
tensor_expr (FbExportCodegen *cg, guint tensor)
{
  FbNetwork *net = cg_net (cg);
  if (tensor == fb_network_get_input (net)->index)
    return "input";
  if (tensor == fb_network_get_logits (net)->index)
    return "logits";
  return cg->tensor_idents[tensor];
}

static void
append_call_end (GString *s, guint layer, const char *name)
{
  g_autofree char *quoted = g_strescape (name, NULL);
  g_string_append_printf (s, "  if (status != FB_KERNEL_OK)\n    return status;\n"
                             "  LAYER_DONE (%u, \"%s\");\n\n", layer, quoted);
}

char *
fb_export_codegen_network_c (FbExportCodegen *cg)
{
  FbNetwork *net = cg_net (cg);
  GString *s = g_string_new (NULL);
  guint n_steps = fb_int_network_get_n_steps (cg->network);

  append_header_comment (s, cg, "network.c", "one kernel call per layer, shapes as literals");
  g_string_append (s,
    "#include \"network.h\"\n"
    "\n"
    "#include \"fb-kernels.h\"\n"
    "#include \"weights.h\"\n"
    "\n"
    "/* Build with -DFB_NETWORK_LAYER_HOOK=my_function to have my_function (layer index, layer\n"
    " * name) called after every layer, e.g. to profile (main.c does on rv32imc). */\n"
    "#ifdef FB_NETWORK_LAYER_HOOK\n"
    "void FB_NETWORK_LAYER_HOOK (int layer, const char *name);\n"
    "#define LAYER_DONE(layer, name) FB_NETWORK_LAYER_HOOK (layer, name)\n"
    "#else\n"
    "#define LAYER_DONE(layer, name) ((void) 0)\n"
    "#endif\n"
    "\n"
    "int\n"
    "fb_network_run (const uint8_t *input, int32_t *logits, uint8_t *scratch)\n"
    "{\n"
    "  /* activation tensors: offsets into the arena, from the plan */\n");
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    {
      const FbTensor *tensor = fb_network_get_tensor (net, t);
      g_autofree char *shape = NULL;
      guint bits;
      if (tensor->kind == FB_TENSOR_INPUT || tensor->kind == FB_TENSOR_LOGITS)
        continue;
      shape = describe_shape (&tensor->shape);
      bits = fb_precision_config_get_tensor_bits (fb_plan_get_config (cg->plan), t);
      g_string_append_printf (s, "  uint8_t *const %s = scratch + %" G_GSIZE_FORMAT
                              "; /* %s, %s u%u, %" G_GUINT64_FORMAT " B */\n",
                              cg->tensor_idents[t], fb_plan_get_tensor_offset (cg->plan, t),
                              tensor->name, shape, bits, fb_metrics_tensor_bytes (tensor, bits));
    }
  g_string_append (s,
    "  uint8_t *const kernel_scratch = scratch + FB_NETWORK_KERNEL_SCRATCH_OFFSET;\n"
    "  FbKernelStatus status;\n\n");

  for (guint i = 0; i < n_steps; i++)
    {
      const FbIntStep *is = step_at (cg, i);
      const FbPlanStep *st = is->step;
      const FbLayer *l = fb_network_get_layer (net, st->layer);
      const char *id = cg->layer_idents[st->layer];
      g_autofree char *op = describe_op (l);
      g_autofree char *ins = describe_shape (&l->in_shape);
      g_autofree char *outs = describe_shape (&l->out_shape);
      g_autofree char *bits = describe_bits (st);
      g_autofree char *macs = fb_metrics_format_count (st->macs);
      g_autofree char *lat = describe_latency (cg, st->layer);
      const char *x = tensor_expr (cg, l->inputs[0]);
      const char *y = tensor_expr (cg, l->output);

      g_string_append_printf (s, "  /* %s: %s, %s -> %s\n   * %s, %s MACs, %s */\n",
                              l->name, op, ins, outs, bits, macs, lat);
      switch (st->kind)
        {
        case FB_PLAN_CONV:
        case FB_PLAN_DEPTHWISE:
        case FB_PLAN_AVGPOOL2D:
        case FB_PLAN_MAXPOOL2D:
          {
            const FbConvParams *p = &st->conv;
            gboolean pool = st->kind == FB_PLAN_AVGPOOL2D || st->kind == FB_PLAN_MAXPOOL2D;
            g_string_append_printf (s,
              "  {\n"
              "    static const FbConvParams p = {\n"
              "      .dim_in_x = %d, .dim_in_y = %d, .ch_in = %d,\n"
              "      .dim_out_x = %d, .dim_out_y = %d, .ch_out = %d,\n"
              "      .dim_kernel_x = %d, .dim_kernel_y = %d,\n"
              "      .pad_top = %d, .pad_bottom = %d, .pad_left = %d, .pad_right = %d,\n"
              "      .stride_x = %d, .stride_y = %d,\n"
              "      .out_shift = %d, .flag_relu = %d%s,\n"
              "    };\n",
              p->dim_in_x, p->dim_in_y, p->ch_in, p->dim_out_x, p->dim_out_y, p->ch_out,
              p->dim_kernel_x, p->dim_kernel_y, p->pad_top, p->pad_bottom, p->pad_left,
              p->pad_right, p->stride_x, p->stride_y, is->shift, p->flag_relu,
              st->kind == FB_PLAN_CONV ? " | FB_WEIGHTS_CONV_FLAG" : "");
            if (pool)
              g_string_append_printf (s, "    status = %s (%s, %s, &p);\n  }\n", st->kernel, x, y);
            else
              g_string_append_printf (s,
                "    status = %s (%s, %s_weights, %s_kappa, %s_lambda, %s, &p,\n"
                "             kernel_scratch, FB_NETWORK_KERNEL_SCRATCH_BYTES);\n"
                "  }\n",
                st->kernel, x, id, id, id, y);
          }
          break;
        case FB_PLAN_LINEAR:
          g_string_append_printf (s,
            "  status = %s (%s, %s_weights, %s_kappa, %s_lambda, %s,\n"
            "           %d /* dim_vec */, %d /* num_o_neurons */, %d /* out_shift */,\n"
            "           %d | FB_WEIGHTS_LINEAR_FLAG /* flags */, kernel_scratch,\n"
            "           FB_NETWORK_KERNEL_SCRATCH_BYTES);\n",
            st->kernel, x, id, id, id, y, st->dim_vec, st->num_o_neurons, is->shift,
            st->conv.flag_relu);
          break;
        case FB_PLAN_LINEAR_I32:
          {
            g_autofree char *bias = is->bias != NULL ? g_strdup_printf ("%s_bias", id)
                                                     : g_strdup ("NULL");
            g_string_append_printf (s,
              "  status = %s (%s, %s_weights, %s, %s,\n"
              "           %d /* dim_vec */, %d /* num_o_neurons */,\n"
              "           %d | FB_WEIGHTS_LINEAR_FLAG /* flags */,\n"
              "           kernel_scratch, FB_NETWORK_KERNEL_SCRATCH_BYTES);\n",
              st->kernel, x, id, bias, y, st->dim_vec, st->num_o_neurons, st->conv.flag_relu);
          }
          break;
        case FB_PLAN_ADD:
          g_string_append_printf (s,
            "  status = %s (%s, %s, %s, %d, %d, %d /* x, y, ch */,\n"
            "           %d, %d /* m1, m2 */, %d /* out_shift */, %d /* flags */);\n",
            st->kernel, x, tensor_expr (cg, l->inputs[1]), y, st->dim_x, st->dim_y, st->ch,
            is->m1, is->m2, is->shift, st->conv.flag_relu);
          break;
        case FB_PLAN_AVGPOOL:
          g_string_append_printf (s, "  status = %s (%s, %s, %d, %d, %d /* x, y, ch */, %d /* flags */);\n",
                                  st->kernel, x, y, st->dim_x, st->dim_y, st->ch, st->conv.flag_relu);
          break;
        }
      append_call_end (s, st->layer, l->name);
    }
  if (!family_used (cg, FB_KERNEL_FAMILY_CONV) && !family_used (cg, FB_KERNEL_FAMILY_DEPTHWISE) &&
      !family_used (cg, FB_KERNEL_FAMILY_LINEAR) && !family_used (cg, FB_KERNEL_FAMILY_LINEAR_I32))
    g_string_append (s, "  (void) kernel_scratch; /* only add and pool: no kernel needs it */\n");
  g_string_append (s, "  return 0;\n}\n");
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* weights.h / weights.c                                                                       */

typedef enum { ARRAY_WEIGHTS, ARRAY_KAPPA, ARRAY_LAMBDA, ARRAY_BIAS, N_ARRAYS } ArrayKind;

static const char *const array_suffix[N_ARRAYS] = { "weights", "kappa", "lambda", "bias" };

/* Element count of one array of a step; 0 when the step has none. */
static gsize
array_length (const FbIntStep *is, ArrayKind k)
{
  switch (k)
    {
    case ARRAY_WEIGHTS: return is->weights != NULL ? is->step->weight_bytes : 0;
    case ARRAY_KAPPA: return is->kappa != NULL ? step_channels (is->step) : 0;
    case ARRAY_LAMBDA: return is->lambda != NULL ? step_channels (is->step) : 0;
    case ARRAY_BIAS: return is->bias != NULL ? step_channels (is->step) : 0;
    case N_ARRAYS: break;
    }
  return 0;
}

/* Whether a scalar build stores the step's weights laid out for its kernels: conv, linear. */
static gboolean
has_prepared (const FbIntStep *is)
{
  const FbPlanStep *st = is->step;
  return is->weights != NULL && (st->kind == FB_PLAN_CONV || st->kind == FB_PLAN_LINEAR
                                 || st->kind == FB_PLAN_LINEAR_I32);
}

/* Bytes of a conv's or linear's weights laid out for the scalar kernels; 0 for other steps. */
static gsize
prepared_length (const FbIntStep *is)
{
  const FbPlanStep *st = is->step;
  if (!has_prepared (is))
    return 0;
  if (st->kind != FB_PLAN_CONV)
    return fb_linear_prepared_weights_size ((int) st->in_bits,
                                            st->kind == FB_PLAN_LINEAR_I32 ? 32 : (int) st->out_bits,
                                            (int) st->mid_bits, st->dim_vec, st->num_o_neurons);
  return fb_conv_prepared_weights_size ((int) st->in_bits, (int) st->out_bits, (int) st->mid_bits,
                                        &st->conv);
}

static void
append_bytes (GString *s, const guint8 *b, gsize n)
{
  for (gsize j = 0; j < n; j++)
    {
      if (j % 16 == 0)
        g_string_append (s, "\n ");
      g_string_append_printf (s, " 0x%02x,", b[j]);
    }
}

/* A conv's or linear's weights twice: laid out for the scalar kernels
 * (FB_KERNEL_SCALAR_BUILD) and packed for the host path; a build compiles one of them. */
static void
append_conv_weights (GString *s, const FbIntStep *is, const char *id)
{
  const FbPlanStep *st = is->step;
  const gboolean conv = st->kind == FB_PLAN_CONV;
  gsize np = prepared_length (is);
  g_autofree guint32 *words = g_new0 (guint32, np / 4 + 1);
  FbKernelStatus status = conv
    ? fb_conv_prepare_weights ((int) st->in_bits, (int) st->out_bits, (int) st->mid_bits,
                               &st->conv, is->weights, (guint8 *) words)
    : fb_linear_prepare_weights ((int) st->in_bits,
                                 st->kind == FB_PLAN_LINEAR_I32 ? 32 : (int) st->out_bits,
                                 (int) st->mid_bits, st->dim_vec, st->num_o_neurons, is->weights,
                                 (guint8 *) words);

  /* the plan's geometry passed the same check when it was made */
  g_assert (status == FB_KERNEL_OK);
  g_string_append_printf (s, "\n#if FB_KERNEL_SCALAR_BUILD\n"
                             "/* laid out for the scalar kernels (fb_%s_prepare_weights()) */\n"
                             "FB_WEIGHTS_ALIGN4 const uint8_t %s_weights[%" G_GSIZE_FORMAT "] = {",
                          conv ? "conv" : "linear", id, np);
  append_bytes (s, (const guint8 *) words, np);
  g_string_append_printf (s, "\n};\n#else\nconst uint8_t %s_weights[%" G_GSIZE_FORMAT "] = {",
                          id, array_length (is, ARRAY_WEIGHTS));
  append_bytes (s, is->weights, array_length (is, ARRAY_WEIGHTS));
  g_string_append (s, "\n};\n#endif\n");
}

static char *
weights_layout (const FbIntStep *is)
{
  const FbPlanStep *st = is->step;
  if (st->kind == FB_PLAN_DEPTHWISE)
    return g_strdup_printf ("i%u, [Ky][Kx][C] packed along C", st->mid_bits);
  return g_strdup_printf ("i%u, %" G_GSIZE_FORMAT " rows of %" G_GSIZE_FORMAT " B (row padded to a byte)",
                          st->mid_bits, step_channels (st),
                          st->weight_bytes / MAX (step_channels (st), 1));
}

char *
fb_export_codegen_weights_h (FbExportCodegen *cg)
{
  GString *s = g_string_new (NULL);

  append_header_comment (s, cg, "weights.h", "the constant parameters of network.c");
  g_string_append (s,
    "#ifndef FB_WEIGHTS_H\n#define FB_WEIGHTS_H\n\n#include <stdint.h>\n\n"
    "#include \"fb-kernels.h\"  /* FB_KERNEL_SCALAR_BUILD */\n\n"
    "/* Weights are packed LSB-first exactly as the kernels read them (see fb-kernels.h);\n"
    " * requantization per output channel c: y = clip ((kappa[c] * acc + lambda[c]) >> shift).\n"
    " * Conv weights of a scalar (rv32imc, any 32-bit MCU) build are laid out at export time in\n"
    " * the order the scalar kernels read them (fb_conv_prepare_weights()), so no call copies\n"
    " * them into RAM, and linear weights in the words of the scalar linear kernels' SWAR dot\n"
    " * products (fb_linear_prepare_weights()); those arrays must be 4-byte aligned\n"
    " * (FB_WEIGHTS_ALIGN4 does it on GCC and Clang; elsewhere align them by hand: the kernels\n"
    " * refuse misaligned ones). */\n"
    "#if FB_KERNEL_SCALAR_BUILD\n"
    "#define FB_WEIGHTS_CONV_FLAG FB_KERNEL_FLAG_PREPARED_WEIGHTS\n"
    "#define FB_WEIGHTS_LINEAR_FLAG FB_KERNEL_FLAG_PREPARED_WEIGHTS\n"
    "#else\n"
    "#define FB_WEIGHTS_CONV_FLAG 0\n"
    "#define FB_WEIGHTS_LINEAR_FLAG 0\n"
    "#endif\n"
    "#if defined(__GNUC__)\n"
    "#define FB_WEIGHTS_ALIGN4 __attribute__ ((aligned (4)))\n"
    "#else\n"
    "#define FB_WEIGHTS_ALIGN4\n"
    "#endif\n");
  for (guint i = 0; i < fb_int_network_get_n_steps (cg->network); i++)
    {
      const FbIntStep *is = step_at (cg, i);
      const char *id = cg->layer_idents[is->step->layer];
      if (array_length (is, ARRAY_WEIGHTS) == 0 && array_length (is, ARRAY_BIAS) == 0)
        continue;
      g_string_append_c (s, '\n');
      for (guint k = 0; k < N_ARRAYS; k++)
        {
          gsize n = array_length (is, k);
          g_autofree char *layout = k == ARRAY_WEIGHTS ? weights_layout (is) : NULL;
          if (n == 0)
            continue;
          if (k == ARRAY_WEIGHTS && has_prepared (is))
            g_string_append_printf (s, "extern const uint8_t %s_weights[]; /* scalar builds: %"
                                    G_GSIZE_FORMAT " B laid out for the scalar kernels, others %"
                                    G_GSIZE_FORMAT " B packed */", id, prepared_length (is), n);
          else
            g_string_append_printf (s, "extern const %s %s_%s[%" G_GSIZE_FORMAT "];",
                                    k == ARRAY_WEIGHTS ? "uint8_t" : "int32_t", id,
                                    array_suffix[k], n);
          if (layout != NULL)
            g_string_append_printf (s, " /* %s */", layout);
          g_string_append_c (s, '\n');
        }
    }
  g_string_append (s, "\n#endif /* FB_WEIGHTS_H */\n");
  return g_string_free (s, FALSE);
}

char *
fb_export_codegen_weights_c (FbExportCodegen *cg)
{
  GString *s = g_string_new (NULL);

  append_header_comment (s, cg, "weights.c", "packed weights and requantization parameters");
  g_string_append (s, "#include \"weights.h\"\n");
  for (guint i = 0; i < fb_int_network_get_n_steps (cg->network); i++)
    {
      const FbIntStep *is = step_at (cg, i);
      const char *id = cg->layer_idents[is->step->layer];
      for (guint k = 0; k < N_ARRAYS; k++)
        {
          gsize n = array_length (is, k);
          if (n == 0)
            continue;
          if (k == ARRAY_WEIGHTS && has_prepared (is))
            {
              append_conv_weights (s, is, id);
              continue;
            }
          g_string_append_printf (s, "\nconst %s %s_%s[%" G_GSIZE_FORMAT "] = {",
                                  k == ARRAY_WEIGHTS ? "uint8_t" : "int32_t", id,
                                  array_suffix[k], n);
          for (gsize j = 0; j < n; j++)
            {
              guint per_line = k == ARRAY_WEIGHTS ? 16 : 8;
              if (j % per_line == 0)
                g_string_append (s, "\n ");
              if (k == ARRAY_WEIGHTS)
                g_string_append_printf (s, " 0x%02x,", is->weights[j]);
              else
                {
                  const gint32 *v = k == ARRAY_KAPPA ? is->kappa : k == ARRAY_LAMBDA ? is->lambda
                                                                                      : is->bias;
                  /* INT32_MIN is not a literal in C: write it as an expression */
                  if (v[j] == G_MININT32)
                    g_string_append (s, " -2147483647 - 1,");
                  else
                    g_string_append_printf (s, " %" G_GINT32_FORMAT ",", v[j]);
                }
            }
          g_string_append (s, "\n};\n");
        }
    }
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* fb-kernel-variants.inc                                                                      */

static void
append_list (GString *s, FbExportCodegen *cg, const char *macro, FbKernelFamily family)
{
  g_autoptr (GHashTable) used = g_hash_table_new (g_str_hash, g_str_equal);
  const FbKernelVariant *v;
  size_t n = 0;

  for (guint i = 0; i < fb_plan_get_n_steps (cg->plan); i++)
    {
      const FbPlanStep *st = fb_plan_get_step (cg->plan, i);
      if (step_family (st) == family)
        g_hash_table_add (used, (gpointer) st->kernel);
    }
  v = fb_kernel_family_variants (family, &n);
  g_string_append_printf (s, "#define %s(X)", macro);
  for (size_t i = 0; i < n; i++)
    {
      if (!g_hash_table_contains (used, v[i].name))
        continue;
      switch (family)
        {
        case FB_KERNEL_FAMILY_LINEAR_I32:
          g_string_append_printf (s, " X(%d,%d)", v[i].in_bits, v[i].w_bits);
          break;
        case FB_KERNEL_FAMILY_AVGPOOL:
        case FB_KERNEL_FAMILY_AVGPOOL2D:
        case FB_KERNEL_FAMILY_MAXPOOL2D:
          g_string_append_printf (s, " X(%d)", v[i].in_bits);
          break;
        case FB_KERNEL_FAMILY_ADD: /* X(in1, in2, out); the table keeps in2 in w_bits */
          g_string_append_printf (s, " X(%d,%d,%d)", v[i].in_bits, v[i].w_bits, v[i].out_bits);
          break;
        default:
          g_string_append_printf (s, " X(%d,%d,%d)", v[i].in_bits, v[i].out_bits, v[i].w_bits);
          break;
        }
    }
  g_string_append_c (s, '\n');
}

char *
fb_export_codegen_variants (FbExportCodegen *cg, const char *const *sources, GError **error)
{
  static const struct { const char *word; const char *list; } routes[] = {
    /* checked in this order: "DEPTHWISE" names also contain "CONV" in some spellings */
    { "DEPTHWISE", "FB_EXPORT_DEPTHWISE_VARIANTS" },
    { "LINEAR", "FB_EXPORT_LINEAR_VARIANTS" },
    { "CONV", "FB_EXPORT_CONV_VARIANTS" },
  };
  g_autoptr (GRegex) re = g_regex_new ("FB_KERNEL_VARIANTS_IOW\\s*\\(\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)",
                                       0, 0, NULL);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GString *s = g_string_new (NULL);

  for (gsize i = 0; sources[i] != NULL; i++)
    {
      g_autoptr (GMatchInfo) m = NULL;
      g_regex_match (re, sources[i], 0, &m);
      while (g_match_info_matches (m))
        {
          char *name = g_match_info_fetch (m, 1);
          if (g_strcmp0 (name, "X") != 0 && !g_hash_table_contains (seen, name))
            {
              g_hash_table_add (seen, g_strdup (name));
              g_ptr_array_add (names, name);
            }
          else
            g_free (name);
          g_match_info_next (m, NULL);
        }
    }

  g_string_append (s,
    "/* fb-kernel-variants.inc — the kernel variants this bundle calls (generated by freebits\n"
    " * export; it replaces src/kernels' list of all variants, so the others are not compiled).\n"
    " *\n"
    " * The kernel sources expand FB_KERNEL_VARIANTS_IOW with their own X macro for three\n"
    " * families (conv, depthwise, linear); the list is routed to each family by the name of\n"
    " * that macro, below.\n"
    " */\n"
    "#ifndef FB_KERNEL_VARIANTS_INC\n"
    "#define FB_KERNEL_VARIANTS_INC\n\n");
  append_list (s, cg, "FB_EXPORT_CONV_VARIANTS", FB_KERNEL_FAMILY_CONV);
  append_list (s, cg, "FB_EXPORT_DEPTHWISE_VARIANTS", FB_KERNEL_FAMILY_DEPTHWISE);
  append_list (s, cg, "FB_EXPORT_LINEAR_VARIANTS", FB_KERNEL_FAMILY_LINEAR);
  g_string_append (s, "\n#define FB_KERNEL_VARIANTS_IOW(X) FB_EXPORT_IOW_##X (X)\n");
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      const char *list = NULL;
      for (guint r = 0; r < G_N_ELEMENTS (routes) && list == NULL; r++)
        if (strstr (name, routes[r].word) != NULL)
          list = routes[r].list;
      if (list == NULL)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                       _("kernel sources expand FB_KERNEL_VARIANTS_IOW with \"%s\", which names "
                         "none of conv, depthwise, linear; the exporter cannot reduce the variant list"),
                       name);
          g_string_free (s, TRUE);
          return NULL;
        }
      g_string_append_printf (s, "#define FB_EXPORT_IOW_%s(X) %s (X)\n", name, list);
    }
  g_string_append_c (s, '\n');
  append_list (s, cg, "FB_KERNEL_VARIANTS_IW", FB_KERNEL_FAMILY_LINEAR_I32);
  append_list (s, cg, "FB_KERNEL_VARIANTS_ADD", FB_KERNEL_FAMILY_ADD);
  append_list (s, cg, "FB_KERNEL_VARIANTS_POOL", FB_KERNEL_FAMILY_AVGPOOL);
  append_list (s, cg, "FB_KERNEL_VARIANTS_AVGPOOL2D", FB_KERNEL_FAMILY_AVGPOOL2D);
  append_list (s, cg, "FB_KERNEL_VARIANTS_MAXPOOL2D", FB_KERNEL_FAMILY_MAXPOOL2D);
  g_string_append (s, "\n#endif /* FB_KERNEL_VARIANTS_INC */\n");
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* Makefile                                                                                    */

static void
append_file_list (GString *s, FbExportCodegen *cg, const char *var, gboolean sources)
{
  g_string_append_printf (s, "%s =", var);
  if (sources)
    g_string_append (s, " main.c network.c weights.c");
  else
    g_string_append (s, " network.h weights.h fb-kernel-variants.inc");
  for (guint i = 0; i < cg->kernel_files->len; i++)
    {
      const char *f = g_ptr_array_index (cg->kernel_files, i);
      if (g_str_has_suffix (f, ".c") == sources)
        g_string_append_printf (s, " \\\n  %s", f);
    }
  g_string_append_c (s, '\n');
}

char *
fb_export_codegen_makefile (FbExportCodegen *cg)
{
  g_autofree char *rv32_flags = fb_rv32_cflags_string ();
  g_autofree char *qemu_command = fb_rv32_qemu_command_string ();
  GString *s = g_string_new (NULL);

  g_string_append_printf (s,
    "# Makefile — build the exported %s network (config %s).\n"
    "#\n"
    "#   make host            ./fb_demo, then: ./fb_demo test_images.bin test_labels.bin\n"
    "#   make rv32imc         fb_demo.elf for the QEMU virt machine (riscv64-unknown-elf-gcc,\n"
    "#                        picolibc with semihosting)\n"
    "#   make run-rv32imc     run it under qemu-system-riscv32 on the first RV32_IMAGES images;\n"
    "#                        prints the minstret count of one inference and of each layer\n"
    "#   make clean\n"
    "#\n"
    "# RV32_IMAGES is compiled in (the rv32imc program has no command line): after changing it,\n"
    "# rebuild with make -B rv32imc RV32_IMAGES=N.\n"
    "\n",
    fb_network_get_name (cg_net (cg)), cg->config_label);
  append_file_list (s, cg, "SOURCES", TRUE);
  append_file_list (s, cg, "HEADERS", FALSE);
  g_string_append_printf (s,
    "\n"
    "CC ?= cc\n"
    "CFLAGS ?= -O2\n"
    "WARNINGS = -std=c99 -Wall -Wextra -Werror\n"
    "\n"
    "RV32_CC = " FB_RV32_CC "\n"
    "RV32_CFLAGS = %s\n"
    "RV32_IMAGES = 3\n"
    "QEMU = %s\n"
    "\n"
    ".PHONY: all host rv32imc run-rv32imc clean\n"
    "\n"
    "all: host\n"
    "\n"
    "host: fb_demo\n"
    "\n"
    "fb_demo: $(SOURCES) $(HEADERS)\n"
    "\t$(CC) $(WARNINGS) $(CFLAGS) -o $@ $(SOURCES)\n"
    "\n"
    "rv32imc: fb_demo.elf\n"
    "\n"
    "fb_demo.elf: $(SOURCES) $(HEADERS)\n"
    "\t$(RV32_CC) $(WARNINGS) $(RV32_CFLAGS) -DFB_DEMO_MAX_IMAGES=$(RV32_IMAGES) \\\n"
    "\t  -DFB_NETWORK_LAYER_HOOK=fb_demo_layer_hook -o $@ $(SOURCES)\n"
    "\n"
    "run-rv32imc: fb_demo.elf\n"
    "\t$(QEMU) fb_demo.elf\n"
    "\n"
    "clean:\n"
    "\trm -f fb_demo fb_demo.elf\n",
    rv32_flags, qemu_command);
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* README.md                                                                                   */

static void
readme_intro (FbExportCodegen *cg, GString *s)
{
  FbNetwork *net = cg_net (cg);

  g_string_append_printf (s,
    "# %s — precision config %s\n\n"
    "Generated by `freebits-cli %s export`. `network.c` calls one kernel of the freebits\n"
    "kernel family per layer, with the weights and requantization parameters of\n"
    "`weights.c`; it computes exactly what freebits' integer evaluator computes (same plan,\n"
    "same integers, same kernels), so the logits checksum of the harness matches\n"
    "freebits' for the same images.\n\n"
    "The precision config and its provenance (network hash, search method, target,\n"
    "metrics, accuracy) are in `freebits_config.json`; `freebits-cli` reads it back with\n"
    "`--config freebits_config.json`.\n\n",
    fb_network_get_name (net), cg->config_label, FB_VERSION);

  g_string_append (s,
    "## Build and run\n\n"
    "```sh\n"
    "make host && ./fb_demo test_images.bin test_labels.bin\n"
    "make rv32imc && make run-rv32imc     # riscv64-unknown-elf-gcc, picolibc, qemu-system-riscv32\n"
    "```\n\n"
    "The sources build with any C99 compiler with `-Wall -Wextra -Werror` and need no\n"
    "library beyond the C standard library (`main.c` uses stdio to read the images; the\n"
    "network itself only needs `<stdint.h>` and `<string.h>`). To use the network in your\n"
    "firmware, compile `network.c`, `weights.c` and the `fb-kernel-*.c` files and call\n\n"
    "```c\n"
    "static uint8_t scratch[FB_NETWORK_SCRATCH_BYTES];\n"
    "int32_t logits[FB_NETWORK_CLASSES];\n"
    "int status = fb_network_run (image, logits, scratch);   /* 0 on success */\n"
    "```\n\n");
}

static void
readme_expected (FbExportCodegen *cg, GString *s)
{
  g_autofree char *pct = NULL;
  guint per10k;

  if (cg->eval == NULL)
    return;
  pct = g_strdup_printf ("%.2f", 100.0 * cg->eval->accuracy);
  per10k = (guint) (((guint64) cg->eval->correct * 10000 + cg->eval->n_images / 2) / cg->eval->n_images);
  g_string_append_printf (s,
    "Expected output of `./fb_demo test_images.bin test_labels.bin` (freebits' integer\n"
    "evaluation of the same %u images, %s %%):\n\n"
    "```\n"
    "images %u\n"
    "accuracy %u.%04u (%u/%u)\n"
    "logits_fnv1a 0x%08x\n"
    "```\n\n"
    "`make run-rv32imc` runs the first 3 images (`RV32_IMAGES`), so its checksum covers\n"
    "those only; it also prints `instructions_per_inference`, the minstret count of one\n"
    "`fb_network_run()` under `qemu-system-riscv32 -icount shift=0`.\n\n",
    cg->eval->n_images, pct, cg->eval->n_images, per10k / 10000, per10k % 10000,
    cg->eval->correct, cg->eval->n_images, cg->eval->logits_fnv1a);
}

static void
readme_memory (FbExportCodegen *cg, GString *s)
{
  FbNetwork *net = cg_net (cg);
  const FbPlanRam *r = &cg->ram;
  g_autofree char *weights = fb_metrics_format_count (cg->const_bytes);
  g_autofree char *weights_mcu = fb_metrics_format_count (cg->const_bytes_mcu);
  g_autofree char *arena = fb_metrics_format_count (r->arena_bytes);
  g_autofree char *lower = fb_metrics_format_count (r->arena_lower_bound);
  g_autofree char *mcu_scr = fb_metrics_format_count (r->mcu_scratch_bytes);
  g_autofree char *host_scr = fb_metrics_format_count (r->host_scratch_bytes);
  g_autofree char *mcu = fb_metrics_format_count (r->mcu_bytes);
  g_autofree char *host = fb_metrics_format_count (r->host_bytes);
  g_autofree char *size = fb_metrics_format_count (cg->metrics.size_bytes);
  g_autofree char *macs = fb_metrics_format_count (cg->metrics.macs);

  g_string_append_printf (s,
    "## Memory\n\n"
    "| what | rv32imc (any 32-bit MCU) | host (64-bit) |\n"
    "|---|---:|---:|\n"
    "| Flash: constant data (`weights.c`: weights, kappa, lambda, bias) | %s | %s |\n"
    "| RAM: activation arena (all intermediate tensors at their plan offsets) | %s | %s |\n"
    "| RAM: kernel scratch (the largest any layer's kernel needs) | %s | %s |\n"
    "| RAM: `FB_NETWORK_SCRATCH_BYTES` (arena + scratch, scratch aligned to %d) | **%s** | %s |\n\n"
    "`network.h` picks the column with `FB_KERNEL_SCALAR_BUILD` (the kernels' code path).\n"
    "The rv32imc figure is what `freebits-cli metrics` reports as `ram_bytes` and what\n"
    "`--max-ram` budgets. The rv32imc build stores the conv weights in the order its kernels\n"
    "read them (laid out at export time, `fb_conv_prepare_weights()`), so its kernel scratch\n"
    "holds no weights; that order keeps 8-bit weights at one byte but spreads sub-byte ones\n"
    "(2 B per 4-bit weight beside 8-bit activations, see docs/kernels.md), hence its Flash figure.\n"
    "Its linear weights are stored as the words of the linear kernels' SWAR dot products\n"
    "(`fb_linear_prepare_weights()`: 1-2 B per weight, plus 4 B per output row).\n"
    "No arena can be smaller than the largest total of tensors alive\n"
    "during one layer, %s B (at layer %s). freebits' metrics for this config: size %s B\n"
    "(weights + 8 B requantization parameters per channel), %s MACs.\n\n",
    weights_mcu, weights, arena, arena, mcu_scr, host_scr, FB_PLAN_SCRATCH_ALIGN, mcu, host, lower,
    fb_network_get_layer (net, cg->metrics.peak_layer)->name, size, macs);
}

static void
readme_layers (FbExportCodegen *cg, GString *s)
{
  FbNetwork *net = cg_net (cg);
  g_autofree char *weights = fb_metrics_format_count (cg->const_bytes);
  g_autofree char *macs = fb_metrics_format_count (cg->metrics.macs);
  const char *unit = cg->table != NULL
                       ? fb_latency_unit_to_string (fb_latency_table_get_unit (cg->table)) : NULL;

  g_string_append (s, "## Layers\n\n");
  g_string_append_printf (s,
    "| # | layer | kernel | input → output | bits | MACs | const B | latency%s%s%s |\n"
    "|---:|---|---|---|---|---:|---:|---:|\n",
    unit ? " (" : "", unit ? unit : "", unit ? ")" : "");
  for (guint i = 0; i < fb_int_network_get_n_steps (cg->network); i++)
    {
      const FbIntStep *is = step_at (cg, i);
      const FbPlanStep *st = is->step;
      const FbLayer *l = fb_network_get_layer (net, st->layer);
      g_autofree char *ins = describe_shape (&l->in_shape);
      g_autofree char *outs = describe_shape (&l->out_shape);
      g_autofree char *bits = describe_bits (st);
      g_autofree char *m = fb_metrics_format_count (st->macs);
      g_autofree char *cb = NULL;
      g_autofree char *lat = cg->table != NULL
                               ? fb_metrics_format_count ((guint64) llround (cg->per_layer[st->layer].latency))
                               : g_strdup ("–");
      gsize c = 0;
      for (guint k = 0; k < N_ARRAYS; k++)
        c += array_length (is, k) * (k == ARRAY_WEIGHTS ? 1 : 4);
      cb = fb_metrics_format_count (c);
      g_string_append_printf (s, "| %u | %s | `%s` | %s → %s | %s | %s | %s | %s |\n", i,
                              l->name, st->kernel, ins, outs, bits, m, cb, lat);
    }
  if (cg->table != NULL)
    {
      g_autofree char *total = fb_metrics_format_count ((guint64) llround (cg->metrics.latency));
      g_string_append_printf (s,
        "| | **total** | | | | %s | %s | %s |\n\n"
        "Latency: table `%s`, target %s, %s, in %s.\n\n",
        macs, weights, total, fb_latency_table_get_target (cg->table),
        fb_latency_table_get_target (cg->table),
        fb_latency_method_to_string (fb_latency_table_get_method (cg->table)), unit);
    }
  else
    g_string_append_printf (s, "| | **total** | | | | %s | %s | – |\n\n"
                               "(No latency table was given to the export.)\n\n", macs, weights);

}

static void
readme_files (FbExportCodegen *cg, GString *s)
{
  g_string_append (s,
    "## Files\n\n"
    "| file | content |\n"
    "|---|---|\n"
    "| `freebits_config.json` | the precision config (`freebits-config/1`) with provenance |\n"
    "| `network.h`, `network.c` | `fb_network_run()`: one call per layer, literal shapes, arena offsets |\n"
    "| `weights.h`, `weights.c` | constant packed weights and requantization parameters |\n"
    "| `fb-kernels.h`, `fb-kernel-*.c/.h/.inc` | the kernels this config calls, copied from freebits' `src/kernels` |\n"
    "| `fb-kernel-variants.inc` | the variants this config calls (the others are not compiled) |\n"
    "| `main.c` | the harness: accuracy and `logits_fnv1a` over the test images |\n");
  if (cg->images_desc != NULL)
    g_string_append (s, "| `test_images.bin`, `test_labels.bin` | the test images and their labels (below) |\n");
  g_string_append (s,
    "| `Makefile` | `host`, `rv32imc`, `run-rv32imc`, `clean` |\n\n");
  if (cg->images_desc != NULL)
    g_string_append_printf (s, "### Test images\n\n%s\n\n", cg->images_desc);
  g_string_append (s,
    "`logits_fnv1a` is FNV-1a 32-bit over the little-endian int32 logits of all images, in\n"
    "order.\n");
}

char *
fb_export_codegen_readme (FbExportCodegen *cg)
{
  GString *s = g_string_new (NULL);

  readme_intro (cg, s);
  readme_expected (cg, s);
  readme_memory (cg, s);
  readme_layers (cg, s);
  readme_files (cg, s);
  return g_string_free (s, FALSE);
}
