"""The GCP regional cell: VPC, Cloud KMS, GCS with CMEK, private GKE, regional HTTPS load balancer.

`GcpCell` (cell.py) assembles one component per piece, each `Piece(name, <Piece>Args, opts)`
(components/contract.py): the frozen Args hold the cell's `GcpContext`, what the piece consumes and
the APIs it waits for (`depends_on`); `opts` is the parent and nothing else. No piece reads
pulumi.Config. Everything the cell builds sits in a piece, the edge guard and SLO alerts included.
"""
