// Long texts in pieces for the segmenters: ICU's segmentation of one string slows down sharply past
// ~50,000 characters (0.17 s at 50k, 11 s at 100k, measured), so texts are cut at a space near every
// CHUNK characters. Grapheme and word boundaries always fall at a space, so the segments are the same
// (a stretch without spaces, as in long Chinese text, is cut every CHUNK characters, which can split
// one word in two).

const CHUNK = 8192;

/** `text` in consecutive pieces of about CHUNK characters, each (but the last) ending just after a space. */
export function* chunks(text: string): Generator<string> {
  let start = 0;
  while (text.length - start > CHUNK) {
    const space = text.lastIndexOf(" ", start + CHUNK);
    const end = space > start ? space + 1 : start + CHUNK;
    yield text.slice(start, end);
    start = end;
  }
  if (start < text.length) yield text.slice(start);
}
