# Inputs of the channel-autoscaler module.
#
# The binding rules below mirror the bindings schema (src/config/schema.ts) so that a bad
# binding fails at `terraform plan` instead of at the first invocation. Optional binding fields
# are left null when unset and are dropped from BINDINGS, so the function applies its own
# defaults (gateway "roma", weight 1, slow_start_seconds 0, standby false, drain_seconds 30,
# healthy_timeout_seconds 300, port = the channel's port).

variable "region" {
  description = "Huawei Cloud region the functions run in and call, e.g. cn-north-4. Passed to the functions as HUAWEICLOUD_SDK_REGION; service endpoints default from it."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z0-9]+){1,3}$", var.region))
    error_message = "region must look like cn-north-4 or ap-southeast-1."
  }
}

variable "project_id" {
  description = "ID (not name) of the Huawei Cloud project that owns the AS groups and gateway instances, shown under My Credentials > API Credentials. Passed to the functions as HUAWEICLOUD_SDK_PROJECT_ID."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.project_id))
    error_message = "project_id must be a project ID (up to 64 letters, digits, '-' and '_'), as shown under My Credentials > API Credentials."
  }
}

variable "project_name" {
  description = "Name of the IAM project the agency's custom policy is granted in. Defaults to the region name, which is the name of a region's default project; set it for a sub-project such as cn-north-4_demo."
  type        = string
  default     = null
}

variable "bindings" {
  description = "Bindings, each tying one AS group to one member group of one ROMA Connect or APIG VPC channel. Fields, ranges and defaults are those of the product's BINDINGS (src/config/schema.ts; see infra/README.md). Leave an optional field unset (null) to use the function's default. May be empty when bindings_from_tags is true."
  type = list(object({
    scaling_group_id        = string
    gateway                 = optional(string)
    instance_id             = string
    vpc_channel_id          = string
    member_group_name       = string
    weight                  = optional(number)
    slow_start_seconds      = optional(number)
    port                    = optional(number)
    standby                 = optional(bool)
    drain_seconds           = optional(number)
    healthy_timeout_seconds = optional(number)
    health_check = optional(object({
      protocol           = string
      path               = optional(string)
      method             = optional(string)
      port               = optional(number)
      threshold_normal   = number
      threshold_abnormal = number
      time_interval      = number
      timeout            = number
      http_code          = optional(string)
      enable_client_ssl  = optional(bool)
    }))
    replace_unhealthy = optional(object({
      after_seconds          = optional(number)
      max_per_run            = optional(number)
      max_unhealthy_fraction = optional(number)
      max_in_standby         = optional(number)
      cooldown_seconds       = optional(number)
    }))
  }))
  default = []

  validation {
    condition = alltrue(flatten([
      for b in var.bindings : [
        for id in [b.scaling_group_id, b.instance_id, b.vpc_channel_id] : can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", id))
      ]
    ]))
    error_message = "binding scaling_group_id, instance_id and vpc_channel_id must be resource IDs: up to 64 letters, digits, '-' and '_', starting with a letter or digit."
  }

  validation {
    condition     = alltrue([for b in var.bindings : can(regex("^[A-Za-z\\x{4e00}-\\x{9fa5}][A-Za-z0-9_.\\x{4e00}-\\x{9fa5}-]{2,63}$", b.member_group_name))])
    error_message = "binding member_group_name must be 3-64 characters starting with a letter (letters, digits, '-', '_', '.')."
  }

  validation {
    condition     = alltrue([for b in var.bindings : b.gateway == null ? true : contains(["roma", "apig"], b.gateway)])
    error_message = "binding gateway must be \"roma\" (ROMA Connect, the default) or \"apig\" (dedicated API Gateway)."
  }

  validation {
    condition     = alltrue([for b in var.bindings : b.weight == null ? true : (b.weight >= 0 && b.weight <= 10000 && floor(b.weight) == b.weight)])
    error_message = "binding weight must be a whole number from 0 to 10000 (default 1)."
  }

  validation {
    condition     = alltrue([for b in var.bindings : b.slow_start_seconds == null ? true : (b.slow_start_seconds >= 0 && b.slow_start_seconds <= 3600 && floor(b.slow_start_seconds) == b.slow_start_seconds)])
    error_message = "binding slow_start_seconds must be a whole number from 0 to 3600 (default 0: off)."
  }

  validation {
    condition     = alltrue([for b in var.bindings : b.port == null ? true : (b.port >= 0 && b.port <= 65535 && floor(b.port) == b.port)])
    error_message = "binding port must be a whole number from 0 to 65535 (default: the channel's port)."
  }

  validation {
    condition     = alltrue([for b in var.bindings : b.drain_seconds == null ? true : (b.drain_seconds >= 0 && b.drain_seconds <= 3600 && floor(b.drain_seconds) == b.drain_seconds)])
    error_message = "binding drain_seconds must be a whole number from 0 to 3600 (default 30)."
  }

  validation {
    condition     = alltrue([for b in var.bindings : b.healthy_timeout_seconds == null ? true : (b.healthy_timeout_seconds >= 0 && b.healthy_timeout_seconds <= 86400 && floor(b.healthy_timeout_seconds) == b.healthy_timeout_seconds)])
    error_message = "binding healthy_timeout_seconds must be a whole number from 0 to 86400 (default 300)."
  }

  validation {
    condition = length(var.bindings) == length(distinct([
      for b in var.bindings : join("/", [b.scaling_group_id, coalesce(b.gateway, "roma"), b.instance_id, b.vpc_channel_id, b.member_group_name])
    ]))
    error_message = "Two bindings name the same scaling group, channel and member group."
  }

  # Bindings that share a channel member group are reconciled as one, so their member settings
  # (after defaults) must agree; the health check belongs to the whole channel.
  validation {
    condition = alltrue([
      for target, settings in {
        for b in var.bindings : join("/", [coalesce(b.gateway, "roma"), b.instance_id, b.vpc_channel_id, b.member_group_name]) => jsonencode([
          coalesce(b.weight, 1), coalesce(b.slow_start_seconds, 0), b.port, coalesce(b.standby, false), coalesce(b.drain_seconds, 30), coalesce(b.healthy_timeout_seconds, 300)
        ])...
      } : length(distinct(settings)) == 1
    ])
    error_message = "Bindings that name the same channel member group must agree on weight, slow_start_seconds, port, standby, drain_seconds and healthy_timeout_seconds."
  }

  validation {
    condition = alltrue([
      for channel, checks in {
        for b in var.bindings : join("/", [coalesce(b.gateway, "roma"), b.instance_id, b.vpc_channel_id]) => jsonencode(b.health_check)...
        if b.health_check != null
      } : length(distinct(checks)) == 1
    ])
    error_message = "Bindings that set the health_check of the same channel must set the same one."
  }

  validation {
    condition = alltrue([
      for hc in [for b in var.bindings : b.health_check if b.health_check != null] :
      contains(["TCP", "HTTP", "HTTPS", "tcp", "http", "https"], hc.protocol) &&
      (hc.method == null ? true : contains(["GET", "HEAD"], hc.method)) &&
      (hc.path == null ? true : (length(hc.path) >= 1 && length(hc.path) <= 512)) &&
      (hc.port == null ? true : (hc.port >= 0 && hc.port <= 65535 && floor(hc.port) == hc.port)) &&
      (hc.http_code == null ? true : can(regex("^[0-9]{3}(-[0-9]{3})?(,[0-9]{3}(-[0-9]{3})?)*$", hc.http_code)))
    ])
    error_message = "binding health_check: protocol must be TCP, HTTP or HTTPS (either case), method GET or HEAD, path 1-512 characters, port 0-65535, http_code like 200, 200-299 or 200,201,210-299."
  }

  validation {
    condition = alltrue([
      for hc in [for b in var.bindings : b.health_check if b.health_check != null] :
      alltrue([for n in [hc.threshold_normal, hc.threshold_abnormal] : n >= 1 && n <= 10 && floor(n) == n]) &&
      hc.time_interval >= 5 && hc.time_interval <= 300 && floor(hc.time_interval) == hc.time_interval &&
      hc.timeout >= 2 && hc.timeout <= 30 && floor(hc.timeout) == hc.timeout && hc.timeout < hc.time_interval
    ])
    error_message = "binding health_check: threshold_normal and threshold_abnormal must be whole numbers 1-10, time_interval 5-300, timeout 2-30 and less than time_interval."
  }

  validation {
    condition = alltrue([
      for hc in [for b in var.bindings : b.health_check if b.health_check != null] :
      upper(hc.protocol) == "TCP" ? true : (hc.path != null && hc.http_code != null)
    ])
    error_message = "binding health_check: path and http_code are required for HTTP and HTTPS."
  }

  # replace_unhealthy (contract section 4): APIG only, since only APIG members report health_status.
  validation {
    condition     = alltrue([for b in var.bindings : b.replace_unhealthy == null ? true : coalesce(b.gateway, "roma") == "apig"])
    error_message = "binding replace_unhealthy needs gateway \"apig\": ROMA Connect members report no health_status."
  }

  validation {
    condition = alltrue([
      for r in [for b in var.bindings : b.replace_unhealthy if b.replace_unhealthy != null] :
      (r.after_seconds == null ? true : (r.after_seconds >= 60 && r.after_seconds <= 86400 && floor(r.after_seconds) == r.after_seconds)) &&
      (r.max_per_run == null ? true : (r.max_per_run >= 1 && r.max_per_run <= 10 && floor(r.max_per_run) == r.max_per_run)) &&
      (r.max_unhealthy_fraction == null ? true : (r.max_unhealthy_fraction >= 0 && r.max_unhealthy_fraction <= 1)) &&
      (r.max_in_standby == null ? true : (r.max_in_standby >= 1 && r.max_in_standby <= 100 && floor(r.max_in_standby) == r.max_in_standby)) &&
      (r.cooldown_seconds == null ? true : (r.cooldown_seconds >= 0 && r.cooldown_seconds <= 86400 && floor(r.cooldown_seconds) == r.cooldown_seconds))
    ])
    error_message = "binding replace_unhealthy: after_seconds must be a whole number 60-86400 (default 300), max_per_run 1-10 (default 1), max_unhealthy_fraction 0-1 (default 0.5), max_in_standby 1-100 (default 1), cooldown_seconds 0-86400 (default 600)."
  }

  # FunctionGraph caps a function's environment at 4,096 characters, counted on the JSON object it
  # receives (user_data), in which BINDINGS is a JSON string: every quote of the bindings' JSON is
  # escaped once more. This catches an oversized BINDINGS on its own; the function resources check
  # the whole environment, measured the same way, against var.environment_max_chars.
  validation {
    condition = length(jsonencode({
      BINDINGS = jsonencode([
        for b in var.bindings : merge(
          { for k, v in b : k => v if v != null && !contains(["health_check", "replace_unhealthy"], k) },
          b.health_check == null ? {} : { health_check = { for k, v in b.health_check : k => v if v != null } },
          b.replace_unhealthy == null ? {} : { replace_unhealthy = { for k, v in b.replace_unhealthy : k => v if v != null } },
        )
      ])
    })) <= 4096
    error_message = "BINDINGS, as the JSON string FunctionGraph receives, exceeds its 4,096-character environment limit. Use fewer bindings, drop optional fields that repeat the defaults, or let scaling groups bind themselves with tags (bindings_from_tags)."
  }
}

variable "bindings_from_tags" {
  description = "Turn on tag discovery (BINDINGS_FROM_TAGS=true): every AS group tagged channel-autoscaler-channel (plus -instance and -member-group; see infra/README.md) is a binding too, so bindings may be empty. Needs tag_bindings_allowed. Grants the agency the AS tag-query actions."
  type        = bool
  default     = false
}

variable "tag_bindings_allowed" {
  description = "Where tag bindings may point (TAG_BINDINGS_ALLOWED), required with bindings_from_tags: the channels whose owners consent to being fed by whoever may tag an AS group. Each entry \"<gateway>:<instance_id>/<vpc_channel_id>\" or \"<gateway>:<instance_id>/*\" (every channel of the instance), gateway \"roma\" or \"apig\". A tag naming any other channel is dead-lettered (TAG_BINDING_NOT_ALLOWED) and that channel is never called for it. The agency gets the ROMA Connect role only for a roma binding or entry, the APIG actions only for an apig one."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for e in var.tag_bindings_allowed : can(regex("^(roma|apig):[A-Za-z0-9][A-Za-z0-9_-]{0,63}/(\\*|[A-Za-z0-9][A-Za-z0-9_-]{0,63})$", e))
    ])
    error_message = "Each tag_bindings_allowed entry must be \"<gateway>:<instance_id>/<vpc_channel_id>\" or \"<gateway>:<instance_id>/*\": gateway roma or apig, ids of letters, digits, - and _ (up to 64, starting with a letter or digit)."
  }
}

variable "create_member_groups" {
  description = "Whether the functions may create a binding's member group when its channel lacks it (POST .../member-groups, add-or-update by name). Set false when every member group exists already: the agency then lacks apig:vpcChannels:addOrUpdateMemberGroups, and a binding whose group is missing is dead-lettered instead."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix of every resource name (functions, topics, log group, agency, custom policy, lifecycle hooks, alarm rules). Use a different prefix for each deployment in the same project. Changing it replaces every resource, the agency included."
  type        = string
  default     = "channel-autoscaler"

  validation {
    # 45 leaves room for the longest suffix ("-scaling-events") in FunctionGraph's 60-character limit.
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,44}$", var.name_prefix))
    error_message = "name_prefix must start with a letter, hold only letters, digits, '-' and '_', and be at most 45 characters."
  }
}

variable "dist_dir" {
  description = "Directory holding the built bundles scaling-events.zip, reconcile.zip and backfill.zip (each with index.js at the zip root), written by `npm run build`. Give it relative to the root configuration, e.g. \"$${path.root}/../../../dist\": the module may be fetched from a remote source, where a path relative to the module would point into Terraform's download cache."
  type        = string

  validation {
    condition     = length(trimspace(var.dist_dir)) > 0
    error_message = "dist_dir must name the directory that holds the built bundles (run `npm run build`)."
  }
}

variable "memory_size" {
  description = "Memory of each function in MB, one of the sizes FunctionGraph offers: 128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584 or 4096. FunctionGraph scales CPU with memory, so more memory also means a faster cold start."
  type        = number
  default     = 256
  nullable    = false

  # The memory_size values of CreateFunction and UpdateFunctionConfig, as the official SDKs list them:
  # huaweicloud-sdk-go-v3 services/functiongraph/v2/model/model_create_function_request_body.go and
  # model_update_function_config_request_body.go (MemorySize); FunctionGraph refuses any other value.
  validation {
    condition     = contains([128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096], var.memory_size)
    error_message = "memory_size must be one of FunctionGraph's sizes: 128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584 or 4096 (MB)."
  }
}

variable "timeout" {
  description = "Timeout of each function in seconds. A scale-in disables a member, waits drain_seconds, then deletes it, so it must exceed the largest drain_seconds by 8 s (a precondition on the functions says so at plan time)."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.timeout >= 3 && var.timeout <= 259200 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 3 to 259200."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the functions: debug, info, warn or error."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

variable "endpoints" {
  description = "Optional service endpoint overrides (ROMA_ENDPOINT, APIG_ENDPOINT, AS_ENDPOINT, ECS_ENDPOINT, SMN_ENDPOINT, FUNCTIONGRAPH_ENDPOINT). Unset ones default from the region as the official SDKs' region tables list them. A host outside the SDKs' domains (myhuaweicloud.com, .cn, .eu, myhwclouds.com) needs allow_custom_endpoints = true."
  type = object({
    roma          = optional(string)
    apig          = optional(string)
    as            = optional(string)
    ecs           = optional(string)
    smn           = optional(string)
    functiongraph = optional(string)
  })
  default = {}

  validation {
    condition = alltrue([
      for url in values(var.endpoints) : url == null ? true : can(regex("^(https://[^/\\s?#@]+|http://((?i)localhost|127(\\.[0-9]{1,3}){3}|\\[::1\\])(:[0-9]+)?)(/[^\\s?#]*)?$", url))
    ])
    error_message = "Every endpoint must be an https:// URL without query, fragment or credentials (plain http:// is accepted only for loopback hosts)."
  }
}

variable "allow_custom_endpoints" {
  description = "Let endpoints name hosts outside the official SDKs' endpoint domains (myhuaweicloud.com, .cn, .eu, myhwclouds.com) and loopback (ALLOW_CUSTOM_ENDPOINTS=true). Such a host receives the agency's temporary credentials and signed requests that can be replayed: turn it on only for a gateway or proxy you trust."
  type        = bool
  default     = false
  nullable    = false
}

variable "reconcile_schedule_type" {
  description = "schedule_type of the reconcile TIMER trigger: Rate (reconcile_schedule like 10m, 1h or 1d) or Cron (a FunctionGraph cron expression)."
  type        = string
  default     = "Rate"
  nullable    = false

  validation {
    condition     = contains(["Rate", "Cron"], var.reconcile_schedule_type)
    error_message = "reconcile_schedule_type must be Rate or Cron."
  }
}

variable "reconcile_schedule" {
  description = "schedule of the reconcile TIMER trigger. Rate: a whole number with m (1-60 minutes), h (1-24 hours) or d (1-30 days), e.g. 10m. Cron: \"@every <duration>\" (e.g. @every 30m, @every 1h30m) or six or seven space-separated fields \"seconds minutes hours day-of-month month [day-of-week]\", optionally after CRON_TZ=<zone>. Every run reconciles every binding, repairing whatever events were lost. A precondition on the timer checks the form against reconcile_schedule_type."
  type        = string
  default     = "10m"
  nullable    = false

  validation {
    condition     = length(trimspace(var.reconcile_schedule)) > 0
    error_message = "reconcile_schedule must not be empty."
  }
}

variable "scaling_notification_events" {
  description = "AS group events published to the events topic (and so to the scaling-events function)."
  type        = list(string)
  default     = ["SCALING_UP", "SCALING_UP_FAIL", "SCALING_DOWN", "SCALING_DOWN_FAIL", "SCALING_GROUP_ABNORMAL"]

  validation {
    condition = length(var.scaling_notification_events) > 0 && alltrue([
      for e in var.scaling_notification_events : contains(["SCALING_UP", "SCALING_UP_FAIL", "SCALING_DOWN", "SCALING_DOWN_FAIL", "SCALING_GROUP_ABNORMAL"], e)
    ])
    error_message = "scaling_notification_events must list some of SCALING_UP, SCALING_UP_FAIL, SCALING_DOWN, SCALING_DOWN_FAIL and SCALING_GROUP_ABNORMAL."
  }
}

variable "lifecycle_hook_default_result" {
  description = "What AS does with an instance when a lifecycle hook times out before the function completes it. CONTINUE keeps scaling going if the function is down (the next reconcile run registers or removes the member); ABANDON terminates a launching instance."
  type        = string
  default     = "CONTINUE"

  validation {
    condition     = contains(["CONTINUE", "ABANDON"], var.lifecycle_hook_default_result)
    error_message = "lifecycle_hook_default_result must be CONTINUE or ABANDON."
  }
}

variable "lifecycle_hook_timeout" {
  description = "Seconds an AS lifecycle hook holds an instance (PENDING_WAIT / REMOVING_WAIT) waiting for the function. It must exceed healthy_timeout_seconds (launch) and drain_seconds (terminate) of the group's bindings plus one reconcile period (a Rate schedule's; a precondition on the hooks says so), so a lost event is repaired by the timer before AS gives up."
  type        = number
  default     = 1200
  nullable    = false

  validation {
    condition     = var.lifecycle_hook_timeout >= 300 && var.lifecycle_hook_timeout <= 86400 && floor(var.lifecycle_hook_timeout) == var.lifecycle_hook_timeout
    error_message = "lifecycle_hook_timeout must be a whole number of seconds from 300 to 86400."
  }
}

variable "async_max_retry_attempts" {
  description = "How many times FunctionGraph retries a failed asynchronous invocation (SMN and TIMER triggers are asynchronous) before it goes to the dead-letter topic."
  type        = number
  default     = 2

  validation {
    condition     = var.async_max_retry_attempts >= 0 && var.async_max_retry_attempts <= 3 && floor(var.async_max_retry_attempts) == var.async_max_retry_attempts
    error_message = "async_max_retry_attempts must be a whole number from 0 to 3."
  }
}

variable "async_max_event_age_seconds" {
  description = "Oldest age in seconds at which FunctionGraph still runs or retries a queued asynchronous event; older events go to the dead-letter topic."
  type        = number
  default     = 3600

  validation {
    condition     = var.async_max_event_age_seconds >= 60 && var.async_max_event_age_seconds <= 86400 && floor(var.async_max_event_age_seconds) == var.async_max_event_age_seconds
    error_message = "async_max_event_age_seconds must be a whole number of seconds from 60 to 86400."
  }
}

variable "log_retention_days" {
  description = "Days LTS keeps the functions' logs."
  type        = number
  default     = 30

  validation {
    condition     = var.log_retention_days >= 1 && var.log_retention_days <= 365 && floor(var.log_retention_days) == var.log_retention_days
    error_message = "log_retention_days must be a whole number from 1 to 365."
  }
}

variable "environment_max_chars" {
  description = "Limit on the size of one function's environment, measured as FunctionGraph receives it: the characters of the JSON object of all keys and values (user_data). FunctionGraph allows 4,096 (2,048 in some regions: lower this there)."
  type        = number
  default     = 4096

  validation {
    condition     = var.environment_max_chars >= 256 && var.environment_max_chars <= 4096
    error_message = "environment_max_chars must be from 256 to 4096."
  }
}

variable "roma_policy_actions" {
  description = "Fine-grained IAM actions to grant for bindings with gateway \"roma\" instead of the ROMA FullAccess system policy. Null (the default) grants ROMA FullAccess: Huawei publishes no fine-grained actions for ROMA Connect VPC channels (see infra/README.md). Set this only to names your IAM console's visual editor lists."
  type        = list(string)
  default     = null

  validation {
    condition     = var.roma_policy_actions == null ? true : (length(var.roma_policy_actions) > 0 && alltrue([for a in var.roma_policy_actions : can(regex("^roma:[A-Za-z]+:[A-Za-z]+$", a))]))
    error_message = "roma_policy_actions must be null or explicit roma:<resource>:<action> names, without wildcards."
  }
}

variable "fan_out_invoke_grant" {
  description = "How the agency may invoke the backfill function when reconcile fans out: \"scoped_action\" (default) grants functiongraph:function:invokeAsync on that one function; \"system_role\" grants the FunctionGraph Invoker system role instead (every function of the project), for regions whose IAM refuses the scoped statement. See infra/README.md."
  type        = string
  default     = "scoped_action"
  nullable    = false

  validation {
    condition     = contains(["scoped_action", "system_role"], var.fan_out_invoke_grant)
    error_message = "fan_out_invoke_grant must be \"scoped_action\" or \"system_role\"."
  }
}

variable "scope_dead_letter_publish" {
  description = "Limit smn:topic:publish to the dead-letter topic with a Resource element. UNVERIFIED: no real account has shown that IAM honours a resource-scoped SMN statement in a role/policy-based custom policy, and if it did not, every dead-letter publish would be refused (HTTP 403) while nothing else fails. So the default (false) grants smn:topic:publish on every topic of the project; set true once a test publish with the scoped policy has reached the topic (see infra/README.md)."
  type        = bool
  default     = false
  nullable    = false
}

variable "fan_out_threshold" {
  description = "When a reconcile run covers more bindings than this, it hands them to asynchronous backfill invocations (shards of fan_out_shard_size bindings) instead of reconciling them itself."
  type        = number
  default     = 50

  validation {
    condition     = var.fan_out_threshold >= 1 && var.fan_out_threshold <= 10000 && floor(var.fan_out_threshold) == var.fan_out_threshold
    error_message = "fan_out_threshold must be a whole number from 1 to 10000."
  }
}

variable "fan_out_shard_size" {
  description = "Bindings per asynchronous backfill invocation when reconcile fans out (bindings that share a channel always stay together)."
  type        = number
  default     = 25

  validation {
    condition     = var.fan_out_shard_size >= 1 && var.fan_out_shard_size <= 10000 && floor(var.fan_out_shard_size) == var.fan_out_shard_size
    error_message = "fan_out_shard_size must be a whole number from 1 to 10000."
  }
}

variable "enterprise_project_id" {
  description = "Enterprise project of the functions, topics, log group and streams, and alarm rules. Null uses the default enterprise project."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags set on the functions, topics, log group and streams."
  type        = map(string)
  default     = {}
}

variable "alarms_enabled" {
  description = "Create the alarms (infra/README.md, \"Alarms\"): Cloud Eye rules on each function's failed and throttled invocations, and, with alarm_user_name set, an LTS keyword alarm on logged dead letters, all notifying the alarm topic. False creates none of them (nor the topic)."
  type        = bool
  default     = true
  nullable    = false
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarm topic. Each address receives a confirmation email from SMN and gets alarms only once it confirms."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alarm_emails must hold email addresses only."
  }
}

variable "alarm_user_name" {
  description = "IAM user name that LTS records as the owner of the dead-letter keyword alarms' notification rule (the provider requires one: notification_save_rule.user_name). Null skips the dead-letter alarms; the Cloud Eye alarms need no user."
  type        = string
  default     = null
}

variable "alarm_lts_template_name" {
  description = "LTS notification template of the dead-letter keyword alarms. keywords_template is the template LTS provides for keyword alarms."
  type        = string
  default     = "keywords_template"
  nullable    = false
}
