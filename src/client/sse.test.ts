import { describe, expect, test } from "vitest";
import { collect } from "./pages.js";
import { parseSse } from "./sse.js";

/** A stream that delivers `chunks` one by one, as a network would. */
function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
}

describe("parseSse", () => {
  test("ids, event names, multi-line data, comments, default event name", async () => {
    const text = ": heartbeat\n\nid: 1\nevent: status\ndata: {\"a\":1}\n\ndata: x\ndata: y\n\nid: 7\nevent: epoch\ndata:no-space\n\n";
    expect(await collect(parseSse(streamOf([text])))).toEqual([
      { id: "1", event: "status", data: '{"a":1}' },
      { id: "1", event: "message", data: "x\ny" },
      { id: "7", event: "epoch", data: "no-space" },
    ]);
  });

  test("the same messages whatever the chunking: CRLF split across chunks, CR-only lines", async () => {
    const text = "id: 1\r\nevent: a\r\ndata: one\r\ndata: more\r\n\r\nid: 2\revent: b\rdata: two\r\r";
    const whole = await collect(parseSse(streamOf([text])));
    expect(whole).toEqual([
      { id: "1", event: "a", data: "one\nmore" },
      { id: "2", event: "b", data: "two" },
    ]);
    const bytes = [...text];
    expect(await collect(parseSse(streamOf(bytes)))).toEqual(whole);
    // Split right between the CR and the LF of every CRLF.
    expect(await collect(parseSse(streamOf(text.split(/(?<=\r)(?=\n)/))))).toEqual(whole);
  });

  test("a message cut off by the end of the stream is dropped", async () => {
    expect(await collect(parseSse(streamOf(["id: 1\ndata: complete\n\nid: 2\ndata: cut"])))).toEqual([{ id: "1", event: "message", data: "complete" }]);
  });

  test("multi-byte characters split across chunks", async () => {
    const bytes = new TextEncoder().encode("data: é€\n\n");
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const b of bytes) c.enqueue(Uint8Array.of(b));
        c.close();
      },
    });
    expect(await collect(parseSse(stream))).toEqual([{ id: undefined, event: "message", data: "é€" }]);
  });
});
