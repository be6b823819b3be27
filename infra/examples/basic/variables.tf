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
