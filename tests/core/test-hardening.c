/* test-hardening.c — hostile inputs every loader must refuse with one clear
 * line: deep nesting, non-regular files, oversized files, multi-line parse
 * errors (issue 20).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fb-test-util.h"
#include "fb-candidate-list.h"
#include "fb-file.h"
#include "fb-json.h"
#include "fb-latency-import.h"
#include "fb-latency-table.h"
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
    g_assert_cmpstr (error->message, ==,
                     "multi.json:2:2: Parse error: unexpected string constant \"a\\nb\", expected character `,'");
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
  return g_test_run ();
}
