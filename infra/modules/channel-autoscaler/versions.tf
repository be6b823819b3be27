terraform {
  # optional() object attributes and startswith() need 1.3, terraform_data 1.4.
  required_version = ">= 1.5.0"

  required_providers {
    huaweicloud = {
      source  = "huaweicloud/huaweicloud"
      version = "~> 1.97"
    }
  }
}
