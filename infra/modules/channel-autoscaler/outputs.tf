output "function_urns" {
  description = "URN of each function, by function name (scaling-events, reconcile, backfill)."
  value       = { for name, f in huaweicloud_fgs_function.functions : name => f.urn }
}

output "function_names" {
  description = "FunctionGraph name of each function, by function name; invoke backfill by this name."
  value       = { for name, f in huaweicloud_fgs_function.functions : name => f.name }
}

output "scaling_events_function_urn" {
  description = "URN of the scaling-events function (SMN trigger)."
  value       = huaweicloud_fgs_function.functions["scaling-events"].urn
}

output "reconcile_function_urn" {
  description = "URN of the reconcile function (TIMER trigger)."
  value       = huaweicloud_fgs_function.functions["reconcile"].urn
}

output "backfill_function_urn" {
  description = "URN of the backfill function (manual invoke)."
  value       = huaweicloud_fgs_function.functions["backfill"].urn
}

output "events_topic_urn" {
  description = "URN of the SMN topic AS publishes scaling notifications and lifecycle-hook messages to."
  value       = huaweicloud_smn_topic.events.topic_urn
}

output "dead_letter_topic_urn" {
  description = "URN of the SMN dead-letter topic (DEAD_LETTER_TOPIC_URN and the async on-failure destination). Subscribe to it to be told about failures."
  value       = huaweicloud_smn_topic.dead_letter.topic_urn
}

output "agency_name" {
  description = "Name of the IAM agency the functions run with."
  value       = huaweicloud_identity_agency.functions.name
}

output "custom_policy_id" {
  description = "ID of the custom IAM policy granted to the agency."
  value       = huaweicloud_identity_role.functions.id
}

output "log_group_id" {
  description = "ID of the LTS log group holding the functions' logs."
  value       = huaweicloud_lts_group.functions.id
}

output "log_stream_ids" {
  description = "ID of each function's LTS log stream, by function name."
  value       = { for name, s in huaweicloud_lts_stream.functions : name => s.id }
}

output "alarm_topic_urn" {
  description = "URN of the SMN topic the alarms notify (null with alarms_enabled = false). alarm_emails are subscribed to it; subscribe other endpoints here."
  value       = one(huaweicloud_smn_topic.alarms[*].topic_urn)
}

output "environment_chars" {
  description = "Size of the functions' environment as FunctionGraph receives it (the characters of its JSON), against the limit in environment_max_chars."
  value       = local.environment_chars
}

output "bindings_json" {
  description = "BINDINGS exactly as the functions get it (JSON; null when bindings is empty and tag discovery supplies them all). `terraform output -json > outputs.json` then `npx channel-autoscaler validate outputs.json` (or plan --bindings outputs.json) reads what was deployed."
  value       = local.bindings_json
}
