#!/usr/bin/env python3
"""Make QuantBench's WordPiece tokenizer expectations and the small text/CSV parser fixtures.

Produces, in Tests/Fixtures/text/:
  wordpiece_fine_foods_test.jsonl  for each of the 1,000 reviews of Datasets/fine-foods/test.csv (file order):
                                   {"row": i, "ids": [...], "full_length": n}: the ids of
                                   tokenizer(review, truncation=True, max_length=128)["input_ids"] and the length
                                   of the untruncated input_ids (both counting [CLS] and [SEP])
  wordpiece_cases.jsonl            ~40 tricky strings: {"name", "text", "ids" (no truncation), "tokens"}
  small.csv / small.jsonl          the first 10 records of fine-foods test.csv, verbatim / as {"text","label"}
  multiline.csv / multiline.jsonl  the same 10 records with every "<br />" turned into a real line break inside
                                   the quoted field (LF in even rows, CRLF in odd rows): the source has no
                                   embedded newlines, so this is the derived fixture for them
  unterminated_quote.csv, wrong_field_count.csv, stray_quote.csv, unknown_label.csv   bad CSVs
  bad_csv.json                     the bad line and reason of each bad CSV (also listed in README.md)
  README.md                        versions, definitions, the bad-file list

The reference tokenizer is the pure-Python WordPiece of Hugging Face transformers with
Datasets/vocab/minilm-vocab.txt and do_lower_case=True. transformers >= 5 renamed the slow class to
BertTokenizerLegacy (its `BertTokenizer` is now the Rust `tokenizers` backend); this script uses the slow class
under whichever name the installed transformers has, and cross-checks every output against the Rust-backed
tokenizer, recording any difference.

Needs: Python 3.11, transformers, tokenizers; Datasets/ made by scripts/prepare_datasets.py. Run:
    python3 scripts/make_tokenizer_expectations.py
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import tokenizers  # noqa: E402
import transformers  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, rel, sha256_file, write_bytes, write_json, write_text  # noqa: E402

VOCAB = REPO / "Datasets" / "vocab" / "minilm-vocab.txt"
TEST_CSV = REPO / "Datasets" / "fine-foods" / "test.csv"
OUT = REPO / "Tests" / "Fixtures" / "text"
MAX_LENGTH = 128
LABELS = ["great", "other"]


def load_tokenizers():
    """(slow pure-Python tokenizer, its class name, Rust-backed tokenizer, its class name)."""
    try:  # transformers >= 5
        from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy as Slow
    except ImportError:  # transformers 4.x: BertTokenizer is the slow one
        from transformers import BertTokenizer as Slow
    from transformers import PreTrainedTokenizer
    assert issubclass(Slow, PreTrainedTokenizer), "expected the pure-Python tokenizer class"
    try:
        from transformers import BertTokenizerFast as Fast
    except ImportError:
        from transformers import BertTokenizer as Fast
    slow = Slow(str(VOCAB), do_lower_case=True)
    fast = Fast(str(VOCAB), do_lower_case=True)
    assert slow.do_lower_case
    return slow, f"{Slow.__module__}.{Slow.__name__}", fast, f"{Fast.__module__}.{Fast.__name__}"


# (name, text)
CASES = [
    ("accents", "Café naïve"),
    ("accents_more", "Ångström über résumé coöperate"),
    ("combining_accent", "x\u0301 e\u0301te\u0301"),
    ("cjk", "日本語テキスト"),
    ("cjk_mixed", "I like 寿司 and ramen"),
    ("hangul", "한국어"),
    ("cyrillic", "Привет мир"),
    ("arabic", "مرحبا بالعالم"),
    ("punct_run", "!!!...???"),
    ("ellipsis_dashes", "Well... -- it's ok--ish"),
    ("html_br", "Great product<br />Would buy again.<br /><br />5 stars"),
    ("control_zero_width", "\u0000\u200b"),
    ("control_embedded", "a\u0000b\u200bc"),
    ("soft_hyphen", "soft\u00adhyphen"),
    ("bom", "\ufeffBOM at start"),
    ("emoji", "🍕"),
    ("emoji_in_text", "I love pizza 🍕🍕!"),
    ("emoji_zwj", "👩\u200d👩\u200d👧 family"),
    ("long_word_101", "a" * 101),
    ("long_word_100", "b" * 100),
    ("long_word_mixed", "supercalifragilisticexpialidocious" * 4),
    ("digits_units", "3.5oz"),
    ("price_percent", "$12.99 (50% off) 1,000,000"),
    ("apostrophe", "don't"),
    ("smart_quotes", "\u201cIt\u2019s great,\u201d she said \u2018twice\u2019"),
    ("mixed_case", "McDONALD's"),
    ("upper_lower", "UPPER lower MiXeD"),
    ("nbsp", "price\u00a0tag"),
    ("ideographic_space", "全角\u3000スペース"),
    ("tab_newline", "tab\tand\nnewline\r\nend"),
    ("whitespace_only", " \t\n\u00a0 "),
    ("empty", ""),
    ("german_sharp_s", "Straße"),
    ("turkish_dotted_i", "İstanbul"),
    ("ligature", "ﬁne ﬂour"),
    ("email_url", "e-mail test@example.com http://www.amazon.com/dp/B000"),
    ("wordpiece_classic", "unaffable"),
    ("numbers_words", "K-cups 12oz 2x4 B00563VNEI"),
]


def raw_records(path: Path, n: int) -> tuple[bytes, list[bytes], list[list[str]]]:
    """The header line and the first n CSV records of `path` as their exact bytes, plus the parsed fields.
    Uses csv.reader's line_num to find where each record ends, so multi-line records are kept whole."""
    data = path.read_bytes()
    lines = data.decode("utf-8").splitlines(keepends=True)
    reader = csv.reader(iter(lines), strict=True)
    header = next(reader)
    assert reader.line_num == 1
    out, parsed, start = [], [], 1
    for _ in range(n):
        fields = next(reader)
        end = reader.line_num
        out.append("".join(lines[start:end]).encode("utf-8"))
        parsed.append(fields)
        start = end
    assert header == ["product", "review", "score"]
    return lines[0].encode("utf-8"), out, parsed


def jsonl(objs, compact: bool = False) -> str:
    seps = (",", ":") if compact else (", ", ": ")
    return "".join(json.dumps(o, ensure_ascii=False, separators=seps) + "\n" for o in objs)


def main() -> None:
    slow, slow_name, fast, fast_name = load_tokenizers()
    if OUT.exists():
        shutil.rmtree(OUT)  # everything in it is made here
    OUT.mkdir(parents=True)

    # ---- fine-foods test reviews ----
    with open(TEST_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, strict=True))
    assert len(rows) == 1000
    records, mismatches, truncated = [], [], 0
    for i, r in enumerate(rows):
        text = r["review"]
        ids = slow(text, truncation=True, max_length=MAX_LENGTH)["input_ids"]
        full = slow(text)["input_ids"]
        assert full[:MAX_LENGTH - 1] == ids[:-1] or len(full) <= MAX_LENGTH
        truncated += len(full) > MAX_LENGTH
        if fast(text, truncation=True, max_length=MAX_LENGTH)["input_ids"] != ids or \
                fast(text)["input_ids"] != full:
            mismatches.append(i)
        records.append({"row": i, "ids": ids, "full_length": len(full)})
    write_text(OUT / "wordpiece_fine_foods_test.jsonl", jsonl(records, compact=True))
    lengths = sorted(r["full_length"] for r in records)

    # ---- tricky cases ----
    cases, case_mismatch = [], []
    for name, text in CASES:
        ids = slow(text)["input_ids"]
        entry = {"name": name, "text": text, "ids": ids, "tokens": slow.convert_ids_to_tokens(ids)}
        fids = fast(text)["input_ids"]
        if fids != ids:
            entry["fast_ids"] = fids
            case_mismatch.append(name)
        cases.append(entry)
    write_text(OUT / "wordpiece_cases.jsonl", jsonl(cases))

    # ---- small.csv / small.jsonl (verbatim first 10 records) ----
    header, recs, parsed = raw_records(TEST_CSV, 10)
    small = header + b"".join(recs)
    write_bytes(OUT / "small.csv", small)
    write_text(OUT / "small.jsonl", jsonl({"text": p[1], "label": p[2]} for p in parsed))
    with open(OUT / "small.csv", newline="", encoding="utf-8") as f:
        back = list(csv.reader(f, strict=True))
    assert back[1:] == parsed
    n_quoted = sum(r.startswith(b'"') or b',"' in r for r in recs)
    n_dq = sum(b'""' in r for r in recs)

    # ---- multiline.csv: <br /> -> real line breaks inside quoted fields ----
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(["product", "review", "score"])
    ml = []
    for i, (prod, review, score) in enumerate(parsed):
        review2 = review.replace("<br />", "\n" if i % 2 == 0 else "\r\n")
        w.writerow([prod, review2, score])
        ml.append({"text": review2, "label": score})
    write_bytes(OUT / "multiline.csv", buf.getvalue().encode("utf-8"))
    write_text(OUT / "multiline.jsonl", jsonl(ml))
    with open(OUT / "multiline.csv", newline="", encoding="utf-8") as f:
        back = list(csv.reader(f, strict=True))
    assert [{"text": r[1], "label": r[2]} for r in back[1:]] == ml
    n_ml = sum("\n" in m["text"] for m in ml)

    # ---- bad CSVs, all made from small.csv's first records ----
    hdr = header.decode()
    r = [x.decode() for x in recs]
    bad = []

    # unterminated_quote.csv: record 2 (line 3) opens a quoted review that never closes
    assert r[1].startswith('B000G7V394,"') and r[1].endswith('",great\n')
    unterminated = hdr + r[0] + r[1][: -len('",great\n')] + ",great\n" + r[3] + r[6]
    bad.append(("unterminated_quote.csv", unterminated, 3,
                "the review field opens with a double quote that is never closed: RFC 4180 parsing runs to the end "
                "of the file inside the quoted field (Python csv: 'unexpected end of data')"))

    # wrong_field_count.csv: line 4 has 4 fields
    assert not r[3].startswith('"') and r[3].count(",") == 2  # record 4 is unquoted with exactly 2 commas
    extra = r[3].rstrip("\n") + ",5\n"
    wrong = hdr + r[0] + r[1] + extra + r[6]
    bad.append(("wrong_field_count.csv", wrong, 4,
                "4 fields (an extra ',5' after the label) where the header declares 3"))

    # stray_quote.csv: line 2 has a double quote inside an unquoted field
    stray_line = 'B005GXFP60,These are the "best" tasting gummy fruits I have ever eaten.,great\n'
    stray = hdr + stray_line + r[3] + r[6]
    bad.append(("stray_quote.csv", stray, 2,
                'a double quote inside an unquoted field (`These are the "best" ...`): not allowed by RFC 4180 '
                "(quotes may only appear in quoted fields, doubled); lenient parsers keep it as a literal"))

    # unknown_label.csv: line 3 has the label "maybe"
    assert r[6].endswith(",other\n")
    unknown = hdr + r[0] + r[6][: -len("other\n")] + "maybe\n" + r[3]
    bad.append(("unknown_label.csv", unknown, 3,
                f"label `maybe` is not in the declared label set {LABELS}; the CSV itself is well-formed"))

    bad_json = []
    for name, text, line, why in bad:
        write_bytes(OUT / name, text.encode("utf-8"))
        # what Python's csv module says (strict mode)
        try:
            with open(OUT / name, newline="", encoding="utf-8") as f:
                got = list(csv.reader(f, strict=True))
            counts = sorted({len(x) for x in got})
            py = f"parses: {len(got)} rows, field counts {counts}, labels {sorted({x[-1] for x in got[1:]})}"
        except csv.Error as e:
            py = f"csv.Error: {e}"
        bad_json.append({"file": name, "bad_line": line, "why": why, "python_csv_strict": py})
    write_json(OUT / "bad_csv.json", bad_json)

    # ---- README ----
    bad_lines = "\n".join(f"- `{b['file']}`: **line {b['bad_line']}** is bad: {b['why']}. Python's `csv` "
                          f"(strict=True) gives: {b['python_csv_strict']}." for b in bad_json)
    files = sorted(p for p in OUT.iterdir() if p.name != "README.md")
    file_rows = "\n".join(f"| `{p.name}` | {p.stat().st_size:,} | `{sha256_file(p)}` |" for p in files)
    readme = f"""# Text fixtures

Made by `python3 scripts/make_tokenizer_expectations.py` from `Datasets/fine-foods/test.csv` and
`Datasets/vocab/minilm-vocab.txt`.

## WordPiece expectations

| | |
| --- | --- |
| transformers | {transformers.__version__} |
| tokenizers | {tokenizers.__version__} |
| reference tokenizer | `{slow_name}`: the slow, pure-Python BERT tokenizer. In transformers 5 the class named `BertTokenizer` is the Rust `tokenizers`-backed one (formerly `BertTokenizerFast`) and the pure-Python class was renamed `BertTokenizerLegacy`; the script uses the pure-Python one. |
| cross-check | `{fast_name}` (Rust backend) on every review and every case: {'identical' if not mismatches and not case_mismatch else f'differs on reviews {mismatches} and cases {case_mismatch} (cases carry `fast_ids`)'} |
| settings | `vocab_file=Datasets/vocab/minilm-vocab.txt`, `do_lower_case=True` (so `strip_accents` follows lower-casing: accents stripped after NFD), `tokenize_chinese_chars=True`, `max_input_chars_per_word=100` (a longer word becomes one `[UNK]`), `[CLS]`=101 and `[SEP]`=102 added |

- `wordpiece_fine_foods_test.jsonl`: {len(records):,} lines, one per review of `Datasets/fine-foods/test.csv` in file
  order (`row` 0 = the first record after the header). `ids` = `tokenizer(review, truncation=True,
  max_length={MAX_LENGTH})["input_ids"]` (at most {MAX_LENGTH} ids, `[CLS]` first and `[SEP]` last, truncation keeps the
  first {MAX_LENGTH - 2} word pieces); `full_length` = `len(tokenizer(review)["input_ids"])`, the untruncated count
  **including** `[CLS]` and `[SEP]`. {truncated} of the 1,000 reviews are longer than {MAX_LENGTH}
  (full_length min {lengths[0]}, median {lengths[len(lengths) // 2]}, max {lengths[-1]}).
- `wordpiece_cases.jsonl`: {len(cases)} tricky strings: `name`, `text`, `ids` (no truncation, with `[CLS]`/`[SEP]`),
  `tokens` (= `convert_ids_to_tokens(ids)`, aligned with `ids`). Accents, CJK, Hangul (NFD splits it into jamo),
  punctuation runs, HTML, control and zero-width characters (removed), emoji (`[UNK]`), words over 100 characters
  (`[UNK]`) and exactly 100 (split normally), digits, apostrophes, mixed case, NBSP / ideographic space / tab /
  CR LF (whitespace), German ß (kept: lower-casing does not fold it), Turkish İ (lower-cases to i + U+0307, whose
  accent is then stripped), ligatures (kept as is: no NFKC).

## CSV / JSONL fixtures

- `small.csv`: the header and the first 10 records of `Datasets/fine-foods/test.csv`, **byte-for-byte** (RFC 4180:
  {n_quoted} records have a quoted review (it contains commas or quotes), {n_dq} of them with doubled quotes `""`; LF
  line endings). The source has no review with an embedded line break.
- `small.jsonl`: the same 10 records as `{{"text": review, "label": score}}`, in order.
- `multiline.csv` / `multiline.jsonl`: derived from the same 10 records for the multi-line case the source lacks:
  every `<br />` replaced by a real line break inside the (quoted) review, LF in rows 0, 2, 4, ... and CR LF in rows
  1, 3, 5, ...; written with Python's `csv.writer` (QUOTE_MINIMAL, LF record terminator). {n_ml} of the 10 records
  span several lines. The JSONL holds the expected parsed values.
- Labels: the declared set is {LABELS}.

## Bad CSV files

Line numbers are 1-based physical lines (line 1 is the header). `bad_csv.json` has the same list.

{bad_lines}

## Files

| file | bytes | sha256 |
| --- | --- | --- |
{file_rows}
"""
    write_text(OUT / "README.md", readme)
    print(f"wrote {rel(OUT)}: {len(records)} review expectations ({truncated} truncated), {len(cases)} cases, "
          f"slow/fast mismatches: reviews {len(mismatches)}, cases {len(case_mismatch)}")
    for b in bad_json:
        print(f"  {b['file']}: line {b['bad_line']}: {b['python_csv_strict']}")


if __name__ == "__main__":
    main()
