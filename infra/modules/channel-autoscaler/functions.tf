# The three FunctionGraph functions, their logs, their asynchronous invocation policy and their
# triggers.

resource "huaweicloud_lts_group" "functions" {
  region                = var.region
  group_name            = "${var.name_prefix}-functions"
  ttl_in_days           = var.log_retention_days
  enterprise_project_id = var.enterprise_project_id
  tags                  = local.common_tags
}

# One stream per function, so each function's JSON log lines can be searched on their own.
resource "huaweicloud_lts_stream" "functions" {
  for_each = local.functions

  region                = var.region
  group_id              = huaweicloud_lts_group.functions.id
  stream_name           = "${var.name_prefix}-${each.key}"
  enterprise_project_id = var.enterprise_project_id
  tags                  = local.common_tags
}

resource "huaweicloud_fgs_function" "functions" {
  for_each = local.functions

  region                = var.region
  name                  = "${var.name_prefix}-${each.key}"
  description           = each.value
  app                   = "default"
  functiongraph_version = "v2"
  runtime               = "Node.js20.15"
  handler               = "index.handler"
  memory_size           = var.memory_size
  timeout               = var.timeout

  # The state keeps a hash of func_code, so any change in a zip redeploys that function (the build
  # writes deterministic zips, so an unchanged build does not).
  code_type     = "zip"
  code_filename = "index.zip"
  func_code     = fileexists(local.zip_paths[each.key]) ? filebase64(local.zip_paths[each.key]) : null

  # Temporary credentials of this agency are what the code signs its API calls with
  # (context.getSecurityAccessKey/SecretKey/Token); it is also the agency that lets the async
  # on-failure destination publish to the dead-letter topic.
  agency = huaweicloud_identity_agency.functions.name

  user_data = jsonencode(local.function_environment)

  enable_lts_log  = true
  log_group_id    = huaweicloud_lts_group.functions.id
  log_group_name  = huaweicloud_lts_group.functions.group_name
  log_stream_id   = huaweicloud_lts_stream.functions[each.key].id
  log_stream_name = huaweicloud_lts_stream.functions[each.key].stream_name

  enterprise_project_id = var.enterprise_project_id
  tags                  = local.common_tags

  lifecycle {
    precondition {
      condition     = fileexists(local.zip_paths[each.key])
      error_message = "Bundle ${local.zip_paths[each.key]} not found: run `npm run build` first, or set dist_dir."
    }
    precondition {
      condition     = length(var.bindings) > 0 || var.bindings_from_tags
      error_message = "bindings is empty and bindings_from_tags is false: the functions would have nothing to do. List bindings, or set bindings_from_tags = true."
    }
    # Tagging an AS group takes only AS rights: a tag binding acts only on channels listed here.
    precondition {
      condition     = !var.bindings_from_tags || length(var.tag_bindings_allowed) > 0
      error_message = "bindings_from_tags is true and tag_bindings_allowed is empty: list the channels tag bindings may point at (\"roma:<instance_id>/<vpc_channel_id>\", or \"roma:<instance_id>/*\" for every channel of an instance; apig likewise)."
    }
    precondition {
      condition     = local.environment_chars <= var.environment_max_chars
      error_message = "The functions' environment, as the JSON FunctionGraph receives, would be ${local.environment_chars} characters, above the limit of ${var.environment_max_chars}: shorten BINDINGS (fewer bindings, or drop optional fields that repeat the defaults)."
    }
    precondition {
      condition     = var.allow_custom_endpoints || length(local.custom_endpoints) == 0
      error_message = "endpoints ${join(", ", local.custom_endpoints)} name hosts outside the official SDKs' endpoint domains (${join(", ", local.sdk_endpoint_domains)}) and loopback: the functions would refuse them at start-up, since such a host receives the agency's credentials and signed requests. Use the region's endpoint, or set allow_custom_endpoints = true for a host you trust."
    }
    precondition {
      condition     = length(local.function_environment) <= 20
      error_message = "The functions' environment would hold ${length(local.function_environment)} variables; FunctionGraph allows 20."
    }
    # Every run that deletes waits drain_seconds in full (nothing shows how long a member has been
    # disabled), keeping 5 s for the deletes and callbacks and up to 3 s to log: a drain that never
    # fits leaves its members disabled for good.
    precondition {
      condition     = var.timeout >= local.max_drain_seconds + 8
      error_message = "timeout (${var.timeout}s) must be at least the largest drain_seconds (${local.max_drain_seconds}s) plus 8 s: every run waits the drain in full before deleting, so a drain that does not fit leaves its members disabled."
    }
    # The URN names the region and project the function lives in. The functions call the APIs of
    # region and project_id; a provider configured for another region or project would deploy them
    # where those calls (and BACKFILL_FUNCTION_URN) miss.
    postcondition {
      condition     = startswith(self.urn, "urn:fss:${var.region}:${var.project_id}:function:")
      error_message = "Function URN ${self.urn} is not in region ${var.region} and project ${var.project_id}: configure the provider for the region and project the module's region and project_id name."
    }
  }
}

# SMN and TIMER triggers invoke asynchronously: failed runs are retried a bounded number of times,
# and an event that still fails (or grows too old) is sent to the dead-letter topic.
resource "huaweicloud_fgs_async_invoke_configuration" "functions" {
  for_each = local.functions

  region                         = var.region
  function_urn                   = huaweicloud_fgs_function.functions[each.key].urn
  max_async_retry_attempts       = var.async_max_retry_attempts
  max_async_event_age_in_seconds = var.async_max_event_age_seconds

  on_failure {
    destination = "SMN"
    param       = jsonencode({ topic_urn = huaweicloud_smn_topic.dead_letter.topic_urn })
  }
}

resource "huaweicloud_fgs_function_trigger" "scaling_events" {
  region       = var.region
  function_urn = huaweicloud_fgs_function.functions["scaling-events"].urn
  type         = "SMN"
  event_data   = jsonencode({ topic_urn = huaweicloud_smn_topic.events.topic_urn })

  lifecycle {
    # An SMN trigger's topic cannot be changed in place: a new topic needs a new trigger, or the
    # trigger keeps pointing at the deleted one (and every plan shows the difference).
    replace_triggered_by = [huaweicloud_smn_topic.events.id]
  }
}

# The provider would update a changed schedule in place (it sends event_data again), but the
# service's updatable trigger fields do not include the schedule, so the old schedule would stay.
# Replacing the trigger whenever schedule or type changes makes a new schedule take effect.
resource "terraform_data" "reconcile_schedule" {
  input = {
    schedule_type = var.reconcile_schedule_type
    schedule      = var.reconcile_schedule
  }
}

resource "huaweicloud_fgs_function_trigger" "reconcile_timer" {
  region       = var.region
  function_urn = huaweicloud_fgs_function.functions["reconcile"].urn
  type         = "TIMER"
  status       = "ACTIVE"
  event_data = jsonencode({
    name          = "${var.name_prefix}-reconcile"
    schedule_type = var.reconcile_schedule_type
    schedule      = var.reconcile_schedule
    # An empty backfill payload: reconcile every binding.
    user_event = jsonencode({})
  })

  lifecycle {
    replace_triggered_by = [terraform_data.reconcile_schedule]

    precondition {
      condition     = local.reconcile_schedule_valid
      error_message = "reconcile_schedule \"${var.reconcile_schedule}\" is not a ${var.reconcile_schedule_type} schedule: Rate takes a whole number with m (1-60), h (1-24) or d (1-30), e.g. 10m; Cron takes \"@every <duration>\" (e.g. @every 30m) or \"seconds minutes hours day-of-month month [day-of-week]\", optionally after CRON_TZ=<zone>."
    }
  }
}
