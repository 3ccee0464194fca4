/**
 * The example webhook sink (examples/plugins/webhook), installed with `handoff plugin add`
 * and fed by the ordinary commands: a `notify`, a real claude run that ends. Its webhook
 * is a local HTTP server that can be taken down: events stored meanwhile arrive once it
 * is back, and `plugin status` says what is failing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pidsWith, processesWith, waitFor, withWorld, type World } from "./helpers/handoff.ts";
import { REPO_ROOT } from "./helpers/agents.ts";

interface Post {
  title: string | null;
  tags: string | null;
  id: number;
  body: string;
}

/** A webhook on 127.0.0.1 that records POSTs, and answers 503 while `down`. */
function startWebhook() {
  const posts: Post[] = [];
  const state = { down: false, delayMs: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.text();
    if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
    if (state.down) return new Response("down", { status: 503 });
    posts.push({
      title: req.headers.get("title"),
      tags: req.headers.get("tags"),
      id: Number(req.headers.get("x-handoff-event")),
      body,
    });
    return new Response("ok");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/topic`,
    posts,
    state,
    close: () => server.shutdown(),
  };
}

const WEBHOOK = join(REPO_ROOT, "examples", "plugins", "webhook");

async function withSink(
  fn: (w: World, hook: ReturnType<typeof startWebhook>) => Promise<void>,
  lingerMs = 300,
) {
  const hook = startWebhook();
  try {
    await withWorld(async (w) => {
      // Quick back-off and a short life for the delivery process: a test must not leave one behind.
      Object.assign(w.env, {
        HANDOFF_DELIVERY_BACKOFF_MS: "200",
        HANDOFF_DELIVERY_LIFETIME_MS: "8000",
        HANDOFF_DELIVERY_LINGER_MS: String(lingerMs),
      });
      await Deno.writeTextFile(
        w.configFile,
        `${await Deno.readTextFile(w.configFile)}plugins:\n  webhook:\n    url: ${hook.url}\n`,
      );
      const add = await w.handoff(["plugin", "add", WEBHOOK, "--yes"]);
      assert.equal(add.code, 0, add.stderr);
      assert.match(add.stderr, /provides: sink webhook/);
      assert.match(add.stderr, /loads .*webhook\.js into handoff's own process/);
      try {
        await fn(w, hook);
      } finally {
        // Whatever happened, no delivery process outlives the test.
        await waitFor(() => processesWith(w.home, "deliver") === 0, 30_000).catch(() => {});
      }
    });
  } finally {
    await hook.close();
  }
}

Deno.test("webhook sink: notify events and a finished run arrive, in order, with their ids", async () => {
  await withSink(async (w, hook) => {
    const n = await w.handoff(["notify", "--title", "Claude is waiting", "-m", "pick a colour"]);
    assert.equal(n.code, 0, n.stderr);
    await waitFor(() => hook.posts.length >= 1, 20_000);
    assert.equal(hook.posts[0].title, "Claude is waiting");
    assert.equal(hook.posts[0].body, "pick a colour");
    assert.match(hook.posts[0].tags ?? "", /custom/);

    const r = await w.handoff(["run", "-"], { stdin: "say hello" });
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => hook.posts.some((p) => p.title?.includes("run finished")), 30_000);
    const ids = hook.posts.map((p) => p.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "in id order");
    const ended = hook.posts.find((p) => p.title?.includes("run finished"))!;
    assert.match(ended.tags ?? "", /run-success,fake/);

    // `handoff env` shows its settings as written, a secret's value redacted.
    await Deno.writeTextFile(
      w.configFile,
      `${await Deno.readTextFile(w.configFile)}    token: a-literal-secret\n`,
    );
    const env = JSON.parse((await w.handoff(["env", "--json"])).stdout);
    const webhook = env.plugins.find((p: { name: string }) => p.name === "webhook");
    assert.deepEqual(webhook.settings, { url: hook.url, token: "<redacted>" });
    assert.equal(webhook.config_error, null);
    assert.equal(webhook.origin, "installed");

    const st = await w.handoff(["plugin", "status", "--json"]);
    assert.equal(st.code, 0, st.stderr);
    const row = JSON.parse(st.stdout.trim().split("\n")[0]);
    assert.equal(row.sink, "webhook/webhook");
    assert.equal(row.pending, 0);
    assert.ok(row.delivered >= 2);
  });
});

Deno.test("webhook sink: while it is down events wait, status says why; they arrive when it is back", async () => {
  await withSink(async (w, hook) => {
    hook.state.down = true;
    for (const m of ["one", "two", "three"]) {
      const r = await w.handoff(["notify", "-m", m]);
      assert.equal(r.code, 0, r.stderr);
    }
    // The delivery process keeps trying; status names the failure, and info shows the
    // same record.
    await waitFor(async () => {
      const st = await w.handoff(["plugin", "status"]);
      return st.code === 1 && /FAILING .*HTTP 503/.test(st.stdout);
    }, 20_000);
    const failing = JSON.parse((await w.handoff(["plugin", "info", "webhook", "--json"])).stdout)
      .sinks[0];
    assert.equal(failing.sink, "webhook/webhook");
    assert.match(failing.last_error, /HTTP 503/);
    assert.ok(failing.attempts > 0);
    assert.ok(failing.pending > 0);
    assert.ok(!Number.isNaN(Date.parse(failing.next_attempt_at)), failing.next_attempt_at);
    assert.equal("cursor" in failing, false);
    assert.match(
      (await w.handoff(["plugin", "info", "webhook"])).stdout,
      /^ {2}sink webhook\/webhook: FAILING \(\d+ attempt\(s\), next \d{4}-.*HTTP 503/m,
    );
    assert.equal(hook.posts.length, 0);
    hook.state.down = false;
    await waitFor(() => hook.posts.length >= 3, 20_000);
    // At least once, in order: each message arrived, none lost.
    assert.deepEqual([...new Set(hook.posts.map((p) => p.body))], ["one", "two", "three"]);
    const st = await w.handoff(["plugin", "status", "--json"]);
    const row = JSON.parse(st.stdout.trim());
    assert.equal(row.pending, 0);
    assert.equal(row.attempts, 0);
    assert.equal(st.code, 0);
  });
});

Deno.test("webhook sink: a missing setting is an error naming the key; notify still records", async () => {
  await withSink(async (w, hook) => {
    await Deno.writeTextFile(
      w.configFile,
      (await Deno.readTextFile(w.configFile)).replace(
        /plugins:[\s\S]*$/,
        "plugins:\n  webhook: {}\n",
      ),
    );
    const n = await w.handoff(["notify", "-m", "still recorded"]);
    assert.equal(n.code, 0, n.stderr);
    await waitFor(async () => {
      const st = await w.handoff(["plugin", "status"]);
      return /FAILING .*needs "url"/.test(st.stdout);
    }, 20_000);
    const ev = await w.handoff(["events", "--json"]);
    assert.match(ev.stdout, /still recorded/);
    // `handoff env` names the plugin's problem too, with where it is.
    const env = await w.handoff(["env"]);
    assert.equal(env.code, 0, env.stderr);
    assert.match(env.stdout, /^plugins=.*\bwebhook\b/m);
    assert.match(
      env.stdout,
      /^plugin\.webhook\.config_error=.*config\.yaml:\d+:\d+: plugin webhook needs "url"/m,
    );
    assert.equal(hook.posts.length, 0);
  });
});

Deno.test("webhook sink: a burst of events is delivered by one lingering process, which then ends", async () => {
  await withSink(async (w, hook) => {
    const first = await w.handoff(["notify", "-m", "first"]);
    assert.equal(first.code, 0, first.stderr);
    await waitFor(() => hook.posts.length >= 1, 20_000);
    const pids = pidsWith(w.home, "deliver");
    assert.equal(pids.length, 1, "the delivery process waits for more");
    const second = await w.handoff(["notify", "-m", "second"]);
    assert.equal(second.code, 0, second.stderr);
    await waitFor(() => hook.posts.length >= 2, 20_000);
    assert.deepEqual(hook.posts.map((p) => p.body), ["first", "second"]);
    assert.deepEqual(pidsWith(w.home, "deliver"), pids, "the same process delivered the second");
    // Then it leaves by itself.
    await waitFor(() => pidsWith(w.home, "deliver").length === 0, 20_000);
  }, 4000);
});

Deno.test("webhook sink: a lingering delivery process does not outlive a change of plugins", async () => {
  await withSink(async (w, hook) => {
    w.env.HANDOFF_DELIVERY_LIFETIME_MS = "60000"; // only the change may end it early
    const first = await w.handoff(["notify", "-m", "first"]);
    assert.equal(first.code, 0, first.stderr);
    await waitFor(() => hook.posts.length >= 1, 20_000);
    const [pid] = pidsWith(w.home, "deliver");
    assert.ok(pid, "a delivery process lingers");
    const off = await w.handoff(["plugin", "disable", "webhook"]);
    assert.equal(off.code, 0, off.stderr);
    const second = await w.handoff(["notify", "-m", "second"]);
    assert.equal(second.code, 0, second.stderr);
    // It notices and leaves (the one it starts finds no sink and ends too).
    await waitFor(() => !pidsWith(w.home, "deliver").includes(pid), 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(hook.posts.map((p) => p.body), ["first"], "a disabled sink gets nothing");
  }, 20_000);
});

Deno.test("webhook sink: disabled in the middle of a batch, it stops at once", async () => {
  await withSink(async (w, hook) => {
    w.env.HANDOFF_DELIVERY_LIFETIME_MS = "60000";
    // The first POST is slow, so the next eight events wait and go as one batch, each of
    // whose POSTs takes 0.8 s.
    hook.state.delayMs = 3000;
    const first = await w.handoff(["notify", "-m", "slow"]);
    assert.equal(first.code, 0, first.stderr);
    for (let i = 1; i <= 8; i++) {
      assert.equal((await w.handoff(["notify", "-m", `e${i}`])).code, 0);
    }
    hook.state.delayMs = 800;
    await waitFor(() => hook.posts.length >= 2, 20_000);
    const off = await w.handoff(["plugin", "disable", "webhook"]);
    assert.equal(off.code, 0, off.stderr);
    const atDisable = hook.posts.length;
    await new Promise((r) => setTimeout(r, 4000));
    // At most the POST already under way when the change was seen arrives after it.
    assert.ok(hook.posts.length <= atDisable + 1, `${hook.posts.length - atDisable} after disable`);
    assert.equal(pidsWith(w.home, "deliver").length, 0, "nothing left delivering");
  }, 20_000);
});
