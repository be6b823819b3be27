import type { EmulatorContext } from "./context";
import { asError } from "./errors";
import type { ApiRequest, ApiResponse } from "./http";
import { newUuid } from "./ids";
import type { ScalingGroup } from "./state";
import { isRecord } from "./validators";

/**
 * AS batch instance actions, the standby part: `POST /autoscaling-api/v1/{project_id}/scaling_group_instance/
 * {scaling_group_id}/action` with `ENTER_STANDBY` (an INSERVICE instance goes to STANDBY; with
 * `instance_append: "yes"` AS launches a replacement, PENDING until the scaling activity completes) and
 * `EXIT_STANDBY` (back to INSERVICE). Like AS: at most 10 instances a call (AS.4043), all or nothing, and
 * refused while the group has a scaling activity (AS.2020). Sources: Go SDK as_meta.go
 * (BatchSetScalingInstancesStandby), model BatchEnterStandbyInstancesOption; OTC AS API reference "Batch
 * Managing Instances" and appendix "Error Codes".
 */

const MAX_IDS = 10;
const ACTIONS = ["ADD", "REMOVE", "PROTECT", "UNPROTECT", "ENTER_STANDBY", "EXIT_STANDBY"];

interface Activity {
  /** A scaling activity is in progress: batch actions are refused. */
  active: boolean;
  /** Replacements launched by ENTER_STANDBY, PENDING until the activity completes. */
  launched: Set<string>;
}

// Keyed by the live group object, so loading a new state starts without activities.
const activities = new WeakMap<ScalingGroup, Activity>();

function activityOf(g: ScalingGroup): Activity {
  let a = activities.get(g);
  if (!a) {
    a = { active: false, launched: new Set() };
    activities.set(g, a);
  }
  return a;
}

/**
 * Starts or ends a scaling activity (control API). Ending it puts the replacements it launched in service.
 */
export function setScalingActivity(g: ScalingGroup, active: boolean): void {
  const a = activityOf(g);
  a.active = active;
  if (active) return;
  for (const id of a.launched) {
    const instance = g.instances.get(id);
    if (instance?.life_cycle_state === "PENDING") {
      instance.life_cycle_state = "INSERVICE";
      instance.health_status = "NORMAL";
    }
  }
  a.launched.clear();
}

export function batchInstanceAction(ctx: EmulatorContext, g: ScalingGroup, req: ApiRequest): ApiResponse {
  if (req.jsonError || !isRecord(req.body)) throw asError(400, "AS.0022", "Request body error");
  const { action, instances_id: ids, instance_append: append } = req.body;
  if (typeof action !== "string" || !ACTIONS.includes(action)) {
    throw asError(
      400,
      "AS.4018",
      "The action of the body in the request to operate the instance is invalid.",
    );
  }
  if (action !== "ENTER_STANDBY" && action !== "EXIT_STANDBY") {
    return { status: 501, body: { error: { code: "EMULATOR.0001", message: `${action} is not emulated` } } };
  }
  if (!Array.isArray(ids) || ids.length === 0)
    throw asError(400, "AS.4032", "The list of instances is null.");
  if (ids.some((id) => typeof id !== "string" || id === ""))
    throw asError(400, "AS.0022", "Request body error");
  if (ids.length > MAX_IDS) throw asError(400, "AS.4043", "The number of instances exceeds the upper limit.");
  if (append !== undefined && append !== "yes" && append !== "no") {
    throw asError(400, "AS.0022", "Request body error");
  }
  const activity = activityOf(g);
  if (activity.active) throw asError(400, "AS.2020", "The scaling group status is illegal.");
  const from = action === "ENTER_STANDBY" ? "INSERVICE" : "STANDBY";
  const instances = (ids as string[]).map((id) => {
    const instance = g.instances.get(id);
    if (!instance) throw asError(400, "AS.4006", "The instance does not exist.");
    if (instance.life_cycle_state !== from) {
      throw asError(400, "AS.4015", `The instance is not in the ${from.toLowerCase()} status.`);
    }
    return instance;
  });
  for (const instance of instances) {
    instance.life_cycle_state = action === "ENTER_STANDBY" ? "STANDBY" : "INSERVICE";
  }
  if (action === "ENTER_STANDBY" && append === "yes") {
    for (let k = 0; k < instances.length; k++) {
      const id = newUuid();
      const name = `${g.scaling_group_name}-${id.slice(0, 8)}`;
      g.instances.put({
        instance_id: id,
        instance_name: name,
        life_cycle_state: "PENDING",
        health_status: "INITIALIZING",
        create_time: ctx.clock.nowIso(),
        protect_from_scaling_down: false,
      });
      ctx.world.servers.set(id, { id, name, status: "ACTIVE" });
      activity.launched.add(id);
    }
    activity.active = true;
  }
  return { status: 204 };
}
