// A Server-Sent Events parser over a fetch body, as the HTML standard's "event stream interpretation"
// says: lines end with CRLF, LF or CR; `data` lines accumulate; a blank line dispatches; lines that
// start with ':' are comments (heartbeats); `id` sets the last event id.

export interface SseMessage {
  /** The last event id set so far (undefined if none was). */
  id: string | undefined;
  /** The `event` field, "message" when absent. */
  event: string;
  /** The `data` lines joined with "\n". */
  data: string;
}

/** The messages of an event stream, in order; stops (and releases the stream) when the consumer does. */
export async function* parseSse(stream: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  let event = "";
  let id: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // A CR at the end may be the first half of a CRLF: keep it until the next chunk says.
      const hold = !done && buffer.endsWith("\r") ? 1 : 0;
      const lines = buffer.slice(0, buffer.length - hold).split(/\r\n|\r|\n/);
      buffer = lines.pop()! + buffer.slice(buffer.length - hold);
      for (const line of lines) {
        if (line === "") {
          if (data.length > 0) yield { id, event: event || "message", data: data.join("\n") };
          data = [];
          event = "";
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let v = colon < 0 ? "" : line.slice(colon + 1);
        if (v.startsWith(" ")) v = v.slice(1);
        if (field === "data") data.push(v);
        else if (field === "event") event = v;
        else if (field === "id" && !v.includes("\0")) id = v;
      }
      // An event not ended by a blank line before the stream ends is discarded.
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
