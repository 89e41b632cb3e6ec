// libpng decoding from memory with setjmp error recovery. See include/qb_codecs.h.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <png.h>
#include "qb_codecs.h"

struct qb_png_decoder {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t offset;
    png_bytep *rows;
    char message[QB_MSG_CAP];
};

static void qb_png_error(png_structp png, png_const_charp msg) {
    qb_png_decoder *dec = (qb_png_decoder *)png_get_error_ptr(png);
    if (dec) snprintf(dec->message, sizeof dec->message, "%s", msg ? msg : "libpng error");
    png_longjmp(png, 1); // to the setjmp of the qb_png_* function in progress: C frames only
}

static void qb_png_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void qb_png_read_data(png_structp png, png_bytep out, png_size_t length) {
    qb_png_decoder *dec = (qb_png_decoder *)png_get_io_ptr(png);
    if (length > dec->size - dec->offset) png_error(png, "truncated file (unexpected end of data)");
    memcpy(out, dec->data + dec->offset, length);
    dec->offset += length;
}

qb_png_decoder *qb_png_create(void) {
    qb_png_decoder *dec = (qb_png_decoder *)calloc(1, sizeof *dec);
    if (!dec) return NULL;
    dec->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, dec, qb_png_error, qb_png_warning);
    if (!dec->png) {
        free(dec);
        return NULL;
    }
    dec->info = png_create_info_struct(dec->png);
    if (!dec->info) {
        png_destroy_read_struct(&dec->png, NULL, NULL);
        free(dec);
        return NULL;
    }
    return dec;
}

void qb_png_destroy(qb_png_decoder *dec) {
    if (!dec) return;
    png_destroy_read_struct(&dec->png, &dec->info, NULL);
    free(dec->rows);
    free(dec);
}

int qb_png_read_header(qb_png_decoder *dec, const uint8_t *data, size_t size, qb_png_header *out) {
    if (setjmp(png_jmpbuf(dec->png))) return -1; // png_jmpbuf is a macro
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        snprintf(dec->message, sizeof dec->message, "not a PNG signature");
        return -1;
    }
    dec->data = data;
    dec->size = size;
    dec->offset = 0;
    png_set_read_fn(dec->png, dec, qb_png_read_data);
    // A CRC error in any chunk, critical or ancillary, is an error: never decode damaged data.
    png_set_crc_action(dec->png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_read_info(dec->png, dec->info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(dec->png, dec->info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    out->width = width;
    out->height = height;
    out->bit_depth = bit_depth;
    out->color_type = color_type;
    out->interlaced = interlace != PNG_INTERLACE_NONE;
    out->has_trns = png_get_valid(dec->png, dec->info, PNG_INFO_tRNS) ? 1 : 0;

    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(dec->png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(dec->png);
    if (bit_depth == 16) png_set_scale_16(dec->png);
    if (out->interlaced) png_set_interlace_handling(dec->png);
    png_read_update_info(dec->png, dec->info);
    out->out_channels = png_get_channels(dec->png, dec->info);
    out->out_rowbytes = png_get_rowbytes(dec->png, dec->info);
    return 0;
}

int qb_png_read(qb_png_decoder *dec, uint8_t *dst, size_t row_stride) {
    if (setjmp(png_jmpbuf(dec->png))) return -1;
    png_uint_32 height = png_get_image_height(dec->png, dec->info);
    free(dec->rows);
    dec->rows = (png_bytep *)malloc(sizeof(png_bytep) * (height ? height : 1));
    if (!dec->rows) {
        snprintf(dec->message, sizeof dec->message, "out of memory");
        return -1;
    }
    for (png_uint_32 y = 0; y < height; y++) dec->rows[y] = dst + (size_t)y * row_stride;
    png_read_image(dec->png, dec->rows);
    png_read_end(dec->png, NULL);
    return 0;
}

const char *qb_png_message(const qb_png_decoder *dec) {
    return dec->message;
}
