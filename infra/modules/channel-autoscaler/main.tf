locals {
  # The three functions of the product; each is deployed from dist/<name>.zip.
  functions = {
    "scaling-events" = "Reconciles the bindings named by AS scaling notifications and lifecycle hooks (SMN trigger)."
    "reconcile"      = "Reconciles every binding on a timer, repairing whatever events were lost."
    "backfill"       = "Reconciles chosen bindings on manual invoke, optionally as a dry run."
  }

  dist_dir = coalesce(var.dist_dir, "${path.module}/../../../dist")
  zip_paths = {
    for name in keys(local.functions) : name => "${local.dist_dir}/${name}.zip"
  }

  project_name = coalesce(var.project_name, var.region)

  # Optional fields left null are dropped so the function applies its own defaults and the JSON
  # stays small (FunctionGraph caps the whole environment at 4,096 characters).
  bindings_compact = [
    for b in var.bindings : merge(
      { for k, v in b : k => v if v != null && !contains(["health_check", "replace_unhealthy"], k) },
      b.health_check == null ? {} : { health_check = { for k, v in b.health_check : k => v if v != null } },
      b.replace_unhealthy == null ? {} : { replace_unhealthy = { for k, v in b.replace_unhealthy : k => v if v != null } },
    )
  ]
  # No BINDINGS at all when tag discovery supplies every binding.
  bindings_json = length(var.bindings) == 0 ? null : jsonencode(local.bindings_compact)

  # Groups bound by tags are not known here: they get no AS notification or lifecycle hook from
  # this module (infra/README.md says how to add them); the reconcile timer still covers them.
  scaling_group_ids = toset([for b in var.bindings : b.scaling_group_id])
  # A tag may name either gateway, so discovery needs both gateways' grants.
  gateways_in_use = var.bindings_from_tags ? toset(["roma", "apig"]) : toset([for b in var.bindings : coalesce(b.gateway, "roma")])

  events_topic_name      = "${var.name_prefix}-as-events"
  dead_letter_topic_name = "${var.name_prefix}-dead-letter"

  # Every key is one of DEPLOYED_ENV_KEYS in src/config/keys.ts (test/infra checks this).
  # All three functions get the same environment. RUNTIME_PROJECT_ID comes from the platform.
  environment_all = {
    BINDINGS                   = local.bindings_json
    BINDINGS_FROM_TAGS         = var.bindings_from_tags ? "true" : null
    HUAWEICLOUD_SDK_REGION     = var.region
    HUAWEICLOUD_SDK_PROJECT_ID = var.project_id
    DEAD_LETTER_TOPIC_URN      = huaweicloud_smn_topic.dead_letter.topic_urn
    LOG_LEVEL                  = var.log_level
    ROMA_ENDPOINT              = var.endpoints.roma
    APIG_ENDPOINT              = var.endpoints.apig
    AS_ENDPOINT                = var.endpoints.as
    ECS_ENDPOINT               = var.endpoints.ecs
    SMN_ENDPOINT               = var.endpoints.smn
    FUNCTIONGRAPH_ENDPOINT     = var.endpoints.functiongraph
    # reconcile hands shards of bindings to async backfill invocations past the threshold. The URN
    # is built from its fixed shape: the function resource cannot reference its own instances.
    BACKFILL_FUNCTION_URN = local.backfill_function_urn
    FANOUT_THRESHOLD      = tostring(var.fan_out_threshold)
    FANOUT_SHARD_SIZE     = tostring(var.fan_out_shard_size)
  }
  backfill_function_urn = "urn:fss:${var.region}:${var.project_id}:function:default:${var.name_prefix}-backfill:latest"
  function_environment  = { for k, v in local.environment_all : k => v if v != null }

  # The topic URN is only known after apply, but its shape is fixed (urn:smn:<region>:<project
  # id>:<name>), so the size limit can be checked at plan time.
  dead_letter_topic_urn_estimate = "urn:smn:${var.region}:${var.project_id}:${local.dead_letter_topic_name}"
  environment_chars = sum([
    for k, v in local.environment_all :
    k == "DEAD_LETTER_TOPIC_URN" ? length(k) + length(local.dead_letter_topic_urn_estimate) : (v == null ? 0 : length(k) + length(v))
  ])

  # Largest per-binding waits, with the function's defaults for unset fields; used by the checks
  # below that warn when a hook or the function timeout cannot cover them.
  # (A tagged group's drain_seconds is not known here; the check covers the listed bindings.)
  max_drain_seconds = max(concat([0], [for b in var.bindings : coalesce(b.drain_seconds, 30)])...)
  hook_waits = {
    for g in local.scaling_group_ids : g => {
      # Only APIG reports member health, so only APIG bindings wait for "healthy" in a launch hook.
      launch = max([
        for b in var.bindings : coalesce(b.gateway, "roma") == "apig" ? coalesce(b.healthy_timeout_seconds, 300) : 0
        if b.scaling_group_id == g
      ]...)
      terminate = max([for b in var.bindings : coalesce(b.drain_seconds, 30) if b.scaling_group_id == g]...)
    }
  }

  common_tags = merge({ "managed-by" = "terraform", "product" = "channel-autoscaler" }, var.tags)
}

check "function_timeout_covers_drain" {
  assert {
    # Every run that deletes waits drain_seconds in full (nothing shows how long a member has been
    # disabled), keeping 5 s for the deletes and callbacks and up to 3 s to log: a drain that never fits
    # leaves its members disabled for good.
    condition     = var.timeout >= local.max_drain_seconds + 8
    error_message = "timeout (${var.timeout}s) must be at least the largest drain_seconds (${local.max_drain_seconds}s) plus 8 s: every run waits the drain in full before deleting, so a drain that does not fit leaves its members disabled."
  }
}

check "lifecycle_hook_timeout_covers_waits" {
  assert {
    condition     = alltrue([for g, w in local.hook_waits : var.lifecycle_hook_timeout > max(w.launch, w.terminate)])
    error_message = "lifecycle_hook_timeout (${var.lifecycle_hook_timeout}s) is not above every group's healthy_timeout_seconds and drain_seconds: AS may apply lifecycle_hook_default_result before the function completes the hook."
  }
}
