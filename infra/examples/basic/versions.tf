terraform {
  # optional() object attributes need 1.3, startswith() 1.3, terraform_data 1.4, nullable 1.1.
  required_version = ">= 1.5.0"

  required_providers {
    huaweicloud = {
      source = "huaweicloud/huaweicloud"
      # Exactly the release whose schema the module was checked against. Commit the
      # .terraform.lock.hcl that `terraform providers lock` writes for it (infra/README.md, "Deploy").
      version = "1.97.1"
    }
  }
}
