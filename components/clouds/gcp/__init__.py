"""The GCP regional cell: VPC, Cloud KMS, GCS with CMEK, private GKE, regional HTTPS load balancer.

`GcpCell` (cell.py) assembles one component per piece; each piece takes typed
args (`GcpContext` plus what it consumes) and never reads pulumi.Config.
"""
