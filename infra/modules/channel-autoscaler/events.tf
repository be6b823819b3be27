# Where events come from (AS → SMN events topic → scaling-events) and where failures go (the
# dead-letter topic).

resource "huaweicloud_smn_topic" "events" {
  region                = var.region
  name                  = local.events_topic_name
  display_name          = "channel-autoscaler AS events"
  introduction          = "AS scaling notifications and lifecycle-hook messages for the ${var.name_prefix} scaling-events function."
  enterprise_project_id = var.enterprise_project_id
  tags                  = local.common_tags
}

# Receives every dead-letter record the functions publish (DEAD_LETTER_TOPIC_URN) and the async
# invocations that exhausted their retries. Subscribe an email, SMS or HTTPS endpoint to it.
resource "huaweicloud_smn_topic" "dead_letter" {
  region                = var.region
  name                  = local.dead_letter_topic_name
  display_name          = "channel-autoscaler dead letter"
  introduction          = "Work the ${var.name_prefix} functions could not do; each record carries a backfill payload that retries it."
  enterprise_project_id = var.enterprise_project_id
  tags                  = local.common_tags

  lifecycle {
    # The functions are given the URN this module computes (DEAD_LETTER_TOPIC_URN); a provider
    # configured for another region or project would create the topic elsewhere.
    postcondition {
      condition     = self.topic_urn == local.dead_letter_topic_urn
      error_message = "The dead-letter topic's URN is ${self.topic_urn}, not ${local.dead_letter_topic_urn}: the provider works in another region or project than region and project_id say. Configure the provider for region ${var.region} and the project ${var.project_id}."
    }
  }
}

resource "huaweicloud_as_notification" "groups" {
  for_each = local.scaling_group_ids

  region           = var.region
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

  region           = var.region
  scaling_group_id = each.value.scaling_group_id
  # At most 32 characters, and distinct for every name_prefix (local.hook_name_stem).
  name                   = "${local.hook_name_stem}-${each.value.kind}"
  type                   = each.value.type
  notification_topic_urn = huaweicloud_smn_topic.events.topic_urn
  default_result         = var.lifecycle_hook_default_result
  timeout                = var.lifecycle_hook_timeout
  # Put the group ID in the hook's message as well: the body AS publishes is undocumented, and the
  # function selects bindings by any scaling_group_id it finds in it. (At most 256 characters and
  # none of < > & ' ( ).)
  notification_message = jsonencode({ scaling_group_id = each.value.scaling_group_id, hook = each.value.kind })

  lifecycle {
    # A hook that times out first applies default_result while the function still waits for
    # "healthy" or drains, or before the timer repairs a lost event: AS would go on without it.
    precondition {
      condition     = var.lifecycle_hook_timeout > max(local.hook_waits[each.value.scaling_group_id].launch, local.hook_waits[each.value.scaling_group_id].terminate) + local.reconcile_period_seconds
      error_message = "lifecycle_hook_timeout (${var.lifecycle_hook_timeout}s) must exceed group ${each.value.scaling_group_id}'s healthy_timeout_seconds and drain_seconds (${max(local.hook_waits[each.value.scaling_group_id].launch, local.hook_waits[each.value.scaling_group_id].terminate)}s) plus one reconcile period (${local.reconcile_period_seconds}s): AS would apply lifecycle_hook_default_result before the function, or the timer after a lost event, completes the hook. Raise it (at most 86400), or shorten reconcile_schedule."
    }
  }
}
