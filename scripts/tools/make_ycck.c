/*
 * make_ycck.c: write a YCCK JPEG (Adobe APP14 marker, transform 2) from raw 4-channel bytes, using libjpeg.
 *
 * Pillow cannot write YCCK, so scripts/make_image_fixtures.py compiles this with
 *     gcc -O2 -o make_ycck make_ycck.c -ljpeg
 * and calls it as
 *     make_ycck IN.raw WIDTH HEIGHT QUALITY OUT.jpg
 * IN.raw holds WIDTH*HEIGHT*4 bytes, row-major, 4 samples per pixel, given to libjpeg as JCS_CMYK input and
 * stored as JCS_YCCK. Like Adobe Photoshop, the caller passes the *inverted* ink values (255-C, 255-M, 255-Y,
 * 255-K): decoders that follow the Adobe convention (Pillow's "CMYK;I", libjpeg-based viewers) then show the
 * intended C, M, Y, K. libjpeg's default sampling for YCCK is used: Y and K 2x2, Cb and Cr 1x1 (4:2:0-like).
 */
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s IN.raw WIDTH HEIGHT QUALITY OUT.jpg\n", argv[0]);
        return 2;
    }
    int width = atoi(argv[2]), height = atoi(argv[3]), quality = atoi(argv[4]);
    if (width <= 0 || height <= 0 || quality < 1 || quality > 100) {
        fprintf(stderr, "bad size or quality\n");
        return 2;
    }
    size_t n = (size_t)width * (size_t)height * 4;
    unsigned char *pixels = malloc(n);
    FILE *in = fopen(argv[1], "rb");
    if (!pixels || !in || fread(pixels, 1, n, in) != n) {
        fprintf(stderr, "cannot read %zu bytes from %s\n", n, argv[1]);
        return 1;
    }
    fclose(in);
    FILE *out = fopen(argv[5], "wb");
    if (!out) {
        fprintf(stderr, "cannot open %s\n", argv[5]);
        return 1;
    }

    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr); /* errors exit the process: fine for a build tool */
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, out);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 4;
    cinfo.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_set_colorspace(&cinfo, JCS_YCCK);
    cinfo.write_Adobe_marker = TRUE; /* APP14 "Adobe", transform = 2 (YCCK) */
    cinfo.write_JFIF_header = FALSE;
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = pixels + (size_t)cinfo.next_scanline * (size_t)width * 4;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    fclose(out);
    free(pixels);
    return 0;
}
