// Generates tests/BudgetChat.Tests/TestData/tiktoken-counts.json: reference
// token counts from js-tiktoken (a port of OpenAI's tiktoken) so the C# tests
// can check that Microsoft.ML.Tokenizers produces the same counts.
// Regenerate with: npm ci && node generate.mjs
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Tiktoken } from "js-tiktoken/lite";
// The rank tables ship inside the package, so nothing is downloaded at run time.
import o200k_base from "js-tiktoken/ranks/o200k_base";
import cl100k_base from "js-tiktoken/ranks/cl100k_base";

const here = dirname(fileURLToPath(import.meta.url));
const outFile = resolve(here, "../../tests/BudgetChat.Tests/TestData/tiktoken-counts.json");
const version = JSON.parse(
  readFileSync(resolve(here, "node_modules/js-tiktoken/package.json"), "utf8"),
).version;

// ~500 words of varied prose for the "long paragraph" case.
const longParagraph = [
  "The harbour town woke slowly that autumn morning, as it always did, with gulls arguing over the fish market and a thin fog lifting off the water like steam from a cup of tea.",
  "Marguerite, who had run the bakery on the corner for thirty-one years, unlocked the door at half past five and switched on the ovens before she even took off her coat.",
  "She liked the quiet hour before the first customers arrived; it was the only time the building seemed to belong entirely to her, humming and ticking as the metal warmed.",
  "Down the street, a young engineer named Tobias was already awake, hunched over a laptop in a rented room, trying to understand why his budget model kept overspending by exactly seventeen percent.",
  "He had checked the arithmetic twice, rewritten the tokenizer wrapper, and even printed the logs on paper, spreading them across the floor like a detective examining a crime scene.",
  "Nothing obvious jumped out. The numbers were close, but close was not good enough when every request cost money and the monthly invoice arrived with unpleasant regularity.",
  "At seven o'clock he gave up, closed the lid, and walked outside to clear his head. The fog had thinned, revealing the grey-blue line of the horizon and a trawler heading home.",
  "The smell of fresh bread drew him to the corner, where Marguerite was arranging croissants in neat rows behind the glass, each one glossy and slightly imperfect.",
  "\"You look like someone who has been fighting with a machine,\" she said, handing him a coffee he had not yet ordered. He laughed, surprised, and admitted that she was right.",
  "He tried to explain the problem: how words are chopped into pieces called tokens, how different systems chop them differently, and how a tiny mismatch compounds over thousands of calls.",
  "Marguerite listened patiently, nodding as she folded paper bags. Then she told him about her grandmother's recipe book, written in three languages and two alphabets, with measurements in cups, grams, and handfuls.",
  "\"Every time I translated a recipe,\" she said, \"the bread came out a little different. Not wrong, exactly. Just not the same. I had to bake it both ways and compare the loaves side by side.\"",
  "Tobias stared at her for a moment, then at the coffee, then back at her. Compare them side by side. Run the same text through both counters and record the results, case by case, until the difference revealed itself.",
  "He thanked her, paid for the coffee and two croissants, and hurried back up the hill, already sketching a plan in his head: a small fixture, a list of awkward sentences, emoji, numbers, code, and long rambling paragraphs exactly like this one.",
  "By noon the fog was gone entirely. The gulls had settled on the harbour wall, the trawler was unloading its catch, and somewhere in a rented room a test suite was finally, gloriously, turning green.",
  "Marguerite never learned what he built, but the following spring a postcard arrived at the bakery with a single line scrawled across the back: \"Seventeen percent solved. Thank you for the bread.\"",
  "She pinned it above the register, between a faded photograph of the harbour in winter and a child's drawing of a cat, and whenever customers asked about it she simply smiled and said it was a long story.",
  "Some mornings, while the ovens warmed and the street outside was still dark, she would glance up at it and wonder how many other small problems in the world were waiting for someone to compare two loaves of bread.",
].join(" ");

const csharp = `public static int CountTokens(string text)
{
    // Returns the number of tokens, or 0 for empty input.
    if (string.IsNullOrEmpty(text)) return 0;
    var tokenizer = TiktokenTokenizer.CreateForModel("gpt-4o");
    return tokenizer.CountTokens(text);
}`;

const python = `def fib(n: int) -> list[int]:
    """Return the first n Fibonacci numbers."""
    a, b = 0, 1
    out = []
    for _ in range(n):
        out.append(a)
        a, b = b, a + b
    return out

print(fib(10))  # [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
`;

const json = JSON.stringify(
  {
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "What's 2 + 2?" },
    ],
    max_tokens: 256,
    temperature: 0.7,
    stream: false,
  },
  null,
  2,
);

// The texts to count. Keep them varied: each exercises a different part of
// the pre-tokenizer regex or the byte-level BPE merges.
const texts = [
  "",
  "The quick brown fox jumps over the lazy dog.",
  "Hey, how's it going?",
  longParagraph,
  csharp,
  python,
  json,
  "1234567890 3.14159 2026-11-23",
  "   leading spaces\n\n\n\ttabs\t\tand\r\nCRLF   \n    \n trailing   ",
  "\n\n\n\n\n",
  "日本語のテキスト",
  "😀👍🏽",
  "Crème brûlée à la façon",
  "مرحبا بالعالم، كيف حالك اليوم؟",
  "See https://learn.microsoft.com/en-us/dotnet/api/system.string?view=net-8.0#methods and http://example.com/a/b?c=1&d=2",
  "a".repeat(200),
  "Wait... what?!? (Really) -- yes; [sure] {ok} <fine> \"quoted\" 'single' @#$%^&*_+=|\\/~`",
  "Before <|endoftext|> after",
  "<|endoftext|>",
  "Mixed: Hello 世界! Привет мир. Γειά σου κόσμε. 안녕하세요 🌍",
  "don't won't I'm you're they've we'll she'd IT'S",
  "    indented line with 4 spaces\n        and 8 spaces",
  "CamelCaseIdentifier snake_case_identifier kebab-case-identifier SCREAMING_CASE",
  "0.000001 1e-9 -42 +7 1,000,000 99.99% $19.99 €5,50",
  "🏳️‍🌈👨‍👩‍👧‍👦 family emoji ZWJ sequences",
];

const encodings = { o200k_base, cl100k_base };
const cases = [];
for (const [name, ranks] of Object.entries(encodings)) {
  const enc = new Tiktoken(ranks);
  for (const text of texts) {
    // allowedSpecial = [] and disallowedSpecial = []: special tokens such as
    // "<|endoftext|>" are neither recognised nor rejected, i.e. encoded as plain text.
    cases.push({ encoding: name, text, tokens: enc.encode(text, [], []).length });
  }
}

const fixture = {
  generator: `tools/tiktoken-fixture/generate.mjs (js-tiktoken ${version})`,
  specialTokens: "treated as text",
  cases,
};

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(fixture, null, 2) + "\n", "utf8");
console.log(`Wrote ${cases.length} cases to ${outFile}`);
