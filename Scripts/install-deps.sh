#!/usr/bin/env bash
# Installs the system libraries dicomcrawler builds against, and the tools its tests run, if they
# are missing (Debian/Ubuntu): pkg-config, zlib1g-dev (deflated data sets), libmagic-dev (file types
# of non-DICOM files), libgdcm-dev (JPEG, JPEG-LS, JPEG 2000 frames), libhdf5-dev (HDF5 output),
# libdeflate-dev (the chunks HDF5 stores, compressed on the worker threads);
# for the tests: libgdcm-tools and dcmtk (gdcmconv, dcmcjpeg, dcmcjpls, dcmcrle re-encode fixtures),
# libopenjp2-tools (opj_compress), hdf5-tools (h5dump), python3-h5py (h5py reads the output back),
# python3-pandas (the series table read back as its users read it), parallel (GNU parallel runs
# export shards at once) and slurmctld, slurmd, slurm-client, munge (a one-node Slurm runs the
# batch scripts in Scripts/slurm/); for Scripts/release.sh and its tests: binutils (strip,
# objdump), patchelf (the .deb's executables lose the tarball's run path), file (`file -C`
# compiles a test's magic database) and groff-base (the man pages rendered without warnings).
set -euo pipefail
installed() {
  pkg-config --exists zlib libmagic hdf5-serial libdeflate 2>/dev/null || return 1
  # GDCM has no pkg-config file: its header tells.
  [ -f /usr/include/gdcm-3.0/gdcmJPEGCodec.h ] || return 1
  for tool in gdcmconv dcmcjpeg dcmcjpls dcmcrle opj_compress h5dump parallel sbatch strip objdump patchelf file groff; do
    command -v "$tool" >/dev/null 2>&1 || return 1
  done
  # Daemons are in /usr/sbin, which a user's PATH may lack.
  for daemon in slurmctld slurmd munged; do
    [ -x "/usr/sbin/$daemon" ] || return 1
  done
  /usr/bin/python3 -c 'import h5py, pandas' >/dev/null 2>&1 || return 1
}
if installed; then
  exit 0
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq pkg-config zlib1g-dev libmagic-dev libgdcm-dev libhdf5-dev libdeflate-dev \
  libgdcm-tools dcmtk libopenjp2-tools hdf5-tools python3-h5py python3-pandas parallel \
  slurmctld slurmd slurm-client munge binutils patchelf file groff-base >/dev/null
installed
