/* fb-json.h — typed, error-reporting access to json-glib trees.
 *
 * Every getter names the file, the object (e.g. `layers[3] "conv2"`) and the
 * field in its error, so a user can find the mistake without a debugger.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Deepest nesting of [ and { any freebits JSON file may have (checked before
 * parsing, so a hostile file cannot overflow json-glib's recursive parser). */
#define FB_JSON_MAX_DEPTH 64u

/* Parses @path (a regular file of at most FB_FILE_MAX_JSON bytes); errors carry the file and, for syntax errors, line:column. */
JsonNode   *fb_json_load_file       (const char   *path,
                                     GError      **error);
/* Parses @data; @origin names it in errors. */
JsonNode   *fb_json_load_data       (const char   *data,
                                     gssize        length,
                                     const char   *origin,
                                     GError      **error);
/* Writes pretty JSON atomically (temp file + rename). */
gboolean    fb_json_save_file       (JsonNode     *root,
                                     const char   *path,
                                     GError      **error);
/* Every number in the text is valid JSON (json-glib's "1e+20.0" is repaired,
 * a non-finite double becomes null); write JSON only through this. */
char       *fb_json_to_string       (JsonNode     *root,
                                     gboolean      pretty);

/* A deep copy of @obj (json_node_copy would share its members), through
 * its text; an empty object for NULL. */
JsonObject *fb_json_object_copy_deep (JsonObject  *obj);

/* Root must be an object whose "format" is "@family/1". */
JsonObject *fb_json_root_object     (JsonNode     *root,
                                     const char   *family,
                                     const char   *origin,
                                     GError      **error);

gboolean    fb_json_get_int         (JsonObject   *obj,
                                     const char   *member,
                                     const char   *where,
                                     gboolean      required,
                                     gint64        min,
                                     gint64        max,
                                     gint64       *inout,
                                     GError      **error);
gboolean    fb_json_get_number      (JsonObject   *obj,
                                     const char   *member,
                                     const char   *where,
                                     gboolean      required,
                                     double       *inout,
                                     GError      **error);
gboolean    fb_json_get_bool        (JsonObject   *obj,
                                     const char   *member,
                                     const char   *where,
                                     gboolean      required,
                                     gboolean     *inout,
                                     GError      **error);
/* *out points into @obj; NULL if absent and not required. */
gboolean    fb_json_get_string      (JsonObject   *obj,
                                     const char   *member,
                                     const char   *where,
                                     gboolean      required,
                                     const char  **out,
                                     GError      **error);
/* Accepts N or [N, N, ...] with exactly @n_out integers in [min, max]. */
gboolean    fb_json_get_int_tuple   (JsonObject   *obj,
                                     const char   *member,
                                     const char   *where,
                                     gboolean      required,
                                     gint64        min,
                                     gint64        max,
                                     guint         n_out,
                                     gint64       *inout,
                                     GError      **error);
/* Member must be an object / array (if present). */
gboolean    fb_json_get_object      (JsonObject   *obj,
                                     const char   *member,
                                     const char   *where,
                                     gboolean      required,
                                     JsonObject  **out,
                                     GError      **error);
gboolean    fb_json_get_array       (JsonObject   *obj,
                                     const char   *member,
                                     const char   *where,
                                     gboolean      required,
                                     JsonArray   **out,
                                     GError      **error);

/* Fails on any member of @obj not in the NULL-terminated @allowed list, so a
 * typo ("strides") is an error instead of a silently ignored field. */
gboolean    fb_json_check_members   (JsonObject   *obj,
                                     const char   *where,
                                     const char  **allowed,
                                     GError      **error);

/* A short description of a node's type for messages: "string", "array", ... */
const char *fb_json_node_describe   (JsonNode     *node);

/* Add `"@member": value` to the object @b is building (json_builder_set_member_name()
 * followed by the matching json_builder_add_*_value()). */
void        fb_json_add_int         (JsonBuilder  *b,
                                     const char   *member,
                                     gint64        value);
void        fb_json_add_double      (JsonBuilder  *b,
                                     const char   *member,
                                     double        value);
void        fb_json_add_string      (JsonBuilder  *b,
                                     const char   *member,
                                     const char   *value);
void        fb_json_add_boolean     (JsonBuilder  *b,
                                     const char   *member,
                                     gboolean      value);
/* fb_json_add_double() writes a non-finite value as null (JSON has no
 * infinity); NaN (not measured) becomes null here too. */
void        fb_json_add_double_or_null (JsonBuilder *b,
                                        const char  *member,
                                        double       value);

G_END_DECLS
