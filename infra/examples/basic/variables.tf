variable "region" {
  description = "Huawei Cloud region to deploy to, e.g. cn-north-4."
  type        = string
}

variable "project_id" {
  description = "ID of the project in that region (My Credentials > API Credentials)."
  type        = string
}

variable "bindings" {
  description = "Bindings of AS groups to VPC channel member groups; see the module's bindings variable and infra/README.md."
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
    }))
  }))
  default = []
}

variable "bindings_from_tags" {
  description = "Also bind every AS group tagged channel-autoscaler-channel / -instance / -member-group (see infra/README.md); bindings may then be empty."
  type        = bool
  default     = false
}

variable "tag_bindings_allowed" {
  description = "With bindings_from_tags, the channels tag bindings may point at: \"<gateway>:<instance_id>/<vpc_channel_id>\" or \"<gateway>:<instance_id>/*\"; see the module's variable and infra/README.md."
  type        = list(string)
  default     = []
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "channel-autoscaler"
}

variable "log_level" {
  description = "LOG_LEVEL of the functions: debug, info, warn or error."
  type        = string
  default     = "info"
}

variable "endpoints" {
  description = "Service endpoint overrides (roma, apig, as, ecs, smn, functiongraph); see the module's endpoints variable."
  type = object({
    roma          = optional(string)
    apig          = optional(string)
    as            = optional(string)
    ecs           = optional(string)
    smn           = optional(string)
    functiongraph = optional(string)
  })
  default = {}
}

variable "allow_custom_endpoints" {
  description = "Let endpoints name hosts outside the official SDKs' endpoint domains; see the module's allow_custom_endpoints variable."
  type        = bool
  default     = false
}

variable "memory_size" {
  description = "Memory of each function in MB; null takes the module's default (256)."
  type        = number
  default     = null
}

variable "timeout" {
  description = "Timeout of each function in seconds; null takes the module's default (300)."
  type        = number
  default     = null
}

variable "lifecycle_hook_timeout" {
  description = "Seconds an AS lifecycle hook waits for the function; null takes the module's default (1200)."
  type        = number
  default     = null
}

variable "roma_policy_actions" {
  description = "Fine-grained ROMA Connect actions to grant instead of the ROMA FullAccess system role; null (the default) grants the role."
  type        = list(string)
  default     = null
}

variable "fan_out_invoke_grant" {
  description = "\"scoped_action\" or \"system_role\" (FunctionGraph Invoker) for reconcile's fan-out invocations; null takes the module's default (scoped_action)."
  type        = string
  default     = null
}

variable "scope_dead_letter_publish" {
  description = "Limit smn:topic:publish to the dead-letter topic (unverified, see infra/README.md); null takes the module's default (false)."
  type        = bool
  default     = null
}

variable "alarms_enabled" {
  description = "Create the alarm rules and the alarm topic; null takes the module's default (true)."
  type        = bool
  default     = null
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarm topic."
  type        = list(string)
  default     = []
}

variable "alarm_user_name" {
  description = "IAM user name recorded as owner of the LTS dead-letter alarms; null skips those alarms."
  type        = string
  default     = null
}
