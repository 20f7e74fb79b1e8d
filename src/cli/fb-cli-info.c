/* fb-cli-info.c — freebits-cli info NETWORK [--json]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-cli.h"

static char *
shape_string (FbShape s)
{
  return g_strdup_printf ("%ux%ux%u", s.h, s.w, s.c);
}

static JsonNode *
info_json (FbNetwork *net)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  fb_json_add_string (b, "name", fb_network_get_name (net));
  fb_json_add_string (b, "network_sha256", fb_network_get_sha256 (net));
  fb_json_add_int (b, "macs", fb_network_get_macs (net));
  fb_json_add_int (b, "params", fb_network_get_params (net));
  fb_json_add_int (b, "weighted_layers", fb_network_get_n_weighted (net));
  json_builder_set_member_name (b, "input");
  json_builder_begin_array (b);
  {
    FbShape s = fb_network_get_input (net)->shape;
    json_builder_add_int_value (b, s.h);
    json_builder_add_int_value (b, s.w);
    json_builder_add_int_value (b, s.c);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      json_builder_begin_object (b);
      fb_network_add_layer_json (net, l, b);
      json_builder_set_member_name (b, "output_shape");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, l->out_shape.h);
      json_builder_add_int_value (b, l->out_shape.w);
      json_builder_add_int_value (b, l->out_shape.c);
      json_builder_end_array (b);
      fb_json_add_int (b, "macs", l->macs);
      fb_json_add_int (b, "params", l->params);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* The layer column as wide as the longest name (imported models keep their module
 * paths, e.g. "block2/conv1/conv1.0"), so the columns stay aligned. */
static int
name_width (FbNetwork *net)
{
  int width = 14;
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    width = MAX (width, (int) g_utf8_strlen (fb_network_get_layer (net, i)->name, -1));
  return width;
}

static void
info_table (FbNetwork *net)
{
  g_autofree char *macs = fb_cli_group (fb_network_get_macs (net));
  g_autofree char *params = fb_cli_group (fb_network_get_params (net));
  g_autofree char *in_shape = shape_string (fb_network_get_input (net)->shape);
  int nw = name_width (net);

  g_print ("%s — input %s (HxWxC), %u layers, %u with weights\n",
           fb_network_get_name (net), in_shape, fb_network_get_n_layers (net), fb_network_get_n_weighted (net));
  g_print ("input: %s 8-bit, scale %g, zero point %d; output: %s\n",
           fb_network_get_input_signed (net) ? "signed" : "unsigned",
           fb_network_get_input_scale (net), fb_network_get_input_zero_point (net),
           fb_network_get_output_kind (net) == FB_OUTPUT_VALUES ? "values (int32 with a scale)"
                                                                : "class logits (int32)");
  if (fb_network_get_description (net))
    g_print ("%s\n", fb_network_get_description (net));
  g_print ("\n%3s  %-*s %-17s %-12s %-12s %-8s %-5s %-3s %14s %11s\n",
           "#", nw, "layer", "op", "input", "output", "out", "k", "s", "MACs", "params");
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      g_autofree char *in = shape_string (l->in_shape);
      g_autofree char *out = shape_string (l->out_shape);
      g_autofree char *k = l->kernel_h ? g_strdup_printf ("%ux%u", l->kernel_h, l->kernel_w) : g_strdup ("-");
      g_autofree char *s = l->stride_h ? g_strdup_printf ("%u", l->stride_h) : g_strdup ("-");
      g_autofree char *m = fb_cli_group (l->macs);
      g_autofree char *p = fb_cli_group (l->params);
      /* which tensors are signed is decided by the network (no ReLU), not by the search */
      const char *sign = fb_network_get_tensor (net, l->output)->kind == FB_TENSOR_LOGITS
        ? "int32" : fb_network_tensor_is_signed (net, l->output) ? "signed" : "unsigned";
      g_print ("%3u  %-*s %-17s %-12s %-12s %-8s %-5s %-3s %14s %11s\n",
               i, nw, l->name, fb_op_to_string (l->op), in, out, sign, k, s, m, p);
    }
  g_print ("%3s  %-*s %-17s %-12s %-12s %-8s %-5s %-3s %14s %11s\n", "", nw, "total", "", "", "", "", "", "",
           macs, params);
  g_print ("\n%.2f M MACs, %.3f M parameters, topology sha256 %.16s…\n",
           fb_network_get_macs (net) / 1e6, fb_network_get_params (net) / 1e6, fb_network_get_sha256 (net));
}

int
fb_cli_info (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    FB_CLI_JSON_ENTRY (&json, "Print JSON (macs, params, layers)"),
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NETWORK");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;

  if (!fb_cli_parse_one (context, entries, "NETWORK", &argc, &argv,
    "Print a network's layers with shapes, MACs and parameter counts."))
    return FB_CLI_EXIT_INPUT;

  net = fb_network_load (argv[1], &error);
  if (net == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);

  if (json)
    {
      g_autoptr(JsonNode) root = info_json (net);
      fb_cli_print_json (root);
    }
  else
    info_table (net);
  return FB_CLI_EXIT_OK;
}
