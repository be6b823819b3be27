output "function_urns" {
  description = "URN of each function, by function name."
  value       = module.channel_autoscaler.function_urns
}

output "events_topic_urn" {
  description = "SMN topic AS publishes scaling events and lifecycle-hook messages to."
  value       = module.channel_autoscaler.events_topic_urn
}

output "dead_letter_topic_urn" {
  description = "SMN dead-letter topic; subscribe to it to hear about failures."
  value       = module.channel_autoscaler.dead_letter_topic_urn
}

output "alarm_topic_urn" {
  description = "SMN topic the alarms notify; alarm_emails are subscribed to it."
  value       = module.channel_autoscaler.alarm_topic_urn
}

output "bindings_json" {
  description = "BINDINGS as deployed; the CLI reads `terraform output -json` (validate, plan and sync --bindings)."
  value       = module.channel_autoscaler.bindings_json
}
