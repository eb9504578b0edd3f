// CGDCM: one compressed frame from memory through GDCM's JPEG, JPEG-LS and JPEG 2000 codecs.
// The codestream header is checked first, since GDCM asserts or overruns on some mismatches.
#include "cgdcm.h"

#include <gdcm-3.0/gdcmDataElement.h>
#include <gdcm-3.0/gdcmFragment.h>
#include <gdcm-3.0/gdcmJPEG2000Codec.h>
#include <gdcm-3.0/gdcmJPEGCodec.h>
#include <gdcm-3.0/gdcmJPEGLSCodec.h>
#include <gdcm-3.0/gdcmPhotometricInterpretation.h>
#include <gdcm-3.0/gdcmPixelFormat.h>
#include <gdcm-3.0/gdcmSequenceOfFragments.h>
#include <gdcm-3.0/gdcmTrace.h>
#include <gdcm-3.0/gdcmVersion.h>

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

// Messages of the codecs under GDCM. GDCM's trace macros are switched off, but libjpeg prints its
// warnings and errors to stderr (GDCM keeps IJG's output_message) and GDCM hands OpenJPEG an error
// handler that prints to stderr. The library must not print, so both are taken over here by
// interposing the two functions GDCM calls to set them up (the dynamic linker resolves GDCM's calls
// to these definitions first; each calls the original, then puts a collecting callback in place).
// The messages go to the decoding thread's collector and into the caller's error text.
namespace {
thread_local std::string *messageSink = nullptr;

void collect(const char *prefix, const char *text) {
    if (messageSink == nullptr || text == nullptr) return;
    std::string t(text);
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    if (t.empty() || messageSink->size() > 2000) return;
    if (!messageSink->empty()) *messageSink += "; ";
    *messageSink += prefix;
    *messageSink += t;
}

/// The start of IJG's struct jpeg_error_mgr (the same in every libjpeg since 6b).
struct IJGErrorManager {
    void (*error_exit)(void *cinfo);
    void (*emit_message)(void *cinfo, int level);
    void (*output_message)(void *cinfo);
    void (*format_message)(void *cinfo, char *buffer);
};

/// IJG's output_message, collecting instead of printing. `cinfo` starts with its error manager.
void collectIJGMessage(void *cinfo) {
    IJGErrorManager *err = *static_cast<IJGErrorManager **>(cinfo);
    char buffer[200] = {0};  // JMSG_LENGTH_MAX
    err->format_message(cinfo, buffer);
    collect("libjpeg: ", buffer);
}

void collectOpenJPEGMessage(const char *message, void *) { collect("OpenJPEG: ", message); }

using StdError = void *(*)(void *);
void *quietStdError(const char *name, void *err) {
    StdError original = reinterpret_cast<StdError>(dlsym(RTLD_NEXT, name));
    if (original == nullptr) std::abort();  // cannot happen: GDCM, our caller, links the original
    void *result = original(err);
    static_cast<IJGErrorManager *>(err)->output_message = collectIJGMessage;
    return result;
}
}  // namespace

extern "C" void *gdcmjpeg8_jpeg_std_error(void *err) { return quietStdError("gdcmjpeg8_jpeg_std_error", err); }
extern "C" void *gdcmjpeg12_jpeg_std_error(void *err) { return quietStdError("gdcmjpeg12_jpeg_std_error", err); }
extern "C" void *gdcmjpeg16_jpeg_std_error(void *err) { return quietStdError("gdcmjpeg16_jpeg_std_error", err); }

extern "C" int opj_set_error_handler(void *codec, void (*)(const char *, void *), void *) {
    using SetHandler = int (*)(void *, void (*)(const char *, void *), void *);
    static const SetHandler original = reinterpret_cast<SetHandler>(dlsym(RTLD_NEXT, "opj_set_error_handler"));
    if (original == nullptr) return 0;
    return original(codec, collectOpenJPEGMessage, nullptr);
}

namespace {

enum class Family { none, jpeg, jpegLS, jpeg2000 };

Family familyOf(const char *uid) {
    if (uid == nullptr) return Family::none;
    static const char *const jpeg[] = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
                                       "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"};
    for (const char *u : jpeg) if (std::strcmp(uid, u) == 0) return Family::jpeg;
    if (std::strcmp(uid, "1.2.840.10008.1.2.4.80") == 0 || std::strcmp(uid, "1.2.840.10008.1.2.4.81") == 0)
        return Family::jpegLS;
    if (std::strcmp(uid, "1.2.840.10008.1.2.4.90") == 0 || std::strcmp(uid, "1.2.840.10008.1.2.4.91") == 0)
        return Family::jpeg2000;
    return Family::none;
}

/// A failure: status and message.
struct Failure {
    cgdcm_status status;
    std::string message;
};

void copyString(const std::string &s, char *dst, size_t capacity) {
    if (dst == nullptr || capacity == 0) return;
    size_t n = s.size() < capacity - 1 ? s.size() : capacity - 1;
    std::memcpy(dst, s.data(), n);
    dst[n] = 0;
}

std::string at(size_t offset) { return " at byte " + std::to_string(offset); }

std::string hex2(uint8_t v) {
    static const char digits[] = "0123456789ABCDEF";
    return std::string{digits[v >> 4], digits[v & 15]};
}

uint16_t be16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t *p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

/// The declared Photometric Interpretation, checked against the samples per pixel.
bool photometricType(const char *s, uint16_t spp, gdcm::PhotometricInterpretation::PIType &type, const char *&name) {
    using PI = gdcm::PhotometricInterpretation;
    if (s == nullptr) return false;
    struct Entry { const char *name; PI::PIType type; uint16_t spp; };
    static const Entry entries[] = {
        {"MONOCHROME1", PI::MONOCHROME1, 1}, {"MONOCHROME2", PI::MONOCHROME2, 1},
        {"PALETTE COLOR", PI::PALETTE_COLOR, 1}, {"RGB", PI::RGB, 3}, {"YBR_FULL", PI::YBR_FULL, 3},
        {"YBR_FULL_422", PI::YBR_FULL_422, 3}, {"YBR_PARTIAL_422", PI::YBR_PARTIAL_422, 3},
        {"YBR_PARTIAL_420", PI::YBR_PARTIAL_420, 3}, {"YBR_ICT", PI::YBR_ICT, 3}, {"YBR_RCT", PI::YBR_RCT, 3},
    };
    for (const Entry &e : entries) {
        if (std::strcmp(s, e.name) == 0) {
            type = e.type;
            name = e.name;
            return e.spp == spp;
        }
    }
    return false;
}

/// The attributes of the frame, checked.
struct Frame {
    uint32_t rows, columns;
    uint16_t spp, bitsAllocated, bitsStored, signedPixels;
    gdcm::PhotometricInterpretation::PIType photometric;
    const char *photometricName;  // unpadded (GDCM's own strings are padded to even length)
    uint64_t length;
};

bool checkAttributes(const cgdcm_frame_info *info, Frame &f, Failure &fail) {
    fail.status = CGDCM_BAD_ATTRIBUTES;
    if (info->rows == 0 || info->columns == 0 || info->rows > 65535 || info->columns > 65535) {
        fail.message = "rows and columns must be 1...65535 (got " + std::to_string(info->rows) + " x " +
                       std::to_string(info->columns) + ")";
        return false;
    }
    if (info->samples_per_pixel != 1 && info->samples_per_pixel != 3) {
        fail.message = "samples per pixel must be 1 or 3 (got " + std::to_string(info->samples_per_pixel) + ")";
        return false;
    }
    if (info->bits_allocated != 8 && info->bits_allocated != 16) {
        fail.message = "bits allocated must be 8 or 16 (got " + std::to_string(info->bits_allocated) + ")";
        return false;
    }
    if (info->bits_stored == 0 || info->bits_stored > info->bits_allocated) {
        fail.message = "bits stored must be 1..." + std::to_string(info->bits_allocated) + " (got " +
                       std::to_string(info->bits_stored) + ")";
        return false;
    }
    if (info->pixel_representation > 1 || info->planar_configuration > 1) {
        fail.message = "pixel representation and planar configuration must be 0 or 1";
        return false;
    }
    if (!photometricType(info->photometric, info->samples_per_pixel, f.photometric, f.photometricName)) {
        fail.message = std::string("photometric interpretation '") + (info->photometric ? info->photometric : "") +
                       "' is unknown or does not fit " + std::to_string(info->samples_per_pixel) +
                       " samples per pixel";
        return false;
    }
    f.rows = info->rows;
    f.columns = info->columns;
    f.spp = info->samples_per_pixel;
    f.bitsAllocated = info->bits_allocated;
    f.bitsStored = info->bits_stored;
    f.signedPixels = info->pixel_representation;
    f.length = uint64_t(f.rows) * f.columns * f.spp * (f.bitsAllocated / 8);
    return true;
}

/// The length of the stream without trailing padding (0x00 or 0xFF bytes), if it then ends with
/// an end marker (FFD9: EOI for JPEG and JPEG-LS, EOC for JPEG 2000).
bool trimToEndMarker(const uint8_t *data, size_t length, size_t &trimmed, Failure &fail) {
    size_t n = length;
    while (n > 0 && (data[n - 1] == 0x00 || data[n - 1] == 0xFF)) n--;
    if (n < 2 || data[n - 2] != 0xFF || data[n - 1] != 0xD9) {
        fail = {CGDCM_BAD_STREAM, "the stream does not end with an end-of-image marker (FFD9): truncated? (" +
                                      std::to_string(length) + " bytes)"};
        return false;
    }
    trimmed = n;
    return true;
}

/// What the header of a JPEG or JPEG-LS stream declares, up to the first start of scan.
struct JPEGHeader {
    uint8_t sof = 0;
    int precision = 0;
    uint32_t height = 0, width = 0;
    int components = 0;
    uint8_t ids[4] = {0, 0, 0, 0};
    bool jfif = false;
    bool adobe = false;
    int adobeTransform = 0;
};

bool isJPEGFrameMarker(uint8_t m) {
    return (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) || m == 0xF7;
}

/// Walks the markers from SOI to SOS the way libjpeg and CharLS read them, refusing what would make
/// libjpeg warn during the header (GDCM asserts on such a warning) and anything out of bounds.
bool readJPEGHeader(const uint8_t *d, size_t n, JPEGHeader &h, Failure &fail) {
    fail.status = CGDCM_BAD_STREAM;
    if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) {
        fail.message = "the stream does not start with a JPEG SOI marker (FFD8)";
        return false;
    }
    size_t pos = 2;
    bool sawFrame = false;
    while (true) {
        if (pos >= n) {
            fail.message = "the stream ends before its start of scan" + at(n);
            return false;
        }
        if (d[pos] != 0xFF) {
            fail.message = "bytes between markers" + at(pos);
            return false;
        }
        while (pos < n && d[pos] == 0xFF) pos++;
        if (pos >= n) {
            fail.message = "the stream ends inside a marker" + at(pos);
            return false;
        }
        const size_t markerAt = pos - 1;
        const uint8_t m = d[pos++];
        if (m == 0x00 || m == 0xD8 || m == 0xD9 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
            fail.message = "unexpected marker FF" + hex2(m) + " before the start of scan" + at(markerAt);
            return false;
        }
        if (pos + 2 > n) {
            fail.message = "the stream ends inside a marker segment" + at(markerAt);
            return false;
        }
        const size_t segLength = be16(d + pos);
        if (segLength < 2 || pos + segLength > n) {
            fail.message = "marker segment length " + std::to_string(segLength) + " runs past the stream" + at(markerAt);
            return false;
        }
        const uint8_t *p = d + pos + 2;
        const size_t payload = segLength - 2;
        if (isJPEGFrameMarker(m)) {
            if (sawFrame) {
                fail.message = "a second frame header" + at(markerAt);
                return false;
            }
            if (payload < 6 || payload != 6 + size_t(p[5]) * 3) {
                fail.message = "malformed frame header" + at(markerAt);
                return false;
            }
            sawFrame = true;
            h.sof = m;
            h.precision = p[0];
            h.height = be16(p + 1);
            h.width = be16(p + 3);
            h.components = p[5];
            for (int i = 0; i < h.components && i < 4; i++) h.ids[i] = p[6 + 3 * i];
        } else if (m == 0xE0 && payload >= 14 && std::memcmp(p, "JFIF\0", 5) == 0) {
            h.jfif = true;
            if (p[5] != 1) {
                fail.message = "JFIF major version " + std::to_string(p[5]) + " (libjpeg warns, GDCM then aborts)";
                return false;
            }
        } else if (m == 0xEE && payload >= 12 && std::memcmp(p, "Adobe", 5) == 0) {
            h.adobe = true;
            h.adobeTransform = p[11];
        } else if (m == 0xDA) {
            if (!sawFrame) {
                fail.message = "start of scan before any frame header" + at(markerAt);
                return false;
            }
            return true;
        }
        pos += segLength;
    }
}

/// The checks shared by JPEG and JPEG-LS: the frame header against the attributes. Returns the
/// precision of the samples in the stream.
bool checkJPEGFrame(const JPEGHeader &h, const Frame &f, const char *what, Failure &fail) {
    fail.status = CGDCM_BAD_STREAM;
    if (h.width != f.columns || h.height != f.rows) {
        fail.message = std::string(what) + " frame is " + std::to_string(h.width) + " x " + std::to_string(h.height) +
                       " (columns x rows), the data set says " + std::to_string(f.columns) + " x " +
                       std::to_string(f.rows);
        return false;
    }
    if (h.components != f.spp) {
        fail.message = std::string(what) + " frame has " + std::to_string(h.components) +
                       " components, the data set says " + std::to_string(f.spp) + " samples per pixel";
        return false;
    }
    if (h.precision < 2 || h.precision > 16 || (f.bitsAllocated == 8 && h.precision > 8)) {
        fail.message = std::string(what) + " precision " + std::to_string(h.precision) +
                       " bits does not fit bits allocated " + std::to_string(f.bitsAllocated);
        return false;
    }
    return true;
}

/// What a JPEG 2000 codestream declares.
struct J2KHeader {
    uint32_t width = 0, height = 0;
    int components = 0;
    int precision = 0;
    bool isSigned = false;
    bool mct = false;
    bool reversible = false;
};

bool hasNoLength(uint16_t marker) {
    return (marker >= 0xFF30 && marker <= 0xFF3F) || marker == 0xFF4F || marker == 0xFF93 || marker == 0xFFD9 ||
           marker == 0xFF92;
}

/// The codestream inside a JP2 file (its 'jp2c' box), or the data itself when it is a codestream.
bool findCodestream(const uint8_t *d, size_t n, size_t &start, size_t &length, Failure &fail) {
    static const uint8_t jp2Signature[12] = {0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A};
    fail.status = CGDCM_BAD_STREAM;
    if (n < 12 || std::memcmp(d, jp2Signature, 12) != 0) {
        start = 0;
        length = n;
        return true;
    }
    size_t pos = 0;
    while (pos + 8 <= n) {
        uint64_t boxLength = be32(d + pos);
        const uint32_t type = be32(d + pos + 4);
        size_t header = 8;
        if (boxLength == 1) {
            if (pos + 16 > n) break;
            boxLength = uint64_t(be32(d + pos + 8)) << 32 | be32(d + pos + 12);
            header = 16;
        } else if (boxLength == 0) {
            boxLength = n - pos;
        }
        if (boxLength < header || boxLength > n - pos) break;
        if (type == 0x6A703263) {  // 'jp2c'
            start = pos + header;
            length = size_t(boxLength) - header;
            return true;
        }
        pos += size_t(boxLength);
    }
    fail.message = "a JP2 file without a readable codestream box";
    return false;
}

/// Reads SIZ and COD and walks the markers up to the first SOD the way GDCM's own scan does
/// (which trusts the lengths), keeping every step inside the stream.
bool readJ2KHeader(const uint8_t *d, size_t n, J2KHeader &h, Failure &fail) {
    fail.status = CGDCM_BAD_STREAM;
    if (n < 4 || be16(d) != 0xFF4F || be16(d + 2) != 0xFF51) {
        fail.message = "the stream does not start with a JPEG 2000 codestream (SOC FF4F, SIZ FF51)";
        return false;
    }
    if (n < 6 || be16(d + 4) < 41 || 4 + size_t(be16(d + 4)) > n) {
        fail.message = "malformed SIZ marker segment" + at(2);
        return false;
    }
    const uint8_t *s = d + 6;
    const size_t sizLength = be16(d + 4);
    const uint32_t xsiz = be32(s + 2), ysiz = be32(s + 6), xo = be32(s + 10), yo = be32(s + 14);
    const uint16_t csiz = be16(s + 34);
    if (sizLength != 38 + size_t(csiz) * 3 || xsiz <= xo || ysiz <= yo || csiz == 0) {
        fail.message = "malformed SIZ marker segment" + at(2);
        return false;
    }
    h.width = xsiz - xo;
    h.height = ysiz - yo;
    h.components = csiz;
    for (int c = 0; c < csiz; c++) {
        const uint8_t ssiz = s[36 + 3 * c], xr = s[37 + 3 * c], yr = s[38 + 3 * c];
        const int precision = (ssiz & 0x7F) + 1;
        const bool sgn = (ssiz & 0x80) != 0;
        if (xr != 1 || yr != 1) {
            fail.message = "component " + std::to_string(c) + " is subsampled (" + std::to_string(xr) + " x " +
                           std::to_string(yr) + "), which is not supported";
            return false;
        }
        if (c == 0) {
            h.precision = precision;
            h.isSigned = sgn;
        } else if (precision != h.precision || sgn != h.isSigned) {
            fail.message = "the components differ in precision or sign";
            return false;
        }
    }
    size_t pos = 4 + sizLength;
    bool sawCOD = false;
    while (pos + 2 <= n) {
        const uint16_t marker = be16(d + pos);
        const size_t markerAt = pos;
        pos += 2;
        if (hasNoLength(marker)) {
            if (marker == 0xFF93) {
                if (!sawCOD) {
                    fail.message = "no COD marker segment before the first tile data";
                    return false;
                }
                return true;
            }
            continue;
        }
        if (pos + 2 > n) break;
        const size_t segLength = be16(d + pos);
        if (segLength < 2 || pos + segLength > n) {
            fail.message = "marker segment length " + std::to_string(segLength) + " runs past the stream" + at(markerAt);
            return false;
        }
        if (marker == 0xFF52 && !sawCOD) {
            if (segLength < 12 || d[pos + 2 + 4] > 1 || d[pos + 2 + 9] > 1) {
                fail.message = "malformed COD marker segment" + at(markerAt);
                return false;
            }
            sawCOD = true;
            h.mct = d[pos + 2 + 4] == 1;
            h.reversible = d[pos + 2 + 9] == 1;
        }
        pos += segLength;
    }
    fail.message = "the codestream ends before its first tile data";
    return false;
}

std::once_flag traceOnce;

/// A pixel format for GDCM with the sample size of the codestream's precision (GDCM writes samples
/// of that size) and bits stored equal to bits allocated, so GDCM touches no bits afterwards.
gdcm::PixelFormat codecFormat(const Frame &f, int precision, bool jpeg) {
    unsigned short bits = precision <= 8 ? 8 : (jpeg && precision <= 12 ? 12 : 16);
    return gdcm::PixelFormat(f.spp, bits, bits, (unsigned short)(bits - 1), f.signedPixels);
}

/// The colour space of 3-component lossy JPEG output, decided as libjpeg decides the stream's
/// colour space (JFIF, then Adobe transform, then component ids); GDCM converts none of it.
const char *lossyJPEGPhotometric(const JPEGHeader &h, const Frame &f) {
    using PI = gdcm::PhotometricInterpretation;
    bool rgb;
    if (h.jfif) rgb = false;
    else if (h.adobe) rgb = h.adobeTransform == 0;
    else rgb = h.ids[0] == 'R' && h.ids[1] == 'G' && h.ids[2] == 'B';
    if (rgb) return "RGB";
    if (f.photometric == PI::YBR_PARTIAL_422 || f.photometric == PI::YBR_PARTIAL_420) return "YBR_PARTIAL_422";
    return "YBR_FULL";
}

/// The declared photometric with subsampled names replaced by full-resolution ones.
const char *storedPhotometric(const Frame &f) {
    using PI = gdcm::PhotometricInterpretation;
    switch (f.photometric) {
    case PI::YBR_FULL_422: return "YBR_FULL";
    case PI::YBR_PARTIAL_420: return "YBR_PARTIAL_422";
    case PI::YBR_ICT:
    case PI::YBR_RCT: return "RGB";
    default: return f.photometricName;
    }
}

/// A frame whose attributes and codestream header passed the checks: what to hand GDCM.
struct Prepared {
    Family family = Family::none;
    Frame frame{};
    const uint8_t *stream = nullptr;
    size_t streamLength = 0;
    int precision = 0;
    gdcm::PhotometricInterpretation::PIType codecPhotometric = gdcm::PhotometricInterpretation::UNKNOWN;
    std::string photometric;
};

/// Checks the attributes and the codestream header; GDCM is not involved.
cgdcm_status prepare(const cgdcm_frame_info *info, const uint8_t *data, size_t length, Prepared &prep,
                     Failure &fail) {
    using PI = gdcm::PhotometricInterpretation;
    const Family family = familyOf(info->transfer_syntax);
    if (family == Family::none) {
        fail = {CGDCM_UNSUPPORTED_SYNTAX, std::string("transfer syntax '") +
                                              (info->transfer_syntax ? info->transfer_syntax : "") +
                                              "' is not one GDCM decodes here"};
        return fail.status;
    }
    Frame f;
    if (!checkAttributes(info, f, fail)) return fail.status;
    if (data == nullptr || length == 0) {
        fail = {CGDCM_BAD_STREAM, "no compressed bytes"};
        return fail.status;
    }
    if (length > 0xFFFFFFF0u) {
        fail = {CGDCM_BAD_STREAM, "a compressed frame of 4 GiB or more"};
        return fail.status;
    }

    // Header checks and the codec's settings.
    size_t start = 0, streamLength = length;
    int precision = 0;
    PI::PIType codecPhotometric = f.photometric;
    std::string photometric;
    if (family == Family::jpeg2000) {
        if (!findCodestream(data, length, start, streamLength, fail)) return fail.status;
    }
    size_t trimmed = 0;
    if (!trimToEndMarker(data + start, streamLength, trimmed, fail)) return fail.status;
    streamLength = trimmed;
    const uint8_t *stream = data + start;

    if (family == Family::jpeg || family == Family::jpegLS) {
        JPEGHeader h;
        if (!readJPEGHeader(stream, streamLength, h, fail)) return fail.status;
        const bool ls = h.sof == 0xF7;
        if (family == Family::jpegLS && !ls) {
            fail = {CGDCM_BAD_STREAM, "a JPEG-LS transfer syntax but the frame header is not SOF55 (FFF7)"};
            return fail.status;
        }
        if (family == Family::jpeg && !(h.sof >= 0xC0 && h.sof <= 0xC3)) {
            fail = {CGDCM_BAD_STREAM, "JPEG process of frame marker FF" + hex2(h.sof) +
                                          " (only SOF0-SOF3, Huffman coded, are decoded)"};
            return fail.status;
        }
        if (!checkJPEGFrame(h, f, ls ? "the JPEG-LS" : "the JPEG", fail)) return fail.status;
        if (family == Family::jpeg && f.spp == 3 && h.adobe && !h.jfif && h.adobeTransform > 1) {
            fail = {CGDCM_BAD_STREAM, "Adobe colour transform " + std::to_string(h.adobeTransform) +
                                          " for 3 components (libjpeg warns, GDCM then aborts)"};
            return fail.status;
        }
        precision = h.precision;
        if (f.spp == 1) photometric = f.photometricName;
        else if (family == Family::jpeg && h.sof != 0xC3) photometric = lossyJPEGPhotometric(h, f);
        else photometric = storedPhotometric(f);
        if (family == Family::jpeg && f.photometric == PI::YBR_PARTIAL_420) codecPhotometric = PI::YBR_PARTIAL_422;
        if (family == Family::jpegLS && f.spp == 3) codecPhotometric = PI::RGB;
    } else {
        J2KHeader h;
        if (!readJ2KHeader(stream, streamLength, h, fail)) return fail.status;
        if (h.width != f.columns || h.height != f.rows) {
            fail = {CGDCM_BAD_STREAM, "the JPEG 2000 image is " + std::to_string(h.width) + " x " +
                                          std::to_string(h.height) + " (columns x rows), the data set says " +
                                          std::to_string(f.columns) + " x " + std::to_string(f.rows)};
            return fail.status;
        }
        if (h.components != f.spp) {
            fail = {CGDCM_BAD_STREAM, "the JPEG 2000 image has " + std::to_string(h.components) +
                                          " components, the data set says " + std::to_string(f.spp) +
                                          " samples per pixel"};
            return fail.status;
        }
        if (h.precision > 16 || (f.bitsAllocated == 8 && h.precision > 8)) {
            fail = {CGDCM_BAD_STREAM, "JPEG 2000 precision " + std::to_string(h.precision) +
                                          " bits does not fit bits allocated " + std::to_string(f.bitsAllocated)};
            return fail.status;
        }
        precision = h.precision;
        if (f.spp == 1) photometric = f.photometricName;
        else photometric = h.mct ? "RGB" : storedPhotometric(f);
        // GDCM's codec reads the photometric only to warn and to count samples.
        if (f.spp == 3) codecPhotometric = PI::RGB;
    }

    prep.family = family;
    prep.frame = f;
    prep.stream = stream;
    prep.streamLength = streamLength;
    prep.precision = precision;
    prep.codecPhotometric = codecPhotometric;
    prep.photometric = photometric;
    return CGDCM_OK;
}

cgdcm_status decode(const cgdcm_frame_info *info, const uint8_t *data, size_t length, uint8_t *out,
                    size_t outLength, std::string &photometric, Failure &fail) {
    std::call_once(traceOnce, [] {
        gdcm::Trace::DebugOff();
        gdcm::Trace::WarningOff();
        gdcm::Trace::ErrorOff();
    });
    Prepared prep;
    if (prepare(info, data, length, prep, fail) != CGDCM_OK) return fail.status;
    const Frame &f = prep.frame;
    if (outLength != f.length) {
        fail = {CGDCM_BAD_ATTRIBUTES, "the output buffer has " + std::to_string(outLength) + " bytes, the frame needs " +
                                          std::to_string(f.length)};
        return fail.status;
    }
    const Family family = prep.family;
    const uint8_t *stream = prep.stream;
    const size_t streamLength = prep.streamLength;
    const int precision = prep.precision;
    const gdcm::PhotometricInterpretation::PIType codecPhotometric = prep.codecPhotometric;
    photometric = prep.photometric;

    // The frame as one fragment: GDCM's JPEG codec decodes each fragment as its own stream.
    gdcm::SmartPointer<gdcm::SequenceOfFragments> fragments = new gdcm::SequenceOfFragments;
    gdcm::Fragment fragment;
    fragment.SetByteValue(reinterpret_cast<const char *>(stream), gdcm::VL(uint32_t(streamLength)));
    fragments->AddFragment(fragment);
    gdcm::DataElement in(gdcm::Tag(0x7fe0, 0x0010));
    in.SetValue(*fragments);
    gdcm::DataElement decoded;

    const unsigned int dims[3] = {f.columns, f.rows, 1};
    const gdcm::PixelFormat pf = codecFormat(f, precision, family == Family::jpeg);
    bool ok = false;
    if (family == Family::jpeg) {
        gdcm::JPEGCodec codec;
        codec.SetNumberOfDimensions(2);
        codec.SetDimensions(dims);
        codec.SetPlanarConfiguration(0);
        codec.SetPhotometricInterpretation(codecPhotometric);
        codec.SetPixelFormat(pf);
        codec.SetNeedOverlayCleanup(false);
        ok = codec.Decode(in, decoded);
    } else if (family == Family::jpegLS) {
        gdcm::JPEGLSCodec codec;
        codec.SetNumberOfDimensions(2);
        codec.SetDimensions(dims);
        codec.SetPlanarConfiguration(0);
        codec.SetPhotometricInterpretation(codecPhotometric);
        codec.SetPixelFormat(pf);
        codec.SetNeedOverlayCleanup(false);
        ok = codec.Decode(in, decoded);
    } else {
        gdcm::JPEG2000Codec codec;
        codec.SetNumberOfThreadsForDecompression(info->threads > 1 ? int(info->threads) : 0);
        codec.SetNumberOfDimensions(2);
        codec.SetDimensions(dims);
        codec.SetPlanarConfiguration(0);
        codec.SetPhotometricInterpretation(codecPhotometric);
        codec.SetPixelFormat(pf);
        codec.SetNeedOverlayCleanup(false);
        ok = codec.Decode(in, decoded);
    }
    const gdcm::ByteValue *bv = ok ? decoded.GetByteValue() : nullptr;
    if (!ok || bv == nullptr) {
        fail = {CGDCM_DECODE_FAILED, "GDCM could not decode the " +
                                         std::string(family == Family::jpeg ? "JPEG" : family == Family::jpegLS
                                                                                           ? "JPEG-LS"
                                                                                           : "JPEG 2000") +
                                         " stream (" + std::to_string(streamLength) + " bytes)"};
        return fail.status;
    }

    // GDCM's samples (of the codestream's size) into the caller's buffer.
    const size_t codecSample = precision <= 8 ? 1 : 2;
    const uint64_t samples = uint64_t(f.rows) * f.columns * f.spp;
    if (uint64_t(bv->GetLength()) < samples * codecSample) {
        fail = {CGDCM_DECODE_FAILED, "GDCM returned " + std::to_string(bv->GetLength()) + " bytes for a frame of " +
                                         std::to_string(samples * codecSample)};
        return fail.status;
    }
    const uint8_t *src = reinterpret_cast<const uint8_t *>(bv->GetPointer());
    if (codecSample == f.bitsAllocated / 8u) {
        std::memcpy(out, src, size_t(f.length));
    } else {
        for (uint64_t i = 0; i < samples; i++) {
            out[2 * i] = src[i];
            out[2 * i + 1] = 0;
        }
    }
    if (f.signedPixels && f.bitsStored < f.bitsAllocated) {
        const unsigned shift = f.bitsAllocated - f.bitsStored;
        if (f.bitsAllocated == 8) {
            for (uint64_t i = 0; i < samples; i++) out[i] = uint8_t(int8_t(uint8_t(out[i] << shift)) >> shift);
        } else {
            for (uint64_t i = 0; i < samples; i++) {
                uint16_t v = uint16_t(out[2 * i] | out[2 * i + 1] << 8);
                v = uint16_t(int16_t(uint16_t(v << shift)) >> shift);
                out[2 * i] = uint8_t(v);
                out[2 * i + 1] = uint8_t(v >> 8);
            }
        }
    }
    return CGDCM_OK;
}

}  // namespace

extern "C" int cgdcm_can_decode(const char *transfer_syntax) {
    return familyOf(transfer_syntax) != Family::none ? 1 : 0;
}

extern "C" const char *cgdcm_version(void) { return gdcm::Version::GetVersion(); }

extern "C" uint64_t cgdcm_frame_length(const cgdcm_frame_info *info) {
    if (info == nullptr) return 0;
    Frame f;
    Failure fail;
    try {
        return checkAttributes(info, f, fail) ? f.length : 0;
    } catch (...) {
        return 0;
    }
}

extern "C" cgdcm_status cgdcm_check_frame(const cgdcm_frame_info *info, const uint8_t *data, size_t length,
                                          char *error, size_t error_capacity) {
    copyString("", error, error_capacity);
    if (info == nullptr) {
        copyString("no frame attributes", error, error_capacity);
        return CGDCM_BAD_ATTRIBUTES;
    }
    try {
        Prepared prep;
        Failure fail{CGDCM_OK, ""};
        if (prepare(info, data, length, prep, fail) != CGDCM_OK) {
            copyString(fail.message, error, error_capacity);
            return fail.status;
        }
        return CGDCM_OK;
    } catch (...) {
        copyString("an exception while checking the frame", error, error_capacity);
        return CGDCM_INTERNAL;
    }
}

extern "C" cgdcm_status cgdcm_decode_frame(const cgdcm_frame_info *info, const uint8_t *data, size_t length,
                                           uint8_t *out, size_t out_length, char *photometric_out,
                                           size_t photometric_capacity, char *error, size_t error_capacity) {
    copyString("", error, error_capacity);
    copyString("", photometric_out, photometric_capacity);
    if (info == nullptr || (out == nullptr && out_length > 0)) {
        copyString("no frame attributes or no output buffer", error, error_capacity);
        return CGDCM_BAD_ATTRIBUTES;
    }
    std::string messages;
    struct SinkScope {
        explicit SinkScope(std::string *sink) { messageSink = sink; }
        ~SinkScope() { messageSink = nullptr; }
    };
    try {
        SinkScope scope(&messages);
        std::string photometric;
        Failure fail{CGDCM_OK, ""};
        const cgdcm_status status = decode(info, data, length, out, out_length, photometric, fail);
        if (status != CGDCM_OK) {
            if (!messages.empty()) fail.message += ": " + messages;
            copyString(fail.message, error, error_capacity);
            return status;
        }
        copyString(photometric, photometric_out, photometric_capacity);
        copyString(messages, error, error_capacity);  // warnings of a frame that decoded
        return CGDCM_OK;
    } catch (const std::bad_alloc &) {
        copyString("out of memory while decoding", error, error_capacity);
    } catch (const std::exception &e) {
        copyString(std::string("GDCM threw: ") + e.what(), error, error_capacity);
    } catch (...) {
        copyString("GDCM threw an exception", error, error_capacity);
    }
    return CGDCM_INTERNAL;
}
