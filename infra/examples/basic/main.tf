# Credentials come from the environment (HW_ACCESS_KEY, HW_SECRET_KEY), never from this file.
provider "huaweicloud" {
  region = var.region
}

module "channel_autoscaler" {
  source = "../../modules/channel-autoscaler"

  region     = var.region
  project_id = var.project_id
  bindings   = var.bindings
  # Tag discovery: scaling groups bind themselves (infra/README.md, "Bindings from tags"), only to
  # the channels listed in tag_bindings_allowed.
  bindings_from_tags   = var.bindings_from_tags
  tag_bindings_allowed = var.tag_bindings_allowed
  name_prefix          = var.name_prefix
  log_level            = var.log_level
  endpoints            = var.endpoints
  # Hosts outside the SDKs' endpoint domains receive the agency's credentials: refused unless true.
  allow_custom_endpoints = var.allow_custom_endpoints
  # The bundles `npm run build` writes at the repository root; relative to this configuration, so
  # the path holds wherever the module itself comes from.
  dist_dir = "${path.root}/../../../dist"

  # Left null, each of these takes the module's default.
  memory_size            = var.memory_size
  timeout                = var.timeout
  lifecycle_hook_timeout = var.lifecycle_hook_timeout

  # IAM fallbacks (infra/README.md, "Where the names come from, and what is UNCONFIRMED").
  roma_policy_actions       = var.roma_policy_actions
  fan_out_invoke_grant      = var.fan_out_invoke_grant
  scope_dead_letter_publish = var.scope_dead_letter_publish

  # Alarms (infra/README.md, "Alarms").
  alarms_enabled  = var.alarms_enabled
  alarm_emails    = var.alarm_emails
  alarm_user_name = var.alarm_user_name
}
