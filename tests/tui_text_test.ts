// Terminal-cell text helpers of the TUI (tui/text.ts) and the OSC 52 encoder (tui/osc52.ts).
import assert from "node:assert/strict";
import {
  charWidth,
  clean,
  displayWidth,
  fit,
  truncate,
  truncateStart,
  wrap,
} from "../plugins/dispatch/tui/text.ts";
import { base64Utf8, osc52 } from "../plugins/dispatch/tui/osc52.ts";

Deno.test("displayWidth: wide CJK and emoji take two cells, combining marks none", () => {
  assert.equal(displayWidth("abc"), 3);
  assert.equal(displayWidth("你好"), 4);
  assert.equal(displayWidth("한국"), 4);
  assert.equal(displayWidth("🚀x"), 3);
  assert.equal(displayWidth("e\u0301"), 1); // e + combining acute
  assert.equal(charWidth("…".codePointAt(0)!), 1);
  assert.equal(charWidth("⠋".codePointAt(0)!), 1); // spinner frames are narrow
});

Deno.test("truncate/fit: cut with an ellipsis by cells, pad to width, never split a wide char", () => {
  assert.equal(truncate("hello world", 8), "hello w…");
  assert.equal(truncate("hello", 5), "hello");
  assert.equal(truncate("hello", 0), "");
  assert.equal(truncate("你好世界", 5), "你好…"); // 4 cells + … = 5
  assert.equal(displayWidth(truncate("你好世界", 4)), 3); // "你…": a wide char does not fit in 2
  assert.equal(fit("ab", 5), "ab   ");
  assert.equal(fit("ab", 5, "right"), "   ab");
  assert.equal(fit("abcdefgh", 5), "abcd…");
  assert.equal(displayWidth(fit("你好世界x", 6)), 6);
  assert.equal(truncateStart("/very/long/path/file.md", 12), "…ath/file.md");
  assert.equal(truncateStart("/a/b.md", 12), "/a/b.md");
});

Deno.test("clean: control characters (ESC above all) cannot reach the terminal; tabs become spaces", () => {
  assert.equal(clean("a\tb"), "a  b");
  assert.equal(clean("red \x1b[31mX"), "red \uFFFD[31mX");
  assert.equal(clean("bell\x07 del\x7f c1\x9b"), "bell\uFFFD del\uFFFD c1\uFFFD");
  assert.equal(clean("plain 中文"), "plain 中文");
});

Deno.test("wrap: breaks at a space near the end of the row, else mid-word; by cells", () => {
  assert.deepEqual(wrap("short", 10), ["short"]);
  assert.deepEqual(wrap("", 10), [""]);
  assert.deepEqual(wrap("the quick brown fox jumps", 10), ["the quick", "brown fox", "jumps"]);
  assert.deepEqual(wrap("abcdefghijklmno", 5), ["abcde", "fghij", "klmno"]);
  for (const row of wrap("你好世界你好世界你好", 7)) assert.ok(displayWidth(row) <= 7, row);
  assert.equal(wrap("你好世界你好世界你好", 7).join(""), "你好世界你好世界你好");
});

Deno.test("osc52: base64 of UTF-8; inside tmux also the DCS passthrough form", () => {
  assert.equal(base64Utf8("hi"), "aGk=");
  assert.equal(base64Utf8("é中"), btoa(String.fromCharCode(0xc3, 0xa9, 0xe4, 0xb8, 0xad)));
  assert.equal(osc52("hi"), "\x1b]52;c;aGk=\x07");
  const t = osc52("hi", { tmux: true });
  assert.ok(t.startsWith("\x1b]52;c;aGk=\x07"), "plain form first (tmux set-clipboard on)");
  assert.ok(t.endsWith("\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"), JSON.stringify(t));
});
