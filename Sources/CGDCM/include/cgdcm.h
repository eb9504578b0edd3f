// CGDCM: decodes one compressed DICOM frame (JPEG, JPEG-LS, JPEG 2000) from memory with GDCM's
// codecs. A plain C interface; the C++ implementation is in cgdcm.cpp.
#ifndef CGDCM_H
#define CGDCM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The image attributes of the frame, as the data set declares them.
typedef struct cgdcm_frame_info {
    const char *transfer_syntax;       ///< Transfer Syntax UID (NUL-terminated, no padding)
    const char *photometric;           ///< Photometric Interpretation (0028,0004), e.g. "MONOCHROME2"
    uint32_t rows;                     ///< (0028,0010)
    uint32_t columns;                  ///< (0028,0011)
    uint16_t samples_per_pixel;        ///< (0028,0002): 1 or 3
    uint16_t bits_allocated;           ///< (0028,0100): 8 or 16
    uint16_t bits_stored;              ///< (0028,0101): 1 ... bits_allocated
    uint16_t pixel_representation;     ///< (0028,0103): 0 unsigned, 1 two's complement
    uint16_t planar_configuration;     ///< (0028,0006): 0 or 1 (checked, not used: see below)
    uint16_t threads;                  ///< threads JPEG 2000 may use for this frame (0 or 1: the caller's only)
} cgdcm_frame_info;

typedef enum cgdcm_status {
    CGDCM_OK = 0,
    CGDCM_UNSUPPORTED_SYNTAX = 1,  ///< not a transfer syntax this library decodes
    CGDCM_BAD_ATTRIBUTES = 2,      ///< the attributes are out of range or inconsistent, or the output size is wrong
    CGDCM_BAD_STREAM = 3,          ///< the codestream's header is malformed, truncated or disagrees with the attributes
    CGDCM_DECODE_FAILED = 4,       ///< the codec failed on the stream
    CGDCM_INTERNAL = 5             ///< an exception or allocation failure inside GDCM
} cgdcm_status;

/// Whether `transfer_syntax` is one this library decodes (1) or not (0): JPEG baseline .4.50,
/// extended .4.51, lossless .4.57 and .4.70, JPEG-LS .4.80 and .4.81, JPEG 2000 .4.90 and .4.91
/// (each 1.2.840.10008.1.2.4.x).
int cgdcm_can_decode(const char *transfer_syntax);

/// GDCM's version, e.g. "3.0.21" (of the library loaded, not of the headers built against).
const char *cgdcm_version(void);

/// The size in bytes of one decoded frame: rows * columns * samples * bits_allocated / 8, or 0 when
/// the attributes are out of range (the product is computed in 64 bits).
uint64_t cgdcm_frame_length(const cgdcm_frame_info *info);

/// Checks the attributes and the codestream's header (size, components, precision, markers, end
/// marker) without decoding: lets a caller refuse a frame before allocating its output. Returns the
/// status `cgdcm_decode_frame` would fail with before decoding, or CGDCM_OK.
cgdcm_status cgdcm_check_frame(const cgdcm_frame_info *info, const uint8_t *data, size_t length,
                               char *error, size_t error_capacity);

/// Decodes the compressed bytes of ONE frame (the frame's fragments concatenated, basic offset
/// table excluded) into `out`, which must be exactly `cgdcm_frame_length(info)` bytes.
///
/// The output: samples of bits_allocated / 8 bytes, little endian, row by row; colour pixels are
/// always interleaved (R G B R G B ...; planar configuration 0), whatever the data set's planar
/// configuration says (PS3.5 8.2: the codestream decides), and chroma is always at full
/// resolution. Values have bits_stored significant bits: with pixel_representation 1 and
/// bits_stored < bits_allocated they are sign-extended from bit bits_stored - 1 (as pydicom
/// returns them); unsigned values are left as the codec returns them. A codestream of precision
/// <= 8 in a 16-bit frame is widened.
///
/// `photometric_out` receives (NUL-terminated, if `photometric_capacity` > 0) the colour space of
/// what was written, which is not always the declared one:
///  - JPEG lossy (.50, .51) with 3 components stored as YCbCr (YBR_FULL_422, or a JFIF stream, or
///    RGB declared but the stream says YCbCr): GDCM turns libjpeg's colour conversion off, so the
///    output is the YCbCr samples, upsampled: "YBR_FULL" ("YBR_PARTIAL_422" for partial range).
///    pydicom's pixel_array converts these to RGB (PS3.3 C.7.6.3.1.2); the caller must do the same
///    to agree with it. A stream marked RGB (Adobe transform 0, or component ids 'R','G','B')
///    comes back "RGB".
///  - JPEG 2000 (.90, .91) with the multiple component transform (MCT) on (YBR_RCT / YBR_ICT):
///    OpenJPEG inverts the transform, the output is "RGB", as pydicom's is. Without MCT the
///    components come back as stored: the declared photometric ("RGB" for a YBR_RCT/ICT label).
///  - JPEG lossless and JPEG-LS: the samples as stored, under the declared photometric
///    (YBR_FULL_422 reported as "YBR_FULL", since chroma is upsampled).
///  - 1 sample per pixel: the declared photometric.
///
/// Before GDCM sees a byte, the codestream header is checked against the attributes (size,
/// components, precision, known markers in bounds, an end marker at the end): several of GDCM's
/// codec paths assert (abort) or overrun buffers when they disagree. A stream that does not end
/// with an end-of-image marker (after any zero padding) is reported as truncated.
/// Nothing is printed: GDCM's trace output is switched off, and libjpeg's and OpenJPEG's messages
/// (which GDCM would let them print to stderr) are collected into `error` instead: this file
/// defines gdcmjpeg{8,12,16}_jpeg_std_error and opj_set_error_handler, which the dynamic linker
/// binds GDCM's calls to; they call the originals and put collecting callbacks in place.
/// /usr/bin/pvrg-jpeg is never run (only the IJG, CharLS and OpenJPEG codecs are used).
///
/// On failure returns the status and a NUL-terminated message in `error` (if `error_capacity` > 0);
/// `out` may then hold partial data. On success `error` holds the codec's warnings, if any (e.g.
/// libjpeg's "Corrupt JPEG data: premature end of data segment": the frame decoded but may be
/// damaged), else "". Never throws; safe to call from many threads at once.
cgdcm_status cgdcm_decode_frame(const cgdcm_frame_info *info,
                                const uint8_t *data, size_t length,
                                uint8_t *out, size_t out_length,
                                char *photometric_out, size_t photometric_capacity,
                                char *error, size_t error_capacity);

#ifdef __cplusplus
}
#endif

#endif
