# tools/deps.sh — sourced by tools/run and tools/test: installs the Debian
# packages freebits needs, only those missing (one apt-get call).

FB_PKGS_BUILD="gcc clang pkg-config meson ninja-build libglib2.0-dev libjson-glib-dev"
# ONNX import: onnx.proto, the protobuf-c code generator and its runtime.
FB_PKGS_BUILD="$FB_PKGS_BUILD libonnx-dev protobuf-c-compiler libprotobuf-c-dev"
# The CLI's German-error test makes de_DE.UTF-8 with localedef (the locale sources).
FB_PKGS_BUILD="$FB_PKGS_BUILD locales"
# Kernel tests and latency measurement on the RV32IMC target (QEMU).
FB_PKGS_TARGET="gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc"
# Training and accuracy: OpenBLAS and the Fashion-MNIST data.
FB_PKGS_NN="libopenblas-dev dataset-fashion-mnist"
# User datasets: .npz members (libzip), image class folders (gdk-pixbuf, no GTK).
FB_PKGS_NN="$FB_PKGS_NN libzip-dev libgdk-pixbuf-2.0-dev"
# Optional: latency measurement, compare and training over MPI ranks (meson -Dmpi=auto
# finds it), and the mpirun the tests in tests/mpi start.
FB_PKGS_NN="$FB_PKGS_NN libopenmpi-dev openmpi-bin"
# The GTK application, and a virtual display for its tests and screenshots.
FB_PKGS_UI="libgtk-3-dev xvfb xauth appstream gettext desktop-file-utils"

fb_install_deps () {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "freebits: installing ${missing[*]}" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo=sudo; else
      echo "freebits: missing packages ${missing[*]} and not root; install them with apt-get" >&2
      return 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

fb_build () {
  local root="$1" builddir="$1/build"
  if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" "$root" >/dev/null
  fi
  ninja -C "$builddir" >/dev/null
}
