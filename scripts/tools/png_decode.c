/*
 * png_decode.c: decode a PNG to 8-bit RGB with the *system* libpng and report what happened, as one JSON line.
 *
 * Used by scripts/make_image_fixtures.py to cross-check Pillow's expected pixels against the library QuantBench
 * links, and to record how the bad fixtures fail.
 *     gcc -O2 -o png_decode png_decode.c -lpng16
 *     png_decode IN.png OUT.raw [scale16|strip16] [crc-default|crc-quit]
 * Transforms: palette -> RGB (tRNS ignored), gray 1/2/4 -> 8 (scaled), 16 -> 8 (png_set_scale_16, rounding,
 * or png_set_strip_16, the high byte), alpha dropped, gray -> RGB, interlace handled: the same RGB that
 * Pillow's Image.convert("RGB") gives for 8-bit files. crc-quit makes any CRC error fatal (both critical and
 * ancillary chunks; QuantBench's shim does this); crc-default keeps libpng's defaults (critical: error,
 * ancillary: warn and discard the chunk). Images with more pixels than $QB_MAX_PIXELS (default 100e6) are
 * refused after the header (stage "limit").
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>

static long warnings = 0;
static char first_warning[256];
static char error_msg[256];

static void on_error(png_structp png, png_const_charp msg) {
    snprintf(error_msg, sizeof error_msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    if (warnings == 0) snprintf(first_warning, sizeof first_warning, "%s", msg);
    warnings++;
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
        fprintf(stderr, "usage: %s IN.png OUT.raw [scale16|strip16] [crc-default|crc-quit]\n", argv[0]);
        return 2;
    }
    int strip = argc > 3 && strcmp(argv[3], "strip16") == 0;
    int crc_quit = argc > 4 && strcmp(argv[4], "crc-quit") == 0;
    FILE *in = fopen(argv[1], "rb");
    if (!in) { fprintf(stderr, "cannot open %s\n", argv[1]); return 2; }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
    png_infop info = png_create_info_struct(png);
    png_bytep volatile pixels = NULL;
    png_bytepp volatile rows = NULL;
    volatile int stage = 0;
    if (setjmp(png_jmpbuf(png))) {
        printf("{\"ok\": false, \"stage\": \"%s\", \"error\": ", stage == 0 ? "header" : "decode");
        json_str(error_msg);
        printf(", \"warnings\": %ld, \"libpng\": \"%s\"}\n", warnings, png_get_libpng_ver(png));
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        return 1;
    }
    png_init_io(png, in);
    if (crc_quit) png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_set_user_limits(png, 1000000, 1000000); /* libpng's own default is 1,000,000 x 1,000,000 */
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), ctype = png_get_color_type(png, info);
    int interlace = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    const char *limit_env = getenv("QB_MAX_PIXELS");
    double limit = limit_env ? atof(limit_env) : 100e6;
    if ((double)w * (double)h > limit) {
        printf("{\"ok\": false, \"stage\": \"limit\", \"error\": \"too many pixels (over QB_MAX_PIXELS)\", "
               "\"width\": %u, \"height\": %u, \"warnings\": %ld, \"libpng\": \"%s\"}\n",
               (unsigned)w, (unsigned)h, warnings, png_get_libpng_ver(png));
        png_destroy_read_struct(&png, &info, NULL);
        return 1;
    }
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) {
        if (strip) png_set_strip_16(png);
        else png_set_scale_16(png);
    }
    /* drop alpha, including the alpha that palette expansion makes from tRNS */
    if ((ctype & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
    if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    if (interlace) png_set_interlace_handling(png);
    png_read_update_info(png, info);
    stage = 1;
    size_t stride = png_get_rowbytes(png, info);
    if (stride != (size_t)w * 3) { snprintf(error_msg, sizeof error_msg, "unexpected row size"); png_longjmp(png, 1); }
    pixels = malloc(stride * h);
    rows = malloc(sizeof(png_bytep) * h);
    for (png_uint_32 y = 0; y < h; y++) rows[y] = pixels + stride * y;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    FILE *out = fopen(argv[2], "wb");
    if (!out || fwrite(pixels, 1, stride * h, out) != stride * h) { fprintf(stderr, "cannot write\n"); return 1; }
    fclose(out);
    printf("{\"ok\": true, \"width\": %u, \"height\": %u, \"bit_depth\": %d, \"color_type\": %d, "
           "\"interlaced\": %s, \"warnings\": %ld, \"first_warning\": ",
           (unsigned)w, (unsigned)h, depth, ctype, interlace ? "true" : "false", warnings);
    json_str(first_warning);
    printf(", \"libpng\": \"%s\"}\n", png_get_libpng_ver(png));
    png_destroy_read_struct(&png, &info, NULL);
    free(pixels);
    free(rows);
    fclose(in);
    return 0;
}
