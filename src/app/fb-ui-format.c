/* fb-ui-format.c — numbers for people.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <math.h>

#include "fb-ui-format.h"

#define NNBSP "\u202f" /* narrow no-break space: digit groups, number-unit gap */

char *
fb_ui_format_count (guint64 value)
{
  char digits[32];
  GString *s = g_string_new (NULL);
  int n = g_snprintf (digits, sizeof digits, "%" G_GUINT64_FORMAT, value);

  for (int i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0)
        g_string_append (s, NNBSP);
      g_string_append_c (s, digits[i]);
    }
  return g_string_free (s, FALSE);
}

char *
fb_ui_format_sig (double value)
{
  double a = fabs (value);

  if (isnan (value))
    return g_strdup ("—");
  /* Rounding can carry into the next decade (99.96 → "100.0"); decide on
   * the rounded magnitude so we never print four significant digits. */
  if (a >= 99.95 || a == 0)
    return g_strdup_printf ("%.0f", value);
  if (a >= 9.995)
    return g_strdup_printf ("%.1f", value);
  return g_strdup_printf ("%.2f", value);
}

typedef struct {
  double      factor;
  const char *prefix;
} SiPrefix;

static const SiPrefix si_prefixes[] = {
  { 1e12, "T" }, { 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" }, { 1, "" },
};

static const SiPrefix *
si_prefix_for (double value)
{
  double a = fabs (value);

  for (guint i = 0; i < G_N_ELEMENTS (si_prefixes); i++)
    if (a >= si_prefixes[i].factor * 0.9995)
      return &si_prefixes[i];
  return &si_prefixes[G_N_ELEMENTS (si_prefixes) - 1];
}

/* @value with an SI prefix and @unit ("" without one). Whole units (bytes)
 * print without decimals; "kB" is SI (1000 B), and "MB" and "GB" alike. */
static char *
format_prefixed (double value, const char *unit)
{
  const SiPrefix *p;
  g_autofree char *num = NULL;

  if (isnan (value))
    return g_strdup ("—");
  p = si_prefix_for (value);
  if (p->factor == 1 && unit[0] != '\0')
    return g_strdup_printf ("%.0f" NNBSP "%s", value, unit);
  num = fb_ui_format_sig (value / p->factor);
  if (p->prefix[0] == '\0' && unit[0] == '\0')
    return g_steal_pointer (&num);
  return g_strdup_printf ("%s" NNBSP "%s%s", num, p->prefix, unit);
}

char *
fb_ui_format_si (double value)
{
  return format_prefixed (value, "");
}

char *
fb_ui_format_bytes (double bytes)
{
  return format_prefixed (bytes, "B");
}

char *
fb_ui_format_latency (double value, FbLatencyUnit unit)
{
  g_autofree char *num = NULL;

  if (isnan (value))
    return g_strdup ("—");
  switch (unit)
    {
    case FB_LATENCY_UNIT_US:
      if (fabs (value) >= 999500)
        {
          num = fb_ui_format_sig (value / 1e6);
          return g_strdup_printf ("%s" NNBSP "s", num);
        }
      if (fabs (value) >= 999.5)
        {
          num = fb_ui_format_sig (value / 1e3);
          return g_strdup_printf ("%s" NNBSP "ms", num);
        }
      num = fb_ui_format_sig (value);
      return g_strdup_printf ("%s" NNBSP "µs", num);
    case FB_LATENCY_UNIT_CYCLES:
      num = fb_ui_format_si (value);
      /* TRANSLATORS: a latency, e.g. "1.23 M cycles" */
      return g_strdup_printf (_("%s cycles"), num);
    case FB_LATENCY_UNIT_INSTRUCTIONS:
    default:
      num = fb_ui_format_si (value);
      /* TRANSLATORS: a latency in executed instructions, e.g. "1.23 M instr." */
      return g_strdup_printf (_("%s instr."), num);
    }
}

char *
fb_ui_format_change (double value, double reference)
{
  double pct;

  if (isnan (value) || isnan (reference) || reference == 0)
    return g_strdup ("");
  pct = 100.0 * (value - reference) / reference;
  if (fabs (pct) < 0.05)
    return g_strdup ("±0" NNBSP "%");
  if (fabs (pct) >= 9.95)
    return g_strdup_printf ("%s%.0f" NNBSP "%%", pct < 0 ? "−" : "+", fabs (pct));
  return g_strdup_printf ("%s%.1f" NNBSP "%%", pct < 0 ? "−" : "+", fabs (pct));
}

const char *
fb_ui_latency_method_name (FbLatencyMethod method)
{
  switch (method)
    {
    case FB_LATENCY_METHOD_MEASURED: return _("measured");
    case FB_LATENCY_METHOD_MODELED:  return _("modeled");
    case FB_LATENCY_METHOD_IMPORTED: return _("imported");
    default:                         return fb_latency_method_to_string (method);
    }
}

const char *
fb_ui_latency_unit_name (FbLatencyUnit unit)
{
  switch (unit)
    {
    case FB_LATENCY_UNIT_CYCLES:       return _("cycles");
    case FB_LATENCY_UNIT_INSTRUCTIONS: return _("instructions");
    case FB_LATENCY_UNIT_US:           return "µs";
    default:                           return fb_latency_unit_to_string (unit);
    }
}

char *
fb_ui_format_duration (double s)
{
  if (s < 1)
    return g_strdup (_("less than a second"));
  if (s < 90)
    return g_strdup_printf (ngettext ("%u second", "%u seconds", (guint) lround (s)), (guint) lround (s));
  if (s < 90 * 60)
    return g_strdup_printf (ngettext ("%u minute", "%u minutes", (guint) lround (s / 60)), (guint) lround (s / 60));
  return g_strdup_printf (ngettext ("%u hour", "%u hours", (guint) lround (s / 3600)), (guint) lround (s / 3600));
}
