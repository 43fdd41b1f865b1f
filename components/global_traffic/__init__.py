"""The global layer on Route 53: the public hosted zone (hosted_zone.py), the records of the routing
plan (records.py) and the one writer of certificate-validation records (cert_validation.py).

"Zone" here is always a Route 53 *hosted* zone; residency zones live in core/placement.py and
availability zones inside the cloud plugins.
"""
