/* fuzz-onnx.c — the ONNX importer (protobuf ModelProto → FbNetwork + weights)
 * on arbitrary bytes: it loads or fails with a one-line GError.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fb-onnx-import.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FbOnnxImportOptions options;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbOnnxImport) import = NULL;

  fb_onnx_import_options_init (&options);
  import = fb_onnx_import_load_from_data (data, size, "fuzz", &options, &error);
  if (import == NULL && error == NULL)
    {
      g_printerr ("import failed without an error\n");
      abort ();
    }
  fuzz_check_error (error);
  return 0;
}
