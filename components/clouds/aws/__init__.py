"""AWS regional cell: one module per piece (network, key, bucket, cluster, load balancer, identity,
replication, edge guard).

`cell.AwsCell` assembles them; every piece is `Piece(name, <Piece>Args, opts)`, its Args carrying the
region's `context.AwsContext` (provider, account, protect) and everything else it reads.
"""
