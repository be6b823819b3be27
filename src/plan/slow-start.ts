/**
 * Slow start: a new member is added at a tenth of its weight and earns the rest across a window counted
 * from its `create_time`, as the gateway reports it. Nothing is remembered between runs: the weight a
 * member should have is a function of (create_time, now, weight, window) alone, so every run, and every
 * one of several concurrent invocations, computes the same weight.
 *
 * The ramp is the straight line from (0, start) to (window, weight), taken in STEPS steps: while the
 * member's age is in the k-th fifth of the window (k = 0…4) its weight is the line's value at the start
 * of that fifth, rounded down; from the end of the window on it is `weight`. Rounding down at the start
 * of each fifth keeps every step on or under the line, and a member rises at most STEPS times after its
 * add however often runs come, since a run within a step finds the step's weight already there.
 *
 *   step k (age in [k·window/5, (k+1)·window/5)):  start + ⌊(weight − start) · k / 5⌋
 *   step 5 (age ≥ window):                         weight
 */

export const SLOW_START_STEPS = 5;

/** The weight a member is added at: a tenth of the binding's, at least 1 (0 stays 0). */
export function startWeight(weight: number): number {
  return weight === 0 ? 0 : Math.max(1, Math.ceil(weight / 10));
}

/** Whether a binding's members ramp at all: a window, and a weight above the start weight (not 0 or 1). */
export function rampApplies(weight: number, windowSeconds: number): boolean {
  return windowSeconds > 0 && startWeight(weight) < weight;
}

/** The step a member of this age is in: 0 at its add, SLOW_START_STEPS once the window is over. */
export function stepAt(ageMs: number, windowSeconds: number): number {
  return Math.min(
    SLOW_START_STEPS,
    Math.floor((Math.max(0, ageMs) * SLOW_START_STEPS) / (windowSeconds * 1000)),
  );
}

/** The weight of a step: the line's value at the step's start, rounded down; `weight` at the last. */
export function stepWeight(weight: number, step: number): number {
  if (step >= SLOW_START_STEPS) return weight;
  const start = startWeight(weight);
  return start + Math.floor(((weight - start) * step) / SLOW_START_STEPS);
}

/** How far through the window a step begins, in percent (0, 20, …, 100). */
export const stepPercent = (step: number): number => (step * 100) / SLOW_START_STEPS;

const GATEWAY_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):?(\d{2}))?$/i;

/**
 * Milliseconds since the epoch of a time as the gateway writes it (`2020-07-23T09:13:24Z`, official SDK
 * `VpcMemberInfo.create_time`, an `sdktime.SdkTime`); fractions and offsets are read, and a time without
 * an offset is UTC (the API's examples all are), never the reader's local time as `Date.parse` would
 * take it. Undefined for anything else, an impossible date included.
 */
export function gatewayTimeMs(text: string): number | undefined {
  const m = GATEWAY_TIME.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, fraction);
  const d = new Date(local);
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const [sign, offsetHours, offsetMinutes] = m.slice(8, 11);
  if (sign === undefined) return local;
  const offsetMs = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  return sign === "-" ? local + offsetMs : local - offsetMs;
}

/**
 * A member's age on our clock, or undefined when its `create_time` cannot say. A time ahead of ours by
 * at most the window is the two clocks' drift: the member counts as new (the ramp runs late by the
 * drift, never early). A time further ahead is no drift but a wrong time, as unreadable as a missing one.
 */
export function memberAgeMs(
  createTime: string | null | undefined,
  now: number,
  windowSeconds: number,
): number | undefined {
  const created = createTime ? gatewayTimeMs(createTime) : undefined;
  if (created === undefined) return undefined;
  const age = now - created;
  if (age >= 0) return age;
  return -age <= windowSeconds * 1000 ? 0 : undefined;
}

/**
 * Whether the gateway holds a member back from its ramp: it checks health and does not report the
 * member `healthy`. An `unknown` member is held only where the channel is known to check health (the
 * gateway says `unknown` both before a first check and where there is no check at all); ROMA Connect
 * members report no health and are never held.
 */
export function healthHolds(health: string | null | undefined, healthChecked: boolean): boolean {
  if (health === undefined || health === null || health === "healthy") return false;
  return health !== "unknown" || healthChecked;
}

export interface RampInput {
  /** The binding's weight: where the ramp ends. */
  weight: number;
  windowSeconds: number;
  /** The member's weight as listed. */
  current: number;
  createTime: string | null | undefined;
  now: number;
  /** The gateway checks health and does not report the member healthy (healthHolds). */
  held: boolean;
}

export interface RampWeight {
  /** The weight the member should have now. */
  weight: number;
  /** The ramp step that weight was taken from; undefined where the ramp does not apply. */
  step: number | undefined;
  /** The member's `create_time` could not say its age: it is given its weight at once. */
  undated: boolean;
}

/**
 * The weight a listed member of a slow-start binding should have now. Within the ramp a member is only
 * ever raised: one an operator (or an earlier, larger binding weight) put above the line keeps its
 * weight, unless it is above the binding's weight, which it is brought down to (an update, not a ramp
 * step). A member the gateway holds (healthHolds) is not raised past where it is, the start weight at
 * least; once released it takes the current step at once, since the window counts from create_time
 * whatever the member's health did meanwhile. A member whose age cannot be told gets its weight: an
 * unreadable time must not keep a member at a tenth of its weight for good.
 */
export function rampWeight(input: RampInput): RampWeight {
  const { weight, windowSeconds, current, createTime, now, held } = input;
  if (!rampApplies(weight, windowSeconds) || current > weight)
    return { weight, step: undefined, undated: false };
  const age = memberAgeMs(createTime, now, windowSeconds);
  const undated = age === undefined && !held;
  const step = held ? 0 : age === undefined ? SLOW_START_STEPS : stepAt(age, windowSeconds);
  return { weight: Math.max(stepWeight(weight, step), current), step, undated };
}
