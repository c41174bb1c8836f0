#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for this project (run as root, or with sudo available):
#  - dataset-fashion-mnist: the real Fashion-MNIST IDX files, the quickstart's data;
#  - fonts-dejavu-core: the font of the report's figures;
#  - with --tests, also chromium (the headless browser the tests use to check the HTML report renders) and tmux (the
#    tests run crx in its pseudo-terminals, as a person at a terminal runs it). .ci/run asks for them; the quickstart
#    needs neither, and chromium is most of what a fresh machine would download.
# NuGet packages (TorchSharp, libtorch, SkiaSharp, ...) are restored by `dotnet build` itself.
set -euo pipefail
tests=0
for arg in "$@"; do
  case "$arg" in
    --tests) tests=1 ;;
    *) echo "usage: ./setup.sh [--tests]" >&2; exit 2 ;;
  esac
done
need=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
[ "$tests" -eq 1 ] && { command -v chromium >/dev/null 2>&1 || need+=(chromium); }
# The report's figures ask fontconfig for DejaVu Sans.
fc-list 2>/dev/null | grep -q DejaVuSans || need+=(fonts-dejavu-core)
[ "$tests" -eq 1 ] && { command -v tmux >/dev/null 2>&1 || need+=(tmux); }
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v dotnet >/dev/null 2>&1 || { echo "setup: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
