// An event sink for handoff: every event is POSTed to `plugins.webhook.url` the way ntfy
// takes a message (https://docs.ntfy.sh/publish/): the message is the body; Title, Tags
// and Click go in headers. One self-contained module: no imports at all.
//
// handoff calls deliver() from its delivery process with events in id order. A throw
// means "not delivered": the same events come again later (with back-off), so each POST
// carries the event's id (X-Handoff-Event) for a receiver that de-duplicates.

const TAGS = {
  stop: "white_check_mark",
  notify: "bell",
  permission: "lock",
  "run-success": "white_check_mark",
  "run-error": "x",
  "run-lost": "warning",
  "run-denied": "lock",
};

/** Header values are one line of Latin-1 (fetch refuses anything else). */
function header(text) {
  return String(text).replace(/[\r\n]+/g, " ").replace(/[^\x20-\x7e\xa0-\xff]/g, "?").slice(0, 200);
}

export function activate(host) {
  const { url, token } = host.config;
  return {
    name: "webhook",
    sinks: [{
      name: "webhook",
      async deliver(events, signal) {
        for (const ev of events) {
          const headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "Title": header(ev.title ?? ev.type),
            "Tags": header(
              [TAGS[ev.type] ?? "speech_balloon", ev.type, ev.backend].filter(Boolean).join(","),
            ),
            "X-Handoff-Event": String(ev.id),
          };
          if (token) headers.Authorization = `Bearer ${token}`;
          const res = await fetch(url, { method: "POST", headers, body: ev.message, signal });
          await res.body?.cancel();
          if (!res.ok) throw new Error(`${url} answered HTTP ${res.status} for event ${ev.id}`);
        }
      },
    }],
  };
}
