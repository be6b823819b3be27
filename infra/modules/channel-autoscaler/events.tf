# Where events come from (AS → SMN events topic → scaling-events) and where failures go (the
# dead-letter topic).

resource "huaweicloud_smn_topic" "events" {
  name                  = local.events_topic_name
  display_name          = "channel-autoscaler AS events"
  introduction          = "AS scaling notifications and lifecycle-hook messages for the ${var.name_prefix} scaling-events function."
  enterprise_project_id = var.enterprise_project_id
  tags                  = local.common_tags
}

# Receives every dead-letter record the functions publish (DEAD_LETTER_TOPIC_URN) and the async
# invocations that exhausted their retries. Subscribe an email, SMS or HTTPS endpoint to it.
resource "huaweicloud_smn_topic" "dead_letter" {
  name                  = local.dead_letter_topic_name
  display_name          = "channel-autoscaler dead letter"
  introduction          = "Work the ${var.name_prefix} functions could not do; each record carries a backfill payload that retries it."
  enterprise_project_id = var.enterprise_project_id
  tags                  = local.common_tags
}

resource "huaweicloud_as_notification" "groups" {
  for_each = local.scaling_group_ids

  scaling_group_id = each.key
  topic_urn        = huaweicloud_smn_topic.events.topic_urn
  events           = var.scaling_notification_events
}

locals {
  lifecycle_hooks = merge([
    for g in local.scaling_group_ids : {
      "${g}/launch" = {
        scaling_group_id = g
        kind             = "launch"
        type             = "ADD"
      }
      "${g}/terminate" = {
        scaling_group_id = g
        kind             = "terminate"
        type             = "REMOVE"
      }
    }
  ]...)
}

# A launching instance waits in PENDING_WAIT until the function has registered it; a terminating
# one waits in REMOVING_WAIT until its member is drained and deleted.
resource "huaweicloud_as_lifecycle_hook" "groups" {
  for_each = local.lifecycle_hooks

  scaling_group_id = each.value.scaling_group_id
  # Hook names are at most 32 characters: 22 of the prefix plus "-terminate".
  name                   = "${substr(var.name_prefix, 0, 22)}-${each.value.kind}"
  type                   = each.value.type
  notification_topic_urn = huaweicloud_smn_topic.events.topic_urn
  default_result         = var.lifecycle_hook_default_result
  timeout                = var.lifecycle_hook_timeout
  # Put the group ID in the hook's message as well: the body AS publishes is undocumented, and the
  # function selects bindings by any scaling_group_id it finds in it. (At most 256 characters and
  # none of < > & ' ( ).)
  notification_message = jsonencode({ scaling_group_id = each.value.scaling_group_id, hook = each.value.kind })
}
