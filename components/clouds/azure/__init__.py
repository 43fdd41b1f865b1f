"""Azure regional cell: VNet, Key Vault, Storage with CMK, AKS, Application Gateway v2 (see cell.py)."""
