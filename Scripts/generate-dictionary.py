#!/usr/bin/env python3
"""Generate Sources/DICOM/Dictionary/Generated/DictionaryTables.swift from the DICOM data dictionary TSVs.

Usage: python3 Scripts/generate-dictionary.py [../shared/dicom-standard] [output.swift]
  (defaults: ../shared/dicom-standard beside the checkout, and the committed file above)

Input: elements.tsv (tag, vr, vm, name, keyword, retired) and uids.tsv (uid, name, type, info,
keyword) as shipped in ../shared/dicom-standard/ (tabulated from pydicom 3.0.2's dictionary of
DICOM PS3.6).

Output: tables encoded as hexadecimal text inside `StaticString` literals. A StaticString is a
pointer into the binary's read-only data, so the tables cost nothing at start-up and nothing to
type-check; lookups by tag, keyword and UID go through open-addressing hash tables computed here
(O(1)). The hash functions below must stay identical to the ones in Dictionary/DataDictionary.swift.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "dicom-standard")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "Sources", "DICOM", "Dictionary", "Generated", "DictionaryTables.swift")

TAG_BITS = 14      # 16384 slots for ~5200 tags
KEYWORD_BITS = 14
UID_BITS = 11      # 2048 slots for ~480 UIDs


def tag_hash(tag, bits):
    return ((tag * 0x9E3779B1) & 0xFFFFFFFF) >> (32 - bits)


def fnv1a(text):
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            yield dict(zip(header, line.split("\t")))


def build_slots(keys, bits, hash_fn):
    size = 1 << bits
    slots = [0] * size
    for index, key in enumerate(keys):
        h = hash_fn(key) & (size - 1)
        while slots[h] != 0:
            h = (h + 1) & (size - 1)
        slots[h] = index + 1
    assert max(slots) < 0x10000
    return "".join("%04x" % s for s in slots)


def swift_literal(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    elements = []
    for row in read_tsv(os.path.join(SRC, "elements.tsv")):
        tag_text = row["tag"].strip("()").replace(",", "")
        mask = "".join("0" if c in "xX" else "f" for c in tag_text)
        value = int(tag_text.replace("x", "0").replace("X", "0"), 16)
        elements.append((value, int(mask, 16), row["vr"], row["vm"], row["name"], row["keyword"],
                         row["retired"] == "retired"))
    elements.sort(key=lambda e: (e[1] != 0xFFFFFFFF, e[0]))

    vr_spellings = sorted({e[2] for e in elements})
    vm_spellings = sorted({e[3] for e in elements})
    text = []
    text_len = 0
    records = []
    for value, mask, vr, vm, name, keyword, retired in elements:
        name_b, kw_b = name.encode("utf-8"), keyword.encode("utf-8")
        assert len(name_b) < 256 and len(kw_b) < 256
        records.append("%08x%02x%02x%06x%02x%02x%s%08x" % (
            value, vr_spellings.index(vr), vm_spellings.index(vm), text_len, len(name_b), len(kw_b),
            "1" if retired else "0", mask))
        text.append(name + keyword)
        text_len += len(name_b) + len(kw_b)
    plain = [e for e in elements if e[1] == 0xFFFFFFFF]
    masked_count = len(elements) - len(plain)
    tag_slots = build_slots([e[0] for e in plain], TAG_BITS, lambda t: tag_hash(t, TAG_BITS))
    keyword_keys = [e[5] for e in elements]
    # Empty keywords (a few retired entries) must not be findable: hash them like any other key,
    # the lookup rejects an empty query before probing.
    keyword_slots = build_slots(keyword_keys, KEYWORD_BITS, fnv1a)

    uids = list(read_tsv(os.path.join(SRC, "uids.tsv")))
    uid_types = sorted({u["type"] for u in uids})
    uid_records = []
    uid_text = []
    uid_len = 0
    for u in uids:
        parts = [u["uid"], u["name"], u["keyword"]]
        lens = [len(p.encode("utf-8")) for p in parts]
        assert all(l < 256 for l in lens)
        uid_records.append("%06x%02x%02x%02x%02x" % (uid_len, lens[0], lens[1], lens[2], uid_types.index(u["type"])))
        uid_text.append("".join(parts))
        uid_len += sum(lens)
    uid_slots = build_slots([u["uid"] for u in uids], UID_BITS, fnv1a)

    record_width = len(records[0])
    assert all(len(r) == record_width for r in records)
    out = []
    out.append("// GENERATED FILE — do not edit. Regenerate with: python3 Scripts/generate-dictionary.py ../shared/dicom-standard")
    out.append("// Source: ../shared/dicom-standard/elements.tsv and uids.tsv, the DICOM PS3.6 data")
    out.append("// dictionary and UID registry as tabulated from pydicom 3.0.2's generated dictionary (MIT).")
    out.append("// %d elements (%d with repeating-group masks), %d UIDs." % (len(elements), masked_count, len(uids)))
    out.append("")
    out.append("enum DictionaryTables {")
    out.append("    static let tagBits = %d" % TAG_BITS)
    out.append("    static let keywordBits = %d" % KEYWORD_BITS)
    out.append("    static let uidBits = %d" % UID_BITS)
    out.append("    static let elementCount = %d" % len(elements))
    out.append("    static let plainCount = %d" % len(plain))
    out.append("    static let recordWidth = %d" % record_width)
    out.append("    static let vrSpellings: [String] = [%s]" % ", ".join(swift_literal(v) for v in vr_spellings))
    out.append("    static let vmSpellings: [String] = [%s]" % ", ".join(swift_literal(v) for v in vm_spellings))
    out.append("    static let uidTypes: [String] = [%s]" % ", ".join(swift_literal(v) for v in uid_types))
    out.append("    /// Per element: tag(8) vr(2) vm(2) textOffset(6) nameLength(2) keywordLength(2) retired(1) mask(8), hex.")
    out.append("    static let records: StaticString = %s" % swift_literal("".join(records)))
    out.append("    /// Names immediately followed by keywords.")
    out.append("    static let text: StaticString = %s" % swift_literal("".join(text)))
    out.append("    /// Open addressing by tag; 4 hex digits per slot holding record index + 1 (0 = empty).")
    out.append("    static let tagSlots: StaticString = %s" % swift_literal(tag_slots))
    out.append("    /// Open addressing by FNV-1a of the keyword.")
    out.append("    static let keywordSlots: StaticString = %s" % swift_literal(keyword_slots))
    out.append("    static let uidCount = %d" % len(uids))
    out.append("    /// Per UID: textOffset(6) uidLength(2) nameLength(2) keywordLength(2) type(2), hex.")
    out.append("    static let uidRecords: StaticString = %s" % swift_literal("".join(uid_records)))
    out.append("    static let uidText: StaticString = %s" % swift_literal("".join(uid_text)))
    out.append("    static let uidSlots: StaticString = %s" % swift_literal(uid_slots))
    out.append("}")
    out.append("")
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    print("wrote %s: %d elements, %d UIDs" % (OUT, len(elements), len(uids)))


if __name__ == "__main__":
    main()
