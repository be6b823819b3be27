# Credentials come from the environment (HW_ACCESS_KEY, HW_SECRET_KEY), never from this file.
provider "huaweicloud" {
  region = var.region
}

module "channel_autoscaler" {
  source = "../../modules/channel-autoscaler"

  region     = var.region
  project_id = var.project_id
  bindings   = var.bindings
  # Tag discovery: scaling groups bind themselves (infra/README.md, "Bindings from tags").
  bindings_from_tags = var.bindings_from_tags
  name_prefix        = var.name_prefix
  log_level          = var.log_level
}
