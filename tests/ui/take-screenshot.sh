#!/bin/sh
# take-screenshot.sh — regenerate docs/screenshot.png.
#
# Starts freebits under Xvfb on the bundled fmnist-mbv1 network with the
# example mixed-precision config (tests/ui/data/fmnist-mixed.json), runs the
# exact Pareto front from the search panel (--search=pareto: the panel's
# defaults, rv32imc latency and Flash), waits FB_SCREENSHOT_DELAY seconds
# (default 60: the accuracy engine loads the weights and Fashion-MNIST and
# measures the baselines, the config and the front in the background),
# captures the screen with ImageMagick's `import` and trims the empty screen
# around the window. Needs xvfb-run, xauth and imagemagick.
#
#   tests/ui/take-screenshot.sh [BUILDDIR [OUT.png]]     (defaults: build, docs/screenshot.png)
#
# FB_SCREENSHOT_ARGS replaces freebits' arguments and FB_SCREENSHOT_SETTINGS
# adds lines to the settings keyfile, e.g. for the Compare page
# (docs/screenshot-compare.png; the comparison measures the accuracy of a
# few hundred configs, so give it time):
#   FB_SCREENSHOT_ARGS=--compare FB_SCREENSHOT_SETTINGS=show-search=false \
#   FB_SCREENSHOT_DELAY=420 tests/ui/take-screenshot.sh build docs/screenshot-compare.png
#
# FB_SCREENSHOT_SIZE=WIDTHxHEIGHT sets the window's size (default 1600x900),
# FB_SCREENSHOT_THEME=dark the dark variant of the theme
# (gtk-application-prefer-dark-theme), e.g. a laptop screen:
#   FB_SCREENSHOT_SIZE=1024x700 tests/ui/take-screenshot.sh build docs/screenshot-1024x700.png
# The results table under the plot (its page is a setting):
#   FB_SCREENSHOT_SIZE=1600x1000 FB_SCREENSHOT_SETTINGS=bottom-page=1 \
#   tests/ui/take-screenshot.sh build docs/screenshot-1600x1000.png
# A user's data set (any file Open Data Set reads, on the command line):
#   FB_SCREENSHOT_SIZE=1600x1000 FB_SCREENSHOT_SETTINGS=bottom-page=1 \
#   FB_SCREENSHOT_ARGS="--search=pareto data/networks/fmnist-mbv1.json my-clothes.npz" \
#   tests/ui/take-screenshot.sh build docs/screenshot-dataset.png
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
out=${2:-$root/docs/screenshot.png}
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
case "$out" in /*) ;; *) out=$PWD/$out ;; esac
app=$build/src/ui/freebits
[ -x "$app" ] || { echo "take-screenshot: $app not built" >&2; exit 1; }
for tool in xvfb-run import convert; do
  command -v $tool >/dev/null || { echo "take-screenshot: $tool is missing (apt-get install xvfb xauth imagemagick)" >&2; exit 1; }
done

args=${FB_SCREENSHOT_ARGS:-"--search=pareto $root/tests/ui/data/fmnist-mixed.json"}
settings=${FB_SCREENSHOT_SETTINGS:-}
size=${FB_SCREENSHOT_SIZE:-1600x900}
width=${size%x*}
height=${size#*x}
case "$width$height" in *[!0-9]*|'') echo "take-screenshot: FB_SCREENSHOT_SIZE=$size is not WIDTHxHEIGHT" >&2; exit 1 ;; esac
dark=false
case "${FB_SCREENSHOT_THEME:-light}" in
  dark) dark=true ;;
  light) ;;
  *) echo "take-screenshot: FB_SCREENSHOT_THEME must be light or dark" >&2; exit 1 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/run.sh" <<INNER
#!/bin/sh
# A throwaway home: no recent files or settings of the user leak into the picture.
export HOME="$tmp" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" NO_AT_BRIDGE=1 GDK_BACKEND=x11
# Settings (the build tree's schema) from a throwaway keyfile, never the
# user's: the defaults, but a window large enough for the whole layer table.
export GSETTINGS_BACKEND=keyfile GSETTINGS_SCHEMA_DIR="$build/data"
mkdir -p "$tmp/config/glib-2.0/settings" "$tmp/config/gtk-3.0"
# No window manager under Xvfb: GTK's animations (the search panel's
# revealer) can stall mid-way, so show every state at once.
printf '[Settings]\ngtk-enable-animations=false\ngtk-application-prefer-dark-theme=$dark\n' > "$tmp/config/gtk-3.0/settings.ini"
printf '[org/freebits/Explorer]\nwindow-width=$width\nwindow-height=$height\n%s\n' "$settings" > "$tmp/config/glib-2.0/settings/keyfile"
"$app" $args &
pid=\$!
sleep \${FB_SCREENSHOT_DELAY:-60}
import -window root "$tmp/screen.png"
kill \$pid
wait \$pid 2>/dev/null || true
INNER
chmod +x "$tmp/run.sh"
xvfb-run -a -s "-screen 0 $((width + 80))x$((height + 60))x24" "$tmp/run.sh"
# The window sits at the top left of a black screen: keep just the window.
convert "$tmp/screen.png" -bordercolor black -border 1 -trim +repage "$out"
echo "take-screenshot: wrote $out"
