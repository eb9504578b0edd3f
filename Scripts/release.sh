#!/usr/bin/env bash
# Builds the release artifacts of dicomcrawler on Debian 12, for its architecture, into OUT (default dist/):
#
#   dicomcrawler-VERSION-linux-ARCH.tar.gz  unpack anywhere, run bin/dicomcrawler: the Swift runtime
#       linked statically, every other shared library except glibc's copied into lib/ and found
#       through the executables' run path $ORIGIN/../lib (DT_RPATH, which also covers the
#       libraries' own dependencies), libmagic's database in share/dicomcrawler/magic.mgc (found
#       beside the executable), man pages, bash/zsh/fish completions, README, the bundled
#       libraries' copyright files, and the Slurm scripts when Scripts/slurm/ exists.
#   dicomcrawler_VERSION_DEBARCH.deb  the same executables (run path removed) in /usr/bin, depending
#       on Debian's runtime packages of the libraries they link instead of bundling them.
#
# Usage: Scripts/release.sh [--out DIR] [--scratch-path DIR] [--no-deb]
#   --scratch-path  SwiftPM's build folder for the release build (default .build-release: apart from
#                   the development .build, whose flags differ)
# VERSION is `dicomcrawlerVersion` in Sources/dicomcrawler/Version.swift. The files' dates are the
# last commit's (or SOURCE_DATE_EPOCH), so the same commit gives the same archive contents.
# Needs: the Swift toolchain, Scripts/install-deps.sh's packages (binutils, patchelf, dpkg).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/dist
scratch=$root/.build-release
deb=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --scratch-path) scratch=$2; shift 2 ;;
    --no-deb) deb=0; shift ;;
    *) echo "release.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n 's/^let dicomcrawlerVersion = "\([^"]*\)"$/\1/p' Sources/dicomcrawler/Version.swift)
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || { echo "release.sh: no version in Sources/dicomcrawler/Version.swift" >&2; exit 1; }
arch=$(uname -m)
debarch=$(dpkg --print-architecture)
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The release build: one set of flags for every product, so they share the built modules.
flags=(-c release --static-swift-stdlib --scratch-path "$scratch"
       -Xlinker -rpath -Xlinker '$ORIGIN/../lib' -Xlinker --disable-new-dtags)
for product in dicomcrawler dicomcrawler-decoder generate-manual; do
  if ! swift build "${flags[@]}" --product "$product" > "$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    echo "release.sh: swift build --product $product failed" >&2
    exit 1
  fi
  tail -n1 "$work/build.log" >&2
done
bin=$(swift build "${flags[@]}" --show-bin-path)
executables=(dicomcrawler dicomcrawler-decoder)

# The shared libraries the executables load: "soname path" lines, glibc's included.
ldd "$bin/dicomcrawler" "$bin/dicomcrawler-decoder" > "$work/ldd"
if grep -q "not found" "$work/ldd"; then
  echo "release.sh: a library is missing:" >&2; grep "not found" "$work/ldd" >&2; exit 1
fi
# "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)", and the loader: "/lib64/ld-linux-x86-64.so.2 (0x...)".
awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}
     $1 ~ /^\// && $2 ~ /^\(0x/ {n = split($1, part, "/"); print part[n], $1}' "$work/ldd" | sort -u > "$work/libs"

# The Debian package that owns a file (merged /usr: dpkg may know it under /lib or /usr/lib).
package_of() {
  local p=$1 alt
  case "$p" in /usr/lib/*) alt=${p#/usr} ;; /lib/*) alt=/usr$p ;; *) alt=$p ;; esac
  { dpkg-query -S "$p" 2>/dev/null || dpkg-query -S "$alt" 2>/dev/null || dpkg-query -S "$(readlink -f "$p")" 2>/dev/null; } |
    head -n1 | cut -d: -f1
}
while read -r soname path; do
  pkg=$(package_of "$path")
  [ -n "$pkg" ] || { echo "release.sh: no Debian package owns $path" >&2; exit 1; }
  echo "$soname $path $pkg"
done < "$work/libs" > "$work/libs-pkg"

# --- the tarball ------------------------------------------------------------------------------
name=dicomcrawler-$version-linux-$arch
tree=$work/$name
mkdir -p "$tree/bin" "$tree/lib" "$tree/share/dicomcrawler" "$tree/share/man/man1" \
  "$tree/share/bash-completion/completions" "$tree/share/zsh/site-functions" \
  "$tree/share/fish/vendor_completions.d" "$tree/share/doc/dicomcrawler/third-party"
for e in "${executables[@]}"; do
  strip -o "$tree/bin/$e" "$bin/$e"
done
# Every library but glibc's (libc6: its loader must be the system's, and it is everywhere).
: > "$tree/share/doc/dicomcrawler/third-party/LIBRARIES"
while read -r soname path pkg; do
  [ "$pkg" = libc6 ] && continue
  cp -L "$path" "$tree/lib/$soname"
  chmod 0644 "$tree/lib/$soname"
  echo "lib/$soname: $pkg $(dpkg-query -W -f='${Version}' "$pkg")" >> "$tree/share/doc/dicomcrawler/third-party/LIBRARIES"
done < "$work/libs-pkg"
# libmagic's compiled database, of the same package version as the bundled libmagic.
magic_db=/usr/lib/file/magic.mgc
[ -f "$magic_db" ] || { echo "release.sh: $magic_db missing (package libmagic-mgc)" >&2; exit 1; }
cp "$magic_db" "$tree/share/dicomcrawler/magic.mgc"
chmod 0644 "$tree/share/dicomcrawler/magic.mgc"

# Man pages (swift-argument-parser's generate-manual, dated by the commit) and completions.
"$bin/generate-manual" "$tree/bin/dicomcrawler" --multi-page --date "$date" -o "$tree/share/man/man1" >/dev/null
rm -f "$tree/share/man/man1/dicomcrawler.help.1"
# generate-manual leaves the blank lines between the help's paragraphs; mdoc warns about each one
# ("mdoc warning: Empty input line") on every `man`: a paragraph break is .Pp.
sed -i 's/^$/.Pp/' "$tree"/share/man/man1/*.1
"$tree/bin/dicomcrawler" --generate-completion-script bash > "$tree/share/bash-completion/completions/dicomcrawler"
"$tree/bin/dicomcrawler" --generate-completion-script zsh > "$tree/share/zsh/site-functions/_dicomcrawler"
"$tree/bin/dicomcrawler" --generate-completion-script fish > "$tree/share/fish/vendor_completions.d/dicomcrawler.fish"

# README and licences: ours (when there is one), the Swift runtime's and swift-argument-parser's
# (linked in), HDF5's (linked statically) and every bundled library's package copyright.
cp README.md "$tree/README.md"
for f in LICENSE LICENSE.txt LICENSE.md COPYING; do
  [ -f "$f" ] && cp "$f" "$tree/share/doc/dicomcrawler/$f"
done
third=$tree/share/doc/dicomcrawler/third-party
swift_license=$(dirname "$(readlink -f "$(command -v swift)")")/../share/swift/LICENSE.txt
[ -f "$swift_license" ] && cp "$swift_license" "$third/swift-runtime.LICENSE.txt"
cp "$scratch/checkouts/swift-argument-parser/LICENSE.txt" "$third/swift-argument-parser.LICENSE.txt"
for pkg in $(awk '$3 != "libc6" {print $3}' "$work/libs-pkg" | sort -u) libhdf5-dev libmagic-mgc; do
  mkdir -p "$third/$pkg"
  cp "/usr/share/doc/$pkg/copyright" "$third/$pkg/copyright"
done

if [ -d Scripts/slurm ]; then
  mkdir -p "$tree/share/dicomcrawler/slurm"
  cp -R Scripts/slurm/. "$tree/share/dicomcrawler/slurm/"
fi

chmod -R u=rwX,go=rX "$tree"
chmod 0755 "$tree"/bin/*
tarball=$out/$name.tar.gz
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
  -C "$work" -cf - "$name" | gzip -n > "$tarball"
echo "$tarball"

# --- the .deb ---------------------------------------------------------------------------------
[ "$deb" -eq 1 ] || exit 0
debroot=$work/deb
mkdir -p "$debroot/DEBIAN" "$debroot/usr/bin" "$debroot/usr/share/man/man1" \
  "$debroot/usr/share/bash-completion/completions" "$debroot/usr/share/zsh/vendor-completions" \
  "$debroot/usr/share/fish/vendor_completions.d" "$debroot/usr/share/doc/dicomcrawler"
for e in "${executables[@]}"; do
  cp "$tree/bin/$e" "$debroot/usr/bin/$e"
  # Debian's libraries are found where the system keeps them: no run path.
  patchelf --remove-rpath "$debroot/usr/bin/$e"
done
for page in "$tree"/share/man/man1/*.1; do
  gzip -9n < "$page" > "$debroot/usr/share/man/man1/$(basename "$page").gz"
done
cp "$tree/share/bash-completion/completions/dicomcrawler" "$debroot/usr/share/bash-completion/completions/"
cp "$tree/share/zsh/site-functions/_dicomcrawler" "$debroot/usr/share/zsh/vendor-completions/"
cp "$tree/share/fish/vendor_completions.d/dicomcrawler.fish" "$debroot/usr/share/fish/vendor_completions.d/"
gzip -9n < README.md > "$debroot/usr/share/doc/dicomcrawler/README.md.gz"
if [ -d Scripts/slurm ]; then
  mkdir -p "$debroot/usr/share/dicomcrawler/slurm"
  cp -R Scripts/slurm/. "$debroot/usr/share/dicomcrawler/slurm/"
fi
{
  echo "dicomcrawler"
  echo
  licence=$(ls LICENSE LICENSE.txt LICENSE.md COPYING 2>/dev/null | head -n1 || true)
  if [ -n "$licence" ]; then cat "$licence"; else echo "The dicomcrawler repository states no licence."; fi
  echo
  echo "The executables link the Swift runtime and swift-argument-parser (Apache License 2.0 with"
  echo "Runtime Library Exception, below) and HDF5 statically (its copyright below). The shared"
  echo "libraries come from the packages this one depends on."
  echo
  echo "--- Swift runtime ---"
  [ -f "$third/swift-runtime.LICENSE.txt" ] && cat "$third/swift-runtime.LICENSE.txt"
  echo
  echo "--- swift-argument-parser ---"
  cat "$third/swift-argument-parser.LICENSE.txt"
  echo
  echo "--- HDF5 (libhdf5-dev) ---"
  cat /usr/share/doc/libhdf5-dev/copyright
} > "$debroot/usr/share/doc/dicomcrawler/copyright"

# Depends: the package of each library the executables name (DT_NEEDED), with the minimum version
# from that package's shlibs file, as dpkg-shlibdeps would write it.
depends=$(
  for e in "${executables[@]}"; do
    objdump -p "$bin/$e" | awk '$1 == "NEEDED" {print $2}'
  done | sort -u | while read -r soname; do
    pkg=$(awk -v s="$soname" '$1 == s {print $3}' "$work/libs-pkg" | head -n1)
    [ -n "$pkg" ] || { echo "release.sh: no package for $soname" >&2; exit 1; }
    # libfoo.so.1 -> "libfoo 1"; libgdcmMSFF.so.3.0 -> "libgdcmMSFF 3.0"; ld-linux-x86-64.so.2 -> "ld-linux-x86-64 2"
    lib=${soname%%.so.*}; major=${soname#*.so.}
    shlibs=$(ls /var/lib/dpkg/info/"$pkg".shlibs /var/lib/dpkg/info/"$pkg":"$debarch".shlibs 2>/dev/null | head -n1)
    dep=""
    [ -n "$shlibs" ] && dep=$(awk -v l="$lib" -v m="$major" '$1 == l && $2 == m {$1 = ""; $2 = ""; sub(/^ +/, ""); print; exit}' "$shlibs")
    # A shlibs entry without a version (libstdc++6's, libgcc-s1's: theirs are in symbols files):
    # the upstream version built against is the floor.
    if [ -z "$dep" ] || [ "$dep" = "$pkg" ]; then
      dep="$pkg (>= $(dpkg-query -W -f='${Version}' "$pkg" | sed 's/-[^-]*$//'))"
    fi
    echo "$dep"
  done | sort -u | paste -sd, | sed 's/,/, /g'
)
[ -n "$depends" ] || { echo "release.sh: no dependencies found" >&2; exit 1; }
maintainer=${DEB_MAINTAINER:-"$(git config user.name 2>/dev/null || echo dicomcrawler maintainers) <$(git config user.email 2>/dev/null || echo root@localhost)>"}
cat > "$debroot/DEBIAN/control" <<EOF
Package: dicomcrawler
Version: $version
Architecture: $debarch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$debroot" | cut -f1)
Depends: $depends
Section: science
Priority: optional
Description: turn trees of DICOM files into tables
 dicomcrawler crawls large trees of DICOM files (medical images) and writes
 tables: a modality-template crawl (modal_data.csv per subject), every element
 (tags), one row per series (series), files sorted into Patient/Series folders
 (sort), and pixel data into HDF5 (export, with the dicomcrawler-decoder helper).
EOF
(cd "$debroot" && find usr -type f | sort | xargs md5sum > DEBIAN/md5sums)
chmod -R u=rwX,go=rX "$debroot"
chmod 0755 "$debroot"/usr/bin/*
debfile=$out/dicomcrawler_${version}_$debarch.deb
dpkg-deb --root-owner-group -Zxz --build "$debroot" "$debfile" >/dev/null
echo "$debfile"
