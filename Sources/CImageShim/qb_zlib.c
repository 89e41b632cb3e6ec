// gzip inflation for IDX files. See include/qb_codecs.h.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "qb_codecs.h"

int qb_gunzip(const uint8_t *src, size_t size, size_t max_out, uint8_t **out, size_t *out_size, char *msg) {
    *out = NULL;
    *out_size = 0;
    msg[0] = 0;
    size_t cap = size * 4 + 1024;
    if (cap > max_out) cap = max_out > 0 ? max_out : 1;
    uint8_t *buf = (uint8_t *)malloc(cap);
    if (!buf) {
        snprintf(msg, QB_MSG_CAP, "out of memory");
        return -3;
    }

    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        free(buf);
        snprintf(msg, QB_MSG_CAP, "zlib initialisation failed");
        return -3;
    }
    size_t used = 0, consumed = 0;
    int rc = -1;
    for (;;) {
        if (used == cap) {
            if (cap >= max_out) {
                snprintf(msg, QB_MSG_CAP, "inflated size exceeds the limit of %zu bytes", max_out);
                rc = -2;
                break;
            }
            size_t ncap = cap * 2 > max_out ? max_out : cap * 2;
            uint8_t *nb = (uint8_t *)realloc(buf, ncap);
            if (!nb) {
                snprintf(msg, QB_MSG_CAP, "out of memory");
                rc = -3;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t chunk_in = size - consumed;
        if (chunk_in > 0x40000000u) chunk_in = 0x40000000u;
        size_t chunk_out = cap - used;
        if (chunk_out > 0x40000000u) chunk_out = 0x40000000u;
        zs.next_in = (Bytef *)(src + consumed);
        zs.avail_in = (uInt)chunk_in;
        zs.next_out = buf + used;
        zs.avail_out = (uInt)chunk_out;
        int z = inflate(&zs, Z_NO_FLUSH);
        consumed += chunk_in - zs.avail_in;
        used += chunk_out - zs.avail_out;
        if (z == Z_STREAM_END) {
            if (consumed == size) {
                rc = 0;
                break;
            }
            // Another gzip member follows (concatenated .gz files are valid gzip).
            if (inflateReset(&zs) != Z_OK) {
                snprintf(msg, QB_MSG_CAP, "zlib reset failed");
                break;
            }
            continue;
        }
        if (z == Z_OK) continue;
        if (z == Z_BUF_ERROR) {
            if (consumed == size && zs.avail_out > 0) {
                snprintf(msg, QB_MSG_CAP, "truncated gzip stream");
                break;
            }
            continue;
        }
        snprintf(msg, QB_MSG_CAP, "corrupt gzip data: %s", zs.msg ? zs.msg : "inflate failed");
        break;
    }
    inflateEnd(&zs);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_size = used;
    return 0;
}
