#!/bin/sh
# check-translations.sh — TAP: every translatable string of the GUI is
# translated (not fuzzy, not missing) in every language of po/LINGUAS.
#
# Builds a fresh template from po/POTFILES with the keywords of meson's glib
# preset, merges it into each .po (so a string added to the code but not to
# the .po counts as untranslated) and reads msgfmt --statistics.
#
#   tests/ui/check-translations.sh [SOURCE_ROOT]
set -u
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root" || exit 1

grep -v '^#' po/POTFILES | sed '/^$/d' > "$tmp/files"
if ! xgettext --package-name=freebits --from-code=UTF-8 --add-comments=TRANSLATORS \
      --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=ngettext:1,2 \
      --keyword=g_dngettext:2,3 --flag=N_:1:pass-c-format --flag=g_strdup_printf:1:c-format \
      --flag=g_string_append_printf:2:c-format --flag=g_set_error:4:c-format \
      -f "$tmp/files" -o "$tmp/freebits.pot" 2> "$tmp/xgettext.log"; then
  echo "1..1"
  echo "not ok 1 - xgettext failed: $(head -3 "$tmp/xgettext.log" | tr '\n' ' ')"
  exit 1
fi
total=$(grep -c '^msgid ' "$tmp/freebits.pot")
total=$((total - 1))   # the header

langs=$(sed 's/#.*//' po/LINGUAS | tr -s ' \n' '\n' | sed '/^$/d')
n=$(echo "$langs" | wc -l)
echo "1..$((n + 1))"
echo "ok 1 - template has $total strings"
i=1
status=0
for lang in $langs; do
  i=$((i + 1))
  po=po/$lang.po
  if [ ! -f "$po" ]; then
    echo "not ok $i - $lang: $po is missing"; status=1; continue
  fi
  msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.po" "$po" "$tmp/freebits.pot" 2> "$tmp/merge.log" || {
    echo "not ok $i - $lang: msgmerge failed: $(head -2 "$tmp/merge.log" | tr '\n' ' ')"; status=1; continue; }
  # --check also catches printf directives that differ from the msgid.
  stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" 2>&1)
  ok=$?
  translated=$(echo "$stats" | sed -n 's/^\([0-9][0-9]*\) translated message.*/\1/p' | tail -1)
  if [ $ok -ne 0 ] || [ -z "$translated" ] || echo "$stats" | grep -q -e 'untranslated' -e 'fuzzy'; then
    echo "not ok $i - $lang: $(echo "$stats" | tail -1)"
    # Name a few missing strings, so the failure says what to do.
    msgattrib --untranslated --only-fuzzy "$tmp/$lang.po" 2>/dev/null | grep '^msgid ' | head -5 | sed 's/^/# /'
    msgattrib --untranslated "$tmp/$lang.po" 2>/dev/null | grep '^msgid ' | sed -n '2,6p' | sed 's/^/# untranslated: /'
    status=1
  elif [ "$translated" -ne "$total" ]; then
    echo "not ok $i - $lang: $translated of $total strings translated"
    status=1
  else
    echo "ok $i - $lang: all $total strings translated"
  fi
done
exit $status
