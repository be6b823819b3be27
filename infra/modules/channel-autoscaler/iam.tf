# The agency FunctionGraph assumes for the functions, and the least-privilege custom policy it
# grants (role/policy-based, Version 1.1). Every action is named, each beside the Huawei page that
# lists it; infra/README.md explains each one. Where Huawei publishes no fine-grained action for a
# call, the narrowest documented system role is granted instead (ROMA FullAccess; optionally
# FunctionGraph Invoker), and infra/README.md says so.

locals {
  # Which optional calls the bindings make. Tag-discovered bindings carry neither health_check
  # nor replace_unhealthy (the tag contract has no such tags), so these read var.bindings only.
  apig_health_check = anytrue([for b in var.bindings : coalesce(b.gateway, "roma") == "apig" && b.health_check != null])
  replace_unhealthy = anytrue([for b in var.bindings : b.replace_unhealthy != null])

  # Dedicated API Gateway VPC channels. Each name is the role/policy-based "Alias" in the
  # Authorization Information of the API's page (support.huaweicloud.com/intl/en-us/api-apig/<page>).
  apig_actions = concat(
    [
      "apig:vpcChannels:get",                  # ShowDetailsOfVpcChannelV2.html, ListBackendInstancesV2.html
      "apig:vpcChannels:addInstance",          # AddingBackendInstancesV2.html (support.huaweicloud.com/api-apig/)
      "apig:vpcChannels:deleteInstance",       # DeleteBackendInstanceV2.html
      "apig:vpcChannels:batchEnableInstance",  # BatchEnableMembers.html
      "apig:vpcChannels:batchDisableInstance", # BatchDisableMembers.html
    ],
    # POST .../member-groups, add-or-update by name: CreateMemberGroup.html.
    var.create_member_groups ? ["apig:vpcChannels:addOrUpdateMemberGroups"] : [],
    # PUT .../health-config: UpdateHealthCheck.html gives the alias apig:vpcChannels:update (the
    # same as the whole-channel PUT, which the functions never send); no narrower one exists.
    local.apig_health_check ? ["apig:vpcChannels:update"] : [],
  )

  # Auto Scaling: support.huaweicloud.com/intl/en-us/api-as/, "Permissions and Supported Actions".
  as_actions = concat(
    [
      "as:instances:list",       # as_07_0204.html: GET .../scaling_group_instance/{id}/list
      "as:instanceHooks:list",   # as_07_0210.html: GET .../scaling_instance_hook/{id}/list
      "as:instanceHooks:action", # as_07_0210.html: PUT .../scaling_instance_hook/{id}/callback
    ],
    var.bindings_from_tags ? [
      "as:tagResources:list", # as_07_0211.html: POST .../scaling_group_tag/resource_instances/action
      "as:tags:get",          # as_07_0211.html: GET .../scaling_group_tag/{id}/tags
    ] : [],
    # ENTER_STANDBY with a replacement: POST .../scaling_group_instance/{id}/action (as_07_0204.html).
    local.replace_unhealthy ? ["as:instances:batchAction"] : [],
  )

  # ECS: support.huaweicloud.com/intl/en-us/api-ecs/, "Permissions and Supported Actions".
  ecs_actions = concat(
    ["ecs:cloudServers:list"], # ecs_06_0002.html: GET .../cloudservers/detail (private IPv4 on ip channels)
    # Set and remove channel-autoscaler-unhealthy-since; the tag is read back from the server list.
    local.replace_unhealthy ? [
      "ecs:cloudServers:batchSetServerTags", # ecs_06_0019.html: POST .../cloudservers/{id}/tags/action
    ] : [],
  )

  # FunctionGraph: reconcile queues async invocations of the backfill function when it fans out.
  # The action name is not on a Huawei Cloud action list (see infra/README.md); the resource path
  # format FunctionGraph:*:*:function:<app>/<name> is FunctionGraph's "FunctionGraph Resources"
  # page (support.huaweicloud.com/eu/usermanual-functiongraph/functiongraph_01_0406.html).
  backfill_function_resource = "FunctionGraph:*:*:function:default/${var.name_prefix}-backfill"

  policy_statements = [
    for s in [
      { enabled = contains(local.gateways_in_use, "roma") && var.roma_policy_actions != null, statement = { Effect = "Allow", Action = var.roma_policy_actions } },
      { enabled = contains(local.gateways_in_use, "apig"), statement = { Effect = "Allow", Action = local.apig_actions } },
      { enabled = true, statement = { Effect = "Allow", Action = local.as_actions } },
      { enabled = true, statement = { Effect = "Allow", Action = local.ecs_actions } },
      {
        enabled = var.fan_out_invoke_grant == "scoped_action"
        # Name from the agency example of Config's "Adding a Custom Rule" (rms_05_0404.html, Open
        # Telekom Cloud, a Huawei Cloud stack); not on a Huawei Cloud action list, so
        # infra/README.md flags it and fan_out_invoke_grant = "system_role" swaps in FunctionGraph Invoker.
        statement = { Effect = "Allow", Action = ["functiongraph:function:invokeAsync"], Resource = [local.backfill_function_resource] }
      },
      # smn:topic:publish on every topic of the project (the default): smn_api_80005.html.
      { enabled = !var.scope_dead_letter_publish, statement = { Effect = "Allow", Action = ["smn:topic:publish"] } },
      {
        enabled = var.scope_dead_letter_publish
        # smn:topic:publish: support.huaweicloud.com/intl/en-us/api-smn/smn_api_80005.html. Resource
        # smn:<region>:<account>:topic:<topic name>; unverified in a real account, hence opt-in (see
        # var.scope_dead_letter_publish).
        statement = { Effect = "Allow", Action = ["smn:topic:publish"], Resource = ["smn:*:*:topic:${local.dead_letter_topic_name}"] }
      },
    ] : s.statement if s.enabled
  ]

  # System roles granted beside the custom policy, where no fine-grained action is published:
  # ROMA FullAccess (support.huaweicloud.com/intl/en-us/usermanual-roma/user-defined-policy.html,
  # productdesc-roma/AuthorityBasicConcepts.html), FunctionGraph Invoker
  # (support.huaweicloud.com/intl/en-us/usermanual-functiongraph/functiongraph_01_0215.html).
  system_roles = concat(
    contains(local.gateways_in_use, "roma") && var.roma_policy_actions == null ? ["ROMA FullAccess"] : [],
    var.fan_out_invoke_grant == "system_role" ? ["FunctionGraph Invoker"] : [],
  )
}

# Each system role is looked up by its display name, so a misspelt or absent one fails the plan:
# the agency resource would skip a role name it cannot resolve with only a log line (its
# attachProjectRolesToV3Agency in huaweicloud/services/iam/resource_huaweicloud_identity_agency.go).
data "huaweicloud_identity_role" "system" {
  for_each = toset(local.system_roles)

  display_name = each.key
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
  # The agency's name cannot be updated in place: without this a new name_prefix fails the plan
  # ("name can't be updated"); with it the agency is replaced. An internal argument of the resource
  # (enable_force_new, read by FlexibleForceNew over v3AgencyNonUpdatableParams = ["name"] in
  # resource_huaweicloud_identity_agency.go), not in its docs.
  enable_force_new = "true"
  # op_svc_cff is FunctionGraph. The provider reads a service trust back into
  # delegated_service_name (not delegated_domain_name), so set it there to avoid a perpetual diff.
  delegated_service_name = "op_svc_cff"
  duration               = "FOREVER"

  project_role {
    project = local.project_name
    roles   = concat([huaweicloud_identity_role.functions.name], [for r in data.huaweicloud_identity_role.system : r.display_name])
  }
}
