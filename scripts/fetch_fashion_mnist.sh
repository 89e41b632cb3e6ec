#!/usr/bin/env bash
# Fetch the full Fashion-MNIST data set (IDX gzip files) into Datasets/cache/fashion-mnist/ (git-ignored).
#
# Source: the Debian package dataset-fashion-mnist (Expat/MIT, Zalando SE), which installs
# /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz. The package is installed
# with apt-get if missing (needs root or sudo). Each copied file is checked by the md5 of its *decompressed*
# bytes (Debian recompressed the .gz files, so their own md5s differ from upstream's; the decompressed test
# files match the md5s torchvision pins).
#
# Usage: bash scripts/fetch_fashion_mnist.sh [DEST]     (DEST defaults to <repo>/Datasets/cache/fashion-mnist)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC=/usr/share/datasets/fashion-mnist
DEST="${1:-$REPO/Datasets/cache/fashion-mnist}"

declare -A RAW_MD5=(
  [train-images-idx3-ubyte.gz]=f4a8712d7a061bf5bd6d2ca38dc4d50a
  [train-labels-idx1-ubyte.gz]=9018921c3c673c538a1fc5bad174d6f9
  [t10k-images-idx3-ubyte.gz]=8181f5470baa50b63fa0f6fddb340f0a
  [t10k-labels-idx1-ubyte.gz]=15d484375f8d13e6eb1aabb0c3f46965
)
FILES=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)

missing=0
for f in "${FILES[@]}"; do [ -f "$SRC/$f" ] || missing=1; done
if [ "$missing" = 1 ]; then
  echo "dataset-fashion-mnist is not installed; installing it with apt-get" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" apt-get install -y --no-install-recommends dataset-fashion-mnist
fi
echo "dataset-fashion-mnist $(dpkg-query -W -f='${Version}' dataset-fashion-mnist 2>/dev/null || echo '?')" >&2

mkdir -p "$DEST"
for f in "${FILES[@]}"; do
  cp "$SRC/$f" "$DEST/$f.tmp"
  got="$(gzip -dc "$DEST/$f.tmp" | md5sum | cut -d' ' -f1)"
  if [ "$got" != "${RAW_MD5[$f]}" ]; then
    rm -f "$DEST/$f.tmp"
    echo "error: $f: md5 of the decompressed file is $got, expected ${RAW_MD5[$f]}" >&2
    exit 1
  fi
  mv "$DEST/$f.tmp" "$DEST/$f"
  echo "ok  $f  (decompressed md5 $got)" >&2
done
echo "Fashion-MNIST IDX files are in: $DEST"
