/* fb-cli-metrics.c — freebits-cli metrics NETWORK [--config C] [--latency T] [--json]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-cli.h"
#include "fb-plan.h"

/* The exported bundle's RAM in detail (fb_plan_compute_ram(), as the exporter) and the arena
 * of each placement strategy, for tools/bench-ram.sh. */
static void
add_ram_json (JsonBuilder *b, FbPrecisionConfig *config)
{
  FbPlanRam r;

  if (!fb_plan_compute_ram (config, &r, NULL))
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_object (b);
  fb_json_add_int (b, "bytes", r.mcu_bytes);
  fb_json_add_int (b, "arena_bytes", r.arena_bytes);
  fb_json_add_int (b, "kernel_scratch_bytes", r.mcu_scratch_bytes);
  fb_json_add_int (b, "host_bytes", r.host_bytes);
  fb_json_add_int (b, "host_kernel_scratch_bytes", r.host_scratch_bytes);
  fb_json_add_int (b, "arena_lower_bound_bytes", r.arena_lower_bound);
  fb_json_add_int (b, "arena_tensor_order_bytes",
                   fb_plan_arena_bytes_for (config, FB_PLAN_ARENA_TENSOR_ORDER));
  fb_json_add_int (b, "arena_greedy_by_size_bytes",
                   fb_plan_arena_bytes_for (config, FB_PLAN_ARENA_GREEDY_BY_SIZE));
  json_builder_end_object (b);
}

static JsonNode *
metrics_json (FbPrecisionConfig *config, FbLatencyTable *table, const char *spec,
              const FbMetrics *m, const FbLayerMetrics *per_layer)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  fb_json_add_string (b, "network", fb_network_get_name (net));
  fb_json_add_string (b, "config", spec);
  fb_json_add_int (b, "macs", m->macs);
  fb_json_add_int (b, "size_bytes", m->size_bytes);
  fb_json_add_int (b, "bops", m->bops);
  json_builder_set_member_name (b, "latency");
  if (table)
    json_builder_add_double_value (b, m->latency);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "latency_unit");
  if (table)
    json_builder_add_string_value (b, fb_latency_unit_to_string (fb_latency_table_get_unit (table)));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "target");
  if (table)
    json_builder_add_string_value (b, fb_latency_table_get_target (table));
  else
    json_builder_add_null_value (b);
  fb_json_add_int (b, "peak_activation_bytes", m->peak_activation_bytes);
  fb_json_add_string (b, "peak_layer", fb_network_get_layer (net, m->peak_layer)->name);
  fb_json_add_int (b, "ram_bytes", m->ram_bytes);
  json_builder_set_member_name (b, "ram");
  add_ram_json (b, config);

  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      const FbLayerMetrics *lm = &per_layer[i];
      char key[FB_LATENCY_KEY_MAX];

      fb_latency_key_for_layer (config, i, key);
      json_builder_begin_object (b);
      fb_json_add_string (b, "name", l->name);
      fb_json_add_string (b, "key", key);
      fb_json_add_int (b, "weight_bytes", lm->weight_bytes);
      fb_json_add_int (b, "bops", lm->bops);
      json_builder_set_member_name (b, "latency");
      if (table)
        json_builder_add_double_value (b, lm->latency);
      else
        json_builder_add_null_value (b);
      fb_json_add_int (b, "live_bytes", lm->live_bytes);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
metrics_table (FbPrecisionConfig *config, FbLatencyTable *table, const char *spec,
               const FbMetrics *m, const FbLayerMetrics *per_layer)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  const char *unit = table ? fb_latency_unit_to_string (fb_latency_table_get_unit (table)) : "";
  g_autofree char *size = fb_cli_group (m->size_bytes);
  g_autofree char *bops = fb_cli_group (m->bops);
  g_autofree char *peak = fb_cli_group (m->peak_activation_bytes);

  g_print ("%s, config %s\n\n", fb_network_get_name (net), spec);
  g_print ("%3s  %-14s %-8s %12s %16s %14s %12s\n",
           "#", "layer", "key", "weight B", "BOPs", table ? unit : "latency", "live B");
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayerMetrics *lm = &per_layer[i];
      char key[FB_LATENCY_KEY_MAX];
      g_autofree char *wb = fb_cli_group (lm->weight_bytes);
      g_autofree char *lb = fb_cli_group (lm->bops);
      g_autofree char *live = fb_cli_group (lm->live_bytes);
      g_autofree char *lat = table ? g_strdup_printf ("%.6g", lm->latency) : g_strdup ("-");

      fb_latency_key_for_layer (config, i, key);
      g_print ("%3u  %-14s %-8s %12s %16s %14s %12s\n",
               i, fb_network_get_layer (net, i)->name, key, wb, lb, lat, live);
    }
  g_print ("\nsize (weights + requant)  %s bytes\n", size);
  g_print ("BOPs                      %s\n", bops);
  if (table)
    g_print ("latency                   %.6g %s (%s, %s)\n", m->latency, unit,
             fb_latency_table_get_target (table),
             fb_latency_method_to_string (fb_latency_table_get_method (table)));
  else
    g_print ("latency                   - (no --latency table)\n");
  g_print ("peak activation memory    %s bytes (at layer %s)\n", peak,
           fb_network_get_layer (net, m->peak_layer)->name);
  if (m->ram_bytes > 0)
    {
      g_autofree char *ram = fb_cli_group (m->ram_bytes);
      g_autofree char *arena = fb_cli_group (m->arena_bytes);
      g_autofree char *scr = fb_cli_group (m->kernel_scratch_bytes);
      g_print ("RAM of the exported bundle %s bytes (rv32imc: arena %s + kernel scratch %s)\n",
               ram, arena, scr);
    }
  else
    g_print ("RAM of the exported bundle - (the kernels cannot run this config)\n");
}

int
fb_cli_metrics (int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *config_spec = NULL;
  g_autofree char *latency_path = NULL;
  GOptionEntry entries[] = {
    FB_CLI_CONFIG_ENTRY (&config_spec, "Precision config file or shorthand (default w8a8)"),
    FB_CLI_LATENCY_ENTRY (&latency_path, "Latency table (freebits-latency/1 JSON)"),
    FB_CLI_JSON_ENTRY (&json, "Print JSON (size_bytes, bops, latency, ...)"),
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NETWORK");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbPrecisionConfig) config = NULL;
  g_autoptr(FbLatencyTable) table = NULL;
  g_autofree FbLayerMetrics *per_layer = NULL;
  FbMetrics m;

  if (!fb_cli_parse_one (context, entries, "NETWORK", &argc, &argv,
    "Weight memory, BOPs, latency (from a table), peak activation memory and the exported bundle's RAM of a precision config."))
    return FB_CLI_EXIT_INPUT;

  net = fb_network_load (argv[1], &error);
  if (net == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  config = fb_precision_config_new_from_spec (net, config_spec ? config_spec : "w8a8", &error);
  if (config == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (latency_path)
    {
      table = fb_latency_table_load (latency_path, &error);
      if (table == NULL)
        return fb_cli_error (error, FB_CLI_EXIT_INPUT);
    }

  per_layer = g_new0 (FbLayerMetrics, fb_network_get_n_layers (net));
  if (!fb_metrics_compute (config, table, &m, per_layer, &error))
    {
      if (latency_path)
        g_prefix_error (&error, "%s: ", latency_path);
      return fb_cli_error (error, FB_CLI_EXIT_INPUT);
    }

  if (json)
    {
      g_autoptr(JsonNode) root = metrics_json (config, table, config_spec ? config_spec : "w8a8", &m, per_layer);
      fb_cli_print_json (root);
    }
  else
    metrics_table (config, table, config_spec ? config_spec : "w8a8", &m, per_layer);
  return FB_CLI_EXIT_OK;
}
