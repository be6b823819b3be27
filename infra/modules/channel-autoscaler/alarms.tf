# Who is told when the functions fail: Cloud Eye alarm rules on each function's failed and
# throttled invocations, and an LTS keyword alarm on each function's dead-letter log lines, all
# notifying one alarm topic. infra/README.md, "Alarms", says what each means and what to do.
#
# A topic of their own rather than the dead-letter topic: dead-letter subscribers may be programs
# that parse dead-letter records (Cloud Eye and LTS messages would confuse them), and the
# dead-letter alarm must still reach people when publishing to the dead-letter topic is what fails.

locals {
  # FunctionGraph's Cloud Eye metrics: namespace SYS.FunctionGraph, dimension package-functionname
  # = "<app>-<function name>", failcount (Errors) and rejectcount (Throttles), raw data every minute
  # (support.huaweicloud.com/intl/en-us/api-functiongraph/functiongraph_06_1340.html,
  # support.huaweicloud.com/intl/en-us/usermanual-functiongraph/functiongraph_01_0213.html).
  function_alarm_metrics = {
    failures = {
      metric_name = "failcount"
      what        = "invocations that failed (an error or timeout)"
      alarm_level = 2
    }
    throttles = {
      metric_name = "rejectcount"
      what        = "invocations FunctionGraph throttled"
      alarm_level = 2
    }
  }
  function_alarms = merge([
    for fn in keys(local.functions) : {
      for kind, m in local.function_alarm_metrics : "${fn}/${kind}" => merge(m, { function = fn, kind = kind })
    }
  ]...)

  # A dead-letter record is one JSON log line with "dead_letter":true. LTS splits a line into words
  # at its delimiters (":" and quotes among them, "_" not), so the record's key is the one word
  # dead_letter; the other log lines spell dead_letter_action, dead_letter_delivery or
  # publish_dead_letter, which are other words (support.huaweicloud.com/intl/en-us/usermanual-lts/lts_05_0111.html).
  dead_letter_keywords = "dead_letter"
  dead_letter_alarms   = var.alarms_enabled && var.alarm_user_name != null ? local.functions : {}
}

resource "huaweicloud_smn_topic" "alarms" {
  count = var.alarms_enabled ? 1 : 0

  region                = var.region
  name                  = local.alarm_topic_name
  display_name          = "channel-autoscaler alarms"
  introduction          = "Cloud Eye and LTS alarms of the ${var.name_prefix} functions: failed or throttled invocations, logged dead letters."
  enterprise_project_id = var.enterprise_project_id
  tags                  = local.common_tags
}

resource "huaweicloud_smn_subscription" "alarm_emails" {
  for_each = var.alarms_enabled ? toset(var.alarm_emails) : toset([])

  region    = var.region
  topic_urn = huaweicloud_smn_topic.alarms[0].topic_urn
  protocol  = "email"
  endpoint  = each.key
  remark    = "channel-autoscaler alarms of ${var.name_prefix}"
}

# One rule per function and metric: any failed (or throttled) invocation in a 5-minute period
# raises it, repeated hourly while it lasts; the clearing is notified too.
resource "huaweicloud_ces_alarmrule" "functions" {
  for_each = var.alarms_enabled ? local.function_alarms : {}

  region               = var.region
  alarm_name           = "${var.name_prefix}-${each.value.function}-${each.value.kind}"
  alarm_description    = "${huaweicloud_fgs_function.functions[each.value.function].name}: ${each.value.what}. See infra/README.md, Alarms."
  alarm_type           = "MULTI_INSTANCE"
  alarm_enabled        = true
  alarm_action_enabled = true

  metric {
    namespace = "SYS.FunctionGraph"
  }

  resources {
    dimensions {
      name  = "package-functionname"
      value = "${huaweicloud_fgs_function.functions[each.value.function].app}-${huaweicloud_fgs_function.functions[each.value.function].name}"
    }
  }

  condition {
    metric_name         = each.value.metric_name
    period              = 300
    filter              = "sum"
    comparison_operator = ">="
    value               = 1
    count               = 1
    suppress_duration   = 3600
    alarm_level         = each.value.alarm_level
  }

  alarm_actions {
    type              = "notification"
    notification_list = [huaweicloud_smn_topic.alarms[0].topic_urn]
  }

  ok_actions {
    type              = "notification"
    notification_list = [huaweicloud_smn_topic.alarms[0].topic_urn]
  }

  enterprise_project_id = var.enterprise_project_id

  lifecycle {
    # Cloud Eye dimension values are 1-64 characters (the provider's
    # docs/resources/ces_alarmrule.md, "dimensions"); the value is "default-<function name>".
    precondition {
      condition     = alltrue([for fn in keys(local.functions) : length("default-${var.name_prefix}-${fn}") <= 64])
      error_message = "name_prefix must be at most 41 characters while alarms are on: Cloud Eye names a function by \"default-<function name>\", at most 64 characters."
    }
  }
}

# One rule per function's log stream: a dead letter logged in the last 5 minutes raises it, checked
# every 5 minutes, notified at most hourly while they keep coming.
resource "huaweicloud_lts_keywords_alarm_rule" "dead_letters" {
  for_each = local.dead_letter_alarms

  region      = var.region
  name        = "${var.name_prefix}-${each.key}-dead-letters"
  description = "Dead letters logged by ${var.name_prefix}-${each.key}. See infra/README.md, Alarms."
  alarm_level = "MAJOR"

  keywords_requests {
    keywords               = local.dead_letter_keywords
    condition              = ">="
    number                 = 1
    log_group_id           = huaweicloud_lts_group.functions.id
    log_stream_id          = huaweicloud_lts_stream.functions[each.key].id
    search_time_range_unit = "minute"
    search_time_range      = 5
  }

  frequency {
    type            = "FIXED_RATE"
    fixed_rate_unit = "minute"
    fixed_rate      = 5
  }

  trigger_condition_count     = 1
  trigger_condition_frequency = 1
  send_notifications          = true
  notification_frequency      = 60

  notification_save_rule {
    template_name = var.alarm_lts_template_name
    user_name     = var.alarm_user_name
    language      = "en-us"

    topics {
      name      = huaweicloud_smn_topic.alarms[0].name
      topic_urn = huaweicloud_smn_topic.alarms[0].topic_urn
    }
  }
}
