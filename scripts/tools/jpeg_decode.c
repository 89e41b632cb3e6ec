/*
 * jpeg_decode.c: decode a JPEG with the *system* libjpeg(-turbo) and report what happened, as one JSON line.
 *
 * Used by scripts/make_image_fixtures.py to cross-check Pillow's expected pixels (Pillow bundles its own
 * libjpeg-turbo) against the library QuantBench links, and to record how the bad fixtures fail.
 *     gcc -O2 -o jpeg_decode jpeg_decode.c -ljpeg
 *     jpeg_decode IN.jpg OUT.raw [SCALE_DENOM]
 * Settings match Pillow's plain decode: scale 1/SCALE_DENOM (default 1), JDCT_ISLOW, fancy upsampling on.
 * Output: gray files as 1 byte/pixel, 3-component files as RGB, 4-component (CMYK/YCCK) files as the 4 raw
 * CMYK samples libjpeg returns (Adobe files store them inverted; the caller applies the conversion).
 * Warnings (corrupt data, premature end) are counted, not fatal; fatal errors print ok=false. Images with more
 * output pixels than $QB_MAX_PIXELS (default 100e6) are refused after the header (stage "limit").
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

#define STR2(x) #x
#define STR(x) STR2(x)
#ifndef LIBJPEG_TURBO_VERSION
#define LIBJPEG_TURBO_VERSION unknown
#endif

struct err_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    long warnings;
    char first_warning[JMSG_LENGTH_MAX];
};

static void on_error(j_common_ptr cinfo) {
    struct err_mgr *e = (struct err_mgr *)cinfo->err;
    longjmp(e->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level) {
    struct err_mgr *e = (struct err_mgr *)cinfo->err;
    if (level < 0) { /* a warning */
        if (e->warnings == 0) cinfo->err->format_message(cinfo, e->first_warning);
        e->warnings++;
        cinfo->err->num_warnings++;
    }
}

static void json_str(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s IN.jpg OUT.raw [SCALE_DENOM]\n", argv[0]);
        return 2;
    }
    int denom = argc > 3 ? atoi(argv[3]) : 1;
    FILE *in = fopen(argv[1], "rb");
    if (!in) { fprintf(stderr, "cannot open %s\n", argv[1]); return 2; }
    struct jpeg_decompress_struct cinfo;
    struct err_mgr err;
    memset(&err, 0, sizeof err);
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = on_error;
    err.pub.emit_message = on_message;
    unsigned char *volatile pixels = NULL;
    volatile int stage = 0;
    if (setjmp(err.jump)) {
        char msg[JMSG_LENGTH_MAX];
        cinfo.err->format_message((j_common_ptr)&cinfo, msg);
        printf("{\"ok\": false, \"stage\": \"%s\", \"error\": ", stage == 0 ? "header" : "decode");
        json_str(msg);
        printf(", \"msg_code\": %d, \"warnings\": %ld, \"libjpeg_turbo\": \"%s\"}\n", err.pub.msg_code,
               err.warnings, STR(LIBJPEG_TURBO_VERSION));
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, in);
    jpeg_read_header(&cinfo, TRUE);
    int header_w = (int)cinfo.image_width, header_h = (int)cinfo.image_height;
    const char *space = "other";
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: space = "gray"; cinfo.out_color_space = JCS_GRAYSCALE; break;
    case JCS_YCbCr: space = "ycbcr"; cinfo.out_color_space = JCS_RGB; break;
    case JCS_RGB: space = "rgb"; cinfo.out_color_space = JCS_RGB; break;
    case JCS_CMYK: space = "cmyk"; cinfo.out_color_space = JCS_CMYK; break;
    case JCS_YCCK: space = "ycck"; cinfo.out_color_space = JCS_CMYK; break;
    default: break;
    }
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned int)denom;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    stage = 1;
    jpeg_start_decompress(&cinfo);
    const char *limit_env = getenv("QB_MAX_PIXELS");
    double limit = limit_env ? atof(limit_env) : 100e6;
    if ((double)cinfo.output_width * (double)cinfo.output_height > limit) {
        /* refuse, like a decoder with a pixel budget; report the header instead of allocating */
        printf("{\"ok\": false, \"stage\": \"limit\", \"error\": \"too many pixels (over QB_MAX_PIXELS)\", "
               "\"header_width\": %d, \"header_height\": %d, \"warnings\": %ld, \"libjpeg_turbo\": \"%s\"}\n",
               header_w, header_h, err.warnings, STR(LIBJPEG_TURBO_VERSION));
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    pixels = malloc(stride * cinfo.output_height);
    if (!pixels) { fprintf(stderr, "out of memory\n"); return 1; }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    FILE *out = fopen(argv[2], "wb");
    if (!out || fwrite(pixels, 1, stride * cinfo.output_height, out) != stride * cinfo.output_height) {
        fprintf(stderr, "cannot write %s\n", argv[2]);
        return 1;
    }
    fclose(out);
    printf("{\"ok\": true, \"header_width\": %d, \"header_height\": %d, \"width\": %u, \"height\": %u, "
           "\"components\": %d, \"jpeg_color_space\": \"%s\", \"adobe\": %s, \"progressive\": %s, "
           "\"warnings\": %ld, \"first_warning\": ",
           header_w, header_h, cinfo.output_width, cinfo.output_height, cinfo.output_components, space,
           cinfo.saw_Adobe_marker ? "true" : "false", cinfo.progressive_mode ? "true" : "false", err.warnings);
    json_str(err.first_warning);
    printf(", \"libjpeg_turbo\": \"%s\"}\n", STR(LIBJPEG_TURBO_VERSION));
    jpeg_destroy_decompress(&cinfo);
    fclose(in);
    free(pixels);
    return 0;
}
