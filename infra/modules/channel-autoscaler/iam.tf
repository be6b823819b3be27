# The agency FunctionGraph assumes for the functions, and the least-privilege custom policy it
# grants. Every action is named explicitly; infra/README.md explains each one.
#
# Sources of the action names (role/policy-based "custom policy" names, Version 1.1):
# - apig:vpcChannels:*  the "Alias" column of each APIG API page (AddingBackendInstancesV2,
#                       DeleteBackendInstanceV2, BatchEnable/DisableMembers, ListBackendInstancesV2,
#                       UpdateVpcChannelV2).
# - as:*                Auto Scaling API reference, "Permissions and Supported Actions".
# - ecs:*, smn:*        ECS and SMN API references, "Permissions and Supported Actions".
# - roma:*              UNCONFIRMED: no public list of ROMA Connect VPC-channel actions was found;
#                       they default to the APIG names under the roma: prefix and can be
#                       overridden with var.roma_policy_actions.
# The shared infra reference (infra-and-tooling.md) lists no IAM action names, and it marks the
# agency role names UNCONFIRMED; that is why this module writes its own custom policy.

locals {
  # Dedicated API Gateway VPC channels: read the channel and its members, update the channel
  # (health check / member groups, read-modify-write), add, delete, enable and disable members.
  apig_actions = [
    "apig:vpcChannels:get",
    "apig:vpcChannels:update",
    "apig:vpcChannels:addInstance",
    "apig:vpcChannels:deleteInstance",
    "apig:vpcChannels:batchEnableInstance",
    "apig:vpcChannels:batchDisableInstance",
  ]

  # Auto Scaling: list a group's instances, list the instances held by a lifecycle hook (with
  # their lifecycle_action_key) and call the hook back.
  as_actions = [
    "as:instances:list",
    "as:instanceHooks:list",
    "as:instanceHooks:action",
  ]

  # ECS: list servers by ID for their private IPv4 address (channels whose member_type is ip);
  # get, because APIG lists ecs:cloudServers:showServer as a dependency of adding members and
  # updating a channel (inferred: it looks the server up with the caller's rights).
  ecs_actions = [
    "ecs:cloudServers:get",
    "ecs:cloudServers:list",
  ]

  # FunctionGraph: reconcile queues async invocations of the backfill function when it fans out.
  # UNCONFIRMED action name (FunctionGraph "Permissions and Supported Actions" lists invoke actions
  # as functiongraph:function:invoke*). Not scoped by Resource: the resource-string format for
  # FunctionGraph in custom policies is unconfirmed too, and a wrong one would fail the apply.
  fgs_actions = ["functiongraph:function:invokeAsync"]

  policy_statements = [
    for s in [
      { enabled = contains(local.gateways_in_use, "roma"), statement = { Effect = "Allow", Action = var.roma_policy_actions } },
      { enabled = contains(local.gateways_in_use, "apig"), statement = { Effect = "Allow", Action = local.apig_actions } },
      { enabled = true, statement = { Effect = "Allow", Action = local.as_actions } },
      { enabled = true, statement = { Effect = "Allow", Action = local.ecs_actions } },
      { enabled = true, statement = { Effect = "Allow", Action = local.fgs_actions } },
      {
        enabled = var.scope_dead_letter_publish
        # Resource-level grant: smn:<region>:<account>:topic:<topic name>. UNCONFIRMED that IAM
        # accepts a Resource element for SMN in role/policy-based policies; see
        # var.scope_dead_letter_publish.
        statement = { Effect = "Allow", Action = ["smn:topic:publish"], Resource = ["smn:*:*:topic:${local.dead_letter_topic_name}"] }
      },
      { enabled = !var.scope_dead_letter_publish, statement = { Effect = "Allow", Action = ["smn:topic:publish"] } },
    ] : s.statement if s.enabled
  ]
}

resource "huaweicloud_identity_role" "functions" {
  name        = "${var.name_prefix}-functions"
  description = "channel-autoscaler functions: VPC channel members, AS instances and lifecycle callbacks, ECS read, dead-letter publish."
  # Project-level (XA): it is granted in the one project the functions work in.
  type   = "XA"
  policy = jsonencode({ Version = "1.1", Statement = local.policy_statements })
}

resource "huaweicloud_identity_agency" "functions" {
  name        = "${var.name_prefix}-functions"
  description = "Assumed by FunctionGraph for the ${var.name_prefix} functions."
  # op_svc_cff is FunctionGraph. The provider reads a service trust back into
  # delegated_service_name (not delegated_domain_name), so set it there to avoid a perpetual diff.
  delegated_service_name = "op_svc_cff"
  duration               = "FOREVER"

  project_role {
    project = local.project_name
    roles   = [huaweicloud_identity_role.functions.name]
  }
}
