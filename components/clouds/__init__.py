"""Cloud plugins: one folder per cloud (aws/, gcp/, azure/), each with

- `settings.py`: pure config checks and CellSpec fields of that cloud (run by `core/config/`);
- `driver.py`: its `CloudDriver` (cell class, endpoint kind, label properties, mocks it needs);
- the cell and its pieces (network, key, bucket, cluster, loadbalancer, identity).

`drivers.DRIVERS` is the registry. This file imports nothing: the pure core imports the
`settings` modules through this package.
"""
