#!/usr/bin/env bash
# Installs the system libraries dicomcrawler builds against, if they are missing (Debian/Ubuntu):
# pkg-config, zlib1g-dev (deflated data sets), libmagic-dev (file types of non-DICOM files); and
# for the tests, dcmtk (dcmcrle encodes writer-made files as RLE).
set -euo pipefail
if pkg-config --exists zlib libmagic 2>/dev/null && command -v dcmcrle >/dev/null; then
  exit 0
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq pkg-config zlib1g-dev libmagic-dev dcmtk >/dev/null
pkg-config --exists zlib libmagic
