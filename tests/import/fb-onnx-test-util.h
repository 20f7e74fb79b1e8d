/* The recorded ONNX test data (tests/data/onnx, made by tools/gen-onnx-models.py), shared by
 * the importer's tests and the export acceptance over the four model kinds. */
#pragma once

#include <string.h>

#include <json-glib/json-glib.h>

#include "fb-json.h"
#include "fb-test-util.h"

/* tests/data/onnx/models.json: what the generator recorded of every model. */
static inline JsonNode *
fb_onnx_test_load_models (void)
{
  g_autofree char *meta_path = fb_test_source_path ("tests", "data", "onnx", "models.json", NULL);
  g_autoptr(GError) error = NULL;
  JsonNode *root = fb_json_load_file (meta_path, &error);

  g_assert_no_error (error);
  return root;
}

/* The entry of model @name in @models_root (fb_onnx_test_load_models()). */
static inline JsonObject *
fb_onnx_test_model_meta (JsonNode *models_root, const char *name)
{
  JsonArray *models = json_object_get_array_member (json_node_get_object (models_root), "models");
  for (guint i = 0; i < json_array_get_length (models); i++)
    {
      JsonObject *m = json_array_get_object_element (models, i);
      if (g_strcmp0 (json_object_get_string_member (m, "name"), name) == 0)
        return m;
    }
  g_assert_not_reached ();
}

/* tests/data/onnx/@file: @expect little-endian float32 values (inputs or PyTorch's outputs). */
static inline float *
fb_onnx_test_read_floats (const char *file, gsize expect)
{
  g_autofree char *path = fb_test_source_path ("tests", "data", "onnx", file, NULL);
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, expect * sizeof (float));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    for (gsize k = 0; k < expect; k++)
      ((guint32 *) data)[k] = GUINT32_FROM_LE (((guint32 *) data)[k]);
  return (float *) data;
}
