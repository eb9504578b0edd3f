#!/usr/bin/python3
"""The old DICOMDataExtractor algorithm as a plain script, the peer of `dicomcrawler export` in
export-bench: walk the DIRs, read every file with pydicom, group by Series Instance UID, stack the
slices in a naive order (Instance Number, else file name), `pixel_array` per file, one h5py dataset
per series (1, Rows, Columns, slices), gzip level 4 with shuffle, one chunk per slice; and a
metadata CSV beside it, one row per series with its first file's elements.

    /usr/bin/python3 old_tool.py DIR... -o OUT.h5

Needs Debian's python3-pydicom, python3-gdcm (pydicom's JPEG 2000 handler) and python3-h5py.
"""
import argparse
import csv
import os
import sys

import h5py
import numpy as np
import pydicom


def walk(dirs):
    for d in dirs:
        for folder, subdirs, files in os.walk(d):
            subdirs.sort()
            for name in sorted(files):
                yield os.path.join(folder, name)


def cell(value):
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("-o", "--output", default="pixel_data.h5")
    args = parser.parse_args()

    # 1. Every file's header, grouped by series.
    series = {}
    for path in walk(args.dirs):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:
            continue
        uid = ds.get("SeriesInstanceUID")
        if uid is None or "Rows" not in ds:
            continue
        series.setdefault(str(uid), []).append((ds, path))

    # 2. Per series: slices in a naive order, pixel_array per file, one dataset.
    rows = []
    with h5py.File(args.output, "w") as out:
        for uid, members in series.items():
            members.sort(key=lambda m: (int(m[0].get("InstanceNumber", 0) or 0), os.path.basename(m[1])))
            try:
                frames = [pydicom.dcmread(path).pixel_array for _, path in members]
            except Exception as e:
                print(f"{uid}: {e}", file=sys.stderr)
                continue
            volume = np.stack(frames, axis=-1)[np.newaxis]  # (1, rows, cols, slices)
            out.create_dataset(uid, data=volume, compression="gzip", compression_opts=4, shuffle=True,
                               chunks=(1, volume.shape[1], volume.shape[2], 1))
            first = members[0][0]
            row = {"SeriesInstanceUID": uid, "Shape": str(volume.shape), "Files": len(members)}
            for elem in first:
                if elem.tag.group == 0x7FE0:
                    continue
                row[elem.keyword or str(elem.tag)] = cell(elem.value)
            rows.append(row)

    columns = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    with open(os.path.splitext(args.output)[0] + ".csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
