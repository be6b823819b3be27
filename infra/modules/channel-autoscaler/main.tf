locals {
  # The three functions of the product; each is deployed from dist/<name>.zip.
  functions = {
    "scaling-events" = "Reconciles the bindings named by AS scaling notifications and lifecycle hooks (SMN trigger)."
    "reconcile"      = "Reconciles every binding on a timer, repairing whatever events were lost."
    "backfill"       = "Reconciles chosen bindings on manual invoke, optionally as a dry run."
  }

  zip_paths = {
    for name in keys(local.functions) : name => "${var.dist_dir}/${name}.zip"
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
  # The gateways the functions may call: those of the bindings, and with tag discovery those of
  # tag_bindings_allowed (a tag naming any other channel is refused before any call).
  tag_bindings_allowed = var.bindings_from_tags ? var.tag_bindings_allowed : []
  gateways_in_use = toset(concat(
    [for b in var.bindings : coalesce(b.gateway, "roma")],
    [for e in local.tag_bindings_allowed : split(":", e)[0]],
  ))

  events_topic_name      = "${var.name_prefix}-as-events"
  dead_letter_topic_name = "${var.name_prefix}-dead-letter"
  alarm_topic_name       = "${var.name_prefix}-alarms"
  # A topic URN has a fixed shape (urn:smn:<region>:<project id>:<name>), so the functions'
  # environment is known, and its size checked, at plan time; a postcondition on the topic holds
  # the real URN to it.
  dead_letter_topic_urn = "urn:smn:${var.region}:${var.project_id}:${local.dead_letter_topic_name}"

  # Every key is one of DEPLOYED_ENV_KEYS in src/config/keys.ts (test/infra checks this).
  # All three functions get the same environment. RUNTIME_PROJECT_ID comes from the platform.
  environment_all = {
    BINDINGS                   = local.bindings_json
    BINDINGS_FROM_TAGS         = var.bindings_from_tags ? "true" : null
    TAG_BINDINGS_ALLOWED       = var.bindings_from_tags ? join(",", var.tag_bindings_allowed) : null
    HUAWEICLOUD_SDK_REGION     = var.region
    HUAWEICLOUD_SDK_PROJECT_ID = var.project_id
    DEAD_LETTER_TOPIC_URN      = local.dead_letter_topic_urn
    LOG_LEVEL                  = var.log_level
    ROMA_ENDPOINT              = var.endpoints.roma
    APIG_ENDPOINT              = var.endpoints.apig
    AS_ENDPOINT                = var.endpoints.as
    ECS_ENDPOINT               = var.endpoints.ecs
    SMN_ENDPOINT               = var.endpoints.smn
    FUNCTIONGRAPH_ENDPOINT     = var.endpoints.functiongraph
    ALLOW_CUSTOM_ENDPOINTS     = var.allow_custom_endpoints ? "true" : null
    # reconcile hands shards of bindings to async backfill invocations past the threshold. The URN
    # is built from its fixed shape: the function resource cannot reference its own instances.
    BACKFILL_FUNCTION_URN = local.backfill_function_urn
    FANOUT_THRESHOLD      = tostring(var.fan_out_threshold)
    FANOUT_SHARD_SIZE     = tostring(var.fan_out_shard_size)
  }
  backfill_function_urn = "urn:fss:${var.region}:${var.project_id}:function:default:${var.name_prefix}-backfill:latest"
  function_environment  = { for k, v in local.environment_all : k => v if v != null }

  # FunctionGraph receives the environment as user_data, one JSON object of every key and value
  # (the string this module sends), and caps that at 4,096 characters and 20 variables
  # (huaweicloud-sdk-go-v3 services/functiongraph/v2/model/model_create_function_request_body.go,
  # UserData). So the size is measured on that JSON, escapes and all: BINDINGS is itself JSON, and
  # its every quote costs one more character there.
  environment_chars = length(jsonencode(local.function_environment))

  # Largest per-binding waits, with the function's defaults for unset fields; the preconditions on
  # the functions and the hooks refuse a timeout that cannot cover them.
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

  # The reconcile timer's period in seconds for a Rate schedule (10m: 600); 0 for a Cron schedule,
  # whose period this module does not work out. A hook must outlast it as well as the waits: a lost
  # event is repaired by the next timer run, which must come before AS gives up on the hook.
  reconcile_period_seconds = var.reconcile_schedule_type == "Rate" ? try(
    tonumber(substr(var.reconcile_schedule, 0, length(var.reconcile_schedule) - 1)) * { m = 60, h = 3600, d = 86400 }[substr(var.reconcile_schedule, -1, 1)],
    0,
  ) : 0

  # An endpoint override receives the agency's credentials and signed requests that can be replayed,
  # so the functions refuse one outside the domains of the official SDKs' region tables (the list in
  # src/config/region-endpoints.ts, SDK_ENDPOINT_DOMAINS) unless ALLOW_CUSTOM_ENDPOINTS=true; the same
  # rule here fails the plan instead of every invocation. A host is matched as written, in ASCII:
  # letters, digits, dots and hyphens before the domain, then a port or path or nothing, so a
  # look-alike (a longer domain, a trailing dot, a backslash, an IDN) is not under it.
  sdk_endpoint_domains = ["myhuaweicloud.cn", "myhuaweicloud.com", "myhuaweicloud.eu", "myhwclouds.com"]
  sdk_endpoint_pattern = "^https://[a-z0-9.-]+\\.(${join("|", [for d in local.sdk_endpoint_domains : replace(d, ".", "\\.")])})(:[0-9]+)?(/.*)?$"
  loopback_pattern     = "^https?://(localhost|127(\\.[0-9]{1,3}){3}|\\[::1\\])(:[0-9]+)?(/.*)?$"
  custom_endpoints = sort([
    for service, url in var.endpoints : service
    if url != null && !can(regex(local.sdk_endpoint_pattern, lower(url))) && !can(regex(local.loopback_pattern, lower(url)))
  ])

  common_tags = merge({ "managed-by" = "terraform", "product" = "channel-autoscaler" }, var.tags)

  # AS lifecycle hook names are at most 32 characters (the provider's
  # docs/resources/as_lifecycle_hook.md, "name"). A prefix slice alone lets two prefixes that share their
  # start collide on a group both bind, so a short hash of the whole prefix follows the slice:
  # 13 + 1 + 8 + "-terminate" (10) = 32.
  hook_name_stem = "${substr(var.name_prefix, 0, 13)}-${substr(sha256(var.name_prefix), 0, 8)}"

  # TIMER schedules (FunctionGraph "Timer Trigger" and "Cron Expressions for a Function Timer
  # Trigger": support.huaweicloud.com/intl/en-us/usermanual-functiongraph/functiongraph_01_0207.html
  # and functiongraph_01_0908.html; the SDK's TriggerEventDataRequestBody says the same). Rate: a
  # whole number of minutes (at most 60), hours (24) or days (30). Cron: "@every <duration>" in
  # units ns, us, ms, s, m, h, or the standard form "seconds minutes hours day-of-month month
  # [day-of-week]", optionally after CRON_TZ=<zone>.
  rate_schedule_limits = { m = 60, h = 24, d = 30 }
  reconcile_schedule_valid = var.reconcile_schedule_type == "Rate" ? alltrue([
    can(regex("^[1-9][0-9]?[mhd]$", var.reconcile_schedule)),
    try(tonumber(substr(var.reconcile_schedule, 0, length(var.reconcile_schedule) - 1)) <= local.rate_schedule_limits[substr(var.reconcile_schedule, -1, 1)], false),
    ]) : (
    can(regex("^@every ([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", var.reconcile_schedule)) ||
    can(regex("^(CRON_TZ=[A-Za-z0-9_/+-]+ )?[0-9A-Za-z*?,/-]+( [0-9A-Za-z*?,/-]+){4,5}$", var.reconcile_schedule))
  )
}
