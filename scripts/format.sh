#!/usr/bin/env bash
# Formats the sources with the committed .swift-format and .clang-format (line length 120), or with --check fails
# when any file is not formatted or a line is longer than 120 characters (CI). The generated ONNX protobuf code is
# left as protoc writes it. clang-format comes from PyPI (`pip install clang-format==23.1.5`) where the system
# lacks it.
set -euo pipefail
cd "$(dirname "$0")/.."
swift_files=()
while IFS= read -r f; do swift_files+=("$f"); done < <(find Package.swift Sources Tests -name '*.swift' \
    -not -path 'Sources/ONNXProto/*' | sort)
c_files=()
while IFS= read -r f; do c_files+=("$f"); done < <(find Sources/CKernels Sources/CImageShim Sources/CJPEG \
    Sources/CPNG Sources/CZlib \( -name '*.c' -o -name '*.h' \) | sort)
clang_format=$(command -v clang-format || true)
if [ "${1:-}" = "--check" ]; then
    swift format lint --strict --parallel "${swift_files[@]}"
    if [ -n "$clang_format" ]; then
        "$clang_format" --dry-run --Werror "${c_files[@]}"
    else
        echo "warning: clang-format not found; the C sources' format was not checked" >&2
    fi
    long=$(awk 'length > 120 { print FILENAME ":" FNR ": " length " characters" }' "${swift_files[@]}" "${c_files[@]}")
    if [ -n "$long" ]; then
        echo "lines over 120 characters:"
        echo "$long"
        exit 1
    fi
else
    swift format format --in-place --parallel "${swift_files[@]}"
    if [ -n "$clang_format" ]; then "$clang_format" -i "${c_files[@]}"; else echo "clang-format not found" >&2; fi
fi
