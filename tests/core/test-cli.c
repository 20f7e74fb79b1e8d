/* test-cli.c — freebits-cli as a user runs it: JSON output of info and
 * metrics, exit status 2 and a one-line message for every malformed file.
 *
 * The binary comes from $FB_CLI (set by tests/core/meson.build).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-json.h"
#include "fb-metrics.h"
#include "fb-test-util.h"

/* stderr holds exactly one line, which mentions @needle. */
static void
assert_one_line_error (const FbTestRun *r, const char *needle)
{
  const char *nl = strchr (r->err, '\n');

  g_assert_cmpint (r->status, ==, 2);
  g_assert_cmpstr (r->out, ==, "");
  g_assert_nonnull (nl);
  g_assert_cmpstr (nl + 1, ==, "");   /* nothing after the first newline */
  g_assert_true (g_str_has_prefix (r->err, "freebits-cli: "));
  fb_test_assert_mentions (r->err, needle);
}

static JsonObject *
parse_object (const char *text, JsonNode **keep)
{
  g_autoptr(GError) error = NULL;
  *keep = json_from_string (text, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*keep);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*keep));
  return json_node_get_object (*keep);
}

static gint64
int_member (JsonObject *obj, const char *member)
{
  JsonNode *node = json_object_get_member (obj, member);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
  return json_node_get_int (node);
}

/* ---------------------------------------------------------------------------
 * info */
static void
test_info_json (void)
{
  g_autofree char *path = fb_test_network_path ("fmnist-mbv1.json");
  g_autoptr(FbNetwork) net = fb_test_load_network (path);
  g_auto(FbTestRun) r = { 0 };
  g_autoptr(JsonNode) root = NULL;
  JsonObject *obj;
  JsonArray *layers;

  fb_test_run_cli (&r, (const char *[]) { "info", path, "--json", NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  obj = parse_object (r.out, &root);
  g_assert_cmpint (int_member (obj, "macs"), ==, (gint64) fb_network_get_macs (net));
  g_assert_cmpint (int_member (obj, "params"), ==, (gint64) fb_network_get_params (net));
  g_assert_true (json_object_has_member (obj, "layers"));
  layers = json_object_get_array_member (obj, "layers");
  g_assert_cmpuint (json_array_get_length (layers), ==, fb_network_get_n_layers (net));
  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      JsonObject *l = json_array_get_object_element (layers, i);
      g_assert_cmpstr (json_object_get_string_member (l, "name"), ==, fb_network_get_layer (net, i)->name);
      g_assert_cmpint (int_member (l, "macs"), ==, (gint64) fb_network_get_layer (net, i)->macs);
    }
}

typedef struct {
  const char *file;
  double      macs, params;
} Published;

/* The acceptance numbers, through the CLI as a user would check them. */
static const Published published[] = {
  { "mobilenet-v1-1.0-224.json", 569e6, 4.2e6 },
  { "mobilenet-v2-1.0-224.json", 300e6, 3.5e6 },
};

static void
test_info_published (gconstpointer data)
{
  const Published *p = data;
  g_autofree char *path = fb_test_network_path (p->file);
  g_auto(FbTestRun) r = { 0 };
  g_autoptr(JsonNode) root = NULL;
  JsonObject *obj;

  fb_test_run_cli (&r, (const char *[]) { "info", path, "--json", NULL });
  g_assert_cmpint (r.status, ==, 0);
  obj = parse_object (r.out, &root);
  g_assert_cmpfloat (fabs (int_member (obj, "macs") - p->macs), <=, 0.03 * p->macs);
  g_assert_cmpfloat (fabs (int_member (obj, "params") - p->params), <=, 0.03 * p->params);
}

static void
test_info_table (void)
{
  g_autofree char *path = fb_test_network_path ("fmnist-mbv1.json");
  g_auto(FbTestRun) r = { 0 };

  fb_test_run_cli (&r, (const char *[]) { "info", path, NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "fmnist-mbv1"));
  g_assert_nonnull (strstr (r.out, "pw7"));
  g_assert_nonnull (strstr (r.out, "total"));
}

/* The table says which tensors are signed (layers without ReLU) and describes the input. */
static void
test_info_signed (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "net-signed.json", NULL);
  g_auto(FbTestRun) r = { 0 };
  g_auto(GStrv) lines = NULL;
  int seen = 0;

  fb_test_run_cli (&r, (const char *[]) { "info", path, NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "input: signed 8-bit, scale 0.05, zero point 0"));
  lines = g_strsplit (r.out, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      /* conv2 has no ReLU: signed; res is an add with ReLU: unsigned; fc: the logits */
      if (g_str_has_prefix (*l, "  1  conv2 "))
        seen += strstr (*l, " signed ") != NULL;
      else if (g_str_has_prefix (*l, "  3  res "))
        seen += strstr (*l, " unsigned ") != NULL;
      else if (g_str_has_prefix (*l, "  9  fc "))
        seen += strstr (*l, " int32 ") != NULL;
    }
  g_assert_cmpint (seen, ==, 3);
}

/* ---------------------------------------------------------------------------
 * metrics */
static void
check_metrics_json (const char *spec, const char *latency_path, double expected_latency)
{
  g_autofree char *path = fb_test_network_path ("fmnist-mbv1.json");
  g_autoptr(FbNetwork) net = fb_test_load_network (path);
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new_from_spec (net, spec ? spec : "w8a8", NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_auto(FbTestRun) r = { 0 };
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *obj;
  JsonNode *latency;
  FbMetrics m;

  g_assert_true (fb_metrics_compute (config, NULL, &m, NULL, &error));
  g_assert_no_error (error);

  g_ptr_array_add (args, (gpointer) "metrics");
  g_ptr_array_add (args, path);
  if (spec)
    {
      g_ptr_array_add (args, (gpointer) "--config");
      g_ptr_array_add (args, (gpointer) spec);
    }
  if (latency_path)
    {
      g_ptr_array_add (args, (gpointer) "--latency");
      g_ptr_array_add (args, (gpointer) latency_path);
    }
  g_ptr_array_add (args, (gpointer) "--json");
  g_ptr_array_add (args, NULL);
  fb_test_run_cli (&r, (const char *const *) args->pdata);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  obj = parse_object (r.out, &root);
  g_assert_cmpint (int_member (obj, "size_bytes"), ==, (gint64) m.size_bytes);
  g_assert_cmpint (int_member (obj, "bops"), ==, (gint64) m.bops);
  g_assert_cmpint (int_member (obj, "peak_activation_bytes"), ==, (gint64) m.peak_activation_bytes);
  latency = json_object_get_member (obj, "latency");
  g_assert_nonnull (latency);
  if (latency_path == NULL)
    g_assert_true (JSON_NODE_HOLDS_NULL (latency));
  else
    {
      g_assert_true (JSON_NODE_HOLDS_VALUE (latency));
      g_assert_cmpfloat (json_node_get_double (latency), ==, expected_latency);
    }
}

static void
test_metrics_json (void)
{
  check_metrics_json (NULL, NULL, 0);
}

static void
test_metrics_json_shorthand (void)
{
  check_metrics_json ("w2a2", NULL, 0);
}

/* With a table: cost = 1 + layer index for every admissible key, so any
 * config's latency is Σ (1 + i) = n(n+1)/2. */
static void
test_metrics_json_latency (void)
{
  g_autofree char *path = fb_test_network_path ("fmnist-mbv1.json");
  g_autoptr(FbNetwork) net = fb_test_load_network (path);
  g_autoptr(FbLatencyTable) table = fb_latency_table_new ("host", FB_LATENCY_UNIT_CYCLES, FB_LATENCY_METHOD_MODELED);
  g_autoptr(GError) error = NULL;
  char *dir = fb_test_tmpdir_new ();
  g_autofree char *table_path = g_build_filename (dir, "latency.json", NULL);
  guint n = fb_network_get_n_layers (net);

  fb_latency_table_set_network (table, net);
  for (guint i = 0; i < n; i++)
    {
      g_auto(GStrv) keys = fb_latency_admissible_keys (net, i);
      for (guint k = 0; keys[k]; k++)
        fb_latency_table_set_cost (table, fb_network_get_layer (net, i)->name, keys[k], 1 + i);
    }
  g_assert_true (fb_latency_table_save (table, table_path, &error));
  g_assert_no_error (error);

  check_metrics_json ("w4a4", table_path, n * (n + 1) / 2.0);
  fb_test_tmpdir_free (dir);
}

/* ---------------------------------------------------------------------------
 * Bad input: exit 2, one line on stderr naming the file. */
static GPtrArray *bad_files;   /* basenames of tests/data/bad-*.json, sorted */

static void
test_bad_file (gconstpointer data)
{
  const char *file = data;
  g_autofree char *path = fb_test_data_path (file);
  g_autofree char *small = fb_test_data_path ("net-small.json");

  if (g_str_has_prefix (file, "bad-config-"))
    {
      g_auto(FbTestRun) r = { 0 };
      fb_test_run_cli (&r, (const char *[]) { "metrics", small, "--config", path, NULL });
      assert_one_line_error (&r, file);
    }
  else if (g_str_has_prefix (file, "bad-latency-"))
    {
      g_auto(FbTestRun) r = { 0 };
      fb_test_run_cli (&r, (const char *[]) { "metrics", small, "--latency", path, "--json", NULL });
      assert_one_line_error (&r, file);
    }
  else
    {
      g_auto(FbTestRun) r = { 0 };
      g_auto(FbTestRun) r2 = { 0 };
      fb_test_run_cli (&r, (const char *[]) { "metrics", path, NULL });
      assert_one_line_error (&r, file);
      fb_test_run_cli (&r2, (const char *[]) { "info", path, "--json", NULL });
      assert_one_line_error (&r2, file);
    }
}

static void
test_bad_file_count (void)
{
  guint networks = 0;

  for (guint i = 0; i < bad_files->len; i++)
    networks += !g_str_has_prefix (g_ptr_array_index (bad_files, i), "bad-config-") &&
                !g_str_has_prefix (g_ptr_array_index (bad_files, i), "bad-latency-");
  g_assert_cmpuint (bad_files->len, >=, 25);
  g_assert_cmpuint (networks, >=, 20);
}

static void
test_missing_file (void)
{
  g_autofree char *path = fb_test_data_path ("no-such-file.json");
  g_auto(FbTestRun) r = { 0 };

  fb_test_run_cli (&r, (const char *[]) { "metrics", path, NULL });
  assert_one_line_error (&r, "no-such-file.json");
}

static void
test_latency_for_other_network (void)
{
  /* A table made for fmnist-mbv1 used with net-small. */
  g_autofree char *small = fb_test_data_path ("net-small.json");
  g_autoptr(FbNetwork) fmnist = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(FbLatencyTable) table = fb_latency_table_new ("host", FB_LATENCY_UNIT_US, FB_LATENCY_METHOD_MEASURED);
  g_autoptr(GError) error = NULL;
  char *dir = fb_test_tmpdir_new ();
  g_autofree char *table_path = g_build_filename (dir, "fmnist-latency.json", NULL);
  g_auto(FbTestRun) r = { 0 };

  fb_latency_table_set_network (table, fmnist);
  g_assert_true (fb_latency_table_save (table, table_path, &error));
  g_assert_no_error (error);
  fb_test_run_cli (&r, (const char *[]) { "metrics", small, "--latency", table_path, NULL });
  assert_one_line_error (&r, "fmnist-latency.json");
  fb_test_assert_mentions (r.err, "fmnist-mbv1");
  fb_test_tmpdir_free (dir);
}

static void
test_bad_shorthand (void)
{
  g_autofree char *path = fb_test_network_path ("fmnist-mbv1.json");
  g_auto(FbTestRun) r = { 0 };

  fb_test_run_cli (&r, (const char *[]) { "metrics", path, "--config", "w3a3", NULL });
  assert_one_line_error (&r, "w3a3");
}

/* ---------------------------------------------------------------------------
 * Usage. */
static void
test_help (gconstpointer data)
{
  const char *command = data;
  g_auto(FbTestRun) r = { 0 };

  fb_test_run_cli (&r, (const char *[]) { command, "--help", NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Usage"));
  g_assert_nonnull (strstr (r.out, "--json"));
  g_assert_nonnull (strstr (r.out, "NETWORK"));
}

static void
test_unknown_command (void)
{
  g_auto(FbTestRun) r = { 0 };

  fb_test_run_cli (&r, (const char *[]) { "frobnicate", NULL });
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpstr (r.out, ==, "");
  fb_test_assert_mentions (r.err, "frobnicate");
}

static void
test_usage_errors (void)
{
  g_autofree char *path = fb_test_network_path ("fmnist-mbv1.json");
  g_auto(FbTestRun) none = { 0 };
  g_auto(FbTestRun) no_network = { 0 };
  g_auto(FbTestRun) two = { 0 };
  g_auto(FbTestRun) bad_option = { 0 };

  fb_test_run_cli (&none, (const char *[]) { NULL });
  g_assert_cmpint (none.status, ==, 2);
  fb_test_run_cli (&no_network, (const char *[]) { "metrics", NULL });
  g_assert_cmpint (no_network.status, ==, 2);
  fb_test_run_cli (&two, (const char *[]) { "info", path, path, NULL });
  g_assert_cmpint (two.status, ==, 2);
  fb_test_run_cli (&bad_option, (const char *[]) { "info", "--frobnicate", path, NULL });
  g_assert_cmpint (bad_option.status, ==, 2);
  fb_test_assert_mentions (bad_option.err, "--frobnicate");
}

/* A short option's value may be attached ("-cw4a4", "-j2", "-qj-1"), as getopt allows; GOption
 * alone would take the next argument as the value. */
static void
test_attached_values (void)
{
  g_autofree char *path = fb_test_network_path ("fmnist-mbv1.json");
  g_autofree char *dir = g_dir_make_tmp ("fb-cli-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "x.json", NULL);
  g_auto(FbTestRun) attached = { 0 };
  g_auto(FbTestRun) separate = { 0 };
  g_auto(FbTestRun) jobs = { 0 };
  g_auto(FbTestRun) bad_jobs = { 0 };
  g_auto(FbTestRun) value = { 0 };

  fb_test_run_cli (&attached, (const char *[]) { "metrics", path, "-cw4a4", "--json", NULL });
  fb_test_run_cli (&separate, (const char *[]) { "metrics", path, "--config", "w4a4", "--json", NULL });
  g_assert_cmpint (attached.status, ==, 0);
  g_assert_cmpint (separate.status, ==, 0);
  g_assert_cmpstr (attached.out, ==, separate.out);

  /* -j2 is parsed (no "Cannot parse integer value “-q” for -j"); the bad target then stops
   * the command before it measures anything. */
  fb_test_run_cli (&jobs, (const char *[]) { "latency", "measure", path, "--target", "nowhere", "-j2", "-q",
                                             "-o", out, NULL });
  g_assert_cmpint (jobs.status, ==, 2);
  fb_test_assert_mentions (jobs.err, "--target must be");
  g_assert_null (strstr (jobs.err, "Cannot parse"));
  /* Grouped with a flag, the attached value reaches -j: -1 is out of range. */
  fb_test_run_cli (&bad_jobs, (const char *[]) { "latency", "measure", path, "--target", "rv32imc", "-qj-1",
                                                 "-o", out, NULL });
  g_assert_cmpint (bad_jobs.status, ==, 2);
  fb_test_assert_mentions (bad_jobs.err, "--jobs");
  /* The value of an option is never split, even when it looks like an option. */
  fb_test_run_cli (&value, (const char *[]) { "metrics", path, "--config", "-cw8a8", NULL });
  g_assert_cmpint (value.status, ==, 2);
  fb_test_assert_mentions (value.err, "-cw8a8");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_rmdir (dir);
}

/* A bad option's hint names the whole command, "latency measure" included. */
static void
test_option_error_hint (void)
{
  g_autofree char *path = fb_test_network_path ("fmnist-mbv1.json");
  g_auto(FbTestRun) r = { 0 };
  g_auto(FbTestRun) top = { 0 };

  fb_test_run_cli (&r, (const char *[]) { "latency", "measure", path, "--frobnicate", NULL });
  g_assert_cmpint (r.status, ==, 2);
  fb_test_assert_mentions (r.err, "--frobnicate");
  fb_test_assert_mentions (r.err, "Try \"freebits-cli latency measure --help\".");
  fb_test_run_cli (&top, (const char *[]) { "info", path, "--frobnicate", NULL });
  g_assert_cmpint (top.status, ==, 2);
  fb_test_assert_mentions (top.err, "Try \"freebits-cli info --help\".");
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
list_bad_files (void)
{
  g_autofree char *dir_path = g_test_build_filename (G_TEST_DIST, "data", NULL);
  g_autoptr(GError) error = NULL;
  GDir *dir = g_dir_open (dir_path, 0, &error);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "bad-") && g_str_has_suffix (name, ".json"))
      g_ptr_array_add (files, g_strdup (name));
  g_dir_close (dir);
  g_ptr_array_sort (files, compare_names);
  return files;
}

int
main (int argc, char **argv)
{
  static const char *help_commands[] = { "info", "metrics" };
  int status;

  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("FB_CLI") == NULL)
    {
      g_autofree char *cli = g_test_build_filename (G_TEST_BUILT, "..", "..", "src", "cli",
                                                    "freebits-cli", NULL);
      g_setenv ("FB_CLI", cli, TRUE);
    }
  bad_files = list_bad_files ();

  g_test_add_func ("/cli/info/json", test_info_json);
  g_test_add_func ("/cli/info/table", test_info_table);
  g_test_add_func ("/cli/info/signed", test_info_signed);
  for (guint i = 0; i < G_N_ELEMENTS (published); i++)
    {
      g_autofree char *name = g_strdup_printf ("/cli/info/published/%s", published[i].file);
      g_test_add_data_func (name, &published[i], test_info_published);
    }
  g_test_add_func ("/cli/metrics/json", test_metrics_json);
  g_test_add_func ("/cli/metrics/json-shorthand", test_metrics_json_shorthand);
  g_test_add_func ("/cli/metrics/json-latency", test_metrics_json_latency);
  g_test_add_func ("/cli/metrics/bad-shorthand", test_bad_shorthand);
  g_test_add_func ("/cli/metrics/latency-other-network", test_latency_for_other_network);
  g_test_add_func ("/cli/bad/count", test_bad_file_count);
  g_test_add_func ("/cli/bad/missing-file", test_missing_file);
  for (guint i = 0; i < bad_files->len; i++)
    {
      const char *file = g_ptr_array_index (bad_files, i);
      g_autofree char *name = g_strdup_printf ("/cli/bad/%s", file);
      g_test_add_data_func (name, file, test_bad_file);
    }
  for (guint i = 0; i < G_N_ELEMENTS (help_commands); i++)
    {
      g_autofree char *name = g_strdup_printf ("/cli/help/%s", help_commands[i]);
      g_test_add_data_func (name, help_commands[i], test_help);
    }
  g_test_add_func ("/cli/unknown-command", test_unknown_command);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/attached-values", test_attached_values);
  g_test_add_func ("/cli/option-error-hint", test_option_error_hint);

  status = g_test_run ();
  g_ptr_array_unref (bad_files);
  return status;
}
