// QuantBench C shim over libjpeg(-turbo), libpng and zlib.
//
// Why a shim: libjpeg and libpng report fatal errors by calling an error handler that must not
// return. The only safe way out is longjmp, and a longjmp must never cross Swift frames. Every
// entry point below sets its own setjmp target, so a longjmp only ever unwinds C frames inside
// that one function, which then returns an error code (and the message stays readable).
// It also turns macros (jpeg_create_decompress, png_jmpbuf) into plain functions.
#ifndef QB_CODECS_H
#define QB_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { QB_MSG_CAP = 200 };

// ---------------------------------------------------------------------------------------------
// JPEG
// ---------------------------------------------------------------------------------------------

typedef struct qb_jpeg_decoder qb_jpeg_decoder;

typedef struct qb_jpeg_header {
    uint32_t width;
    uint32_t height;
    int components;       // components in the file: 1, 3 or 4
    int color_space;      // 1 gray, 2 RGB, 3 YCbCr, 4 CMYK, 5 YCCK (libjpeg's J_COLOR_SPACE)
    int progressive;      // 1 if progressive (SOF2)
    int saw_adobe_marker; // 1 if an Adobe APP14 marker was seen
    int adobe_transform;  // its transform flag (0, 1 or 2)
    int data_precision;   // bits per sample (8 for every baseline/progressive file)
} qb_jpeg_header;

qb_jpeg_decoder *qb_jpeg_create(void);
void qb_jpeg_destroy(qb_jpeg_decoder *dec);

/// Reads the header from memory. Returns 0 on success, -1 on error (see qb_jpeg_message).
/// `data` must stay valid until the decoder is destroyed.
int qb_jpeg_read_header(qb_jpeg_decoder *dec, const uint8_t *data, size_t size, qb_jpeg_header *out);

/// Starts decompression with DCT-domain scaling 1/scale_denom (1, 2, 4 or 8), ISLOW DCT and fancy
/// upsampling. Output is gray (1 channel) for grayscale files, RGB (3) for YCbCr/RGB files and
/// CMYK (4, as stored: Adobe files store it inverted) for CMYK/YCCK files.
int qb_jpeg_start(qb_jpeg_decoder *dec, int scale_denom, uint32_t *out_width, uint32_t *out_height, int *out_channels);

/// Decodes every scanline into dst (rows of row_stride bytes) and finishes the decompression.
int qb_jpeg_read(qb_jpeg_decoder *dec, uint8_t *dst, size_t row_stride);

/// The last error message (or the first warning), NUL-terminated; empty if none.
const char *qb_jpeg_message(const qb_jpeg_decoder *dec);
/// The number of corrupt-data warnings libjpeg emitted (premature end of data, bad markers, ...).
long qb_jpeg_warning_count(const qb_jpeg_decoder *dec);
/// The first warning's text, or an empty string.
const char *qb_jpeg_first_warning(const qb_jpeg_decoder *dec);

// ---------------------------------------------------------------------------------------------
// PNG
// ---------------------------------------------------------------------------------------------

typedef struct qb_png_decoder qb_png_decoder;

typedef struct qb_png_header {
    uint32_t width;
    uint32_t height;
    int bit_depth;       // 1, 2, 4, 8 or 16
    int color_type;      // PNG color type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
    int interlaced;      // 1 for Adam7
    int has_trns;        // 1 if a tRNS chunk is present
    int out_channels;    // channels of the decoded rows: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    size_t out_rowbytes; // bytes per decoded row (8 bits per sample)
} qb_png_header;

qb_png_decoder *qb_png_create(void);
void qb_png_destroy(qb_png_decoder *dec);

/// Reads the signature and the header chunks and sets up the transforms: palette to RGB (with
/// tRNS as alpha), 1/2/4-bit gray to 8 bits, 16 bits to 8 by png_set_scale_16 (round(v / 257)),
/// interlace handling. Returns 0 on success, -1 on error.
int qb_png_read_header(qb_png_decoder *dec, const uint8_t *data, size_t size, qb_png_header *out);

/// Decodes the whole image into dst (height rows of row_stride >= out_rowbytes bytes), then reads
/// the chunks after the image data through IEND, checking every CRC.
int qb_png_read(qb_png_decoder *dec, uint8_t *dst, size_t row_stride);

const char *qb_png_message(const qb_png_decoder *dec);

// ---------------------------------------------------------------------------------------------
// zlib
// ---------------------------------------------------------------------------------------------

/// Inflates a gzip stream (one or more members) into a malloc'ed buffer of at most max_out bytes.
/// Returns 0 on success (caller frees *out with qb_free), -1 on corrupt data, -2 when the output
/// would exceed max_out, -3 when out of memory. `msg` (QB_MSG_CAP bytes) receives the reason.
int qb_gunzip(const uint8_t *src, size_t size, size_t max_out, uint8_t **out, size_t *out_size, char *msg);

void qb_free(void *p);

#ifdef __cplusplus
}
#endif

#endif
