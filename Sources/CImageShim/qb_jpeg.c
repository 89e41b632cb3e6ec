// libjpeg(-turbo) decoding with setjmp error recovery. See include/qb_codecs.h.
#include <stdio.h> // jpeglib.h needs FILE and size_t declared first
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>
#include "qb_codecs.h"

struct qb_error_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
};

struct qb_jpeg_decoder {
    struct jpeg_decompress_struct cinfo;
    struct qb_error_mgr err;
    int created;
    int started;
    long warnings;
    char message[QB_MSG_CAP];
    char first_warning[QB_MSG_CAP];
};

static void qb_jpeg_error_exit(j_common_ptr cinfo) {
    struct qb_error_mgr *err = (struct qb_error_mgr *)cinfo->err;
    qb_jpeg_decoder *dec = (qb_jpeg_decoder *)cinfo->client_data;
    if (dec) {
        char buffer[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, buffer);
        snprintf(dec->message, sizeof dec->message, "%s", buffer);
    }
    longjmp(err->jump, 1); // back into the qb_jpeg_* function that set it: C frames only
}

static void qb_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level >= 0) return; // trace messages
    qb_jpeg_decoder *dec = (qb_jpeg_decoder *)cinfo->client_data;
    cinfo->err->num_warnings++;
    if (dec) {
        if (dec->warnings == 0) {
            char buffer[JMSG_LENGTH_MAX];
            (*cinfo->err->format_message)(cinfo, buffer);
            snprintf(dec->first_warning, sizeof dec->first_warning, "%s", buffer);
        }
        dec->warnings++;
    }
}

static void qb_jpeg_output_message(j_common_ptr cinfo) {
    (void)cinfo;
} // never print to stderr

qb_jpeg_decoder *qb_jpeg_create(void) {
    qb_jpeg_decoder *dec = (qb_jpeg_decoder *)calloc(1, sizeof *dec);
    if (!dec) return NULL;
    dec->cinfo.err = jpeg_std_error(&dec->err.pub);
    dec->err.pub.error_exit = qb_jpeg_error_exit;
    dec->err.pub.emit_message = qb_jpeg_emit_message;
    dec->err.pub.output_message = qb_jpeg_output_message;
    if (setjmp(dec->err.jump)) {
        free(dec);
        return NULL;
    }
    jpeg_create_decompress(&dec->cinfo); // a macro in jpeglib.h
    dec->cinfo.client_data = dec;
    dec->created = 1;
    return dec;
}

void qb_jpeg_destroy(qb_jpeg_decoder *dec) {
    if (!dec) return;
    if (dec->created) jpeg_destroy_decompress(&dec->cinfo);
    free(dec);
}

int qb_jpeg_read_header(qb_jpeg_decoder *dec, const uint8_t *data, size_t size, qb_jpeg_header *out) {
    if (setjmp(dec->err.jump)) return -1;
    if (size == 0) {
        snprintf(dec->message, sizeof dec->message, "empty input");
        return -1;
    }
    jpeg_mem_src(&dec->cinfo, data, (unsigned long)size);
    jpeg_save_markers(&dec->cinfo, JPEG_APP0 + 14, 0); // let libjpeg parse Adobe APP14 itself
    if (jpeg_read_header(&dec->cinfo, TRUE) != JPEG_HEADER_OK) {
        snprintf(dec->message, sizeof dec->message, "no image in the JPEG stream");
        return -1;
    }
    out->width = dec->cinfo.image_width;
    out->height = dec->cinfo.image_height;
    out->components = dec->cinfo.num_components;
    out->color_space = (int)dec->cinfo.jpeg_color_space;
    out->progressive = dec->cinfo.progressive_mode ? 1 : 0;
    out->saw_adobe_marker = dec->cinfo.saw_Adobe_marker ? 1 : 0;
    out->adobe_transform = dec->cinfo.Adobe_transform;
    out->data_precision = dec->cinfo.data_precision;
    return 0;
}

int qb_jpeg_start(qb_jpeg_decoder *dec, int scale_denom, uint32_t *out_width, uint32_t *out_height, int *out_channels) {
    if (setjmp(dec->err.jump)) return -1;
    struct jpeg_decompress_struct *c = &dec->cinfo;
    switch (c->jpeg_color_space) {
    case JCS_GRAYSCALE:
        c->out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        c->out_color_space = JCS_CMYK;
        break;
    default:
        c->out_color_space = JCS_RGB;
        break;
    }
    c->dct_method = JDCT_ISLOW;
    c->do_fancy_upsampling = TRUE;
    c->do_block_smoothing = TRUE;
    c->scale_num = 1;
    c->scale_denom = (unsigned int)(scale_denom > 0 ? scale_denom : 1);
    jpeg_start_decompress(c);
    dec->started = 1;
    *out_width = c->output_width;
    *out_height = c->output_height;
    *out_channels = c->output_components;
    return 0;
}

int qb_jpeg_read(qb_jpeg_decoder *dec, uint8_t *dst, size_t row_stride) {
    if (setjmp(dec->err.jump)) return -1;
    struct jpeg_decompress_struct *c = &dec->cinfo;
    while (c->output_scanline < c->output_height) {
        JSAMPROW rows[4];
        JDIMENSION n = 0;
        for (; n < 4 && c->output_scanline + n < c->output_height; n++)
            rows[n] = dst + (size_t)(c->output_scanline + n) * row_stride;
        JDIMENSION got = jpeg_read_scanlines(c, rows, n);
        if (got == 0) {
            snprintf(dec->message, sizeof dec->message, "decoder made no progress (suspended input)");
            return -1;
        }
    }
    jpeg_finish_decompress(c);
    dec->started = 0;
    return 0;
}

const char *qb_jpeg_message(const qb_jpeg_decoder *dec) {
    return dec->message;
}
long qb_jpeg_warning_count(const qb_jpeg_decoder *dec) {
    return dec->warnings;
}
const char *qb_jpeg_first_warning(const qb_jpeg_decoder *dec) {
    return dec->first_warning;
}

void qb_free(void *p) {
    free(p);
}
