/* test-hardening.c — hostile inputs every loader must refuse with one clear
 * line: deep nesting, non-regular files, oversized files, multi-line parse
 * errors (issue 20).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fb-test-util.h"
#include "fb-candidate-list.h"
#include "fb-file.h"
#include "fb-json.h"
#include "fb-latency-import.h"
#include "fb-latency-table.h"
#include "fb-metrics.h"
#include "fb-precision-config.h"
#include "fb-weights.h"

/* Every loader that takes a path, behind one signature. */
typedef gboolean (*LoadFunc) (FbNetwork *net, const char *path, GError **error);

static gboolean
load_network (FbNetwork *net, const char *path, GError **error)
{
  g_autoptr(FbNetwork) n = fb_network_load (path, error);
  return n != NULL;
}

static gboolean
load_config (FbNetwork *net, const char *path, GError **error)
{
  g_autoptr(FbPrecisionConfig) c = fb_precision_config_load (net, path, error);
  return c != NULL;
}

static gboolean
load_latency (FbNetwork *net, const char *path, GError **error)
{
  g_autoptr(FbLatencyTable) t = fb_latency_table_load (path, error);
  return t != NULL;
}

static gboolean
load_candidates (FbNetwork *net, const char *path, GError **error)
{
  g_autoptr(FbCandidateList) l = fb_candidate_list_load (net, path, error);
  return l != NULL;
}

static gboolean
load_weights (FbNetwork *net, const char *path, GError **error)
{
  g_autoptr(FbWeights) w = fb_weights_load (path, net, error);
  return w != NULL;
}

static gboolean
load_csv (FbNetwork *net, const char *path, GError **error)
{
  g_autoptr(FbLatencyTable) t = fb_latency_import_csv_file (net, path, "board", FB_LATENCY_UNIT_CYCLES, error);
  return t != NULL;
}

static const struct { const char *name; LoadFunc load; } loaders[] = {
  { "network", load_network },
  { "config", load_config },
  { "latency", load_latency },
  { "candidates", load_candidates },
  { "weights", load_weights },
  { "csv", load_csv },
};

static void
assert_one_line (const char *message)
{
  g_test_message ("error: %s", message);
  g_assert_null (strchr (message, '\n'));
  g_assert_null (strchr (message, '\r'));
}

/* Asserts @load fails on @path with FB_ERROR/@code, naming the file and @mention. */
static void
expect_failure (LoadFunc load, FbNetwork *net, const char *path, FbError code, const char *mention)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (load (net, path, &error));
  g_assert_error (error, FB_ERROR, (gint) code);
  assert_one_line (error->message);
  fb_test_assert_mentions (error->message, path);
  fb_test_assert_mentions (error->message, mention);
}

/* 100 000 '[' overflowed json-glib's recursive parser (SIGSEGV). */
static void
test_deep_nesting (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autofree char *dir = fb_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "deep.json", NULL);
  g_autofree char *weights_path = g_build_filename (dir, "deep.fbw", NULL);
  g_autofree char *text = g_strnfill (100000, '[');
  g_autoptr(GString) weights = g_string_new ("{\"format\": ");

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  /* A weights header is JSON up to a NUL byte. */
  g_string_append (weights, text);
  g_string_append_c (weights, '\0');
  g_assert_true (g_file_set_contents (weights_path, weights->str, weights->len + 1, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (loaders); i++)
    {
      if (loaders[i].load == load_csv)
        continue;
      g_test_message ("loader %s", loaders[i].name);
      expect_failure (loaders[i].load, net,
                      loaders[i].load == load_weights ? weights_path : path,
                      FB_ERROR_PARSE, "nested deeper than 64 levels");
    }
  fb_test_tmpdir_free (g_steal_pointer (&dir));
}

/* Nesting up to the limit parses; the scan ignores brackets inside strings. */
static void
test_nesting_limit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) ok = g_string_new (NULL);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) strings = NULL;
  g_autoptr(JsonNode) too_deep = NULL;

  for (guint i = 0; i < FB_JSON_MAX_DEPTH; i++)
    g_string_append_c (ok, '[');
  for (guint i = 0; i < FB_JSON_MAX_DEPTH; i++)
    g_string_append_c (ok, ']');
  root = fb_json_load_data (ok->str, -1, "ok", &error);
  g_assert_no_error (error);
  g_assert_nonnull (root);

  strings = fb_json_load_data ("{\"a\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[\"}",
                               -1, "strings", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strings);

  g_string_prepend_c (ok, '[');
  g_string_append_c (ok, ']');
  too_deep = fb_json_load_data (ok->str, -1, "too-deep", &error);
  g_assert_null (too_deep);
  g_assert_error (error, FB_ERROR, FB_ERROR_PARSE);
  g_assert_cmpstr (error->message, ==, "too-deep:1:65: nested deeper than 64 levels of [ and {");
}

/* A FIFO without a writer, /dev/zero and a directory, given to every loader.
 * Runs in a subprocess with a timeout: the old code blocked on the FIFO and
 * read /dev/zero until memory ran out. */
static void
test_non_regular_files (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(FbNetwork) net = fb_test_load_small ();
      g_autofree char *dir = fb_test_tmpdir_new ();
      g_autofree char *fifo = g_build_filename (dir, "fifo.json", NULL);
      struct { const char *path; const char *mention; } inputs[] = {
        { fifo, "is a FIFO" },
        { "/dev/zero", "is a character device" },
        { dir, "is a directory" },
      };

      g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
      for (guint i = 0; i < G_N_ELEMENTS (loaders); i++)
        for (guint j = 0; j < G_N_ELEMENTS (inputs); j++)
          {
            g_test_message ("loader %s, %s", loaders[i].name, inputs[j].path);
            expect_failure (loaders[i].load, net, inputs[j].path, FB_ERROR_IO, inputs[j].mention);
          }
      fb_test_tmpdir_free (g_steal_pointer (&dir));
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* A file over its format's limit is refused before it is read (sparse, so
 * the test writes nothing). */
static void
test_size_limit (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autofree char *dir = fb_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "huge.json", NULL);
  int fd = open (path, O_CREAT | O_WRONLY, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) FB_FILE_MAX_WEIGHTS + 1), ==, 0);
  close (fd);
  for (guint i = 0; i < G_N_ELEMENTS (loaders); i++)
    {
      g_test_message ("loader %s", loaders[i].name);
      expect_failure (loaders[i].load, net, path, FB_ERROR_IO, "re:larger than (64|1024) MiB, the limit for");
    }
  fb_test_tmpdir_free (g_steal_pointer (&dir));
}

/* json-glib quotes an unterminated or unexpected string with its newlines. */
static void
test_parse_error_one_line (void)
{
  static const char *texts[] = {
    "[\"a\nb\" \"c\nd\"]",
    "{\"a\nb\" 1}",
    "{\"format\": \"freebits-network/1\", \"name\": \"abc\ndef\nghi}\n",
    "{\"a\": \"x\ty\r\nz\" 1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) root = fb_json_load_data (texts[i], -1, "multi.json", &error);

      g_assert_null (root);
      g_assert_error (error, FB_ERROR, FB_ERROR_PARSE);
      assert_one_line (error->message);
      g_assert_true (g_str_has_prefix (error->message, "multi.json:"));
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) root = fb_json_load_data (texts[0], -1, "multi.json", &error);
    g_assert_null (root);
    g_assert_cmpstr (error->message, ==,
                     "multi.json:2:2: Parse error: unexpected string constant \"a\\nb\", expected character `,'");
  }
}

/* ---------------------------------------------------------------------------
 * Checked arithmetic: shapes and counts that do not fit are errors, not wraps. */

static void
expect_network_error (const char *json, const char *mention)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_network_load_from_data (json, -1, "huge.json", &error);

  g_assert_null (net);
  g_assert_error (error, FB_ERROR, FB_ERROR_SHAPE);
  assert_one_line (error->message);
  fb_test_assert_mentions (error->message, "huge.json");
  fb_test_assert_mentions (error->message, mention);
}

/* 16384 x 16384 x 16 = 2^32 features wrapped to 0 in a 32-bit cin: 0 MACs, no error. */
static void
test_linear_cin_wrap (void)
{
  expect_network_error ("{\"format\": \"freebits-network/1\", \"name\": \"wrap\","
                        " \"input\": {\"name\": \"in\", \"shape\": [16384, 16384, 16]},"
                        " \"layers\": [{\"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"in\"],"
                        " \"output\": \"logits\", \"cout\": 10}]}",
                        "16384x16384x16 = 4294967296 features is too large");
}

/* 16x16 kernel, 16384 -> 65536 channels on 16384x16384: 2^66 MACs wrapped to 0 (the
 * checked multiply's result was discarded), passing the MAC limit. */
static void
test_conv_macs_overflow (void)
{
  expect_network_error ("{\"format\": \"freebits-network/1\", \"name\": \"wrap\","
                        " \"input\": {\"name\": \"in\", \"shape\": [16384, 16384, 16384]},"
                        " \"layers\": [{\"name\": \"conv\", \"op\": \"conv2d\", \"inputs\": [\"in\"],"
                        " \"output\": \"c\", \"kernel\": 16, \"pad\": [7, 8, 7, 8], \"cout\": 65536},"
                        " {\"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"c\"], \"output\": \"p\"},"
                        " {\"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"p\"],"
                        " \"output\": \"logits\", \"cout\": 10}]}",
                        "more than 2^64 MACs");
}

/* Each layer under the per-layer limit, together over the network's (2^50). */
static void
test_network_macs_limit (void)
{
  /* 1x1 conv 2048 -> 2048 channels on 8192x8192: 2^48 MACs each, so the fifth passes 2^50. */
  g_autoptr(GString) json = g_string_new (NULL);

  g_string_assign (json, "{\"format\": \"freebits-network/1\", \"name\": \"big\","
                         " \"input\": {\"name\": \"t0\", \"shape\": [8192, 8192, 2048]}, \"layers\": [");
  for (guint i = 0; i < 5; i++)
    g_string_append_printf (json, "{\"name\": \"conv%u\", \"op\": \"conv2d\", \"inputs\": [\"t%u\"],"
                            " \"output\": \"t%u\", \"kernel\": 1, \"cout\": 2048},", i, i, i + 1);
  g_string_append (json, "{\"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"t5\"], \"output\": \"p\"},"
                         " {\"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"p\"], \"output\": \"logits\", \"cout\": 10}]}");
  expect_network_error (json->str, "layers[4] \"conv4\": the network's MACs pass 2^50");
}

/* ---------------------------------------------------------------------------
 * Finite numbers only, in a form every JSON reader accepts. */

/* json-glib writes a double without '.' as "1e+20.0" and infinity as "inf.0". */
static void
test_json_numbers_round_trip (void)
{
  static const double values[] = { 1e20, -3e+25, 1e300, 5e-324, 0.5, 1e6, 123456789012345678.0 };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL, back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  JsonObject *obj;

  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *name = g_strdup_printf ("v%u", i);
      fb_json_add_double (b, name, values[i]);
    }
  fb_json_add_double (b, "inf", INFINITY);
  fb_json_add_double (b, "nan", NAN);
  /* Values added with json-glib directly get the same repair. */
  json_builder_set_member_name (b, "raw_inf");
  json_builder_add_double_value (b, -INFINITY);
  json_builder_set_member_name (b, "raw_1e20");
  json_builder_add_double_value (b, 1e20);
  fb_json_add_string (b, "text", "1e+20.0 inf.0 \"quoted\"");
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = fb_json_to_string (root, TRUE);
  g_test_message ("%s", text);

  back = fb_json_load_data (text, -1, "numbers", &error);
  g_assert_no_error (error);
  obj = json_node_get_object (back);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *name = g_strdup_printf ("v%u", i);
      double v = 0;
      g_assert_true (fb_json_get_number (obj, name, "numbers", TRUE, &v, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (v, ==, values[i]);
    }
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (obj, "inf")));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (obj, "nan")));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (obj, "raw_inf")));
  g_assert_cmpfloat (json_object_get_double_member (obj, "raw_1e20"), ==, 1e20);
  g_assert_cmpstr (json_object_get_string_member (obj, "text"), ==, "1e+20.0 inf.0 \"quoted\"");
}

/* `latency import` of a cost of 1e20 wrote "1e+20.0", which freebits then rejected. */
static void
test_latency_table_huge_cost_round_trip (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = fb_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "table.json", NULL);
  g_autoptr(FbLatencyTable) table = fb_latency_table_new ("board", FB_LATENCY_UNIT_CYCLES,
                                                          FB_LATENCY_METHOD_MEASURED);
  g_autoptr(FbLatencyTable) back = NULL;
  double cost = 0;

  /* What `latency import` builds from a CSV line "conv1,8,8,8,1e20". */
  fb_latency_table_set_network (table, net);
  fb_latency_table_set_cost (table, "conv1", "a8w8o8", 1e20);
  fb_latency_table_set_cost (table, "fc", "a8w8o32", 2.5e-7);
  g_assert_true (fb_latency_table_save (table, path, &error));
  g_assert_no_error (error);
  back = fb_latency_table_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_true (fb_latency_table_lookup (back, "conv1", "a8w8o8", &cost));
  g_assert_cmpfloat (cost, ==, 1e20);
  g_assert_true (fb_latency_table_lookup (back, "fc", "a8w8o32", &cost));
  g_assert_cmpfloat (cost, ==, 2.5e-7);
  fb_test_tmpdir_free (g_steal_pointer (&dir));
}

/* Entries of 1e308 are finite; their sum is not, and JSON cannot carry it. */
static void
test_latency_sum_not_finite (void)
{
  static const struct { const char *layer, *key; } entries[] = {
    { "conv1", "a8w8o8" }, { "dw1", "a8w8o8" }, { "pw6", "a8w8o8" }, { "dw6", "a8w8o8" },
    { "pw8", "a8w8o8" }, { "res", "a8b8o8" }, { "pool", "a8o8" }, { "fc", "a8w8o32" },
  };
  g_autoptr(FbNetwork) net = fb_test_load_small ();
  g_autoptr(FbLatencyTable) table = fb_latency_table_new ("board", FB_LATENCY_UNIT_CYCLES,
                                                          FB_LATENCY_METHOD_MEASURED);
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new_uniform (net, 8, 8, NULL);
  g_autoptr(GError) error = NULL;
  FbMetrics m;

  fb_latency_table_set_network (table, net);
  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    fb_latency_table_set_cost (table, entries[i].layer, entries[i].key, 1e308);
  g_assert_false (fb_metrics_compute (config, table, &m, NULL, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_FIELD);
  assert_one_line (error->message);
  fb_test_assert_mentions (error->message, "costs sum to more than");

  /* Finite sums still work. */
  g_clear_error (&error);
  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    fb_latency_table_set_cost (table, entries[i].layer, entries[i].key, 1e300);
  g_assert_true (fb_metrics_compute (config, table, &m, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (m.latency, ==, 8e300);
}

/* fuzz-latency: a target name with a newline loaded, and every later message quoting it
 * ("latency table (TARGET) has no entry for layer ...") was two lines. Names are now
 * refused at load when they hold a control character. */
static void
test_latency_name_control_chars (void)
{
  static const char *const docs[][2] = {
    { "{\"format\": \"freebits-latency/1\", \"target\": \"g\\np8\", \"unit\": \"cycles\", "
      "\"method\": \"modeled\", \"layers\": {}}", "\"target\"" },
    { "{\"format\": \"freebits-latency/1\", \"target\": \"g\np8\", \"unit\": \"cycles\", "
      "\"method\": \"modeled\", \"layers\": {}}", "\"target\"" },
    { "{\"format\": \"freebits-latency/1\", \"target\": \"gap8\", \"network\": \"a\\tb\", "
      "\"unit\": \"cycles\", \"method\": \"modeled\", \"layers\": {}}", "\"network\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) root = fb_json_load_data (docs[i][0], -1, "t.json", &error);
      g_autoptr(FbLatencyTable) table = NULL;

      g_assert_no_error (error);
      table = fb_latency_table_new_from_json (root, "t.json", &error);
      g_assert_null (table);
      g_assert_error (error, FB_ERROR, FB_ERROR_FIELD);
      assert_one_line (error->message);
      fb_test_assert_mentions (error->message, "t.json");
      fb_test_assert_mentions (error->message, docs[i][1]);
      fb_test_assert_mentions (error->message, "control character");
    }
}

/* ---------------------------------------------------------------------------
 * Temporaries of a killed write: recognisable, and removed by the next write. */

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static char *
list_names (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *n;

  while (d != NULL && (n = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static void
test_killed_write_temporaries (void)
{
  g_autofree char *dir = NULL, *path = NULL, *names = NULL, *other = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = json_from_string ("{\"a\": 1}", NULL);

  if (g_test_subprocess ())
    {
      /* Dies by SIGKILL inside the write, after the temporary is complete. */
      g_setenv ("FB_TEST_WRITE_FAULT", "before-rename", TRUE);
      fb_json_save_file (root, g_getenv ("FB_TEST_TARGET"), NULL);
      return;
    }
  dir = fb_test_tmpdir_new ();
  path = g_build_filename (dir, "table.json", NULL);
  other = g_build_filename (dir, ".other.json.fb-tmp-ABCDEF", NULL);
  g_assert_true (g_file_set_contents (other, "x", 1, NULL));
  g_setenv ("FB_TEST_TARGET", path, TRUE);
  for (guint i = 0; i < 2; i++)
    {
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
      g_assert_false (g_test_trap_has_passed ());
    }
  g_unsetenv ("FB_TEST_TARGET");
  names = list_names (dir);
  g_test_message ("after two killed writes: %s", names);
  /* The second write removed the first one's temporary before it was killed too. */
  g_assert_true (g_regex_match_simple ("^\\.other\\.json\\.fb-tmp-ABCDEF \\.table\\.json\\.fb-tmp-[A-Za-z0-9]{6}$",
                                       names, 0, 0));
  g_assert_true (fb_json_save_file (root, path, &error));
  g_assert_no_error (error);
  g_clear_pointer (&names, g_free);
  names = list_names (dir);
  /* Only the target's own temporaries go; another file's are left alone. */
  g_assert_cmpstr (names, ==, ".other.json.fb-tmp-ABCDEF table.json");
  fb_test_tmpdir_free (g_steal_pointer (&dir));
}

/* Found by fuzz-network: a member name with an escaped newline came back in the "unknown
 * field" message as a real one. Every loader's entry flattens its errors. */
static void
test_semantic_error_one_line (void)
{
  static const char *networks[] = {
    "{\"format\": \"freebits-network/1\", \" n\\name\": 1}",
    "{\"format\": \"freebits-net\\nwork/1\"}",
    "{\"format\": \"freebits-network/1\", \"name\": \"a\\nb\"}",
  };
  g_autoptr(FbNetwork) net = fb_test_load_small ();

  for (guint i = 0; i < G_N_ELEMENTS (networks); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FbNetwork) n = fb_network_load_from_data (networks[i], -1, "lines.json", &error);
      g_autoptr(JsonNode) root = fb_json_load_data (networks[i], -1, "lines.json", NULL);
      g_autoptr(GError) config_error = NULL;
      g_autoptr(FbPrecisionConfig) config = fb_precision_config_new_from_json (net, root, "lines.json", &config_error);
      g_autoptr(GError) table_error = NULL;
      g_autoptr(FbLatencyTable) table = fb_latency_table_new_from_json (root, "lines.json", &table_error);

      g_assert_null (n);
      g_assert_nonnull (error);
      assert_one_line (error->message);
      g_assert_null (config);
      assert_one_line (config_error->message);
      g_assert_null (table);
      assert_one_line (table_error->message);
    }
  {
    /* Found by fuzz-config: the "too large" check quoted a member name with a newline. */
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) root = fb_json_load_data ("{\"a\nb\": 12345678901234567890}", -1, "lines.json", &error);
    g_assert_null (root);
    g_assert_nonnull (error);
    assert_one_line (error->message);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FbNetwork) n = fb_network_load_from_data (networks[0], -1, "lines.json", &error);
    g_assert_null (n);
    g_assert_cmpstr (error->message, ==, "lines.json: unknown field \" n\\name\" (known: format, name, description, weights, input, layers, output_kind)");
  }
}

/* Found by fuzz-config: json-glib takes GScanner's escapes (\333 octal) and lone surrogates,
 * so a valid UTF-8 file gave strings that are not UTF-8, and freebits wrote a config it
 * could not read back. Only JSON's escapes are accepted. */
static void
test_string_escapes (void)
{
  static const char *bad[] = {
    "{\"a\\3333\": 1}", "{\"a\": \"\\h\"}", "{\"a\": \"\\uD800\"}", "{\"a\": \"\\uDC00x\"}",
    "{\"a\": \"\\uD83Dx\"}", "{\"a\": \"\\u12\"}", "{\"a\": \"\\", "{\"a\": \"\\\\\\$\"}",
  };
  static const struct { const char *text, *value; } good[] = {
    { "{\"a\": \"\\uD83D\\uDE00\"}", "\xF0\x9F\x98\x80" },
    { "{\"a\": \"\\u00e9\\n\\t\\\\\\/\\\"\"}", "\xC3\xA9\n\t\\/\"" },
    { "{\"a\": \"x\\\\uD800\"}", "x\\uD800" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) root = fb_json_load_data (bad[i], -1, "esc.json", &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (root);
      g_assert_error (error, FB_ERROR, FB_ERROR_PARSE);
      assert_one_line (error->message);
    }
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) root = fb_json_load_data (good[i].text, -1, "esc.json", &error);

      g_assert_no_error (error);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "a"), ==, good[i].value);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hardening/deep-nesting", test_deep_nesting);
  g_test_add_func ("/hardening/nesting-limit", test_nesting_limit);
  g_test_add_func ("/hardening/non-regular-files", test_non_regular_files);
  g_test_add_func ("/hardening/size-limit", test_size_limit);
  g_test_add_func ("/hardening/parse-error-one-line", test_parse_error_one_line);
  g_test_add_func ("/hardening/linear-cin-wrap", test_linear_cin_wrap);
  g_test_add_func ("/hardening/conv-macs-overflow", test_conv_macs_overflow);
  g_test_add_func ("/hardening/network-macs-limit", test_network_macs_limit);
  g_test_add_func ("/hardening/json-numbers-round-trip", test_json_numbers_round_trip);
  g_test_add_func ("/hardening/latency-huge-cost-round-trip", test_latency_table_huge_cost_round_trip);
  g_test_add_func ("/hardening/latency-sum-not-finite", test_latency_sum_not_finite);
  g_test_add_func ("/hardening/latency-name-control-chars", test_latency_name_control_chars);
  g_test_add_func ("/hardening/killed-write-temporaries", test_killed_write_temporaries);
  g_test_add_func ("/hardening/semantic-error-one-line", test_semantic_error_one_line);
  g_test_add_func ("/hardening/string-escapes", test_string_escapes);
  return g_test_run ();
}
