// @ts-check
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    "src/plan/**/*.ts",
    "src/discovery/**/*.ts",
    "src/cloud/classify.ts",
    "src/cloud/error-codes.ts",
    "src/observability/scrub.ts",
    "src/cli/safe-output.ts",
  ],
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.mts", related: false },
  coverageAnalysis: "perTest",
  concurrency: 2,
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  reporters: ["clear-text", "progress-append-only", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".tmp/stryker",
  // A mutant reached while a module loads runs every test file of the mutation config, in a fresh
  // module graph: on two busy cores that takes far longer than the dry run's time plus the default 5 s
  // (20 s still let slow runs pass for timeouts), and a mutant that only ran slowly must not pass for a
  // detected one. A real endless loop is cut sooner by the hit limit.
  timeoutMS: 60_000,
  thresholds: { high: 95, low: 90, break: null },
};

// Surviving mutants that no test can kill: each changes no result any caller can observe (file:line of
// src/plan, src/discovery and src/observability as of the last full run, reports/mutation/mutation.json;
// docs/mutation.md has the scores). A survivor not listed here is a gap in the tests, not an equivalent.
// `?? ""` → "Stryker was here!" and `?? []` → ["Stryker was here"] where the fallback only feeds a
// lookup or a parse that finds nothing in either (a Set/Map of states or ids, Date.parse, a find by
// name): decide-hook.ts:14 and desired.ts:8 (life_cycle_state), quarantine-budget.ts:23 (same),
//   decide-hook.ts:73, decide-quarantine.ts:132 and :141 (create_time: Date.parse is NaN for both),
//   desired.ts:62 and :73 (only serving instances, which have a state, get there), ownership.ts:25,
//   plan-channel.ts:25 (a binding's health check always has a protocol), plan-channel.ts:55 and :78,
//   plan-members.ts:278 (every member of byInstance has an ecs_id), plan-members.ts:133 (memberName
//   never returns ""), discover.ts:19 (a list of strings carries no channel tag), tags.ts:125 and :129
//   (a field with a tag always has a value).
// Guards that only save work, the code after them giving the same answer without them:
//   decide-quarantine.ts:47 `read > 0` (0/0 is NaN, and NaN > x is false), decide-quarantine.ts:53
//   `value === undefined` (the regex refuses "undefined" too), decide-quarantine.ts:133 the `since !==
//   undefined` and `Number.isFinite` parts (a comparison with NaN is false), quarantine-budget.ts:124
//   `others.length > 0` (Math.max() is -Infinity, no cooldown), slow-start.ts:89 `created === undefined`
//   (NaN age: neither branch after it returns it), counts.ts:32 (an uncounted action has no COUNTED_AS
//   entry either), scrub.ts:83 `windows.size > 0` (no window matches nothing), scrub.ts:122 (without it a
//   text shorter than a window matches only when it is a short form whole, which the whole-value pass
//   redacts the same), scrub.ts:71 the `< FRAGMENT_LENGTH` filter (a longer form is already gone by
//   fragment before whole values are looked for), merge.ts:118 and :125 (a binding outside `conflicted`
//   has no reference that differs from it, so it is accepted by the check after; and merge.ts:135's `[]`
//   is never reached, since a binding in conflict always differs from another), discover.ts:85 (a group
//   read one by one and listed again by tag yields the same binding), plan-members.ts healthRuleDecides'
//   `unknown` test (without it both plans are compared, and agree where no member reads unknown).
// Boundaries where both sides give one answer:
//   slow-start.ts:39 `>=` → `>` (step 5's weight by the formula is the weight), slow-start.ts:91 `>=` →
//   `>` (age 0 comes back as 0 from the drift branch), slow-start.ts:138 `current > weight` → `>=` (a
//   member already at its weight: only rampWeight's step and undated differ, and the planner reads them
//   only for a weight change, which there is none of), scrub.ts:126 `<` → `<=` (one window past the end is
//   shorter than any in the set).
// Redundant checks, each covered by another: slow-start.ts:70 `d.getUTCDate() !== day` (an impossible day
//   moves the month: caught by the month check) and `hour > 23` (hours 24-99 move the date: caught by the
//   date check).
// Ties that cannot happen: plan-members.ts:98 `<` → `<=` (ta !== tb there), plan-members.ts:99
//   (src/cloud/paging.ts keeps one record per member id), decide-quarantine.ts:157 (bindingMembers keeps
//   one member per instance) and merge.ts:79 (`found` holds a group once).
// Same text: quarantine-budget.ts:97 (iso, shared by the quarantine modules) `/\.000Z$/` → `/\.000Z/` (toISOString
//   has one .000Z, at the end), merge.ts:54 `typeof value === "object"` → true (the shared fields are
//   numbers, booleans or objects, for which JSON and String agree), plan-channel.ts:25 and :27
//   toUpperCase → toLowerCase (both sides of the comparison go through it).
// Absent and undefined read alike: plan-members.ts:268 and :270 (`{ rampStep: undefined }`, `{ host:
//   undefined }`: src/sync/apply.ts, their only reader, tests `=== undefined`), discover.ts:79 `?.` (the
//   channel tag is there: isTaggedForBinding just checked it), plan-members.ts:204 `ip === undefined`
//   (byHost has no undefined key).
