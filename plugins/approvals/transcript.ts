// Claude Code's transcript (JSON lines) says when its own permission dialog was answered at
// the desk: a `tool_result` for the tool call the request is about appears. The request's
// hook is not told otherwise (Claude Code lets it run on). Pure, apart from TranscriptTail.

type Json = Record<string, unknown>;

function isMap(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function blocks(line: string): Json[] {
  try {
    const j = JSON.parse(line);
    const content = isMap(j?.message) ? j.message.content : undefined;
    return Array.isArray(content) ? content.filter(isMap) : [];
  } catch {
    return [];
  }
}

/** Same JSON value (key order aside). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => sameJson(a[k], b[k]));
  }
  return false;
}

/** The id of the last tool call with this name and input that has no result yet. */
export function pendingToolUseId(text: string, tool: string, input: unknown): string | null {
  const answered = new Set<string>();
  let found: string | null = null;
  for (const line of text.split("\n")) {
    for (const b of blocks(line)) {
      if (b.type === "tool_result" && typeof b.tool_use_id === "string") {
        answered.add(b.tool_use_id);
      }
      if (
        b.type === "tool_use" && b.name === tool && typeof b.id === "string" &&
        sameJson(b.input, input)
      ) found = b.id;
    }
  }
  return found !== null && !answered.has(found) ? found : null;
}

/** The result of tool call `id` in these lines: was it refused (or failed)? null: none yet. */
export function toolResult(text: string, id: string): { isError: boolean } | null {
  for (const line of text.split("\n")) {
    for (const b of blocks(line)) {
      if (b.type === "tool_result" && b.tool_use_id === id) return { isError: b.is_error === true };
    }
  }
  return null;
}

/** Reads what is appended to a file, whole lines only. */
export class TranscriptTail {
  private offset = 0;
  private rest = "";

  constructor(private readonly path: string) {}

  /** The file's last `maxBytes` (whole lines), and from then on only what is new. */
  start(maxBytes = 1 << 20): string {
    try {
      const size = Deno.statSync(this.path).size;
      this.offset = Math.max(0, size - maxBytes);
      const text = this.read();
      // A start inside a line: drop the fragment.
      return this.offset > 0 && size > maxBytes ? text.slice(text.indexOf("\n") + 1) : text;
    } catch {
      return "";
    }
  }

  /** Whole lines appended since the last call ("" when none or unreadable). */
  read(): string {
    let file: Deno.FsFile | undefined;
    try {
      file = Deno.openSync(this.path, { read: true });
      const size = file.statSync().size;
      if (size <= this.offset) return "";
      file.seekSync(this.offset, Deno.SeekMode.Start);
      const buf = new Uint8Array(size - this.offset);
      let got = 0;
      while (got < buf.length) {
        const n = file.readSync(buf.subarray(got));
        if (n === null || n === 0) break;
        got += n;
      }
      this.offset += got;
      const text = this.rest + new TextDecoder().decode(buf.subarray(0, got));
      const cut = text.lastIndexOf("\n");
      this.rest = text.slice(cut + 1);
      return cut < 0 ? "" : text.slice(0, cut + 1);
    } catch {
      return "";
    } finally {
      file?.close();
    }
  }
}
