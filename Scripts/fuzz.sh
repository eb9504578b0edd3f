#!/usr/bin/env bash
# Fuzz the DICOM reader with libFuzzer and AddressSanitizer.
#   Scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
# Seeds: examples/, fuzz/regressions/ (past crash inputs) and the shared corpus (../shared/corpus). New inputs go to fuzz/corpus-run/,
# crashes to fuzz/artifacts/ (turn each into a regression test in Tests/DICOMTests/FuzzRegressionTests.swift).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
swift build --scratch-path .build-fuzz -c release --product dicom-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING
mkdir -p fuzz/corpus-run fuzz/artifacts
# libFuzzer writes new inputs into the FIRST directory only: keep fuzz/corpus-run first, so that the
# seed directories (the example tree, the shared corpus) are only read.
seeds=(examples fuzz/regressions)
[ -d ../shared/corpus ] && seeds+=(../shared/corpus/dcm_qa_ts/In ../shared/corpus/dcm_qa_enh/In/Siemens/XA10 ../shared/corpus/dcm_qa_agfa/Agfa)
exec .build-fuzz/release/dicom-fuzz fuzz/corpus-run "${seeds[@]}" -max_total_time="$seconds" \
  -max_len=65536 -rss_limit_mb=4096 -artifact_prefix=fuzz/artifacts/ -print_final_stats=1 "$@"
