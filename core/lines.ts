/** Reading a child's output line by line (backends, plugins, ACP agents). */

/** A line longer than the caller allows: the stream is not what it should be. */
export class LineTooLong extends Error {}

/**
 * Splits a byte stream into lines (without "\n" or a trailing "\r"); a half-written last
 * line is yielded at the end. With `maxChars`, a line growing past it throws LineTooLong.
 */
export async function* lines(
  stream: ReadableStream<Uint8Array>,
  o: { maxChars?: number } = {},
): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i).replace(/\r$/, "");
      buf = buf.slice(i + 1);
    }
    if (o.maxChars !== undefined && buf.length > o.maxChars) throw new LineTooLong();
  }
  if (buf) yield buf.replace(/\r$/, "");
}
