/* fb-file-kind.c — which freebits file a path holds.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "fb-error.h"
#include "fb-file-kind.h"
#include "fb-json.h"

/* Larger files are not freebits JSON; refuse before reading them whole. */
#define MAX_FILE_BYTES  (64 * 1024 * 1024)

/* Tells the file's family from its "format" tag (the loaders then check
 * the version and everything else, with messages that name the field). */
FbFileKind
fb_file_kind_detect (const char *path, GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *obj;
  JsonNode *format;
  const char *tag;
  GStatBuf st;
  g_autofree char *lower = g_ascii_strdown (path, -1);

  /* Protobuf has no magic number to tell it by; the extension is what
   * torch.onnx.export and tf2onnx write. */
  if (g_str_has_suffix (lower, ".onnx"))
    return FB_FILE_KIND_ONNX;
  /* Data sets, by the names their writers give them (NumPy, IDX, CIFAR's
   * binary batches) or a folder (one sub-folder per class, or parts). */
  if (g_str_has_suffix (lower, ".npz") || g_str_has_suffix (lower, ".npy") ||
      g_str_has_suffix (lower, "-ubyte") || g_str_has_suffix (lower, "-ubyte.gz") ||
      g_str_has_suffix (lower, ".bin") || g_file_test (path, G_FILE_TEST_IS_DIR))
    return FB_FILE_KIND_DATASET;
  if (g_stat (path, &st) == 0 && st.st_size > MAX_FILE_BYTES)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: %lld bytes is too large for a freebits file"),
                   path, (long long) st.st_size);
      return FB_FILE_KIND_UNKNOWN;
    }
  root = fb_json_load_file (path, error);
  if (root == NULL)
    return FB_FILE_KIND_UNKNOWN;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, _("%s: expected a JSON object with a \"format\" field, got %s"),
                   path, fb_json_node_describe (root));
      return FB_FILE_KIND_UNKNOWN;
    }
  obj = json_node_get_object (root);
  format = json_object_get_member (obj, "format");
  tag = format && JSON_NODE_HOLDS_VALUE (format) && json_node_get_value_type (format) == G_TYPE_STRING
        ? json_node_get_string (format) : NULL;
  if (tag == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: not a freebits file: no \"format\" string (expected freebits-network/1, "
                     "freebits-config/1, freebits-latency/1 or freebits-candidates/1)"), path);
      return FB_FILE_KIND_UNKNOWN;
    }
  if (g_str_has_prefix (tag, "freebits-network/"))
    return FB_FILE_KIND_NETWORK;
  if (g_str_has_prefix (tag, "freebits-latency/"))
    return FB_FILE_KIND_LATENCY;
  if (g_str_has_prefix (tag, "freebits-config/"))
    return FB_FILE_KIND_CONFIG;
  if (g_str_has_prefix (tag, "freebits-candidates/"))
    return FB_FILE_KIND_CANDIDATES;
  g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
               _("%s: field \"format\": unknown format \"%s\" (expected freebits-network/1, "
                 "freebits-config/1, freebits-latency/1 or freebits-candidates/1)"), path, tag);
  return FB_FILE_KIND_UNKNOWN;
}
