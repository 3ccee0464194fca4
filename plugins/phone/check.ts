// One readiness check, as doctor, setup and the status screen show it.

export type CheckStatus = "ok" | "warn" | "fail" | "info";

export interface Check {
  id: string;
  label: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** How to fix it, when it is not ok. */
  fix?: string;
}
