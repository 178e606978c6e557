#!/usr/bin/python3
"""Trains SentencePiece models with the sentencepiece library and writes the ids it gives for a corpus of texts.

Usage: /usr/bin/python3 reference.py <outDir>   (run by ../../build.sh crosscheck-sentencepiece)
       /usr/bin/python3 reference.py --fixture <zip>   (writes the unit tests' fixture: two small models and the ids
       for the short texts; test/Microsoft.ML.Neo.Tests/Tokenization/Fixtures/sentencepiece-defaults.zip)

Each sub-folder of <outDir> gets a tokenizer.model and a reference.json of {"cases": [{"text", "ids"}]}, the layout
`neo tokenize --check` reads. A developer-side reference only (Debian's python3-sentencepiece): nothing in the
library or its tests runs Python.
"""
import io
import json
import os
import pathlib
import sys
import zipfile

import sentencepiece as spm

fixture = sys.argv[2] if sys.argv[1] == "--fixture" else None
out_dir = pathlib.Path(fixture + ".work" if fixture else sys.argv[1])
repo_root = pathlib.Path(__file__).resolve().parents[2]

# The project's own docs are the training text and most of the test texts.
docs = [repo_root / "README.md", *sorted((repo_root / "docs").glob("*.md"))]
paragraphs = [p for f in docs for p in f.read_text(encoding="utf-8").split("\n\n") if p.strip()]

# Texts that exercise normalization: NFKC compatibility forms (full-width, ligatures, circled and super/subscript
# digits, half-width katakana, roman numerals), whitespace runs, tabs, newlines, ideographic and no-break spaces,
# leading and trailing spaces, combining marks, characters outside the training text, emoji outside the BMP.
short_texts = [
    "Hello world",
    " leading space and  double  spaces",
    "   many     spaces    everywhere   ",
    "trailing spaces   ",
    "tabs\tand\nnewlines\r\n\n  indented\n\n\n",
    "ＡＢＣ１２３ full-width ｆｕｌｌ　ｗｉｄｔｈ",
    "ﬁnance ﬂow ﬀ ligatures",
    "①②③ ⅫⅣ x² H₂O ½ ™ ㍿ ㎏",
    "ｶﾀｶﾅ half-width katakana",
    "Cafe\u0301 vs Café, naïve façade, Ångström",
    "\u00a0non-breaking\u2003em-space\u3000ideographic\u200bzero-width",
    "数学题：小明有3个苹果，又买了5个。",
    "Emoji 😀👍🏽 and math 𝐀𝐁 and symbols ∑∫√",
    "Ελληνικά и русский текст",
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
    "She earned $1,234.56 (12.5%) in 2024; that's 3x more.",
    "def f(x):\n    return x**2  # square\n",
    "1234567890 123 4567 89",
    "a",
    " ",
    "",
]
texts = short_texts + paragraphs

# sentencepiece's defaults (unigram, nmt_nfkc, remove_extra_whitespaces, add_dummy_prefix) and the variations
# self-trained tokenizers commonly use.
models = {
    "unigram-default": {},
    "bpe-default": {"model_type": "bpe"},
    "bpe-byte-fallback": {"model_type": "bpe", "byte_fallback": True},
    "bpe-nfkc-cf": {"model_type": "bpe", "normalization_rule_name": "nfkc_cf"},
    "bpe-identity-collapse": {"model_type": "bpe", "normalization_rule_name": "identity", "remove_extra_whitespaces": True},
    "unigram-no-dummy-prefix": {"add_dummy_prefix": False},
    "unigram-byte-fallback": {"byte_fallback": True},
    "bpe-keep-whitespace": {"model_type": "bpe", "remove_extra_whitespaces": False},
}



def encode_like_transformers(processor, text):
    """sentencepiece's ids, except that special tokens written in the text (<unk>, <s>, </s>) become their ids, as
    transformers' Llama tokenizer does: the text is split at them and each run is encoded alone."""
    specials = sorted((processor.id_to_piece(i) for i in range(processor.get_piece_size())
                       if processor.is_control(i) or processor.is_unknown(i)), key=len, reverse=True)
    ids, run, at = [], 0, 0
    while at < len(text):
        special = next((s for s in specials if s and text.startswith(s, at)), None)
        if special is None:
            at += 1
            continue
        ids += processor.encode(text[run:at]) + [processor.piece_to_id(special)]
        at += len(special)
        run = at
    return ids + processor.encode(text[run:])


corpus = out_dir / "corpus.txt"
out_dir.mkdir(parents=True, exist_ok=True)
corpus.write_text("\n".join(p.replace("\n", " ") for p in paragraphs), encoding="utf-8")

if fixture:
    # Small models with sentencepiece's defaults, for the unit tests: no Python runs there.
    models = {"unigram": {}, "bpe": {"model_type": "bpe"}}
    texts = short_texts

for name, options in models.items():
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(input=str(corpus), model_writer=model, vocab_size=300 if fixture else 600, minloglevel=2, **options)
    directory = out_dir / name
    directory.mkdir(exist_ok=True)
    (directory / "tokenizer.model").write_bytes(model.getvalue())
    processor = spm.SentencePieceProcessor(model_proto=model.getvalue())
    cases = [{"text": text, "ids": encode_like_transformers(processor, text)} for text in texts]
    (directory / "reference.json").write_text(json.dumps({"tokenizer": f"sentencepiece {spm.__version__} {options}", "cases": cases}), encoding="utf-8")
    print(f"{name}: {len(cases)} texts, {sum(len(c['ids']) for c in cases)} tokens")

if fixture:
    with zipfile.ZipFile(fixture, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in models:
            archive.write(out_dir / name / "tokenizer.model", f"{name}/tokenizer.model")
            archive.write(out_dir / name / "reference.json", f"{name}/reference.json")
    for f in sorted(out_dir.rglob("*"), reverse=True):
        f.unlink() if f.is_file() else f.rmdir()
    out_dir.rmdir()
