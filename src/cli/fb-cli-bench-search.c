/* fb-cli-bench-search.c — freebits-cli bench search NETWORK --latency TABLE [--repeat N] [--json]
 *
 * Times the searches on a real network and table: the exact (latency, size) front
 * (DP alone and with the candidates built), the Free Bits heuristic from every
 * uniform start, how long a cancelled front takes to return (cancel from another
 * thread mid-run), and how the DP grows with depth on synthetic residual chains
 * (inverted-residual blocks, seeded random tables). Times are the best of
 * --repeat runs (wall clock; CPU time alongside, which contention inflates less).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <time.h>

#include "fb-cli.h"
#include "fb-free-bits.h"
#include "fb-json.h"
#include "fb-pareto.h"

static double
cpu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
  FbNetwork      *net;
  FbLatencyTable *table;
  GCancellable   *cancellable;
  gint64          returned_at;
  gboolean        cancelled;
} CancelRun;

static gpointer
cancel_thread (gpointer data)
{
  CancelRun *r = data;
  g_autoptr(GError) error = NULL;
  gboolean ok = fb_search_pareto (r->net, r->table, NULL, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE, 0, NULL,
                                  NULL, NULL, NULL, NULL, r->cancellable, NULL, &error);
  r->returned_at = g_get_monotonic_time ();
  r->cancelled = !ok && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  return NULL;
}

/* B inverted-residual blocks (expand, depthwise, project, add) on 8 channels,
 * then pool and a classifier: 4·B + 3 layers, B residual adds. */
static FbNetwork *
synthetic_chain (guint blocks, GError **error)
{
  GString *s = g_string_new ("{ \"format\": \"freebits-network/1\", \"name\": \"chain\","
                             " \"input\": { \"name\": \"input\", \"shape\": [4, 4, 8] }, \"layers\": ["
                             " { \"name\": \"stem\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"output\": \"b0\","
                             " \"kernel\": 3, \"pad\": 1, \"cout\": 8 }");
  g_autofree char *text = NULL;

  for (guint b = 1; b <= blocks; b++)
    g_string_append_printf (s,
      ", { \"name\": \"e%u\", \"op\": \"conv2d\", \"inputs\": [\"b%u\"], \"output\": \"e%u\", \"kernel\": 1, \"cout\": 16 }"
      ", { \"name\": \"d%u\", \"op\": \"depthwise_conv2d\", \"inputs\": [\"e%u\"], \"output\": \"d%u\", \"kernel\": 3, \"pad\": 1 }"
      ", { \"name\": \"p%u\", \"op\": \"conv2d\", \"inputs\": [\"d%u\"], \"output\": \"p%u\", \"kernel\": 1, \"cout\": 8 }"
      ", { \"name\": \"a%u\", \"op\": \"add\", \"inputs\": [\"b%u\", \"p%u\"], \"output\": \"b%u\" }",
      b, b - 1, b, b, b, b, b, b, b, b, b - 1, b, b);
  g_string_append_printf (s, ", { \"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"b%u\"], \"output\": \"pool\" }"
                             ", { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"pool\"], \"output\": \"fc\", \"cout\": 10 } ] }",
                          blocks);
  text = g_string_free (s, FALSE);
  return fb_network_load_from_data (text, -1, "chain", error);
}

static FbLatencyTable *
random_table (FbNetwork *net, guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  FbLatencyTable *t = fb_latency_table_new ("synthetic", FB_LATENCY_UNIT_CYCLES, FB_LATENCY_METHOD_MODELED);

  fb_latency_table_set_network (t, net);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      g_auto(GStrv) keys = fb_latency_admissible_keys (net, i);
      for (guint k = 0; keys[k]; k++)
        fb_latency_table_set_cost (t, fb_network_get_layer (net, i)->name, keys[k], g_rand_int_range (rand, 100, 1000));
    }
  return t;
}

/* What is measured; times are the best of --repeat runs. */
typedef struct {
  FbNetwork      *net;
  FbLatencyTable *table;
  gint            repeat;
  FbParetoStats   front;          /* the exact (latency, size) front */
  double          front_cpu;
  guint           n_starts;       /* Free Bits from every uniform config */
  double          fb_wall, fb_cpu;
  double          cancel_ms;      /* NAN: finished before the cancel */
  double          cancel_after_ms;
} Bench;

static gboolean
time_front (Bench *bench, GError **error)
{
  bench->front.total_seconds = INFINITY;
  bench->front_cpu = INFINITY;
  for (gint r = 0; r < bench->repeat; r++)
    {
      FbParetoStats st;
      double c0 = cpu_now ();
      if (!fb_search_pareto (bench->net, bench->table, NULL, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE, 0, NULL, NULL,
                             NULL, NULL, NULL, NULL, &st, error))
        return FALSE;
      bench->front_cpu = MIN (bench->front_cpu, cpu_now () - c0);
      if (st.total_seconds < bench->front.total_seconds)
        bench->front = st;
    }
  return TRUE;
}

/* Free Bits from every uniform start (the whole set, and per start). */
static gboolean
time_free_bits (Bench *bench, GError **error)
{
  bench->fb_wall = bench->fb_cpu = INFINITY;
  for (gint r = 0; r < bench->repeat; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double c0 = cpu_now ();
      bench->n_starts = 0;
      for (guint w = 8; w >= 2; w /= 2)
        for (guint a = 8; a >= 2; a /= 2)
          {
            g_autoptr(FbPrecisionConfig) u = fb_precision_config_new_uniform (bench->net, w, a, NULL);
            g_autoptr(FbCandidate) res = NULL;
            if (u == NULL)
              continue;
            if (!fb_search_free_bits (u, bench->table, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &res, error))
              return FALSE;
            bench->n_starts++;
          }
      bench->fb_wall = MIN (bench->fb_wall, (g_get_monotonic_time () - t0) / 1e6);
      bench->fb_cpu = MIN (bench->fb_cpu, cpu_now () - c0);
    }
  return TRUE;
}

/* Cancel from another thread halfway through the front. */
static void
time_cancel (Bench *bench)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  CancelRun run = { bench->net, bench->table, cancellable, 0, FALSE };
  GThread *th = g_thread_new ("bench-cancel", cancel_thread, &run);
  gint64 at;

  g_usleep ((gulong) (bench->front.dp_seconds * 0.5e6));
  at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  g_thread_join (th);
  bench->cancel_ms = bench->cancel_after_ms = NAN;
  if (run.cancelled)
    {
      bench->cancel_ms = (run.returned_at - at) / 1e3;
      bench->cancel_after_ms = bench->front.dp_seconds * 0.5e3;
    }
}

static void
add_json (JsonBuilder *b, const Bench *bench)
{
  const FbParetoStats *best = &bench->front;

  fb_json_add_string (b, "network", fb_network_get_name (bench->net));
  fb_json_add_string (b, "target", fb_latency_table_get_target (bench->table));
  fb_json_add_int (b, "layers", fb_network_get_n_layers (bench->net));
  fb_json_add_int (b, "repeat", bench->repeat);
  json_builder_set_member_name (b, "pareto");
  json_builder_begin_object (b);
  fb_json_add_int (b, "front_size", best->front_size);
  fb_json_add_int (b, "max_states", best->max_states);
  fb_json_add_int (b, "partials", best->partials);
  fb_json_add_int (b, "kept", best->kept);
  fb_json_add_double (b, "dp_ms", best->dp_seconds * 1e3);
  fb_json_add_double (b, "total_ms", best->total_seconds * 1e3);
  fb_json_add_double (b, "cpu_ms", bench->front_cpu * 1e3);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "free_bits");
  json_builder_begin_object (b);
  fb_json_add_int (b, "starts", bench->n_starts);
  fb_json_add_double (b, "all_starts_ms", bench->fb_wall * 1e3);
  fb_json_add_double (b, "all_starts_cpu_ms", bench->fb_cpu * 1e3);
  fb_json_add_double (b, "per_start_ms", bench->n_starts ? bench->fb_wall * 1e3 / bench->n_starts : NAN);
  json_builder_end_object (b);
  fb_json_add_double_or_null (b, "cancel_latency_ms", bench->cancel_ms);
}

static void
print_text (const Bench *bench)
{
  const FbParetoStats *best = &bench->front;
  guint n = bench->n_starts;

  g_print ("%s, %u layers, table %s (best of %d)\n", fb_network_get_name (bench->net),
           fb_network_get_n_layers (bench->net), fb_latency_table_get_target (bench->table), bench->repeat);
  g_print ("  exact front (latency, size): %u points, max %u DP states, %" G_GUINT64_FORMAT
           " partial solutions generated, %" G_GUINT64_FORMAT " kept\n",
           best->front_size, best->max_states, best->partials, best->kept);
  g_print ("    DP %.1f ms, with candidates %.1f ms (CPU %.1f ms)\n", best->dp_seconds * 1e3,
           best->total_seconds * 1e3, bench->front_cpu * 1e3);
  g_print ("  Free Bits from %u uniform starts: %.2f ms (%.2f ms per start, CPU %.2f ms)\n", n,
           bench->fb_wall * 1e3, n ? bench->fb_wall * 1e3 / n : NAN, bench->fb_cpu * 1e3);
  if (isnan (bench->cancel_ms))
    g_print ("  cancel: the front finished before the cancel arrived\n");
  else
    g_print ("  cancel %.1f ms into the front: returned %.2f ms later\n", bench->cancel_after_ms, bench->cancel_ms);
  g_print ("  growth on synthetic residual chains (seeded random tables):\n");
  g_print ("  %6s %7s %7s %12s %10s %10s\n", "layers", "adds", "front", "partials", "kept", "DP ms");
}

/* The DP's growth with depth on synthetic residual chains. */
static gboolean
add_growth (JsonBuilder *b, gint repeat, gboolean json, GError **error)
{
  json_builder_set_member_name (b, "growth");
  json_builder_begin_array (b);
  for (guint blocks = 2; blocks <= 32; blocks *= 2)
    {
      g_autoptr(FbNetwork) chain = synthetic_chain (blocks, error);
      g_autoptr(FbLatencyTable) t = NULL;
      FbParetoStats gb = { 0 };
      if (chain == NULL)
        return FALSE;
      t = random_table (chain, blocks);
      gb.dp_seconds = INFINITY;
      for (gint r = 0; r < repeat; r++)
        {
          FbParetoStats st;
          if (!fb_search_pareto (chain, t, NULL, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE, 0, NULL, NULL,
                                 NULL, NULL, NULL, NULL, &st, error))
            return FALSE;
          if (st.dp_seconds < gb.dp_seconds)
            gb = st;
        }
      json_builder_begin_object (b);
      fb_json_add_int (b, "layers", gb.n_layers);
      fb_json_add_int (b, "front_size", gb.front_size);
      fb_json_add_int (b, "partials", gb.partials);
      fb_json_add_int (b, "kept", gb.kept);
      fb_json_add_double (b, "dp_ms", gb.dp_seconds * 1e3);
      json_builder_end_object (b);
      if (!json)
        g_print ("  %6u %7u %7u %12" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %10.2f\n", gb.n_layers, blocks,
                 gb.front_size, gb.partials, gb.kept, gb.dp_seconds * 1e3);
    }
  json_builder_end_array (b);
  return TRUE;
}

int
fb_cli_bench_search (int argc, char **argv)
{
  g_autofree char *latency_path = NULL;
  gboolean json = FALSE;
  gint repeat = 5;
  GOptionEntry entries[] = {
    FB_CLI_LATENCY_ENTRY (&latency_path, "Latency table (freebits-latency/1)"),
    { "repeat", 'n', 0, G_OPTION_ARG_INT, &repeat, "Runs per measurement, best taken (default 5)", "N" },
    FB_CLI_JSON_ENTRY (&json, "Print JSON"),
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("search NETWORK");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbLatencyTable) table = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  Bench bench = { 0 };

  g_option_context_set_summary (context, "Time the exact Pareto DP, the Free Bits heuristic and cancellation,\n"
                                         "and the DP's growth with depth on synthetic residual chains.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!fb_cli_parse (context, entries, &argc, &argv))
    return FB_CLI_EXIT_INPUT;
  if (argc != 3 || !g_str_equal (argv[1], "search"))
    return fb_cli_usage (context, "expected \"bench search NETWORK --latency TABLE\"");
  if (latency_path == NULL)
    return fb_cli_usage (context, "--latency TABLE is required");
  if (repeat < 1 || repeat > 1000)
    return fb_cli_usage (context, "--repeat must be in [1, 1000]");
  net = fb_network_load (argv[2], &error);
  if (net == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  table = fb_cli_load_table (latency_path, net, &error);
  if (table == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);

  bench = (Bench) { .net = net, .table = table, .repeat = repeat };
  if (!time_front (&bench, &error))
    return fb_cli_error (error, error->domain == G_IO_ERROR ? FB_CLI_EXIT_FAILED : FB_CLI_EXIT_INPUT);
  if (!time_free_bits (&bench, &error))
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);
  time_cancel (&bench);

  json_builder_begin_object (b);
  add_json (b, &bench);
  if (!json)
    print_text (&bench);
  if (!add_growth (b, repeat, json, &error))
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);
  json_builder_end_object (b);
  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);
      fb_cli_print_json (root);
    }
  return FB_CLI_EXIT_OK;
}
