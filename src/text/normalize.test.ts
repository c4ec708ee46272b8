// Normalisation: NFKC, lower-casing, invisible characters and whitespace, by example and by property.
import { describe, expect, it } from "vitest";
import { Random } from "../engine/random.js";
import { normalizeText } from "./normalize.js";

const lower = { lowercase: true };
const keep = { lowercase: false };

describe("normalizeText", () => {
  it("maps full-width letters to ASCII (NFKC) and lower-cases on request", () => {
    expect(normalizeText("ＡＢＣ", lower)).toBe("abc");
    expect(normalizeText("ＡＢＣ", keep)).toBe("ABC");
    expect(normalizeText("ﬁne ①", keep)).toBe("fine 1");
  });

  it("lower-cases without full case folding", () => {
    expect(normalizeText("STRAẞE Straße", lower)).toBe("straße straße");
    expect(normalizeText("İ", lower)).toBe("i\u0307");
  });

  it("composes combining accents", () => {
    expect(normalizeText("e\u0301t\u00e9", keep)).toBe("\u00e9t\u00e9");
  });

  it("collapses every Unicode whitespace run to one space and trims", () => {
    expect(normalizeText("\t a\u00a0\u00a0b\u3000c\r\nd\u2028e\u0085f\u2003g  ", keep)).toBe("a b c d e f g");
    expect(normalizeText(" \n\u3000 ", keep)).toBe("");
  });

  it("removes control and invisible characters but keeps ZWJ and ZWNJ", () => {
    expect(normalizeText("a\u0000b\u0007c\u007fd\u200be\u00adf\ufeffg\u2060h", keep)).toBe("abcdefgh");
    const family = "👨\u200d👩\u200d👧";
    expect(normalizeText(` ${family} `, keep)).toBe(family);
    expect(normalizeText("می\u200cخواهم", keep)).toBe("می\u200cخواهم");
  });

  it("replaces unpaired surrogates with U+FFFD", () => {
    expect(normalizeText("a\ud800b\udc00", keep)).toBe("a\ufffdb\ufffd");
  });

  it("is idempotent on random text from many scripts", () => {
    const random = new Random(7);
    const ranges: [number, number][] = [[0x0, 0x250], [0x300, 0x370], [0x370, 0x530], [0x1e00, 0x1f00], [0x2000, 0x2100], [0x3000, 0x3100], [0xff00, 0xfff0], [0x1f300, 0x1f700], [0xac00, 0xac80], [0x1d400, 0x1d500]];
    for (let trial = 0; trial < 300; trial++) {
      let s = "";
      for (let i = 0; i < 20; i++) {
        const [lo, hi] = ranges[random.int(ranges.length)];
        s += String.fromCodePoint(lo + random.int(hi - lo));
      }
      for (const o of [lower, keep]) {
        const once = normalizeText(s, o);
        expect(normalizeText(once, o), JSON.stringify(s)).toBe(once);
      }
    }
  });
});
