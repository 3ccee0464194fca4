// The phone's side: `approve <request_id> [once|always]` and `deny <request_id> [message]`
// as gate verbs. The gate has already refused unknown, pending, revoked and expired
// devices and applied its rate limit; here: read-only first, then the id, then whether
// the device's patterns show the request, then the option. Every call is an audit line
// (the gate writes it with the result returned here).

import { isPrintable } from "../../core/output.ts";
import { kickDeliveryIfSinks } from "../../core/delivery_kick.ts";
import type { GateVerbCall, GateVerbReply } from "../../core/registry.ts";
import { transaction } from "../../core/store.ts";
import { deviceById } from "../gate/devices_db.ts";
import { decide } from "../gate/policy.ts";
import { REQUEST_ID, requestById, resolveRequest } from "./requests.ts";
import { answerRefusal } from "./rights.ts";
import { pickOption } from "./summary.ts";

/** The longest message a phone may send with `deny` (code points). */
export const MAX_DENY_MESSAGE = 200;

function refuse(code: string, result = code): GateVerbReply {
  return { reply: `error:${code}`, result: `denied:${result}` };
}

/** `approve <id> [once|always]` / `deny <id> [message]` → its parts, or the refusal. */
export function parseAnswer(
  verb: "approve" | "deny",
  args: string,
): { id: string; answer: "once" | "always" | "deny"; message: string | null } | GateVerbReply {
  const space = args.indexOf(" ");
  const id = space < 0 ? args : args.slice(0, space);
  const rest = space < 0 ? "" : args.slice(space + 1);
  if (!REQUEST_ID.test(id)) return refuse("not_found", id === "" ? "missing_args" : "not_found");
  if (verb === "approve") {
    if (rest !== "" && rest !== "once" && rest !== "always") {
      return refuse("denied", "invalid_args");
    }
    return { id, answer: rest === "always" ? "always" : "once", message: null };
  }
  const message = rest.trim();
  if (!isPrintable(message) || Array.from(message).length > MAX_DENY_MESSAGE) {
    return refuse("denied", "invalid_args");
  }
  return { id, answer: "deny", message: message === "" ? null : message };
}

/**
 * Answers one `approve` or `deny` call of a device the gate let through. Everything is
 * decided again inside the write transaction that records the answer, with the device as
 * it is then and the clock as it is then: a revocation, a change of rights or an expiry
 * that lands while the call runs wins over it.
 */
export function answerFromPhone(verb: "approve" | "deny", call: GateVerbCall): GateVerbReply {
  // Read-only before anything else: such a phone learns nothing about which ids exist.
  if (answerRefusal(call.device, null) === "read_only") return refuse("read_only");
  const parsed = parseAnswer(verb, call.args);
  if ("reply" in parsed) return parsed;
  const reply = transaction(call.db, (): GateVerbReply => {
    const now = new Date();
    const device = deviceById(call.db, call.device.id);
    const status = decide(device, { verb: "plugin", name: verb, args: call.args }, now);
    if (!status.allow) return { reply: status.reply, result: status.result };
    if (answerRefusal(device!, null) === "read_only") return refuse("read_only");
    const req = requestById(call.db, parsed.id);
    if (req === null || req.expiresMs <= now.getTime()) return refuse("not_found");
    // A request the device's patterns do not show does not exist for it.
    if (answerRefusal(device!, req) !== null) return refuse("not_found", "session_not_allowed");
    if (req.status !== "open") return refuse("already_decided");
    const option = pickOption(req.options, parsed.answer);
    if (!option) return refuse("denied", `${parsed.answer}_not_offered`);
    const r = resolveRequest(call.db, req.requestId, {
      status: parsed.answer === "deny" ? "denied" : "allowed",
      option,
      by: `phone:${device!.name}`,
      message: parsed.message,
    }, now);
    if (!r.ok) return refuse(r.why);
    return {
      reply: "ok",
      result: parsed.answer === "deny" ? "ok:denied" : `ok:allowed:${parsed.answer}`,
    };
  });
  if (reply.reply === "ok") kickDeliveryIfSinks(call.home, call.db);
  return reply;
}
