/**
 * Starts the delivery process (`handoff deliver`) after an event was stored, when some
 * event sink is registered. Detached in a session of its own with no stdio, so the writer
 * (an agent's hook, a run) neither waits for it nor takes it down on exit. At most one
 * delivery process works at a time (core/delivery.ts): while one is alive it will see the
 * new event, so none is started (a spawn costs the writer milliseconds).
 */
import { hasInstalledSinks, lockOrWarn } from "./plugin/installed.ts";
import { isSameProcess } from "./proc.ts";
import { spawnSelfDetached } from "./self.ts";
import { type Db, getSetting } from "./store.ts";

/** The settings key of the delivery process's lease: `{pid, start}`. */
export const DELIVERY_LEASE = "delivery.owner";

/** True while a delivery process holds the lease. */
export function deliveryRunning(db: Db): boolean {
  const held = getSetting(db, DELIVERY_LEASE);
  if (!held) return false;
  try {
    const { pid, start } = JSON.parse(held);
    return isSameProcess(pid, start);
  } catch {
    return false;
  }
}

/** `db`: the writer's open database, to skip the spawn while a delivery process runs. */
export function kickDelivery(home: string, db?: Db): void {
  try {
    if (db && deliveryRunning(db)) return;
  } catch { /* unreadable: start one, it sorts itself out */ }
  try {
    spawnSelfDetached(home, ["deliver"]);
  } catch { /* the event is stored: the next writer starts a delivery */ }
}

/**
 * For writers that do not load the plugin list (hooks, the gate): starts a delivery when
 * an enabled installed plugin has an event sink (first-party plugins have none).
 */
export function kickDeliveryIfSinks(home: string, db?: Db): void {
  if (hasInstalledSinks(lockOrWarn(home))) kickDelivery(home, db);
}
