"""AWS regional cell: one module per piece (network, key, bucket, cluster, load balancer, identity).

`cell.AwsCell` assembles them; each piece takes typed arguments and an explicit provider.
"""
