terraform {
  # optional() object attributes need 1.3, check blocks need 1.5.
  required_version = ">= 1.5.0"

  required_providers {
    huaweicloud = {
      source  = "huaweicloud/huaweicloud"
      version = "~> 1.97"
    }
  }
}
